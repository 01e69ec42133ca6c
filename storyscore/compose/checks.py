"""The score's quality checks, as pure functions of the composer's output.

Each check reads the written score (music21: notes, measures, clefs, tempo
marks) and what the composer says it wrote (the scene plans, the chords with
their keys, the timeline, the leitmotif statements), and returns a frozen
result with its figures, its threshold and its verdict. ``storyscore.reports.metrics``
runs them on a story path and prints them; ``bench/bench_corpus.py`` runs the
measuring functions below (``measure_piece``) on human music from music21's
corpus, and each threshold sits inside the range it found there (the
quartiles are in ``docs/music.md``).

One piece:
 1. meter: time-signature changes per minute;
 2. tempo: tempo jumps (a step of more than 3 % between marks) per minute, each
    after a cadence and a breath;
 3. printed marks: whole numbers, at most one a bar;
 4. notes on the staff: the share within three ledger lines of their clef;
 5. downbeats: every scene's first downbeat where the video needs it.
Key and harmony:
 6. key agreement (Krumhansl–Schmuckler) per scene;
 7. modulations through close keys;
 8. harmonic vocabulary: distinct chords, and the share of the commonest
    four-chord loop;
 9. consonance on the beats.
Melody and themes:
10. melody: steps, leaps that turn back, range;
11. motif recurrence: melody bars whose rhythm recurs, four-note shapes that
    recur;
12. the melody follows the picture's skyline;
13. leitmotifs sound in the scenes that name their character, and only there.
(14, the Palmer replication, is about the mapping: ``storyscore.reports.metrics``.)
"""

from __future__ import annotations

import collections
import itertools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from storyscore.compose.harmony import (
    CHORD_WINDOW,
    LOOP_CHORDS,
    LOOP_MAX_SHARE,
    LOOP_MIN_TIMES,
    distinct_chords,
    loop_share,
    plain_figure,
)
from storyscore.compose.request import ScenePlan, tonic_to_m21
from storyscore.compose.theory import SHAPE_NOTES, interval_shapes, recurring_share

if TYPE_CHECKING:
    from music21 import stream

    from storyscore.compose.harmony import HarmonySpan
    from storyscore.compose.score import ComposedScore

# Thresholds. Those marked "corpus" are calibrated on music21's corpus (Essen folk songs
# and Bach chorales; bench/bench_corpus.py, quartiles in docs/music.md).
METER_CHANGES_MAX_PER_MINUTE = 0.0  # corpus: Essen and chorale quartiles are all 0
TEMPO_JUMPS_MAX_PER_MINUTE = 1.0  # the music guide: a new tempo at most once a minute
RAMP_MAX_STEP = 0.03  # a step above this between two tempo marks is a jump
# A scene's own tempo off the home tempo (scenes of a phrase or more): the composer aims
# within 8 %, and whole bars may push a scene of a few bars a little further.
TEMPO_BAND_MAX = 0.15
# Any tempo at all, in scenes of every length: never twice or half the home tempo (a flash
# scene given a bar of its own once ran at 924 BPM in a story at 61).
TEMPO_MAX_OFF = 1.0
BREATH_MIN = 0.5  # quarter notes of silence in every part before a jump (an eighth's breath)
STAFF_MIN_SHARE = 1.0  # corpus: 100 % from the Q1 of both corpora up (least 97 %)
MAX_LEDGER_LINES = 3
KEY_MIN_R = 0.75  # corpus: Q1 0.73, median 0.81 (Essen); Q1 0.83 (chorales)
KEY_MIN_BARS = 2  # a key needs a progression to be set up
PHRASE_BARS = 4
HOP_MIN_R = 0.5
HOP_MIN_BARS = 2
ARRIVAL_MIN_BARS = 4
LONG_SCENE_BARS = 8  # a scene this long has room for a phrase in its key between modulations
CHORDS_MIN_DISTINCT = 5  # corpus: chorales 4 / 7 / 8 (least / Q1 / median) in 16
# LOOP_MAX_SHARE (corpus: chorales 0 up to Q3, most 11 %), LOOP_CHORDS, LOOP_MIN_TIMES and
# CHORD_WINDOW live in compose/harmony.py, whose drafts hear check 8 the same way.
CONSONANT_MIN_SHARE = 0.6  # corpus: chorales least 52 %, Q1 69 %
STEP_MIN_SHARE = 0.5  # corpus: Q1 52 % (Essen), 80 % (chorales)
STEP_MAX_SEMITONES = 2
LEAP_MIN_SEMITONES = 5
PHRASE_REST = 1.0  # quarter notes of rest that end a phrase
LEAP_TURN_MIN_SHARE = 0.33  # corpus: Q1 33 % (both)
RANGE_SEMITONES = (7, 17)  # corpus: whole melodies 10-15 (Q1-Q3)
RANGE_MIN_NOTES = 8  # fewer notes than this cannot span a phrase's range
RHYTHM_MIN_SHARE = 0.44  # corpus: Q1 44 % (Essen), 57 % (chorales)
SHAPE_MIN_SHARE = 0.33  # corpus: Q1 33 % (Essen), 51 % (chorales)
MEASURED_MIN_BARS = 8  # vocabulary and recurrence need a period (two phrases) to mean anything
CONTOUR_MIN_RHO = 0.5
CLEAR_SKYLINE_RANGE = 0.15  # heights under the notes spanning more than this share of the picture
CONTOUR_MIN_NOTES = 8

_EPS = 1e-6
_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor with the raised leading tone
_TONICS = ("I", "i")


class Check(Protocol):
    """What every check's result offers ``format_metrics`` and the tests."""

    number: ClassVar[int]
    title: ClassVar[str]

    @property
    def passed(self) -> bool: ...

    @property
    def figure(self) -> str: ...

    @property
    def threshold(self) -> str: ...

    @property
    def problems(self) -> tuple[str, ...]: ...


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# ----------------------------------------------------------------- the written score


@dataclass(frozen=True)
class _Note:
    """A note or chord of one part as written; ``tied`` continues the previous one."""

    offset: float
    end: float
    pitches: tuple[int, ...]
    steps: tuple[int, ...]  # diatonic note numbers as spelt (music21's diatonicNoteNum)
    tied: bool


@dataclass(frozen=True)
class _Measure:
    number: int
    offset: float
    length: float

    @property
    def end(self) -> float:
        return self.offset + self.length


@dataclass(frozen=True)
class _Mark:
    offset: float
    bpm: float  # sounding quarter-note tempo
    printed: float | None  # the number printed, or None for a sound-only mark


