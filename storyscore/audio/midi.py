"""Standard MIDI files as lists of absolute-time events, for the passes that rewrite them.

The synthesis passes (humanising the playing, splitting instrument families
for the room) move and filter events; they read a file into tracks of
``(tick, message)`` pairs, work on those, and write them back.
"""

from __future__ import annotations

import bisect
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storyscore.errors import AudioError

if TYPE_CHECKING:
    from storyscore.diagnostics import SourceSpan

Event = tuple[int, Any]
"""A MIDI message (``mido.Message`` or ``MetaMessage``) at an absolute tick."""

_INSTALL_HINT = "install the audio extra: pip install midirenderer mido pretty-midi"
_DEFAULT_TEMPO = 500_000  # microseconds per beat: MIDI's 120 bpm when no tempo is set


def load_mido() -> Any:
    """The mido module; ``AudioError`` with the install command when it is missing."""
    try:
        import mido  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise AudioError("music synthesis needs mido", hint=_INSTALL_HINT) from exc
    return mido


@dataclass
class Song:
    """A MIDI file's ticks per beat and its tracks as absolute-time events."""

    ticks_per_beat: int
    tracks: list[list[Event]]

    @classmethod
    def read(cls, data: bytes, span: SourceSpan | None = None) -> Song:
        """Parse a type-0 or type-1 Standard MIDI File; ``AudioError`` if it is not one."""
        mido = load_mido()
        try:
            song = mido.MidiFile(file=io.BytesIO(data))
        except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise AudioError(f"not a readable MIDI file: {exc}", span) from exc
        if song.type == 2:
            raise AudioError("MIDI files of type 2 (independent songs) cannot be rendered", span)
        tracks = []
        for track in song.tracks:
            now, events = 0, []
            for message in track:
                now += message.time
                events.append((now, message))
            tracks.append(events)
        return cls(song.ticks_per_beat, tracks)

    def write(self) -> bytes:
        """The song as a type-1 Standard MIDI File (events sorted stably by tick).

        A track's end-of-track stays its last event, moved later if events
        were moved past it (a synthesiser ignores what comes after it).
        """
        mido = load_mido()
        song = mido.MidiFile(type=1, ticks_per_beat=self.ticks_per_beat)
        for events in self.tracks:
            body = sorted((event for event in events if event[1].type != "end_of_track"),
                          key=lambda event: event[0])
            ends = [tick for tick, message in events if message.type == "end_of_track"]
            if ends:
                last = max([*ends, *(tick for tick, _ in body[-1:])])
                body.append((last, mido.MetaMessage("end_of_track")))
            track = mido.MidiTrack()
            now = 0
            for tick, message in body:
                track.append(message.copy(time=tick - now))
                now = tick
            song.tracks.append(track)
        out = io.BytesIO()
        song.save(file=out)
        return out.getvalue()

    def end(self) -> int:
        """The tick of the last event in any track."""
        return max((events[-1][0] for events in self.tracks if events), default=0)

    def meta(self, kind: str) -> list[Event]:
        """Every meta message of ``kind`` (e.g. ``set_tempo``) in tick order."""
        found = [(tick, message) for events in self.tracks for tick, message in events
                 if message.type == kind]
        return sorted(found, key=lambda event: event[0])


class TempoMap:
    """Converts between ticks and seconds through a song's tempo changes."""

    def __init__(self, song: Song) -> None:
        self.ticks_per_beat: int = song.ticks_per_beat
        changes: list[tuple[int, int]] = [(tick, int(message.tempo))
                                          for tick, message in song.meta("set_tempo")]
        if not changes or changes[0][0] > 0:
            changes.insert(0, (0, _DEFAULT_TEMPO))
        self._ticks = [tick for tick, _ in changes]
        self._tempos = [tempo for _, tempo in changes]
        self._seconds = [0.0]
        for (tick, tempo), (next_tick, _) in itertools.pairwise(changes):
            self._seconds.append(self._seconds[-1] + self._span(next_tick - tick, tempo))

    def _span(self, ticks: float, tempo: int) -> float:
        return ticks * tempo / 1e6 / self.ticks_per_beat

    def seconds(self, tick: float) -> float:
        """The time of ``tick`` in seconds from the start."""
        index = max(0, bisect.bisect_right(self._ticks, tick) - 1)
        return self._seconds[index] + self._span(tick - self._ticks[index], self._tempos[index])

    def ticks(self, seconds: float) -> float:
        """The (fractional) tick at ``seconds`` from the start."""
        index = max(0, bisect.bisect_right(self._seconds, seconds) - 1)
        per_second = self.ticks_per_beat * 1e6 / self._tempos[index]
        return self._ticks[index] + (seconds - self._seconds[index]) * per_second

    def ticks_per_second(self, tick: float) -> float:
        """How many ticks pass in a second at ``tick``."""
        index = max(0, bisect.bisect_right(self._ticks, tick) - 1)
        return self.ticks_per_beat * 1e6 / self._tempos[index]


def bar_lines(song: Song) -> list[tuple[int, int]]:
    """``(tick, ticks per beat)`` of every bar's downbeat up to the song's end.

    Bars follow the song's time signatures (4/4 when it has none); the beat
    is the signature's denominator note.
    """
    signatures = [(tick, message.numerator, message.denominator)
                  for tick, message in song.meta("time_signature")]
    if not signatures or signatures[0][0] > 0:
        signatures.insert(0, (0, 4, 4))
    end = song.end()
    bars: list[tuple[int, int]] = []
    for index, (start, numerator, denominator) in enumerate(signatures):
        stop = signatures[index + 1][0] if index + 1 < len(signatures) else end + 1
        beat = song.ticks_per_beat * 4 // denominator
        tick = start
        while tick < stop:
            bars.append((tick, beat))
            tick += numerator * beat
    return bars


def is_note_on(message: Any) -> bool:
    return bool(message.type == "note_on" and message.velocity > 0)


def is_note_off(message: Any) -> bool:
    return bool(message.type == "note_off"
                or (message.type == "note_on" and message.velocity == 0))


def programs_at(events: Iterable[Event]) -> list[tuple[int, int, int]]:
    """``(tick, channel, program)`` of each program change among ``events``."""
    return [(tick, message.channel, message.program) for tick, message in events
            if message.type == "program_change"]


def notes(events: Sequence[Event]) -> list[tuple[int, int]]:
    """Index pairs ``(note_on, note_off)`` of the notes in one track's ``events``.

    A note-off closes the earliest open note of its channel and pitch; a note
    never closed is left out.
    """
    open_notes: dict[tuple[int, int], list[int]] = {}
    pairs = []
    for index, (_, message) in enumerate(events):
        if is_note_on(message):
            open_notes.setdefault((message.channel, message.note), []).append(index)
        elif is_note_off(message):
            started = open_notes.get((message.channel, message.note))
            if started:
                pairs.append((started.pop(0), index))
    return sorted(pairs)
