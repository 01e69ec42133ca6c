"""The music's quality checks: eight measured figures, each against its threshold.

Each check reads the written score (music21 objects: notes, measures, tempo
marks, text) and the scene plans it was composed from, and returns a frozen
result with the figures it measured, the threshold and whether it passed.
``story_metrics`` runs all eight for one composition; ``format_metrics``
prints them for ``storyscore explain --metrics``.

1. Key agreement: Krumhansl–Schmuckler key finding (music21) on each scene's
   own bars ranks the intended key first, r >= 0.75.
2. Modulations: every hop joins keys whose Krumhansl–Kessler profiles
   correlate at r >= 0.5 and lasts two bars or more; the key a scene arrives
   in is held four bars or more when the scene has eight bars or more; a new
   key after a rest (a phrase modulation) follows a full close.
3. Tempo: no step between written tempo marks above 3 % (after dividing out a
   declared metric modulation), none above 6 % undeclared.
4. Downbeats: every scene boundary, timed by music21 from the written tempo
   marks, is a bar line within one video frame of the story's timeline.
5. Melody: 45 % or more of its moves are steps, 60 % or more of its leaps turn
   back, and each scene spans 7 to 17 semitones.
6. Consonance: 60 % or more of the sonorities on the beats (``chordify``) are
   consonant by music21's ``isConsonant``.
7. Palmer replication: over 18 synthetic pictures, lightness + saturation +
   yellowness correlates with log tempo + major at r >= 0.7, and each of the
   three moves the music the right way.
8. Contour: melody pitch against the skyline's height, Spearman rho >= 0.5 in
   every scene with a clear skyline.

Which bars and notes each check reads, and why, is said at each function.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from PIL import Image, ImageDraw

from storyscore.compose.request import ScenePlan, tonic_to_m21

if TYPE_CHECKING:
    from music21 import stream

    from storyscore.cache import Cache
    from storyscore.compose import ComposedScore, HarmonySpan
    from storyscore.model import Scene, Story
    from storyscore.pipeline.prepare import Prepared
    from storyscore.pipeline.soundtrack import Composition

# Thresholds, as the music issue states them.
KEY_MIN_R = 0.75
KEY_MIN_BARS = 2  # a key needs a progression to be set up
PHRASE_BARS = 4
HOP_MIN_R = 0.5
HOP_MIN_BARS = 2
ARRIVAL_MIN_BARS = 4
LONG_SCENE_BARS = 8  # a scene this long has room for a phrase in its key between modulations
RAMP_MAX_STEP = 0.03
JUMP_MAX_STEP = 0.06
STEP_MIN_SHARE = 0.45
STEP_MAX_SEMITONES = 2
LEAP_MIN_SEMITONES = 5
PHRASE_REST = 1.0  # quarter notes of rest that end a phrase
LEAP_TURN_MIN_SHARE = 0.6
RANGE_SEMITONES = (7, 17)
RANGE_MIN_NOTES = 8  # fewer notes than this cannot span a phrase's range
CONSONANT_MIN_SHARE = 0.6
PALMER_MIN_R = 0.7
PALMER_MIN_PICTURES = 18
CONTOUR_MIN_RHO = 0.5
CLEAR_SKYLINE_RANGE = 0.15  # a skyline rising or falling by more than this share of the height
CONTOUR_MIN_NOTES = 8

_EPS = 1e-6
_MODULATION_TEXT = re.compile(r"metric modulation: tempo x(\d+)/(\d+)")
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


# ----------------------------------------------------------------- the written score


@dataclass(frozen=True)
class _Note:
    """A note or chord of one part as written; ``tied`` continues the previous one."""

    offset: float
    end: float
    pitches: tuple[int, ...]
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
    bpm: float
    declared: tuple[int, int] | None  # a metric modulation's new/old ratio written here


class _ScoreView:
    """What the checks read from a music21 Score, extracted once."""

    def __init__(self, score: stream.Score) -> None:
        from music21 import chord, expressions, note, stream, tempo

        self.parts: dict[str, list[_Note]] = {}
        top: stream.Part | None = None
        for part in score.parts:
            notes = []
            for element in part.flatten().notes:
                if not isinstance(element, note.Note | chord.Chord):
                    continue
                tie = element.tie.type if element.tie is not None else None
                offset = float(element.offset)
                notes.append(_Note(offset, offset + float(element.quarterLength),
                                   tuple(int(p.midi) for p in element.pitches),
                                   tie in ("stop", "continue")))
            self.parts[str(part.id)] = notes
            if top is None and part.recurse().getElementsByClass(tempo.MetronomeMark):
                top = part
        if top is None:
            top = score.parts[0]
        self.measures = [
            _Measure(int(m.number), float(m.offset), float(m.quarterLength))
            for m in top.getElementsByClass(stream.Measure)
        ]
        flat = top.flatten()
        declared: dict[float, tuple[int, int]] = {}
        for text in flat.getElementsByClass(expressions.TextExpression):
            match = _MODULATION_TEXT.fullmatch(str(text.content))
            if match is not None:
                declared[round(float(text.offset), 6)] = (int(match[1]), int(match[2]))
        self.marks = []
        for mark in flat.getElementsByClass(tempo.MetronomeMark):
            bpm = mark.getQuarterBPM()
            if bpm is not None:
                offset = float(mark.offset)
                self.marks.append(_Mark(offset, float(bpm), declared.get(round(offset, 6))))
        # music21's own reading of the written tempo marks: (start, end, seconds per quarter).
        boundaries = top.metronomeMarkBoundaries()  # type: ignore[no-untyped-call]
        self._boundaries = [(float(start), float(end), float(mark.secondsPerQuarter()))
                            for start, end, mark in boundaries]

    @property
    def total_quarters(self) -> float:
        return self.measures[-1].end if self.measures else 0.0

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

    def onsets(self, part: str, start: float, end: float) -> list[_Note]:
        """Notes of ``part`` that begin in ``[start, end)``, ties merged into one note."""
        merged: list[_Note] = []
        for n in self.parts.get(part, []):
            if n.tied and merged and abs(merged[-1].end - n.offset) < _EPS:
                last = merged[-1]
                merged[-1] = _Note(last.offset, n.end, last.pitches, last.tied)
                continue
            merged.append(n)
        return [n for n in merged if start - _EPS <= n.offset < end - _EPS]


# Each check reads the same score; extract it once per composition (ComposedScore is
# frozen and compares by identity, so it can key a weak memo).
_VIEWS: weakref.WeakKeyDictionary[ComposedScore, _ScoreView] = weakref.WeakKeyDictionary()


def _view(composed: ComposedScore) -> _ScoreView:
    view = _VIEWS.get(composed)
    if view is None:
        view = _VIEWS[composed] = _ScoreView(composed.score)
    return view


def _scene_span(composed: ComposedScore, i: int) -> tuple[float, float]:
    start = composed.timeline.scene_offsets[i]
    return start, start + composed.timeline.scene_lengths[i]


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


# ----------------------------------------------------------------- 1. key agreement


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
    """Check 1: each scene's notes are heard in the scene's intended key."""

    number: ClassVar[int] = 1
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


def key_agreement(plans: Sequence[ScenePlan], composed: ComposedScore) -> KeyAgreement:
    """Check 1 over each scene's own bars.

    A scene's own bars are its bars whose chords are all in the scene's key:
    the bars of a key route spilled in from the previous scene and the bars
    that already sound the next scene's key (its dominant, the route's steps)
    are left out; the pivot chord, which belongs to both keys, stays in. A
    key is set up by a progression, not by one chord or two: a scene shorter
    than a four-bar phrase with under two own bars is listed as too short to
    tell; a longer one with under two own bars is heard whole (it must set its
    key up somewhere). All parts count (melody and harmony), each note weighted by its length, as
    music21's ``KrumhanslSchmuckler`` weighs them.
    """
    from music21 import analysis, chord, stream

    view = _view(composed)
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
        excerpt: stream.Stream[chord.Chord] = stream.Stream()
        for n in notes:
            excerpt.coreInsert(n.offset, chord.Chord(list(n.pitches),
                                                     quarterLength=n.end - n.offset))
        excerpt.coreElementsChanged()
        finder = analysis.discrete.KrumhanslSchmuckler()  # type: ignore[no-untyped-call]
        found = finder.getSolution(excerpt)  # type: ignore[no-untyped-call]
        r_intended = next(
            (float(k.correlationCoefficient) for k in [found, *found.alternateInterpretations]
             if (int(k.tonic.pitchClass), str(k.mode)) == intended), float("nan"))
        scenes.append(SceneKey(
            plan.scene_id, _key_label(*intended),
            _key_label(int(found.tonic.pitchClass), str(found.mode)),
            float(found.correlationCoefficient), r_intended, len(own)))
    return KeyAgreement(tuple(scenes), tuple(short))


# ----------------------------------------------------------------- 2. modulations


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
    """Check 2: close hops, two bars each, and arrival keys that settle."""

    number: ClassVar[int] = 2
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
        hops = len(self.hops)
        return (f"{hops} hop{'s' if hops > 1 else ''}, least r "
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
    """Check 2, read from the score's harmony (the chords and the keys they are in).

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


