"""Narration cached by content: a voice's audio and its timings, stored together.

The key holds the voice, its version, the speed and the text, so a changed
sentence is spoken again and nothing else is. What comes back is a
``StoredNarration``: the timings in memory, the samples left in the file and
read each time they are used, so a story's narration (200 MB an hour) is not
held for the whole render.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from storyscore.audio.voices.base import Narration, SentenceTiming, Voice, WordTiming
from storyscore.cache import Cache, cache_key
from storyscore.errors import CacheError

NARRATION_STAGE = "narration"
NARRATION_STAGE_VERSION = "1"


class StoredNarration(Narration):
    """A narration kept in its cache file: the timings and the length in memory, the
    samples read from the file whenever they are asked for (``samples`` or ``read``).

    The mixer reads each scene's samples when its blocks reach the scene
    (``PlacedNarration`` takes this as its sample source).
    """

    path: Path
    frames: int

    def __init__(self, path: Path, sample_rate: int, sentences: tuple[SentenceTiming, ...],
                 frames: int) -> None:
        # Narration is a frozen dataclass; its fields are set as its own __init__ would.
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "sample_rate", sample_rate)
        object.__setattr__(self, "sentences", sentences)
        object.__setattr__(self, "frames", frames)

    @property
    def samples(self) -> np.ndarray:
        return self.read()

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    def read(self) -> np.ndarray:
        """The samples, float32 mono, read from the file."""
        try:
            with np.load(self.path, allow_pickle=False) as data:
                samples = np.asarray(data["samples"], dtype=np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise CacheError(f"the narration stored in {self.path} can no longer be read "
                             f"({exc}); run again to speak it anew") from exc
        if len(samples) != self.frames:
            raise CacheError(f"the narration stored in {self.path} changed while in use")
        return samples

    def __repr__(self) -> str:
        return f"StoredNarration({str(self.path)!r}, {self.frames} frames)"


def speak_cached(voice: Voice, text: str, speed: float,
                 cache: Cache) -> tuple[StoredNarration, bool]:
    """``voice.speak(text, speed)``, or its stored result; and whether it was stored.

    Either way the narration comes back as a ``StoredNarration`` of the cache
    file, holding no samples.
    """
    spoken: list[Narration] = []

    def build(path: Path) -> None:
        narration = voice.speak(text, speed)
        _save(narration, path)
        spoken.append(narration)

    key = narration_key(voice, speed, text)
    path, hit = cache.get_or_create(NARRATION_STAGE, key, ".npz", build, _readable)
    if spoken:
        made = spoken[-1]
        return StoredNarration(path, made.sample_rate, made.sentences, len(made.samples)), hit
    return _stored(path), hit


def narration_key(voice: Voice, speed: float, text: str) -> str:
    return cache_key(NARRATION_STAGE, NARRATION_STAGE_VERSION, {
        "voice": voice.name, "voice_version": voice.version, "speed": speed, "text": text,
    })


def store_narration(narration: Narration, path: Path) -> StoredNarration:
    """Write ``narration`` to ``path`` as the cache stores it; the narration that reads it."""
    _save(narration, path)
    return StoredNarration(path, narration.sample_rate, narration.sentences,
                           len(narration.samples))


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
        return Narration(data["samples"].astype(np.float32), int(data["sample_rate"]),
                         _sentences(json.loads(str(data["timings"]))))


def _stored(path: Path) -> StoredNarration:
    """The narration in ``path`` with its samples left in the file (only the header of
    the sample array is read, for its length)."""
    with np.load(path, allow_pickle=False) as data:
        timings = json.loads(str(data["timings"]))
        rate = int(data["sample_rate"])
    with zipfile.ZipFile(path) as archive, archive.open("samples.npy") as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, _ = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, _, _ = np.lib.format.read_array_header_2_0(stream)
    return StoredNarration(path, rate, _sentences(timings), int(shape[0]))


def _sentences(timings: list[dict[str, Any]]) -> tuple[SentenceTiming, ...]:
    """The sentence and word timings as stored (JSON)."""
    return tuple(
        SentenceTiming(s["text"], s["start"], s["end"],
                       tuple(WordTiming(w[0], w[1], w[2]) for w in s["words"]))
        for s in timings
    )


def _readable(path: Path) -> bool:
    try:
        _load(path)
    except (OSError, ValueError, KeyError):
        return False
    return True
