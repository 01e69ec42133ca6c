"""The MusicXML written a section of bars at a time is music21's one-piece export, exactly:
for every path of every example story and for generated paths (transposing instruments,
leitmotif parts, silences), cut into sections of every size."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

import numpy as np
import pytest

from conftest import STORIES, ComposedExample, small_example
from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.musicxml import (
    _cuts,
    _notated,
    _staves,
    musicxml_bytes,
    whole_musicxml_bytes,
)
from storyscore.timeline import all_paths

TONICS = ("C", "G", "D", "A", "E", "B", "F#", "Db", "Ab", "Eb", "Bb", "F")
TEXTURES = ("pad", "arpeggio", "alberti", "block", "ostinato")
CHARACTERS = (("fox", "a quick red fox"), ("owl", "an old grey owl"))


def undated(data: bytes) -> bytes:
    """MusicXML without music21's encoding date (the one thing that changes run to run)."""
    return re.sub(rb"\s*<encoding-date>[^<]*</encoding-date>", b"", data, count=1)


def varied_plans(scenes: int, seconds: float, seed: int = 3, characters: bool = False
                 ) -> list[ScenePlan]:
    """A path that changes key, tempo, instrument (transposing ones among them) and
    texture every scene, with narration and silences (and, if asked, two characters and
    a trumpet)."""
    rng = np.random.default_rng(seed)
    plans = []
    for i in range(scenes):
        duration = float(seconds * rng.uniform(0.6, 1.4))
        plans.append(ScenePlan(
            scene_id=f"s{i}", duration=duration, flexible=bool(rng.random() < 0.3),
            tonic=str(rng.choice(TONICS)), mode=str(rng.choice(("major", "minor"))),
            tempo=float(rng.uniform(60, 150)), valence=float(rng.uniform(-1, 1)),
            arousal=float(rng.uniform(-1, 1)), tension=float(rng.uniform(0, 1)),
            melody_program=int(rng.choice((73, 40, 71, 68, 0, 46, *((56,) if characters else ())))),
            accompaniment_program=int(rng.choice((0, 48, 46, 24))),
            bass_program=None if rng.random() < 0.2 else int(rng.choice((32, 42, 43))),
            register=int(rng.integers(64, 78)), density=float(rng.uniform(0, 1)),
            velocity=int(rng.integers(50, 100)), staccato=float(rng.uniform(0, 1)),
            texture=str(rng.choice(TEXTURES)),
            contour=tuple(float(x) for x in rng.uniform(0, 1, 8)),
            narration=((0.5, duration * 0.6),) if rng.random() < 0.7 else (),
            volume=float(rng.uniform(0.5, 1.0)), silent=bool(rng.random() < 0.08),
            characters=tuple(c for c, _ in CHARACTERS if characters and rng.random() < 0.3),
        ))
    return plans


@pytest.fixture(scope="module")
def long_path() -> ComposedScore:
    """About two minutes of music in eight scenes: several default-sized sections."""
    return compose(varied_plans(8, 15.0), fps=24, seed=5, title="Sections")


@pytest.fixture(scope="module")
def short_path() -> ComposedScore:
    """Four short scenes with both characters and a trumpet among the instruments."""
    return compose(varied_plans(4, 7.0, seed=2, characters=True), fps=24, seed=2,
                   title="Short", characters=CHARACTERS)


@pytest.fixture(scope="module")
def example_scores(composed_example: ComposedExample) -> dict[str, ComposedScore]:
    """Every path of every example story, composed as the renderer does."""
    scores = {}
    for story_file in STORIES:
        story = small_example(story_file.stem)
        for path in all_paths(story):
            name = f"{story_file.stem}:{'>'.join(scene.id for scene in path)}"
            scores[name] = composed_example(story_file.stem, path).score
    return scores


def content(data: bytes) -> dict[str, Any]:
    """What a reader of the score gets, read back by music21's MusicXML parser: each part's
    name, clefs, keys, meters, instruments, notes (pitch, length, tie, articulations,
    lyric), dynamics, words, tempo marks and spanners."""
    from music21 import converter, note

    score = converter.parse(data, format="musicxml")
    parts = []
    for part in score.parts:
        events = []
        for element in part.recurse():
            kind = type(element).__name__
            where = (element.measureNumber, float(element.offset))
            if isinstance(element, note.NotRest):
                tie = element.tie.type if element.tie is not None else ""
                events.append((where, kind, tuple(p.nameWithOctave for p in element.pitches),
                               float(element.quarterLength), tie,
                               tuple(type(a).__name__ for a in element.articulations),
                               element.lyric))
            elif isinstance(element, note.Rest):
                events.append((where, "rest", float(element.quarterLength)))
            elif (kind.endswith(("Clef", "Signature", "Key")) or "Instrument" in element.classes
                  or kind in ("Dynamic", "TextExpression", "RehearsalMark", "MetronomeMark")):
                events.append((where, kind, str(element)))
        spanners = Counter(type(s).__name__ for s in part.spannerBundle)
        parts.append({"name": part.partName, "events": events, "spanners": spanners})
    return {"parts": parts}


