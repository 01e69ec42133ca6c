"""Compose one continuous score for a story path from per-scene musical plans.

``compose(plans, fps=, seed=)`` turns scene plans (built from the pictures by
the planner) into a single music21 Score: a bar grid whose every scene
boundary is a downbeat within a video frame of its target time
(``timeline``), mood-driven phrases with cadences and pivot-chord modulations
(``harmony``), a melody that follows each picture's skyline (``melody``), and
the accompaniment texture and bass (``texture``), assembled in ``score``.

Per-scene ``volume`` is applied to the MIDI velocities, scaled by
``sqrt(volume)``: under General MIDI's velocity curve (level in dB =
40·log10(v/127)) that multiplies the scene's amplitude by ``volume``, so the
mixer needs no per-scene gain. A scene with volume 0 is silent.
"""

from __future__ import annotations

from collections.abc import Sequence

from storyscore.compose.harmony import HarmonySpan, plan_harmony
from storyscore.compose.melody import backdrop, compose_melody
from storyscore.compose.request import ScenePlan, check_plans
from storyscore.compose.score import ComposedScore, build_score
from storyscore.compose.texture import compose_accompaniment
from storyscore.compose.timeline import Timeline, build_timeline
from storyscore.errors import StoryscoreError

__all__ = ["ComposedScore", "HarmonySpan", "ScenePlan", "Timeline", "compose"]


def compose(
    plans: Sequence[ScenePlan], *, fps: int, seed: int, title: str = ""
) -> ComposedScore:
    """Compose the music of a story path; the same plans and seed give the same score."""
    plans = list(plans)
    check_plans(plans, fps)
    timeline = build_timeline(plans)
    _check_boundaries(plans, timeline, fps)
    spans = plan_harmony(plans, timeline, seed)
    accompaniment, bass = compose_accompaniment(plans, timeline, spans)
    melody = compose_melody(plans, timeline, spans, seed,
                            backdrop(plans, spans, (accompaniment, bass)))
    score = build_score(plans, timeline, spans,
                        {"melody": melody, "accompaniment": accompaniment, "bass": bass}, title)
    return ComposedScore(
        score=score,
        scene_starts=timeline.scene_starts,
        scene_durations=timeline.scene_durations,
        total_seconds=timeline.scene_starts[-1] + timeline.scene_durations[-1],
        harmony=spans,
        timeline=timeline,
    )


def _check_boundaries(plans: Sequence[ScenePlan], timeline: Timeline, fps: int) -> None:
    """Guard the promise that every boundary lands within one frame of its target."""
    target = 0.0
    for plan, start, duration in zip(plans, timeline.scene_starts, timeline.scene_durations,
                                     strict=True):
        if abs(start - target) > 1.0 / fps:
            raise StoryscoreError(
                f"music for scene {plan.scene_id!r} starts at {start:.3f} s, "
                f"not {target:.3f} s", hint="this is a bug in the composer; please report it")
        if duration < plan.duration - 1.0 / fps:
            raise StoryscoreError(
                f"music for scene {plan.scene_id!r} lasts {duration:.3f} s, "
                f"shorter than {plan.duration:.3f} s",
                hint="this is a bug in the composer; please report it")
        target = start + (duration if plan.flexible else plan.duration)
