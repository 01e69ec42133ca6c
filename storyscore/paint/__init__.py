"""Pictures: painter backends behind one interface, and the cached door to them.

``paint_picture`` is the way in for every stage that needs a scene's picture:
it looks the request up in the cache and paints only on a miss.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from storyscore.cache import Cache, cache_key
from storyscore.errors import PaintError
from storyscore.paint.base import Drawn, LaysOut, Painter, PaintRequest
from storyscore.paint.image_file import load_picture

__all__ = [
    "FITTED_STAGE",
    "LAYOUT_STAGE",
    "PICTURE_STAGE",
    "PICTURE_STAGE_VERSION",
    "PaintRequest",
    "PaintResult",
    "Painter",
    "fitted_picture",
    "paint_picture",
    "picture_key",
    "picture_layout",
]

PICTURE_STAGE = "picture"
PICTURE_STAGE_VERSION = "1"
FITTED_STAGE = "fitted"
FITTED_STAGE_VERSION = "1"
# Where a painter that lays out its pictures keeps what each one shows, under the
# picture's own key.
LAYOUT_STAGE = "layout"


@dataclass(frozen=True)
class PaintResult:
    """A painted picture, where its PNG lies, and whether it came from the cache."""

    image: Image.Image
    cache_hit: bool
    path: Path
    layout: tuple[Drawn, ...] | None = None  # what it shows, when painted just now


def picture_key(painter: Painter, request: PaintRequest) -> str:
    """The cache key of ``request`` painted by ``painter``.

    It covers the painter's name and version, its model and settings (from
    ``painter.cache_inputs()`` when it has one, else its ``model``
    attribute), the expanded prompt, negative prompt, size, seed and the
    characters the scene names.
    """
    cache_inputs = getattr(painter, "cache_inputs", None)
    settings: Any = cache_inputs() if callable(cache_inputs) else {}
    inputs = {
        "painter": painter.name,
        "painter_version": painter.version,
        "model": getattr(painter, "model", None),
        "settings": settings,
        "prompt": request.prompt,
        "negative": request.negative,
        "width": request.width,
        "height": request.height,
        "seed": request.seed,
        "characters": [[c.name, c.description] for c in request.characters],
        "words": [list(pair) for pair in request.words],
    }
    return cache_key(PICTURE_STAGE, PICTURE_STAGE_VERSION, inputs)


def paint_picture(painter: Painter, request: PaintRequest, cache: Cache) -> PaintResult:
    """The picture for ``request``: from the cache when an intact PNG is
    there, else painted by ``painter`` and stored."""
    key = picture_key(painter, request)
    size = (request.width, request.height)
    painted: list[Image.Image] = []
    layouts: list[list[Drawn]] = []

    def build(path: Path) -> None:
        if isinstance(painter, LaysOut):
            image, drawn = painter.paint_with_layout(request)
            layouts.append(drawn)
        else:
            image = painter.paint(request)
        if image.size != size:
            raise PaintError(
                f"the {painter.name} painter returned a {image.size[0]}x{image.size[1]} "
                f"picture for a {size[0]}x{size[1]} request"
            )
        if image.mode != "RGB":
            image = image.convert("RGB")
        image.save(path, format="PNG")
        painted.append(image)

    def intact(path: Path) -> bool:
        return _valid_png(path, size)

    for _attempt in range(2):
        path, hit = cache.get_or_create(PICTURE_STAGE, key, ".png", build, intact)
        if not hit:
            layout = None
            if layouts:
                layout = tuple(layouts[-1])
                _store_layout(cache, key, layout)
            return PaintResult(painted[-1], cache_hit=False, path=path, layout=layout)
        loaded = _load_png(path)
        if loaded is not None:
            return PaintResult(loaded, cache_hit=True, path=path)
        # The entry broke between its check and its load: drop it and repaint.
        cache.discard(PICTURE_STAGE, key, ".png")
    raise PaintError(f"the cached picture {path} could not be read back")


def picture_layout(painter: Painter, request: PaintRequest,
                   cache: Cache) -> tuple[Drawn, ...] | None:
    """What the picture for ``request`` shows and where, or None when the painter
    cannot say. Read from the cache; on a miss the picture is painted again."""
    if not isinstance(painter, LaysOut):
        return None
    key = picture_key(painter, request)

    def build(path: Path) -> None:
        path.write_text(_layout_json(painter.paint_with_layout(request)[1]), encoding="utf-8")

    path, _hit = cache.get_or_create(LAYOUT_STAGE, key, ".json", build, _valid_layout)
    return _read_layout(path)


def _store_layout(cache: Cache, key: str, layout: tuple[Drawn, ...]) -> None:
    def build(path: Path) -> None:
        path.write_text(_layout_json(layout), encoding="utf-8")

    cache.get_or_create(LAYOUT_STAGE, key, ".json", build, _valid_layout)


def _layout_json(layout: list[Drawn] | tuple[Drawn, ...]) -> str:
    return json.dumps([d.as_json() for d in layout], indent=1) + "\n"


def _read_layout(path: Path) -> tuple[Drawn, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Drawn(str(d["kind"]), str(d["name"]), str(d["what"]),
                       (int(d["box"][0]), int(d["box"][1]), int(d["box"][2]), int(d["box"][3])),
                       str(d["colour"])) for d in data)


def _valid_layout(path: Path) -> bool:
    try:
        _read_layout(path)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return False
    return True


def _valid_png(path: Path, size: tuple[int, int]) -> bool:
    """Whether ``path`` is a sound PNG of ``size`` (CRCs and structure checked)."""
    try:
        with Image.open(path, formats=["PNG"]) as image:
            if image.size != size:
                return False
            image.verify()
    except Exception:
        # Pillow reports damage with many exception types; any of them means "repaint".
        return False
    return True


def _load_png(path: Path) -> Image.Image | None:
    try:
        with Image.open(path, formats=["PNG"]) as image:
            image.load()
            return image.convert("RGB")
    except Exception:
        return None


def fitted_picture(path: Path, width: int, height: int, cache: Cache) -> tuple[Path, bool]:
    """An author's image fitted to the story's size, cached by the file's content.

    Returns where the PNG lies and whether it came from the cache.
    """
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise PaintError(f"cannot read the image file {path}: {exc.strerror}") from exc
    key = cache_key(FITTED_STAGE, FITTED_STAGE_VERSION,
                    {"file": digest, "width": width, "height": height})

    def build(target: Path) -> None:
        load_picture(path, width, height).save(target, format="PNG")

    return cache.get_or_create(FITTED_STAGE, key, ".png", build)
