"""Accompaniment textures and the bass line.

The accompaniment voices each chord close to the previous voicing (least total
movement) an octave or so below the melody, then plays it as the scene's
texture: a sustained ``pad``, a rising-and-falling ``arpeggio``, an
``alberti`` bass (low–high–middle–high), ``block`` chords on the beats (on
beats 2 and 3 of a 3/4 bar when a bass takes beat 1: a waltz), or an
``ostinato`` of eighths grouped 3+3+2; a pad leans on a 4–3 suspension at a
half cadence. The bass plays the chord's bass note (the root, for
root-position chords) in the octave nearest its last note, always with a
rhythm (``_bass_rhythm``); it answers in the other octave, kept under the
chord, not on the fifth, which under the chord would make a six-four. A calm
scene opens over a tonic pedal while its chords hold the tonic as root or
third. Under narration every texture thins to fewer, softer notes. Scenes
without a bass instrument get their bass notes in the accompaniment. Every
event carries its marks for the notation (staccato, accents, the scene's
dynamic).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from storyscore.compose.harmony import HarmonySpan
from storyscore.compose.melody import density_level
from storyscore.compose.notes import NoteEvent, clamp_velocity, dynamic_mark
from storyscore.compose.request import ScenePlan, instrument_range
from storyscore.compose.theory import Chord
from storyscore.compose.timeline import Meter, Timeline

_BASS_RANGE = (31, 52)  # G1..E3
_OSTINATO_FIGURE = (0, 2, 1, 0, 2, 1, 2, 1)  # voicing indices, eighths grouped 3+3+2
_OSTINATO_ACCENTS = (0, 3, 6)


def _voicings(chord: Chord, low: int, high: int) -> list[tuple[int, ...]]:
    """Close-position voicings of ``chord`` (every inversion) lying in ``low..high``."""
    pcs = list(chord.pcs)
    out = []
    for rotation in range(len(pcs)):
        order = pcs[rotation:] + pcs[:rotation]
        for base in range(low, low + 12):
            if base % 12 != order[0]:
                continue
            notes = [base]
            for pc in order[1:]:
                nxt = notes[-1] + 1
                while nxt % 12 != pc:
                    nxt += 1
                notes.append(nxt)
            if notes[-1] <= high:
                out.append(tuple(notes))
    return out


def _choose_voicing(
    chord: Chord, previous: tuple[int, ...] | None, center: int, ceiling: int,
    playable: tuple[int, int] = (0, 127),
) -> tuple[int, ...]:
    """The voicing of ``chord`` nearest the last one, around ``center``, under ``ceiling``
    and inside the instrument's ``playable`` range (a flute never plays below C4, so its
    chords move up an octave rather than into notes it has not got)."""
    low, high = playable
    candidates = _voicings(chord, max(low, center - 9), min(high, max(center + 7, ceiling)))
    if not candidates:
        candidates = _voicings(chord, max(low, center - 12), min(high, center + 14))
    if not candidates:
        candidates = _voicings(chord, low, high)

    def cost(v: tuple[int, ...]) -> float:
        spread = abs(sum(v) / len(v) - center) * 0.5 + max(0, v[-1] - ceiling) * 3.0
        if previous is None:
            return spread
        moves = sorted(abs(a - b) for a in v for b in previous)[: len(v)]
        return sum(moves) + spread * 0.6

    return min(candidates, key=lambda v: (cost(v), v))


def bass_range(program: int) -> tuple[int, int]:
    """Where a bass line lies: G1..E3, inside the bass instrument's range (a cello's from
    C2, timpani's from D2); an instrument too high for a bass line plays its lowest
    octave and a half."""
    low, high = instrument_range(program)
    bounded = (max(low, _BASS_RANGE[0]), min(high, _BASS_RANGE[1]))
    if bounded[1] - bounded[0] >= 11:
        return bounded
    return low, min(high, low + 19)


def _with_own_bass(voicing: tuple[int, ...], chord: Chord, bass_pitch: int,
                   playable: tuple[int, int]) -> tuple[int, ...]:
    """The accompaniment's chord over its own bass note (a scene without a bass
    instrument), all inside the instrument's range.

    The bass note lies below the whole voicing, so that a root-position chord
    never turns into a six-four; where the instrument has no room below the
    chord (a flute's lowest notes), the chord is voiced from its bass note up.
    """
    low, high = playable
    low_bass = bass_pitch + 12
    while low_bass >= voicing[0]:
        low_bass -= 12
    while low_bass < low and low_bass + 12 < voicing[0]:
        low_bass += 12
    if low_bass >= low:
        return (low_bass, *voicing)
    start = low + (chord.bass - low) % 12
    stacked = [start]
    for pc in sorted({p for p in chord.pcs if p != chord.bass},
                     key=lambda p: (p - chord.bass) % 12):
        nxt = stacked[-1] + 1
        while nxt % 12 != pc:
            nxt += 1
        stacked.append(nxt)
    notes = tuple(sorted(stacked))
    return notes if notes[-1] <= high else voicing


def _nearest(pc: int, previous: int, low: int, high: int) -> int:
    options = [p for p in range(low, high + 1) if p % 12 == pc]
    return min(options, key=lambda p: (abs(p - previous), p))


def _windows(i: int, plan: ScenePlan, timeline: Timeline) -> list[tuple[float, float]]:
    start = timeline.scene_starts[i]
    return [(timeline.offset_at(start + a), timeline.offset_at(start + b))
            for a, b in plan.narration]


def _quiet(offset: float, end: float, windows: list[tuple[float, float]]) -> bool:
    return any(offset < b and a < end for a, b in windows)


def _articulate(length: float, staccato: float) -> float:
    if staccato < 0.3 or length <= 0.25:
        return length
    return max(0.25, math.floor(length * (1 - 0.5 * staccato) * 4 + 1e-9) / 4)


def _figure(
    texture: str, span: HarmonySpan, voicing: tuple[int, ...], plan: ScenePlan, level: int,
    quiet: bool, meter: Meter, has_bass: bool, bar_offset: float, top: int = 127,
) -> list[tuple[float, float, tuple[int, ...], float]]:
    """(offset, length, pitches, accent) notes of one chord in the given texture."""
    start, length = span.offset, span.length
    notes: list[tuple[float, float, tuple[int, ...], float]] = []

    def run(step: float, pitch_at: list[tuple[int, ...]], accents: Sequence[int] = ()) -> None:
        count = max(1, int(length // step + 1e-9))
        for k in range(count):
            pitches = pitch_at[k % len(pitch_at)]
            size = step if k < count - 1 else length - step * (count - 1)
            notes.append((start + k * step, size, pitches, 1.15 if k in accents else 1.0))

    if texture == "pad" or (quiet and texture in ("arpeggio", "alberti")):
        # Under narration a broken chord thins to the held chord: thinned to a beat a note,
        # it would sound only some of its tones (a bare fifth, say, or the third twice as
        # long as the root), which leaves a short scene's key in doubt.
        notes.append((start, length, voicing, 1.0))
    elif texture == "arpeggio" and length // _broken_step(texture, plan, level) >= 3:
        # The arpeggio turns on the octave of its lowest note, where the instrument has it.
        up = [*voicing, voicing[0] + 12] if voicing[0] + 12 <= top else list(voicing)
        cycle = up + up[-2:0:-1]
        run(_broken_step(texture, plan, level), [(p,) for p in cycle])
    elif texture == "alberti" and length // _broken_step(texture, plan, level) >= 3:
        low, mid, high = voicing[0], *_alberti_upper(span.chord, voicing)
        run(_broken_step(texture, plan, level), [(low,), (high,), (mid,), (high,)])
    elif texture in ("arpeggio", "alberti"):
        # Too short to break into three notes: a broken chord would drop a chord tone.
        notes.append((start, length, voicing, 1.0))
    elif texture == "block":
        if meter.bar == 3 and meter.beat == 1 and has_bass and abs(start - bar_offset) < 1e-9 \
                and length >= 3:
            # Waltz: the bass takes the downbeat, the chords answer on 2 and 3.
            for k in (1, 2):
                notes.append((start + k, 1.0, voicing, 1.0))
        else:
            step = 2.0 if quiet else (0.5 if level >= 3 else 1.0)
            run(min(step, length), [voicing], accents=(0,))
    else:  # ostinato
        step = 1.0 if quiet else 0.5
        # Three tones: the lowest and two others, the third among them (see _alberti_upper).
        tones = (voicing[0], *_alberti_upper(span.chord, voicing))
        figure: list[tuple[int, ...]] = [(tones[k],) for k in _OSTINATO_FIGURE]
        phase = round((start - bar_offset) / step)
        figure = figure[phase % len(figure):] + figure[: phase % len(figure)]
        run(step, figure, accents=() if quiet else tuple(
            (a - phase) % len(figure) for a in _OSTINATO_ACCENTS))
    return notes


def _broken_step(texture: str, plan: ScenePlan, level: int) -> float:
    """Note length of an arpeggio or Alberti figure (not under narration)."""
    fast = 110 if texture == "arpeggio" else 100
    return 0.25 if level >= 4 and plan.tempo < fast else 0.5


def _alberti_upper(chord: Chord, voicing: tuple[int, ...]) -> tuple[int, int]:
    """The middle and top notes of an Alberti figure over ``voicing[0]``.

    Three notes sound in the figure, so they should be three different chord
    tones, the third above all (it tells major from minor), then the seventh.
    """
    third = chord.pcs[1] if len(chord.pcs) > 1 else chord.pcs[0]
    rank = {pc: n for n, pc in enumerate(
        [third, *chord.pcs[3:], chord.pcs[0], *chord.pcs[2:3]])}
    above = [p for p in voicing[1:] if p % 12 != voicing[0] % 12] or list(voicing[1:])
    if len(above) < 2:
        return voicing[len(voicing) // 2], voicing[-1]
    picked: list[int] = []
    for p in sorted(above, key=lambda p: (rank.get(p % 12, 9), -p)):
        if all(q % 12 != p % 12 for q in picked):
            picked.append(p)
    picked = sorted(picked[:2]) if len(picked) >= 2 else [above[-2], above[-1]]
    return picked[0], picked[1]


def _suspended(span: HarmonySpan, voicing: tuple[int, ...], top: int = 127
               ) -> list[tuple[float, float, tuple[int, ...], float]]:
    """A held chord whose third is first suspended a fourth above the bass (4–3): the
    half cadence leans on the dominant before it settles (if the instrument reaches
    the fourth: under ``top``)."""
    third = span.chord.pcs[1] if len(span.chord.pcs) > 1 else None
    fourth = (span.chord.pcs[0] + 5) % 12
    if third is None or not any(p % 12 == third for p in voicing):
        return [(span.offset, span.length, voicing, 1.0)]
    suspended = tuple(p + (fourth - third) % 12 if p % 12 == third else p for p in voicing)
    if max(suspended) > top:
        return [(span.offset, span.length, voicing, 1.0)]
    half = span.length / 2
    return [(span.offset, half, tuple(sorted(suspended)), 1.0),
            (span.offset + half, span.length - half, voicing, 1.0)]


def _marked(event: NoteEvent, accent: float, plan: ScenePlan, first: bool) -> NoteEvent:
    """An accompaniment event with its marks: accents of an ostinato or block chords,
    staccato where articulation shortened it, the scene's dynamic on its first event."""
    marks = []
    if event.length < 1 and plan.staccato >= 0.3 and plan.texture in ("block", "ostinato"):
        marks.append("staccato")
    if accent > 1.05:
        marks.append("accent")
    return dataclasses.replace(
        event, articulation="+".join(marks),
        dynamic=dynamic_mark(event.velocity / 0.68) if first else "")


def _bass_rhythm(
    plan: ScenePlan, span: HarmonySpan, level: int, quiet: bool, meter: Meter
) -> list[tuple[float, float, bool]]:
    """(offset, length, answering) bass notes for one chord; an answering note sounds the
    bass an octave away (a fifth there would turn the chord into a six-four).

    The bass always has a rhythm: half notes (root, octave) under calm scenes and
    narration; dotted quarters, or a rocking long–short, in compound time; the
    waltz's downbeat in 3/4 block chords; quarters walking between the octaves
    in lively block and Alberti scenes; pulsing eighths under an ostinato.
    """
    start, length = span.offset, span.length

    def pattern(values: Sequence[float]) -> list[tuple[float, float, bool]]:
        out: list[tuple[float, float, bool]] = []
        position, k = start, 0
        while position < start + length - 1e-9:
            size = min(values[k % len(values)], start + length - position)
            out.append((position, size, k % 2 == 1))
            position += size
            k += 1
        return out

    if length < 1:
        return [(start, length, False)]
    if meter.beat == 1.5:
        return pattern((1.0, 0.5) if level >= 2 and not quiet else (1.5,))
    if meter.bar == 3 and plan.texture == "block" and not quiet:
        return [(start, 1.0, False)] + ([(start + 1, length - 1, True)] if length > 3 else [])
    if quiet or plan.texture in ("pad", "arpeggio") or level <= 1:
        return pattern((2.0, 1.0) if meter.bar == 3 else (2.0,))
    if plan.texture == "ostinato" and level >= 3:
        return pattern((0.5,))
    if plan.texture == "ostinato":
        return pattern((1.5, 1.5, 1.0))
    if level >= 3:
        return pattern((1.0,))
    return pattern((2.0, 1.0) if meter.bar == 3 else (2.0,))


def _pedal(plan: ScenePlan, span: HarmonySpan, scene_spans: Sequence[HarmonySpan]) -> bool:
    """Whether the bass holds the tonic under this chord: a pedal through a calm scene's
    opening, for as long as every chord so far has the tonic as its root or third (I, vi,
    so that the pedal never makes a six-four)."""
    if plan.arousal >= -0.2 or plan.tension >= 0.4:
        return False
    tonic = span.chord.key.pc
    for other in scene_spans:
        # Under a chord whose fifth the tonic is (IV), a tonic bass would make a six-four.
        if tonic not in other.chord.pcs[:2] or other.chord.key != span.chord.key:
            return False
        if other is span:
            return True
    return False


def compose_accompaniment(
    plans: Sequence[ScenePlan], timeline: Timeline, spans: Sequence[HarmonySpan]
) -> tuple[list[NoteEvent], list[NoteEvent]]:
    """The accompaniment and bass parts of the whole path."""
    accompaniment: list[NoteEvent] = []
    bass: list[NoteEvent] = []
    voicing: tuple[int, ...] | None = None
    last_bass = 40
    bar_offsets = {bar.index: bar.offset for bar in timeline.bars}
    for i, plan in enumerate(plans):
        if plan.silent or plan.volume <= 0:
            continue
        windows = _windows(i, plan, timeline)
        level = density_level(plan)
        base = plan.velocity * math.sqrt(plan.volume)
        center = plan.register - 14
        ceiling = plan.register - 3
        has_bass = plan.bass_program is not None
        playable = instrument_range(plan.accompaniment_program)
        low_bass, high_bass = (bass_range(plan.bass_program) if plan.bass_program is not None
                               else _BASS_RANGE)
        answer_top = max(high_bass, min(instrument_range(plan.bass_program)[1], _BASS_RANGE[1] + 7)
                         if plan.bass_program is not None else high_bass)
        meter = timeline.meter
        scene_spans = [s for s in spans if s.scene == i]
        for span in (s for s in spans if s.scene == i):
            quiet = _quiet(span.offset, span.end, windows)
            previous = voicing
            voicing = _choose_voicing(span.chord, previous, center, ceiling, playable)
            pedal = _pedal(plan, span, scene_spans)
            bass_pitch = _nearest(span.chord.key.pc if pedal else span.chord.bass, last_bass,
                                  low_bass, high_bass)
            last_bass = bass_pitch
            soft = 0.7 if quiet else 1.0
            if has_bass:
                # The chord lies above the bass, so that a root-position chord stays one:
                # the bass drops an octave, or else the chord is voiced again above it.
                while voicing[0] <= bass_pitch and bass_pitch - 12 >= low_bass:
                    bass_pitch -= 12
                if voicing[0] <= bass_pitch and bass_pitch < playable[1] - 12:
                    voicing = _choose_voicing(span.chord, previous, center, ceiling,
                                              (max(playable[0], bass_pitch + 1), playable[1]))
                last_bass = bass_pitch
                upper = voicing
            else:
                upper = _with_own_bass(voicing, span.chord, bass_pitch, playable)
            if span.cadence == "final":
                # The last chord is struck once and held: the piece ends, it does not stop.
                figure = [(span.offset, span.length, upper, 1.0)]
            elif span.cadence == "half" and plan.texture == "pad" and span.length >= 2:
                figure = _suspended(span, upper, playable[1])
            else:
                figure = _figure(plan.texture, span, upper, plan, level, quiet, meter, has_bass,
                                 bar_offsets[span.bar], playable[1])
            for offset, length, pitches, accent in figure:
                velocity = base * 0.68 * soft * accent * (0.85 if plan.texture == "pad" else 1.0)
                # Detached block chords and ostinato notes sound shorter than written: the
                # score shows the figure's value with a staccato dot, not a shorter note
                # and a rest.
                sound = (_articulate(length, plan.staccato)
                         if plan.texture in ("block", "ostinato") else length)
                accompaniment.append(_marked(NoteEvent(
                    offset, sound, pitches, clamp_velocity(velocity), span.chord,
                    written=length if sound < length - 1e-9 else None), accent,
                    plan, first=not accompaniment or accompaniment[-1].offset
                    < timeline.scene_offsets[i] - 1e-9))
            if not has_bass:
                continue
            # The answering octave stays under the chord: above it, it would turn a
            # root-position chord into an inversion (a six-four under a triad's fifth).
            octave = bass_pitch + 12
            if octave > high_bass or octave >= upper[0]:
                if bass_pitch - 12 >= low_bass:
                    octave = bass_pitch - 12
                elif octave > min(answer_top, upper[0]):
                    octave = bass_pitch
                # else the instrument has no lower octave (a cello's G1): the answer rises
                # above the bass line's range, at most to the chord's own lowest note.
            rhythm = ([(span.offset, span.length, False)] if span.cadence == "final"
                      else _bass_rhythm(plan, span, level, quiet, meter))
            for offset, length, answering in rhythm:
                pitch = octave if answering else bass_pitch
                sound = _articulate(length, plan.staccato) if length < 2 else length
                first = not bass or bass[-1].offset < timeline.scene_offsets[i] - 1e-9
                velocity = clamp_velocity(base * 0.78 * soft)
                bass.append(NoteEvent(
                    offset, sound, (pitch,), velocity, span.chord,
                    articulation="staccato" if sound < length - 1e-9 else "",
                    written=length if sound < length - 1e-9 else None,
                    dynamic=dynamic_mark(velocity / 0.78) if first else ""))
    return _tie_repeats(accompaniment), _tie_repeats(bass)


def _tie_repeats(events: list[NoteEvent]) -> list[NoteEvent]:
    """Tie a sustained chord into an identical one that follows it without a gap."""
    out = list(events)
    for n in range(1, len(out)):
        prev, cur = out[n - 1], out[n]
        if (prev.pitches == cur.pitches and abs(prev.end - cur.offset) < 1e-9
                and prev.length >= 2 and cur.length >= 2 and prev.chord == cur.chord):
            out[n - 1] = dataclasses.replace(out[n - 1], tie_start=True)
            out[n] = dataclasses.replace(cur, tie_stop=True)
    return out
