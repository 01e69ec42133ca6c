"""The melody: the story's theme where a scene states it, free cells elsewhere, pitch
from the picture's skyline.

Theme: the statement's notes (``compose.theme``) take their rhythm from the
theme and their pitches from its scale degrees in the scene's key. Each theme
bar is sung as a whole: moved up or down the scale (a sequence), turned upside
down (an inversion), or, where the skyline rises or falls inside the bar more
than a motif can, kept as rhythm with its pitches left to the skyline. A beam
search over the bars (``_bar_shifts``) picks the ways that together follow the
skyline (rank correlation), repeat their own four-note shapes, say the scene's
key, span a phrase's range, leave no leap unturned and stay in the melody's
band, each bar landing its strong beats on the chords and keeping out of
parallels with the bass. Only a strong beat (or a leap onto a beat) still off
its chord is bent onto it, so the motif keeps its interval shape; the search
judges each bar as it will sound, with those notes already bent, and counts
the recurring shapes of the bars that keep the theme's pitches only. Those
pitches are fixed in the pass below; the free notes connect them.

Range: every scene's melody keeps to a band of 16 semitones around its register,
moved whole inside its instrument's practical range (``melody_band``).

Rhythm of the free notes: each bar splits into cells at its strong beats (1 and 3 in 4/4) and at
chord changes. A scene picks one rhythm motif per cell length from a library
ordered by density level, repeats it (varying the third bar of each phrase),
and holds a long note on cadence chords, so phrases sound like phrases. Under
narration the melody keeps its register and its line but thins to the two
sparsest levels, softer.

Pitch: one second-order Viterbi pass over the whole melody. Every note whose
onset starts a cell must be a chord tone, and so must any other note on a beat
unless a step leads in and out; notes between beats use the key's scale as
altered by the chord (``theory.melodic_pcs``). Costs pull each note toward its
skyline target (the heights the scene's notes meet, stretched to about an
octave around its register, plus a phrase arch), prefer steps to skips and
skips to leaps, charge a leap that does not turn back, lean on the tonic
triad; cadences pull toward the tonic (authentic) or the second and seventh
degrees (half). The piece's final note is the tonic. Then each scene is read
back (``_solve_and_revise``) and solved again where its key, range, contour or
steps fall short; a scene that still does not follow its skyline has its
statement of the theme sung again against its free notes as solved
(``_rethink_theme``). The line is proofread for leaps that do not turn back
(``_turn_leaps``). Last, a run whose four-note shapes recur too little has its
statements sung again, each knowing the shapes of all the others
(``_echo_statements``).
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from storyscore.compose.harmony import HarmonySpan, scene_key
from storyscore.compose.notes import NoteEvent, clamp_velocity, dynamic_mark
from storyscore.compose.request import ScenePlan, instrument_range
from storyscore.compose.theme import (
    Note,
    Theme,
    ThemeStatement,
    degree_pitch,
    metric_cells,
    statement_notes,
    tonic_below,
)
from storyscore.compose.theory import (
    SHAPE_NOTES,
    Chord,
    Key,
    interval_shapes,
    key_margin,
    melodic_pcs,
    recurring_share,
)
from storyscore.compose.timeline import Bar, Timeline

# Rhythm motifs per cell length and density level (quarter-note durations).
_MOTIFS: dict[float, tuple[tuple[tuple[float, ...], ...], ...]] = {
    2.0: (
        ((2,),),
        ((1.5, 0.5), (1, 1), (2,)),
        ((1, 1), (1, 0.5, 0.5), (0.5, 0.5, 1), (1.5, 0.5)),
        ((0.5, 0.5, 0.5, 0.5), (1, 0.5, 0.5), (0.5, 0.5, 1), (0.75, 0.25, 0.5, 0.5)),
        ((0.25, 0.25, 0.5, 0.5, 0.5), (0.5, 0.25, 0.25, 0.5, 0.5),
         (0.5, 0.5, 0.25, 0.25, 0.25, 0.25)),
    ),
    3.0: (
        ((3,),),
        ((2, 1), (1, 2), (3,)),
        ((1, 1, 1), (2, 0.5, 0.5), (1.5, 0.5, 1)),
        ((1, 0.5, 0.5, 1), (0.5, 0.5, 1, 1), (1, 0.5, 0.5, 0.5, 0.5)),
        ((0.5, 0.5, 0.5, 0.5, 0.5, 0.5), (0.25, 0.25, 0.5, 1, 1),
         (0.5, 0.5, 0.25, 0.25, 0.5, 1)),
    ),
}
_MOTIFS[1.5] = (
    ((1.5,),),
    ((1.5,), (1.0, 0.5)),
    ((1.0, 0.5), (0.5, 0.5, 0.5)),
    ((0.5, 0.5, 0.5), (1.0, 0.5), (0.75, 0.25, 0.5)),
    ((0.25, 0.25, 0.5, 0.5), (0.5, 0.25, 0.25, 0.5)),
)
_UNIT_BY_LEVEL = (None, 1.0, 1.0, 0.5, 0.25)
_SKYLINE_SPAN = 12.0  # semitones between the skyline's lowest and highest points
_FLAT_SKYLINE = 0.2  # a skyline spanning less of the picture's height is stretched less
_ARCH = 1.0  # semitones a four-bar phrase rises in its middle
_LEAST_RANGE = 11.0  # semitones skyline and arch span together at the least
_PULL = 0.5  # cost of a semitone between a note and its skyline target
_TONIC_PULL = 0.35  # reward for a tonic-triad tone (twice that for the tonic)
_PHRASE_NOTES = 8  # notes enough for a melody to show its range and its shape
_LEAST_SPAN = 7  # semitones a scene's melody spans at the least (a fifth and more)
_CLEAR_SKYLINE = 0.15  # a skyline rising or falling by more of the picture under the notes
_FOLLOW_WEIGHT = 20.0  # cost of a statement's rank correlation short of its skyline's
_MUST_FOLLOW = 0.5  # the rank correlation below which a statement hardly follows at all
_MUST_WEIGHT = 30.0  # the cost of each unit it falls short of that
_THEME_SPAN = 8.0  # semitones a statement of a phrase's notes spans at the least
_SHORT_SPAN = 2.5  # the cost of each semitone a statement spans short of that
# The same for a statement of sequences alone (no bar left to the skyline): it reaches a
# phrase's range only by moving them apart, and a tune that circles in a sixth is dull.
_SHORT_SEQUENCES = 3.5
_UNTURNED = 2.0  # the cost of a leap in a statement that does not turn back
_RECUR_WEIGHT = 3.0  # how much the statement's recurring four-note shapes are worth
_KEY_WEIGHT = 10.0  # cost of each 0.1 by which a scene says its key too weakly
_KEY_MARGIN = 0.1  # how far its key should lead the next-best key
_CLASH = 3.0  # the cost of a strong theme note off its chord (it would be bent out of shape)
_FREE_BAR = 1.5  # the cost of a theme bar that keeps only its rhythm
_MIRROR = 1.5  # the cost of turning a theme bar upside down
_ON_BEAT = 1.0  # the cost of a theme note on a beat off its chord (a passing note there)
_BENT = 1.0  # the cost of each of a theme bar's intervals that bending onto the chords changes
_BEAM = 6  # ways of singing the statement so far that the search keeps
_BAR_OPTIONS = 8  # ways of singing one bar it tries
_LEAST_FOLLOWING = 0.6  # rank correlation of a scene's notes with its skyline
_LEAST_STEPS = 0.5  # share of a scene's moves that are steps (up to two semitones)
_REVISIONS = 3
# A melody whose four-note shapes come back less often than this is sung again (between
# the lower quartile of the folk songs in music21's corpus, 33 %, and their median, 53 %).
_LEAST_RECURRING = 0.4
_ECHO_ROUNDS = 2  # the statements sung again, one at a time, at most this often
_KEY_CLEAR = 0.8  # correlation with its key's profile a scene's own bars should reach
_GESTURE = 0.5  # how much of a motif's own run or turn the melody keeps
_PARALLEL = 8.0  # cost of parallel fifths or octaves between the melody and the bass
_RANGE = 8  # semitones the melody may stray from its register (a scene spans 16 at most)
_BIG = 1e6  # the cost of a pitch the chord or the register rules out
# Under a spoken sentence the tune keeps above the speaking voice's own pitches (about
# 85-180 Hz for men, 165-255 Hz for women: below C4), out of the band where the ear
# tells the voice from the music by its pitch; each semitone a note dips under costs.
_ABOVE_VOICE = 60
_UNDER_VOICE = 1.0

def melody_band(plan: ScenePlan) -> tuple[int, int]:
    """The pitches a scene's melody keeps to: its register give or take ``_RANGE``,
    moved whole into its instrument's range (a flute asked for G3 plays from C4 up)."""
    low, high = instrument_range(plan.melody_program)
    if high - low <= 2 * _RANGE:
        return low, high
    centre = min(max(plan.register, low + _RANGE), high - _RANGE)
    return centre - _RANGE, centre + _RANGE


def melody_register(plan: ScenePlan) -> int:
    """The centre of the scene's melody band: its register, inside its instrument's range."""
    low, high = melody_band(plan)
    return (low + high) // 2


def _interval_cost(semitones: int) -> float:
    table = {0: 1.0, 1: 0.0, 2: 0.0, 3: 0.6, 4: 0.8, 5: 1.5, 6: 5.0, 7: 2.0, 8: 3.0,
             9: 3.2, 10: 6.0, 11: 7.0, 12: 3.5}
    return table.get(abs(semitones), 1e6)


def density_level(plan: ScenePlan) -> int:
    """0 (long notes) .. 4 (running sixteenths), from density, arousal and tempo."""
    drive = 0.6 * plan.density + 0.4 * (plan.arousal + 1) / 2
    level = min(4, int(drive * 5))
    if plan.tempo >= 130 and level >= 3:
        level -= 1
    if plan.tempo < 70 and level <= 2:
        level += 1
    return level


