"""Chord progressions for every bar: phrases, cadences and modulations.

Each scene speaks in its own key and mood. Its bars group into four-bar
phrases that pair as periods: an antecedent ending on a half cadence (V), a
consequent ending on an authentic cadence (V7–I). The scene's last phrase leads
into the next scene: a pre-dominant (same key) or a pivot chord diatonic to both
keys, then the next key's V7, whose I arrives on the boundary's downbeat (an
elided authentic cadence). Keys whose Krumhansl–Kessler profiles correlate
below 0.5 travel a route of closely related keys (see ``theory.key_route``),
two bars per step, filling the outgoing scene's closing bars (a long scene
keeps a phrase in its own key first) and, where it must, the incoming scene's
first bars. Where both scenes together have no room for that, the outgoing
scene closes on its tonic and takes a beat's breath, and the next key starts
afresh on the downbeat (a phrase modulation). Before a silent scene, and at
the very end, the phrase closes on V7–I with the I on a downbeat. Each scene is
drafted ``_DRAFTS`` times; the draft that states its key most clearly wins.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storyscore.compose.request import ScenePlan, tonic_to_m21
from storyscore.compose.theory import (
    Chord,
    Key,
    is_diatonic,
    key_margin,
    key_route,
    pivot_chord,
    realise,
)
from storyscore.compose.timeline import Bar, Timeline

# How check 8 hears a piece's chords (compose/checks.py measures with these; they live
# here so that the drafts can hear the piece the same way).
LOOP_MAX_SHARE = 0.11  # corpus: chorales 0 up to Q3, most 11 %
LOOP_CHORDS = 4
LOOP_MIN_TIMES = 3  # a progression played this often is a loop
CHORD_WINDOW = 16  # chords over which the vocabulary is counted, so long and short pieces compare

_DRAFTS = 8  # harmonic drafts per scene
_LOOP_COST = 0.03  # key-clarity margin a draft gives up for each four-chord loop it repeats
# Key-clarity margin a draft may give up for each chord the piece has not sounded yet: a
# short path is a handful of two-bar scenes, and each one's closing adds to a vocabulary
# that the corpus measures over the first 16 chords (check 8).
_NEW_CHORD_GAIN = 0.04
_FAULT_COST = 0.2  # margin given up for a draft that makes the piece loop or stay in few chords
_ENOUGH_CHORDS = 5  # distinct chords in the piece's first sixteen (check 8's least)
_DISSONANT_COST = 0.3  # margin given up for a draft wholly under sevenths and diminished chords
PHRASE_BARS = 4
_QUIET = -0.4  # arousal at or below which a scene of neutral valence is quiet
_UNTROUBLED = 0.3  # tension below which it is not troubled either
LONG_SCENE_BARS = 8  # a scene this long holds its key a phrase before it modulates away

_STEP_COLOURS = {"major": ("vi", "IV", "iii", "I"), "minor": ("VI", "iv", "III", "i")}
_PIVOT_PREDOMINANT = {"major": "ii6", "minor": "iv6"}  # between a dominant pivot and V7

Token = tuple[str, Key]  # a Roman numeral and the key it is read in
BarPlan = list[Token]  # the chords of one bar, in order (one to three)

# Four-bar phrase models per (mood, mode): antecedents end on V (half cadence),
# consequents on V7–I (authentic cadence). Bars are separated by "|".
_ANTECEDENTS = {
    ("bright", "major"): ("I | V | vi | IV V", "I | IV | I | ii V", "I | IV | vi | V",
                          "I | vi | ii V7/V | V", "I | iii | IV V/V | V"),
    ("calm", "major"): ("I | vi | I | V", "I | IV | I | V", "I | iii | IV | V",
                        "I | IV | ii | V"),
    ("sad", "major"): ("I | vi | I | V", "I | IV | iv | V", "I | iii | vi | V"),
    ("tense", "major"): ("I | iv | I | V", "I | bII6 | I | V", "I | vi | iv | V",
                         "I | ii | iv6 | V"),
    ("mysterious", "major"): ("I | bVII | I | V", "I | bVI | IV | V", "I | iii | bVI | V"),
    ("bright", "minor"): ("i | VII | VI | V", "i | III | iv | V", "i | III | VI | iio6 V"),
    ("calm", "minor"): ("i | iv | i | V", "i | VI | iv | V", "i | III | iv | V"),
    ("sad", "minor"): ("i | VI | iv | V", "i | iv | i | V", "i | iv | VI | iio6 V"),
    ("tense", "minor"): ("i | bII | i | V", "i | iio6 | i | V", "i | iv | bII6 | V"),
    ("mysterious", "minor"): ("i | IV | VI | V", "i | VII | i | V", "i | VI | III | V"),
}
_CONSEQUENTS = {
    ("bright", "major"): ("I | V | IV V7 | I", "I | IV | ii6 V7 | I", "I | vi | ii V7 | I",
                          "I | V/vi vi | IV V7 | I"),
    ("calm", "major"): ("I | vi | I64 V7 | I", "I | IV I | IV V7 | I", "I | iii | IV iv V7 | I"),
    ("sad", "major"): ("I | vi | ii6 V7 | I", "I | IV | iv V7 | I", "I | vi | iv6 V7 | I"),
    ("tense", "major"): ("I | iv | I V7 | I", "I | iv | bII6 V7 | I", "I | vi | iv6 V7 | I"),
    ("mysterious", "major"): ("I | IV | bVI V7 | I", "I | bVII | I V7 | I",
                              "I | vi | bVII V7 | I"),
    ("bright", "minor"): ("i | VI | VII V7 | i", "i | III | iv V7 | i", "i | VII | iio6 V7 | i"),
    ("calm", "minor"): ("i | iv | V7 | i", "i | VI | iio6 V7 | i", "i | III | iv6 V7 | i"),
    ("sad", "minor"): ("i | iv | v V7 | i", "i | VI | iv V7 | i", "i | VI | iio6 V7 | i"),
    ("tense", "minor"): ("i | bII6 | i V7 | i", "i | iv | viio7 V7 | i", "i | VI | bII6 V7 | i"),
    ("mysterious", "minor"): ("i | VI | IV V7 | i", "i | bII | iv V7 | i", "i | III | iv V7 | i"),
}
_PREDOMINANTS = {
    ("bright", "major"): ("IV", "ii6"),
    ("calm", "major"): ("IV", "ii6"),
    ("sad", "major"): ("ii6", "iv"),
    ("tense", "major"): ("bII6", "iv", "IV"),
    ("mysterious", "major"): ("iv", "IV"),
    ("bright", "minor"): ("iv", "VI"),
    ("calm", "minor"): ("iv", "iio6"),
    ("sad", "minor"): ("iv", "iio6"),
    ("tense", "minor"): ("bII6", "iio6", "iv", "VI"),
    ("mysterious", "minor"): ("IV", "iv"),
}
# A colour after the opening tonic of a scene too short for a phrase: the relative or
# mediant triad, the subdominant, or the tonic alone.
_COLOURS = {
    ("bright", "major"): ("vi", "IV", "iii", "I"),
    ("calm", "major"): ("vi", "IV", "I"),
    ("sad", "major"): ("vi", "iii", "I"),
    ("tense", "major"): ("iv", "vi", "I"),
    ("mysterious", "major"): ("bVII", "vi", "I"),
    ("bright", "minor"): ("VI", "III", "i"),
    ("calm", "minor"): ("VI", "iv", "i"),
    ("sad", "minor"): ("VI", "iv", "i"),
    ("tense", "minor"): ("iv", "VI", "i"),
    ("mysterious", "minor"): ("VI", "VII", "i"),
}


def plain_figure(figure: str) -> str:
    """A Roman numeral without inversion or seventh figures: ``V65/V`` → ``V/V``."""
    return re.sub(r"[0-9]+", "", figure)


def distinct_chords(figures: Sequence[str], window: int | None = None) -> int:
    """Distinct chords among the first ``window`` chords (``CHORD_WINDOW``: a period at two
    chords a bar), a chord held over several beats or bars counted once."""
    chords = [f for k, f in enumerate(figures) if k == 0 or f != figures[k - 1]]
    return len(set(chords[:window or CHORD_WINDOW]))


def loop_share(figures: Sequence[str], size: int = LOOP_CHORDS) -> float:
    """The share of ``size``-chord windows taken by the commonest one, if it is played
    ``LOOP_MIN_TIMES`` times or more: a loop (a cadence formula heard twice is not one).
    A chord held over several beats or bars counts once."""
    chords = [f for k, f in enumerate(figures) if k == 0 or f != figures[k - 1]]
    windows = [tuple(chords[k:k + size]) for k in range(len(chords) - size + 1)]
    if not windows:
        return 0.0
    most = max(collections.Counter(windows).values())
    return most / len(windows) if most >= LOOP_MIN_TIMES else 0.0


def mood_of(plan: ScenePlan) -> str:
    """The progression family for a scene's valence, arousal and tension."""
    if plan.tension >= 0.6:
        return "tense"
    if plan.valence >= 0.25:
        return "bright" if plan.arousal >= 0 else "calm"
    if plan.valence <= -0.25:
        return "sad"
    if plan.valence >= 0 and plan.arousal <= _QUIET and plan.tension < _UNTROUBLED:
        # A quiet picture, neither dark nor tense (a bedroom at night), is calm: the
        # mysterious family's borrowed bVII and bVI, in both of a long scene's phrases,
        # left such a scene's key heard at r 0.73.
        return "calm"
    return "bright" if plan.arousal >= 0.3 else "mysterious"