class ScoreView:
    """What the checks read from a music21 Score, extracted once.

    It reads any score: storyscore's, or a piece from music21's corpus.
    """

    def __init__(self, score: stream.Score) -> None:
        from music21 import stream, tempo

        self.parts: dict[str, list[_Note]] = {}
        self.rhythms: dict[str, list[tuple[tuple[float, float, str], ...]]] = {}
        self.staff: dict[str, tuple[int, int]] = {}  # part: (notes within the staff, notes)
        top: stream.Part | None = None
        for index, part in enumerate(score.parts):
            label = str(part.id) if isinstance(part.id, str) else f"part{index}"
            self._read_part(label, part)
            if top is None and part.recurse().getElementsByClass(tempo.MetronomeMark):
                top = part
        first = score.parts[0]
        self.meter_changes = sum(
            1 for _ in first.recurse().getElementsByClass("TimeSignature")) - 1
        if top is None:
            top = first
        self.measures = [
            _Measure(int(m.number), float(m.offset), float(m.quarterLength))
            for m in first.getElementsByClass(stream.Measure)
        ]
        self.marks = []
        for mark in top.flatten().getElementsByClass(tempo.MetronomeMark):
            bpm = mark.getQuarterBPM()
            if bpm is not None:
                printed = None if mark.numberImplicit or mark.number is None else mark.number
                self.marks.append(_Mark(float(mark.offset), float(bpm),
                                        None if printed is None else float(printed)))
        # music21's own reading of the written tempo marks: (start, end, seconds per quarter).
        boundaries = top.metronomeMarkBoundaries()  # type: ignore[no-untyped-call]
        self._boundaries = [(float(start), float(end), float(mark.secondsPerQuarter()))
                            for start, end, mark in boundaries]

    def _read_part(self, label: str, part: stream.Part) -> None:
        """Notes, bar rhythms and staff fit of one part, walking its measures in order."""
        from music21 import chord, clef, instrument, note, stream

        notes: list[_Note] = []
        rhythms: list[tuple[tuple[float, float, str], ...]] = []
        inside = total = 0
        current_clef: Any = clef.TrebleClef()  # type: ignore[no-untyped-call]
        shift = 0  # diatonic steps from sounding to written pitch
        for measure in part.getElementsByClass(stream.Measure):
            rhythm: list[tuple[float, float, str]] = []
            base = float(measure.offset)
            for element in measure.recurse():
                if isinstance(element, clef.PitchClef):
                    current_clef = element
                elif isinstance(element, instrument.Instrument):
                    interval = element.transposition
                    shift = 0 if interval is None else -int(interval.generic.staffDistance)
                elif isinstance(element, note.Rest):
                    rhythm.append((float(element.offset), float(element.quarterLength), "r"))
                elif isinstance(element, note.Note | chord.Chord):
                    tie = element.tie.type if element.tie is not None else None
                    tied = tie in ("stop", "continue")
                    offset = base + float(element.offset)
                    steps = tuple(int(p.diatonicNoteNum) for p in element.pitches)
                    notes.append(_Note(offset, offset + float(element.quarterLength),
                                       tuple(int(p.midi) for p in element.pitches), steps,
                                       tied))
                    rhythm.append((float(element.offset), float(element.quarterLength),
                                   "t" if tied else "n"))
                    if not tied:
                        lines = [ledger_lines(s + shift, current_clef) for s in steps]
                        inside += sum(n <= MAX_LEDGER_LINES for n in lines)
                        total += len(lines)
            if any(kind != "r" for _, _, kind in rhythm):
                rhythms.append(tuple(rhythm))
        self.parts[label] = notes
        self.rhythms[label] = rhythms
        self.staff[label] = (inside, total)

    @property
    def total_quarters(self) -> float:
        return self.measures[-1].end if self.measures else 0.0

    @property
    def minutes(self) -> float:
        return self.seconds_at(self.total_quarters) / 60

    def seconds_at(self, offset: float) -> float:
        """Seconds from the start at a quarter-note offset, by the written tempo marks."""
        total = 0.0
        for start, end, spq in self._boundaries:
            if offset <= start:
                break
            total += (min(offset, end) - start) * spq
        return total

    def measure_at(self, offset: float) -> _Measure | None:
        for measure in self.measures:
            if measure.offset - _EPS <= offset < measure.end - _EPS:
                return measure
        return None

    def merged(self, part: str) -> list[_Note]:
        """The notes of ``part``, ties merged into one note."""
        merged: list[_Note] = []
        for n in self.parts.get(part, []):
            if n.tied and merged and abs(merged[-1].end - n.offset) < _EPS:
                last = merged[-1]
                merged[-1] = _Note(last.offset, n.end, last.pitches, last.steps, last.tied)
                continue
            merged.append(n)
        return merged

    def onsets(self, part: str, start: float, end: float) -> list[_Note]:
        """Notes of ``part`` that begin in ``[start, end)``, ties merged into one note."""
        return [n for n in self.merged(part) if start - _EPS <= n.offset < end - _EPS]


# Sounding diatonic note number of the bottom line of octave clefs (music21's ``lowestLine``
# includes the octave for Treble8vbClef but not for Bass8vbClef).
_OCTAVE_CLEF_BOTTOM = {"Treble8vbClef": 24, "Treble8vaClef": 38, "Bass8vbClef": 12,
                       "Bass8vaClef": 26}


def ledger_lines(step: int, clef: Any) -> int:
    """Ledger lines a note at diatonic note number ``step`` needs under a music21 clef."""
    bottom = _OCTAVE_CLEF_BOTTOM.get(type(clef).__name__, int(clef.lowestLine))
    top = bottom + 8
    if step < bottom:
        return (bottom - step) // 2
    if step > top:
        return (step - top) // 2
    return 0


# Each check reads the same score; extract it once per composition (ComposedScore is
# frozen and compares by identity, so it can key a weak memo).
_VIEWS: weakref.WeakKeyDictionary[ComposedScore, ScoreView] = weakref.WeakKeyDictionary()


def view_of(composed: ComposedScore) -> ScoreView:
    """The (memoised) reading of a composition's score."""
    view = _VIEWS.get(composed)
    if view is None:
        view = _VIEWS[composed] = ScoreView(composed.score)
    return view


def _scene_span(composed: ComposedScore, i: int) -> tuple[float, float]:
    """Where scene ``i``'s music lies, in quarter notes. A flash scene (too short for a
    bar) plays its host's music: the host's span is the whole group's, the flash's empty."""
    timeline = composed.timeline
    start = timeline.scene_offsets[i]
    if not timeline.hosts:
        return start, start + timeline.scene_lengths[i]
    if timeline.host(i) != i:
        return start, start
    members = [k for k, host in enumerate(timeline.hosts) if host == i]
    last = members[-1]
    return (timeline.scene_offsets[members[0]],
            timeline.scene_offsets[last] + timeline.scene_lengths[last])


def _sounds(plan: ScenePlan) -> bool:
    return not plan.silent and plan.volume > 0


def _key_pc(tonic: str) -> int:
    from music21 import pitch

    return int(pitch.Pitch(tonic_to_m21(tonic)).pitchClass)


def _key_of(span: HarmonySpan) -> tuple[int, str]:
    """The key a chord is in, as (tonic pitch class, mode)."""
    return (span.chord.key.pc, span.chord.key.mode)


def _key_label(pc: int, mode: str) -> str:
    names = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    if mode == "minor":
        names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
    return f"{names[pc % 12]} {mode}"


# ----------------------------------------------------------------- measuring (any music)


def phrases(notes: Sequence[_Note]) -> list[list[_Note]]:
    """Notes grouped into phrases: a rest of a beat or more ends one."""
    out: list[list[_Note]] = [[]]
    for k, n in enumerate(notes):
        if k and n.offset - notes[k - 1].end >= PHRASE_REST - _EPS:
            out.append([])
        out[-1].append(n)
    return [p for p in out if p]


@dataclass(frozen=True)
class Motion:
    """Melodic motion counted over phrases."""

    moves: int  # intervals other than repeated notes
    steps: int  # moves of 1..2 semitones
    leaps: int  # intervals of 5 semitones or more followed by another note of the phrase
    turns: int  # leaps followed by a move the other way

    def __add__(self, other: Motion) -> Motion:
        return Motion(self.moves + other.moves, self.steps + other.steps,
                      self.leaps + other.leaps, self.turns + other.turns)


def motion(pitch_phrases: Sequence[Sequence[int]]) -> Motion:
    """Steps, leaps and turns over phrases of pitches (MIDI numbers)."""
    moves = steps = leaps = turns = 0
    for phrase in pitch_phrases:
        intervals = [b - a for a, b in itertools.pairwise(phrase)]
        moves += sum(d != 0 for d in intervals)
        steps += sum(0 < abs(d) <= STEP_MAX_SEMITONES for d in intervals)
        for d, following in itertools.pairwise(intervals):
            if abs(d) >= LEAP_MIN_SEMITONES:
                leaps += 1
                turns += int(following * d < 0)
    return Motion(moves, steps, leaps, turns)





def beat_consonance(score: stream.Score, measures: Sequence[_Measure]
                    ) -> list[tuple[float, bool]]:
    """(beat offset, consonant) for every quarter-note beat from each bar line where
    something sounds: ``chordify``, then ``isConsonant`` on the sonority at the beat."""
    from music21 import chord

    chords = score.chordify()  # type: ignore[no-untyped-call]
    sonorities: list[tuple[float, float, bool]] = []
    for element in chords.flatten().getElementsByClass(chord.Chord):
        if not element.pitches:
            continue
        offset = float(element.offset)
        sonorities.append((offset, offset + float(element.quarterLength),
                           bool(element.isConsonant())))
    sonorities.sort()
    starts = [s[0] for s in sonorities]
    out = []
    for measure in measures:
        k = 0.0
        while k < measure.length - _EPS:
            beat = measure.offset + k
            k += 1.0
            index = int(np.searchsorted(starts, beat + _EPS, side="right")) - 1
            if index < 0 or sonorities[index][1] <= beat + _EPS:
                continue
            out.append((beat, sonorities[index][2]))
    return out


# ----------------------------------------------------------------- 1. meter


@dataclass(frozen=True)
class MeterChanges:
    """Check 1: one meter for the story."""

    number: ClassVar[int] = 1
    title: ClassVar[str] = "one meter"
    meters: tuple[str, ...]  # every time signature written, in order
    minutes: float

    @property
    def per_minute(self) -> float:
        return (len(self.meters) - 1) / max(self.minutes, 1.0)

    @property
    def passed(self) -> bool:
        return self.per_minute <= METER_CHANGES_MAX_PER_MINUTE + _EPS

    @property
    def figure(self) -> str:
        changes = len(self.meters) - 1
        if changes == 0:
            return f"{self.meters[0] if self.meters else 'no meter'} throughout " \
                f"({self.minutes:.1f} min)"
        return (f"{' -> '.join(self.meters)}: {_plural(changes, 'change')} in "
                f"{self.minutes:.1f} min ({self.per_minute:.1f} a minute)")

    @property
    def threshold(self) -> str:
        if METER_CHANGES_MAX_PER_MINUTE == 0:
            return "one time signature throughout"
        return f"<= {METER_CHANGES_MAX_PER_MINUTE:g} changes a minute"

    @property
    def problems(self) -> tuple[str, ...]:
        return () if self.passed else (f"the meter changes {len(self.meters) - 1} times",)