@dataclass
class _Slot:
    """A melody note before its pitch is chosen."""

    offset: float
    length: float
    sound: float  # sounding length after articulation
    strong: bool  # starts a cell: must be a chord tone
    beat: bool  # starts on a beat: a chord tone, unless a step leads in and out
    chord: Chord
    target: float
    velocity: float
    cadence: str | None
    scene: int
    quiet: bool
    bar: int = 0  # global bar index
    height: float = 0.5  # the (smoothed) skyline's height where the note starts
    pull: float = 1.0  # how firmly the note keeps to its target (raised on revision)
    tonic_pull: float = 1.0  # how strongly the tonic triad draws it (raised on revision)
    degree: int | None = None  # a theme note: its diatonic degree in the scene's key
    fixed: int | None = None  # a theme note's pitch, once realised over its chord
    theme_bar: int = -1  # the statement's bar this theme note belongs to
    written: int | None = None  # a theme note's degree as the theme has it
    aim: float = 0.0  # where the skyline wants the note (its first target)


def _cells(bar: Bar, spans: list[HarmonySpan], beat: float = 1.0
           ) -> list[tuple[float, float, HarmonySpan]]:
    """(offset, length, harmony) cells of a bar: metric groups cut at chord changes."""
    cuts = {bar.offset, bar.end}
    position = bar.offset
    for piece in metric_cells(bar.length, beat):
        position += piece
        cuts.add(position)
    for span in spans:
        for edge in (span.offset, span.end):  # a chord's end, too: a breath may follow
            if bar.offset < edge < bar.end:
                cuts.add(edge)
    edges = sorted(cuts)
    out = []
    for a, b in itertools.pairwise(edges):
        sounding = next((s for s in spans if s.offset <= a + 1e-9 < s.end), None)
        if sounding is not None:  # else a breath between two keys: a rest
            out.append((a, b - a, sounding))
    return out


