"""Properties of the bar grid and tempo map for any sequence of scene lengths and tempos:
one meter, whole bars, downbeats inside each boundary's window, written ramps."""

from __future__ import annotations

import dataclasses
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from storyscore.compose.request import ScenePlan
from storyscore.compose.timeline import (
    MAX_RAMP_STEP,
    Meter,
    build_timeline,
    parse_meter,
    story_meter,
)

BASE = ScenePlan(
    scene_id="s", duration=8.0, flexible=False, tonic="C", mode="major", tempo=100.0,
    valence=0.0, arousal=0.0, tension=0.0, melody_program=0, accompaniment_program=0,
    bass_program=None, register=72, density=0.5, velocity=80, staccato=0.0, texture="block",
    contour=(), narration=(), volume=1.0, silent=False,
)

# (beats at the target tempo, tempo, flexible, texture, valence).
def _scenes(min_beats: float, tempo_range: tuple[float, float]) -> st.SearchStrategy[
        list[tuple[float, float, bool, str, float]]]:
    return st.lists(
        st.tuples(
            st.floats(min_value=min_beats, max_value=80.0),
            st.floats(min_value=tempo_range[0], max_value=tempo_range[1]),
            st.booleans(),
            st.sampled_from(["block", "pad"]),
            st.floats(min_value=-1, max_value=1),
        ),
        min_size=1,
        max_size=6,
    )


# Anything the language allows: even a one-beat scene at 20 BPM next to one at 240.
ANY = _scenes(0.5, (20.0, 240.0))
# Story-like scenes (eight beats or more, 40..200 BPM), where every promise holds.
TYPICAL = _scenes(8.0, (40.0, 200.0))


def _plans(spec: list[tuple[float, float, bool, str, float]],
           lead_in: float = 0.0) -> list[ScenePlan]:
    return [dataclasses.replace(BASE, scene_id=f"s{i}", duration=b * 60 / t, tempo=t,
                                flexible=f, texture=tex, arousal=-abs(v), valence=v,
                                lead_in=lead_in if i else 0.0)
            for i, (b, t, f, tex, v) in enumerate(spec)]



@settings(max_examples=60, deadline=None)
@given(ANY, st.sampled_from([0.0, 0.5]), st.sampled_from(["4/4", "3/4", "6/8", "2/4"]))
def test_one_meter_whole_bars_and_downbeats_in_their_window(
        spec: list[tuple[float, float, bool, str, float]], lead_in: float, meter: str) -> None:
    plans = _plans(spec, lead_in)
    tl = build_timeline(plans, parse_meter(meter), 24)
    assert {b.time_signature for b in tl.bars} == {meter}
    assert all(abs(b.length - parse_meter(meter).bar) < 1e-9 for b in tl.bars)
    video = 0.0
    for i, p in enumerate(plans):
        assert abs(tl.scene_starts[i] - video) < 1e-6
        # The music's downbeat: exact at a cut (within a frame), inside the window otherwise.
        window = max(1 / 24, p.lead_in) + 1e-6
        assert abs(tl.music_starts[i] - tl.scene_starts[i]) <= window
        assert abs(tl.seconds_at(tl.scene_offsets[i]) - tl.music_starts[i]) < 1e-6
        assert tl.scene_bars(i)
        assert tl.scene_bars(i)[0].offset == tl.scene_offsets[i]
        if p.flexible:
            assert tl.scene_durations[i] >= p.duration - 1e-6
        else:
            assert abs(tl.scene_durations[i] - p.duration) < 1e-6
        video += tl.scene_durations[i]


@settings(max_examples=60, deadline=None)
@given(TYPICAL)
def test_tempo_stays_near_home_and_moves_by_written_ramps(
        spec: list[tuple[float, float, bool, str, float]]) -> None:
    plans = _plans(spec, 0.5)
    tl = build_timeline(plans, Meter(4, 4), 24)
    marks = list(tl.marks)
    steps = [abs(b.bpm / a.bpm - 1) for a, b in itertools.pairwise(marks)]
    jumps = [b for a, b in itertools.pairwise(marks)
             if abs(b.bpm / a.bpm - 1) > MAX_RAMP_STEP + 1e-9]
    # A step above 3 % only at a breath on a scene's downbeat.
    assert all(m.breath and m.offset in tl.scene_offsets for m in jumps), steps
    for ramp in tl.ramps:
        assert ramp.start < ramp.end
        assert ramp.kind == ("accel." if ramp.to_bpm > ramp.from_bpm else "rit.")
        assert any(abs(m.offset - ramp.start) < 1e-9 or m.ramp for m in marks)


def test_meter_from_the_story_mood_or_the_author() -> None:
    gentle = [dataclasses.replace(BASE, valence=0.5, arousal=-0.3)]
    dreamy = [dataclasses.replace(BASE, valence=0.5, arousal=-0.6)]
    lively = [dataclasses.replace(BASE, valence=0.5, arousal=0.6)]
    assert str(story_meter(gentle)) == "3/4"
    assert str(story_meter(dreamy)) == "6/8"
    assert str(story_meter(lively)) == "4/4"
    assert str(story_meter(lively, "6/8")) == "6/8"
    assert parse_meter("6/8").beat == 1.5
    assert parse_meter("6/8").cells == (1.5, 1.5)
    assert parse_meter("3/4").bar == 3
    assert parse_meter("2/4").cells == (2.0,)


def test_a_transition_window_keeps_the_tempo_near_home() -> None:
    # Scenes of two and a half bars: the home tempo moves to fit three bars, and where a
    # crossfade lets the downbeats fall a little early or late, they drift back to the cuts.
    spec = [(10.0, 100.0, False, "block", 0.0)] * 4
    cut = build_timeline(_plans(spec, 0.0), Meter(4, 4), 24)
    fade = build_timeline(_plans(spec, 0.5), Meter(4, 4), 24)

    def spread(tl: object) -> float:
        tempos = [m.bpm for m in tl.marks]  # type: ignore[attr-defined]
        return max(tempos) / min(tempos)

    assert spread(fade) <= 1.10
    assert spread(cut) <= 1.10
    assert all(len(fade.scene_bars(i)) >= 2 for i in range(4))