def scene_key(plan: ScenePlan) -> Key:
    return Key(tonic_to_m21(plan.tonic), plan.mode)


@dataclass(frozen=True)
class HarmonySpan:
    """One chord of the score: where it sounds and what it is."""

    offset: float  # quarter notes
    length: float
    chord: Chord
    scene: int
    bar: int  # global bar index
    cadence: str | None  # "half", "authentic" (its I), "final", or None

    @property
    def end(self) -> float:
        return self.offset + self.length


def _parse(model: str, key: Key) -> list[BarPlan]:
    return [[(fig, key) for fig in bar.split()] for bar in model.split("|")]


def _tonic(key: Key) -> str:
    return "I" if key.mode == "major" else "i"


def _hop_bars(route: Sequence[Key], rng: np.random.Generator) -> list[BarPlan]:
    """Bars that walk a key route, two per step: the old tonic and the pivot, then the
    new key's dominant (or a pre-dominant, where the pivot is that dominant) and its
    seventh."""
    bars: list[BarPlan] = []
    for j in range(len(route) - 1):
        here, there = route[j], route[j + 1]
        pivot = pivot_chord(here, there)
        # Each step opens on the tonic of the key it leaves, which sets that key up.
        first: BarPlan = [(_tonic(here), here)]
        colour = str(rng.choice(_STEP_COLOURS[here.mode]))
        if j > 0 and pivot is not None and colour not in (pivot.figure, _tonic(here)):
            # A route of several steps would loop one formula (I pivot V V7): each later
            # step may colour its key between the tonic and the pivot.
            first.append((colour, here))
        dominant: Token = ("V7", there)
        # Without a pivot the new key's V7 ends the step's first bar, so the step still
        # lasts two bars.
        bars.append([*first, (pivot.figure, here)] if pivot is not None
                    else [*first, dominant])
        if pivot is not None and pivot.root == realise("V", there).root:
            # The pivot is already the new key's dominant: a pre-dominant in the new key
            # comes between it and the dominant seventh, rather than three bars of V.
            bars.append([(_PIVOT_PREDOMINANT[there.mode], there), dominant])
        else:
            bars.append([("V", there), dominant])
    return bars


