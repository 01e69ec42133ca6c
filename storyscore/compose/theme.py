"""The story's main theme, and where and how each scene states it.

The theme is built from one short **motif** (a bar's rhythm and a contour of
3–6 notes), chosen by the seed from a small library that suits the story's
meter and mood. It is an eight-bar period: a four-bar antecedent (the motif,
its sequence a step away, a continuation, a half cadence on the second or
fifth degree) and a four-bar consequent (the motif again, its sequence, a
continuation falling home, an authentic cadence on the tonic). Short scenes
take the 2 + 2 form (motif, cadence; motif, close), or motif, answer and
cadence in three bars. The motif's contour is one whose notes on the bar's
strong beats one chord can hold, so that the harmony keeps its shape.

Pitches are diatonic degrees (0 is the tonic, 7 the octave above), so the
theme sounds in whatever key and mode a scene is in, and a strong-beat note is
moved to the nearest tone of the chord under it: every statement is
reharmonised by the scene's own progression. The **form** of the story:

* the first sounding scene states the theme (the period, or as much as fits);
* the middle scenes bring it back varied: transposed (to the scene's key, with
  its mode), inverted in sad or tense ones, and fragmented (the motif and its
  answer) where a scene has room for little more;
* the last sounding scene brings the theme back, its period (or the motif and
  the close) ending with the piece on the authentic cadence: the return;
* every scene's pace sets the note values: augmented (values doubled) in calm
  scenes, except those with room for the whole period but not for twice it, which
  state it, answered, at its written values; in diminution (values halved) in
  lively ones without narration;
* a long scene hears the antecedent (or the motif and its answer) once more.

The theme sounds in the bars of a scene that are in its own key, not over a
modulation's route.

Inside each statement the picture's skyline moves each bar up or down the
scale (a sequence), so that the melody follows the picture's shape bar by bar
while the motif keeps its own shape inside the bar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storyscore.compose.request import ScenePlan
from storyscore.compose.timeline import Meter

Note = tuple[float, float, int]  # offset in the theme (quarter notes), length, degree

_PERIOD_BARS = 8  # the theme: an antecedent and a consequent of four bars each
_FRAGMENT_BARS = 4  # the least room in which a calm scene augments its fragment of it

# Motif rhythms per bar length (quarter notes), calm first, lively last. A motif has
# three notes or more (the music guide's 3-6): two notes a bar give a four-note window
# only across a bar line, so the tune's shapes recur only where its bars are sequenced
# exactly, and a skyline rarely lets them be.
_RHYTHMS: dict[float, tuple[tuple[float, ...], ...]] = {
    4.0: ((2.0, 1.0, 1.0), (1.0, 1.0, 2.0), (1.5, 0.5, 1.0, 1.0), (1.0, 0.5, 0.5, 2.0),
          (0.5, 0.5, 1.0, 1.0, 1.0), (0.75, 0.25, 0.5, 0.5, 1.0, 1.0)),
    3.0: ((2.0, 0.5, 0.5), (1.0, 1.0, 1.0), (1.5, 0.5, 1.0), (1.0, 0.5, 0.5, 1.0),
          (0.5, 0.5, 0.5, 0.5, 1.0)),
    2.0: ((1.0, 0.5, 0.5), (0.5, 0.5, 1.0), (0.75, 0.25, 1.0), (0.5, 0.25, 0.25, 1.0)),
}
_COMPOUND_RHYTHMS = ((1.5, 1.0, 0.5), (1.0, 0.5, 1.0, 0.5), (0.5, 0.5, 0.5, 1.5),
                     (1.0, 0.5, 0.5, 0.5, 0.5))
# Contours: diatonic steps from the motif's first note, per note count.
_CONTOURS: dict[int, tuple[tuple[int, ...], ...]] = {
    # Mostly steps, with at most one skip: folk tunes move by step most of the time.
    3: ((0, 1, 2), (0, -1, 0), (0, 2, 1), (0, -1, -2), (0, 1, -1)),
    4: ((0, 1, 2, 1), (0, -1, 0, 1), (0, 2, 1, 0), (0, 1, 2, 3), (0, -1, -2, 0)),
    5: ((0, 1, 2, 3, 2), (0, 2, 1, 0, -1), (0, -1, -2, -1, 0), (0, 1, 2, 1, 0)),
    6: ((0, 1, 2, 3, 2, 1), (0, -1, 0, 1, 2, 3), (0, 2, 1, 0, 1, 2)),
}


@dataclass(frozen=True)
class Motif:
    """The theme's seed: one bar of rhythm and its contour in diatonic steps."""

    rhythm: tuple[float, ...]
    steps: tuple[int, ...]


