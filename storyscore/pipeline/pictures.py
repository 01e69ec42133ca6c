"""The picture stage: every scene's picture, painted (cached) or loaded from a file."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from storyscore.cache import Cache
from storyscore.errors import PaintError, ScriptError
from storyscore.files import atomic_path
from storyscore.model import CHARACTER_REF, Scene, Story
from storyscore.paint import PaintRequest, fitted_picture, paint_picture, picture_layout
from storyscore.paint.base import CharacterRef, Drawn, Painter
from storyscore.paint.procedural.words import read_words
from storyscore.paint.registry import make_painter


@dataclass(frozen=True)
class ScenePicture:
    """A scene's picture as a PNG at the story's size (in the cache, or its scratch
    folder with ``--no-cache``); loaded only when asked, so no stage holds them all."""

    scene_id: str
    path: Path
    cache_hit: bool
    source: str  # "painted" or "file"
    layout: tuple[Drawn, ...] | None = None  # what it shows, when asked and known

    @property
    def image(self) -> Image.Image:
        with Image.open(self.path) as image:
            return image.convert("RGB")


def painter_for(story: Story) -> Painter:
    """The story's painter (after command-line overrides), located at its setting."""
    model = story.painter.model
    if model is not None and story.painter.span.line:
        # A folder named in the script is relative to the script's folder.
        local = story.base_dir / model
        if local.exists():
            model = str(local)
    try:
        return make_painter(story.painter.name, model)
    except PaintError as error:
        if error.span is None and story.painter.span.line:
            error.span = story.painter.span
        raise


def request_for(story: Story, scene: Scene) -> PaintRequest:
    """What the painter needs for ``scene``: the expanded prompt, and the characters it
    names (as data: their ids and descriptions), in the order the prompt names them."""
    return PaintRequest(
        prompt=story.expand_prompt(scene) or "",
        width=story.size.width,
        height=story.size.height,
        seed=story.seed,
        negative=story.negative,
        characters=characters_named(story, scene),
        words=story_words(story),
    )


def story_words(story: Story) -> tuple[tuple[str, str], ...]:
    """The story's own words for the painter from its ``concepts`` files, first file first.

    A file with problems stops here like any script problem (``check`` reports them all).
    """
    out: list[tuple[str, str]] = []
    for words_file in story.concepts:
        path = story.base_dir / words_file.path
        if not path.is_file():
            raise PaintError(f"words file '{words_file.path}' does not exist",
                             span=words_file.span,
                             hint=f"looked for {path}; paths are relative to the script")
        words, problems = read_words(path, str(path))
        if problems:
            raise ScriptError(problems)
        out.extend(w for w in words if all(w[0] != o[0] for o in out))
    return tuple(out)


def characters_named(story: Story, scene: Scene) -> tuple[CharacterRef, ...]:
    """The story's characters that ``scene``'s prompt names with ``@id``, first named first."""
    known = {c.id: c for c in story.characters}
    out: list[CharacterRef] = []
    for match in CHARACTER_REF.finditer(scene.prompt or ""):
        character = known.get(match.group(1))
        if character is not None and all(r.name != character.id for r in out):
            out.append(CharacterRef(character.id, character.description))
    return tuple(out)


def scene_picture(story: Story, scene: Scene, painter: Painter | None,
                  cache: Cache, layout: bool = False) -> ScenePicture:
    """One scene's picture; a failure is reported at the scene's prompt or image.

    With ``layout``, the picture comes with what it shows where, when its
    painter can say (an author's image cannot).
    """
    try:
        if scene.image is not None:
            path, hit = fitted_picture(story.base_dir / scene.image, story.size.width,
                                       story.size.height, cache)
            return ScenePicture(scene.id, path, hit, "file")
        if painter is None:
            painter = painter_for(story)
        request = request_for(story, scene)
        result = paint_picture(painter, request, cache)
        drawn = result.layout
        if layout and drawn is None:
            drawn = picture_layout(painter, request, cache)
        return ScenePicture(scene.id, result.path, result.cache_hit, "painted",
                            drawn if layout else None)
    except PaintError as error:
        if error.span is None:
            error.span = scene.image_span if scene.image is not None else scene.prompt_span
        raise


def scene_layout(story: Story, scene: Scene, cache: Cache,
                 painter: Painter | None = None) -> tuple[Drawn, ...] | None:
    """What a painted scene's picture shows where (from the cache when it was painted
    before), or None for an author's image or a painter that cannot say."""
    if scene.image is not None or scene.prompt is None:
        return None
    return picture_layout(painter or painter_for(story), request_for(story, scene), cache)


def scene_pictures(story: Story, scenes: Sequence[Scene], cache: Cache,
                   on_done: Callable[[ScenePicture], None] | None = None,
                   layout: bool = False) -> dict[str, ScenePicture]:
    """Pictures for ``scenes``, painted with one painter instance (models load once)."""
    painter = painter_for(story) if any(s.image is None for s in scenes) else None
    out: dict[str, ScenePicture] = {}
    for scene in scenes:
        picture = scene_picture(story, scene, painter, cache, layout)
        out[scene.id] = picture
        if on_done is not None:
            on_done(picture)
    return out


def picture_file_name(index: int, scene: Scene) -> str:
    """``01-dawn.png``: numbered in script order so a folder lists like the story."""
    return f"{index + 1:02d}-{scene.id}.png"


def save_png(image: Image.Image, path: Path) -> None:
    """Write a PNG through a temporary file, so a failure leaves no broken picture."""
    with atomic_path(path) as temp:
        image.save(temp, format="PNG")


def save_layout(layout: Sequence[Drawn], path: Path) -> None:
    """Write a picture's layout report (a JSON list, back to front) through a temporary file."""
    text = json.dumps([d.as_json() for d in layout], indent=1) + "\n"
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")


def describe_layout(layout: Sequence[Drawn], story: Story, width: int, height: int) -> str:
    """What a picture shows, in words, for alt text: its characters and where they are,
    then the other things drawn ("a small paper boat with a red sail, large, lower
    middle. Also drawn: sun, water, houses.")."""
    described = {c.id: c.description for c in story.characters}
    parts: list[str] = []
    for d in layout:
        if d.kind == "concept":
            continue
        x0, y0, x1, y1 = d.box
        share = (x1 - x0) * (y1 - y0) / max(1, width * height)
        size = "large" if share > 0.04 else "small" if share < 0.015 else "mid-sized"
        cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
        across = "left" if cx < 0.36 else "right" if cx > 0.64 else "middle"
        down = "upper" if cy < 0.4 else "lower" if cy > 0.6 else "centre"
        where = f"{down} {across}" if not (down == "centre" and across == "middle") else "centre"
        parts.append(f"{described.get(d.name, d.what)}, {size}, {where}")
    things = [d.name for d in layout if d.kind == "concept" and d.name not in ("land",)]
    text = "; ".join(parts)
    if things:
        text += (". " if text else "") + "Also drawn: " + ", ".join(things)
    return text + "." if text else ""