# ----------------------------------------------------------------- 3. tempo


@dataclass(frozen=True)
class TempoStep:
    """One change of written tempo, from one mark to the next."""

    bar: int  # measure number of the new mark
    before: float
    after: float
    declared: tuple[int, int] | None

    @property
    def change(self) -> float:
        """Relative change, after dividing out a declared metric modulation."""
        ratio = self.after / self.before
        if self.declared is not None:
            ratio /= self.declared[0] / self.declared[1]
        return max(ratio, 1 / ratio) - 1

    @property
    def raw(self) -> float:
        """Relative change as heard, metric modulation included."""
        ratio = self.after / self.before
        return max(ratio, 1 / ratio) - 1


@dataclass(frozen=True)
class TempoChanges:
    """Check 3: tempo ramps of at most 3 % a step; bigger jumps only as metric modulations."""

    number: ClassVar[int] = 3
    title: ClassVar[str] = "tempo changes"
    steps: tuple[TempoStep, ...]

    @property
    def largest(self) -> TempoStep | None:
        return max(self.steps, key=lambda s: s.change, default=None)

    @property
    def undeclared_jumps(self) -> tuple[TempoStep, ...]:
        return tuple(s for s in self.steps if s.declared is None and s.raw > JUMP_MAX_STEP + 1e-9)

    @property
    def modulations(self) -> tuple[TempoStep, ...]:
        return tuple(s for s in self.steps if s.declared is not None)

    @property
    def passed(self) -> bool:
        largest = self.largest
        return (largest is None or largest.change <= RAMP_MAX_STEP + 1e-9) \
            and not self.undeclared_jumps

    @property
    def figure(self) -> str:
        largest = self.largest
        if largest is None:
            return "one steady tempo"
        mods = ", ".join(f"x{s.declared[0]}/{s.declared[1]} at bar {s.bar}"
                         for s in self.modulations if s.declared is not None)
        return (f"largest step {100 * largest.change:.1f}% (bar {largest.bar}), "
                f"{len(self.undeclared_jumps)} undeclared jumps > {100 * JUMP_MAX_STEP:.0f}%"
                + (f"; metric modulation {mods}" if mods else ""))

    @property
    def threshold(self) -> str:
        return (f"<= {100 * RAMP_MAX_STEP:.0f}% a step, none > {100 * JUMP_MAX_STEP:.0f}% "
                "unless a declared metric modulation")

    @property
    def problems(self) -> tuple[str, ...]:
        jumps = self.undeclared_jumps
        return tuple(f"bar {s.bar}: {s.before:.2f} -> {s.after:.2f} BPM "
                     f"({100 * s.change:.1f}%"
                     + (f" after x{s.declared[0]}/{s.declared[1]})" if s.declared else ")")
                     for s in self.steps if s.change > RAMP_MAX_STEP + 1e-9 or s in jumps)