@dataclass(frozen=True)
class Theme:
    """The main theme: eight bars of (offset, length, degree) notes, and its motif."""

    motif: Motif
    bar: float  # quarter notes in a bar
    notes: tuple[Note, ...]

    def bar_notes(self, index: int) -> list[Note]:
        """Notes of theme bar ``index`` (0..7), offsets from that bar's start."""
        start = index * self.bar
        return [(o - start, n, d) for o, n, d in self.notes if start - 1e-9 <= o < start + self.bar
                - 1e-9]


@dataclass(frozen=True)
class ThemeStatement:
    """Where a scene states the theme: scene bars, the theme bars laid on them, and how varied."""

    scene: int
    offset: float  # quarter notes: where the statement starts
    scene_bars: tuple[int, ...]  # scene-relative bar indices it covers
    theme_bars: tuple[int, ...]  # the theme bars (0..7) heard there, in order
    scale: float  # 1 as written, 2 augmented, 0.5 in diminution
    inverted: bool
    variation: str  # how it was varied, in words


def build_theme(plans: Sequence[ScenePlan], meter: Meter, seed: int) -> Theme:
    """The story's theme: a motif by the seed that suits the meter and the story's pace."""
    rng = np.random.default_rng([seed, 0x7E3E])
    sounding = [p for p in plans if not p.silent] or list(plans)
    arousal = sum(p.arousal for p in sounding) / len(sounding)
    library = _COMPOUND_RHYTHMS if meter.beat == 1.5 else _RHYTHMS.get(meter.bar, _RHYTHMS[4.0])
    # The story's pace picks the middle of the library; the seed picks a neighbour.
    centre = (arousal + 1) / 2 * (len(library) - 1)
    index = int(np.clip(round(centre + rng.integers(-1, 2)), 0, len(library) - 1))
    rhythm = library[index]
    contours = _one_chord_contours(rhythm, meter)
    steps = contours[int(rng.integers(len(contours)))]
    motif = Motif(rhythm, steps)
    start = int(rng.choice((0, 2, 4)))  # the motif opens on a tonic-triad tone
    return Theme(motif, meter.bar, tuple(_period(motif, meter.bar, start)))


def metric_cells(length: float, beat: float = 1.0) -> list[float]:
    """Strong-beat groups of a bar: 4 → 2+2, 6/8 → 1.5+1.5, 5 → 3+2, shorter bars whole."""
    if beat == 1.5:
        return [1.5] * max(1, round(length / 1.5))
    if length <= 3 + 1e-9:
        return [length]
    if abs(length - 4) < 1e-9:
        return [2.0, 2.0]
    if length <= 6 + 1e-9:
        return [3.0, length - 3]
    return [2.0, *metric_cells(length - 2)]


def _one_chord_contours(rhythm: tuple[float, ...], meter: Meter) -> tuple[tuple[int, ...], ...]:
    """The contours for ``rhythm`` whose notes on the bar's strong beats lie an even
    number of scale steps apart (a unison, third or fifth), so that one chord can hold
    them all: a motif whose strong notes are a step apart is bent onto the chord in
    every statement and loses the shape a listener would recognise. All of them where
    none fits."""
    starts = [0.0]
    for cell in metric_cells(meter.bar, meter.beat):
        starts.append(starts[-1] + cell)
    onsets = [sum(rhythm[:k]) for k in range(len(rhythm))]
    strong = [k for k, onset in enumerate(onsets) if any(abs(onset - s) < 1e-9 for s in starts)]
    contours = _CONTOURS[len(rhythm)]
    fitting = tuple(c for c in contours if all((c[k] - c[0]) % 2 == 0 for k in strong))
    return fitting or contours


