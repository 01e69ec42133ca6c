"""Flash cuts: scenes too short to hold a bar at a tempo inside the story's band.

A film composer does not re-bar the music for a quarter-second cut: it plays
through it. A scene is a *flash* when even one bar, at the fastest tempo the
band allows (``TEMPO_BAND`` above the story's home tempo), is longer than the
scene and the window its closing downbeat may move in. ``flash_groups`` joins
each flash to the scene before it (a flash that opens the story, to the scene
after it), ``merge_plans`` gives the composer one plan per group (the host's
music, the group's length, every member's narration and characters), and
``spread_timeline`` maps the composed groups back onto every scene: a flash
starts mid-bar, at its own time, and plays its host's music; the boundary
after it is the group's downbeat. A story shorter than one bar is a single
bar at the home tempo that rings past the story's end (the mixer cuts the
music there).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from storyscore.compose.request import ScenePlan
from storyscore.compose.timeline import (
    TEMPO_BAND,
    Bar,
    Meter,
    Timeline,
    closing_window,
    home_tempo,
    scene_tempo,
)


@dataclass(frozen=True)
class Group:
    """Consecutive scenes the music treats as one: ``host`` lends its music to the rest."""

    members: tuple[int, ...]
    host: int


def shortest_bar(plans: Sequence[ScenePlan], meter: Meter) -> float:
    """Seconds of one bar at the fastest tempo inside the story's band."""
    return meter.bar * 60.0 / (home_tempo(plans) * (1 + TEMPO_BAND))


def flash_groups(plans: Sequence[ScenePlan], meter: Meter, fps: int) -> list[Group]:
    """The story's scenes in groups: a scene that holds a bar with the flashes after it
    (and, for the first such scene, the flashes before it)."""
    bar = shortest_bar(plans, meter)
    flash = [not p.flexible and p.duration + closing_window(plans, i, fps) < bar
             for i, p in enumerate(plans)]
    if all(flash) and all(2 * p.duration >= bar for p in plans):
        # No scene holds a bar, yet each holds half of one: they are not glimpses between
        # longer scenes, the story's tempo is too slow for them all. Each keeps its own
        # bar, at most twice the home tempo, the pace they share.
        flash = [False] * len(plans)
    members: list[list[int]] = []
    for i in range(len(plans)):
        if members and (flash[i] or all(flash[j] for j in members[-1])):
            members[-1].append(i)
        else:
            members.append([i])
    groups = []
    for group in members:
        holding = [i for i in group if not flash[i]]
        # A story of flashes only: the longest scene lends its music.
        host = holding[0] if holding else max(group, key=lambda i: (plans[i].duration, -i))
        groups.append(Group(tuple(group), host))
    return groups


def merge_plans(plans: Sequence[ScenePlan], groups: Sequence[Group], meter: Meter
                ) -> list[ScenePlan]:
    """One plan per group: its host's music over the group's length.

    The narration windows and the characters of every member are kept (a flash's
    character is heard in the music that plays through it). The next group's opening
    window is narrowed below half the last member's length, so that the group's
    closing downbeat cannot fall before that member starts. A story shorter than
    one bar is given one bar at its home tempo.
    """
    merged = []
    for g, group in enumerate(groups):
        host = plans[group.host]
        starts = _starts(plans, group)
        narration = tuple((starts[k] + a, starts[k] + b) for k, i in enumerate(group.members)
                          for a, b in plans[i].narration)
        characters = tuple(dict.fromkeys(c for i in (group.host, *group.members)
                                         for c in plans[i].characters))
        duration = sum(plans[i].duration for i in group.members)
        lead_in = plans[group.members[0]].lead_in
        if g and len(groups[g - 1].members) > 1:
            lead_in = min(lead_in, 0.5 * plans[groups[g - 1].members[-1]].duration)
        merged.append(dataclasses.replace(
            host, duration=duration, narration=narration, characters=characters,
            lead_in=lead_in, flexible=any(plans[i].flexible for i in group.members)))
    if len(groups) == 1 and len(plans) and _rings_past(plans, groups[0], meter):
        only = merged[0]
        merged[0] = dataclasses.replace(
            only, duration=meter.bar * 60.0 / scene_tempo(only, home_tempo(plans)))
    return merged


