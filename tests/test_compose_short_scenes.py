"""Short scenes say their key: the generated paths that once missed key agreement (check 6),
a held arrival (check 7) or consonance (check 9), each as the composer met it, so that the
rule each one taught stays kept."""

from __future__ import annotations

import dataclasses

import pytest

from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.checks import (
    consonance,
    harmonic_vocabulary,
    key_agreement,
    modulations,
)
from storyscore.compose.harmony import scene_key
from storyscore.compose.theory import is_diatonic

FPS = 24


def plan(scene_id: str, **changes: object) -> ScenePlan:
    base = ScenePlan(
        scene_id=scene_id, duration=10.0, flexible=False, tonic="C", mode="major",
        tempo=100.0, valence=0.0, arousal=0.0, tension=0.2, melody_program=73,
        accompaniment_program=0, bass_program=32, register=72, density=0.5, velocity=80,
        staccato=0.5, texture="block", contour=(0.3, 0.7, 0.5), narration=(), volume=1.0,
        silent=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# bench_checks.py's seed 0: a tense five-bar B minor scene opens a four-scene path. Its
# drafts once gave up its key for a fifth distinct chord (i iv bII6 VI V7: r 0.73), as if
# the piece's first sixteen chords had to be complete in its first five bars.
OPENING = [
    plan("s0", duration=13.71, tonic="B", mode="minor", tempo=137.06, valence=0.46,
         arousal=0.09, tension=0.94, bass_program=42, register=61, density=0.1,
         staccato=0.86, texture="ostinato", contour=(0.73, 0.18, 0.86, 0.54, 0.3),
         narration=((0.5, 1.96),)),
    plan("s1", duration=8.47, tonic="Eb", tempo=138.46, valence=-0.23, arousal=0.99,
         tension=0.98, density=0.69, staccato=0.69, contour=(0.14, 0.72, 0.53, 0.31)),
    plan("s2", duration=37.63, flexible=True, tonic="D", tempo=94.07, valence=-0.22,
         arousal=0.78, tension=0.23, density=0.18, staccato=0.83,
         contour=(0.24, 0.88, 0.06, 0.34), narration=((0.5, 23.0),), volume=0.6),
    plan("s3", duration=32.67, flexible=True, tonic="A", mode="minor", tempo=71.76,
         valence=-0.82, arousal=0.16, tension=0.3, bass_program=42, register=71,
         density=0.28, staccato=0.94, texture="pad", contour=(0.11, 0.63, 0.93, 0.44),
         narration=((0.5, 5.15),)),
]

# Seed 29: a mysterious G major scene of six bars that walks to F major through C major,
# which leaves it three bars of its own; they once opened I bVII I (r 0.70).
BORROWED = [
    plan("s0", duration=22.23, flexible=True, tonic="G", tempo=43.32, valence=-0.21,
         arousal=-0.24, tension=0.02, bass_program=None, register=55, density=0.81,
         staccato=0.62, texture="arpeggio",
         contour=(0.86, 0.63, 0.19, 0.84, 0.42, 0.03, 0.95), volume=0.6),
    plan("s1", duration=21.76, tonic="F", tempo=137.39, valence=0.23, arousal=-0.54,
         tension=0.27, bass_program=42, register=64, density=0.61, staccato=0.73,
         texture="alberti", contour=(0.56, 0.97), narration=((0.5, 16.79),)),
]

# Seed 73: E major to B-flat major is a route of four steps, and seven of the B-flat
# scene's twelve bars went to it; its own key was then left after three bars, not a
# phrase, and opened on a Neapolitan (I bII6 I: r 0.71).
ROUTED = [
    plan("s1", duration=4.56, tonic="E", tempo=182.63, valence=-0.84, arousal=-0.21,
         tension=0.87, bass_program=42, register=56, density=0.41, staccato=0.4,
         texture="arpeggio", contour=(0.93, 0.82, 0.99, 0.05), narration=((0.5, 1.09),)),
    plan("s2", duration=28.78, tonic="Bb", tempo=98.02, valence=-0.66, arousal=-0.84,
         tension=0.96, bass_program=None, register=61, density=0.35, staccato=0.66,
         texture="alberti", contour=(0.99, 0.17, 0.33, 0.25)),
    plan("s3", duration=33.23, flexible=True, tonic="Eb", tempo=111.95, valence=-0.92,
         arousal=0.05, tension=0.4, register=77, density=0.52, staccato=0.22,
         texture="arpeggio", contour=(0.2, 0.77, 0.6, 0.85, 0.64, 0.87, 0.39, 0.4),
         volume=0.6),
]

# Seed 27: one slow three-bar G minor scene whose theme ends a minor sixth above the tonic
# at the top of the melody's band; the last note once stayed there, an E-flat held three
# beats over the final G minor chord (6 of 12 beats consonant).
ENDING = [
    plan("s0", duration=15.3, tonic="G", mode="minor", tempo=41.6, valence=-0.6,
         arousal=-0.41, tension=0.94, bass_program=42, register=62, density=0.26,
         staccato=0.86, texture="alberti", contour=(0.3, 0.36), narration=((0.5, 6.09),),
         volume=0.6),
]


# The property test's 21st draw (of 40): one tense B minor scene of nine bars, a phrase
# and a closing phrase that began as the first did (i bII i V | i bII i VI V7 | i): four
# distinct chords, and the only drafts with five said their key at a clarity of -0.16.
PERIOD = [
    plan("s0", duration=27.09, tonic="B", mode="minor", tempo=77.67, valence=0.0,
         arousal=0.0, tension=0.97, register=64, density=0.85, staccato=0.0,
         texture="ostinato", contour=(0.6, 0.4, 0.53, 0.2, 0.0, 0.0, 0.17),
         narration=((0.5, 6.19),)),
]


@pytest.fixture(scope="module")
def opening() -> ComposedScore:
    return compose(OPENING, fps=FPS, seed=0)


def test_a_short_opening_scene_states_its_key_before_the_colours(
        opening: ComposedScore) -> None:
    first = key_agreement(OPENING, opening).scenes[0]
    assert first.passed, first
    # The colours come later in the piece: its first sixteen chords still have five.
    assert harmonic_vocabulary(opening).passed


def _own_chords(cs: ComposedScore, plans: list[ScenePlan], scene: int) -> list[str]:
    key = scene_key(plans[scene])
    own = [s for s in cs.harmony if s.scene == scene and s.chord.key.same_as == key.same_as]
    assert own
    return [s.chord.figure for s in own if not is_diatonic(s.chord, key)]


def test_a_scene_too_short_for_a_phrase_opens_in_its_own_key() -> None:
    cs = compose(BORROWED, fps=FPS, seed=29)
    assert _own_chords(cs, BORROWED, 0) == []
    assert key_agreement(BORROWED, cs).scenes[0].passed


def test_a_long_scene_after_a_long_route_holds_its_key_for_a_phrase() -> None:
    cs = compose(ROUTED, fps=FPS, seed=73)
    moves = modulations(ROUTED, cs)
    arrival = next(a for a in moves.arrivals if a.scene_id == "s2")
    assert arrival.required
    assert arrival.bars >= 4, moves.problems
    assert _own_chords(cs, ROUTED, 1) == []
    assert key_agreement(ROUTED, cs).passed


def test_the_last_note_reaches_the_tonic_from_the_top_of_the_band() -> None:
    cs = compose(ENDING, fps=FPS, seed=27)
    last = max(cs.part_events["melody"], key=lambda e: e.offset)
    assert last.pitches[0] % 12 == scene_key(ENDING[0]).pc
    assert consonance(ENDING, cs).passed


def test_a_piece_short_of_chords_answers_its_phrase_with_a_contrasting_one() -> None:
    cs = compose(PERIOD, fps=FPS, seed=9954)
    vocabulary = harmonic_vocabulary(cs)
    assert vocabulary.passed, vocabulary.problems
    assert key_agreement(PERIOD, cs).passed
