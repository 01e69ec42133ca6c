"""The narration stage: each scene's narration spoken by its voice, cached per scene.

A scene's audio and its sentence and word timings are cached together under a
key of the voice, its version, the speed and the text, so editing one scene's
narration speaks only that scene again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyscore.audio.voices import Narration, SentenceTiming, Voice, WordTiming, make_voice
from storyscore.cache import Cache, cache_key
from storyscore.errors import AudioError
from storyscore.model import Scene, Story

NARRATION_STAGE = "narration"
NARRATION_STAGE_VERSION = "1"


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


def narration_key(voice: Voice, speed: float, text: str) -> str:
    return cache_key(NARRATION_STAGE, NARRATION_STAGE_VERSION, {
        "voice": voice.name, "voice_version": voice.version, "speed": speed, "text": text,
    })


def _save(narration: Narration, path: Path) -> None:
    timings = [
        {"text": s.text, "start": s.start, "end": s.end,
         "words": [[w.text, w.start, w.end] for w in s.words]}
        for s in narration.sentences
    ]
    with path.open("wb") as handle:
        np.savez(handle, samples=narration.samples.astype(np.float32),
                 sample_rate=np.int64(narration.sample_rate),
                 timings=np.array(json.dumps(timings)))


def _load(path: Path) -> Narration:
    with np.load(path, allow_pickle=False) as data:
        timings = json.loads(str(data["timings"]))
        sentences = tuple(
            SentenceTiming(s["text"], s["start"], s["end"],
                           tuple(WordTiming(w[0], w[1], w[2]) for w in s["words"]))
            for s in timings
        )
        return Narration(data["samples"].astype(np.float32), int(data["sample_rate"]),
                         sentences)


def _readable(path: Path) -> bool:
    try:
        _load(path)
    except (OSError, ValueError, KeyError):
        return False
    return True


def scene_narration(story: Story, scene: Scene, voices: Voices, cache: Cache) -> SceneNarration:
    """The scene's narration, spoken or from the cache; errors point at the narration."""
    voice_setting = story.voice_of(scene)
    span = scene.narration[0].span if scene.narration else scene.id_span
    try:
        voice = voices.get(voice_setting.name)
        text = scene.narration_text
        key = narration_key(voice, voice_setting.speed, text)
        spoken: list[Narration] = []

        def build(path: Path) -> None:
            narration = voice.speak(text, voice_setting.speed)
            _save(narration, path)
            spoken.append(narration)

        path, hit = cache.get_or_create(NARRATION_STAGE, key, ".npz", build, _readable)
        narration = spoken[-1] if spoken else _load(path)
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
