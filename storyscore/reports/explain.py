"""``storyscore explain``: each scene's musical plan and the picture evidence for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from storyscore.analyse import PictureFeatures
from storyscore.compose.orchestration import held
from storyscore.model import Story
from storyscore.paint.base import ExplainsWords, Understands
from storyscore.pipeline.mapping import SceneMusic
from storyscore.pipeline.pictures import painter_for, request_for
from storyscore.timeline import all_paths

if TYPE_CHECKING:
    from storyscore.compose import ComposedScore, HarmonySpan, ScenePlan, Timeline


def picture_notes(story: Story) -> dict[str, str]:
    """Per scene, where its picture comes from and what the painter understood."""
    painter = painter_for(story) if any(s.image is None for s in story.scenes) else None
    notes = {}
    for scene in story.scenes:
        if scene.image is not None:
            notes[scene.id] = f"the author's image {scene.image}"
        elif isinstance(painter, Understands):
            request = request_for(story, scene)
            concepts = painter.understood(request)
            notes[scene.id] = (f"{painter.name} painter, understood: "
                               + (", ".join(concepts) if concepts else "nothing it knows"))
            if isinstance(painter, ExplainsWords):
                notes[scene.id] += "\n  words: " + "; ".join(painter.word_notes(request))
        elif painter is not None:
            notes[scene.id] = f"{painter.name} painter"
    return notes


def explain(story: Story, features: Mapping[str, PictureFeatures],
            music: Mapping[str, SceneMusic], notes: Mapping[str, str] | None = None) -> str:
    """The plan as text: one block per scene, choices first, then the reasons."""
    blocks = [f"{story.title}: the music, scene by scene"]
    played = played_instruments(story, music)
    for scene in story.scenes:
        m, f = music[scene.id], features[scene.id]
        (instruments, _), *elsewhere = played[scene.id]
        head = (f"{scene.id} ({scene.title}): {m.key_name}, {m.tempo:g} BPM, "
                f"{_ensemble(instruments)}, {m.texture} texture"
                + (", silent" if m.silent else "")
                + (f", volume {m.volume:g}" if m.volume != 1 else ""))
        lines = [head]
        if notes and scene.id in notes:
            lines.append(f"  picture: {notes[scene.id]}")
        lines += [f"  colour and shape: L* {f.lightness_mean:.0f}, chroma {f.chroma_mean:.0f}, "
                 f"a* {f.a_mean:+.0f}, b* {f.b_mean:+.0f}, warmth {f.warmth:+.2f}, "
                 f"edges {f.edge_density:.2f}, texture {f.texture_fineness:.2f}, "
                 f"angularity {f.angularity:.2f}, complexity {f.complexity:.2f}",
                 f"  emotion: valence {m.valence:+.2f}, arousal {m.arousal:+.2f}, "
                 f"tension {m.tension:.2f}"]
        lines += [f"  - {r.choice}: {r.because}" for r in m.reasons]
        # What plays is what the composer gets: the instruments held through a section.
        if instruments != _own(m):
            lines.append(f"  - instruments held through the section: its own colour "
                         f"would give {_ensemble(_own(m))}")
        lines += [f"  - on the path {' -> '.join(ids)}: {_ensemble(other)}"
                  for other, ids in elsewhere]
        blocks.append("\n".join(lines))
    if story.characters:
        blocks.append("\n".join(leitmotif_lines(story, music)))
    return "\n\n".join(blocks) + "\n"


Instruments = tuple[str, str, str | None]  # melody, accompaniment, bass, by name


def played_instruments(story: Story, music: Mapping[str, SceneMusic]
                       ) -> dict[str, list[tuple[Instruments, tuple[str, ...]]]]:
    """Per scene, the instruments it plays: held through a section along each path
    through it (``compose.orchestration.held``, as the planner gives them to the
    composer), one entry per different choice with the first path that plays it
    (the default path first)."""
    played: dict[str, list[tuple[Instruments, tuple[str, ...]]]] = {
        s.id: [] for s in story.scenes}
    for path in all_paths(story):
        ids = tuple(s.id for s in path)
        chosen = [story.music_of(s).instruments is not None for s in path]
        for scene_id, instruments in zip(
                ids, held([music[i] for i in ids], _own, chosen), strict=True):
            if all(instruments != seen for seen, _ in played[scene_id]):
                played[scene_id].append((instruments, ids))
    for scene in story.scenes:  # a scene no path reaches plays its own, if ever
        played[scene.id] = played[scene.id] or [(_own(music[scene.id]), ())]
    return played


def _own(music: SceneMusic) -> Instruments:
    """The instruments the planner chose for a scene by its own colour."""
    return music.melody, music.accompaniment, music.bass


def _ensemble(instruments: Instruments) -> str:
    melody, accompaniment, bass = instruments
    return f"{melody} with {accompaniment}" + (f" and {bass}" if bass else "")


def leitmotif_lines(story: Story, music: Mapping[str, SceneMusic]) -> list[str]:
    """Each character's leitmotif, why it is so, and in which scenes it sounds, how varied."""
    from storyscore.compose.leitmotif import SceneCast, characters_in, describe, plan_leitmotifs

    ids = [c.id for c in story.characters]
    cast = [SceneCast(s.id, characters_in([s.prompt or "", s.narration_text], ids),
                      music[s.id].tonic, music[s.id].mode, music[s.id].arousal,
                      music[s.id].valence, music[s.id].silent) for s in story.scenes]
    motifs = plan_leitmotifs([(c.id, c.description) for c in story.characters], cast)
    return ["Leitmotifs, one per character", *describe(motifs, cast)]


