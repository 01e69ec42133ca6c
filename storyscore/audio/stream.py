"""Audio walked in blocks: tracks kept on disk or in memory, read back by sample range.

Every audio stage of a long story works on blocks of bounded size, so its
memory does not grow with the story. A stage writes its output block by block
into a track and the next stage reads ranges of it back, with as much context
around each block as its filters reach. ``DiskTrack`` keeps the samples in a
raw float32 file (the page cache holds it, not the process); ``MemoryTrack``
keeps them in one array, for short audio and for the array-in, array-out API.
Both read the same numbers, so a stage gives the same samples on either.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from storyscore.errors import AudioError

BLOCK = 1 << 20
"""Frames a streaming stage handles at a time (about 22 s at 48 kHz)."""


class Track(Protocol):
    """Float32 audio of ``frames`` samples by ``channels``, written once, then read by range."""

    @property
    def frames(self) -> int: ...

    @property
    def channels(self) -> int: ...

    def append(self, block: np.ndarray) -> None: ...

    def read(self, start: int, stop: int) -> np.ndarray: ...

    def discard(self) -> None: ...


NewTrack = Callable[[int], Track]
"""Makes an empty track of so many channels: where a stage keeps what it writes."""


class MemoryTrack:
    """A track held in memory: blocks appended are joined on the first read."""

    def __init__(self, channels: int, audio: np.ndarray | None = None) -> None:
        self.channels = channels
        self._parts: list[np.ndarray] = []
        self._joined = np.zeros((0, channels), dtype=np.float32)
        if audio is not None:
            self.append(audio)

    @property
    def frames(self) -> int:
        return len(self._joined) + sum(len(part) for part in self._parts)

    def append(self, block: np.ndarray) -> None:
        """Add ``block`` (``(n, channels)``) at the end."""
        self._parts.append(np.asarray(block, dtype=np.float32).reshape(-1, self.channels))

    def array(self) -> np.ndarray:
        """All the samples as one float32 ``(frames, channels)`` array."""
        if self._parts:
            self._joined = np.concatenate([self._joined, *self._parts])
            self._parts = []
        return self._joined

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)``; silence outside the track."""
        return _padded(self.array(), start, stop, self.channels)

    def discard(self) -> None:
        """Let the samples go."""
        self._parts = []
        self._joined = np.zeros((0, self.channels), dtype=np.float32)


class DiskTrack:
    """A track in a raw float32 file at ``path`` (created empty)."""

    def __init__(self, path: Path, channels: int) -> None:
        self.path = path
        self.channels = channels
        self._frames = 0
        # The file is opened for each block, so no handle outlives a call.
        try:
            path.write_bytes(b"")
        except OSError as exc:
            raise AudioError(f"cannot write '{path}': {exc.strerror or exc}") from exc

    @classmethod
    def existing(cls, path: Path, channels: int) -> DiskTrack:
        """The track already in the raw float32 file at ``path`` (e.g. written by ffmpeg)."""
        track = cls.__new__(cls)
        track.path, track.channels = path, channels
        try:
            track._frames = path.stat().st_size // (4 * channels)
        except OSError as exc:
            raise AudioError(f"cannot read '{path}': {exc.strerror or exc}") from exc
        return track

    @property
    def frames(self) -> int:
        return self._frames

    def append(self, block: np.ndarray) -> None:
        """Add ``block`` (``(n, channels)``) at the end of the file."""
        data = np.ascontiguousarray(block, dtype="<f4").reshape(-1, self.channels)
        try:
            with self.path.open("ab") as stream:
                stream.write(data.tobytes())
        except OSError as exc:
            raise AudioError(f"cannot write '{self.path}': {exc.strerror or exc}") from exc
        self._frames += len(data)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)``; silence outside the track."""
        lo, hi = max(0, start), min(self._frames, stop)
        if hi <= lo:
            return np.zeros((max(0, stop - start), self.channels), dtype=np.float32)
        try:
            with self.path.open("rb") as stream:
                stream.seek(lo * self.channels * 4)
                raw = stream.read((hi - lo) * self.channels * 4)
        except OSError as exc:
            raise AudioError(f"cannot read '{self.path}': {exc.strerror or exc}") from exc
        inside = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(-1, self.channels)
        return _padded(inside, start - lo, stop - lo, self.channels)

    def discard(self) -> None:
        """Delete the file."""
        self.path.unlink(missing_ok=True)


def disk_tracks(folder: Path) -> NewTrack:
    """A ``NewTrack`` making numbered ``DiskTrack`` files in ``folder``."""
    counter = itertools.count()

    def new_track(channels: int) -> Track:
        return DiskTrack(folder / f"track-{next(counter)}.f32", channels)

    return new_track


def memory_tracks(channels: int) -> Track:
    """A ``NewTrack`` that keeps everything in memory."""
    return MemoryTrack(channels)


def _padded(audio: np.ndarray, start: int, stop: int, channels: int) -> np.ndarray:
    """``audio[start:stop]``, with silence where the range reaches outside it."""
    lo, hi = max(0, start), min(len(audio), stop)
    if lo == start and hi == stop:
        return audio[lo:hi]
    out = np.zeros((max(0, stop - start), channels), dtype=np.float32)
    if hi > lo:
        out[lo - start : hi - start] = audio[lo:hi]
    return out


def spans(frames: int, block: int = BLOCK) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive blocks of at most ``block`` frames covering ``frames``."""
    if block <= 0:
        raise AudioError(f"a block holds at least one frame, not {block}")
    for start in range(0, frames, block):
        yield start, min(frames, start + block)


def overlap_add(chunks: Iterable[tuple[int, np.ndarray]], channels: int) -> Iterator[np.ndarray]:
    """Consecutive blocks of the sum of ``chunks``: ``(offset, audio)`` pairs in order of offset.

    A chunk may overlap the ones before it (a window's release tail rings
    into the next); each block is yielded once no later chunk can reach it,
    so only the overlapping part is held. The blocks cover everything from 0
    to the end of the chunk that ends last. A chunk's array may be taken over
    and changed (the sum is the same either way: float addition commutes).
    """
    pending = np.zeros((0, channels), dtype=np.float32)
    base = 0  # the sample at which ``pending`` starts
    for offset, audio in chunks:
        if offset < base:
            raise AudioError(f"audio chunks must come in order, not at {offset} after {base}")
        if offset > base:
            final = pending[: offset - base]
            if len(final) < offset - base:
                final = np.concatenate(
                    [final, np.zeros((offset - base - len(final), channels), dtype=np.float32)])
            yield final
            pending, base = pending[offset - base :], offset
        if len(audio) >= len(pending):
            # The chunk becomes the buffer (no copy): what is still pending rings into it.
            audio = np.asarray(audio, dtype=np.float32)
            audio[: len(pending)] += pending
            pending = audio
        else:
            pending[: len(audio)] += audio
    if len(pending):
        yield pending
