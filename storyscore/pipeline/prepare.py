"""Everything per scene that does not depend on the path: pictures, features,
narration and each scene's music plan (each cached per scene)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from storyscore.analyse import PictureFeatures, analyse
from storyscore.audio.voices import Narration
from storyscore.cache import Cache, cache_key, code_digest, package_versions
from storyscore.errors import CacheError
from storyscore.model import Scene, Story
from storyscore.pipeline.mapping import SceneMusic, music_of
from storyscore.pipeline.narration import SceneNarration, scene_narrations
from storyscore.pipeline.pictures import ScenePicture, scene_pictures
from storyscore.progress import NARRATING, PAINTING, Progress, Stage

Tick = Callable[[str, str], None]  # (stage, scene id) after each unit of work

FEATURES_STAGE = "features"
FEATURES_STAGE_VERSION = "1"


@dataclass(frozen=True)
class Prepared:
    """Everything per scene that does not depend on the path taken."""

    story: Story
    pictures: dict[str, ScenePicture]
    narrations: dict[str, SceneNarration]
    features: dict[str, PictureFeatures]
    music: dict[str, SceneMusic]

    def narration(self, scene_id: str) -> Narration:
        return self.narrations[scene_id].narration


def prepare(story: Story, scenes: Sequence[Scene], cache: Cache,
            tick: Tick | None = None) -> Prepared:
    """Pictures and narration for ``scenes``; the music plan for every scene of the story.

    The music is read across the whole story (all branches), so pictures of
    scenes off ``scenes`` are painted too: a scene sounds the same whichever
    path leads to it.
    """
    def done(stage: str) -> Callable[[ScenePicture | SceneNarration], None]:
        return lambda item: tick(stage, item.scene_id) if tick is not None else None

    features: dict[str, PictureFeatures] = {}

    def painted(picture: ScenePicture) -> None:
        # Analysed as soon as it exists: one picture in memory at a time.
        features[picture.scene_id] = picture_features(picture, cache)
        done("pictures")(picture)

    pictures = scene_pictures(story, story.scenes, cache, on_done=painted)
    narrations = scene_narrations(story, scenes, cache, on_done=done("narration"))
    return Prepared(story, pictures, narrations, features, music_of(story, features))


def picture_features(picture: ScenePicture, cache: Cache) -> PictureFeatures:
    """``analyse`` of a scene's picture, kept in the cache by the picture's bytes.

    Always read back from the stored JSON, so a first render and a cached one
    plan their music from exactly the same numbers.
    """
    read: list[PictureFeatures] = []

    def build(target: Path) -> None:
        target.write_text(json.dumps(analyse(picture.image).to_dict()), encoding="utf-8")

    def readable(target: Path) -> bool:
        try:
            read.append(PictureFeatures.from_dict(json.loads(target.read_text("utf-8"))))
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return False
        return True

    key = cache_key(FEATURES_STAGE, FEATURES_STAGE_VERSION, {
        "picture": hashlib.sha256(picture.path.read_bytes()).hexdigest(),
        "code": code_digest("storyscore.analyse"),
        "libraries": package_versions("numpy", "pillow"),
    })
    path, hit = cache.get_or_create(FEATURES_STAGE, key, ".json", build, readable)
    if not hit and not readable(path):
        raise CacheError(f"the picture features just written to {path} do not read back")
    return read[-1]


def progress_tick(on_progress: Progress | None, story: Story, scenes: Sequence[Scene]) -> Tick:
    """A ``tick`` for ``prepare`` that reports its painting and narrating to ``on_progress``."""
    stages = {"pictures": Stage(on_progress, PAINTING, len(story.scenes)),
              "narration": Stage(on_progress, NARRATING, len(scenes))}
    return lambda stage, item: stages[stage].advance(item)