def test_example_scores_in_sections_are_the_whole_export(
        example_scores: dict[str, ComposedScore]) -> None:
    assert len(example_scores) > len(STORIES)  # the branching stories' every path
    for name, composed in example_scores.items():
        whole = undated(whole_musicxml_bytes(composed.score))
        for bars in (1, 3):  # a cut at every bar line, and cuts that fall mid-phrase
            assert undated(musicxml_bytes(composed.score, bars)) == whole, (name, bars)


@pytest.mark.parametrize("bars", [1, 3, 32])
def test_path_with_characters_and_a_trumpet_in_sections_is_the_whole_export(
        short_path: ComposedScore, bars: int) -> None:
    score = short_path.score
    programs = {p for programs in short_path.programs.values() for p in programs}
    assert 56 in programs  # the trumpet: a transposing instrument
    assert any(name.startswith("motif:") and events
               for name, events in short_path.part_events.items())
    assert undated(musicxml_bytes(score, bars)) == undated(whole_musicxml_bytes(score))


@pytest.mark.slow
def test_long_path_in_sections_is_the_whole_export(long_path: ComposedScore) -> None:
    score = long_path.score
    staves = _staves(_notated(score))
    assert staves is not None
    cuts = _cuts(staves, 8)
    assert cuts is not None
    assert len(cuts) > 3  # the path really is cut
    whole = undated(whole_musicxml_bytes(score))
    pieces = undated(musicxml_bytes(score, 8))
    assert pieces == whole
    # The same, as music21 reads it back: notes, lengths, ties, marks, clefs, parts.
    assert content(pieces) == content(whole)
    # The default section size cuts this path too, and gives the same document.
    default_cuts = _cuts(staves, 32)
    assert default_cuts is not None
    assert len(default_cuts) > 1
    assert undated(long_path.musicxml_bytes()) == whole


def test_sections_start_where_nothing_crosses_the_bar_line(short_path: ComposedScore) -> None:
    staves = _staves(_notated(short_path.score))
    assert staves is not None
    cuts = _cuts(staves, 2)
    assert cuts is not None
    assert len(cuts) > 3
    bars = len(staves[0].measures)
    assert cuts[0][0] == 0
    assert cuts[-1][1] == bars
    assert all(end == next_start for (_, end), (next_start, _) in itertools.pairwise(cuts))
    for start, _ in cuts[1:]:
        for staff in staves:
            for note in staff.measures[start].notes:
                assert note.tie is None or note.tie.type == "start"
            for held in staff.spanners:
                where = [staff.bar_of[id(e)] for e in held.getSpannedElements()]
                assert not min(where) < start <= max(where), (start, held)


def test_sections_leave_the_score_as_it_was(short_path: ComposedScore) -> None:
    before = short_path.events()
    first = musicxml_bytes(short_path.score, 2)
    assert short_path.events() == before
    assert musicxml_bytes(short_path.score, 2) == first
    assert undated(short_path.musicxml_bytes()) == short_path.musicxml_bytes()


@pytest.mark.slow
def test_long_path_in_sections_engraves_with_verovio(long_path: ComposedScore) -> None:
    import verovio

    verovio.enableLog(verovio.LOG_WARNING)
    toolkit = verovio.toolkit()
    toolkit.setOptions({"pageWidth": 2100, "pageHeight": 2970, "scale": 35})
    assert toolkit.loadData(long_path.musicxml_bytes().decode("utf-8"))
    assert toolkit.getLog().strip() == ""
    assert toolkit.getPageCount() > 1


def test_a_score_that_is_not_in_bars_is_exported_whole() -> None:
    from music21 import instrument, note, stream

    piano = instrument.Piano()
    piano.partId, piano.instrumentId = "P1", "P1-I1"  # else music21 draws them at random
    part = stream.Part([piano, note.Note("C4"), note.Note("E4", quarterLength=2.0)])
    score = stream.Score([part])
    assert _staves(score) is None
    assert undated(musicxml_bytes(score, 1)) == undated(whole_musicxml_bytes(score))

