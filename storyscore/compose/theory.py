"""Keys, chords and key relations: the music theory the composer stands on.

Chords are named by Roman numerals and realised once per (numeral, key) with
music21 (which spells them properly); everything after that works on pitch
classes. Key closeness comes from the Krumhansl–Kessler probe-tone profiles
(Krumhansl & Kessler 1982, as tabulated in Krumhansl 1990, *Cognitive
Foundations of Musical Pitch*, table 2.1).
"""

from __future__ import annotations

import collections
import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# Krumhansl–Kessler probe-tone ratings, tonic first (C major / C minor).
KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
KK_STEP_MIN_R = 0.5  # the least KK correlation allowed between consecutive keys of a route

_STEP = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)
_MAJOR_NAMES = ("C", "D-", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B")


def name_to_pc(name: str) -> int:
    """Pitch class of a music21 note name such as ``F#``, ``B-`` or ``E--``."""
    pc = _STEP[name[0].upper()]
    for accidental in name[1:]:
        pc += 1 if accidental == "#" else -1
    return pc % 12


@dataclass(frozen=True, order=True)
class Key:
    """A major or minor key; ``tonic`` is spelt music21-style (``B-``, ``F#``)."""

    tonic: str
    mode: str

    @property
    def pc(self) -> int:
        return name_to_pc(self.tonic)

    @property
    def scale(self) -> tuple[int, ...]:
        """Pitch classes of the natural scale, tonic first."""
        steps = _MAJOR_STEPS if self.mode == "major" else _MINOR_STEPS
        return tuple((self.pc + s) % 12 for s in steps)

    @property
    def diatonic(self) -> frozenset[int]:
        """Pitch classes a chord may use and still be diatonic (minor adds the leading tone)."""
        pcs = set(self.scale)
        if self.mode == "minor":
            pcs.add((self.pc + 11) % 12)
        return frozenset(pcs)

    @property
    def sharps(self) -> int:
        """Key signature: sharps positive, flats negative."""
        return _signature(self.tonic, self.mode)

    @property
    def same_as(self) -> tuple[int, str]:
        """Identity up to enharmonic spelling."""
        return (self.pc, self.mode)

    def __str__(self) -> str:
        return f"{self.tonic.replace('-', 'b')} {self.mode}"


@functools.lru_cache(maxsize=64)
def _signature(tonic: str, mode: str) -> int:
    from music21 import key as m21key

    return int(m21key.Key(tonic, mode).sharps)


def key_from_pc(pc: int, mode: str, near: int = 0) -> Key:
    """A key on pitch class ``pc``, spelt with the signature closest to ``near`` sharps."""
    options = [Key(name, mode) for name in _enharmonics(pc)]
    options = [k for k in options if abs(k.sharps) <= 7]
    return min(options, key=lambda k: (abs(k.sharps - near), abs(k.sharps), k.tonic))


def _enharmonics(pc: int) -> Iterable[str]:
    for letter, step in _STEP.items():
        for accidental, shift in (("", 0), ("#", 1), ("-", -1)):
            if (step + shift) % 12 == pc:
                yield letter + accidental


def fifths_apart(a: Key, b: Key) -> int:
    """Distance of two key signatures around the circle of fifths (0..6)."""
    d = abs(a.sharps - b.sharps) % 12
    return min(d, 12 - d)


def kk_profile(key: Key) -> np.ndarray:
    """The key's Krumhansl–Kessler profile indexed by pitch class."""
    base = np.array(KK_MAJOR if key.mode == "major" else KK_MINOR)
    return np.roll(base, key.pc)


# Every key as (tonic pitch class, mode), and its KK profile, in the same order.
ALL_KEYS = tuple((pc, mode) for mode in ("major", "minor") for pc in range(12))
ALL_PROFILES = np.array([np.roll(KK_MAJOR if mode == "major" else KK_MINOR, pc)
                         for pc, mode in ALL_KEYS])
_STANDARD_PROFILES = ((ALL_PROFILES - ALL_PROFILES.mean(axis=1, keepdims=True))
                      / ALL_PROFILES.std(axis=1, keepdims=True))


def key_margin(weights: np.ndarray, key: Key) -> tuple[float, float]:
    """Krumhansl–Schmuckler key finding on pitch-class ``weights``: the correlation with
    ``key``'s profile, and its margin over the best-correlated other key."""
    spread = float(np.std(weights))
    if spread == 0:
        return 0.0, -1.0
    r = _STANDARD_PROFILES @ ((weights - weights.mean()) / spread) / len(weights)
    own = ALL_KEYS.index(key.same_as)
    return float(r[own]), float(r[own] - np.delete(r, own).max())


def kk_correlation(a: Key, b: Key) -> float:
    """Pearson correlation of two keys' KK profiles."""
    return float(np.corrcoef(kk_profile(a), kk_profile(b))[0, 1])


@functools.lru_cache(maxsize=1024)
def key_route(a: Key, b: Key) -> tuple[Key, ...]:
    """Keys to pass through from ``a`` to ``b``, both ends included.

    Keys whose KK profiles correlate at ``KK_STEP_MIN_R`` or better modulate
    directly through a pivot chord, however close their signatures: A minor and
    D minor share a key signature's neighbourhood yet correlate at only 0.34.
    Other keys step through the fewest intermediate keys such that each
    consecutive pair's KK correlation is at least ``KK_STEP_MIN_R`` (ties: the
    route whose steps correlate best in sum).
    """
    if a.same_as == b.same_as:
        return (a,)
    if kk_correlation(a, b) >= KK_STEP_MIN_R:
        return (a, b)
    nodes = [(pc, mode) for mode in ("major", "minor") for pc in range(12)]

    def r(x: tuple[int, str], y: tuple[int, str]) -> float:
        return kk_correlation(Key(_MAJOR_NAMES[x[0]], x[1]), Key(_MAJOR_NAMES[y[0]], y[1]))

    # Layered search: best (fewest hops, highest summed r) route to every node.
    best: dict[tuple[int, str], tuple[float, tuple[tuple[int, str], ...]]] = {
        a.same_as: (0.0, (a.same_as,))
    }
    frontier = [a.same_as]
    while frontier and b.same_as not in best:
        layer: dict[tuple[int, str], tuple[float, tuple[tuple[int, str], ...]]] = {}
        for node in frontier:
            score, path = best[node]
            for nxt in nodes:
                if nxt in best:
                    continue
                step = r(node, nxt)
                if step < KK_STEP_MIN_R:
                    continue
                cand = (score + step, (*path, nxt))
                if nxt not in layer or cand[0] > layer[nxt][0] + 1e-12:
                    layer[nxt] = cand
        best.update(layer)
        frontier = sorted(layer)
    _, route = best[b.same_as]
    keys = [a]
    for pc, mode in route[1:-1]:
        # Spell each stepping stone close to the key before it, so signatures move gradually.
        keys.append(key_from_pc(pc, mode, keys[-1].sharps))
    return (*keys, b)


@dataclass(frozen=True)
class Chord:
    """A chord named by its Roman numeral in a key, with its pitch classes."""

    figure: str
    key: Key
    pcs: tuple[int, ...]  # root, third, fifth[, seventh]
    names: tuple[str, ...]  # music21 spellings of ``pcs``
    bass: int  # pitch class in the bass (differs from the root when inverted)

    @property
    def root(self) -> int:
        return self.pcs[0]

    def spelling(self, pc: int) -> str | None:
        """The chord's spelling of a pitch class, if it is a chord tone."""
        for p, name in zip(self.pcs, self.names, strict=True):
            if p == pc:
                return name
        return None

    def label(self) -> str:
        return f"{self.figure} in {self.key}"


@functools.lru_cache(maxsize=2048)
def realise(figure: str, key: Key) -> Chord:
    """The chord a Roman numeral names in ``key`` (music21's spelling and qualities)."""
    from music21 import key as m21key
    from music21 import roman

    rn = roman.RomanNumeral(figure, m21key.Key(key.tonic, key.mode))
    tones = [rn.root(), rn.third, rn.fifth, rn.seventh]
    present = [p for p in tones if p is not None]
    pcs = tuple(int(p.pitchClass) for p in present)
    names = tuple(str(p.name) for p in present)
    return Chord(figure, key, pcs, names, int(rn.bass().pitchClass))


def is_diatonic(chord: Chord, key: Key) -> bool:
    """Whether every tone of ``chord`` belongs to ``key`` (minor: with its leading tone)."""
    return set(chord.pcs) <= key.diatonic


_PIVOT_FIGURES = {
    "major": ("ii", "IV", "vi", "I", "iii", "V"),
    "minor": ("iv", "VI", "III", "i", "VII", "iio", "v", "V"),
}
# How well a chord prepares the new key's dominant, by its root's distance from the new tonic.
_PIVOT_FUNCTION = {
    "major": {2: 3, 5: 3, 9: 2, 0: 1, 4: 1, 7: 0},
    "minor": {5: 3, 2: 3, 8: 2, 3: 1, 0: 1, 10: 1, 7: 0},
}


@functools.lru_cache(maxsize=1024)
def pivot_chord(old: Key, new: Key) -> Chord | None:
    """A triad diatonic to both keys, named in ``old``; the one that best leads to ``new``'s V."""
    best: tuple[int, int, Chord] | None = None
    for order, figure in enumerate(_PIVOT_FIGURES[old.mode]):
        chord = realise(figure, old)
        if not is_diatonic(chord, new):
            continue
        function = _PIVOT_FUNCTION[new.mode].get((chord.root - new.pc) % 12, -1)
        if function < 0:
            continue
        score = (function, -order)
        if best is None or score > best[:2]:
            best = (score[0], score[1], chord)
    return None if best is None else best[2]


def melodic_pcs(chord: Chord) -> frozenset[int]:
    """Pitch classes a melody may use over ``chord``.

    The key's scale, where each chord tone replaces the scale degree of the same
    letter (so a borrowed iv in major brings its flat sixth, and the dominant in
    minor brings the raised sixth and seventh of the melodic minor, avoiding the
    augmented second).
    """
    return _melodic_pcs(chord.key, chord.names)


@functools.lru_cache(maxsize=2048)
def _melodic_pcs(key: Key, chord_names: tuple[str, ...]) -> frozenset[int]:
    by_letter = {name[0]: pc for pc, name in key_spellings(key).items() if pc in key.scale}
    if key.mode == "minor" and key_spellings(key)[(key.pc + 11) % 12] in chord_names:
        for pc in ((key.pc + 9) % 12, (key.pc + 11) % 12):
            by_letter[key_spellings(key)[pc][0]] = pc
    for name in chord_names:
        by_letter[name[0]] = name_to_pc(name)
    return frozenset(by_letter.values())


@functools.lru_cache(maxsize=256)
def key_spellings(key: Key) -> dict[int, str]:
    """How ``key`` spells each pitch class of its scale (plus raised 6th/7th in minor)."""
    from music21 import key as m21key

    k = m21key.Key(key.tonic, key.mode)
    names: dict[int, str] = {}
    for p in k.getPitches()[:-1]:
        names[int(p.pitchClass)] = str(p.name)
    if key.mode == "minor":
        for degree in (6, 7):
            p = k.pitchFromDegree(degree).transpose("A1")
            names.setdefault(int(p.pitchClass), str(p.name))
    return names


def spell(pc: int, chord: Chord) -> str:
    """A spelling for ``pc`` heard over ``chord``: chord tone, else key, else by the signature."""
    name = chord.spelling(pc)
    if name is not None:
        return name
    name = key_spellings(chord.key).get(pc)
    if name is not None:
        return name
    sharp_names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    flat_names = ("C", "D-", "D", "E-", "E", "F", "G-", "G", "A-", "A", "B-", "B")
    return (sharp_names if chord.key.sharps >= 0 else flat_names)[pc]


SHAPE_NOTES = 4  # notes in a melodic shape (check 11, and the melody read back for it)


def recurring_share(items: Sequence[object]) -> float:
    """The share of ``items`` equal to at least one other item."""
    if not items:
        return 0.0
    counts = collections.Counter(items)
    return sum(counts[i] > 1 for i in items) / len(items)


def interval_shapes(steps: Sequence[int], size: int = SHAPE_NOTES) -> list[tuple[int, ...]]:
    """Every run of ``size`` consecutive notes as its diatonic intervals (a transposable shape)."""
    moves = [b - a for a, b in itertools.pairwise(steps)]
    return [tuple(moves[k:k + size - 1]) for k in range(len(moves) - size + 2)]
