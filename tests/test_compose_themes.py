"""The story's main theme and the characters' leitmotifs, read from the composer's events."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import pytest

from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.checks import SHAPE_MIN_SHARE, motif_recurrence
from storyscore.compose.harmony import scene_key
from storyscore.compose.leitmotif import (
    SceneCast,
    cast_of,
    characters_in,
    describe,
    design,
    plan_leitmotifs,
)
from storyscore.compose.theme import build_theme, metric_cells
from storyscore.compose.theory import Key
from storyscore.compose.timeline import Meter

FPS = 24


def plan(**changes: object) -> ScenePlan:
    base = ScenePlan(
        scene_id="s", duration=12.0, flexible=False, tonic="C", mode="major", tempo=96.0,
        valence=0.4, arousal=0.0, tension=0.1, melody_program=73, accompaniment_program=0,
        bass_program=32, register=70, density=0.5, velocity=80, staccato=0.1,
        texture="arpeggio", contour=(), narration=(), volume=1.0, silent=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


FOX = ("fox", "a small, quick and curious orange fox")
OWL = ("owl", "a wise old owl with big round eyes")
STORY = [
    plan(scene_id="meadow", characters=("fox",)),
    plan(scene_id="wood", tonic="G", arousal=-0.5, density=0.2, texture="pad"),
    plan(scene_id="oak", tonic="E", mode="minor", valence=-0.4, characters=("owl",)),
    plan(scene_id="meeting", tonic="E", mode="minor", valence=-0.2,
         characters=("fox", "owl"), duration=16.0),
    plan(scene_id="stars", tonic="G", arousal=-0.4, texture="pad"),
    plan(scene_id="home", characters=("fox",), lead_in=0.5),
]


@pytest.fixture(scope="module")
def story() -> ComposedScore:
    return compose(STORY, fps=FPS, seed=5, characters=[FOX, OWL])


def _scene_of(cs: ComposedScore, offset: float) -> int:
    return max(i for i, start in enumerate(cs.timeline.scene_offsets) if start <= offset + 1e-9)


def _bar_rhythm(cs: ComposedScore, bar_offset: float, length: float) -> tuple[float, ...]:
    """Onset positions of the melody inside one bar."""
    return tuple(round(e.offset - bar_offset, 4) for e in cs.part_events["melody"]
                 if bar_offset - 1e-9 <= e.offset < bar_offset + length - 1e-9 and not e.tie_stop)


# ------------------------------------------------------------------ the theme


@pytest.mark.parametrize("meter", [Meter(4, 4), Meter(3, 4), Meter(6, 8), Meter(2, 4)])
def test_the_theme_is_a_period_grown_from_its_motif(meter: Meter) -> None:
    theme = build_theme(STORY, meter, seed=5)
    assert abs(sum(theme.motif.rhythm) - meter.bar) < 1e-9
    assert 3 <= len(theme.motif.rhythm) <= 6  # the music guide's motif: 3-6 notes
    bars = [theme.bar_notes(b) for b in range(8)]
    # Bars 1 and 5 are the motif; 2 and 6 its sequence a step away, same rhythm and shape.
    for first, second in ((0, 1), (4, 5)):
        assert [n[1] for n in bars[first]] == list(theme.motif.rhythm)
        shape = [n[2] - bars[first][0][2] for n in bars[first]]
        assert shape == list(theme.motif.steps)
        assert [n[2] - bars[second][0][2] for n in bars[second]] == shape
        assert abs(bars[second][0][2] - bars[first][0][2]) == 1
    # The antecedent ends open (on the second or fifth degree), the consequent on the tonic.
    assert bars[3][-1][2] in (1, 4)
    assert bars[7][-1][2] == 0
    assert theme == build_theme(STORY, meter, seed=5)


def test_the_theme_is_stated_early_and_returns_at_the_end(story: ComposedScore) -> None:
    theme = build_theme(STORY, story.timeline.meter, seed=5)
    bar = story.timeline.meter.bar
    motif = tuple(round(sum(theme.motif.rhythm[:k]), 4) for k in range(len(theme.motif.rhythm)))
    first_bar = story.timeline.scene_bars(0)[0]
    assert _bar_rhythm(story, first_bar.offset, bar) == motif
    # The last scene brings the motif's rhythm back in one of its bars.
    last = len(STORY) - 1
    assert any(_bar_rhythm(story, b.offset, bar) == motif for b in story.timeline.scene_bars(last))


def test_a_calm_scene_augments_the_theme(story: ComposedScore) -> None:
    theme = build_theme(STORY, story.timeline.meter, seed=5)
    wood = story.timeline.scene_bars(1)
    # Augmented: the motif's first two notes, at twice their length, open the scene's own bars.
    doubled = [round(2 * x, 4) for x in theme.motif.rhythm]
    onsets = [e for e in story.part_events["melody"]
              if wood[0].offset <= e.offset < wood[-1].end and not e.tie_stop]
    lengths = [round(b.offset - a.offset, 4) for a, b in itertools.pairwise(onsets)]
    assert any(lengths[k:k + 2] == doubled[:2] for k in range(len(lengths)))


def test_melody_bar_rhythms_recur(story: ComposedScore) -> None:
    bar = story.timeline.meter.bar
    rhythms = [_bar_rhythm(story, b.offset, bar) for b in story.timeline.bars]
    rhythms = [r for r in rhythms if r]
    counts = Counter(rhythms)
    recurring = sum(1 for r in rhythms if counts[r] > 1) / len(rhythms)
    # Folk songs repeat most of their bar rhythms; a melody that never repeats sounds random.
    assert recurring >= 0.5, counts


def _degree(pitch: int, key: Key) -> int:
    """A MIDI pitch as a diatonic degree of ``key`` (an altered note counts as the degree below)."""
    offsets = sorted((pc - key.pc) % 12 for pc in key.scale)
    octave, within = divmod(pitch - key.pc, 12)
    return 7 * octave + max(k for k, o in enumerate(offsets) if o <= within)


def test_the_theme_keeps_its_interval_shape_when_it_returns(story: ComposedScore) -> None:
    theme = build_theme(STORY, story.timeline.meter, seed=5)
    bar = story.timeline.meter.bar
    motif = tuple(round(sum(theme.motif.rhythm[:k]), 4) for k in range(len(theme.motif.rhythm)))
    steps = [b - a for a, b in itertools.pairwise(theme.motif.steps)]
    kept = stated = 0
    for b in story.timeline.bars:
        if _bar_rhythm(story, b.offset, bar) != motif:
            continue
        key = scene_key(STORY[_scene_of(story, b.offset)])
        sung = [_degree(e.pitches[0], key) for e in story.part_events["melody"]
                if b.offset - 1e-9 <= e.offset < b.end - 1e-9 and not e.tie_stop]
        moves = [y - x for x, y in itertools.pairwise(sung)]
        stated += 1
        # Sequenced (the same moves) or inverted (the moves upside down), not re-solved.
        kept += moves in (steps, [-m for m in steps])
    assert stated >= 4
    assert kept >= 0.75 * stated, (kept, stated)


# ------------------------------------------------------------------ leitmotifs


def test_characters_are_named_by_id_at_sign_or_plural() -> None:
    ids = ["fox", "owl"]
    assert characters_in(["@fox in a meadow"], ids) == ("fox",)
    assert characters_in(["Two Foxes and an OWL"], ids) == ("fox", "owl")
    assert characters_in(["foxglove and a bowl"], ids) == ()


def test_a_leitmotif_comes_from_the_description() -> None:
    cast = cast_of(STORY)
    fox = design(*FOX, cast)
    owl = design(*OWL, cast, [fox.program])
    boat = design("boat", "a small paper boat with a red sail", cast, [fox.program, owl.program])
    # The fox: small and quick, high and short; the owl: old and slow, low, a falling third.
    assert fox.register > 72 > owl.register
    assert max(fox.rhythm) < min(owl.rhythm)
    assert fox.staccato
    assert not owl.staccato
    assert owl.intervals[0] == -3
    assert fox.program == 73  # flute
    assert owl.program == 70  # bassoon
    # The boat rocks: long-short, up and back.
    assert boat.rhythm[0] > boat.rhythm[1]
    assert boat.intervals[0] > 0 > boat.intervals[1]
    assert len({fox.program, owl.program, boat.program}) == 3
    assert design(*FOX, cast) == fox


def test_each_leitmotif_sounds_where_its_character_is_and_nowhere_else(
        story: ComposedScore) -> None:
    for cid in ("fox", "owl"):
        events = story.part_events[f"motif:{cid}"]
        heard = {_scene_of(story, e.offset) for e in events}
        named = {i for i, p in enumerate(STORY) if cid in p.characters}
        assert heard == named, cid
        statements = [s for s in story.leitmotifs if s.character == cid]
        assert {s.scene for s in statements} == named
    # Each statement's notes are really there, with the motif's rhythm.
    motifs = {m.character: m for m in plan_leitmotifs([FOX, OWL], cast_of(STORY))}
    for statement in story.leitmotifs:
        events = [e for e in story.part_events[statement.part]
                  if statement.offset - 1e-9 <= e.offset]
        notes = events[: len(statement.rhythm)]
        assert notes[0].offset == pytest.approx(statement.offset)
        onsets = [round(b.offset - a.offset, 4) for a, b in itertools.pairwise(notes)]
        assert onsets == [round(x, 4) for x in statement.rhythm[:-1]]
        pitches = [e.pitches[0] for e in notes]
        assert tuple(b - a for a, b in itertools.pairwise(pitches)) == \
            statement.intervals
        scale = statement.rhythm[0] / motifs[statement.character].rhythm[0]
        assert scale in (1.0, 2.0) or scale < 1


def test_two_characters_answer_each_other(story: ComposedScore) -> None:
    meeting = [s for s in story.leitmotifs if s.scene == 3]
    fox = min(s.offset for s in meeting if s.character == "fox")
    owl = min(s.offset for s in meeting if s.character == "owl")
    assert fox != owl
    assert any("answering" in s.variation for s in meeting)


def test_the_owl_keeps_its_falling_third_in_a_minor_key(story: ComposedScore) -> None:
    for statement in story.leitmotifs:
        if statement.character == "owl":
            assert statement.intervals[0] in (-3, -4)
            assert "E minor" in statement.variation


def test_explain_says_where_each_leitmotif_sounds() -> None:
    cast = [SceneCast(p.scene_id, p.characters, p.tonic, p.mode, p.arousal, p.valence, False)
            for p in STORY]
    lines = describe(plan_leitmotifs([FOX, OWL], cast), cast)
    text = "\n".join(lines)
    assert "leitmotif fox: Flute" in text
    assert "leitmotif owl: Bassoon" in text
    assert "falling minor third" in text
    fox_block = text.split("leitmotif owl")[0]
    assert [line.split()[3].rstrip(":") for line in fox_block.splitlines()
            if "sounds in" in line] == ["meadow", "meeting", "home"]
    assert "in E minor (mode change)" in text


def test_no_characters_no_motif_parts() -> None:
    cs = compose(STORY[:2], fps=FPS, seed=1)
    assert not [name for name in cs.part_events if name.startswith("motif:")]
    assert cs.leitmotifs == ()


def test_a_long_scene_hears_the_antecedent_again() -> None:
    plans = [plan(scene_id="long", duration=44.0, tempo=96.0)]
    cs = compose(plans, fps=FPS, seed=5)
    theme = build_theme(plans, cs.timeline.meter, seed=5)
    bar = cs.timeline.meter.bar
    motif = tuple(round(sum(theme.motif.rhythm[:k]), 4) for k in range(len(theme.motif.rhythm)))
    heard = [b.index for b in cs.timeline.bars if _bar_rhythm(cs, b.offset, bar) == motif]
    # The motif's rhythm carries the first three bars of the antecedent, of the
    # consequent, and of the antecedent heard once more.
    assert len(cs.timeline.bars) >= 12
    assert {0, 1, 2, 4, 5, 6, 8, 9, 10} <= set(heard)


@pytest.mark.parametrize("meter", [Meter(4, 4), Meter(3, 4), Meter(6, 8), Meter(2, 4)])
def test_the_motifs_strong_notes_fit_one_chord(meter: Meter) -> None:
    # The notes on the bar's strong beats lie a unison, third or fifth apart, so that the
    # chord under them keeps the motif's shape instead of bending a note onto itself.
    cells = [0.0, *itertools.accumulate(metric_cells(meter.bar, meter.beat))]
    for seed in range(12):
        motif = build_theme(STORY, meter, seed=seed).motif
        onsets = [sum(motif.rhythm[:k]) for k in range(len(motif.rhythm))]
        strong = [step for onset, step in zip(onsets, motif.steps, strict=True)
                  if any(abs(onset - cell) < 1e-9 for cell in cells)]
        assert strong[0] == 0
        assert all(step % 2 == 0 for step in strong), (meter, seed, motif)


def test_a_path_of_short_scenes_comes_back_to_the_motifs_shape() -> None:
    # Four scenes of two or three bars, each with its own skyline: each states the motif
    # (with its answer and, where there is room, a cadence), and its shape recurs.
    skylines = [(0.2, 0.9, 0.4), (0.5, 0.55, 0.6), (0.9, 0.3, 0.5), (0.4, 0.6, 0.45)]
    plans = [plan(scene_id=f"s{k}", duration=d, contour=c, tonic=t)
             for k, (d, c, t) in enumerate(zip((6.0, 8.0, 6.0, 8.0), skylines,
                                               ("C", "G", "C", "F"), strict=True))]
    cs = compose(plans, fps=FPS, seed=3)
    recurrence = motif_recurrence(cs)
    assert recurrence.bars >= 8
    assert recurrence.shape_share >= SHAPE_MIN_SHARE, recurrence.figure