def _period(motif: Motif, bar: float, start: int) -> list[Note]:
    """The eight-bar period grown from the motif (see the module docstring).

    Each bar after the first starts a step from where the bar before ended, so
    that the motif's sequence and its inversion join without a leap; a cadence
    is approached by step from the side the melody comes from.
    """
    def motif_bar(index: int, first: int, invert: bool = False) -> list[Note]:
        out = []
        position = index * bar
        for length, step in zip(motif.rhythm, motif.steps, strict=True):
            out.append((position, length, first + (-step if invert else step)))
            position += length
        return out

    def cadence_bar(index: int, degree: int, previous: int) -> list[Note]:
        # An approach note a beat long, a step from the goal, then the goal held.
        approach = degree + 1 if previous > degree else degree - 1
        return [(index * bar, 1.0, approach), (index * bar + 1.0, bar - 1.0, degree)]

    # The sequence moves the motif a step toward where it ended: a rising motif's
    # answer starts a step higher, a falling one's a step lower.
    sequence = 1 if motif.steps[-1] > 0 else -1
    inverted_end = -motif.steps[-1]

    def phrase(first_bar: int, goal: int) -> list[Note]:
        notes = motif_bar(first_bar, start) + motif_bar(first_bar + 1, start + sequence)
        ended = start + sequence + motif.steps[-1]
        # The continuation turns the motif upside down, starting a step from the last note
        # on the side that brings its own end nearest the goal.
        third = min((ended - 1, ended + 1), key=lambda s: abs(s + inverted_end - goal))
        notes += motif_bar(first_bar + 2, third, invert=True)
        return notes + cadence_bar(first_bar + 3, goal, third + inverted_end)

    return phrase(0, 4 if start else 1) + phrase(4, 0)


def plan_statements(plans: Sequence[ScenePlan], own: Sequence[tuple[int, int]],
                    levels: Sequence[int], quiet_share: Sequence[float],
                    offsets: Sequence[float], bar: float) -> list[ThemeStatement]:
    """Where each sounding scene states the theme and how (see the module docstring).

    ``own`` gives each scene's run of bars in its own key (first bar, count): the
    theme sounds there, not over a modulation's route spilled in from the scene
    before or leading on to the next.
    """
    sounding = [i for i, p in enumerate(plans) if not p.silent and p.volume > 0]
    out: list[ThemeStatement] = []
    first_key = (plans[sounding[0]].tonic, plans[sounding[0]].mode) if sounding else None
    for order, i in enumerate(sounding):
        plan, (first_bar, n) = plans[i], own[i]
        last = order == len(sounding) - 1 and len(sounding) > 1
        first = order == 0
        words: list[str] = []
        scale = 1.0
        inverted = False
        words.append("stated" if first else "returns" if last else "varied")
        # The scene's pace sets the note values: calm scenes augment, lively ones (without
        # a voice over them) take it in diminution.
        if levels[i] <= 1 and _augments(n):
            scale = 2.0
            words.append("augmented")
        elif levels[i] >= 3 and quiet_share[i] < 0.5:
            scale = 0.5
            words.append("in diminution")
        if not first and not last and (plan.valence < -0.3 or plan.tension >= 0.6):
            inverted = True
            words.append("inverted")
        if first_key is not None and (plan.tonic, plan.mode) != first_key:
            words.append(f"in {plan.tonic} {plan.mode}"
                         + (" (mode change)" if plan.mode != first_key[1] else ""))
        theme_bars, scene_bars = _layout(n, scale, last)
        if len(theme_bars) < (8 if scale == 1 else 4) and not first and not last:
            words.append("fragmented")
        covered = tuple(first_bar + b for b in scene_bars)
        out.append(ThemeStatement(i, offsets[i] + (covered[0] if covered else 0) * bar,
                                  covered, tuple(theme_bars), scale, inverted,
                                  ", ".join(words) or "stated"))
    return out