def path_notes(plans: Sequence[ScenePlan], composed: ComposedScore) -> str:
    """How the composed music moves from each scene of a path to the next: the key
    change (pivot, route or phrase modulation), the tempo change, and the ending."""
    from storyscore.compose.harmony import scene_key

    timeline = composed.timeline
    spans = sorted(composed.harmony, key=lambda s: s.offset)
    bar_number = {bar.index: bar.index + 1 for bar in timeline.bars}
    lines = [f"How the music moves on, along the path {' -> '.join(p.scene_id for p in plans)}"]
    for i in range(len(plans) - 1):
        head = f"- {plans[i].scene_id} -> {plans[i + 1].scene_id}: "
        boundary = timeline.scene_offsets[i + 1]
        if timeline.through(i + 1):
            lines.append(head + _flash_note(i, plans, timeline, bar_number))
            continue
        # A flash scene plays its host's music: the boundary moves from host to host.
        old, new = plans[timeline.host(i)], plans[timeline.host(i + 1)]
        bar = bar_number[next(b.index for b in timeline.bars if abs(b.offset - boundary) < 1e-6)]
        if new.silent:
            lines.append(head + f"the music closes on a cadence and rests from bar {bar}")
            continue
        if old.silent:
            lines.append(head + f"the music starts again in {scene_key(new)} at bar {bar}")
            continue
        lines.append(head + _key_change(i, [*plans[:i], old, new, *plans[i + 2:]],
                                        _by_host(spans, timeline, i), boundary, bar)
                     + "; " + _tempo_change(i, composed))
    last = max((i for i, p in enumerate(plans) if not p.silent), default=None)
    if last is not None:
        lines.append(f"- the piece ends in {scene_key(plans[last])} on a cadence (V7-I), "
                     "its last chord held")
    return "\n".join(lines) + "\n"


def _flash_note(i: int, plans: Sequence[ScenePlan], timeline: Timeline,
                bar_number: Mapping[int, int]) -> str:
    """A boundary the music plays through: one side is a flash, too short for a bar."""
    boundary = timeline.scene_offsets[i + 1]
    bar = bar_number[max(b.index for b in timeline.bars if b.offset <= boundary + 1e-6)]
    host = plans[timeline.host(i + 1)].scene_id
    if timeline.host(i + 1) != i + 1:
        flash = plans[i + 1]
        return (f"a flash cut ({flash.scene_id} lasts {flash.duration:g} s, too short for a "
                f"bar): the music of {host} plays through it, mid-bar {bar}, no new tempo")
    return (f"{plans[i].scene_id} was a flash ({plans[i].duration:g} s, too short for a bar), "
            f"the opening of {host}'s music; {host} comes in mid-bar {bar}, no new tempo")


