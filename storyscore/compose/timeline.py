"""The bar grid and tempo map of a whole story path: one meter, one pulse.

* **One meter.** The story has one time signature (4/4, 3/4, 6/8 or 2/4), the
  author's (``music meter``) or one chosen from its overall mood; every bar of
  the score has that length. A scene never gets an odd bar to fit its length.
* **One home tempo**, the scenes' own tempos averaged over the story (weighted
  by length). A scene moves only within a moderate band around it
  (``TEMPO_BAND``): scenes differ in pace through their surface (note values,
  accompaniment, articulation, dynamics), not their tempo.
* **Fitting the pictures.** Each scene gets a whole number of bars. Its closing
  downbeat must fall where the next scene starts: within one video frame at a
  cut, anywhere inside a transition (a 1 s crossfade gives ±0.5 s: the next
  plan's ``lead_in``). Within that window the composer picks the bar count and
  the end that keep the tempo nearest the scene's own and its neighbour's; what
  is left is rubato, spread over the scene. An ``auto`` (flexible) scene keeps
  the pulse running (the tempo of the scene before it) and rounds its length up
  to the next bar line; the video follows.
* **Tempo moves like a player's**: between scenes the tempo ramps with a
  constant ratio per beat, at most 3 % a beat, straddling the boundary (at most
  two bars and half a scene on each side; where that is not enough, up to four
  bars and whole short scenes). A change too large for that room jumps at the
  boundary's bar line, after the cadence that closes the scene (a ``breath``),
  and ramps what is left.
* Ramps change how long the scenes around them last, so the steady tempos are
  solved together (Gauss–Seidel over scenes, Newton per scene) until each scene
  ends exactly on its chosen downbeat.

``scene_starts`` and ``scene_durations`` are the *video's* times (what the
renderer and the narration follow); ``music_starts`` are the music's downbeats,
within each transition's window of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storyscore.compose.request import ScenePlan

MAX_RAMP_STEP = 0.03
_DESIGN_STEP = 0.029  # a little under the limit: the solve moves tempos after ramps are laid out
MAX_RAMP_BEATS = 8
TEMPO_BAND = 0.08  # a scene's own tempo stays within this share of the home tempo
_SCENE_SHARE = 0.35  # how much of a scene's own tempo (in log) moves it from the home tempo
_HOME_SEARCH = 0.12  # the home tempo may move this far to fit whole bars into the scenes


@dataclass(frozen=True)
class Meter:
    """The story's time signature."""

    numerator: int
    denominator: int

    @property
    def bar(self) -> float:
        """Quarter notes in a bar."""
        return self.numerator * 4 / self.denominator

    @property
    def beat(self) -> float:
        """Quarter notes in a counted beat (a dotted quarter in compound time)."""
        compound = self.denominator == 8 and self.numerator % 3 == 0
        return 1.5 if compound else 4 / self.denominator

    @property
    def cells(self) -> tuple[float, ...]:
        """The bar's strong-beat groups in quarter notes: 4/4 → 2+2, 6/8 → 1.5+1.5."""
        if self.bar == 4:
            return (2.0, 2.0)
        if self.beat == 1.5:
            return (1.5,) * round(self.bar / 1.5)
        return (self.bar,)

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


def parse_meter(text: str) -> Meter:
    """A meter from its written form, ``"3/4"``."""
    numerator, denominator = text.split("/")
    return Meter(int(numerator), int(denominator))


def story_meter(plans: Sequence[ScenePlan], chosen: str | None = None) -> Meter:
    """The meter of the whole story: the author's, else from its overall mood.

    Gentle, happy stories lilt in 3/4, the dreamiest of them rock in 6/8;
    everything else is in 4/4.
    """
    if chosen:
        return parse_meter(chosen)
    sounding = [p for p in plans if not p.silent] or list(plans)
    weight = sum(p.duration for p in sounding)
    valence = sum(p.valence * p.duration for p in sounding) / weight
    arousal = sum(p.arousal * p.duration for p in sounding) / weight
    tension = sum(p.tension * p.duration for p in sounding) / weight
    if arousal < -0.15 and valence > 0.15 and tension < 0.4:
        return Meter(6, 8) if arousal < -0.45 else Meter(3, 4)
    return Meter(4, 4)


