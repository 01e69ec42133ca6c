"""A real story through the composer: the plans the producer hands it (characters,
transition windows, titles, the meter), and the times it hands back to the video."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from conftest import ComposedExample, small_example
from storyscore.cache import Cache
from storyscore.model import MusicSettings
from storyscore.pipeline.prepare import prepare
from storyscore.pipeline.soundtrack import Composition, compose_path
from storyscore.timeline import default_path

NAMED = {"meadow": ("fox",), "wood": (), "oak": ("owl",), "meeting": ("fox", "owl"),
         "stars": (), "home": ("fox",)}


@pytest.fixture(scope="module")
def fox_and_owl(composed_example: ComposedExample) -> Composition:
    return composed_example("fox-and-owl", default_path(small_example("fox-and-owl")))


def test_the_plans_name_characters_titles_and_transition_windows(
        fox_and_owl: Composition) -> None:
    plans = fox_and_owl.plans
    assert {p.scene_id: p.characters for p in plans} == NAMED
    assert plans[0].title == "The meadow"
    # Half of the 1 s crossfade before each scene; the cut before "stars" leaves none.
    assert [p.lead_in for p in plans] == [0.0, 0.5, 0.5, 0.5, 0.0, 0.5]


def test_the_video_keeps_its_times_and_the_downbeats_fall_inside_the_transitions(
        fox_and_owl: Composition) -> None:
    times = fox_and_owl.times
    timeline = fox_and_owl.score.timeline
    for before, after in itertools.pairwise(times):
        assert after.start == pytest.approx(before.end)
    for time, plan, downbeat in zip(times, fox_and_owl.plans, timeline.music_starts,
                                    strict=True):
        assert abs(downbeat - time.start) <= max(1 / 24, plan.lead_in) + 1e-6
        if plan.lead_in == 0:
            assert abs(downbeat - time.start) <= 1 / 24
        if time.scene.duration is not None:
            assert time.duration == pytest.approx(max(time.scene.duration, plan.duration))


def test_one_meter_and_each_leitmotif_where_its_character_is(fox_and_owl: Composition) -> None:
    score = fox_and_owl.score
    assert {bar.time_signature for bar in score.timeline.bars} == {str(score.timeline.meter)}
    offsets = score.timeline.scene_offsets
    for cid in ("fox", "owl"):
        heard = {max(i for i, start in enumerate(offsets) if start <= e.offset + 1e-9)
                 for e in score.part_events[f"motif:{cid}"]}
        assert {fox_and_owl.plans[i].scene_id for i in heard} == {
            scene for scene, named in NAMED.items() if cid in named}
    assert score.programs["motif:fox"][0] == 73  # flute
    assert score.programs["motif:owl"][2] == 70  # bassoon


def test_the_authors_meter_wins(shared_cache: Path) -> None:
    story = dataclasses.replace(small_example("demo"), music=MusicSettings(meter="6/8"))
    with Cache(shared_cache) as cache:
        path = default_path(story)
        composition = compose_path(prepare(story, path, cache), path)
    assert {bar.time_signature for bar in composition.score.timeline.bars} == {"6/8"}
    assert all(bar.length == 3 for bar in composition.score.timeline.bars)