def meter_changes(composed: ComposedScore) -> MeterChanges:
    """Check 1: the time signatures written in the top part; per minute of music.

    Minutes are counted from one minute up, so that a short story is not
    held to a stricter rate than a long one.
    """
    from music21 import meter

    view = view_of(composed)
    top = composed.score.parts[0]
    meters = tuple(str(ts.ratioString)
                   for ts in top.recurse().getElementsByClass(meter.TimeSignature))
    return MeterChanges(meters, view.minutes)


# ----------------------------------------------------------------- 2. tempo


@dataclass(frozen=True)
class TempoStep:
    """One change of sounding tempo, from one mark to the next."""

    bar: int  # measure number of the new mark
    seconds: float  # where it is heard
    before: float
    after: float
    offset: float = 0.0  # quarter notes from the start
    prepared: bool = True  # on a bar line, after a phrase that closes and breathes

    @property
    def change(self) -> float:
        ratio = self.after / self.before
        return max(ratio, 1 / ratio) - 1

    @property
    def jump(self) -> bool:
        return self.change > RAMP_MAX_STEP + 1e-9


@dataclass(frozen=True)
class TempoChanges:
    """Check 2: tempo ramps of at most 3 % a step, and a jump at most once a minute, only
    where a phrase closes on a cadence and the music breathes (the music guide)."""

    number: ClassVar[int] = 2
    title: ClassVar[str] = "tempo jumps"
    steps: tuple[TempoStep, ...]
    minutes: float
    # (scene index, its own tempo as a share off the story's home tempo: 0.1 is 10 %
    # faster or slower) for each scene a phrase long or longer.
    band: tuple[tuple[int, float], ...] = ()
    # (bar, bpm, share off the home tempo) of the tempo farthest from it, if beyond
    # ``TEMPO_MAX_OFF``.
    runaway: tuple[int, float, float] | None = None

    @property
    def widest(self) -> float:
        return max((off for _, off in self.band), default=0.0)

    @property
    def jumps(self) -> tuple[TempoStep, ...]:
        return tuple(s for s in self.steps if s.jump)

    @property
    def per_minute(self) -> float:
        return len(self.jumps) / max(self.minutes, 1.0)

    @property
    def largest_ramp_step(self) -> float:
        return max((s.change for s in self.steps if not s.jump), default=0.0)

    @property
    def unprepared(self) -> tuple[TempoStep, ...]:
        """Jumps that do not come after a cadence and a breath."""
        return tuple(s for s in self.jumps if not s.prepared)

    @property
    def passed(self) -> bool:
        return (self.per_minute <= TEMPO_JUMPS_MAX_PER_MINUTE + _EPS and not self.unprepared
                and self.widest <= TEMPO_BAND_MAX + _EPS and self.runaway is None)

    @property
    def figure(self) -> str:
        if not self.steps:
            return "one steady tempo"
        jumps = self.jumps
        where = ", ".join(f"bar {s.bar} ({100 * s.change:.0f}%)" for s in jumps)
        unprepared = f", {len(self.unprepared)} unprepared" if self.unprepared else ""
        return (f"{_plural(len(jumps), 'jump')} in {self.minutes:.1f} min"
                + (f" at {where}" if where else "") + unprepared
                + f"; ramps at most {100 * self.largest_ramp_step:.1f}% a step"
                + f"; scenes within {100 * self.widest:.0f}% of the home tempo"
                + (f"; {self.runaway[1]:.0f} BPM in bar {self.runaway[0]}, "
                   f"{100 * self.runaway[2]:.0f}% off it" if self.runaway else ""))

    @property
    def threshold(self) -> str:
        return (f"<= {TEMPO_JUMPS_MAX_PER_MINUTE:g} jump (a step > "
                f"{100 * RAMP_MAX_STEP:.0f}%) a minute, each on a bar line after a cadence "
                f"and a breath; scenes within {100 * TEMPO_BAND_MAX:.0f}% of the home tempo")

    @property
    def problems(self) -> tuple[str, ...]:
        if self.passed:
            return ()
        too_many = self.per_minute > TEMPO_JUMPS_MAX_PER_MINUTE + _EPS
        jumps = tuple(f"bar {s.bar}: {s.before:.1f} -> {s.after:.1f} BPM at {s.seconds:.1f} s"
                      + ("" if s.prepared else " without a cadence and a breath before it")
                      for s in self.jumps if too_many or not s.prepared)
        runaway: tuple[str, ...] = ()
        if self.runaway is not None:
            bar, bpm, off = self.runaway
            runaway = (f"bar {bar}: {bpm:.1f} BPM, {100 * off:.0f}% off the home tempo "
                       f"(at most {100 * TEMPO_MAX_OFF:.0f}% anywhere)",)
        return jumps + tuple(f"scene {k + 1}: {100 * off:.0f}% off the home tempo"
                             for k, off in self.band if off > TEMPO_BAND_MAX + _EPS) + runaway


def tempo_changes(composed: ComposedScore) -> TempoChanges:
    """Check 2 over every pair of consecutive tempo marks, printed or sound-only.

    A ramp is written as one sounding mark a beat, so the step between two
    marks is the change per beat; a step above 3 % is a jump. Minutes are
    counted from one up: a short story may still jump once. Each scene of a
    phrase or more must keep its own tempo within ``TEMPO_BAND_MAX`` of the home
    tempo (a shorter one has too few bars to round its length to: one bar more
    or less moves it by an eighth or more). A jump must fall on
    a bar line after a chord that closes a phrase on its tonic, with every part
    silent for an eighth or more before it (``_breathes_before``).
    """
    view = view_of(composed)
    steps = []
    for a, b in itertools.pairwise(view.marks):
        measure = view.measure_at(b.offset)
        steps.append(TempoStep(measure.number if measure else 0, view.seconds_at(b.offset),
                               a.bpm, b.bpm, b.offset, _breathes_before(composed, b.offset)))
    timeline = composed.timeline
    home = timeline.home_tempo
    band = tuple((i, max(t / home, home / t) - 1) for i, t in enumerate(timeline.tempos)
                 if home and len(timeline.scene_bars(i)) >= PHRASE_BARS)
    return TempoChanges(tuple(steps), view.minutes, band, _runaway(view, home))


def _runaway(view: ScoreView, home: float) -> tuple[int, float, float] | None:
    """The sounding tempo farthest from the home tempo, if it is off by more than
    ``TEMPO_MAX_OFF``: (bar, bpm, share off)."""
    if not home or not view.marks:
        return None
    far = max(view.marks, key=lambda m: max(m.bpm / home, home / m.bpm))
    off = max(far.bpm / home, home / far.bpm) - 1
    if off <= TEMPO_MAX_OFF + _EPS:
        return None
    measure = view.measure_at(far.offset)
    return (measure.number if measure else 0, far.bpm, off)


def _breathes_before(composed: ComposedScore, offset: float) -> bool:
    """Whether a new tempo at ``offset`` may jump: it starts a bar, the phrase before it
    closes on a cadence to its tonic, and every part is silent for ``BREATH_MIN`` before it."""
    view = view_of(composed)
    measure = view.measure_at(offset)
    if measure is None or abs(measure.offset - offset) > _EPS:
        return False
    before = [s for s in composed.harmony if s.end <= offset + _EPS]
    if before:
        last = max(before, key=lambda s: s.end)
        if last.cadence is None or plain_figure(last.chord.figure) not in _TONICS:
            return False
    return not any(n.offset < offset - _EPS and n.end > offset - BREATH_MIN + _EPS
                   for part in view.parts for n in view.merged(part))


# ----------------------------------------------------------------- 3. printed marks


@dataclass(frozen=True)
class PrintedMarks:
    """Check 3: printed metronome marks a player can read."""

    number: ClassVar[int] = 3
    title: ClassVar[str] = "printed tempo marks"
    printed: tuple[tuple[int, float], ...]  # (bar, number printed)
    sound_only: int

    @property
    def fractional(self) -> tuple[tuple[int, float], ...]:
        return tuple((bar, n) for bar, n in self.printed if abs(n - round(n)) > _EPS)

    @property
    def crowded(self) -> tuple[int, ...]:
        bars = collections.Counter(bar for bar, _ in self.printed)
        return tuple(sorted(bar for bar, count in bars.items() if count > 1))

    @property
    def passed(self) -> bool:
        return bool(self.printed) and not self.fractional and not self.crowded

    @property
    def figure(self) -> str:
        whole = len(self.printed) - len(self.fractional)
        return (f"{whole} of {len(self.printed)} printed marks whole numbers "
                f"({', '.join(f'{n:g}' for _, n in self.printed)}); "
                f"{_plural(len(self.crowded), 'bar')} with two or more; "
                f"{self.sound_only} sound-only")

    @property
    def threshold(self) -> str:
        return "every printed mark a whole number, at most one a bar"

    @property
    def problems(self) -> tuple[str, ...]:
        out = [f"bar {bar}: {n} is not a whole number" for bar, n in self.fractional]
        out += [f"bar {bar}: more than one printed mark" for bar in self.crowded]
        if not self.printed:
            out.append("no printed tempo mark")
        return tuple(out)


