"""Properties of the bar grid and tempo map for any sequence of scene lengths and tempos."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from storyscore.compose.request import ScenePlan
from storyscore.compose.timeline import MODULATION_RATIOS, build_timeline

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


def _plans(spec: list[tuple[float, float, bool, str, float]]) -> list[ScenePlan]:
    return [dataclasses.replace(BASE, scene_id=f"s{i}", duration=b * 60 / t, tempo=t,
                                flexible=f, texture=tex, arousal=-abs(v), valence=v)
            for i, (b, t, f, tex, v) in enumerate(spec)]


@settings(max_examples=60, deadline=None)
@given(ANY)
def test_boundaries_land_on_target_downbeats(spec: list[tuple[float, float, bool, str, float]]
                                             ) -> None:
    plans = _plans(spec)
    tl = build_timeline(plans)
    target = 0.0
    for i, p in enumerate(plans):
        assert abs(tl.scene_starts[i] - target) < 1e-6
        assert abs(tl.seconds_at(tl.scene_offsets[i]) - tl.scene_starts[i]) < 1e-6
        assert any(b.offset == tl.scene_offsets[i] for b in tl.bars)
        bars = tl.scene_bars(i)
        odd = [b for b in bars if b.length != tl.meters[i]]
        assert len(odd) <= 1
        assert (not odd or odd[0] is bars[-1])
        if p.flexible:
            assert tl.scene_durations[i] >= p.duration - 1e-6
            target += tl.scene_durations[i]
        else:
            assert abs(tl.scene_durations[i] - p.duration) < 1e-6
            target += p.duration
    for mark in tl.marks:
        if mark.modulation is not None:
            assert mark.modulation in MODULATION_RATIOS
            assert mark.offset in tl.scene_offsets


@settings(max_examples=60, deadline=None)
@given(TYPICAL)
def test_tempo_window_ramps_and_whole_bars(spec: list[tuple[float, float, bool, str, float]]
                                           ) -> None:
    plans = _plans(spec)
    tl = build_timeline(plans)
    for a, b in zip(tl.marks, tl.marks[1:], strict=False):
        ratio = b.bpm / a.bpm
        if b.modulation is not None:
            ratio /= float(b.modulation)
        assert abs(math.log(ratio)) <= math.log(1.03) + 1e-9, (a, b)
    for i, p in enumerate(plans):
        odd = [b for b in tl.scene_bars(i) if b.length != tl.meters[i]]
        if p.flexible:
            assert not odd
        # The steady tempo (outside the ramps) is within ±5 % of the target, and is
        # written at the scene's downbeat or after the ramp into the scene.
        steady = tl.tempos[i]
        assert abs(steady / p.tempo - 1) <= 0.05 + 1e-9, (i, steady, p.tempo)
        start = tl.scene_offsets[i]
        beats = [start + k for k in range(math.ceil(tl.scene_lengths[i]))]
        heard = [[m.bpm for m in tl.marks if m.offset <= b + 1e-9][-1] for b in beats]
        assert any(abs(bpm - steady) < 1e-6 for bpm in heard), (i, heard, steady)
