"""The narration stage: each scene's narration spoken by its voice, cached per
scene (by ``audio.voices.speak_cached``), so editing one scene's narration
speaks only that scene again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from storyscore.audio.voices import Narration, Voice, make_voice, speak_cached
from storyscore.cache import Cache
from storyscore.errors import AudioError
from storyscore.model import Scene, Story


@dataclass(frozen=True)
class SceneNarration:
    scene_id: str
    narration: Narration
    cache_hit: bool


class Voices:
    """Voices by name, each built once (loading a neural voice takes a second)."""

    def __init__(self) -> None:
        self._voices: dict[str, Voice] = {}

    def get(self, name: str) -> Voice:
        if name not in self._voices:
            self._voices[name] = make_voice(name)
        return self._voices[name]


def scene_narration(story: Story, scene: Scene, voices: Voices, cache: Cache) -> SceneNarration:
    """The scene's narration, spoken or from the cache; errors point at the narration."""
    voice_setting = story.voice_of(scene)
    span = scene.narration[0].span if scene.narration else scene.id_span
    try:
        voice = voices.get(voice_setting.name)
        narration, hit = speak_cached(voice, scene.narration_text, voice_setting.speed, cache)
        return SceneNarration(scene.id, narration, hit)
    except AudioError as error:
        if error.span is None:
            error.span = voice_setting.span if voice_setting.span.line else span
            if "unknown voice" not in error.message:
                error.span = span
                error.message = f"scene '{scene.id}': {error.message}"
        raise


def scene_narrations(story: Story, scenes: Sequence[Scene], cache: Cache,
                     on_done: Callable[[SceneNarration], None] | None = None
                     ) -> dict[str, SceneNarration]:
    voices = Voices()
    out: dict[str, SceneNarration] = {}
    for scene in scenes:
        result = scene_narration(story, scene, voices, cache)
        out[scene.id] = result
        if on_done is not None:
            on_done(result)
    return out