def printed_marks(composed: ComposedScore) -> PrintedMarks:
    """Check 3 over the metronome marks of the top part: the printed ones (not
    ``numberImplicit``) and the sound-only ones, which players follow but
    nobody reads."""
    view = view_of(composed)
    printed = []
    for mark in view.marks:
        if mark.printed is not None:
            measure = view.measure_at(mark.offset)
            printed.append((measure.number if measure else 0, mark.printed))
    return PrintedMarks(tuple(printed), sum(m.printed is None for m in view.marks))


# ----------------------------------------------------------------- 4. notes on the staff


@dataclass(frozen=True)
class StaffFit:
    """Check 4: the notes sit on their staff, not on a ladder of ledger lines."""

    number: ClassVar[int] = 4
    title: ClassVar[str] = "notes on the staff"
    parts: tuple[tuple[str, int, int], ...]  # (part, notes within 3 ledger lines, notes)

    @property
    def share(self) -> float:
        total = sum(t for _, _, t in self.parts)
        return sum(i for _, i, _ in self.parts) / total if total else 1.0

    @property
    def passed(self) -> bool:
        return all(t == 0 or i / t >= STAFF_MIN_SHARE for _, i, t in self.parts)

    @property
    def figure(self) -> str:
        worst = min(self.parts, key=lambda p: p[1] / p[2] if p[2] else 1.0, default=None)
        least = (f", least {100 * worst[1] / worst[2]:.0f}% ({worst[0]})"
                 if worst is not None and worst[2] else "")
        return f"{100 * self.share:.1f}% of notes within {MAX_LEDGER_LINES} ledger lines{least}"

    @property
    def threshold(self) -> str:
        if STAFF_MIN_SHARE >= 1.0:
            return f"every note within {MAX_LEDGER_LINES} ledger lines, in every part"
        return f">= {100 * STAFF_MIN_SHARE:.0f}% in every part"

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{name}: {inside} of {total} notes on the staff"
                     for name, inside, total in self.parts
                     if total and inside / total < STAFF_MIN_SHARE)


def staff_fit(composed: ComposedScore) -> StaffFit:
    """Check 4: each note, as written (transposing instruments at written pitch),
    against the clef in force; a chord counts each of its notes."""
    view = view_of(composed)
    return StaffFit(tuple((name, inside, total) for name, (inside, total) in view.staff.items()))


# ----------------------------------------------------------------- 5. downbeats


@dataclass(frozen=True)
class Boundary:
    """Where a scene starts (or the music ends): the story's time and the score's."""

    scene_id: str  # the scene that starts here, or "end" for the end of the music
    target: float  # seconds on the story's timeline
    heard: float  # seconds in the written music (music21, from the tempo marks)
    downbeat: bool  # on a bar line of the score
    window: float  # how far the downbeat may miss: a frame at a cut, half a transition
    # The music plays through this boundary, mid-bar: a flash scene (too short for a bar
    # inside the tempo band) lies on one side; it needs its moment, not a downbeat.
    through: bool = False
    rings: bool = False  # the end of a story shorter than a bar: its one bar rings past

    def passed(self) -> bool:
        if self.rings:
            return self.heard >= self.target - self.window - 1e-6
        return ((self.downbeat or self.through)
                and abs(self.heard - self.target) <= self.window + 1e-6)


@dataclass(frozen=True)
class AutoScene:
    """An ``auto`` scene, which may round its length up to the next downbeat."""

    scene_id: str
    asked: float  # seconds the story needs
    heard: float  # seconds it lasts in the written music
    last_bar: float  # seconds of its last bar
    slack: float  # the windows of its two downbeats

    def passed(self) -> bool:
        return (-self.slack - 1e-6 <= self.heard - self.asked
                < self.last_bar + self.slack + 1e-6)


@dataclass(frozen=True)
class Downbeats:
    """Check 5: every scene starts on a downbeat where the video needs it."""

    number: ClassVar[int] = 5
    title: ClassVar[str] = "scene boundaries on downbeats"
    boundaries: tuple[Boundary, ...]
    auto: tuple[AutoScene, ...]
    fps: int

    @property
    def passed(self) -> bool:
        return all(b.passed() for b in self.boundaries) and all(a.passed() for a in self.auto)

    @property
    def error(self) -> float:
        """The farthest a boundary's downbeat falls from its moment (the end of a story
        shorter than a bar rings past it by design, and is not counted)."""
        return max((abs(b.heard - b.target) for b in self.boundaries if not b.rings),
                   default=0.0)

    @property
    def figure(self) -> str:
        on = sum(b.downbeat for b in self.boundaries)
        cuts = [b for b in self.boundaries
                if not b.rings and b.window <= 1 / self.fps + 1e-9]
        cut_error = max((abs(b.heard - b.target) for b in cuts), default=0.0)
        through = [b.scene_id for b in self.boundaries if b.through]
        flashes = (f" ({len(through)} played through mid-bar beside a flash scene too short "
                   f"for a bar: {', '.join(through)})" if through else "")
        rings = ("; the story is shorter than a bar: its one bar rings past the end"
                 if any(b.rings for b in self.boundaries) else "")
        return (f"{on}/{len(self.boundaries)} on a bar line{flashes}; at cuts at most "
                f"{1000 * cut_error:.1f} ms off, in transitions at most "
                f"{1000 * self.error:.0f} ms{rings}")

    @property
    def threshold(self) -> str:
        return (f"a bar line within 1 frame ({1000 / self.fps:.1f} ms at {self.fps} fps) at a "
                "cut, within half the transition where one covers the boundary")

    @property
    def problems(self) -> tuple[str, ...]:
        out = [f"{b.scene_id}:{'' if b.downbeat else ' not on a bar line,'} heard at "
               f"{b.heard:.3f} s, story at {b.target:.3f} s (window {b.window:.3f} s)"
               for b in self.boundaries if not b.passed()]
        out += [f"{a.scene_id}: auto scene lasts {a.heard:.3f} s for {a.asked:.3f} s asked "
                f"(last bar {a.last_bar:.3f} s)" for a in self.auto if not a.passed()]
        return tuple(out)


def downbeats(plans: Sequence[ScenePlan], composed: ComposedScore, fps: int) -> Downbeats:
    """Check 5, timing the score by music21's reading of its written tempo marks.

    The story's timeline: each scene lasts its planned length, except an
    ``auto`` scene, which lasts as long as the video shows it (the composer's
    length, which the video follows); that may round up to a later downbeat,
    but never shortens the scene nor adds a whole bar. A scene's downbeat may
    miss its start by one video frame at a cut, or by the plan's ``lead_in``
    (half the transition into it) where a transition covers the boundary. A
    boundary the music plays through (beside a flash scene, too short for a bar:
    ``compose.flash``) needs no downbeat, only its moment within that window; a
    story shorter than a bar ends inside its one bar.
    """
    view = view_of(composed)
    lines = {round(m.offset, 6) for m in view.measures} | {round(view.total_quarters, 6)}
    offsets = [*composed.timeline.scene_offsets, view.total_quarters]
    heard = [view.seconds_at(q) for q in offsets]
    ids = [*(p.scene_id for p in plans), "end"]
    frame = 1 / fps
    windows = [*(max(frame, p.lead_in) for p in plans), frame]
    boundaries = []
    auto = []
    target = 0.0
    timeline = composed.timeline
    for i, offset in enumerate(offsets):
        end = i == len(plans)
        boundaries.append(Boundary(ids[i], target, heard[i], round(offset, 6) in lines,
                                   windows[i], through=not end and timeline.through(i),
                                   rings=end and timeline.overhang > 0))
        if i == len(plans):
            break
        plan = plans[i]
        if plan.flexible:
            # Flash scenes the music plays through after it round up with it, to the
            # downbeat that ends them all.
            j = next((k for k in range(i + 1, len(plans)) if not timeline.through(k)),
                     len(plans))
            asked = plan.duration + sum(p.duration for p in plans[i + 1:j])
            last = max((m for m in view.measures if m.offset < offsets[j] - _EPS),
                       key=lambda m: m.offset, default=None)
            last_bar = heard[j] - view.seconds_at(last.offset) if last else 0.0
            auto.append(AutoScene(plan.scene_id, asked, heard[j] - heard[i],
                                  last_bar, windows[i] + windows[j]))
            target += composed.scene_durations[i]
        else:
            target += plan.duration
    return Downbeats(tuple(boundaries), tuple(auto), fps)


