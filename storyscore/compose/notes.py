"""The composer's own note list, before it becomes music21 objects."""

from __future__ import annotations

from dataclasses import dataclass

from storyscore.compose.theory import Chord


@dataclass(frozen=True)
class NoteEvent:
    """A note or chord of one part: offset and length in quarter notes, MIDI pitches."""

    offset: float
    length: float
    pitches: tuple[int, ...]
    velocity: int
    chord: Chord  # the harmony it sounds over (for spelling)
    tie_start: bool = False  # held into the next event (same pitches)
    tie_stop: bool = False  # continues the previous event

    @property
    def end(self) -> float:
        return self.offset + self.length


def clamp_velocity(value: float) -> int:
    return max(1, min(127, round(value)))
