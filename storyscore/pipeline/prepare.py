"""Everything per scene that does not depend on the path: pictures, features,
narration and each scene's music plan (each cached per scene).

Painting and narrating are ``Task``s, one a scene, run by an ``Executor``
(here, or on a Ray cluster with ``--ray``); the music plan is read on the
driver from all the pictures' features at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storyscore.analyse import PictureFeatures, analyse
from storyscore.audio.voices import Narration
from storyscore.cache import Cache, cache_key, code_digest, package_versions
from storyscore.errors import CacheError
from storyscore.model import Scene, Story
from storyscore.paint.base import Painter
from storyscore.pipeline.executor import LOCAL, Executor, Needs, Task
from storyscore.pipeline.mapping import SceneMusic, music_of
from storyscore.pipeline.narration import SceneNarration, Voices, scene_narration
from storyscore.pipeline.pictures import ScenePicture, painter_for, scene_picture
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


class Tools:
    """The painter and the voices of a run, each made on first use.

    Shared by every task run in one process (a model loads once); a copy sent
    to another process or machine arrives empty and makes its own.
    """

    def __init__(self) -> None:
        self._painter: Painter | None = None
        self.voices = Voices()

    def painter(self, story: Story) -> Painter:
        if self._painter is None:
            self._painter = painter_for(story)
        return self._painter

    def __reduce__(self) -> tuple[Any, ...]:
        return (Tools, ())  # models stay where they were loaded


def paint_scene(story: Story, scene: Scene, tools: Tools,
                cache: Cache) -> tuple[ScenePicture, PictureFeatures]:
    """The painting task: a scene's picture (painted, cached or the author's) and its
    features (from the cache when the picture's bytes were analysed before)."""
    painter = tools.painter(story) if scene.image is None else None
    picture = scene_picture(story, scene, painter, cache)
    return picture, picture_features(picture, cache)


def narrate_scene(story: Story, scene: Scene, tools: Tools, cache: Cache) -> SceneNarration:
    """The narration task: a scene's narration, spoken or from the cache."""
    return scene_narration(story, scene, tools.voices, cache)


def painting_needs(story: Story) -> Needs:
    """What painting one picture asks of a worker: a GPU for the diffusers painter."""
    return Needs(cpus=1, gpus=1) if story.painter.name == "diffusers" else Needs(cpus=1)


def prepare(story: Story, scenes: Sequence[Scene], cache: Cache,
            tick: Tick | None = None, executor: Executor = LOCAL,
            ready: Callable[[ScenePicture | SceneNarration], None] | None = None) -> Prepared:
    """Pictures and narration for ``scenes``; the music plan for every scene of the story.

    The music is read across the whole story (all branches), so pictures of
    scenes off ``scenes`` are painted too: a scene sounds the same whichever
    path leads to it. Each picture is analysed by the task that painted it,
    so only its features come back and no picture is held here. ``ready`` is
    given each picture and narration as it is made (the video starts encoding
    from them).
    """
    tools = Tools()
    # Narration first: it decides the scenes' lengths, so each picture painted
    # after it completes a video segment that can be encoded at once.
    narrating = [Task(narrate_scene, (story, scene, tools, cache)) for scene in scenes]
    painting = [Task(paint_scene, (story, scene, tools, cache), painting_needs(story))
                for scene in story.scenes]
    pictures: dict[int, tuple[ScenePicture, PictureFeatures]] = {}
    narrations: dict[int, SceneNarration] = {}
    tasks: list[Task[Any]] = [*narrating, *painting]
    for index, result in executor.run(tasks):
        item: ScenePicture | SceneNarration
        if index < len(narrating):
            narrations[index] = item = result
            stage = "narration"
        else:
            pictures[index - len(narrating)] = result
            item, stage = result[0], "pictures"
        if ready is not None:
            ready(item)
        if tick is not None:
            tick(stage, item.scene_id)
    # In script order whatever order the tasks finished in: the same story gives the same run.
    painted = [pictures[i] for i in range(len(painting))]
    features = {picture.scene_id: found for picture, found in painted}
    return Prepared(story, {picture.scene_id: picture for picture, _ in painted},
                    {scene.id: narrations[i] for i, scene in enumerate(scenes)},
                    features, music_of(story, features))


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
