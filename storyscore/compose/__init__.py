"""Compose one continuous score for a story path from per-scene musical plans.

``compose(plans, fps=, seed=, meter=, characters=)`` turns scene plans (built
from the pictures by the planner) into a single music21 Score: one meter and a
bar grid whose every scene boundary is a downbeat within a video frame of a cut
or inside a transition (``timeline``), mood-driven phrases with cadences and
pivot-chord modulations (``harmony``), the story's theme stated, varied and
brought back (``theme``) in a melody that follows each picture's skyline
(``melody``), a leitmotif part for every character named in a scene
(``leitmotif``), and the accompaniment texture and bass (``texture``),
assembled in ``score``.

Per-scene ``volume`` is applied to the MIDI velocities, scaled by
``sqrt(volume)``: under General MIDI's velocity curve (level in dB =
40·log10(v/127)) that multiplies the scene's amplitude by ``volume``, so the
mixer needs no per-scene gain. A scene with volume 0 is silent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from storyscore.compose.flash import (
    flash_groups,
    merge_plans,
    scene_at,
    sounding_plans,
    spread_timeline,
)
from storyscore.compose.harmony import HarmonySpan, plan_harmony, scene_key
from storyscore.compose.leitmotif import (
    Leitmotif,
    LeitmotifStatement,
    cast_of,
    compose_leitmotifs,
    plan_leitmotifs,
)
from storyscore.compose.melody import backdrop, compose_melody, density_level
from storyscore.compose.request import METERS, ScenePlan, check_plans
from storyscore.compose.score import ComposedScore, build_score, score_programs
from storyscore.compose.texture import compose_accompaniment
from storyscore.compose.theme import ThemeStatement, build_theme, plan_statements
from storyscore.compose.theory import Key
from storyscore.compose.timeline import Timeline, build_timeline, story_meter
from storyscore.errors import StoryscoreError

__all__ = ["ComposedScore", "HarmonySpan", "Leitmotif", "LeitmotifStatement", "ScenePlan",
           "ThemeStatement", "Timeline", "compose"]


def compose(
    plans: Sequence[ScenePlan], *, fps: int, seed: int, title: str = "",
    meter: str | None = None, characters: Sequence[tuple[str, str]] = (),
) -> ComposedScore:
    """Compose the music of a story path; the same plans and seed give the same score.

    ``meter`` is the author's time signature for the whole story (``"3/4"``);
    without one, the story's mood chooses it. ``characters`` are the story's
    ``(id, description)`` pairs: each gets a leitmotif, heard in the scenes whose
    plans name it.
    """
    plans = list(plans)
    check_plans(plans, fps)
    if meter is not None and meter not in METERS:
        raise ValueError(f"meter must be one of {', '.join(METERS)}, got {meter!r}")
    chosen = story_meter(plans, meter)
    # Flash scenes (too short for a bar inside the tempo band) are composed as part of
    # their neighbour, and mapped back onto every scene once composed.
    groups = flash_groups(plans, chosen, fps)
    merged = merge_plans(plans, groups, chosen)
    spread = merged != plans
    timeline = build_timeline(merged, chosen, fps)
    _check_boundaries(merged, timeline, fps)
    spans = plan_harmony(merged, timeline, seed)
    accompaniment, bass = compose_accompaniment(merged, timeline, spans)
    theme = build_theme(merged, timeline.meter, seed)
    statements = plan_statements(
        merged, [_own_bars(i, merged[i], timeline, spans) for i in range(len(merged))],
        [density_level(p) for p in merged], [_narrated_share(p) for p in merged],
        timeline.scene_offsets, timeline.meter.bar)
    melody = compose_melody(merged, timeline, spans, seed,
                            backdrop(merged, spans, (accompaniment, bass)), theme, statements)
    motifs = plan_leitmotifs(characters, cast_of(plans))
    motif_parts, heard = compose_leitmotifs(motifs, merged, timeline, spans)
    if spread:
        timeline = spread_timeline(timeline, plans, groups)
        spans = tuple(dataclasses.replace(s, scene=scene_at(timeline.scene_offsets, s.offset))
                      for s in spans)
        heard = [_named_scene(s, plans, timeline) for s in heard]
        plans = sounding_plans(plans, groups)
        _check_boundaries(plans, timeline, fps)  # and each flash at its own moment
    parts = {"melody": melody, "accompaniment": accompaniment, "bass": bass, **motif_parts}
    part_programs = {motif.part: motif.program for motif in motifs}
    score = build_score(plans, timeline, spans, parts, title, part_programs)
    return ComposedScore(
        score=score,
        scene_starts=timeline.scene_starts,
        scene_durations=timeline.scene_durations,
        total_seconds=timeline.scene_starts[-1] + timeline.scene_durations[-1],
        harmony=spans,
        timeline=timeline,
        part_events=parts,
        programs=score_programs(plans, parts, part_programs),
        leitmotifs=tuple(heard),
    )


def _named_scene(statement: LeitmotifStatement, plans: Sequence[ScenePlan], timeline: Timeline
                 ) -> LeitmotifStatement:
    """A statement composed for a group, given to the scene it falls in if that scene names
    its character, else to the group's first scene that does (a flash's character is heard
    in the music that plays through the flash)."""
    scene = scene_at(timeline.scene_offsets, statement.offset)
    if statement.character not in plans[scene].characters:
        group = [i for i in range(len(plans)) if timeline.host(i) == timeline.host(scene)]
        scene = next((i for i in group if statement.character in plans[i].characters), scene)
    return dataclasses.replace(statement, scene=scene)


def _check_boundaries(plans: Sequence[ScenePlan], timeline: Timeline, fps: int) -> None:
    """Guard the promises: every scene's downbeat lands within a frame of its start (within
    the transition's window where one covers the boundary), and no scene is shorter than
    asked."""
    target = 0.0
    for plan, start, duration, downbeat in zip(plans, timeline.scene_starts,
                                               timeline.scene_durations, timeline.music_starts,
                                               strict=True):
        if abs(start - target) > 1.0 / fps or abs(downbeat - start) > max(1.0 / fps,
                                                                             plan.lead_in + 1e-6):
            raise StoryscoreError(
                f"music for scene {plan.scene_id!r} starts at {downbeat:.3f} s, "
                f"not {target:.3f} s", hint="this is a bug in the composer; please report it")
        if duration < plan.duration - 1.0 / fps:
            raise StoryscoreError(
                f"music for scene {plan.scene_id!r} lasts {duration:.3f} s, "
                f"shorter than {plan.duration:.3f} s",
                hint="this is a bug in the composer; please report it")
        target = start + (duration if plan.flexible else plan.duration)


def _narrated_share(plan: ScenePlan) -> float:
    """The share of a scene's length under its narration."""
    spoken = sum(max(0.0, min(end, plan.duration) - start) for start, end in plan.narration)
    return spoken / plan.duration


def _own_bars(i: int, plan: ScenePlan, timeline: Timeline, spans: Sequence[HarmonySpan]
              ) -> tuple[int, int]:
    """The scene's first run of bars whose chords are all in its own key: (first, count),
    scene-relative."""
    key = scene_key(plan)
    bars = timeline.scene_bars(i)
    keys: dict[int, set[Key]] = {bar.index: set() for bar in bars}
    for span in spans:
        if span.scene == i:
            keys[span.bar].add(span.chord.key)
    own = [b for b, bar in enumerate(bars) if keys[bar.index] and all(
        k.same_as == key.same_as for k in keys[bar.index])]
    if not own:
        return 0, 0
    count = 1
    while own[0] + count in own:
        count += 1
    return own[0], count