@dataclass
class _SceneHarmony:
    bars: list[BarPlan]
    cadences: dict[tuple[int, int], str]  # (bar, chord index) -> cadence kind


def plan_harmony(
    plans: Sequence[ScenePlan], timeline: Timeline, seed: int
) -> tuple[HarmonySpan, ...]:
    """Chords for every bar of every non-silent scene (see the module docstring)."""
    count = len(plans)
    keys = [scene_key(p) for p in plans]
    bars_of = [timeline.scene_bars(i) for i in range(count)]
    last_music = max((i for i in range(count) if not plans[i].silent), default=-1)
    spill: list[list[BarPlan]] = [[] for _ in range(count)]
    spans: list[HarmonySpan] = []
    heard: list[str] = []  # every chord so far, as a listener names it
    breaths = [i + 1 < count and any(m.breath and abs(m.offset - timeline.scene_offsets[i + 1])
                                     < 1e-9 for m in timeline.marks) for i in range(count)]
    for i in range(count):
        if plans[i].silent:
            continue
        mood = mood_of(plans[i])
        n_bars = len(bars_of[i])
        leads = i < count - 1 and not plans[i + 1].silent
        own = n_bars - len(spill[i])
        route = key_route(keys[i], keys[i + 1]) if leads else (keys[i],)
        next_room = len(bars_of[i + 1]) if leads else 0
        # A long scene holds the key it arrives in for a phrase before it leaves.
        keep = PHRASE_BARS if n_bars >= LONG_SCENE_BARS else 1
        # Several drafts, one per random stream; the one that states its key most clearly wins.
        lengths = [bar.length for bar in bars_of[i][len(spill[i]):]]
        final = i == last_music
        scene = _SceneSpec(mood, keys[i], route, own, keep, next_room, leads, breaths[i])
        drafts = [_draft_scene(scene, np.random.default_rng([seed, i, 0x4A12, draft]))
                  for draft in range(_DRAFTS)]
        best = _best(drafts, keys[i], lengths, heard, final)
        if _short_of_chords([*best[0].bars, *best[1]], heard, final):
            # Every draft leaves the piece short of chords: let the phrase after the first
            # leave the antecedent's path (a contrasting period) and try again.
            drafts += [_draft_scene(scene, np.random.default_rng([seed, i, 0x4A12, draft]),
                                    varied=True) for draft in range(_DRAFTS)]
            best = _best(drafts, keys[i], lengths, heard, final)
        plan, spilled, fresh = best
        if leads:
            spill[i + 1] = spilled
        plan.bars = spill[i] + plan.bars
        shift = len(spill[i])
        cadences = {(b + shift, c): kind for (b, c), kind in plan.cadences.items()}
        if i > 0 and not plans[i - 1].silent and plan.bars[shift:]:
            cadences.setdefault((shift, 0), "arrival")
        if i == last_music:
            cadences[(n_bars - 1, 0)] = "final"
        laid = _lay_out(plan.bars, bars_of[i], i, cadences)
        heard.extend(_figures(plan.bars))
        if fresh and laid:
            # The breath before a new key: the last chord gives up a beat (or half itself).
            last = laid[-1]
            laid[-1] = dataclasses.replace(last, length=last.length - min(1.0, last.length / 2))
        spans.extend(laid)
    return tuple(spans)