def _rings_past(plans: Sequence[ScenePlan], group: Group, meter: Meter) -> bool:
    """Whether the group (the whole story) is shorter than one bar inside the band."""
    return (not any(plans[i].flexible for i in group.members)
            and sum(plans[i].duration for i in group.members) < shortest_bar(plans, meter))


def _starts(plans: Sequence[ScenePlan], group: Group, host_length: float | None = None
            ) -> list[float]:
    """Each member's start, seconds from the group's start (the host takes ``host_length``)."""
    out, at = [], 0.0
    for i in group.members:
        out.append(at)
        at += host_length if i == group.host and host_length is not None else plans[i].duration
    return out


def sounding_plans(plans: Sequence[ScenePlan], groups: Sequence[Group]) -> list[ScenePlan]:
    """Every scene's plan with its host's music (a flash keeps its id, title and times)."""
    out = list(plans)
    for group in groups:
        host = plans[group.host]
        for i in group.members:
            if i != group.host:
                plan = plans[i]
                out[i] = dataclasses.replace(host, scene_id=plan.scene_id, title=plan.title,
                                             duration=plan.duration, flexible=plan.flexible,
                                             narration=plan.narration, lead_in=plan.lead_in,
                                             characters=plan.characters)
    return out


def spread_timeline(merged: Timeline, plans: Sequence[ScenePlan], groups: Sequence[Group]
                    ) -> Timeline:
    """The composed groups' timeline as every scene's: where each member starts (the
    video's time; in the music, the same moment, kept inside its group's bars), which
    scene each bar belongs to (the one it starts in), and each scene's host."""
    offsets: list[float] = []
    video_starts: list[float] = []
    video_durations: list[float] = []
    music: list[float] = []
    tempos: list[float] = []
    hosts: list[int] = []
    ends = [*merged.scene_offsets[1:], merged.total_quarters]
    for g, group in enumerate(groups):
        own = sum(plans[i].duration for i in group.members if i != group.host)
        # The host takes what an ``auto`` group grew by; else every scene keeps its length
        # (a story shorter than a bar too: its one bar is longer than the video).
        flexible = any(plans[i].flexible for i in group.members)
        host_length = merged.scene_durations[g] - own if flexible else plans[group.host].duration
        starts = _starts(plans, group, host_length)
        for k, i in enumerate(group.members):
            video = merged.scene_starts[g] + starts[k]
            video_starts.append(video)
            video_durations.append(host_length if i == group.host else plans[i].duration)
            tempos.append(merged.tempos[g])
            hosts.append(group.host)
            if k == 0:
                offsets.append(merged.scene_offsets[g])
                music.append(merged.music_starts[g])
                continue
            # Inside the group the music plays on: the member starts at its own moment.
            offset = min(max(merged.offset_at(video), offsets[-1]), ends[g])
            offsets.append(offset)
            music.append(merged.seconds_at(offset))
    bars = _bars_by_scene(merged.bars, offsets)
    story_end = video_starts[-1] + video_durations[-1]
    return dataclasses.replace(
        merged, bars=bars, scene_offsets=tuple(offsets),
        scene_lengths=tuple(b - a for a, b in zip(offsets, [*offsets[1:], merged.total_quarters],
                                                  strict=True)),
        scene_starts=tuple(video_starts), scene_durations=tuple(video_durations),
        meters=tuple(merged.meters[0] for _ in offsets), tempos=tuple(tempos),
        music_starts=tuple(music), hosts=tuple(hosts),
        overhang=max(0.0, merged.seconds_at(merged.total_quarters) - story_end))


def _bars_by_scene(bars: Sequence[Bar], offsets: Sequence[float]) -> tuple[Bar, ...]:
    """The bars, each belonging to the scene in which it starts."""
    out = []
    scene = 0
    for bar in bars:
        while scene + 1 < len(offsets) and offsets[scene + 1] <= bar.offset + 1e-9:
            scene += 1
        out.append(dataclasses.replace(bar, scene=scene))
    return tuple(out)


def scene_at(offsets: Sequence[float], offset: float) -> int:
    """The scene (by its music offsets) in which ``offset`` falls."""
    return max(0, bisect.bisect_right(offsets, offset + 1e-9) - 1)
