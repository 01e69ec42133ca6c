"""The picture stage: every scene's picture, painted (cached) or loaded from a file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from storyscore.cache import Cache
from storyscore.errors import PaintError
from storyscore.files import atomic_path
from storyscore.model import Scene, Story
from storyscore.paint import PaintRequest, fitted_picture, paint_picture
from storyscore.paint.base import Painter
from storyscore.paint.registry import make_painter


@dataclass(frozen=True)
class ScenePicture:
    """A scene's picture as a PNG at the story's size (in the cache, or its scratch
    folder with ``--no-cache``); loaded only when asked, so no stage holds them all."""

    scene_id: str
    path: Path
    cache_hit: bool
    source: str  # "painted" or "file"

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
    return PaintRequest(
        prompt=story.expand_prompt(scene) or "",
        width=story.size.width,
        height=story.size.height,
        seed=story.seed,
        negative=story.negative,
    )


def scene_picture(story: Story, scene: Scene, painter: Painter | None,
                  cache: Cache) -> ScenePicture:
    """One scene's picture; a failure is reported at the scene's prompt or image."""
    try:
        if scene.image is not None:
            path, hit = fitted_picture(story.base_dir / scene.image, story.size.width,
                                       story.size.height, cache)
            return ScenePicture(scene.id, path, hit, "file")
        if painter is None:
            painter = painter_for(story)
        result = paint_picture(painter, request_for(story, scene), cache)
        return ScenePicture(scene.id, result.path, result.cache_hit, "painted")
    except PaintError as error:
        if error.span is None:
            error.span = scene.image_span if scene.image is not None else scene.prompt_span
        raise


def scene_pictures(story: Story, scenes: Sequence[Scene], cache: Cache,
                   on_done: Callable[[ScenePicture], None] | None = None
                   ) -> dict[str, ScenePicture]:
    """Pictures for ``scenes``, painted with one painter instance (models load once)."""
    painter = painter_for(story) if any(s.image is None for s in scenes) else None
    out: dict[str, ScenePicture] = {}
    for scene in scenes:
        picture = scene_picture(story, scene, painter, cache)
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