def tempo_changes(composed: ComposedScore) -> TempoChanges:
    """Check 3 over every pair of consecutive written tempo marks.

    Marks are written once per beat in a ramp, so the step between two marks
    is the change per beat. A metric modulation is declared by a text
    ``metric modulation: tempo xN/D`` at its mark; its N/D is divided out
    before the step is measured, so the rest of the change must still ramp.
    """
    view = _view(composed)
    steps = []
    for a, b in itertools.pairwise(view.marks):
        measure = view.measure_at(b.offset)
        steps.append(TempoStep(measure.number if measure else 0, a.bpm, b.bpm, b.declared))
    return TempoChanges(tuple(steps))


# ----------------------------------------------------------------- 4. downbeats


@dataclass(frozen=True)
class Boundary:
    """Where a scene starts (or the music ends): the story's time and the score's."""

    scene_id: str  # the scene that starts here, or "end" for the end of the music
    target: float  # seconds on the story's timeline
    heard: float  # seconds in the written music (music21, from the tempo marks)
    downbeat: bool  # on a bar line of the score

    def passed(self, fps: int) -> bool:
        return self.downbeat and abs(self.heard - self.target) <= 1 / fps + 1e-9


@dataclass(frozen=True)
class AutoScene:
    """An ``auto`` scene, which may round its length up to the next downbeat."""

    scene_id: str
    asked: float  # seconds the story needs
    heard: float  # seconds it lasts in the written music
    last_bar: float  # seconds of its last bar

    def passed(self, fps: int) -> bool:
        return -1 / fps - 1e-9 <= self.heard - self.asked < self.last_bar + 1 / fps


