"""What an author wants to know about each scene while writing: its length and
its music, for the language server's hover and the live preview's side panel."""

from __future__ import annotations

from dataclasses import dataclass

from storyscore.analyse import PictureFeatures
from storyscore.cache import Cache
from storyscore.model import Scene, Story
from storyscore.pipeline.mapping import SceneMusic, story_music
from storyscore.pipeline.pictures import ScenePicture, scene_pictures
from storyscore.timeline import SceneTime, timeline


@dataclass(frozen=True)
class MusicPlan:
    """Every scene's picture, the features read from it and the music derived from them."""

    pictures: dict[str, ScenePicture]
    features: dict[str, PictureFeatures]
    music: dict[str, SceneMusic]


def scene_times(story: Story) -> dict[str, SceneTime]:
    """Each scene's estimated length, as ``check``'s outline gives it."""
    return {time.scene.id: time for time in timeline(story, list(story.scenes))}


def plan_is_cheap(story: Story) -> bool:
    """Whether the plan can be made in moments: no scene needs a neural painter."""
    return story.painter.name == "procedural" or all(s.image is not None for s in story.scenes)


def music_plan(story: Story, cache: Cache) -> MusicPlan:
    """Paint (through the cache), analyse and sonify every scene of the story."""
    pictures = scene_pictures(story, story.scenes, cache)
    features, music = story_music(story, {k: v.image for k, v in pictures.items()})
    return MusicPlan(pictures, features, music)


def describe_length(time: SceneTime) -> str:
    """``6.0s``, ``~4.2s auto`` or ``~9.1s (lengthened from 6s)``, as the outline writes it."""
    scene = time.scene
    if scene.duration is None:
        guess = "~" if time.estimated and time.speech else ""
        return f"{guess}{time.duration:.1f}s auto"
    if time.lengthened:
        return f"~{time.duration:.1f}s (lengthened from {scene.duration:g}s)"
    return f"{time.duration:.1f}s"


def describe_music(music: SceneMusic) -> str:
    """One line: key, tempo, melody and accompaniment, texture (as ``explain`` heads a scene)."""
    if music.silent:
        return "silent"
    return (f"{music.key_name}, {music.tempo:g} BPM, {music.melody} with {music.accompaniment}"
            + (f" and {music.bass}" if music.bass else "") + f", {music.texture} texture"
            + (f", volume {music.volume:g}" if music.volume != 1 else ""))


def describe_settings(story: Story, scene: Scene) -> str | None:
    """The music the author asked for in the script (scene over story), if any."""
    settings = story.music_of(scene)
    parts = []
    if settings.key is not None:
        parts.append(f"key {settings.key}")
    if settings.tempo is not None:
        parts.append(f"tempo {settings.tempo:g}")
    if settings.mood is not None:
        parts.append(f"mood {settings.mood}")
    if settings.instruments:
        parts.append("instrument " + "+".join(settings.instruments))
    if settings.volume is not None:
        parts.append(f"volume {settings.volume:g}")
    if settings.silent:
        parts.append("silent")
    return ", ".join(parts) if parts else None


def describe_features(features: PictureFeatures, music: SceneMusic) -> list[str]:
    """The picture evidence behind a scene's music, as ``explain`` lists it."""
    f, m = features, music
    return [f"colour and shape: L* {f.lightness_mean:.0f}, chroma {f.chroma_mean:.0f}, "
            f"a* {f.a_mean:+.0f}, b* {f.b_mean:+.0f}, warmth {f.warmth:+.2f}, "
            f"edges {f.edge_density:.2f}, texture {f.texture_fineness:.2f}, "
            f"angularity {f.angularity:.2f}, complexity {f.complexity:.2f}",
            f"emotion: valence {m.valence:+.2f}, arousal {m.arousal:+.2f}, "
            f"tension {m.tension:.2f}"]