@dataclass(frozen=True)
class _SceneSpec:
    """What a scene's harmonic drafts are drawn from."""

    mood: str
    key: Key
    route: tuple[Key, ...]  # to the next scene's key
    own: int  # bars of the scene not taken by a route spilled in
    keep: int  # bars it keeps in its own key before a route leaves it
    next_room: int  # bars of the next scene
    leads: bool  # a scene with music follows
    breath: bool  # the tempo jumps at the next scene: close and breathe


_Draft = tuple["_SceneHarmony", list[BarPlan], bool]  # bars, bars spilled on, fresh start


def _draft_scene(scene: _SceneSpec, rng: np.random.Generator, varied: bool = False
                 ) -> _Draft:
    """One draft of a scene's chords: its closing (into the next key, or a full close),
    then its phrases before it."""
    spilled: list[BarPlan] = []
    fresh = False
    if scene.leads and not scene.breath:
        closing, spilled, fresh = _lead_closing(scene.route, scene.own, scene.keep,
                                                scene.next_room, scene.mood, scene.key, rng)
    elif scene.leads:
        # The tempo jumps at the next bar line: the phrase closes here and the music
        # breathes before the new tempo and key begin.
        closing, fresh = _final_closing(scene.own, scene.mood, scene.key, rng), True
    else:
        closing = _final_closing(scene.own, scene.mood, scene.key, rng)
    return (_scene_bars(scene.own, closing, scene.mood, scene.key, rng,
                        scene.leads and not fresh, varied), spilled, fresh)