@dataclass(frozen=True)
class Downbeats:
    """Check 4: every scene boundary is a downbeat within one video frame."""

    number: ClassVar[int] = 4
    title: ClassVar[str] = "scene boundaries on downbeats"
    boundaries: tuple[Boundary, ...]
    auto: tuple[AutoScene, ...]
    fps: int

    @property
    def passed(self) -> bool:
        return (all(b.passed(self.fps) for b in self.boundaries)
                and all(a.passed(self.fps) for a in self.auto))

    @property
    def error(self) -> float:
        return max((abs(b.heard - b.target) for b in self.boundaries), default=0.0)

    @property
    def figure(self) -> str:
        on = sum(b.downbeat for b in self.boundaries)
        return (f"{on}/{len(self.boundaries)} on a bar line, "
                f"largest error {1000 * self.error:.2f} ms")

    @property
    def threshold(self) -> str:
        return f"a bar line within 1 frame ({1000 / self.fps:.1f} ms at {self.fps} fps)"

    @property
    def problems(self) -> tuple[str, ...]:
        out = [f"{b.scene_id}:{'' if b.downbeat else ' not on a bar line,'} heard at "
               f"{b.heard:.3f} s, story at {b.target:.3f} s"
               for b in self.boundaries if not b.passed(self.fps)]
        out += [f"{a.scene_id}: auto scene lasts {a.heard:.3f} s for {a.asked:.3f} s asked "
                f"(last bar {a.last_bar:.3f} s)" for a in self.auto if not a.passed(self.fps)]
        return tuple(out)


def downbeats(plans: Sequence[ScenePlan], composed: ComposedScore, fps: int) -> Downbeats:
    """Check 4, timing the score by music21's reading of its written tempo marks.

    The story's timeline: each scene lasts its planned length, except an
    ``auto`` scene, which lasts as long as the video shows it (the composer's
    length, which the video follows); that may round up to a later downbeat,
    but never shortens the scene nor adds a whole bar.
    """
    view = _view(composed)
    lines = {round(m.offset, 6) for m in view.measures} | {round(view.total_quarters, 6)}
    offsets = [*composed.timeline.scene_offsets, view.total_quarters]
    heard = [view.seconds_at(q) for q in offsets]
    ids = [*(p.scene_id for p in plans), "end"]
    boundaries = []
    auto = []
    target = 0.0
    for i, offset in enumerate(offsets):
        boundaries.append(Boundary(ids[i], target, heard[i], round(offset, 6) in lines))
        if i == len(plans):
            break
        plan = plans[i]
        if plan.flexible:
            last = max((m for m in view.measures if m.offset < offsets[i + 1] - _EPS),
                       key=lambda m: m.offset, default=None)
            last_bar = heard[i + 1] - view.seconds_at(last.offset) if last else 0.0
            auto.append(AutoScene(plan.scene_id, plan.duration, heard[i + 1] - heard[i],
                                  last_bar))
            target += composed.scene_durations[i]
        else:
            target += plan.duration
    return Downbeats(tuple(boundaries), tuple(auto), fps)


