"""Everything per scene that does not depend on the path: pictures, features,
narration and each scene's music plan (each cached per scene)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from storyscore.analyse import PictureFeatures, analyse
from storyscore.audio.voices import Narration
from storyscore.cache import Cache
from storyscore.model import Scene, Story
from storyscore.pipeline.mapping import SceneMusic, music_of
from storyscore.pipeline.narration import SceneNarration, scene_narrations
from storyscore.pipeline.pictures import ScenePicture, scene_pictures
from storyscore.progress import NARRATING, PAINTING, Progress, Stage

Tick = Callable[[str, str], None]  # (stage, scene id) after each unit of work


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
            tick: Tick | None = None,
            ready: Callable[[ScenePicture | SceneNarration], None] | None = None) -> Prepared:
    """Pictures and narration for ``scenes``; the music plan for every scene of the story.

    The music is read across the whole story (all branches), so pictures of
    scenes off ``scenes`` are painted too: a scene sounds the same whichever
    path leads to it. ``ready`` is given each picture and narration as it is
    made (the video starts encoding from them).
    """
    def done(stage: str) -> Callable[[ScenePicture | SceneNarration], None]:
        def report(item: ScenePicture | SceneNarration) -> None:
            if ready is not None:
                ready(item)
            if tick is not None:
                tick(stage, item.scene_id)
        return report

    features: dict[str, PictureFeatures] = {}

    def painted(picture: ScenePicture) -> None:
        # Analysed as soon as it exists: one picture in memory at a time.
        features[picture.scene_id] = analyse(picture.image)
        done("pictures")(picture)

    # Narration first: it decides the scenes' lengths, so each picture painted
    # after it completes a video segment that can be encoded at once.
    narrations = scene_narrations(story, scenes, cache, on_done=done("narration"))
    pictures = scene_pictures(story, story.scenes, cache, on_done=painted)
    return Prepared(story, pictures, narrations, features, music_of(story, features))


def progress_tick(on_progress: Progress | None, story: Story, scenes: Sequence[Scene]) -> Tick:
    """A ``tick`` for ``prepare`` that reports its painting and narrating to ``on_progress``."""
    stages = {"pictures": Stage(on_progress, PAINTING, len(story.scenes)),
              "narration": Stage(on_progress, NARRATING, len(scenes))}
    return lambda stage, item: stages[stage].advance(item)