# ----------------------------------------------------------------- 6. key agreement


@dataclass(frozen=True)
class SceneKey:
    """Key finding on one scene's own bars."""

    scene_id: str
    intended: str
    found: str
    r: float  # correlation of the key found first
    r_intended: float  # correlation of the intended key
    bars: int  # bars analysed

    @property
    def passed(self) -> bool:
        return self.found == self.intended and self.r >= KEY_MIN_R


@dataclass(frozen=True)
class KeyAgreement:
    """Check 6: each scene's notes are heard in the scene's intended key."""

    number: ClassVar[int] = 6
    title: ClassVar[str] = "key agreement (Krumhansl-Schmuckler)"
    scenes: tuple[SceneKey, ...]
    short: tuple[str, ...]  # scenes under a phrase long with under two bars in their key

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.scenes)

    @property
    def figure(self) -> str:
        short = f"; {len(self.short)} too short to tell" if self.short else ""
        if not self.scenes:
            return "no scene long enough to measure" + short
        agree = sum(s.found == s.intended for s in self.scenes)
        return (f"{agree}/{len(self.scenes)} scenes ranked first, "
                f"least r {min(s.r for s in self.scenes):.2f}{short}")

    @property
    def threshold(self) -> str:
        return f"intended key first, r >= {KEY_MIN_R}"

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{s.scene_id}: found {s.found} r {s.r:.2f} (intended {s.intended} "
                     f"r {s.r_intended:.2f}) over {s.bars} bars"
                     for s in self.scenes if not s.passed)


def find_key(notes: Sequence[_Note]) -> tuple[tuple[int, str], float, dict[tuple[int, str], float]]:
    """Krumhansl–Schmuckler key finding (music21) on notes weighted by length:
    the key found, its r, and every key's r."""
    from music21 import analysis, chord, stream

    excerpt: stream.Stream[chord.Chord] = stream.Stream()
    for n in notes:
        excerpt.coreInsert(n.offset, chord.Chord(list(n.pitches), quarterLength=n.end - n.offset))
    excerpt.coreElementsChanged()
    finder = analysis.discrete.KrumhanslSchmuckler()  # type: ignore[no-untyped-call]
    found = finder.getSolution(excerpt)  # type: ignore[no-untyped-call]
    every = {(int(k.tonic.pitchClass), str(k.mode)): float(k.correlationCoefficient)
             for k in [found, *found.alternateInterpretations]}
    return ((int(found.tonic.pitchClass), str(found.mode)), float(found.correlationCoefficient),
            every)


def key_agreement(plans: Sequence[ScenePlan], composed: ComposedScore) -> KeyAgreement:
    """Check 6 over each scene's own bars.

    A scene's own bars are its bars whose chords are all in the scene's key:
    the bars of a key route spilled in from the previous scene and the bars
    that already sound the next scene's key (its dominant, the route's steps)
    are left out; the pivot chord, which belongs to both keys, stays in. A
    key is set up by a progression, not by one chord or two: a scene shorter
    than a four-bar phrase with under two own bars is listed as too short to
    tell; a longer one with under two own bars is heard whole (it must set its
    key up somewhere). All parts count (melody, leitmotifs and harmony), each
    note weighted by its length, as music21's ``KrumhanslSchmuckler`` weighs
    them.
    """
    view = view_of(composed)
    bar_keys: dict[int, set[tuple[int, str]]] = {}
    for span in composed.harmony:
        bar_keys.setdefault(span.bar, set()).add(_key_of(span))
    scenes: list[SceneKey] = []
    short: list[str] = []
    for i, plan in enumerate(plans):
        if not _sounds(plan):
            continue
        intended = (_key_pc(plan.tonic), plan.mode)
        bars = composed.timeline.scene_bars(i)
        own = [b for b in bars if bar_keys.get(b.index) == {intended}]
        if len(own) < KEY_MIN_BARS:
            if len(bars) < PHRASE_BARS:
                short.append(plan.scene_id)
                continue
            own = bars  # a phrase or more must set its key up somewhere: hear all of it
        notes = [n for b in own for part in view.parts.values()
                 for n in part if b.offset - _EPS <= n.offset < b.end - _EPS]
        if not notes:
            continue
        found, r, every = find_key(notes)
        scenes.append(SceneKey(plan.scene_id, _key_label(*intended), _key_label(*found), r,
                               every.get(intended, float("nan")), len(own)))
    return KeyAgreement(tuple(scenes), tuple(short))


# ----------------------------------------------------------------- 7. modulations


def kk_correlation(a: tuple[int, str], b: tuple[int, str]) -> float:
    """Correlation of two keys' Krumhansl–Kessler profiles (music21's table)."""
    from music21 import analysis

    weights = analysis.discrete.KrumhanslKessler()  # type: ignore[no-untyped-call]

    def profile(key: tuple[int, str]) -> np.ndarray:
        table = weights.getWeights(key[1])  # type: ignore[no-untyped-call]
        return np.roll(np.asarray(table, dtype=np.float64), key[0])

    return float(np.corrcoef(profile(a), profile(b))[0, 1])


def _scale(key: tuple[int, str]) -> set[int]:
    steps = _MAJOR_STEPS if key[1] == "major" else _MINOR_STEPS
    return {(key[0] + s) % 12 for s in steps}


@dataclass(frozen=True)
class Hop:
    """One step of a modulation: from the pivot (or the new dominant) to the new tonic."""

    scene_id: str  # the scene whose bars the hop starts in
    bar: int  # measure number where the hop starts
    old: str
    new: str
    r: float
    bars: int  # measures from the hop's start to the new tonic's arrival

    @property
    def passed(self) -> bool:
        return self.r >= HOP_MIN_R and self.bars >= HOP_MIN_BARS


@dataclass(frozen=True)
class Arrival:
    """A scene's key after it arrives: how many bars it holds before moving on."""

    scene_id: str
    key: str
    bars: int
    scene_bars: int

    @property
    def required(self) -> bool:
        return self.scene_bars >= LONG_SCENE_BARS

    @property
    def passed(self) -> bool:
        return not self.required or self.bars >= ARRIVAL_MIN_BARS


@dataclass(frozen=True)
class Restart:
    """A new key after the music rests: a phrase modulation, which needs a full close."""

    scene_id: str  # the scene the new key starts in
    bar: int
    old: str
    new: str
    closed: bool  # the music before the rest ended on its tonic

    @property
    def passed(self) -> bool:
        return self.closed


@dataclass(frozen=True)
class Modulations:
    """Check 7: close hops, two bars each, and arrival keys that settle."""

    number: ClassVar[int] = 7
    title: ClassVar[str] = "modulations"
    hops: tuple[Hop, ...]
    arrivals: tuple[Arrival, ...]
    restarts: tuple[Restart, ...] = ()

    @property
    def passed(self) -> bool:
        return (all(h.passed for h in self.hops) and all(a.passed for a in self.arrivals)
                and all(r.passed for r in self.restarts))

    @property
    def figure(self) -> str:
        count = len(self.restarts)
        after_rest = (f"; {count} new key{'s' if count > 1 else ''} after a full close "
                      "and a rest" if count else "")
        if not self.hops:
            return "no modulation" + after_rest
        held = [a.bars for a in self.arrivals if a.required]
        return (f"{_plural(len(self.hops), 'hop')}, least r "
                f"{min(h.r for h in self.hops):.2f}, "
                f"shortest {min(h.bars for h in self.hops)} bars; arrival held "
                + (f"{min(held)}+ bars" if held else "(no scene of 8+ bars)") + after_rest)

    @property
    def threshold(self) -> str:
        return (f"r >= {HOP_MIN_R}, >= {HOP_MIN_BARS} bars a hop; arrival held "
                f">= {ARRIVAL_MIN_BARS} bars in scenes of {LONG_SCENE_BARS}+ bars")

    @property
    def problems(self) -> tuple[str, ...]:
        out = [f"bar {h.bar} ({h.scene_id}): {h.old} -> {h.new} r {h.r:.2f}, {h.bars} bars"
               for h in self.hops if not h.passed]
        out += [f"{a.scene_id}: {a.key} held {a.bars} of {a.scene_bars} bars"
                for a in self.arrivals if not a.passed]
        out += [f"bar {r.bar} ({r.scene_id}): {r.old} -> {r.new} after a rest, without "
                "a full close" for r in self.restarts if not r.passed]
        return tuple(out)


