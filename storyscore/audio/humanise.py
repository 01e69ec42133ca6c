"""Players who breathe: the score's MIDI played with a person's small freedoms.

A pass over the MIDI before synthesis, seeded by the story so the same story
always plays the same way:

- **timing**: each onset moves by a few milliseconds, least on bar
  downbeats, more on other beats, most off the beat; the onsets at scene
  boundaries (and the very first) stay exactly where the score puts them,
  because the pictures change there;
- **dynamics**: within a phrase the velocity rises towards a peak about two
  thirds of the way through and relaxes at the close;
- **phrase ends**: the last notes of a phrase are held a little longer;
- **pedal**: piano and harp get a sustain pedal (CC64), changed on each beat
  that brings new notes (lifted at the change, pressed just after) and lifted
  at each phrase end.

Phrases are read from the notes themselves: a rest of a beat or more, a
scene boundary, or four bars end one.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storyscore.audio.midi import (
    Event,
    Song,
    TempoMap,
    bar_lines,
    is_note_off,
    is_note_on,
    load_mido,
    notes,
)

PEDAL_PROGRAMS = frozenset({*range(8), 46})
"""General MIDI programs played with a sustain pedal: the pianos and the harp."""

SUSTAIN = 64  # the sustain pedal's controller number
_FREEDOMS = ("onset", "spread", "velocity")  # each drawn from a stream of its own


@dataclass(frozen=True)
class Feel:
    """How freely the players play.

    ``timing_ms`` is the standard deviation of the onset offsets on a bar's
    downbeat, on another beat and off the beat; no offset exceeds
    ``max_ms``. ``chord_spread_ms`` spreads the notes of a chord. Velocities
    follow an arch of ``arch`` (a share of the velocity, peak to ends) plus a
    random ``velocity_jitter`` (standard deviation, in velocity steps). The
    last notes of a phrase last ``phrase_end_stretch`` longer; a phrase is at
    most ``phrase_bars`` bars. The pedal goes down ``pedal_delay_ms`` after a
    change.
    """

    timing_ms: tuple[float, float, float] = (2.0, 4.0, 6.0)
    max_ms: float = 15.0
    chord_spread_ms: float = 1.5
    arch: float = 0.14
    velocity_jitter: float = 2.0
    phrase_end_stretch: float = 0.15
    phrase_bars: int = 4
    pedal_delay_ms: float = 60.0
    pedal_programs: frozenset[int] = field(default=PEDAL_PROGRAMS)


@dataclass
class _Note:
    on: int  # index of the note-on event in its track
    off: int
    start: int  # written ticks
    end: int
    channel: int
    pitch: int
    velocity: int
    program: int
    new_start: float = 0.0
    new_end: float = 0.0
    new_velocity: int = 0


def humanise(midi: bytes, seed: int, boundaries: Sequence[float] = (),
             feel: Feel | None = None) -> bytes:
    """``midi`` as played by people; ``boundaries`` are the scene changes in seconds.

    Deterministic: the same ``midi``, ``seed`` and ``boundaries`` give the
    same bytes. Each track draws from its own random streams, so the players
    do not move in lockstep, and from fresh ones in each scene (``_Draws``), so
    a scene whose notes are unchanged is played the same whatever changed
    before it: an edit moves only the edited scene's events, and the music's
    other windows are found in the cache.
    """
    feel = feel or Feel()
    song = Song.read(midi)
    tempo = TempoMap(song)
    grid = _Grid(song, tempo, boundaries)
    tracks = []
    for index, events in enumerate(song.tracks):
        tracks.append(_play_track(events, _Draws(seed, index, grid), grid, tempo, feel))
    return Song(song.ticks_per_beat, tracks).write()


class _Grid:
    """Where each tick falls: bar downbeat, beat or off the beat; and the scene boundaries."""

    def __init__(self, song: Song, tempo: TempoMap, boundaries: Sequence[float]) -> None:
        bars = bar_lines(song)
        self.bar_ticks = [tick for tick, _ in bars]
        self.beats = [beat for _, beat in bars]
        # Scene starts are on downbeats; rounding seconds to ticks may miss by a tick or two.
        self.tolerance = max(1, song.ticks_per_beat // 64)
        self.boundaries = sorted(round(tempo.ticks(second)) for second in boundaries)

    def _bar(self, tick: int) -> int:
        """The index of the bar that ``tick`` falls in (there is always one)."""
        return max(0, bisect.bisect_right(self.bar_ticks, tick) - 1)

    def level(self, tick: int) -> int:
        """0 on a bar's downbeat, 1 on another beat, 2 off the beat."""
        bar = self._bar(tick)
        into = tick - self.bar_ticks[bar]
        if into == 0:
            return 0
        return 1 if into % self.beats[bar] == 0 else 2

    def beat_ticks(self, tick: int) -> int:
        """The length of a beat, in ticks, at ``tick``."""
        return self.beats[self._bar(tick)]

    def bar_length(self, tick: int) -> int:
        """The length, in ticks, of the bar that ``tick`` falls in."""
        bar = self._bar(tick)
        if bar < len(self.bar_ticks) - 1:
            return self.bar_ticks[bar + 1] - self.bar_ticks[bar]
        return 4 * self.beats[bar]

    def at_boundary(self, tick: int) -> bool:
        index = bisect.bisect_left(self.boundaries, tick - self.tolerance)
        return index < len(self.boundaries) and self.boundaries[index] <= tick + self.tolerance

    def scene(self, tick: int) -> int:
        """The index of the scene that ``tick`` falls in (an onset on a boundary, give or
        take the tolerance, starts the new scene)."""
        return bisect.bisect_right(self.boundaries, tick + self.tolerance)

    def crosses_boundary(self, start: int, end: int) -> bool:
        """Whether a scene boundary lies in ``(start, end]``."""
        index = bisect.bisect_right(self.boundaries, start + self.tolerance)
        return index < len(self.boundaries) and self.boundaries[index] <= end + self.tolerance