# ----------------------------------------------------------------- 5. melody


@dataclass(frozen=True)
class SceneMelody:
    """Melodic motion in one scene."""

    scene_id: str
    notes: int
    moves: int  # intervals other than repeated notes
    steps: int  # moves of 1..2 semitones
    leaps: int  # intervals of 5 semitones or more followed by another note of the phrase
    turns: int  # leaps followed by a move the other way
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
    """Check 5: mostly steps, leaps that turn back, a singable range per scene."""

    number: ClassVar[int] = 5
    title: ClassVar[str] = "melody"
    scenes: tuple[SceneMelody, ...]

    @property
    def step_share(self) -> float:
        moves = sum(s.moves for s in self.scenes)
        return sum(s.steps for s in self.scenes) / moves if moves else 1.0

    @property
    def turn_share(self) -> float:
        leaps = sum(s.leaps for s in self.scenes)
        return sum(s.turns for s in self.scenes) / leaps if leaps else 1.0

    @property
    def passed(self) -> bool:
        return (self.step_share >= STEP_MIN_SHARE and self.turn_share >= LEAP_TURN_MIN_SHARE
                and all(s.range_ok for s in self.scenes))

    @property
    def figure(self) -> str:
        ranges = [s.range for s in self.scenes if s.range_measured]
        span = (f"ranges {min(ranges)}-{max(ranges)} semitones" if ranges
                else f"no scene of {RANGE_MIN_NOTES}+ notes for a range")
        leaps = sum(s.leaps for s in self.scenes)
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
    """Check 5 on the melody part, scene by scene.

    Tied notes count once; a chord counts as its top note. Intervals join
    consecutive notes of one phrase: a rest of a beat or more ends a phrase
    (as a rest breaks music21's ``melodicIntervals``; shorter gaps are
    articulation), and so does a scene boundary. A repeated note is not a
    move. A leap turns back when the next interval of its phrase goes the
    other way. Steps and turning leaps are pooled over the story (a short
    scene has too few intervals for a share of its own); the range is per
    scene, for scenes of eight notes or more.
    """
    view = _view(composed)
    scenes = []
    for i, plan in enumerate(plans):
        if not _sounds(plan):
            continue
        notes = view.onsets("melody", *_scene_span(composed, i))
        if not notes:
            continue
        phrases: list[list[int]] = [[]]
        for k, n in enumerate(notes):
            if k and n.offset - notes[k - 1].end >= PHRASE_REST - _EPS:
                phrases.append([])
            phrases[-1].append(max(n.pitches))
        moves = steps = leaps = turns = 0
        for phrase in phrases:
            intervals = [b - a for a, b in itertools.pairwise(phrase)]
            moves += sum(d != 0 for d in intervals)
            steps += sum(0 < abs(d) <= STEP_MAX_SEMITONES for d in intervals)
            for d, following in itertools.pairwise(intervals):
                if abs(d) >= LEAP_MIN_SEMITONES:
                    leaps += 1
                    turns += int(following * d < 0)
        pitches = [p for phrase in phrases for p in phrase]
        scenes.append(SceneMelody(plan.scene_id, len(pitches), moves, steps, leaps, turns,
                                  min(pitches), max(pitches)))
    return MelodyShape(tuple(scenes))


# ----------------------------------------------------------------- 6. consonance