def _best(drafts: Sequence[_Draft], key: Key, lengths: Sequence[float], heard: Sequence[str],
          last: bool) -> _Draft:
    """The draft ``_draft_score`` ranks first (the earliest of equals)."""
    return max(drafts, key=lambda d: _draft_score(d[0].bars, d[1], key, lengths, heard,
                                                  last=last))


def _short_of_chords(drafted: Sequence[BarPlan], heard: Sequence[str], last: bool) -> bool:
    """Whether a draft leaves the piece too few distinct chords in its first sixteen:
    only where the draft completes those sixteen (or ends the music), since a short
    opening scene states its key first and leaves the colours to the scenes after it."""
    piece = [*heard, *_figures(drafted)]
    window_closes = last or _changes(piece) >= CHORD_WINDOW
    return (len(heard) < CHORD_WINDOW and window_closes
            and distinct_chords(piece) < _ENOUGH_CHORDS)


def _draft_score(bars: Sequence[BarPlan], spilled: Sequence[BarPlan], key: Key,
                 lengths: Sequence[float], heard: Sequence[str], last: bool) -> float:
    """How good a scene's draft is: how plainly it states its key, less what it repeats
    of the piece's progressions, plus what it adds to the piece's chords. ``last``: no
    scene with music follows."""
    drafted = _figures([*bars, *spilled])
    new = set(drafted) - set(heard)
    # The piece as check 8 hears it: a loop over its share, or too few chords in its first
    # sixteen, is a fault no clarity makes up for (the new-chord gain draws colours into
    # the later scenes).
    looping = loop_share([*heard, *drafted]) > LOOP_MAX_SHARE
    few = _short_of_chords([*bars, *spilled], heard, last)
    return (key_clarity(bars, key, lengths) - _LOOP_COST * _repeated_loops(heard, bars)
            + _NEW_CHORD_GAIN * len(new) - _FAULT_COST * (looping + few)
            - _DISSONANT_COST * _dissonant_share(bars, lengths))


def _dissonant_share(bars: Sequence[BarPlan], lengths: Sequence[float]) -> float:
    """The share of a draft's time under chords that are dissonant in themselves
    (sevenths, diminished and augmented triads): check 9 hears them on the beat."""
    total = under = 0.0
    for chords, length in zip(bars, lengths, strict=False):
        for figure, in_key in chords:
            total += length / len(chords)
            if not _consonant(realise(figure, in_key)):
                under += length / len(chords)
    return under / total if total else 0.0


def _changes(figures: Sequence[str]) -> int:
    """How many chords a listener counts: a chord held over several beats or bars once."""
    return sum(k == 0 or f != figures[k - 1] for k, f in enumerate(figures))


def _consonant(chord: Chord) -> bool:
    """A major or minor triad."""
    if len(chord.pcs) != 3:
        return False
    third, fifth = ((pc - chord.root) % 12 for pc in chord.pcs[1:])
    return third in (3, 4) and fifth == 7


def _figures(bars: Sequence[BarPlan]) -> list[str]:
    """The chords as a listener names them: the numeral, without inversion or seventh
    (V7 is V, ii6 is ii), in whatever key."""
    return [re.sub(r"\d", "", figure) for chords in bars for figure, _ in chords]


def _repeated_loops(heard: Sequence[str], bars: Sequence[BarPlan]) -> int:
    """How many of a draft's four-chord windows the piece has already played: a draft
    that repeats the last scenes' progression makes the harmony a loop."""
    before = {tuple(heard[k:k + 4]) for k in range(len(heard) - 3)}
    chords = [*heard[-3:], *_figures(bars)]
    return sum(tuple(chords[k:k + 4]) in before for k in range(len(chords) - 3))


def key_clarity(bars: Sequence[BarPlan], key: Key, lengths: Sequence[float]) -> float:
    """How plainly chords say ``key``: their tones (the bass twice), weighted by how long
    each sounds, correlated with the key's Krumhansl–Kessler profile (Pearson r), less
    the best correlation with any other key's profile."""
    weights = np.zeros(12)
    for chords, length in zip(bars, lengths, strict=False):
        for figure, in_key in chords:
            if in_key != key:
                continue
            chord = realise(figure, in_key)
            share = length / len(chords)
            for pc in chord.pcs:
                weights[pc] += share
            weights[chord.bass] += share
    return key_margin(weights, key)[1]