class _Draws:
    """A track's random streams: one for each scene and each kind of freedom (onsets,
    chord spreads, velocities), seeded by the story's seed, the track and the scene's
    place, so what a scene draws depends on nothing before it."""

    def __init__(self, seed: int, track: int, grid: _Grid) -> None:
        self._seed, self._track, self._grid = seed & 0xFFFFFFFF, track, grid
        self._streams: dict[tuple[int, str], np.random.Generator] = {}

    def at(self, tick: int, kind: str) -> np.random.Generator:
        """The stream of ``kind`` for the scene that the written ``tick`` falls in."""
        scene = self._grid.scene(tick)
        stream = self._streams.get((scene, kind))
        if stream is None:
            stream = np.random.default_rng(
                [self._seed, self._track, scene, _FREEDOMS.index(kind), 0x6875])
            self._streams[scene, kind] = stream
        return stream


def _play_track(events: list[Event], draws: _Draws, grid: _Grid, tempo: TempoMap,
                feel: Feel) -> list[Event]:
    """One track's events with its notes humanised and its pedal added."""
    played = _read_notes(events)
    if not played:
        return events
    onsets = sorted({note.start for note in played})
    phrases = _phrases(played, onsets, grid, feel)
    _move_onsets(played, onsets, draws, grid, tempo, feel)
    _shape_velocities(played, phrases, draws, feel)
    _stretch_phrase_ends(played, phrases, onsets, feel)
    _keep_notes_apart(played)
    return _reassemble(events, played, _pedal(played, phrases, grid, tempo, feel))


def _reassemble(events: list[Event], played: list[_Note], pedal: list[Event]) -> list[Event]:
    """The track's events with its notes moved and revoiced, and the pedal added."""
    moved: dict[int, tuple[float, Any]] = {}
    for note in played:
        moved[note.on] = (note.new_start, events[note.on][1].copy(velocity=note.new_velocity))
        moved[note.off] = (note.new_end, events[note.off][1])
    out: list[tuple[float, int, Any]] = []  # (tick, order within a tick, message)
    for index, (tick, message) in enumerate(events):
        new_tick, new_message = moved.get(index, (float(tick), message))
        # Within a tick: pedal changes, then note-offs, then the rest, so notes restart cleanly.
        out.append((new_tick, 0 if is_note_off(message) else 1, new_message))
    out += [(tick, -1, message) for tick, message in pedal]
    out.sort(key=lambda item: (round(item[0]), item[1]))
    return [(round(tick), message) for tick, _, message in out]


def _read_notes(events: list[Event]) -> list[_Note]:
    """The track's notes, each with the program its channel had when it started."""
    program: dict[int, int] = {}
    program_at: dict[int, int] = {}
    for index, (_, message) in enumerate(events):
        if message.type == "program_change":
            program[message.channel] = message.program
        elif is_note_on(message):
            program_at[index] = program.get(message.channel, 0)
    played = []
    for on, off in notes(events):
        start, message = events[on]
        played.append(_Note(on, off, start, events[off][0], message.channel, message.note,
                            message.velocity, program_at[on]))
    return played


def _phrases(played: list[_Note], onsets: list[int], grid: _Grid,
             feel: Feel) -> list[tuple[int, int]]:
    """``(first onset, last onset)`` of each phrase: split at rests, boundaries, long spans."""
    end_by_onset: dict[int, int] = {}
    for note in played:
        end_by_onset[note.start] = max(end_by_onset.get(note.start, 0), note.end)
    phrases = []
    first = onsets[0]
    sounding_until = end_by_onset[first]
    previous = first
    for onset in onsets[1:]:
        rest = onset - sounding_until >= grid.beat_ticks(onset)
        too_long = onset - first >= feel.phrase_bars * grid.bar_length(first)
        if rest or too_long or grid.crosses_boundary(previous, onset):
            phrases.append((first, previous))
            first = onset
            sounding_until = 0
        sounding_until = max(sounding_until, end_by_onset[onset])
        previous = onset
    phrases.append((first, previous))
    return phrases


