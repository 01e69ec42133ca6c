"""The bar grid and tempo map of a whole story path.

Every scene boundary is a downbeat, within a video frame of its target time:

* Each scene gets a whole number of bars of its metre and a steady tempo
  within ±5 % of its target. Where no whole number of bars fits that window,
  a fixed-length scene ends with ONE bar of another length (2/4, 3/4, 5/4,
  6/4 — or 3/8, 5/8, 7/8 … when the scene is very short), as film scores do;
  an ``auto`` (flexible) scene instead keeps its tempo and rounds up to the
  next downbeat.
* Between scenes the tempo ramps with a constant ratio per beat, at most 3 %
  per beat, over the beats around the boundary (straddling it, at most two
  bars and half a scene on each side, so that each scene keeps its own steady
  tempo for most of its length). MIDI has no ramps, so every ramp beat gets
  its own tempo mark.
* A change too large to ramp in that room becomes a metric modulation at the
  boundary's bar line: the tempo jumps by a simple ratio (3:2, 4:3, 2:1, 3:1,
  5:4, 5:3, 5:2 … or their inverses: an old dotted, triplet, quintuplet or
  subdivided pulse becomes the new beat), and what the ratio leaves over (at
  most about 12 %) is ramped. Only scenes of a few beats between very
  different tempos can leave a step above 3 %: there is no room for more.
* Ramps change how long the scenes around them last, so the steady tempos are
  solved together (Gauss–Seidel over scenes, Newton per scene) until each
  fixed scene lasts exactly its target; a scene's bar count is re-chosen, on a
  finer grid, if its solved tempo leaves the ±5 % window. Of all candidates
  tried, the one that breaks the fewest promises (by how much) is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from storyscore.compose.request import ScenePlan

MAX_TEMPO_DEVIATION = 0.05
MAX_RAMP_STEP = 0.03
_DESIGN_STEP = 0.029  # a little under the limit: the solve moves tempos after ramps are laid out
MAX_RAMP_BEATS = 8
# Metric modulations, simplest first: the new beat is an old dotted, triplet, quintuplet or
# subdivided pulse. With this many, what is left to ramp after the jump is at most ~12 %.
MODULATION_RATIOS = tuple(
    Fraction(r) for r in ("3/2", "2/3", "4/3", "3/4", "2", "1/2", "3", "1/3", "4", "1/4",
                          "5/4", "4/5", "5/3", "3/5", "5/2", "2/5", "5", "1/5", "6", "1/6",
                          "8", "1/8", "10", "1/10", "12", "1/12")
)


@dataclass(frozen=True)
class Bar:
    """One measure of the score."""

    index: int
    scene: int
    offset: float  # quarter notes from the start of the piece
    length: float  # quarter notes
    numerator: int
    denominator: int
    odd: bool  # the scene's one bar of another length

    @property
    def time_signature(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def end(self) -> float:
        return self.offset + self.length


@dataclass(frozen=True)
class TempoMark:
    """A written tempo: quarter-note BPM from ``offset`` on."""

    offset: float
    bpm: float
    modulation: Fraction | None = None  # new/old tempo ratio of a metric modulation here


@dataclass(frozen=True)
class Timeline:
    """Bars, tempo marks and where every scene lies, in quarter notes and seconds."""

    bars: tuple[Bar, ...]
    marks: tuple[TempoMark, ...]
    scene_offsets: tuple[float, ...]
    scene_lengths: tuple[float, ...]
    scene_starts: tuple[float, ...]
    scene_durations: tuple[float, ...]
    meters: tuple[int, ...]  # quarter notes in each scene's regular bar
    tempos: tuple[float, ...]  # each scene's steady tempo (outside the ramps)

    @property
    def total_quarters(self) -> float:
        return self.bars[-1].end

    def scene_bars(self, scene: int) -> list[Bar]:
        return [bar for bar in self.bars if bar.scene == scene]

    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        offsets = np.array([m.offset for m in self.marks])
        spb = np.array([60.0 / m.bpm for m in self.marks])
        starts = np.concatenate([[0.0], np.cumsum(np.diff(offsets) * spb[:-1])])
        return offsets, spb, starts

    def seconds_at(self, offset: float) -> float:
        """Seconds from the start of the piece at a quarter-note offset."""
        offsets, spb, starts = self._tables()
        i = int(np.searchsorted(offsets, offset, side="right")) - 1
        return float(starts[i] + (offset - offsets[i]) * spb[i])

    def offset_at(self, seconds: float) -> float:
        """Quarter-note offset at a time in seconds (the inverse of ``seconds_at``)."""
        offsets, spb, starts = self._tables()
        i = max(0, int(np.searchsorted(starts, seconds, side="right")) - 1)
        return float(offsets[i] + (seconds - starts[i]) / spb[i])


def scene_meter(plan: ScenePlan) -> int:
    """Quarter notes per regular bar: a lilting 3/4 for gentle, happy, slow scenes, else 4/4."""
    gentle = plan.arousal < -0.15 and plan.valence > 0.15 and plan.tension < 0.4
    return 3 if gentle and plan.texture in ("pad", "arpeggio") else 4


def bar_lengths(length: float, meter: int) -> list[float]:
    """Split a scene's length into regular bars plus at most one odd bar at the end."""
    full = int(length // meter)
    extra = length - full * meter
    if extra < 1e-9:
        return [float(meter)] * max(full, 0)
    if extra < 2 and full >= 1:
        return [float(meter)] * (full - 1) + [meter + extra]
    return [float(meter)] * full + [extra]


def signature_of(length: float) -> tuple[int, int]:
    """Time signature numerator/denominator for a bar of ``length`` quarter notes."""
    for denominator in (4, 8, 16):
        count = length * denominator / 4
        if abs(count - round(count)) < 1e-9:
            return round(count), denominator
    raise ValueError(f"bar length {length} is not on a sixteenth grid")


def _choose_length(beats: float, meter: int, flexible: bool, tol: float) -> tuple[float, bool]:
    """Scene length in quarter notes for ``beats`` at the target tempo; and whether
    the tempo is then held at the target (a flexible scene rounded up)."""
    bars = max(1, round(beats / meter))
    for n in sorted({bars, bars - 1, bars + 1}, key=lambda n: abs(n * meter / beats - 1)):
        if n >= 1 and abs(n * meter / beats - 1) <= tol:
            return float(n * meter), False
    if flexible:
        return float(meter * max(1, math.ceil(beats / meter - 1e-9))), True
    candidate = beats
    for grid in (1, 2, 4):
        candidate = max(1 / grid, round(beats * grid) / grid)
        if abs(candidate / beats - 1) <= tol:
            return candidate, False
    return candidate, False


@dataclass(frozen=True)
class _Ramp:
    rho: Fraction  # metric-modulation ratio at the bar line (1: none)
    before: int  # ramp beats at the end of the outgoing scene
    after: int  # ramp beats at the start of the incoming scene

    @property
    def steps(self) -> int:
        return self.before + self.after + 1


def _beats(lengths: list[float]) -> list[float]:
    """Lengths of the beats (quarter notes; a shorter last beat in a 5/8 bar) of a scene."""
    out: list[float] = []
    for length in lengths:
        whole = math.ceil(length - 1e-9)
        out.extend(min(1.0, length - k) for k in range(whole))
    return out


def _steps(ratio: float, rho: Fraction) -> int:
    """Tempo steps of at most ``_DESIGN_STEP`` needed to cover ``ratio`` after jumping by rho."""
    return max(1, math.ceil(abs(math.log(ratio / float(rho))) / math.log1p(_DESIGN_STEP) - 1e-9))


def _plan_ramps(
    tempos: list[float], beats: list[list[float]], previous: list[_Ramp] | None = None
) -> list[_Ramp]:
    """Lay out each boundary's ramp for the current tempo estimates.

    ``previous`` makes the choice sticky (keep a metric modulation once chosen,
    never shorten a ramp) so that the joint tempo solve cannot oscillate
    between laying a ramp out one way and the other.
    """
    ramps: list[_Ramp] = []
    taken_at_start = 0
    for i in range(len(tempos) - 1):
        ratio = tempos[i + 1] / tempos[i]
        # A ramp takes at most half of each scene's beats (and two bars), so each scene keeps
        # its own steady tempo for most of its length; beyond that, modulate. Only when even
        # a modulation leaves more than that to ramp may the ramp use whole short scenes.
        full_out = max(0, min(MAX_RAMP_BEATS, len(beats[i]) - 1 - taken_at_start))
        full_in = max(0, min(MAX_RAMP_BEATS, len(beats[i + 1]) - 1))
        room_out = min(full_out, (len(beats[i]) - 1) // 2)
        room_in = min(full_in, (len(beats[i + 1]) - 1) // 2)
        old = previous[i] if previous else None
        if old is not None and _steps(ratio, old.rho) - 1 <= full_out + full_in:
            rho = old.rho
        else:
            rho = Fraction(1)
            if _steps(ratio, rho) - 1 > room_out + room_in:
                rho = min(MODULATION_RATIOS,
                          key=lambda r: (_steps(ratio, r), MODULATION_RATIOS.index(r)))
                if _steps(ratio, rho) >= _steps(ratio, Fraction(1)):
                    rho = Fraction(1)
        if _steps(ratio, rho) - 1 > room_out + room_in:
            room_out, room_in = full_out, full_in
        need = _steps(ratio, rho) - 1
        if old is not None and old.rho == rho:
            need = max(need, old.before + old.after)
        # Straddle the boundary: half the ramp ends the old scene, half starts the new one,
        # so neither scene's own tempo has to bend far to keep its length.
        before = min(room_out, (need + 1) // 2)
        after = min(room_in, need - before)
        before = min(room_out, need - after)
        ramps.append(_Ramp(rho, before, after))
        taken_at_start = after
    return ramps


def _ramps_hold(tempos: list[float], ramps: list[_Ramp]) -> bool:
    """Whether every ramp's per-beat ratio is within the limit for these tempos."""
    for i, ramp in enumerate(ramps):
        q = abs(math.log(tempos[i + 1] / (float(ramp.rho) * tempos[i]))) / ramp.steps
        if q > math.log1p(MAX_RAMP_STEP) + 1e-12:
            return False
    return True


def _beat_terms(
    i: int, tempos: list[float], beats: list[list[float]], ramps: list[_Ramp]
) -> tuple[np.ndarray, np.ndarray]:
    """Scene ``i``'s beats as tempo = C * S_i**a: returns (length*60/C, a) per beat."""
    n = len(beats[i])
    a = np.ones(n)
    c = np.ones(n)
    if i > 0:
        ramp = ramps[i - 1]
        rho = float(ramp.rho)
        for j in range(min(ramp.after, n)):
            e = (ramp.before + 1 + j) / ramp.steps
            a[j] = e
            c[j] = rho * tempos[i - 1] ** (1 - e) * rho ** (-e)
    if i < len(tempos) - 1:
        ramp = ramps[i]
        rho = float(ramp.rho)
        for k in range(1, ramp.before + 1):
            idx = n - ramp.before - 1 + k
            e = k / ramp.steps
            a[idx] = 1 - e
            c[idx] = (tempos[i + 1] / rho) ** e
    return np.array(beats[i]) * 60.0 / c, a


def _solve_tempo(weights: np.ndarray, powers: np.ndarray, target: float, guess: float) -> float:
    """The S with sum(w * S**-a) == target (Newton on log S; the sum is convex, decreasing)."""
    u = math.log(guess)
    for _ in range(60):
        terms = weights * np.exp(-powers * u)
        f = float(terms.sum()) - target
        slope = -float((powers * terms).sum())
        step = f / slope
        u -= max(-1.0, min(1.0, step))
        if abs(step) < 1e-14:
            break
    return math.exp(u)


def _solve_all(
    targets: list[float], held: list[bool], tempos: list[float],
    beats: list[list[float]], ramps: list[_Ramp],
) -> list[float]:
    tempos = list(tempos)
    for _ in range(500):
        change = 0.0
        for i in range(len(tempos)):
            if held[i]:
                continue
            weights, powers = _beat_terms(i, tempos, beats, ramps)
            new = _solve_tempo(weights, powers, targets[i], tempos[i])
            change = max(change, abs(new / tempos[i] - 1))
            tempos[i] = new
        if change < 1e-13:
            break
    return tempos


def _durations(tempos: list[float], beats: list[list[float]], ramps: list[_Ramp]) -> list[float]:
    out = []
    for i in range(len(tempos)):
        weights, powers = _beat_terms(i, tempos, beats, ramps)
        out.append(float((weights * tempos[i] ** -powers).sum()))
    return out


def build_timeline(plans: Sequence[ScenePlan]) -> Timeline:
    """Fit bars and tempos to the scenes' durations (see the module docstring)."""
    meters = [scene_meter(p) for p in plans]
    targets = [p.duration for p in plans]
    wanted = [p.tempo for p in plans]
    estimate = [p.duration * p.tempo / 60.0 for p in plans]  # beats at the target tempo
    extra_bars = [0] * len(plans)
    # How far from the estimate a bar count may put the tempo; it tightens for a scene
    # whose ramps pushed it out of the window, so that a finer grid is tried next.
    tolerance = [MAX_TEMPO_DEVIATION * 0.9] * len(plans)
    tempos = list(wanted)
    ramps: list[_Ramp] = []
    def lay_out() -> tuple[list[tuple[float, bool]], list[list[float]]]:
        picked = []
        for i, p in enumerate(plans):
            length, held = _choose_length(estimate[i], meters[i], p.flexible, tolerance[i])
            if held:
                length += extra_bars[i] * meters[i]
            picked.append((length, held))
        return picked, [_beats(bar_lengths(length, meters[i]))
                        for i, (length, _) in enumerate(picked)]

    # Ramps speed up or slow down the scenes they sit in: re-estimate how many beats
    # each scene holds at its target tempo once the ramps are in, before choosing bars.
    for _ in range(2):
        chosen, beats = lay_out()
        at_target = _durations(wanted, beats, _plan_ramps(wanted, beats))
        estimate = [sum(beats[i]) * targets[i] / at_target[i] for i in range(len(plans))]
    best: tuple[float, list[float], list[float], list[list[float]], list[_Ramp]] | None = None
    for _attempt in range(12):
        chosen, beats = lay_out()
        held_flags = [h for _, h in chosen]
        lengths = [c[0] for c in chosen]
        tempos = [wanted[i] if held_flags[i] else tempos[i] for i in range(len(plans))]
        previous: list[_Ramp] | None = None
        for _ in range(12):
            ramps = _plan_ramps(tempos, beats, previous)
            tempos = _solve_all(targets, held_flags, tempos, beats, ramps)
            durations = _durations(tempos, beats, ramps)
            bad = _badness(plans, chosen, tempos, durations, ramps)
            if best is None or bad < best[0]:
                best = (bad, lengths, list(tempos), beats, ramps)
            if _ramps_hold(tempos, ramps):
                break
            previous = ramps
        if best is not None and best[0] == 0:
            break
        durations = _durations(tempos, beats, ramps)
        for i, (length, held) in enumerate(chosen):
            if held:
                if durations[i] < targets[i] - 1e-9:
                    extra_bars[i] += 1
            elif abs(tempos[i] / wanted[i] - 1) > MAX_TEMPO_DEVIATION:
                estimate[i] = length * wanted[i] / tempos[i]
                tolerance[i] *= 0.6
    assert best is not None
    _, lengths, tempos, beats, ramps = best
    return _assemble(plans, meters, lengths, tempos, beats, ramps)


def _badness(
    plans: Sequence[ScenePlan], chosen: list[tuple[float, bool]], tempos: list[float],
    durations: list[float], ramps: list[_Ramp],
) -> float:
    """How far a candidate grid is from every promise (0: all kept).

    A flexible scene shorter than asked is never acceptable; ramps steeper than
    3 % per beat and steady tempos outside ±5 % are weighed by how far they miss,
    for the rare cases (very short scenes) where not everything can hold.
    """
    bad = 0.0
    for i, (_, held) in enumerate(chosen):
        if held and durations[i] < plans[i].duration - 1e-9:
            bad += 1e6
        if not held:
            bad += max(0.0, abs(math.log(tempos[i] / plans[i].tempo))
                       - math.log1p(MAX_TEMPO_DEVIATION))
    limit = math.log1p(MAX_RAMP_STEP)
    for i, ramp in enumerate(ramps):
        q = abs(math.log(tempos[i + 1] / (float(ramp.rho) * tempos[i]))) / ramp.steps
        bad += 10 * max(0.0, q - limit)
    return bad


def _assemble(
    plans: Sequence[ScenePlan], meters: list[int], lengths: list[float],
    tempos: list[float], beats: list[list[float]], ramps: list[_Ramp],
) -> Timeline:
    bars: list[Bar] = []
    offsets: list[float] = []
    position = 0.0
    for i, length in enumerate(lengths):
        offsets.append(position)
        pieces = bar_lengths(length, meters[i])
        for k, bar_length in enumerate(pieces):
            numerator, denominator = signature_of(bar_length)
            odd = abs(bar_length - meters[i]) > 1e-9
            bars.append(Bar(len(bars), i, position, bar_length, numerator, denominator,
                            odd and k == len(pieces) - 1))
            position += bar_length
    marks: list[TempoMark] = []

    def mark(offset: float, bpm: float, modulation: Fraction | None = None) -> None:
        if marks and abs(marks[-1].bpm - bpm) < 1e-9 and modulation is None:
            return
        marks.append(TempoMark(offset, bpm, modulation))

    for i in range(len(lengths)):
        beat_offsets = _beat_offsets(bar_lengths(lengths[i], meters[i]), offsets[i])
        weights, powers = _beat_terms(i, tempos, beats, ramps)
        # Recover each beat's tempo from its term: w = len*60/C and tempo = C*S**a.
        lengths_i = np.array(beats[i])
        for k, off in enumerate(beat_offsets):
            bpm = float(lengths_i[k] * 60.0 / weights[k] * tempos[i] ** powers[k])
            modulation = None
            if k == 0 and i > 0 and ramps[i - 1].rho != 1:
                modulation = ramps[i - 1].rho
            mark(off, bpm, modulation)
    durations = _durations(tempos, beats, ramps)
    starts = [0.0, *np.cumsum(durations)[:-1].tolist()]
    return Timeline(
        bars=tuple(bars),
        marks=tuple(marks),
        scene_offsets=tuple(offsets),
        scene_lengths=tuple(lengths),
        scene_starts=tuple(float(s) for s in starts),
        scene_durations=tuple(durations),
        meters=tuple(meters),
        tempos=tuple(tempos),
    )


def _beat_offsets(pieces: list[float], start: float) -> list[float]:
    out: list[float] = []
    position = start
    for length in pieces:
        out.extend(position + k for k in range(math.ceil(length - 1e-9)))
        position += length
    return out