def modulations(plans: Sequence[ScenePlan], composed: ComposedScore) -> Modulations:
    """Check 7, read from the score's harmony (the chords and the keys they are in).

    The chords are cut into runs of one key. Where one run follows another
    without a silence between them, the music hops: the hop starts at the
    pivot (the old key's last chord, if it belongs to the new key too; else at
    the new key's first chord) and ends where the new key's tonic first sounds.
    A run in the key of the scene it sounds in is that scene's arrival; it is
    held from its tonic until the next hop starts (or the music stops).

    Where the chords stop before the next scene's begin, the music rests: the
    new key is a fresh start (a phrase modulation), not a hop. Between two
    scenes that both sound, that is allowed only after a full close: the
    last chord before the rest must be the old key's tonic.
    """
    spans = sorted(composed.harmony, key=lambda s: s.offset)
    number = {b.index: b.index + 1 for b in composed.timeline.bars}
    runs: list[list[int]] = []  # indices into spans
    for k, span in enumerate(spans):
        previous = spans[k - 1] if k else None
        if (previous is not None and abs(previous.end - span.offset) < _EPS
                and _key_of(previous) == _key_of(span)):
            runs[-1].append(k)
        else:
            runs.append([k])
    hops: list[Hop] = []
    restarts: list[Restart] = []
    starts: dict[int, int] = {}  # run index -> bar index where the hop out of it starts
    arrivals_at: dict[int, tuple[int, int]] = {}  # run index -> (bar, scene) of its tonic
    for r_index in range(1, len(runs)):
        before, after = runs[r_index - 1], runs[r_index]
        last, first = spans[before[-1]], spans[after[0]]
        old, new = _key_of(last), _key_of(first)
        if abs(last.end - first.offset) > _EPS:
            # The music rested: a fresh start, not a modulation. Within the music (not
            # after a silent scene) the old key must have closed on its tonic first.
            if first.scene == last.scene + 1:
                restarts.append(Restart(plans[first.scene].scene_id, number[first.bar],
                                        _key_label(*old), _key_label(*new),
                                        last.chord.figure in _TONICS))
            continue
        pivot = set(last.chord.pcs) <= _scale(new)
        start_bar = last.bar if pivot else first.bar
        tonic = next((spans[k] for k in after if spans[k].chord.figure in _TONICS), None)
        end_bar = tonic.bar if tonic is not None else spans[after[-1]].bar + 1
        starts[r_index - 1] = start_bar
        if tonic is not None:
            arrivals_at[r_index] = (tonic.bar, tonic.scene)
        hops.append(Hop(plans[last.scene].scene_id, number[start_bar], _key_label(*old),
                        _key_label(*new), kk_correlation(old, new), end_bar - start_bar))
    arrivals: list[Arrival] = []
    for r_index, (tonic_bar, scene) in arrivals_at.items():
        run = runs[r_index]
        key = _key_of(spans[run[0]])
        plan = plans[scene]
        if key != (_key_pc(plan.tonic), plan.mode):
            continue  # a stepping stone of a route, not where the scene arrives
        until = starts.get(r_index, spans[run[-1]].bar + 1)
        arrivals.append(Arrival(plan.scene_id, _key_label(*key), until - tonic_bar,
                                len(composed.timeline.scene_bars(scene))))
    return Modulations(tuple(hops), tuple(arrivals), tuple(restarts))


# ----------------------------------------------------------------- 8. harmonic vocabulary


@dataclass(frozen=True)
class HarmonicVocabulary:
    """Check 8: more than one loop of chords."""

    number: ClassVar[int] = 8
    title: ClassVar[str] = "harmonic vocabulary"
    figures: tuple[str, ...]  # the chords in order, inversions and sevenths left out
    loop: tuple[str, ...]  # the commonest four-chord window
    share: float  # of all four-chord windows (0 if no window comes back)
    bars: int  # bars with chords (a silent scene's bars have none)

    @property
    def distinct(self) -> int:
        """Distinct chords among the first 16 (as the corpus is measured)."""
        return distinct_chords(self.figures)

    @property
    def measured(self) -> bool:
        return self.bars >= MEASURED_MIN_BARS

    @property
    def passed(self) -> bool:
        return not self.measured or (self.distinct >= CHORDS_MIN_DISTINCT
                                     and self.share <= LOOP_MAX_SHARE + _EPS)

    @property
    def figure(self) -> str:
        short = "" if self.measured else f"too short to tell ({_plural(self.bars, 'bar')}): "
        loop = (f"loop {'-'.join(self.loop)} {100 * self.share:.0f}% of "
                f"{LOOP_CHORDS}-chord windows" if self.share
                else f"no {LOOP_CHORDS}-chord progression played {LOOP_MIN_TIMES} times")
        first = [f for k, f in enumerate(self.figures) if k == 0 or f != self.figures[k - 1]]
        return (f"{short}{self.distinct} distinct in the first {CHORD_WINDOW} chords "
                f"({', '.join(sorted(set(first[:CHORD_WINDOW])))}); {loop}")

    @property
    def threshold(self) -> str:
        return (f">= {CHORDS_MIN_DISTINCT} distinct in {CHORD_WINDOW} chords, a loop (played "
                f"{LOOP_MIN_TIMES}+ times) <= {100 * LOOP_MAX_SHARE:.0f}% (scores of "
                f"{MEASURED_MIN_BARS}+ bars)")

    @property
    def problems(self) -> tuple[str, ...]:
        out: list[str] = []
        if not self.measured:
            return ()
        if self.distinct < CHORDS_MIN_DISTINCT:
            out.append(f"only {self.distinct} distinct chords in the first {CHORD_WINDOW}")
        if self.share > LOOP_MAX_SHARE + _EPS:
            out.append(f"{'-'.join(self.loop)} fills {100 * self.share:.0f}% of the windows")
        return tuple(out)


def harmonic_vocabulary(composed: ComposedScore) -> HarmonicVocabulary:
    """Check 8 on the composer's chords in order (Roman numerals relative to their
    key, inversions and sevenths left out: V7, V65 and V are one chord; V/V is
    its own), a chord repeated across a bar line counted once."""
    spans = sorted(composed.harmony, key=lambda s: s.offset)
    figures = tuple(plain_figure(s.chord.figure) for s in spans)
    chords = [f for k, f in enumerate(figures) if k == 0 or f != figures[k - 1]]
    windows = [tuple(chords[k:k + LOOP_CHORDS]) for k in range(len(chords) - LOOP_CHORDS + 1)]
    loop: tuple[str, ...] = ()
    if windows:
        loop = collections.Counter(windows).most_common(1)[0][0]
    return HarmonicVocabulary(figures, loop, loop_share(figures),
                              len({s.bar for s in composed.harmony}))


# ----------------------------------------------------------------- 9. consonance


@dataclass(frozen=True)
class Consonance:
    """Check 9: most sonorities on the beats are consonant."""

    number: ClassVar[int] = 9
    title: ClassVar[str] = "consonance on the beats"
    consonant: int
    beats: int
    by_scene: tuple[tuple[str, int, int], ...]  # (scene, consonant, beats)

    @property
    def share(self) -> float:
        return self.consonant / self.beats if self.beats else 1.0

    @property
    def passed(self) -> bool:
        return self.share >= CONSONANT_MIN_SHARE

    @property
    def figure(self) -> str:
        worst = min(self.by_scene, key=lambda s: s[1] / s[2] if s[2] else 1.0, default=None)
        least = (f", least {100 * worst[1] / worst[2]:.0f}% ({worst[0]})"
                 if worst is not None and worst[2] else "")
        return f"{100 * self.share:.0f}% of {self.beats} beats consonant{least}"

    @property
    def threshold(self) -> str:
        return f">= {100 * CONSONANT_MIN_SHARE:.0f}%"

    @property
    def problems(self) -> tuple[str, ...]:
        if self.passed:
            return ()
        low = [f"{name}: {good} of {beats}" for name, good, beats in self.by_scene
               if good < CONSONANT_MIN_SHARE * beats]
        return (f"{self.consonant} of {self.beats} beats consonant"
                + (f" (least: {', '.join(low)})" if low else ""),)


def consonance(plans: Sequence[ScenePlan], composed: ComposedScore) -> Consonance:
    """Check 9: ``chordify`` the score, then ``isConsonant`` on what sounds at each beat.

    A beat is every quarter note from each bar line; what sounds there is the
    chordified sonority that begins on or is held over the beat (ties
    included). Beats where nothing sounds are not counted.
    """
    view = view_of(composed)
    counts = [[0, 0] for _ in plans]
    scene_starts = list(composed.timeline.scene_offsets)
    for beat, good in beat_consonance(composed.score, view.measures):
        scene = int(np.searchsorted(scene_starts, beat + _EPS, side="right")) - 1
        scene = composed.timeline.host(scene)  # a flash plays its host's music
        counts[scene][1] += 1
        counts[scene][0] += int(good)
    return Consonance(sum(c[0] for c in counts), sum(c[1] for c in counts),
                      tuple((p.scene_id, c[0], c[1]) for p, c in zip(plans, counts, strict=True)
                            if c[1]))