def _diatonic_colours(mood: str, key: Key) -> tuple[str, ...]:
    """The mood's colours that belong to the key: a scene too short for a phrase has no
    time to set its key up before a borrowed chord (bVII, iv in major) leans elsewhere."""
    return tuple(c for c in _COLOURS[(mood, key.mode)] if is_diatonic(realise(c, key), key))


def _short_opening(mood: str, key: Key, rng: np.random.Generator) -> BarPlan:
    """The first bar of a scene too short for a phrase: its tonic, then maybe a colour."""
    colour = str(rng.choice(_diatonic_colours(mood, key)))
    return [(_tonic(key), key)] + ([(colour, key)] if colour != _tonic(key) else [])


def _in_key(bar: BarPlan, key: Key) -> BarPlan:
    """``bar`` with each chord foreign to ``key`` (bII6, bVII, a borrowed iv) replaced by
    the key's own subdominant, the diatonic chord on the same side of the tonic: the
    opening of a scene too short for a phrase states its key with its primary triads
    (the closing brings the dominant) before anything borrows from another key."""
    subdominant = "IV" if key.mode == "major" else "iv"
    return [(fig, in_key) if in_key != key or is_diatonic(realise(fig, in_key), in_key)
            else (subdominant, key) for fig, in_key in bar]


def _final_closing(room: int, mood: str, key: Key, rng: np.random.Generator) -> list[BarPlan]:
    """The closing bars of a scene that ends a phrase in its own key (the piece's end, a
    silent scene next, or a breath before a new tempo): pre-dominant, V7, I."""
    predominant: Token = (str(rng.choice(_PREDOMINANTS[(mood, key.mode)])), key)
    if room >= 3:
        return [[predominant, ("V7", key)], [(_tonic(key), key)]]
    if room == 2:
        # Two bars still make a whole cadence: the tonic, a pre-dominant and V7, then I
        # (a two-bar scene that only rocks I-V7-I says its key and little else).
        return [[(_tonic(key), key), predominant, ("V7", key)], [(_tonic(key), key)]]
    return [[(_tonic(key), key)]]


def _lead_closing(
    route: tuple[Key, ...], room: int, keep: int, next_room: int, mood: str, key: Key,
    rng: np.random.Generator,
) -> tuple[list[BarPlan], list[BarPlan], bool]:
    """Closing bars of a scene that leads into the next, bars spilled into the next, and
    whether the next key starts afresh after a full close (no room for its route).

    ``keep`` is how many bars the scene keeps in its own key before a route leaves it.
    """
    if len(route) == 1:
        predominant: Token = (str(rng.choice(_PREDOMINANTS[(mood, key.mode)])), key)
        if room >= 3:
            # The dominant, then its seventh: the key once more as the scene ends.
            return [[predominant], [("V", key), ("V7", key)]], [], False
        if room == 2:
            # The tonic (maybe with a colour), then a cadence: two bars are little enough
            # to set a key up in.
            return [_short_opening(mood, key, rng), [predominant, ("V7", key)]], [], False
        return [[(_tonic(key), key), predominant, ("V7", key)]], [], False
    full = _hop_bars(route, rng)  # two bars per step
    # A scene that keeps a phrase keeps it whole before the pivot's bar (check 7 hears the
    # hop start at the pivot); a shorter one may open that bar on its own tonic.
    if len(route) == 2 and room >= len(full) + (keep if keep > 1 else 0):
        return full, [], False
    # Two bars per step, from the end of this scene and, where it is too short, the start
    # of the next: leave the next scene three bars of its own, else two (its tonic and a
    # cadence: a key needs two bars to be heard).
    free_out = max(0, room - keep)
    for free_in in (max(0, next_room - 3), max(0, next_room - 2)):
        if len(full) <= free_out + free_in:
            here = min(len(full), free_out)
            return full[:here], full[here:], False
    # No room for two bars a step: close in this key, take a breath, and let the next
    # scene begin in its own key (a phrase modulation, as at a cut in a film score).
    return _final_closing(room, mood, key, rng), [], True