def _by_host(spans: Sequence[HarmonySpan], timeline: Timeline, i: int) -> list[HarmonySpan]:
    """The chords around boundary ``i``, a flash's given to the scene whose music it plays
    (every chord of scene ``i``'s group as ``i``'s, of the next group as ``i + 1``'s)."""
    if not timeline.hosts:
        return list(spans)
    import dataclasses

    side = {timeline.host(i): i, timeline.host(i + 1): i + 1}
    return [dataclasses.replace(s, scene=side.get(timeline.host(s.scene), -1)) for s in spans]


def _key_change(i: int, plans: Sequence[ScenePlan], spans: Sequence[HarmonySpan],
                boundary: float, bar: int) -> str:
    from storyscore.compose.harmony import scene_key
    from storyscore.compose.theory import key_route

    old, new = scene_key(plans[i]), scene_key(plans[i + 1])
    if old.same_as == new.same_as:
        return f"stays in {old}, a cadence on the downbeat of bar {bar}"
    before = [s for s in spans if s.scene == i]
    after = [s for s in spans if s.scene == i + 1]
    if before and after and after[0].offset - before[-1].end > 1e-6:
        via = [str(k) for k in key_route(old, new)[1:-1]]
        # Neighbouring keys have no route to name, only the pivot chord that did not fit.
        room = (f"the route through {', '.join(via)} at two bars a step" if via
                else "a pivot chord")
        return (f"{old} closes on its tonic and rests a beat, and {new} begins afresh on "
                f"the downbeat of bar {bar} (a phrase modulation: no room for {room})")
    # The keys the chords pass through, from the last chord in the old key on.
    start = max((k for k, s in enumerate(before) if s.chord.key.same_as == old.same_as),
                default=0)
    passage = before[start:] + after
    keys: list[str] = []
    for span in passage:
        if not keys or keys[-1] != str(span.chord.key):
            keys.append(str(span.chord.key))
        if span.chord.key.same_as == new.same_as and span.chord.figure in ("I", "i"):
            arrival = span
            break
    else:
        arrival = None
    pivot = before[start] if before else None
    text = f"modulates from {old} to {new}"
    if len(keys) > 2:
        text += f" through {', '.join(keys[1:-1])}, two bars a step"
    if pivot is not None and pivot.chord.figure not in ("I", "i"):
        text += f", pivoting on {pivot.chord.figure} of {old}"
    if arrival is not None:
        where = ("on the downbeat of bar" if abs(arrival.offset - boundary) < 1e-6
                 else "in bar")
        text += f", its tonic arriving {where} {arrival.bar + 1}"
    return text


def _tempo_change(i: int, composed: ComposedScore) -> str:
    timeline = composed.timeline
    slow, fast = timeline.tempos[i], timeline.tempos[i + 1]
    if abs(fast / slow - 1) < 0.03:  # a scene's tempo is fitted within 5 % of its target
        return f"tempo stays near {fast:.0f} BPM"
    boundary = timeline.scene_offsets[i + 1]
    if any(m.breath and abs(m.offset - boundary) < 1e-6 for m in timeline.marks):
        return (f"tempo {slow:.0f} -> {fast:.0f} BPM: a breath after the cadence, the new "
                "tempo on the bar line, the rest ramped")
    ramp = next((r for r in timeline.ramps if r.start <= boundary <= r.end), None)
    kind = ramp.kind if ramp is not None else "ramp"
    return f"tempo {slow:.0f} -> {fast:.0f} BPM, {kind} around the boundary, at most 3 % a beat"