# ----------------------------------------------------------------- 10. melody


@dataclass(frozen=True)
class SceneMelody:
    """Melodic motion in one scene."""

    scene_id: str
    notes: int
    motion: Motion
    low: int
    high: int

    @property
    def range(self) -> int:
        return self.high - self.low

    @property
    def range_measured(self) -> bool:
        return self.notes >= RANGE_MIN_NOTES

    @property
    def range_ok(self) -> bool:
        return not self.range_measured or RANGE_SEMITONES[0] <= self.range <= RANGE_SEMITONES[1]


@dataclass(frozen=True)
class MelodyShape:
    """Check 10: mostly steps, leaps that turn back, a singable range per scene."""

    number: ClassVar[int] = 10
    title: ClassVar[str] = "melody"
    scenes: tuple[SceneMelody, ...]

    @property
    def total(self) -> Motion:
        return sum((s.motion for s in self.scenes), Motion(0, 0, 0, 0))

    @property
    def step_share(self) -> float:
        total = self.total
        return total.steps / total.moves if total.moves else 1.0

    @property
    def turn_share(self) -> float:
        total = self.total
        return total.turns / total.leaps if total.leaps else 1.0

    @property
    def passed(self) -> bool:
        return (self.step_share >= STEP_MIN_SHARE and self.turn_share >= LEAP_TURN_MIN_SHARE
                and all(s.range_ok for s in self.scenes))

    @property
    def figure(self) -> str:
        ranges = [s.range for s in self.scenes if s.range_measured]
        span = (f"ranges {min(ranges)}-{max(ranges)} semitones" if ranges
                else f"no scene of {RANGE_MIN_NOTES}+ notes for a range")
        leaps = self.total.leaps
        turning = (f"{100 * self.turn_share:.0f}% of {leaps} leaps turn back" if leaps
                   else "no leaps")
        return f"{100 * self.step_share:.0f}% steps, {turning}, {span}"

    @property
    def threshold(self) -> str:
        return (f">= {100 * STEP_MIN_SHARE:.0f}% steps, >= {100 * LEAP_TURN_MIN_SHARE:.0f}% "
                f"leaps turn, range {RANGE_SEMITONES[0]}-{RANGE_SEMITONES[1]} per scene")

    @property
    def problems(self) -> tuple[str, ...]:
        out = []
        if self.step_share < STEP_MIN_SHARE:
            out.append(f"steps {100 * self.step_share:.0f}%")
        if self.turn_share < LEAP_TURN_MIN_SHARE:
            out.append(f"leaps that turn back {100 * self.turn_share:.0f}%")
        out += [f"{s.scene_id}: range {s.range} semitones over {s.notes} notes"
                for s in self.scenes if not s.range_ok]
        return tuple(out)


def melody_shape(plans: Sequence[ScenePlan], composed: ComposedScore) -> MelodyShape:
    """Check 10 on the melody part, scene by scene.

    Tied notes count once; a chord counts as its top note. Intervals join
    consecutive notes of one phrase: a rest of a beat or more ends a phrase
    (as a rest breaks music21's ``melodicIntervals``; shorter gaps are
    articulation), and so does a scene boundary. A repeated note is not a
    move. A leap turns back when the next interval of its phrase goes the
    other way. Steps and turning leaps are pooled over the story (a short
    scene has too few intervals for a share of its own); the range is per
    scene, for scenes of eight notes or more.
    """
    view = view_of(composed)
    scenes = []
    for i, plan in enumerate(plans):
        if not _sounds(plan):
            continue
        notes = view.onsets("melody", *_scene_span(composed, i))
        if not notes:
            continue
        pitch_phrases = [[max(n.pitches) for n in phrase] for phrase in phrases(notes)]
        pitches = [p for phrase in pitch_phrases for p in phrase]
        scenes.append(SceneMelody(plan.scene_id, len(pitches), motion(pitch_phrases),
                                  min(pitches), max(pitches)))
    return MelodyShape(tuple(scenes))


# ----------------------------------------------------------------- 11. motif recurrence


@dataclass(frozen=True)
class MotifRecurrence:
    """Check 11: the melody comes back to its own rhythms and shapes."""

    number: ClassVar[int] = 11
    title: ClassVar[str] = "motif recurrence"
    bars: int  # melody bars with a note
    rhythm_share: float  # of those bars, whose rhythm another bar has too
    shapes: int  # four-note windows of the melody
    shape_share: float  # of those windows, whose diatonic intervals recur

    @property
    def measured(self) -> bool:
        return self.bars >= MEASURED_MIN_BARS

    @property
    def passed(self) -> bool:
        return not self.measured or (self.rhythm_share >= RHYTHM_MIN_SHARE
                                     and self.shape_share >= SHAPE_MIN_SHARE)

    @property
    def figure(self) -> str:
        short = "" if self.measured else "too short to tell: "
        return (f"{short}{100 * self.rhythm_share:.0f}% of {self.bars} bars repeat a bar "
                f"rhythm, {100 * self.shape_share:.0f}% of {self.shapes} {SHAPE_NOTES}-note "
                "shapes recur")

    @property
    def threshold(self) -> str:
        return (f">= {100 * RHYTHM_MIN_SHARE:.0f}% of bar rhythms, "
                f">= {100 * SHAPE_MIN_SHARE:.0f}% of shapes (melodies of "
                f"{MEASURED_MIN_BARS}+ bars)")

    @property
    def problems(self) -> tuple[str, ...]:
        out: list[str] = []
        if not self.measured:
            return ()
        if self.rhythm_share < RHYTHM_MIN_SHARE:
            out.append(f"bar rhythms recur {100 * self.rhythm_share:.0f}%")
        if self.shape_share < SHAPE_MIN_SHARE:
            out.append(f"{SHAPE_NOTES}-note shapes recur {100 * self.shape_share:.0f}%")
        return tuple(out)


def piece_recurrence(view: ScoreView, part: str) -> MotifRecurrence:
    """Motif recurrence of one part of any score (a story's melody, a folk song, a soprano).

    A bar's rhythm is its notes' and rests' places and written lengths (a
    note tied in from the bar before counts as held, not struck); a shape is
    the diatonic intervals of four consecutive notes within a phrase (a
    sequence a step higher, or the same tune in another mode, is the same
    shape).
    """
    rhythms = view.rhythms.get(part, [])
    shapes = [s for phrase in phrases(view.merged(part))
              for s in interval_shapes([max(n.steps) for n in phrase])]
    return MotifRecurrence(len(rhythms), recurring_share(rhythms), len(shapes),
                           recurring_share(shapes))


def motif_recurrence(composed: ComposedScore) -> MotifRecurrence:
    """Check 11 on the melody part."""
    return piece_recurrence(view_of(composed), "melody")


# ----------------------------------------------------------------- 12. contour


@dataclass(frozen=True)
class SceneContour:
    """Melody against skyline in one scene."""

    scene_id: str
    skyline_range: float  # the smoothed skyline's spread under the scene's notes
    notes: int
    rho: float

    @property
    def clear(self) -> bool:
        return self.skyline_range > CLEAR_SKYLINE_RANGE and self.notes >= CONTOUR_MIN_NOTES

    @property
    def passed(self) -> bool:
        return not self.clear or self.rho >= CONTOUR_MIN_RHO


@dataclass(frozen=True)
class Contour:
    """Check 12: the melody rises and falls with the picture's skyline."""

    number: ClassVar[int] = 12
    title: ClassVar[str] = "melody follows the skyline"
    scenes: tuple[SceneContour, ...]

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.scenes)

    @property
    def figure(self) -> str:
        clear = [s for s in self.scenes if s.clear]
        if not clear:
            return f"no scene with a clear skyline and {CONTOUR_MIN_NOTES}+ melody notes"
        return (f"least rho {min(s.rho for s in clear):.2f} over {len(clear)} "
                f"scene{'s' if len(clear) > 1 else ''} with a clear skyline")

    @property
    def threshold(self) -> str:
        return (f"Spearman rho >= {CONTOUR_MIN_RHO} (skyline under the notes spanning > "
                f"{CLEAR_SKYLINE_RANGE}, "
                f">= {CONTOUR_MIN_NOTES} notes)")

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{s.scene_id}: rho {s.rho:.2f} over {s.notes} notes "
                     f"(skyline under them spanning {s.skyline_range:.2f})"
                     for s in self.scenes if not s.passed)


def skyline_at(contour: Sequence[float], fraction: float) -> float:
    """The skyline's height at a fraction of the picture's width (linear between samples)."""
    if not contour:
        return 0.5
    if len(contour) == 1:
        return float(contour[0])
    xs = np.linspace(0.0, 1.0, len(contour))
    return float(np.interp(fraction, xs, np.asarray(contour, dtype=float)))


def _varies(*arrays: np.ndarray) -> bool:
    return all(float(np.ptp(a)) > 0 for a in arrays)