def home_tempo(plans: Sequence[ScenePlan]) -> float:
    """The story's home tempo: its scenes' tempos averaged by length (in log, as the ear hears)."""
    sounding = [p for p in plans if not p.silent] or list(plans)
    weight = sum(p.duration for p in sounding)
    return math.exp(sum(math.log(p.tempo) * p.duration for p in sounding) / weight)


def scene_tempo(plan: ScenePlan, home: float) -> float:
    """A scene's own tempo: a quarter of the way (in log) from the home tempo to its
    target, held within the band around the home tempo."""
    low, high = home * (1 - TEMPO_BAND), home * (1 + TEMPO_BAND)
    return float(max(low, min(high, home * (plan.tempo / home) ** _SCENE_SHARE)))


@dataclass(frozen=True)
class Bar:
    """One measure of the score."""

    index: int
    scene: int
    offset: float  # quarter notes from the start of the piece
    length: float  # quarter notes
    numerator: int
    denominator: int

    @property
    def time_signature(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def end(self) -> float:
        return self.offset + self.length


@dataclass(frozen=True)
class TempoMark:
    """A tempo in quarter-note BPM from ``offset`` on."""

    offset: float
    bpm: float
    ramp: bool = False  # a beat inside a written rit. or accel.
    breath: bool = False  # a tempo jump after a cadence: a caesura comes before it


@dataclass(frozen=True)
class TempoRamp:
    """A written rit. or accel.: quarter-note offsets and the tempos it leaves and reaches."""

    start: float
    end: float  # where the arrival tempo holds
    from_bpm: float
    to_bpm: float

    @property
    def kind(self) -> str:
        return "accel." if self.to_bpm > self.from_bpm else "rit."


@dataclass(frozen=True)
class Timeline:
    """Bars, tempo marks and where every scene lies, in quarter notes and seconds."""

    bars: tuple[Bar, ...]
    marks: tuple[TempoMark, ...]
    scene_offsets: tuple[float, ...]
    scene_lengths: tuple[float, ...]
    scene_starts: tuple[float, ...]  # the video's scene starts, seconds
    scene_durations: tuple[float, ...]  # the video's scene lengths, seconds
    meters: tuple[int, ...]  # quarter notes in each scene's bar (one meter: all alike)
    tempos: tuple[float, ...]  # each scene's steady tempo (outside the ramps)
    meter: Meter = Meter(4, 4)
    music_starts: tuple[float, ...] = ()  # seconds of each scene's first downbeat
    ramps: tuple[TempoRamp, ...] = ()
    home_tempo: float = 0.0
    # Each scene's host, whose music it plays: itself, or for a flash scene (too short for
    # a bar) its neighbour's (``compose.flash``). Empty: every scene is its own.
    hosts: tuple[int, ...] = ()
    overhang: float = 0.0  # seconds the last bar rings past a story shorter than a bar

    def host(self, scene: int) -> int:
        """The scene whose music ``scene`` plays (itself unless it is a flash)."""
        return self.hosts[scene] if self.hosts else scene

    def through(self, scene: int) -> bool:
        """Whether the music plays through the start of ``scene`` (no downbeat there)."""
        return scene > 0 and self.host(scene) == self.host(scene - 1)

    @property
    def total_quarters(self) -> float:
        return self.bars[-1].end

    def scene_bars(self, scene: int) -> list[Bar]:
        """The bars of a scene's music: a flash has none, its host those of its group."""
        if self.hosts:
            return [bar for bar in self.bars if self.hosts[bar.scene] == scene]
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


@dataclass(frozen=True)
class _Fit:
    """Where each scene's bars fall: bar counts, music and video times in seconds."""

    bars: list[int]
    music_bounds: list[float]  # downbeat seconds of every scene start, and the end
    video_starts: list[float]
    video_durations: list[float]
    tempos: list[float]  # the average tempo each scene needs for its bars


def closing_window(plans: Sequence[ScenePlan], i: int, fps: int) -> float:
    """How far scene ``i``'s closing downbeat may fall from the next scene's start:
    half a frame at a cut, else the next scene's ``lead_in`` (half its transition)."""
    frame = 0.5 / fps
    return max(frame, plans[i + 1].lead_in) if i + 1 < len(plans) else frame


def _fit_bars(plans: Sequence[ScenePlan], meter: Meter, wanted: list[float], fps: int) -> _Fit:
    """Choose each scene's bar count and closing downbeat, scene by scene.

    The closing downbeat may fall anywhere in the window of the transition into
    the next scene (a frame at a cut); among bar counts and ends in that window,
    the one whose tempo is nearest the scene's own and the previous scene's wins.
    """
    music = [0.0]
    video_starts: list[float] = []
    video_durations: list[float] = []
    counts: list[int] = []
    tempos: list[float] = []
    video = 0.0
    previous = wanted[0]
    for i, plan in enumerate(plans):
        start = music[-1]
        target = video + plan.duration
        beats_per_second = wanted[i] / 60.0 / meter.bar
        if plan.flexible:
            # Keeps the pulse running (the scene before's tempo, its own for the first) and
            # rounds up to the next bar line; the video follows the music.
            tempo = previous if i else wanted[i]
            n = max(1, math.ceil((target - start) * tempo / 60.0 / meter.bar - 1e-9))
            end = start + n * meter.bar * 60.0 / tempo
            video_durations.append(end - video)
        else:
            window = closing_window(plans, i, fps)
            natural = max(1e-9, (target - start) * beats_per_second)
            best: tuple[float, int, float, float] | None = None
            for n in sorted({max(1, math.floor(natural)), max(1, math.ceil(natural))}):
                easy = min(target + window, max(target - window, start + n / beats_per_second))
                # Between where the bars fall at the scene's tempo and the video's boundary:
                # a downbeat left at the window's edge would push every later scene.
                for end in (easy, (easy + target) / 2, target):
                    if end <= start:
                        continue
                    tempo = n * meter.bar * 60.0 / (end - start)
                    cost = (abs(math.log(tempo / wanted[i])) + 0.5 * abs(math.log(tempo / previous))
                            + 0.15 * ((end - target) / window) ** 2)
                    if best is None or cost < best[0] - 1e-12:
                        best = (cost, n, end, tempo)
            if best is None:  # the window lies before this downbeat: one bar, as fast as it must
                best = (0.0, 1, max(target, start + 0.25), 0.0)
                best = (0.0, 1, best[2], meter.bar * 60.0 / (best[2] - start))
            _, n, end, tempo = best
            video_durations.append(plan.duration)
        video_starts.append(video)
        video += video_durations[-1]
        counts.append(n)
        tempos.append(tempo)
        music.append(end)
        previous = tempo
    return _Fit(counts, music, video_starts, video_durations, tempos)


def _best_fit(plans: Sequence[ScenePlan], meter: Meter, fps: int
              ) -> tuple[float, list[float], _Fit]:
    """The home tempo (near the scenes' mean) whose whole bars fit the scenes best.

    Whole bars make a short scene's tempo jump by up to half a bar's share of
    its length; trying home tempos a little faster and slower finds the grid on
    which the scenes' tempos stay nearest their own and each other's.
    """
    mean = home_tempo(plans)
    best: tuple[float, float, list[float], _Fit] | None = None
    for step in range(-12, 13):
        home = mean * (1 + _HOME_SEARCH * step / 12)
        wanted = [scene_tempo(p, home) for p in plans]
        fit = _fit_bars(plans, meter, wanted, fps)
        logs = np.log(fit.tempos)
        cost = (float(np.sum((logs - np.log(wanted)) ** 2))
                + 2 * float(np.sum(np.diff(logs) ** 2)) + 0.5 * math.log(home / mean) ** 2)
        if best is None or cost < best[0] - 1e-12:
            best = (cost, home, wanted, fit)
    assert best is not None
    return best[1], best[2], best[3]


@dataclass(frozen=True)
class _Ramp:
    rho: float  # tempo jump at the bar line (1: none; else a breath)
    before: int  # ramp beats at the end of the outgoing scene
    after: int  # ramp beats at the start of the incoming scene

    @property
    def steps(self) -> int:
        return self.before + self.after + 1


def _steps(ratio: float) -> int:
    """Tempo steps of at most ``_DESIGN_STEP`` needed to cover ``ratio``."""
    return max(1, math.ceil(abs(math.log(ratio)) / math.log1p(_DESIGN_STEP) - 1e-9))


def _plan_ramps(tempos: list[float], beats: list[int],
                previous: list[_Ramp] | None) -> list[_Ramp]:
    """Lay out each boundary's ramp for the current tempo estimates.

    A ramp takes at most half of each scene's beats (and two bars' worth), so
    that each scene keeps its own tempo for most of its length; where that is
    not room enough, the tempo jumps at the bar line by what the ramp cannot
    cover. ``previous`` makes the choice sticky (a ramp never shortens) so that
    the joint solve cannot oscillate.
    """
    ramps: list[_Ramp] = []
    taken = 0
    for i in range(len(tempos) - 1):
        ratio = tempos[i + 1] / tempos[i]
        room_out = max(0, min(MAX_RAMP_BEATS, (beats[i] - 1) // 2, beats[i] - 1 - taken))
        room_in = max(0, min(MAX_RAMP_BEATS, (beats[i + 1] - 1) // 2))
        need = _steps(ratio) - 1
        if previous is not None:
            need = max(need, previous[i].before + previous[i].after)
        if need > room_out + room_in:
            # Rather than a jump, let the ramp take whole short scenes.
            room_out = max(0, min(2 * MAX_RAMP_BEATS, beats[i] - 1 - taken))
            room_in = max(0, min(2 * MAX_RAMP_BEATS, beats[i + 1] - 1))
        before = min(room_out, (need + 1) // 2)
        after = min(room_in, need - before)
        before = min(room_out, need - after)
        steps = before + after + 1
        rho = 1.0
        if abs(math.log(ratio)) / steps > math.log1p(_DESIGN_STEP):
            # No room to ramp it all: a breath at the bar line takes the rest.
            rho = ratio / math.exp(math.copysign(steps * math.log1p(_DESIGN_STEP),
                                                 math.log(ratio)))
        ramps.append(_Ramp(rho, before, after))
        taken = after
    return ramps


def _beat_terms(i: int, tempos: list[float], beats: list[int],
                ramps: list[_Ramp]) -> tuple[np.ndarray, np.ndarray]:
    """Scene ``i``'s quarter beats as tempo = C * S_i**a: returns (60/C, a) per beat."""
    n = beats[i]
    a = np.ones(n)
    c = np.ones(n)
    if i > 0:
        ramp = ramps[i - 1]
        for j in range(min(ramp.after, n)):
            e = (ramp.before + 1 + j) / ramp.steps
            a[j] = e
            c[j] = ramp.rho * tempos[i - 1] ** (1 - e) * ramp.rho ** (-e)
    if i < len(tempos) - 1:
        ramp = ramps[i]
        for k in range(1, ramp.before + 1):
            e = k / ramp.steps
            a[n - ramp.before - 1 + k] = 1 - e
            c[n - ramp.before - 1 + k] = (tempos[i + 1] / ramp.rho) ** e
    return 60.0 / c, a


def _solve_tempo(weights: np.ndarray, powers: np.ndarray, target: float, guess: float) -> float:
    """The S with sum(w * S**-a) == target (Newton on log S; the sum is convex, decreasing)."""
    u = math.log(guess)
    for _ in range(60):
        terms = weights * np.exp(-powers * u)
        step = (float(terms.sum()) - target) / -float((powers * terms).sum())
        u -= max(-1.0, min(1.0, step))
        if abs(step) < 1e-14:
            break
    return math.exp(u)


def _solve_all(targets: list[float], tempos: list[float], beats: list[int],
               ramps: list[_Ramp]) -> list[float]:
    tempos = list(tempos)
    for _ in range(500):
        change = 0.0
        for i in range(len(tempos)):
            weights, powers = _beat_terms(i, tempos, beats, ramps)
            new = _solve_tempo(weights, powers, targets[i], tempos[i])
            change = max(change, abs(new / tempos[i] - 1))
            tempos[i] = new
        if change < 1e-13:
            break
    return tempos


def build_timeline(plans: Sequence[ScenePlan], meter: Meter | None = None,
                   fps: int = 24) -> Timeline:
    """Fit the story's bars and tempos to its scenes (see the module docstring)."""
    meter = meter or story_meter(plans)
    home, _, fit = _best_fit(plans, meter, fps)
    beats = [round(n * meter.bar) for n in fit.bars]
    targets = [b - a for a, b in zip(fit.music_bounds, fit.music_bounds[1:], strict=False)]
    tempos = list(fit.tempos)
    ramps: list[_Ramp] | None = None
    for _ in range(12):
        laid = _plan_ramps(tempos, beats, ramps)
        if laid == ramps:
            break
        ramps = laid
        tempos = _solve_all(targets, tempos, beats, ramps)
    assert ramps is not None
    return _assemble(plans, meter, fit, tempos, beats, ramps, home)


def _assemble(plans: Sequence[ScenePlan], meter: Meter, fit: _Fit, tempos: list[float],
              beats: list[int], ramps: list[_Ramp], home: float) -> Timeline:
    bars: list[Bar] = []
    offsets: list[float] = []
    for i, count in enumerate(fit.bars):
        offsets.append(len(bars) * meter.bar)
        for _ in range(count):
            bars.append(Bar(len(bars), i, len(bars) * meter.bar, meter.bar,
                            meter.numerator, meter.denominator))
    marks: list[TempoMark] = []
    for i in range(len(plans)):
        weights, powers = _beat_terms(i, tempos, beats, ramps)
        for k in range(beats[i]):
            bpm = float(60.0 / weights[k] * tempos[i] ** powers[k])
            breath = k == 0 and i > 0 and abs(ramps[i - 1].rho - 1) > 1e-9
            in_ramp = abs(bpm / tempos[i] - 1) > 1e-9
            if marks and abs(marks[-1].bpm - bpm) < 1e-9 and not breath:
                continue
            marks.append(TempoMark(offsets[i] + k, bpm, ramp=in_ramp, breath=breath))
    written: list[TempoRamp] = []
    for i, ramp in enumerate(ramps):
        if ramp.before + ramp.after == 0:
            continue
        boundary = offsets[i + 1]
        written.append(TempoRamp(boundary - ramp.before, boundary + ramp.after,
                                 tempos[i], tempos[i + 1]))
    music = [0.0]
    for i in range(len(plans)):
        weights, powers = _beat_terms(i, tempos, beats, ramps)
        music.append(music[-1] + float((weights * tempos[i] ** -powers).sum()))
    return Timeline(
        bars=tuple(bars),
        marks=tuple(marks),
        scene_offsets=tuple(offsets),
        scene_lengths=tuple(n * meter.bar for n in fit.bars),
        scene_starts=tuple(fit.video_starts),
        scene_durations=tuple(fit.video_durations),
        meters=tuple(round(meter.bar) for _ in plans),
        tempos=tuple(tempos),
        meter=meter,
        music_starts=tuple(music[:-1]),
        ramps=tuple(written),
        home_tempo=home,
    )
