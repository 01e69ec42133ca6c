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
    articulation: str = ""  # "staccato", "tenuto", "accent" or "staccato+accent"
    written: float | None = None  # notated length when staccato shortens the sounding one
    dynamic: str = ""  # a dynamic mark ("pp".."ff") starting at this event
    slur: int = 0  # phrase id: events with the same non-zero id share one slur

    @property
    def end(self) -> float:
        return self.offset + self.length


def clamp_velocity(value: float) -> int:
    return max(1, min(127, round(value)))


_DYNAMICS = ((45, "pp"), (58, "p"), (70, "mp"), (82, "mf"), (96, "f"))


def dynamic_mark(velocity: float) -> str:
    """The printed dynamic for a MIDI velocity (pp below 45 .. ff from 96 up)."""
    for ceiling, mark in _DYNAMICS:
        if velocity < ceiling:
            return mark
    return "ff"