@dataclass(frozen=True)
class Consonance:
    """Check 6: most sonorities on the beats are consonant."""

    number: ClassVar[int] = 6
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
    """Check 6: ``chordify`` the score, then ``isConsonant`` on what sounds at each beat.

    A beat is every quarter note from each bar line; what sounds there is the
    chordified sonority that begins on or is held over the beat (ties
    included). Beats where nothing sounds are not counted.
    """
    from music21 import chord

    view = _view(composed)
    chords = composed.score.chordify()  # type: ignore[no-untyped-call]
    sonorities: list[tuple[float, float, bool]] = []
    for element in chords.flatten().getElementsByClass(chord.Chord):
        if not element.pitches:
            continue
        offset = float(element.offset)
        sonorities.append((offset, offset + float(element.quarterLength),
                           bool(element.isConsonant())))
    sonorities.sort()
    starts = [s[0] for s in sonorities]
    counts = [[0, 0] for _ in plans]
    scene_starts = list(composed.timeline.scene_offsets)
    for measure in view.measures:
        k = 0.0
        while k < measure.length - _EPS:
            beat = measure.offset + k
            k += 1.0
            index = int(np.searchsorted(starts, beat + _EPS, side="right")) - 1
            if index < 0 or sonorities[index][1] <= beat + _EPS:
                continue
            scene = int(np.searchsorted(scene_starts, beat + _EPS, side="right")) - 1
            counts[scene][1] += 1
            counts[scene][0] += int(sonorities[index][2])
    return Consonance(sum(c[0] for c in counts), sum(c[1] for c in counts),
                      tuple((p.scene_id, c[0], c[1]) for p, c in zip(plans, counts, strict=True)
                            if c[1]))


# ----------------------------------------------------------------- 7. Palmer replication


def palmer_picture(rgb: tuple[int, int, int], size: tuple[int, int] = (160, 90)) -> Image.Image:
    """A flat colour with a gentle skyline in a slightly darker shade of it."""
    image = Image.new("RGB", size, rgb)
    draw = ImageDraw.Draw(image)
    shade = tuple(int(c * 0.8) for c in rgb)
    w, h = size
    draw.polygon([(0, 0.78 * h), (0.25 * w, 0.56 * h), (0.5 * w, 0.67 * h),
                  (0.75 * w, 0.44 * h), (w, 0.72 * h), (w, h), (0, h)], fill=shade)
    return image


def palmer_pictures() -> list[Image.Image]:
    """18 pictures over lightness (3) x chroma (3) x yellow–blue (2), as in Palmer et al. 2013."""
    from storyscore.analyse import lab_to_srgb

    out = []
    for lightness in (35.0, 55.0, 75.0):
        for chroma in (5.0, 25.0, 45.0):
            for hue in (85.0, 265.0):  # CIELAB hue angles of yellow and blue
                a = chroma * math.cos(math.radians(hue))
                b = chroma * math.sin(math.radians(hue))
                rgb = np.clip(np.asarray(lab_to_srgb([lightness, a, b])), 0, 255)
                r, g, bl = (round(float(c)) for c in rgb)
                out.append(palmer_picture((r, g, bl)))
    return out


@dataclass(frozen=True)
class PalmerReplication:
    """Check 7: the mapping repeats Palmer et al.'s colour–music correspondence."""

    number: ClassVar[int] = 7
    title: ClassVar[str] = "Palmer replication (mapping)"
    pictures: int
    r: float  # colour (L* + C* + b*, z-scored) against music (log tempo + major, z-scored)
    effects: tuple[tuple[str, float], ...]  # music response above minus below the mean

    @property
    def passed(self) -> bool:
        return (self.pictures >= PALMER_MIN_PICTURES and self.r >= PALMER_MIN_R
                and all(effect > 0 for _, effect in self.effects))

    @property
    def figure(self) -> str:
        effects = ", ".join(f"{name} {effect:+.2f}" for name, effect in self.effects)
        return f"r {self.r:.2f} over {self.pictures} pictures; {effects}"

    @property
    def threshold(self) -> str:
        return f"r >= {PALMER_MIN_R} over >= {PALMER_MIN_PICTURES} pictures, every effect > 0"

    @property
    def problems(self) -> tuple[str, ...]:
        out = [f"{name} moves the music the wrong way ({effect:+.2f})"
               for name, effect in self.effects if effect <= 0]
        if self.r < PALMER_MIN_R:
            out.insert(0, f"r {self.r:.2f}")
        if self.pictures < PALMER_MIN_PICTURES:
            out.insert(0, f"only {self.pictures} pictures")
        return tuple(out)


