"""Narration cached by content: a voice's audio and its timings, stored together.

The key holds the voice, its version, the speed and the text, so a changed
sentence is spoken again and nothing else is.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from storyscore.audio.voices.base import Narration, SentenceTiming, Voice, WordTiming
from storyscore.cache import Cache, cache_key

NARRATION_STAGE = "narration"
NARRATION_STAGE_VERSION = "1"


def speak_cached(voice: Voice, text: str, speed: float, cache: Cache) -> tuple[Narration, bool]:
    """``voice.speak(text, speed)``, or its stored result; and whether it was stored."""
    spoken: list[Narration] = []

    def build(path: Path) -> None:
        narration = voice.speak(text, speed)
        _save(narration, path)
        spoken.append(narration)

    key = narration_key(voice, speed, text)
    path, hit = cache.get_or_create(NARRATION_STAGE, key, ".npz", build, _readable)
    return (spoken[-1] if spoken else _load(path)), hit


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