def contour(plans: Sequence[ScenePlan], composed: ComposedScore) -> Contour:
    """Check 12: each melody note's pitch against the skyline's height at its place.

    A note's place is its onset's fraction of the scene's length, read on the
    skyline from left to right as the composer reads it: smoothed over a tenth
    of the picture's width (``melody.smooth_skyline``: a gap between two trees
    is not a leap for the tune to make). A skyline is clear when the heights
    under the scene's notes span more than 0.15 of the picture's height and
    the scene has eight melody notes or more to rank (fewer cannot show a
    shape). The spread is measured where the notes meet the skyline, not over
    the whole picture: a picture whose contour jumps in one corner while the
    notes' heights differ by a few hundredths has no rise or fall for the
    tune to follow, and a rank correlation over such near-ties is noise.
    """
    from scipy.stats import spearmanr

    from storyscore.compose.melody import smooth_skyline

    view = view_of(composed)
    scenes = []
    for i, plan in enumerate(plans):
        if not _sounds(plan):
            continue
        start, end = _scene_span(composed, i)
        notes = view.onsets("melody", start, end)
        xs, skyline = smooth_skyline(plan.contour)
        pitches = np.array([max(n.pitches) for n in notes], dtype=float)
        heights = np.array([float(np.interp((n.offset - start) / (end - start), xs, skyline))
                            for n in notes])
        spread = float(np.ptp(heights)) if len(heights) else 0.0
        rho = 0.0
        if len(notes) >= 2 and _varies(pitches, heights):
            rho = float(spearmanr(pitches, heights).statistic)
        scenes.append(SceneContour(plan.scene_id, spread, len(notes), rho))
    return Contour(tuple(scenes))


# ----------------------------------------------------------------- 13. leitmotifs


class Statement(Protocol):
    """What the check reads of a leitmotif statement (compose.leitmotif.LeitmotifStatement)."""

    @property
    def character(self) -> str: ...

    @property
    def scene(self) -> int: ...

    @property
    def offset(self) -> float: ...

    @property
    def part(self) -> str: ...

    @property
    def intervals(self) -> tuple[int, ...]: ...

    @property
    def rhythm(self) -> tuple[float, ...]: ...


@dataclass(frozen=True)
class CharacterMotif:
    """Where one character's leitmotif is wanted and where it is heard."""

    character: str
    wanted: tuple[str, ...]  # sounding scenes whose plan names the character
    heard: tuple[str, ...]  # scenes with a statement found in the score
    missing_notes: tuple[str, ...]  # statements the composer claims but the score lacks

    @property
    def passed(self) -> bool:
        return set(self.wanted) == set(self.heard) and not self.missing_notes


@dataclass(frozen=True)
class Leitmotifs:
    """Check 13: each character's motif sounds where it is named, and nowhere else."""

    number: ClassVar[int] = 13
    title: ClassVar[str] = "leitmotifs by scene"
    characters: tuple[CharacterMotif, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.characters)

    @property
    def figure(self) -> str:
        if not self.characters:
            return "no character named in a sounding scene"
        return "; ".join(f"{c.character} heard in {len(c.heard)} of {len(c.wanted)} scenes "
                         f"naming it" + (f" and {len(set(c.heard) - set(c.wanted))} others"
                                         if set(c.heard) - set(c.wanted) else "")
                         for c in self.characters)

    @property
    def threshold(self) -> str:
        return "in every sounding scene that names the character, in no other"

    @property
    def problems(self) -> tuple[str, ...]:
        out = []
        for c in self.characters:
            missing = [s for s in c.wanted if s not in c.heard]
            extra = [s for s in c.heard if s not in c.wanted]
            if missing:
                out.append(f"{c.character}: not heard in {', '.join(missing)}")
            if extra:
                out.append(f"{c.character}: heard in {', '.join(extra)}, which do not name it")
            out += [f"{c.character}: {m}" for m in c.missing_notes]
        return tuple(out)


def statement_sounds(view: ScoreView, statement: Statement) -> bool:
    """Whether the score's part has the statement's notes: its onsets (from its
    rhythm) and the intervals between them, from its offset on."""
    onsets = [statement.offset + sum(statement.rhythm[:k]) for k in range(len(statement.rhythm))]
    notes = view.onsets(statement.part, statement.offset, onsets[-1] + _EPS * 10)
    by_onset = {round(n.offset, 4): max(n.pitches) for n in notes}
    pitches = [by_onset.get(round(o, 4)) for o in onsets]
    if any(p is None for p in pitches):
        return False
    played = tuple(b - a for a, b in itertools.pairwise(p for p in pitches if p is not None))
    return played == tuple(statement.intervals)


def leitmotifs(plans: Sequence[ScenePlan], composed: ComposedScore) -> Leitmotifs:
    """Check 13: the scenes whose plans name each character (``characters``)
    against the scenes where a statement of its motif is found in the score.

    A statement counts only if the score has it: the notes at its onsets in
    its part, with its intervals (so a statement the composer lists but did
    not write fails).
    """
    view = view_of(composed)
    statements: list[Statement] = list(composed.leitmotifs)
    names = sorted({c for p in plans for c in p.characters if _sounds(p)}
                   | {s.character for s in statements})
    out = []
    for name in names:
        timeline = composed.timeline  # a flash scene sounds as the music it plays through
        wanted = tuple(p.scene_id for k, p in enumerate(plans)
                       if name in p.characters and _sounds(plans[timeline.host(k)]))
        mine = [s for s in statements if s.character == name]
        # A flash scene plays the music of the scenes around it: a statement there is its.
        heard = tuple(dict.fromkeys(
            plans[k].scene_id for s in mine if statement_sounds(view, s)
            for k in range(len(plans)) if k == s.scene or (
                timeline.host(k) == timeline.host(s.scene) and name in plans[k].characters)))
        missing = tuple(f"statement at {s.offset:g} ({plans[s.scene].scene_id}) not in the score"
                        for s in mine if not statement_sounds(view, s))
        out.append(CharacterMotif(name, wanted, heard, missing))
    return Leitmotifs(tuple(out))


# ----------------------------------------------------------------- measuring human music


@dataclass(frozen=True)
class PieceFigures:
    """The checks' figures on one piece of any provenance (for the corpus calibration)."""

    meter_changes: int
    staff_share: float
    key_r: float
    rhythm_share: float
    shape_share: float
    step_share: float
    turn_share: float
    range: int
    consonant_share: float | None  # None for a single line
    distinct_chords: int | None  # among the first CHORD_WINDOW chords
    loop_share: float | None


def measure_piece(score: stream.Score, harmony: bool) -> PieceFigures:
    """Measure a piece as the checks measure a story; the top part is its melody.

    With ``harmony``, the piece's chords are read from its texture
    (``chordify``, one sonority a beat, as a Roman numeral in the key the
    Krumhansl–Schmuckler analysis finds, inversions and sevenths left out) for
    the vocabulary and loop figures, and its beats are tested for consonance.
    """
    view = ScoreView(score)
    melody = next(iter(view.parts))
    notes = view.merged(melody)
    recurrence = piece_recurrence(view, melody)
    moved = motion([[max(n.pitches) for n in phrase] for phrase in phrases(notes)])
    pitches = [max(n.pitches) for n in notes]
    inside = sum(i for i, _ in view.staff.values())
    total = sum(t for _, t in view.staff.values())
    every = [n for part in view.parts.values() for n in part]
    _, key_r, _ = find_key(every)
    consonant: float | None = None
    distinct: int | None = None
    loop: float | None = None
    if harmony:
        beats = beat_consonance(score, view.measures)
        consonant = sum(good for _, good in beats) / len(beats) if beats else None
        figures = chord_figures(score)
        distinct, loop = distinct_chords(figures), loop_share(figures)
    return PieceFigures(
        meter_changes=max(view.meter_changes, 0),
        staff_share=inside / total if total else 1.0,
        key_r=key_r,
        rhythm_share=recurrence.rhythm_share,
        shape_share=recurrence.shape_share,
        step_share=moved.steps / moved.moves if moved.moves else 1.0,
        turn_share=moved.turns / moved.leaps if moved.leaps else 1.0,
        range=max(pitches) - min(pitches) if pitches else 0,
        consonant_share=consonant, distinct_chords=distinct, loop_share=loop)


def chord_figures(score: stream.Score) -> list[str]:
    """The chords of a piece as plain Roman numerals, one a beat (``chordify``)."""
    from music21 import chord, roman

    key = score.analyze("key")
    chords = score.chordify()  # type: ignore[no-untyped-call]
    figures = []
    for element in chords.flatten().getElementsByClass(chord.Chord):
        if not element.pitches or float(element.offset) % 1.0 > _EPS:
            continue
        numeral = roman.romanNumeralFromChord(element, key)
        figures.append(plain_figure(str(numeral.figure)))
    return figures