def palmer_replication(pictures: Sequence[Image.Image] | None = None) -> PalmerReplication:
    """Check 7: sonify pictures that vary in lightness, chroma and yellow–blue together.

    Colour is the sum of the z-scored L*, C* and b* the analysis measures;
    the music is the sum of the z-scored log tempo and major (1) / minor (0).
    Each dimension's effect is the mean music response of the pictures above
    that dimension's mean minus that of those below it (the pictures cross
    the three dimensions, so the other two roughly cancel out).
    """
    if pictures is None:
        return _default_palmer()
    return _palmer(list(pictures))


@functools.lru_cache(maxsize=1)
def _default_palmer() -> PalmerReplication:
    return _palmer(palmer_pictures())


def _palmer(pictures: list[Image.Image]) -> PalmerReplication:
    from storyscore.analyse import analyse
    from storyscore.model import MusicSettings
    from storyscore.pipeline.mapping import sonify

    features = [analyse(p) for p in pictures]
    music = sonify(features, [MusicSettings()] * len(features))
    lab = np.array([[f.lightness_mean, f.chroma_mean, f.b_mean] for f in features])
    z = (lab - lab.mean(axis=0)) / np.where(lab.std(axis=0) > 0, lab.std(axis=0), 1.0)
    tempo = np.log([m.tempo for m in music])
    major = np.array([1.0 if m.mode == "major" else 0.0 for m in music])
    response = _z(tempo) + _z(major)
    colour = z.sum(axis=1)
    r = float(np.corrcoef(colour, response)[0, 1]) if _varies(colour, response) else 0.0
    effects = []
    for column, name in enumerate(("lightness", "saturation", "yellowness")):
        high, low = response[z[:, column] > 0], response[z[:, column] < 0]
        effect = float(high.mean() - low.mean()) if len(high) and len(low) else 0.0
        effects.append((name, effect))
    return PalmerReplication(len(pictures), r, tuple(effects))


def _z(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def _varies(*arrays: np.ndarray) -> bool:
    return all(float(np.ptp(a)) > 0 for a in arrays)


# ----------------------------------------------------------------- 8. contour


@dataclass(frozen=True)
class SceneContour:
    """Melody against skyline in one scene."""

    scene_id: str
    skyline_range: float
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
    """Check 8: the melody rises and falls with the picture's skyline."""

    number: ClassVar[int] = 8
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
        return (f"Spearman rho >= {CONTOUR_MIN_RHO} (skyline range > {CLEAR_SKYLINE_RANGE}, "
                f">= {CONTOUR_MIN_NOTES} notes)")

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{s.scene_id}: rho {s.rho:.2f} over {s.notes} notes "
                     f"(skyline range {s.skyline_range:.2f})"
                     for s in self.scenes if not s.passed)


def skyline_at(contour: Sequence[float], fraction: float) -> float:
    """The skyline's height at a fraction of the picture's width (linear between samples)."""
    if not contour:
        return 0.5
    if len(contour) == 1:
        return float(contour[0])
    xs = np.linspace(0.0, 1.0, len(contour))
    return float(np.interp(fraction, xs, np.asarray(contour, dtype=float)))


def contour(plans: Sequence[ScenePlan], composed: ComposedScore) -> Contour:
    """Check 8: each melody note's pitch against the skyline's height at its place.

    A note's place is its onset's fraction of the scene's length, read on the
    skyline from left to right. A skyline is clear when its heights span more
    than 0.15 of the picture's height and the scene has eight melody notes or
    more to rank (fewer cannot show a shape).
    """
    from scipy.stats import spearmanr

    view = _view(composed)
    scenes = []
    for i, plan in enumerate(plans):
        if not _sounds(plan):
            continue
        start, end = _scene_span(composed, i)
        notes = view.onsets("melody", start, end)
        pitches = np.array([max(n.pitches) for n in notes], dtype=float)
        heights = np.array([skyline_at(plan.contour, (n.offset - start) / (end - start))
                            for n in notes])
        spread = float(np.ptp(plan.contour)) if plan.contour else 0.0
        rho = 0.0
        if len(notes) >= 2 and _varies(pitches, heights):
            rho = float(spearmanr(pitches, heights).statistic)
        scenes.append(SceneContour(plan.scene_id, spread, len(notes), rho))
    return Contour(tuple(scenes))