def _scene_bars(
    room: int, closing: list[BarPlan], mood: str, key: Key, rng: np.random.Generator,
    leads: bool, varied: bool = False,
) -> _SceneHarmony:
    """The scene's own bars: opening tonic, periods of four-bar phrases, then ``closing``.
    ``varied``: the bars before the closing leave the first antecedent's path after its
    tonic (a contrasting period rather than a parallel one)."""
    cadences: dict[tuple[int, int], str] = {}
    head = room - len(closing)
    if head <= 0:
        short = closing[-room:] if room > 0 else []
        if not leads and short:
            cadences[(len(short) - 1, 0)] = "authentic"
        return _SceneHarmony(short, cadences)
    antecedents = _ANTECEDENTS[(mood, key.mode)]
    consequents = _CONSEQUENTS[(mood, key.mode)]
    # The period's two antecedents differ, where the mood has more than one.
    first_model, second_model = rng.choice(antecedents, size=2, replace=False)
    first, second = _parse(str(first_model), key), _parse(str(second_model), key)
    answered: list[str] = []  # consequents so far: each is heard once before any returns
    # Four-bar phrases first, leaving at least one bar to open the closing phrase.
    body_len = (head - 1) // 4 * 4
    opener_len = head - body_len
    bars: list[BarPlan] = []
    for k in range(body_len // 4):
        if k % 2 == 0:
            phrase = first if k % 4 == 0 else second
            kind = "half"
        else:
            fresh_answers = [c for c in consequents if c not in answered] or list(consequents)
            answered.append(str(rng.choice(fresh_answers)))
            if len(answered) == len(consequents):
                answered = answered[-1:]
            phrase = _parse(answered[-1], key)
            kind = "authentic"
        start = len(bars)
        bars.extend(phrase)
        last = start + 3
        cadences[(last, len(bars[last]) - 1) if kind == "half" else (last, 0)] = kind
    pool = ([*first[:1], *second[1:3], [(_tonic(key), key)], *first[1:3]] if varied
            else [*first[:3], [(_tonic(key), key)], *second[1:3]])
    opener = pool[:opener_len]
    if opener_len == 1 and not body_len:
        # A scene under a phrase long: its tonic may take a colour, so that its cadence
        # is not the last short scene's once more.
        opener = [_short_opening(mood, key, rng)]
    if opener_len > 1 and closing and opener[-1] == closing[0][:1]:
        # Do not sound the pivot (or pre-dominant) twice in a row.
        opener[-1] = pool[opener_len]
    if opener_len > 1 and not body_len:
        opener = [_in_key(bar, key) for bar in opener]
    bars.extend(opener)
    bars.extend(closing)
    if not leads:
        cadences[(len(bars) - 1, 0)] = "authentic"
    return _SceneHarmony(bars, cadences)


def _split(length: float, parts: int) -> list[float]:
    """Chord lengths for ``parts`` chords in a bar: the first takes the larger half."""
    if parts <= 1:
        return [length]
    grid = next((g for g in (1.0, 0.5, 0.25) if length >= g * parts), 0.25)
    first = min(math.ceil(length / 2 / grid - 1e-9) * grid, length - grid * (parts - 1))
    return [first, *_split(length - first, parts - 1)]


def _lay_out(
    plan: list[BarPlan], bars: list[Bar], scene: int, cadences: dict[tuple[int, int], str]
) -> list[HarmonySpan]:
    spans: list[HarmonySpan] = []
    for b, (bar, chords) in enumerate(zip(bars, plan, strict=True)):
        # A bar too short for all its chords keeps the last ones (the V7 matters most).
        while len(chords) > 1 and bar.length / len(chords) < 0.25:
            chords = chords[1:]
        position = bar.offset
        for c, ((figure, key), length) in enumerate(zip(chords, _split(bar.length, len(chords)),
                                                       strict=True)):
            spans.append(HarmonySpan(position, length, realise(figure, key), scene, bar.index,
                                     cadences.get((b, c))))
            position += length
    return spans