def _augments(n: int) -> bool:
    """Whether a calm scene of ``n`` own-key bars states the theme augmented: where it
    has room for a fragment of it only (the motif and its answer, slowed to fill the
    scene), or for twice the period (the antecedent slowed, free bars after it, which
    follow a long skyline more freely than the period and its antecedent again would).
    A scene with room for the whole period but not for twice it states the period at
    its written values, antecedent and consequent: augmented, it would sing the
    antecedent alone, a theme stated and never answered, whose four-note shapes hardly
    come back (a bedtime scene of eight bars of 6/8 under narration: 24 % of the piece's
    shapes recurring, 51 % with the period)."""
    return _FRAGMENT_BARS <= n < _PERIOD_BARS or n >= 2 * _PERIOD_BARS


def _layout(n: int, scale: float, last: bool) -> tuple[list[int], list[int]]:
    """Theme bars to state in a scene of ``n`` bars, and the scene bars they cover.

    ``n`` counts the scene's own-key bars (a route to the next key is left to the
    free melody). A statement starts with them; the return instead ends with the
    scene, on its authentic cadence.
    """
    room = n
    if scale == 2.0:
        # Augmented: each theme bar fills two scene bars; the motif, its answer and maybe
        # the continuation (the antecedent).
        count = min(4, room // 2)
        chosen = [0, 1, 2, 3][:count]
        return chosen, list(range(2 * count))
    if scale == 0.5:
        # In diminution: two theme bars to a scene bar, the whole period if it fits.
        count = min(8, 2 * room)
        chosen = list(range(count - count % 2))
        return chosen, list(range(len(chosen) // 2))
    if room >= 10:
        # A long scene hears the period and then its antecedent again (or the motif and
        # its answer), the return leading into the period that closes the piece.
        again = [0, 1, 2, 3] if room >= 12 else [0, 1]
        chosen = [*again, *range(8)] if last else [*range(8), *again]
    elif room >= 8:
        chosen = list(range(8))
    elif room >= 4:
        chosen = [0, 1, 6, 7] if last else [0, 1, 2, 3]
    elif room == 3:
        # The motif, its answer and the cadence: the phrase without its continuation.
        chosen = [0, 1, 7] if last else [0, 1, 3]
    elif room >= 2:
        chosen = [0, 7] if last else [0, 1]
    elif room == 1:
        chosen = [7] if last and n == 1 else [0]
    else:
        chosen = []
    start = n - len(chosen) if last else 0
    return chosen, list(range(start, start + len(chosen)))


def statement_notes(theme: Theme, statement: ThemeStatement) -> list[Note]:
    """The notes of a statement: (offset from the statement's start, length, degree)."""
    out: list[Note] = []
    position = 0.0
    for index in statement.theme_bars:
        for offset, length, degree in theme.bar_notes(index):
            if statement.inverted:
                degree = 2 * theme.notes[0][2] - degree if index not in (3, 7) else degree
            out.append((position + offset * statement.scale, length * statement.scale, degree))
        position += theme.bar * statement.scale
    return out


def degree_pitch(degree: int, scale: Sequence[int], tonic_pitch: int) -> int:
    """The MIDI pitch of a diatonic ``degree`` (0: ``tonic_pitch``) on a seven-note scale."""
    octave, step = divmod(degree, 7)
    return tonic_pitch + 12 * octave + (scale[step] - scale[0]) % 12


def tonic_below(register: int, tonic_pc: int, mean_degree: float) -> int:
    """The tonic pitch that puts a tune of ``mean_degree`` around ``register``."""
    centre = register - mean_degree * 12 / 7
    base = tonic_pc + 12 * math.floor((centre - tonic_pc) / 12)
    return base if centre - base < 6 else base + 12