# ----------------------------------------------------------------- all together


@dataclass(frozen=True)
class StoryMetrics:
    """All eight checks for one composed path."""

    scene_ids: tuple[str, ...]
    key: KeyAgreement
    modulation: Modulations
    tempo: TempoChanges
    downbeats: Downbeats
    melody: MelodyShape
    consonance: Consonance
    palmer: PalmerReplication
    contour: Contour

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.key, self.modulation, self.tempo, self.downbeats, self.melody,
                self.consonance, self.palmer, self.contour)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{c.number}. {c.title}: {p}" for c in self.checks for p in c.problems)


def story_metrics(plans: Sequence[ScenePlan], composed: ComposedScore, fps: int, *,
                  palmer: PalmerReplication | None = None) -> StoryMetrics:
    """Run the eight checks on a score composed from ``plans`` at ``fps``."""
    return StoryMetrics(
        scene_ids=tuple(p.scene_id for p in plans),
        key=key_agreement(plans, composed),
        modulation=modulations(plans, composed),
        tempo=tempo_changes(composed),
        downbeats=downbeats(plans, composed, fps),
        melody=melody_shape(plans, composed),
        consonance=consonance(plans, composed),
        palmer=palmer if palmer is not None else palmer_replication(),
        contour=contour(plans, composed),
    )


def path_metrics(prepared: Prepared, path: Sequence[Scene]) -> StoryMetrics:
    """Compose ``path`` as the renderer does and measure it."""
    from storyscore.pipeline.soundtrack import compose_path

    composition = compose_path(prepared, path)
    return story_metrics(composition.plans, composition.score, prepared.story.fps)


def measure_story(story: Story, cache: Cache, path: Sequence[Scene] | None = None,
                  tick: Callable[[str, str], None] | None = None
                  ) -> tuple[StoryMetrics, Composition]:
    """Paint, narrate, compose and measure a path (default: the story's default path);
    the measured figures and the composition they were measured on."""
    from storyscore.pipeline.prepare import prepare
    from storyscore.pipeline.soundtrack import compose_path
    from storyscore.timeline import default_path

    scenes = list(path) if path is not None else default_path(story)
    composition = compose_path(prepare(story, scenes, cache, tick), scenes)
    return story_metrics(composition.plans, composition.score, story.fps), composition


def format_metrics(metrics: StoryMetrics) -> str:
    """The checks as text: each one's verdict, what was measured, what is wanted, problems."""
    lines = [f"Quality checks for the path {' -> '.join(metrics.scene_ids)}"]
    for check in metrics.checks:
        lines.append(f"{check.number}. {check.title}: {'PASS' if check.passed else 'FAIL'}")
        lines.append(f"   measured: {check.figure}")
        lines.append(f"   wanted:   {check.threshold}")
        lines += [f"   - {p}" for p in check.problems]
    passed = sum(c.passed for c in metrics.checks)
    lines.append(f"{passed} of {len(metrics.checks)} checks pass")
    return "\n".join(lines) + "\n"


__all__ = [
    "Check",
    "Consonance",
    "Contour",
    "Downbeats",
    "KeyAgreement",
    "MelodyShape",
    "Modulations",
    "PalmerReplication",
    "StoryMetrics",
    "TempoChanges",
    "consonance",
    "contour",
    "downbeats",
    "format_metrics",
    "key_agreement",
    "measure_story",
    "melody_shape",
    "modulations",
    "palmer_replication",
    "path_metrics",
    "story_metrics",
    "tempo_changes",
]