def _pattern(length: float, level: int, rng: np.random.Generator) -> tuple[float, ...]:
    table = _MOTIFS.get(length)
    if table is not None:
        options = table[level]
        return options[int(rng.integers(len(options)))]
    unit = _UNIT_BY_LEVEL[level]
    if unit is None or length <= unit:
        return (length,)
    count = int(length // unit)
    rest = length - count * unit
    notes = [unit] * count
    notes[-1] += rest
    return tuple(notes)


def _shape(count: int, rng: np.random.Generator) -> tuple[float, ...]:
    """A melodic gesture for a motif: semitone offsets from its first note, a run or a turn."""
    direction = 1.0 if rng.random() < 0.5 else -1.0
    turn = int(rng.integers(1, count + 1))
    offsets = [0.0]
    for k in range(1, count):
        if k == turn:
            direction = -direction
        offsets.append(offsets[-1] + direction * float(rng.choice((1.5, 2.0, 3.0))))
    return tuple(offsets)


def _in_windows(start: float, end: float, windows: list[tuple[float, float]]) -> bool:
    return any(start < b and a < end for a, b in windows)


def smooth_skyline(contour: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The skyline as the melody reads it: (x, height) samples, smoothed over a tenth of
    the picture's width (a gap between two trees is not a leap)."""
    if not contour:
        return np.array([0.0, 1.0]), np.full(2, 0.5)
    values = np.asarray(contour, dtype=float)
    if len(values) == 1:
        values = np.repeat(values, 2)
    width = max(1, round(len(values) / 10))
    if width > 1:
        padded = np.pad(values, width // 2 + 1, mode="edge")
        values = np.convolve(padded, np.ones(width) / width, mode="same")[
            width // 2 + 1: width // 2 + 1 + len(values)]
    return np.linspace(0.0, 1.0, len(values)), values


def _aim(slots: list[_Slot], heights: list[float], arches: list[float], register: int) -> None:
    """Set each slot's target pitch from the skyline's height at its note.

    The heights the notes meet are stretched so that the lowest and highest lie
    ``_SKYLINE_SPAN`` semitones apart around the register; heights that vary by
    less than ``_FLAT_SKYLINE`` of the picture are stretched less, in proportion,
    and the phrase's arch makes up the rest of a singable range.
    """
    if not slots:
        return
    values = np.asarray(heights)
    spread = float(np.ptp(values))
    scale = _SKYLINE_SPAN / max(spread, _FLAT_SKYLINE)
    arch_height = max(_ARCH, _LEAST_RANGE - spread * scale)
    middle = (float(values.max()) + float(values.min())) / 2
    for slot, height, arch in zip(slots, values, arches, strict=True):
        slot.height = float(height)
        slot.target += register + (float(height) - middle) * scale + arch_height * (arch - 0.5)
        slot.aim = slot.target


def _articulate(length: float, staccato: float) -> float:
    """Sounding length: legato keeps it all, staccato leaves a rest (sixteenth grid)."""
    if staccato < 0.3 or length <= 0.25:
        return length
    sound = math.floor(length * (1 - 0.5 * staccato) * 4 + 1e-9) / 4
    return max(0.25, sound)


def _scene_slots(
    i: int, plan: ScenePlan, timeline: Timeline, spans: list[HarmonySpan],
    rng: np.random.Generator, statement: tuple[ThemeStatement, list[Note]] | None = None,
    backdrop: Backdrop | None = None,
    sung_shapes: collections.Counter[tuple[int, ...]] | None = None,
) -> list[_Slot]:
    """The scene's melody notes before their pitches: the theme's statement where the
    scene has one, free cells (rhythm motifs by density) elsewhere. ``sung_shapes``
    counts the four-note shapes the theme's earlier statements sang (and gains this
    one's)."""
    start_s = timeline.scene_starts[i]
    windows = [
        (timeline.offset_at(start_s + a), timeline.offset_at(start_s + b))
        for a, b in plan.narration
    ]
    level = density_level(plan)
    # Under narration the melody keeps its register and its line, in fewer, longer notes.
    quiet_level = min(level, 1)
    base = plan.velocity * math.sqrt(plan.volume)
    offset0, length0 = timeline.scene_offsets[i], timeline.scene_lengths[i]
    xs, skyline = smooth_skyline(plan.contour)
    heights: list[float] = []
    arches: list[float] = []
    motifs: dict[tuple[float, bool], tuple[float, ...]] = {}
    shapes: dict[tuple[float, bool], tuple[float, ...]] = {}
    slots: list[_Slot] = []
    bars = timeline.scene_bars(i)
    beat = timeline.meter.beat
    covered = set(statement[0].scene_bars) if statement is not None else set()
    if statement is not None:
        slots.extend(_theme_slots(i, plan, statement, spans, bars, windows, base, beat))
    for b, bar in enumerate(bars):
        if b in covered:
            continue
        bar_spans = [s for s in spans if s.end > bar.offset and s.offset < bar.end]
        phrase_pos = b % 4
        phrase_bars = min(4, len(bars) - (b - phrase_pos))
        for cell_offset, cell_len, span in _cells(bar, bar_spans, beat):
            onset_cadence = span.cadence if abs(span.offset - cell_offset) < 1e-9 else None
            quiet = _in_windows(cell_offset, cell_offset + cell_len, windows)
            held = span.cadence in ("half", "authentic", "final") and onset_cadence is None
            if held:
                previous = slots[-1] if slots else None
                if previous is not None and previous.chord == span.chord \
                        and previous.fixed is None and previous.degree is None:
                    # Hold the cadence note instead of a new onset.
                    previous.length += cell_len
                    previous.sound = previous.length
                    continue
            shape: tuple[float, ...] = (0.0,)
            cell_level = quiet_level if quiet else level
            if span.cadence in ("half", "authentic", "final") or cell_level == 0:
                rhythm: tuple[float, ...] = (cell_len,)
            else:
                motif = (cell_len, quiet)
                if motif not in motifs:
                    motifs[motif] = _pattern(cell_len, cell_level, rng)
                    shapes[motif] = _shape(len(motifs[motif]), rng)
                rhythm, shape = motifs[motif], shapes[motif]
                if phrase_pos == 2 and not quiet:
                    rhythm = _pattern(cell_len, cell_level, rng)
                    shape = _shape(len(rhythm), rng)
            position = cell_offset
            for k, dur in enumerate(rhythm):
                in_bar = position - bar.offset
                # A note on a beat is a chord tone; notes between beats may pass or turn.
                on_beat = abs(in_bar - round(in_bar)) < 1e-9
                velocity = base * (1.0 if k == 0 else 0.86)
                if quiet:
                    velocity *= 0.6
                # The piece's last note rings to the end, however detached the rest.
                sound = dur if span.cadence == "final" else _articulate(dur, plan.staccato)
                slots.append(_Slot(
                    position, dur, sound, k == 0, on_beat, span.chord, _GESTURE * shape[k],
                    velocity, onset_cadence if k == 0 else None, i, quiet, span.bar,
                ))
                position += dur
    slots.sort(key=lambda slot: slot.offset)
    for slot in slots:
        if slot.quiet:
            slot.sound = slot.length
        fraction = (slot.offset - offset0) / length0
        b = min(len(bars) - 1, int((slot.offset - offset0) // timeline.meter.bar))
        phrase_pos = b % 4
        phrase_bars = min(4, len(bars) - (b - phrase_pos))
        in_bar = slot.offset - bars[b].offset
        # The arch spans a four-bar phrase, or the whole of a shorter scene.
        arch = math.sin(math.pi * (phrase_pos + in_bar / bars[b].length) / phrase_bars)
        slot.velocity *= 1 + 0.08 * arch
        heights.append(float(np.interp(fraction, xs, skyline)))
        arches.append(arch)
    _aim(slots, heights, arches, melody_register(plan))
    _realise_theme(slots, plan, skyline, backdrop, sung_shapes)
    return slots


def _theme_slots(
    i: int, plan: ScenePlan, statement: tuple[ThemeStatement, list[Note]],
    spans: list[HarmonySpan], bars: list[Bar], windows: list[tuple[float, float]], base: float,
    beat: float,
) -> list[_Slot]:
    """Slots for the theme's notes in a scene, each over the chord sounding at its onset."""
    stated, notes = statement
    out: list[_Slot] = []
    bar_length = bars[0].length
    first_bar = bars[0].index
    for offset, length, degree in notes:
        onset = stated.offset + offset
        span = next((s for s in spans if s.offset - 1e-9 <= onset < s.end - 1e-9), None)
        if span is None:  # a breath between two keys: the theme rests there
            continue
        end = min(onset + length, span.end if span.cadence == "final" else onset + length)
        bar_index = int((onset - bars[0].offset + 1e-9) // bar_length)
        in_bar = onset - bars[0].offset - bar_index * bar_length
        strong = abs(onset - span.offset) < 1e-9 or any(
            abs(in_bar - cut) < 1e-9 for cut in _cell_starts(bar_length, beat))
        quiet = _in_windows(onset, end, windows)
        velocity = base * (1.0 if strong else 0.86) * (0.6 if quiet else 1.0)
        sound = end - onset if span.cadence == "final" else _articulate(end - onset,
                                                                          plan.staccato)
        slot = _Slot(onset, end - onset, sound, strong, abs(in_bar - round(in_bar)) < 1e-9,
                     span.chord, 0.0, velocity,
                     span.cadence if abs(span.offset - onset) < 1e-9 else None, i, quiet,
                     first_bar + bar_index, degree=degree, written=degree,
                     theme_bar=int(offset // (bar_length * stated.scale)))
        out.append(slot)
    finals = [slot for slot in out if slot.cadence == "final"]
    if finals and out[-1] is not finals[0]:
        # The piece ends on the tonic with the theme's last note, the goal of its cadence,
        # approached from a tone of the chord (not a tonic repeated after a leap).
        finals[0].cadence = None
        out[-1].cadence = "final"
    return out


def _parallels(notes: list[_Slot], pitches: list[int], bass_of: dict[int, int | None]) -> int:
    """Parallel fifths or octaves (similar motion) between consecutive notes of a bar and
    the bass."""
    count = 0
    for k in range(1, len(notes)):
        low_a, low_b = bass_of[id(notes[k - 1])], bass_of[id(notes[k])]
        if low_a is None or low_b is None or low_a == low_b or pitches[k] == pitches[k - 1]:
            continue
        if (pitches[k] - pitches[k - 1]) * (low_b - low_a) < 0:
            continue  # contrary motion
        before, after = (pitches[k - 1] - low_a) % 12, (pitches[k] - low_b) % 12
        count += int(before == after and after in (0, 7))
    return count


def _snap_cost(candidate: int, diatonic: int, previous: int | None, before: int | None,
               moves: bool) -> float:
    """How far a theme note moved onto its chord strays from the theme: semitones from
    its diatonic pitch, a note repeated where the theme moves, a leap not turned back."""
    cost = float(abs(candidate - diatonic))
    if previous is None:
        return cost
    if moves and candidate == previous:
        cost += 2.5
    if before is not None and abs(previous - before) >= 5:
        turned = (candidate - previous) * (previous - before) < 0
        cost += (0.0 if abs(candidate - previous) <= 2 else 1.5) if turned else 3.0
    return cost


def _cell_starts(bar_length: float, beat: float) -> list[float]:
    starts = [0.0]
    for piece in metric_cells(bar_length, beat):
        starts.append(starts[-1] + piece)
    return starts


def _realise_theme(slots: list[_Slot], plan: ScenePlan, skyline: np.ndarray,
                   backdrop: Backdrop | None = None,
                   sung_shapes: collections.Counter[tuple[int, ...]] | None = None,
                   sung: dict[int, int] | None = None, sequences_first: bool = True,
                   recall: bool = False) -> None:
    """Give each theme note its pitch: its degree in the scene's key, each theme bar moved
    up or down the scale as a whole, or turned upside down, where that follows the
    skyline (``_bar_shifts``), then any note that still clashes moved onto the chord
    under it: a strong note to the nearest chord tone, a note on a weaker beat only
    where it is not a passing or neighbour note (a step in, a step out), so that the
    motif keeps its interval shape wherever the harmony lets it. ``sung`` gives the
    scene's other notes' pitches where they are known (by ``id`` of their slot);
    ``sequences_first`` leaves a bar to the skyline only where no sequence fits."""
    themed = [slot for slot in slots if slot.degree is not None]
    if not themed:
        return
    key = scene_key(plan)
    band = melody_band(plan)
    mean_degree = sum(slot.degree or 0 for slot in themed) / len(themed)
    tonic = tonic_below(melody_register(plan), key.pc, mean_degree)
    basses = [backdrop.bass_at(slot.offset) if backdrop is not None else None
              for slot in themed]
    # A skyline is clear where it rises or falls under the scene's notes, as check 12 reads
    # it, not where the picture's contour jumps somewhere the notes never meet.
    clear = float(np.ptp([slot.height for slot in slots])) > _CLEAR_SKYLINE
    heard = _key_hearing(themed, key, backdrop) if backdrop is not None else None
    # The scene's other notes, foreseen on the pitches nearest their targets that their
    # chords allow: the statement is judged against the skyline with them, as a listener
    # hears the scene (and check 12 ranks it) whole.
    others = [slot for slot in slots if slot.degree is None]
    around = (np.array([slot.height for slot in others]),
              np.array([sung[id(slot)] if sung is not None else _foreseen(slot, band)
                        for slot in others], dtype=float))
    chosen = _bar_shifts(themed, key.scale, tonic, band, basses, clear, heard, sung_shapes,
                         around, sequences_first=sequences_first, recall=recall)
    if sung_shapes is not None:
        sung_shapes.update(s for run in _kept_runs(chosen) for s in _shapes(run))
    for slot, (_, free) in zip(themed, chosen, strict=True):
        if free:  # the bar keeps the theme's rhythm; its pitches follow the skyline
            slot.degree = None
    degrees = [d for d, free in chosen if not free]
    themed = [slot for slot in themed if slot.degree is not None]
    diatonic = [degree_pitch(d, key.scale, tonic) for d in degrees]
    for slot, pitch in zip(themed, _onto_chords(themed, degrees, diatonic, band), strict=True):
        slot.fixed = pitch
        slot.target = float(pitch)


def _rethink_theme(slots: list[_Slot], pitches: Sequence[int], plan: ScenePlan,
                   backdrop: Backdrop, sequences_first: bool = False,
                   heard: collections.Counter[tuple[int, ...]] | None = None,
                   recall: bool = False) -> bool:
    """Sing a scene's statement of the theme again, judged with its other notes where
    the pitch pass put them (not where they were foreseen): each theme note back to its
    written degree and its skyline target. ``sequences_first`` False (a scene that
    did not follow its skyline with sequences only) lets any bar go to the skyline;
    ``heard``: the shapes the rest of the music sings, and ``recall`` as in
    ``_bar_shifts``. False where the scene states no theme."""
    if not any(slot.written is not None for slot in slots):
        return False
    for slot in slots:
        if slot.written is not None:
            slot.degree, slot.fixed, slot.target = slot.written, None, slot.aim
    sung = {id(slot): pitch for slot, pitch in zip(slots, pitches, strict=True)
            if slot.written is None}
    _realise_theme(slots, plan, np.zeros(0), backdrop, heard, sung=sung,
                   sequences_first=sequences_first, recall=recall)
    return True


def _foreseen(slot: _Slot, band: tuple[int, int]) -> int:
    """Where the pitch pass will likely put a free note: the pitch nearest its target
    that its chord allows there (a chord tone where the note starts a cell)."""
    allowed = set(slot.chord.pcs) if slot.strong else set(melodic_pcs(slot.chord))
    centre = min(max(round(slot.target), band[0]), band[1])
    fits = [p for p in range(centre - 7, centre + 8)
            if p % 12 in allowed and band[0] <= p <= band[1]] or [centre]
    return min(fits, key=lambda p: (abs(p - slot.target), p))


def _onto_chords(notes: Sequence[_Slot], degrees: Sequence[int], diatonic: Sequence[int],
                 band: tuple[int, int], open_end: bool = False) -> list[int]:
    """The theme notes' pitches once each note the harmony or the band rules out is
    moved to the nearest allowed pitch that keeps the line (``_snap_cost``);
    ``open_end``: the last note may pass on by step to a note that follows."""
    out: list[int] = []
    previous: int | None = None
    before: int | None = None  # the note before ``previous``
    for k, slot in enumerate(notes):
        pitch = diatonic[k]
        allowed = _theme_allowed(slot, diatonic, k, open_end)
        # Within a fifth either way every pitch class is found, most of them twice. The
        # piece's last note looks an octave either way: a minor sixth above the tonic at
        # the band's top has its nearer tonic cut off, and must still reach the lower one.
        reach = 12 if slot.cadence == "final" else 7
        candidates = [p for p in range(pitch - reach, pitch + reach + 1)
                      if p % 12 in allowed and band[0] <= p <= band[1]]
        if candidates and (pitch % 12 not in allowed or not band[0] <= pitch <= band[1]):
            moves = k > 0 and degrees[k] != degrees[k - 1]
            pitch = min(candidates, key=lambda p: (
                _snap_cost(p, diatonic[k], previous, before, moves), p))
        out.append(pitch)
        before, previous = previous, pitch
    return out


def _degree_of(pitch: int, scale: Sequence[int], tonic: int) -> int:
    """The diatonic degree a pitch is read as: the scale's degree at or just below it (a
    raised leading tone is still the seventh degree, as it is spelt)."""
    degree = 7 * ((pitch - tonic) // 12) + 7
    while degree_pitch(degree, scale, tonic) > pitch:
        degree -= 1
    return degree


def _key_hearing(themed: list[_Slot], key: Key, backdrop: Backdrop
                 ) -> Callable[[Sequence[int]], float]:
    """What a way of singing the theme's first notes costs in how clearly the scene's own
    bars, with the parts under them, say its key (Krumhansl–Schmuckler, as the listening
    back in ``_solve_and_revise`` hears it)."""
    scene = themed[0].scene
    own = backdrop.own_bars[scene]
    under = backdrop.weights[scene]

    def cost(pitches: Sequence[int]) -> float:
        weights = under.copy()
        for slot, pitch in zip(themed, pitches, strict=False):
            if slot.bar in own:
                weights[pitch % 12] += slot.length
        r, margin = key_margin(weights, key)
        return _KEY_WEIGHT * (max(0.0, _KEY_CLEAR - r) + max(0.0, _KEY_MARGIN - margin))
    return cost


def _theme_allowed(slot: _Slot, diatonic: Sequence[int], k: int, open_end: bool = False
                   ) -> set[int]:
    """The pitch classes theme note ``k`` may sound: the tonic at the piece's end, a
    chord tone on a strong beat or on a beat it does not pass through by step, and the
    scale as the chord alters it elsewhere. ``open_end``: the notes go on past the last
    of ``diatonic`` (a bar sung alone), so its last note may pass by step into the next
    bar; whoever joins the bars sees that it does (``_Option.dangling``)."""
    if slot.cadence == "final":
        return {slot.chord.key.pc}
    if slot.strong:
        return set(slot.chord.pcs)
    if slot.beat:
        last = k == len(diatonic) - 1
        stepwise = (k > 0 and (open_end or not last)
                    and 0 < abs(diatonic[k] - diatonic[k - 1]) <= 2
                    and (last or 0 < abs(diatonic[k + 1] - diatonic[k]) <= 2))
        if not stepwise:
            return set(slot.chord.pcs)
    return set(melodic_pcs(slot.chord))


def _bar_shifts(themed: list[_Slot], scale: Sequence[int], tonic: int, band: tuple[int, int],
                basses: Sequence[int | None], clear: bool,
                heard: Callable[[Sequence[int]], float] | None = None,
                before: collections.Counter[tuple[int, ...]] | None = None,
                around: tuple[np.ndarray, np.ndarray] | None = None,
                sequences_first: bool = True, recall: bool = False,
                ) -> list[tuple[int, bool]]:
    """Each theme note's degree once its bar has moved: every bar is moved a number of
    scale steps as a whole (a sequence), or turned upside down about its first note
    (an inversion), so that the motif keeps its shape inside the bar. A beam search
    over the bars picks the ways that together rise and fall with the skyline over
    the statement and span a singable range, while each bar lands its strong beats on
    the chords under them, stays in the melody's band, keeps out of parallels with the
    bass and joins the bar before smoothly (``_bar_options``). A bar keeps only the
    theme's rhythm, its pitches left to the skyline, where no sequence fits its chords
    unbent, or anywhere when ``sequences_first`` is False (and then every bar closes on
    its chord). ``recall``: a bar bent into shapes ``before`` already has is the form of
    the motif the listener knows, and counts as unbent."""
    bass_of = {id(slot): bass for slot, bass in zip(themed, basses, strict=True)}
    before = before if before is not None else collections.Counter()
    heights = np.array([slot.height for slot in themed])
    # A listener follows the ups and downs of a clear skyline, however small they are
    # under this statement: its rank order counts, not its size.
    following = 1.0 if clear else 0.0
    bars: dict[int, list[_Slot]] = {}
    for slot in themed:
        bars.setdefault(slot.theme_bar, []).append(slot)
    other_heights, other_pitches = around if around is not None else (np.zeros(0),
                                                                       np.zeros(0))
    def judged(own: float, path: tuple[_Option, ...], complete: bool) -> float:
        # What the statement sung so far costs as a whole: not following its skyline
        # (with the scene's other notes where they are foreseen), not repeating its shapes, not
        # saying its key; once complete, a range short of a phrase's where it has a
        # phrase's notes.
        sung = np.array([p for o in path for p in o.pitches], dtype=float)
        cost = own + _unfollowed(np.concatenate([sung, other_pitches]),
                                 np.concatenate([heights[:len(sung)], other_heights]),
                                 following)
        cost -= _RECUR_WEIGHT * _recurring_shapes(
            _kept_runs([(d, o.free) for o in path for d in o.degrees]), before)
        if heard is not None:
            cost += heard([int(p) for p in sung])
        cost += _UNTURNED * _unturned_leaps(sung)
        if complete and len(sung) >= _PHRASE_NOTES - 2:
            short = _SHORT_SPAN if any(o.free for o in path) else _SHORT_SEQUENCES
            cost += short * max(0.0, _THEME_SPAN - float(np.ptp(sung)))
        return cost

    beams: list[tuple[float, tuple[_Option, ...]]] = [(0.0, ())]
    order = sorted(bars)
    for index in order:
        notes = bars[index]
        # Where the scene's skyline wants the bar: its notes' targets, in scale steps.
        wanted = 7 * (float(np.mean([slot.target for slot in notes])) - tonic) / 12
        options = _bar_options(notes, scale, tonic, band, bass_of, wanted, heights,
                               open_end=sequences_first and index != order[-1],
                               known=before if recall else None)
        # A composer keeps the motif where the harmony lets it: a bar left to the skyline
        # only where no sequence (or inversion) of it fits the chords unbent.
        fits = sequences_first and any(option.bent == 0 for option in options)
        if len(notes) >= 3 and not any(slot.cadence == "final" for slot in notes) and not fits:
            options.append(_free_option(notes, scale, tonic, band))
        grown, stuck = [], []
        for cost, chosen in beams:
            for option in options:
                own = cost + option.cost + (_join_cost(chosen[-1].pitches[-1], option.pitches)
                                            if chosen else 0.0)
                path = (*chosen, option)
                judgement = (judged(own, path, index == order[-1]), own, path)
                if chosen and chosen[-1].dangling and not 0 < abs(
                        option.pitches[0] - chosen[-1].pitches[-1]) <= 2:
                    # A passing note must pass on by step; where no way does, it will be
                    # bent onto its chord after all.
                    stuck.append((judgement[0] + _CLASH + _BENT, *judgement[1:]))
                else:
                    grown.append(judgement)
        grown = grown or stuck
        grown.sort(key=lambda g: g[0])
        beams = [(own, path) for _, own, path in grown[:_BEAM]]
    best = beams[0][1]
    return [(d, option.free) for option in best for d in option.degrees]


def _unturned_leaps(sung: np.ndarray) -> int:
    """Leaps (a fourth or more) in the sung notes whose next move does not go back the
    other way (a repeated note does not turn it), as check 10 counts them."""
    moves = np.diff(sung)
    return sum(1 for a, b in itertools.pairwise(moves) if abs(a) >= 5 and a * b >= 0)


def _unfollowed(sung: np.ndarray, heights: np.ndarray, following: float) -> float:
    """What a melody that does not rise and fall with its skyline costs: nothing once
    its rank correlation reaches ``_LEAST_FOLLOWING``, more the further below, and
    steeply below ``_MUST_FOLLOW``: a scene whose tune a listener does not hear rise and
    fall with its picture has lost what it is for, whatever the tonic triad gains."""
    if not following or len(sung) < 3:
        return 0.0
    rho = _rank_correlation(sung, heights)
    return following * (_FOLLOW_WEIGHT * max(0.0, _LEAST_FOLLOWING - rho)
                        + _MUST_WEIGHT * max(0.0, _MUST_FOLLOW - rho))


def _moves(degrees: Sequence[int]) -> list[int]:
    """The diatonic intervals between consecutive degrees."""
    return [b - a for a, b in itertools.pairwise(degrees)]


def _shapes(degrees: Sequence[int]) -> list[tuple[int, ...]]:
    """Every four-note window of a tune as its diatonic intervals."""
    moves = [b - a for a, b in itertools.pairwise(degrees)]
    return [tuple(moves[k:k + 3]) for k in range(len(moves) - 2)]


def _kept_runs(sung: Sequence[tuple[int, bool]]) -> list[list[int]]:
    """The runs of theme degrees that keep the theme's pitches, cut at every bar left to
    the skyline: a free bar's degrees are only a forecast (the pitch pass solves them
    again), so the shapes they would make are not the theme's to count."""
    runs: list[list[int]] = [[]]
    for degree, free in sung:
        if free:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(degree)
    return [run for run in runs if run]


def _recurring_shapes(runs: Sequence[Sequence[int]],
                      before: collections.Counter[tuple[int, ...]]) -> float:
    """The share of the statement's four-note windows whose diatonic intervals another
    window has too, here or in the theme's earlier statements (``before``): how much
    the melody comes back to its own shapes, as a listener remembers a tune. Only the
    runs that keep the theme's pitches (``_kept_runs``) can recur; the windows of the
    notes left to the skyline count as not recurring."""
    shapes = [shape for run in runs for shape in _shapes(run)]
    windows = max(1, sum(len(run) for run in runs) - 3)
    if not shapes:
        return 0.0
    counts = collections.Counter(shapes)
    return sum(counts[s] > 1 or before[s] > 0 for s in shapes) / max(windows, len(shapes))


@dataclass(frozen=True)
class _Option:
    """One way to sing a theme bar: its degrees, their pitches, and what it costs alone."""

    degrees: tuple[int, ...]
    pitches: tuple[int, ...]
    cost: float
    free: bool = False  # the theme's rhythm on pitches that follow the skyline note by note
    bent: int = 0  # intervals of the motif that bending onto the chords changed
    # Its last note on a beat off its chord, passing on: the next bar must start a step away.
    dangling: bool = False


def _free_option(notes: list[_Slot], scale: Sequence[int], tonic: int, band: tuple[int, int]
                 ) -> _Option:
    """A theme bar whose rhythm stays and whose pitches are left to the skyline (where it
    rises or falls inside the bar more than a motif can): each note foreseen on the
    scale tone (a chord tone on a strong beat) nearest its target."""
    ladder = [(d, degree_pitch(d, scale, tonic)) for d in range(-21, 29)]
    degrees = []
    for slot in notes:
        fits = [(d, p) for d, p in ladder if band[0] <= p <= band[1]
                and (not slot.strong or p % 12 in slot.chord.pcs)] or ladder
        degrees.append(min(fits, key=lambda dp: (abs(dp[1] - slot.target), dp[1]))[0])
    return _Option(tuple(degrees), tuple(degree_pitch(d, scale, tonic) for d in degrees),
                   _FREE_BAR, free=True)


def _bar_options(notes: list[_Slot], scale: Sequence[int], tonic: int, band: tuple[int, int],
                 bass_of: dict[int, int | None], wanted: float, heights: np.ndarray,
                 open_end: bool = False,
                 known: collections.Counter[tuple[int, ...]] | None = None) -> list[_Option]:
    """The cheapest ways to sing a theme bar (shifted, or inverted and shifted), each
    costed alone: its middle away from where the skyline wants it, an inversion.
    ``open_end`` (a bar the statement goes on from): a last note on a beat may also
    pass on off its chord, as a passing note into the next bar (``_Option.dangling``)."""
    first = notes[0].degree or 0
    # Only a last note on a weak beat can pass on; it changes a bar whose close bent it.
    passes = open_end and notes[-1].beat and not notes[-1].strong
    options = []
    for mirror in (False, True):
        if mirror and (len(notes) < 3 or any(s.cadence == "final" for s in notes)):
            continue
        shape = [2 * first - (s.degree or 0) if mirror else (s.degree or 0) for s in notes]
        for shift in range(-6, 7):
            degrees = tuple(d + shift for d in shape)
            cost = 0.6 * abs(float(np.mean(degrees)) - wanted) + (_MIRROR if mirror else 0.0)
            option = _bar_option(notes, degrees, scale, tonic, band, bass_of, heights,
                                 False, known)
            options.append(dataclasses.replace(option, cost=option.cost + cost))
            if passes and option.degrees[-1] != degrees[-1]:
                option = _bar_option(notes, degrees, scale, tonic, band, bass_of, heights,
                                     True, known)
                if option.dangling:
                    options.append(dataclasses.replace(option, cost=option.cost + cost))
    options.sort(key=lambda o: o.cost)
    return options[:_BAR_OPTIONS]


def _bar_option(notes: list[_Slot], degrees: tuple[int, ...], scale: Sequence[int],
                tonic: int, band: tuple[int, int], bass_of: dict[int, int | None],
                heights: np.ndarray, open_end: bool,
                known: collections.Counter[tuple[int, ...]] | None = None) -> _Option:
    """A theme bar sung on ``degrees``, as it will sound (its clashing notes moved onto
    their chords), with what it costs alone (``_bar_cost``) and the motif's intervals
    it bends; ``open_end`` as in ``_bar_options``."""
    pitches = tuple(degree_pitch(d, scale, tonic) for d in degrees)
    cost = _bar_cost(notes, pitches, band, bass_of, heights, open_end)
    # The bar as it will sound: its clashing notes moved onto their chords, so that the
    # search judges the shapes and the line a listener hears.
    sounding = tuple(_onto_chords(notes, degrees, pitches, band, open_end))
    sung = tuple(_degree_of(p, scale, tonic) for p in sounding)
    # Each interval the bend changes is a piece of the motif a listener loses.
    bent = sum(a != b for a, b in zip(_moves(sung), _moves(degrees), strict=True))
    if bent and known is not None and len(sung) >= 4 and all(
            known[shape] > 0 for shape in _shapes(sung)):
        # Bent the way an earlier statement was: the listener knows this form of the motif.
        bent = 0
        cost = _bar_cost(notes, sounding, band, bass_of, heights, open_end)
    dangling = open_end and sounding[-1] % 12 not in notes[-1].chord.pcs
    return _Option(sung, sounding, cost + _BENT * bent, bent=bent, dangling=dangling)


def _bar_cost(notes: list[_Slot], pitches: Sequence[int], band: tuple[int, int],
              bass_of: dict[int, int | None], heights: np.ndarray, open_end: bool = False
              ) -> float:
    """What a theme bar sung on ``pitches`` costs: strong beats off their chords, notes
    outside the band, motion against the skyline inside the bar, parallels with the
    bass."""
    clashes = sum(1 for k, (slot, pitch) in enumerate(zip(notes, pitches, strict=True))
                  if pitch % 12 not in slot.chord.pcs
                  and pitch % 12 not in _theme_allowed(slot, pitches, k, open_end))
    # A passing note on a beat is allowed, but it is a dissonance a listener hears on
    # the beat: a bar that can sit its beats on the chord should.
    passing = sum(1 for slot, pitch in zip(notes, pitches, strict=True)
                  if slot.beat and pitch % 12 not in slot.chord.pcs)
    outside = sum(max(0, band[0] - p, p - band[1]) for p in pitches)
    under_voice = sum(max(0, _ABOVE_VOICE - p) for slot, p in zip(notes, pitches, strict=True)
                      if slot.quiet)
    cost = _CLASH * clashes + _ON_BEAT * passing + 3.0 * outside + _UNDER_VOICE * under_voice
    cost += _PARALLEL / 4 * _parallels(notes, list(pitches), bass_of)
    # The tonic triad, held, says the scene's key (as the free notes lean on it too).
    cost -= _TONIC_PULL * sum(slot.length * _triad_weight(slot.chord.key, pitch)
                              for slot, pitch in zip(notes, pitches, strict=True))
    bar_heights = np.array([slot.height for slot in notes])
    rise = float(np.ptp(bar_heights)) / max(float(np.ptp(heights)), _FLAT_SKYLINE)
    if rise > 0 and len(set(pitches)) > 1:
        cost -= rise * _rank_correlation(np.array(pitches, dtype=float), bar_heights)
    return cost


def _triad_weight(key: Key, pitch: int) -> float:
    """2 for the key's tonic, 1 for the rest of its tonic triad, 0 otherwise."""
    step = (pitch - key.pc) % 12
    if step == 0:
        return 2.0
    return 1.0 if step in (7, 4 if key.mode == "major" else 3) else 0.0


def _join_cost(last: int, pitches: Sequence[int]) -> float:
    """Joining the bar before by step or skip; a leap into the bar must turn back."""
    leap = pitches[0] - last
    cost = 0.6 * max(0, abs(leap) - 4)
    if abs(leap) >= 5 and len(pitches) > 1 and (pitches[1] - pitches[0]) * leap >= 0:
        cost += 2.0
    return cost


def _pc_mask(pcs: Iterable[int]) -> np.ndarray:
    """A lookup table over the twelve pitch classes: True for those in ``pcs``."""
    mask = np.zeros(12, dtype=bool)
    mask[list(pcs)] = True
    return mask


def _solve_pitches(slots: list[_Slot], plans: Sequence[ScenePlan],
                   backdrop: Backdrop | None = None) -> list[int]:
    """Second-order Viterbi over a run of slots (see the module docstring)."""
    grid = _pitch_grid(slots, plans)
    unary = np.stack([_note_costs(slot, melody_band(plans[slot.scene]), grid)
                      for slot in slots])
    if len(slots) == 1:
        return [int(grid[int(np.argmin(unary[0]))])]
    path = _viterbi(slots, grid, unary, _Moves.of(slots, grid, backdrop))
    return [int(grid[k]) for k in path]


def _pitch_grid(slots: list[_Slot], plans: Sequence[ScenePlan]) -> np.ndarray:
    """The pitches the solver chooses from: every scene's register give or take
    ``_RANGE``, and every theme note's pitch."""
    fixed = [s.fixed for s in slots if s.fixed is not None]
    bands = [melody_band(plans[s.scene]) for s in slots]
    low = min([band[0] for band in bands] + fixed)
    high = max([band[1] for band in bands] + fixed)
    return np.arange(low, high + 1)


def _note_costs(slot: _Slot, band: tuple[int, int], grid: np.ndarray) -> np.ndarray:
    """What each pitch of ``grid`` costs a note on its own: its distance from the
    note's target, less the pull of the tonic triad and of a cadence; ``_BIG`` where
    the chord or the register rules it out, 0 only at a theme note's own pitch."""
    pcs_of_grid = grid % 12
    allowed = set(slot.chord.pcs) if slot.strong else set(melodic_pcs(slot.chord))
    tonic = slot.chord.key.pc
    if slot.cadence == "final":
        allowed = {tonic}
    ok = _pc_mask(allowed)[pcs_of_grid]
    ok &= grid >= band[0]
    ok &= grid <= band[1]
    distance = np.abs(grid - slot.target)
    cost = _PULL * slot.pull * distance + 0.04 * np.maximum(0, distance - 5) ** 2
    if slot.quiet:
        cost = cost + _UNDER_VOICE * np.maximum(0, _ABOVE_VOICE - grid)
    # Tonic-triad tones (the tonic above all) help a short scene set its key up:
    # a gentle pull everywhere, made firmer where a scene's key is heard weakly.
    triad = [(tonic + step) % 12 for step in (0, 4 if slot.chord.key.mode == "major"
                                               else 3, 7)]
    pull = _TONIC_PULL * slot.tonic_pull
    cost = cost - pull * np.where(pcs_of_grid == tonic, 2.0,
                                  np.where(_pc_mask(triad)[pcs_of_grid], 1.0, 0.0))
    if slot.cadence in ("authentic", "arrival"):
        cost = cost - np.where(pcs_of_grid == tonic, 2.5, 0.0)
    elif slot.cadence == "half":
        second_degree = (tonic + 2) % 12
        leading = (tonic + 11) % 12
        cost = cost - np.where(_pc_mask((second_degree, leading))[pcs_of_grid], 1.5, 0.0)
    if slot.fixed is not None:
        # A theme note: its pitch is already chosen; the free notes around it connect.
        return np.where(grid == slot.fixed, 0.0, _BIG)
    if not ok.any():
        # No allowed pitch in range (cannot happen for real chords); fall back to the target.
        return 0.3 * distance
    return np.where(ok, cost, _BIG)


def _gaps(slots: list[_Slot]) -> list[float]:
    """The rest written before each note (the first note's is measured from the last).

    A staccato note is written at its full length with a dot, so the silence its
    shortened sound leaves is no rest: the phrase goes on through it, for a reader (and
    check 10) as for the leaps the line must turn."""
    return [slots[n].offset - slots[n - 1].offset - slots[n - 1].length
            for n in range(len(slots))]


def _new_phrases(slots: list[_Slot]) -> list[bool]:
    """Whether each note opens a scene, and so a new phrase."""
    return [n > 0 and slots[n].scene != slots[n - 1].scene for n in range(len(slots))]


def _triple_costs(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Penalties that need three notes, ``triple[a, b, c]`` for the pitches a, b, c of
    ``grid``, and ``by_step[a, b, c]``: whether b is reached and left by step."""
    diff = grid[None, :] - grid[:, None]  # [a, b] = b - a
    first = diff[:, :, None]  # b - a
    second = diff[None, :, :]  # c - b
    leap = np.abs(first) >= 5
    resolved = (np.sign(second) == -np.sign(first)) & (np.abs(second) >= 1) & (np.abs(second) <= 2)
    turned = np.sign(second) == -np.sign(first)
    # A leap is best answered by a step back, at least by a move back; never by more of it.
    triple = np.where(leap & ~resolved, np.where(turned, 1.5, 6.0), 0.0)
    triple += np.where((np.abs(first) >= 3) & (np.abs(second) >= 3)
                       & (np.sign(first) == np.sign(second)), 1.0, 0.0)
    triple += np.where((first == 0) & (second == 0), 1.5, 0.0)
    # Trills (C D C D ...) are cheap note by note; charge the return to discourage them.
    triple += np.where((first != 0) & (first == -second) & (np.abs(first) <= 2), 0.5, 0.0)
    # A non-chord tone on a beat must be a passing or neighbour note: a step in, a step out.
    by_step = ((np.abs(first) >= 1) & (np.abs(first) <= 2)
               & (np.abs(second) >= 1) & (np.abs(second) <= 2))
    return triple, by_step


@dataclass(frozen=True)
class _Moves:
    """What moving from one pitch of the grid to another costs, note by note."""

    grid: np.ndarray
    pair: np.ndarray  # [a, b]: the interval from grid[a] to grid[b]
    weight: list[float]  # a move after a rest counts half
    new_phrase: list[bool]
    basses: list[int | None]

    @classmethod
    def of(cls, slots: list[_Slot], grid: np.ndarray, backdrop: Backdrop | None) -> _Moves:
        """The moves between the notes of ``slots`` over ``grid``, above ``backdrop``'s bass."""
        diff = grid[None, :] - grid[:, None]  # [a, b] = b - a
        pair = np.vectorize(_interval_cost)(diff).astype(float)
        gaps = _gaps(slots)
        weight = [0.5 if n and gaps[n] >= 1 else 1.0 for n in range(len(slots))]
        basses = [backdrop.bass_at(slot.offset) if backdrop is not None else None
                  for slot in slots]
        return cls(grid, pair, weight, _new_phrases(slots), basses)

    def into(self, n: int) -> np.ndarray:
        """``[a, b]``: the cost of moving from pitch a of note n - 1 to pitch b of note n."""
        # A new scene starts a new phrase: it may open with a wide leap to its own register.
        across = np.minimum(self.pair, 1.0)
        step = np.asarray(self.weight[n] * (across if self.new_phrase[n] else self.pair))
        before, now = self.basses[n - 1], self.basses[n]
        if before is None or now is None or before == now:
            return step
        # Outer voices in parallel fifths or octaves: both move the same way, and the
        # interval stays perfect.
        grid = self.grid
        old = (grid[:, None] - before) % 12
        new = (grid[None, :] - now) % 12
        same_way = np.sign(grid[None, :] - grid[:, None]) == np.sign(now - before)
        parallel = (old == new) & ((new == 0) | (new == 7)) & same_way
        return step + np.where(parallel, _PARALLEL, 0.0)


def _viterbi(slots: list[_Slot], grid: np.ndarray, unary: np.ndarray, moves: _Moves
             ) -> list[int]:
    """The cheapest path of grid indices through two or more notes: each note's own
    cost, the moves between notes and, within a phrase, the costs of three notes."""
    triple, by_step = _triple_costs(grid)
    pcs_of_grid = grid % 12
    gaps = _gaps(slots)
    new_phrase = moves.new_phrase
    cost = unary[0][:, None] + moves.into(1) + unary[1][None, :]
    back: list[np.ndarray] = []
    for n in range(2, len(slots)):
        w_t = 0.0 if gaps[n] >= 1 or gaps[n - 1] >= 1 or new_phrase[n] or new_phrase[n - 1] \
            else 1.0
        total = cost[:, :, None] + w_t * triple
        middle = slots[n - 1]
        if middle.beat and not middle.strong and middle.fixed is None:
            foreign = ~_pc_mask(middle.chord.pcs)[pcs_of_grid]
            total = total + np.where(foreign[None, :, None] & ~by_step, _BIG, 0.0)
        arg = np.argmin(total, axis=0)
        best = np.take_along_axis(total, arg[None, :, :], axis=0)[0]
        cost = best + moves.into(n) + unary[n][None, :]
        back.append(arg.astype(np.int16))
    return _backtrack(cost, back)


def _backtrack(cost: np.ndarray, back: list[np.ndarray]) -> list[int]:
    """The path of grid indices that ends in the cheapest last two pitches of ``cost``,
    followed back through the choices ``back`` recorded."""
    last_two = np.unravel_index(int(np.argmin(cost)), cost.shape)
    a, b = int(last_two[0]), int(last_two[1])
    path = [b, a]
    for arg in reversed(back):
        a, b = int(arg[a, b]), a
        path.append(a)
    path.reverse()
    return path


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, tied values sharing their average rank (scipy's ``rankdata``). In
    plain Python: the theme's search ranks a few notes thousands of times, where numpy's
    per-call overhead was most of the composer's time."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho (Pearson's r of the ranks); 0 where either side does not vary."""
    ra = _ranks(np.asarray(a, dtype=float).tolist())
    rb = _ranks(np.asarray(b, dtype=float).tolist())
    mean_a, mean_b = sum(ra) / len(ra), sum(rb) / len(rb)
    da = [x - mean_a for x in ra]
    db = [y - mean_b for y in rb]
    saa, sbb = sum(x * x for x in da), sum(y * y for y in db)
    if saa == 0 or sbb == 0:
        return 0.0
    r = sum(x * y for x, y in zip(da, db, strict=True)) / math.sqrt(saa * sbb)
    return max(-1.0, min(1.0, r))


def _solve_and_revise(slots: list[_Slot], plans: Sequence[ScenePlan],
                      backdrop: Backdrop) -> list[int]:
    """Solve the pitches, then read each scene's melody back as a composer would and
    solve again where it falls short:

    * a scene whose own bars (those in its key), with the accompaniment and bass
      under them, do not name its key first by Krumhansl–Schmuckler key finding,
      or only weakly (r under ``_KEY_CLEAR``), has its melody drawn harder to the
      tonic triad there;
    * a scene of a phrase's worth of notes that spans less than ``_LEAST_SPAN``
      semitones gets its targets spread further from the middle of what it sings,
      and keeps closer to them;
    * one whose notes do not rise and fall with a clear skyline (rank
      correlation under ``_LEAST_FOLLOWING``) keeps closer to its targets;
    * otherwise, one that moves by step less than ``_LEAST_STEPS`` of the time
      keeps less close to them.
    """
    pitches = _solve_pitches(slots, plans, backdrop)
    rethought: set[int] = set()
    revisions, done = _REVISIONS, 0
    while done < revisions:
        done += 1
        revised = False
        for scene in sorted({slot.scene for slot in slots}):
            notes = [n for n, slot in enumerate(slots) if slot.scene == scene]
            own, r, margin = _key_heard(slots, pitches, notes, backdrop, by_sound=True)
            if margin <= 0 or r < _KEY_CLEAR:
                for n in own:
                    slots[n].tonic_pull *= 2
                revised = True
            if len(notes) < _PHRASE_NOTES:
                continue
            sung = np.array([pitches[n] for n in notes], dtype=float)
            if np.ptp(sung) < _LEAST_SPAN:
                # Spread about the middle of what the scene sings, not its register: a
                # tune sitting to one side of its register (under a theme bar placed low)
                # would only slide further that way, no wider.
                centre = (float(sung.max()) + float(sung.min())) / 2
                for n in notes:
                    slots[n].target = centre + (slots[n].target - centre) * 1.5
                    slots[n].pull *= 1.25
                revised = True
                continue
            heights = np.array([slots[n].height for n in notes])
            moves = np.abs(np.diff(sung))
            moves = moves[moves > 0]
            clear = float(np.ptp(heights)) > _CLEAR_SKYLINE
            rho = _rank_correlation(sung, heights)
            if clear and rho < _MUST_FOLLOW and scene not in rethought and _rethink_theme(
                    [slots[n] for n in notes], [pitches[n] for n in notes], plans[scene],
                    backdrop):
                # The statement was placed against where the free notes were foreseen;
                # sung against where they are, it can follow the skyline with them.
                rethought.add(scene)
                revised = True
            elif clear and rho < _LEAST_FOLLOWING:
                for n in notes:
                    slots[n].pull *= 2
                revised = True
                if rho < _MUST_FOLLOW:
                    # Sung again with its bars free to follow the skyline and still not
                    # following it: it is worth one more pass.
                    revisions = _REVISIONS + 1
            elif len(moves) and np.mean(moves <= 2) < _LEAST_STEPS:
                for n in notes:
                    slots[n].pull *= 0.7
                revised = True
        if not revised:
            break
        solved = _solve_pitches(slots, plans, backdrop)
        if done <= _REVISIONS or _least_following(slots, solved) > _least_following(
                slots, pitches):
            pitches = solved  # the pass beyond the usual ones is kept only where it helps
    return pitches


def _least_following(slots: list[_Slot], pitches: Sequence[int]) -> float:
    """The least rank correlation with its skyline of the scenes of a phrase's notes
    whose skyline is clear (1 where there is none), as check 12 reads it."""
    least = 1.0
    for scene in sorted({slot.scene for slot in slots}):
        notes = [n for n, slot in enumerate(slots) if slot.scene == scene]
        heights = np.array([slots[n].height for n in notes])
        if len(notes) >= _PHRASE_NOTES and float(np.ptp(heights)) > _CLEAR_SKYLINE:
            sung = np.array([pitches[n] for n in notes], dtype=float)
            least = min(least, _rank_correlation(sung, heights))
    return least


@dataclass(frozen=True)
class Backdrop:
    """What sounds under the melody, scene by scene, for hearing each scene's key."""

    keys: tuple[Key, ...]
    own_bars: tuple[frozenset[int], ...]  # bars whose chords are all in the scene's key
    weights: tuple[np.ndarray, ...]  # pitch-class durations of the other parts there
    lowest: tuple[tuple[float, float, int], ...] = ()  # (offset, end, pitch) of the bass line

    def bass_at(self, offset: float) -> int | None:
        """The lowest note sounding under the melody at ``offset`` (the outer voice)."""
        k = bisect.bisect_right(self.lowest, (offset + 1e-9, math.inf, 0)) - 1
        if k < 0 or self.lowest[k][1] <= offset + 1e-9:
            return None
        return self.lowest[k][2]


def backdrop(plans: Sequence[ScenePlan], spans: Sequence[HarmonySpan],
             parts: Sequence[Sequence[NoteEvent]]) -> Backdrop:
    """The accompaniment and bass under each scene's own bars (see ``Backdrop``)."""
    keys = tuple(scene_key(p) for p in plans)
    bar_keys: dict[int, set[tuple[int, str]]] = {}
    bar_scene: dict[int, int] = {}
    for span in spans:
        bar_keys.setdefault(span.bar, set()).add(span.chord.key.same_as)
        bar_scene[span.bar] = span.scene
    own = tuple(frozenset(b for b, found in bar_keys.items()
                          if bar_scene[b] == i and found == {keys[i].same_as})
                for i in range(len(plans)))
    ordered = sorted(spans, key=lambda s: s.offset)
    starts = [s.offset for s in ordered]
    weights = [np.zeros(12) for _ in plans]
    for part in parts:
        for event in part:
            k = bisect.bisect_right(starts, event.offset + 1e-9) - 1
            if k < 0 or event.offset >= ordered[k].end - 1e-9:
                continue
            span = ordered[k]
            if span.bar in own[span.scene]:
                for pitch in event.pitches:
                    weights[span.scene][pitch % 12] += event.length
    return Backdrop(keys, own, tuple(weights), _lowest(parts))


def _lowest(parts: Sequence[Sequence[NoteEvent]]) -> tuple[tuple[float, float, int], ...]:
    """The bass line under the melody as (start, end, pitch) segments: the lowest note
    sounding in the other parts at each moment (a sweep over their note edges)."""
    events = sorted((e.offset, e.end, min(e.pitches)) for part in parts for e in part)
    edges = sorted({x for start, end, _ in events for x in (start, end)})
    segments: list[tuple[float, float, int]] = []
    active: list[tuple[int, float]] = []  # heap of (pitch, end)
    k = 0
    for left, right in itertools.pairwise(edges):
        while k < len(events) and events[k][0] <= left + 1e-9:
            heapq.heappush(active, (events[k][2], events[k][1]))
            k += 1
        while active and active[0][1] <= left + 1e-9:
            heapq.heappop(active)
        if active:
            pitch = active[0][0]
            if segments and segments[-1][2] == pitch and abs(segments[-1][1] - left) < 1e-9:
                segments[-1] = (segments[-1][0], right, pitch)
            else:
                segments.append((left, right, pitch))
    return tuple(segments)


def compose_melody(
    plans: Sequence[ScenePlan], timeline: Timeline, spans: Sequence[HarmonySpan], seed: int,
    backdrop: Backdrop, theme: Theme | None = None, statements: Sequence[ThemeStatement] = (),
) -> list[NoteEvent]:
    """The melody of the whole path (see the module docstring); ``backdrop`` is what the
    other parts play under it, ``statements`` where the ``theme`` sounds."""
    by_scene = {stated.scene: stated for stated in statements if stated.theme_bars}
    sung_shapes: collections.Counter[tuple[int, ...]] = collections.Counter()
    runs: list[list[_Slot]] = []
    for i, plan in enumerate(plans):
        if plan.silent or plan.volume <= 0:
            runs.append([])
            continue
        rng = np.random.default_rng([seed, i, 0x3E10])
        scene_spans = [s for s in spans if s.scene == i]
        stated = by_scene.get(i)
        statement = ((stated, statement_notes(theme, stated))
                     if theme is not None and stated is not None else None)
        slots = _scene_slots(i, plan, timeline, scene_spans, rng, statement, backdrop,
                             sung_shapes)
        if runs and runs[-1] and i > 0 and not plans[i - 1].silent:
            runs[-1].extend(slots)
        else:
            runs.append(slots)
    events: list[NoteEvent] = []
    for run in runs:
        if not run:
            continue
        pitches = _turn_leaps(run, _solve_and_revise(run, plans, backdrop), plans)
        pitches = _echo_statements(run, pitches, plans, backdrop)
        for n, (slot, pitch) in enumerate(zip(run, pitches, strict=True)):
            tie_stop = _held(run, pitches, plans, n)
            events.append(_notate(NoteEvent(slot.offset, slot.sound, (pitch,),
                                            clamp_velocity(slot.velocity), slot.chord,
                                            tie_stop=tie_stop), slot, plans, timeline,
                                  n == 0 or run[n - 1].scene != slot.scene))
    return _mark_ties(events)


def _letter_steps(run: list[_Slot], pitches: Sequence[int], plans: Sequence[ScenePlan]
                  ) -> list[int]:
    """Each note's diatonic step as it is spelt in its scene's key (C0 = 0, D0 = 1 …),
    so that intervals compare across keys as a reader counts them."""
    out = []
    for slot, pitch in zip(run, pitches, strict=True):
        key = scene_key(plans[slot.scene])
        out.append(_degree_of(pitch, key.scale, key.pc) + "CDEFGAB".index(key.tonic[0]))
    return out


_Window = tuple[tuple[int, ...], frozenset[int]]  # a four-note shape, and its notes' scenes


def _heard_windows(run: list[_Slot], pitches: Sequence[int], plans: Sequence[ScenePlan]
                   ) -> list[_Window]:
    """Every four-note window of the run's phrases as check 11 reads them (tied notes
    one, a written rest of a beat ending a phrase): its diatonic intervals, and the
    scenes its notes belong to."""
    steps = _letter_steps(run, pitches, plans)
    gaps = _gaps(run)
    phrases: list[list[int]] = [[]]
    for n in range(len(run)):
        if _held(run, pitches, plans, n):
            continue
        if phrases[-1] and gaps[n] >= 1.0 - 1e-9:
            phrases.append([])
        phrases[-1].append(n)
    out = []
    for phrase in phrases:
        shapes = interval_shapes([steps[n] for n in phrase])
        out += [(shape, frozenset(run[n].scene for n in phrase[k:k + SHAPE_NOTES]))
                for k, shape in enumerate(shapes)]
    return out


def _recurrence(windows: Sequence[_Window]) -> float:
    """The share of the windows whose shape another window has too (check 11's measure)."""
    return recurring_share([shape for shape, _ in windows])


@dataclass
class _Reading:
    """A run's melody as read back for its recurring shapes: the pitches, their windows,
    the share that recurs, and what else a reader finds wrong (``_faults``)."""

    pitches: list[int]
    windows: list[_Window]
    share: float
    faults: set[tuple[int, str]]
    state: list[tuple[int | None, int | None, float]]  # each slot's degree, fixed, target

    @classmethod
    def of(cls, run: list[_Slot], pitches: list[int], plans: Sequence[ScenePlan],
           backdrop: Backdrop) -> _Reading:
        """The reading of ``pitches``, with the run's theme notes as they are now."""
        windows = _heard_windows(run, pitches, plans)
        return cls(pitches, windows, _recurrence(windows),
                   _faults(run, pitches, plans, backdrop),
                   [(slot.degree, slot.fixed, slot.target) for slot in run])

    def restore(self, run: list[_Slot]) -> None:
        """Put the run's theme notes back as they were when this reading was made."""
        for slot, (degree, fixed, target) in zip(run, self.state, strict=True):
            slot.degree, slot.fixed, slot.target = degree, fixed, target


def _echo_statements(run: list[_Slot], pitches: list[int], plans: Sequence[ScenePlan],
                     backdrop: Backdrop) -> list[int]:
    """Read the run back for how often its four-note shapes come back and, where fewer
    than ``_LEAST_RECURRING`` do, sing its statements of the theme again knowing how
    the rest of the run goes (``_echo_pass``): the statements were sung in order, each
    knowing only those before it, and a later scene may since have been sung again
    (``_rethink_theme``). Two revisions are tried: one that takes a form of a theme
    bar the run has already sung, bent onto the chords as it was, as the motif itself
    (``recall``), one that does not; the one whose shapes recur most is kept."""
    if _recurrence(_heard_windows(run, pitches, plans)) >= _LEAST_RECURRING:
        return pitches
    reading = _Reading.of(run, pitches, plans, backdrop)
    revised = [_echo_pass(run, reading, plans, backdrop, recall) for recall in (True, False)]
    best = max(revised, key=lambda r: r.share)
    best.restore(run)
    return best.pitches


def _echo_pass(run: list[_Slot], reading: _Reading, plans: Sequence[ScenePlan],
               backdrop: Backdrop, recall: bool) -> _Reading:
    """One revision of the run (see ``_echo_statements``), from ``reading``: each round,
    every scene's statement is sung again with the shapes of the rest of the run
    counted as heard, and the one change that makes most shapes recur is kept, so long
    as the reader finds nothing new wrong (a key, a skyline, a span, steps or leaps);
    at most ``_ECHO_ROUNDS`` rounds."""
    reading.restore(run)
    for _ in range(_ECHO_ROUNDS):
        best = reading
        for scene in sorted({slot.scene for slot in run}):
            notes = [n for n, slot in enumerate(run) if slot.scene == scene]
            if not any(run[n].written is not None for n in notes):
                continue
            others = collections.Counter(shape for shape, scenes in reading.windows
                                         if scene not in scenes)
            _rethink_theme([run[n] for n in notes], [reading.pitches[n] for n in notes],
                           plans[scene], backdrop, sequences_first=True, heard=others,
                           recall=recall)
            trial = _Reading.of(run, _resolve_near(run, reading.pitches, notes, plans,
                                                   backdrop), plans, backdrop)
            if trial.share > best.share and trial.faults <= reading.faults:
                best = trial
            reading.restore(run)
        if best is reading:
            break
        reading = best
        reading.restore(run)
    return reading


def _resolve_near(run: list[_Slot], pitches: list[int], notes: list[int],
                  plans: Sequence[ScenePlan], backdrop: Backdrop) -> list[int]:
    """The run's pitches once the notes ``notes`` (a scene's, its statement sung again)
    and the free notes around them are solved again, the two notes on either side held
    where they are (the pitch pass's costs reach two notes back)."""
    low, high = max(0, notes[0] - 2), min(len(run), notes[-1] + 3)
    held = [n for n in (*range(low, notes[0]), *range(notes[-1] + 1, high))
            if run[n].fixed is None]
    for n in held:
        run[n].fixed = pitches[n]
    window = run[low:high]
    solved = _turn_leaps(window, _solve_pitches(window, plans, backdrop), plans)
    for n in held:
        run[n].fixed = None
    out = list(pitches)
    out[notes[0]:notes[-1] + 1] = solved[notes[0] - low:notes[-1] + 1 - low]
    return out


def _key_heard(slots: list[_Slot], pitches: Sequence[int], notes: list[int], backdrop: Backdrop,
               *, by_sound: bool) -> tuple[list[int], float, float]:
    """How clearly one scene's ``notes`` name its key with the parts under them: the notes
    of its own bars (all of them where it has none), and the key's correlation and its
    margin over the next key (``key_margin``), each note weighed by how long it sounds
    (``by_sound``) or by its written length."""
    scene = slots[notes[0]].scene
    own = [n for n in notes if slots[n].bar in backdrop.own_bars[scene]] or notes
    weights = backdrop.weights[scene].copy()
    for n in own:
        weights[pitches[n] % 12] += slots[n].sound if by_sound else slots[n].length
    r, margin = key_margin(weights, backdrop.keys[scene])
    return own, r, margin


def _faults(run: list[_Slot], pitches: Sequence[int], plans: Sequence[ScenePlan],
            backdrop: Backdrop) -> set[tuple[int, str]]:
    """What a reader finds wrong with the run's melody, scene by scene: its own bars do
    not name its key (with the parts under them), it does not follow a clear skyline, it
    spans less than a fifth; and over the run, too few steps or leaps that turn back."""
    out: set[tuple[int, str]] = set()
    for scene in sorted({slot.scene for slot in run}):
        notes = [n for n, slot in enumerate(run) if slot.scene == scene]
        _, r, margin = _key_heard(run, pitches, notes, backdrop, by_sound=False)
        if margin < _KEY_MARGIN or r < _KEY_CLEAR:
            out.add((scene, "key"))
        if len(notes) < _PHRASE_NOTES:
            continue
        sung = np.array([pitches[n] for n in notes], dtype=float)
        heights = np.array([run[n].height for n in notes])
        if float(np.ptp(heights)) > _CLEAR_SKYLINE and _rank_correlation(
                sung, heights) < _MUST_FOLLOW:
            out.add((scene, "skyline"))
        if np.ptp(sung) < _LEAST_SPAN:
            out.add((scene, "span"))
    moves = [b - a for a, b in itertools.pairwise(pitches) if b != a]
    if moves and sum(abs(m) <= 2 for m in moves) < _LEAST_STEPS * len(moves):
        out.add((-1, "steps"))
    if _unturned_leaps(np.array(pitches, dtype=float)) * 3 > sum(abs(m) >= 5 for m in moves) * 2:
        out.add((-1, "leaps"))
    return out


def _held(run: list[_Slot], pitches: Sequence[int], plans: Sequence[ScenePlan], n: int
          ) -> bool:
    """Whether note ``n`` is tied over from the one before: a free note repeated legato
    is held; a theme note keeps its own attack (its rhythm is the theme)."""
    slot = run[n]
    return (n > 0 and plans[slot.scene].staccato < 0.15 and pitches[n - 1] == pitches[n]
            and abs(run[n - 1].offset + run[n - 1].sound - slot.offset) < 1e-9
            and not slot.strong and slot.theme_bar < 0)


def _turn_leaps(run: list[_Slot], pitches: list[int], plans: Sequence[ScenePlan]
                ) -> list[int]:
    """The melody read back for its leaps, as a composer proofreads a line: a leap whose
    next note goes on the same way (or repeats) is mended, by moving that next note to
    turn back (a step where its chord allows, a fourth at the most) or by moving the
    leap's own goal so that it is no leap, whichever keeps the scene's tune nearest its
    skyline (rank correlation). Notes are heard as a reader sees them (tied notes are
    one; a written rest of a beat or a new scene starts a new phrase, as check 10 counts
    them); the piece's last note keeps its tonic, and the line after a moved note stays
    joined."""
    out = list(pitches)
    heard = [n for n in range(len(run)) if not _held(run, out, plans, n)]
    for a, b, c in zip(heard, heard[1:], heard[2:], strict=False):
        if not (_same_phrase(run, a, b) and _same_phrase(run, b, c)):
            continue
        leap = out[b] - out[a]
        if abs(leap) < 5 or (out[c] - out[b]) * leap < 0:
            continue
        mends = _mends(run, out, plans, (a, b, c))
        if mends:
            scene = [n for n in heard if run[n].scene == run[b].scene]
            index, pitch = max(mends, key=lambda mend: _following(run, out, scene, mend))
            out[index] = pitch
    return out


def _following(run: list[_Slot], pitches: Sequence[int], scene: Sequence[int],
               mend: tuple[int, int]) -> float:
    """The rank correlation of a scene's heard notes (``scene``) with its skyline once
    ``mend`` (note, pitch) is made."""
    trial = list(pitches)
    trial[mend[0]] = mend[1]
    return _rank_correlation(np.array([trial[n] for n in scene], dtype=float),
                             np.array([run[n].height for n in scene]))


def _mends(run: list[_Slot], out: list[int], plans: Sequence[ScenePlan],
           notes: tuple[int, int, int]) -> list[tuple[int, int]]:
    """The ways to mend the unturned leap from note a to note b (``notes``: a, b, c):
    (note, pitch) moving c back the other way, or b to within a third of a. A moved
    note keeps to its chord (a chord tone on a beat) and its band, is not held over
    into the next note, and joins the note after it without a new leap (within a sixth
    where that note ends the phrase: nothing follows it to turn)."""
    a, b, c = notes
    way = -1 if out[b] > out[a] else 1
    mends: list[tuple[int, int]] = []
    for index, choices in ((c, [out[b] + way * size for size in range(1, 6)]),
                           (b, [out[a] + size for size in range(-4, 5) if size])):
        slot = run[index]
        if slot.cadence == "final" or (index + 1 < len(run) and _held(run, out, plans,
                                                                       index + 1)):
            continue
        allowed = set(slot.chord.pcs) if slot.strong or slot.beat else set(
            melodic_pcs(slot.chord))
        band = melody_band(plans[slot.scene])
        after = (out[index + 1] if index + 1 < len(run) and _same_phrase(run, index, index + 1)
                 else None)
        # A leap onto a phrase's last note needs no turn (nothing follows it to turn).
        reach = 9 if index + 2 >= len(run) or not _same_phrase(run, index + 1,
                                                                 index + 2) else 4
        before = out[index - 1]
        for pitch in choices:
            if (pitch % 12 in allowed and band[0] <= pitch <= band[1] and pitch != before
                    and (after is None or (after != pitch and abs(after - pitch) <= reach))):
                mends.append((index, pitch))
                if index == c:
                    break  # the nearest turn is the one a composer writes
    return mends


def _same_phrase(run: list[_Slot], a: int, b: int) -> bool:
    """Whether notes ``a`` and ``b`` (a before b) lie in one phrase: one scene, and no
    written rest of a beat or more between them."""
    gap = run[b].offset - run[b - 1].offset - run[b - 1].length
    return run[a].scene == run[b].scene and gap < 1.0 - 1e-9


def _notate(event: NoteEvent, slot: _Slot, plans: Sequence[ScenePlan], timeline: Timeline,
            first: bool) -> NoteEvent:
    """The marks a player reads: staccato (with the written length), a slur over each
    legato phrase (four bars), and the scene's dynamic on its first note."""
    plan = plans[slot.scene]
    articulation = "staccato" if slot.sound < slot.length - 1e-9 else ""
    if slot.strong and plan.tension >= 0.6 and not slot.quiet:
        articulation = "accent" if not articulation else "staccato+accent"
    phrase = int((slot.offset + 1e-9) // (4 * timeline.meter.bar))
    slur = phrase + 1 if plan.staccato < 0.3 and not articulation else 0
    return dataclasses.replace(
        event, articulation=articulation,
        written=slot.length if articulation.startswith("staccato") else None,
        dynamic=dynamic_mark(plan.velocity * math.sqrt(plan.volume)) if first else "",
        slur=slur)


def _mark_ties(events: list[NoteEvent]) -> list[NoteEvent]:
    out = list(events)
    for n in range(1, len(out)):
        if out[n].tie_stop:
            out[n - 1] = dataclasses.replace(out[n - 1], tie_start=True)
    return out