def _move_onsets(played: list[_Note], onsets: list[int], draws: _Draws,
                 grid: _Grid, tempo: TempoMap, feel: Feel) -> None:
    """Shift every onset by its metric freedom; keep scene boundaries and the start exact."""
    shift: dict[int, float] = {}
    for onset in onsets:
        freedom = feel.timing_ms[grid.level(onset)]
        offset_ms = float(draws.at(onset, "onset").normal(0.0, freedom))
        offset_ms = max(-feel.max_ms, min(feel.max_ms, offset_ms))
        fixed = onset == 0 or grid.at_boundary(onset)
        shift[onset] = 0.0 if fixed else offset_ms
    for note in played:
        spread = 0.0
        if shift[note.start] != 0.0:
            spread = float(draws.at(note.start, "spread").uniform(-feel.chord_spread_ms,
                                                                 feel.chord_spread_ms))
        total_ms = max(-feel.max_ms, min(feel.max_ms, shift[note.start] + spread))
        delta = total_ms / 1000.0 * tempo.ticks_per_second(note.start)
        note.new_start = max(0.0, note.start + delta)
        note.new_end = max(note.new_start + 1, note.end + delta)


def _shape_velocities(played: list[_Note], phrases: list[tuple[int, int]],
                      draws: _Draws, feel: Feel) -> None:
    """An arch over each phrase (peak about two thirds in), plus a little jitter."""
    starts = [first for first, _ in phrases]
    # sin(pi * p**k) peaks where p**k = 1/2: at p = 0.65 for this k.
    k = math.log(0.5) / math.log(0.65)
    for note in played:
        first, last = phrases[bisect.bisect_right(starts, note.start) - 1]
        position = (note.start - first) / (last - first) if last > first else 0.65
        shape = math.sin(math.pi * position**k)
        factor = 1.0 + feel.arch * (shape - 0.5)
        jitter = float(draws.at(note.start, "velocity").normal(0.0, feel.velocity_jitter))
        note.new_velocity = int(min(127, max(1, round(note.velocity * factor + jitter))))


def _stretch_phrase_ends(played: list[_Note], phrases: list[tuple[int, int]],
                         onsets: list[int], feel: Feel) -> None:
    """Hold the last notes of each phrase longer, never past the track's next onset."""
    lasts = {last for _, last in phrases}
    next_onset = dict(zip(onsets, [*onsets[1:], None], strict=True))
    played_at: dict[int, float] = {}  # written onset -> earliest played start
    for note in played:
        played_at[note.start] = min(played_at.get(note.start, math.inf), note.new_start)
    for note in played:
        if note.start not in lasts:
            continue
        longer = note.new_end + feel.phrase_end_stretch * (note.end - note.start)
        following = next_onset[note.start]
        if following is not None:
            longer = min(longer, max(note.new_end, played_at[following] - 1))
        note.new_end = longer


def _keep_notes_apart(played: list[_Note]) -> None:
    """A note ends before the next note of its pitch and channel starts."""
    by_key: dict[tuple[int, int], list[_Note]] = {}
    for note in played:
        by_key.setdefault((note.channel, note.pitch), []).append(note)
    for same in by_key.values():
        same.sort(key=lambda note: note.new_start)
        for note, after in itertools.pairwise(same):
            note.new_end = max(note.new_start + 1, min(note.new_end, after.new_start - 1))


def _pedal(played: list[_Note], phrases: list[tuple[int, int]], grid: _Grid,
           tempo: TempoMap, feel: Feel) -> list[Event]:
    """Sustain-pedal events for the pedalled notes of one track (piano, harp)."""
    mido = load_mido()
    phrase_last = {last for _, last in phrases}
    events: list[Event] = []
    for channel in sorted({n.channel for n in played if n.program in feel.pedal_programs}):
        groups: dict[int, list[_Note]] = {}
        for note in played:
            if note.channel == channel and note.program in feel.pedal_programs:
                groups.setdefault(note.start, []).append(note)
        pressed: int | None = None  # tick the pedal went down, while it is down
        for onset in sorted(groups):
            group = groups[onset]
            start = round(min(note.new_start for note in group))
            if pressed is None or grid.level(onset) <= 1:
                if pressed is not None:
                    events.append((start - 1, _cc(mido, channel, 0)))
                delay = feel.pedal_delay_ms / 1000.0 * tempo.ticks_per_second(onset)
                pressed = round(start + delay)
                events.append((pressed, _cc(mido, channel, 127)))
            if onset in phrase_last:
                end = round(max(note.new_end for note in group))
                events.append((max(end, pressed + 1), _cc(mido, channel, 0)))
                pressed = None
    return [(max(0, tick), message) for tick, message in events]


def _cc(mido: Any, channel: int, value: int) -> Any:
    return mido.Message("control_change", channel=channel, control=SUSTAIN, value=value)


__all__ = ["PEDAL_PROGRAMS", "Feel", "humanise"]
