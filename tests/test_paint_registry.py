"""The painter registry and the cached door to painting, ``paint_picture``."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyscore.cache import Cache
from storyscore.errors import BackendMissing, PaintError
from storyscore.paint import (
    PICTURE_STAGE,
    Painter,
    PaintRequest,
    PaintResult,
    diffusers_backend,
    paint_picture,
    picture_key,
)
from storyscore.paint.registry import PAINTER_NAMES, available_painters, make_painter


class StripePainter:
    """A deterministic stand-in painter that counts its calls."""

    name = "stripes"
    version = "1"

    def __init__(self, model: str | None = None, mode: str = "RGB") -> None:
        self.model = model
        self.mode = mode
        self.calls = 0

    def paint(self, request: PaintRequest) -> Image.Image:
        self.calls += 1
        digest = hashlib.sha256(f"{request.prompt}|{request.seed}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        values = rng.integers(0, 256, (request.height, request.width, 3), dtype=np.uint8)
        return Image.fromarray(values).convert(self.mode)


REQUEST = PaintRequest("a red fox in snow, watercolour", 24, 16, seed=5, negative="blurry")


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


@pytest.fixture
def extras_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diffusers_backend, "missing_dependencies", list)


@pytest.fixture
def extras_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diffusers_backend, "missing_dependencies", lambda: ["torch"])


# --- the registry ---------------------------------------------------------------------


def test_known_painters() -> None:
    assert PAINTER_NAMES == ("procedural", "diffusers")


@pytest.mark.usefixtures("extras_installed")
def test_available_painters_with_the_extra() -> None:
    assert available_painters() == ["procedural", "diffusers"]


@pytest.mark.usefixtures("extras_missing")
def test_available_painters_without_the_extra() -> None:
    assert available_painters() == ["procedural"]


def test_available_painters_checks_real_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)
    assert available_painters() == ["procedural"]


def _needs_procedural() -> None:
    if importlib.util.find_spec("storyscore.paint.procedural") is None:
        pytest.skip("the procedural painter is not in this tree yet")


def test_procedural_by_name() -> None:
    _needs_procedural()
    painter = make_painter("procedural")
    assert isinstance(painter, Painter)
    assert (painter.name, painter.version) == ("procedural", "4")


def test_procedural_through_the_cache(cache: Cache) -> None:
    _needs_procedural()
    request = PaintRequest("a lighthouse on black rocks at night", 48, 32, seed=7)
    first = paint_picture(make_painter("procedural"), request, cache)
    again = paint_picture(make_painter("procedural"), request, cache)
    assert (first.cache_hit, again.cache_hit) == (False, True)
    assert first.image.size == (48, 32)
    assert again.image.tobytes() == first.image.tobytes()


def test_procedural_takes_no_model() -> None:
    with pytest.raises(PaintError, match="the procedural painter takes no model"):
        make_painter("procedural", "stabilityai/sd-turbo")


@pytest.mark.usefixtures("extras_installed")
def test_diffusers_by_name(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text("{}")
    painter = make_painter("diffusers", str(tmp_path))
    assert isinstance(painter, diffusers_backend.DiffusersPainter)
    assert painter.model == str(tmp_path)


@pytest.mark.parametrize("model", [None, ""])
def test_diffusers_needs_a_model(model: str | None) -> None:
    with pytest.raises(PaintError) as caught:
        make_painter("diffusers", model)
    assert caught.value.message == (
        "the diffusers painter needs a model: a Hugging Face model id or a local model folder"
    )
    assert caught.value.hint == "for example `--model stabilityai/sd-turbo`"


@pytest.mark.usefixtures("extras_missing")
def test_diffusers_without_the_extra(tmp_path: Path) -> None:
    with pytest.raises(BackendMissing, match=r"pip install 'storyscore\[diffusers\]'"):
        make_painter("diffusers", str(tmp_path))


@pytest.mark.usefixtures("extras_installed")
@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("difusers", "did you mean 'diffusers'?"),
        ("Procedural", "did you mean 'procedural'?"),
        ("procedual", "did you mean 'procedural'?"),
        ("dall-e", None),
    ],
)
def test_unknown_painter_lists_the_installed_ones(name: str, hint: str | None) -> None:
    with pytest.raises(PaintError) as caught:
        make_painter(name)
    assert caught.value.message == (
        f"unknown painter '{name}' (installed painters: procedural, diffusers)"
    )
    assert caught.value.hint == hint


@pytest.mark.usefixtures("extras_missing")
def test_unknown_painter_suggests_an_uninstalled_one_with_its_install_command() -> None:
    with pytest.raises(PaintError) as caught:
        make_painter("difuser")
    assert caught.value.message == "unknown painter 'difuser' (installed painters: procedural)"
    assert caught.value.hint == (
        "did you mean 'diffusers'? (it needs pip install 'storyscore[diffusers]')"
    )


# --- picture keys ---------------------------------------------------------------------


def test_picture_key_is_stable() -> None:
    assert picture_key(StripePainter(), REQUEST) == picture_key(StripePainter(), REQUEST)


@pytest.mark.parametrize(
    "changed",
    [
        replace(REQUEST, prompt="a red fox in snow"),
        replace(REQUEST, negative=None),
        replace(REQUEST, width=26),
        replace(REQUEST, height=18),
        replace(REQUEST, seed=6),
    ],
)
def test_picture_key_covers_the_request(changed: PaintRequest) -> None:
    assert picture_key(StripePainter(), changed) != picture_key(StripePainter(), REQUEST)


def test_picture_key_covers_the_painter() -> None:
    base = picture_key(StripePainter(), REQUEST)
    other_version = StripePainter()
    other_version.version = "2"
    other_name = StripePainter()
    other_name.name = "dots"
    assert picture_key(other_version, REQUEST) != base
    assert picture_key(other_name, REQUEST) != base
    assert picture_key(StripePainter(model="a/b"), REQUEST) != base


def test_picture_key_covers_painter_settings() -> None:
    class Tuned(StripePainter):
        def __init__(self, steps: int) -> None:
            super().__init__()
            self.steps = steps

        def cache_inputs(self) -> dict[str, object]:
            return {"steps": self.steps}

    assert picture_key(Tuned(2), REQUEST) != picture_key(Tuned(4), REQUEST)
    assert picture_key(Tuned(2), REQUEST) == picture_key(Tuned(2), REQUEST)


# --- paint_picture --------------------------------------------------------------------


def test_paints_once_then_reads_the_cache(cache: Cache) -> None:
    painter = StripePainter()
    first = paint_picture(painter, REQUEST, cache)
    assert isinstance(first, PaintResult)
    assert not first.cache_hit
    key = picture_key(painter, REQUEST)
    assert first.path == cache.path_for(PICTURE_STAGE, key, ".png")
    with Image.open(first.path) as stored:
        assert (stored.format, stored.size, stored.mode) == ("PNG", (24, 16), "RGB")
    second = paint_picture(painter, REQUEST, cache)
    assert second.cache_hit
    assert second.path == first.path
    assert painter.calls == 1
    assert second.image.mode == "RGB"
    assert second.image.tobytes() == first.image.tobytes()


def test_each_change_paints_anew(cache: Cache) -> None:
    painter = StripePainter()
    paint_picture(painter, REQUEST, cache)
    paint_picture(painter, replace(REQUEST, seed=9), cache)
    paint_picture(painter, replace(REQUEST, seed=9), cache)
    assert painter.calls == 2


def _rewrite_digest(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    Path(f"{path}.sha256").write_text(digest + "\n")


@pytest.mark.parametrize(
    "damage",
    ["truncate", "corrupt-with-matching-digest", "wrong-size-with-matching-digest"],
)
def test_damaged_picture_is_repainted(cache: Cache, damage: str) -> None:
    painter = StripePainter()
    first = paint_picture(painter, REQUEST, cache)
    data = first.path.read_bytes()
    if damage == "truncate":
        first.path.write_bytes(data[: len(data) // 2])
    elif damage == "corrupt-with-matching-digest":
        # Flip a byte inside the image data: the PNG CRC no longer matches.
        broken = bytearray(data)
        broken[len(data) // 2] ^= 0xFF
        first.path.write_bytes(bytes(broken))
        _rewrite_digest(first.path)
    else:
        Image.new("RGB", (8, 8)).save(first.path, format="PNG")
        _rewrite_digest(first.path)
    again = paint_picture(painter, REQUEST, cache)
    assert not again.cache_hit
    assert painter.calls == 2
    assert again.image.tobytes() == first.image.tobytes()
    assert paint_picture(painter, REQUEST, cache).cache_hit


def test_painter_output_is_stored_as_rgb(cache: Cache) -> None:
    result = paint_picture(StripePainter(mode="RGBA"), REQUEST, cache)
    assert result.image.mode == "RGB"
    with Image.open(result.path) as stored:
        assert stored.mode == "RGB"


def test_wrong_size_from_a_painter_is_an_error_and_caches_nothing(cache: Cache) -> None:
    class Sloppy(StripePainter):
        def paint(self, request: PaintRequest) -> Image.Image:
            return Image.new("RGB", (request.width + 1, request.height))

    with pytest.raises(PaintError) as caught:
        paint_picture(Sloppy(), REQUEST, cache)
    assert (
        caught.value.message == "the stripes painter returned a 25x16 picture for a 24x16 request"
    )
    assert not cache.root.exists() or not any(p.is_file() for p in cache.root.rglob("*"))


def test_paint_errors_pass_through(cache: Cache) -> None:
    class Failing(StripePainter):
        def paint(self, request: PaintRequest) -> Image.Image:
            raise PaintError("the model ran out of memory")

    with pytest.raises(PaintError, match="the model ran out of memory"):
        paint_picture(Failing(), REQUEST, cache)


def test_no_cache_always_paints_and_writes_nothing(tmp_path: Path) -> None:
    painter = StripePainter()
    root = tmp_path / "cache"
    with Cache(root, enabled=False) as cache:
        first = paint_picture(painter, REQUEST, cache)
        second = paint_picture(painter, REQUEST, cache)
        assert (first.cache_hit, second.cache_hit) == (False, False)
        assert painter.calls == 2
        assert second.path.is_file()
        assert second.image.tobytes() == first.image.tobytes()
    assert not root.exists()
