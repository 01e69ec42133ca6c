"""Leitmotifs: a motif and an instrument for every character, heard where it appears.

As in Prokofiev's *Peter and the Wolf*, each character gets its own instrument
and a short motif, derived deterministically from the words of its description
and from the scenes it appears in (their mean arousal and valence, read from
the pictures):

* **size sets register and instrument**: small creatures are high (flute,
  piccolo, celesta), large or old ones low (bassoon, cello, horn);
* **speed and temperament set the rhythm**: quick, nimble, playful means short
  and dotted values; slow, sleepy, wise means long ones; without such words the
  scenes' arousal decides;
* **character words set the intervals**: hopeful and brave rise, sly and clever
  turn on chromatic neighbours, sad falls by step, grand and proud leap a
  fourth or fifth; without such words the scenes' valence decides (rising when
  happy, falling when sad);
* **sounds in the words**: an owl's "hoo-hoo" is a falling minor third, a boat
  or a wave rocks in a long–short figure, a bird trills.

The motif sounds in its own part (one instrument for the whole score) in every
scene whose prompt or narration names the character, and in no other: in the
scene's key and mode (its intervals bent to the scene's scale, each note moved
to the chord under it where it would clash), augmented in calm scenes and
detached in lively ones. Two characters in one scene answer each other, the
second a bar after the first.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from storyscore.compose.harmony import HarmonySpan
from storyscore.compose.notes import NoteEvent, clamp_velocity, dynamic_mark
from storyscore.compose.request import ScenePlan, instrument_range
from storyscore.compose.theory import melodic_pcs
from storyscore.compose.timeline import Timeline

_SMALL = ("small", "tiny", "little", "young", "baby", "mouse", "bird", "sparrow", "wren",
          "kitten", "fox", "cub", "fairy", "child", "girl", "boy", "squirrel", "rabbit",
          "hare", "firefly", "bee", "butterfly", "paper")
_LARGE = ("big", "large", "huge", "giant", "old", "great", "bear", "whale", "elephant",
          "owl", "wolf", "king", "troll", "dragon", "grandfather", "ancient", "tall", "heavy")
_QUICK = ("quick", "fast", "nimble", "swift", "playful", "darting", "skipping", "bouncy",
          "lively", "sly", "clever", "curious", "restless", "busy", "fox", "squirrel",
          "rabbit", "hare", "bird", "mouse", "dancing", "eager")
_SLOW = ("slow", "sleepy", "wise", "lazy", "tired", "heavy", "old", "gentle", "patient",
         "calm", "owl", "bear", "ancient", "solemn", "drowsy")
_RISING = ("hopeful", "brave", "happy", "cheerful", "bright", "proud", "kind", "joyful")
_SLY = ("sly", "cunning", "sneaky", "clever", "tricky", "mischievous", "fox")
_SAD = ("sad", "lonely", "lost", "tired", "weary", "grey", "gray")
_GRAND = ("grand", "noble", "proud", "royal", "mighty", "brave", "king", "queen")
_HOOT = ("owl", "hoot", "hoo", "cuckoo")
_ROCK = ("boat", "ship", "wave", "waves", "rocking", "cradle", "sail", "sea", "swing")
_TRILL = ("bird", "sparrow", "songbird", "lark", "robin", "singing", "twitter")

# (register, speed) -> GM programs to choose from, the first free one wins.
_INSTRUMENTS = {
    ("high", "quick"): (73, 72, 71, 9),  # flute, piccolo, clarinet, glockenspiel
    ("high", "slow"): (68, 73, 8, 11),  # oboe, flute, celesta, vibraphone
    ("mid", "quick"): (71, 45, 73, 68),  # clarinet, pizzicato, flute, oboe
    ("mid", "slow"): (71, 69, 60, 68),  # clarinet, english horn, horn, oboe
    ("low", "quick"): (70, 45, 32, 58),  # bassoon, pizzicato, acoustic bass, tuba
    ("low", "slow"): (70, 60, 42, 58),  # bassoon, horn, cello, tuba
}
_REGISTER = {"high": 79, "mid": 67, "low": 52}


@dataclass(frozen=True)
class Leitmotif:
    """A character's motif: rhythm (quarter notes), intervals (semitones), instrument, register."""

    character: str
    rhythm: tuple[float, ...]
    intervals: tuple[int, ...]  # between consecutive notes
    program: int  # General MIDI program of its part
    register: int  # MIDI pitch its first note sits near
    staccato: bool
    reasons: tuple[str, ...]  # why it is so, for explain

    @property
    def part(self) -> str:
        return f"motif:{self.character}"

    @property
    def length(self) -> float:
        return sum(self.rhythm)


@dataclass(frozen=True)
class SceneCast:
    """What the leitmotifs need to know of a scene: who it names, its key and mood."""

    scene_id: str
    characters: tuple[str, ...]
    tonic: str
    mode: str
    arousal: float
    valence: float
    silent: bool


def cast_of(plans: Sequence[ScenePlan]) -> list[SceneCast]:
    return [SceneCast(p.scene_id, p.characters, p.tonic, p.mode, p.arousal, p.valence,
                      p.silent or p.volume <= 0) for p in plans]


@dataclass(frozen=True)
class LeitmotifStatement:
    """One time a leitmotif sounds: where, in which part, its notes' shape, and how varied."""

    character: str
    scene: int
    offset: float  # quarter notes
    part: str
    intervals: tuple[int, ...]  # as played, in semitones
    rhythm: tuple[float, ...]  # as played, in quarter notes
    variation: str


def characters_in(texts: Sequence[str], ids: Sequence[str]) -> tuple[str, ...]:
    """The character ids that ``texts`` name: ``@fox``, ``fox`` or ``foxes``, any case."""
    text = " ".join(texts).lower()
    return tuple(cid for cid in ids
                 if re.search(rf"(?<![\w-])@?{re.escape(cid.lower())}(?:e?s)?(?![\w-])", text))


def _words(description: str) -> set[str]:
    return set(re.findall(r"[a-z]+", description.lower()))


def design(character: str, description: str, plans: Sequence[SceneCast],
           taken: Sequence[int] = ()) -> Leitmotif:
    """A character's leitmotif from its description and the scenes that name it."""
    words = _words(description) | {character.lower()}
    present = [p for p in plans if character in p.characters and not p.silent]
    arousal = sum(p.arousal for p in present) / len(present) if present else 0.0
    valence = sum(p.valence for p in present) / len(present) if present else 0.0
    pick = zlib.crc32(f"{character}:{description}".encode())
    reasons: list[str] = []

    def said(pool: Sequence[str]) -> list[str]:
        return sorted(w for w in words if w in pool)

    small, large = said(_SMALL), said(_LARGE)
    register = "high" if len(small) > len(large) else "low" if large else "mid"
    reasons.append(f"{register} register" + (f" ('{', '.join(small or large)}')"
                                               if small or large else ""))
    quick, slow = said(_QUICK), said(_SLOW)
    if quick or slow:
        speed = "quick" if len(quick) > len(slow) else "slow"
        reasons.append(f"{speed} ('{', '.join(quick if speed == 'quick' else slow)}')")
    else:
        speed = "quick" if arousal >= 0 else "slow"
        reasons.append(f"{speed} (its scenes' arousal {arousal:+.2f})")
    rhythm, intervals, shape = _shape(words, speed, valence, pick)
    reasons.append(shape)
    options = _INSTRUMENTS[(register, speed)]
    program = next((p for p in options if p not in taken), options[pick % len(options)])
    return Leitmotif(character, rhythm, intervals, program, _REGISTER[register],
                     speed == "quick", tuple(reasons))


def _shape(words: set[str], speed: str, valence: float, pick: int
           ) -> tuple[tuple[float, ...], tuple[int, ...], str]:
    """Rhythm, intervals and the reason, from the sounds and character words."""
    quick = speed == "quick"
    if words & set(_HOOT):
        return ((1.0, 1.0, 1.0, 1.0) if not quick else (0.5, 1.0, 0.5, 1.0),
                (-3, 3, -3), "a falling minor third, hoo-hoo ('owl')")
    if words & set(_ROCK):
        # Long-short in eighths: a 6/8 lilt, which sits on the beats of 6/8 and still
        # rocks in 4/4; a calm scene augments it.
        return ((1.0, 0.5, 1.0, 0.5),
                (4, -2, -2), "a rocking long-short figure ('" + "', '".join(
                    sorted(words & set(_ROCK))) + "')")
    if words & set(_TRILL):
        return ((0.25, 0.25, 0.25, 0.25, 1.0), (2, -2, 2, 5), "a trill that flies up ('bird')")
    rhythm = ((0.5, 0.25, 0.25, 0.5, 0.5) if pick % 2 else (0.75, 0.25, 0.5, 0.5)) if quick \
        else ((2.0, 1.0, 1.0) if pick % 2 else (1.5, 0.5, 2.0))
    count = len(rhythm)
    if words & set(_SLY):
        steps = [1, -1, -2, 4, 2][: count - 1]
        why = "chromatic neighbours (sly: '" + "', '".join(sorted(words & set(_SLY))) + "')"
    elif words & set(_GRAND):
        steps = [5, 2, -2, -5][: count - 1]
        why = "a leap of a fourth (grand)"
    elif words & set(_SAD) or valence < -0.3:
        steps = [-2, -1, -2, -2][: count - 1]
        why = "falling by step (sad)"
    elif words & set(_RISING) or valence >= 0.3:
        steps = [2, 2, 3, 2][: count - 1]
        why = "rising (hopeful)"
    else:
        steps = [4, -2, -1, 3][: count - 1]
        why = "an arch"
    return rhythm, tuple(steps), why


def plan_leitmotifs(characters: Sequence[tuple[str, str]], plans: Sequence[SceneCast]
                    ) -> list[Leitmotif]:
    """Every character's leitmotif, each on its own instrument where the ensemble allows."""
    out: list[Leitmotif] = []
    for cid, description in characters:
        out.append(design(cid, description, plans, [m.program for m in out]))
    return out


def variation_words(motif: Leitmotif, plan: SceneCast | ScenePlan,
                    home: tuple[str, str] | None) -> str:
    """How a scene varies the leitmotif, in words (for explain and the score's checks)."""
    words = [f"in {plan.tonic} {plan.mode}"]
    if home is not None and home[1] != plan.mode:
        words[-1] += " (mode change)"
    if plan.arousal < -0.3 and not motif.staccato:
        words.append("augmented")
    if motif.staccato:
        words.append("detached")
    return ", ".join(words)


def compose_leitmotifs(
    motifs: Sequence[Leitmotif], plans: Sequence[ScenePlan], timeline: Timeline,
    spans: Sequence[HarmonySpan],
) -> tuple[dict[str, list[NoteEvent]], list[LeitmotifStatement]]:
    """Each leitmotif's part and every statement of it (see the module docstring)."""
    parts: dict[str, list[NoteEvent]] = {}
    statements: list[LeitmotifStatement] = []
    bar = timeline.meter.bar
    first_key = next(((p.tonic, p.mode) for p in plans if not p.silent), None)
    for i, plan in enumerate(plans):
        if plan.silent or plan.volume <= 0:
            continue
        here = [m for m in motifs if m.character in plan.characters]
        bars = timeline.scene_bars(i)
        scene_spans = [s for s in spans if s.scene == i]
        if not here or not scene_spans:
            continue
        # The first character enters in the scene's second bar (its first when it is
        # short); a second answers a bar or two later, in dialogue; then both again
        # every four bars while the scene lasts.
        scales = []
        for motif in here:
            scale = 2.0 if plan.arousal < -0.3 and not motif.staccato else 1.0
            if motif.length * scale > len(bars) * bar:
                scale = len(bars) * bar / motif.length
            scales.append(scale)
        spans_of = [max(1, math.ceil(m.length * sc / bar - 1e-9)) for m, sc in zip(here, scales,
                                                                                     strict=True)]
        entry = 1 if len(bars) - 1 >= sum(spans_of) else 0
        next_free = entry
        for k, (motif, scale, span_bars) in enumerate(zip(here, scales, spans_of, strict=True)):
            start_bar = next_free
            if start_bar + span_bars > len(bars):
                start_bar = max(0, len(bars) - span_bars)
            next_free = start_bar + span_bars
            starts = range(start_bar, max(start_bar + 1, len(bars) - span_bars + 1), 4)
            for b in starts:
                offset = bars[b].offset
                notes = _realise(motif, plan, scale, offset, scene_spans)
                if not notes:
                    continue
                parts.setdefault(motif.part, []).extend(notes)
                pitches = [n.pitches[0] for n in notes]
                statements.append(LeitmotifStatement(
                    motif.character, i, offset, motif.part,
                    tuple(b2 - a for a, b2 in itertools.pairwise(pitches)),
                    tuple(round(motif.rhythm[j] * scale, 6) for j in range(len(notes))),
                    variation_words(motif, plan, first_key)
                    + (", answering" if k else "") + (", compressed to fit" if scale < 1 else "")))
    for name in parts:
        parts[name].sort(key=lambda e: e.offset)
    return parts, statements


def _realise(motif: Leitmotif, plan: ScenePlan, scale: float, offset: float,
             spans: Sequence[HarmonySpan]) -> list[NoteEvent]:
    """The motif's notes at ``offset`` in the scene's key: the start on a chord tone near
    the motif's register, chosen so that most notes fall in the scale and all in the
    instrument's range (``_placed``); the rest bent to the scale, inside the range."""
    onsets = []
    position = offset
    for length in motif.rhythm:
        onsets.append((position, length * scale))
        position += length * scale
    chords = []
    for onset, _ in onsets:
        span = next((s for s in spans if s.offset - 1e-9 <= onset < s.end - 1e-9), None)
        if span is None:
            # Past the scene's last chord (a breath, or bars a key route took): the
            # motif stays on the chord it was last over rather than falling silent.
            earlier = [s for s in spans if s.offset <= onset + 1e-9]
            span = earlier[-1] if earlier else spans[0]
        chords.append(span)
    placed = _placed(motif, onsets, chords)
    if placed is None:
        return []
    low, high = instrument_range(motif.program)
    velocity = clamp_velocity(plan.velocity * 0.95 * (plan.volume ** 0.5))
    events = []
    for n, ((onset, length), span, pitch) in enumerate(zip(onsets, chords, placed, strict=True)):
        # A bent note stays inside the instrument's range, as the placed motif does.
        allowed = melodic_pcs(span.chord)
        if pitch % 12 not in allowed:  # bent to the scene's scale
            pitch = min((p for p in (pitch - 1, pitch + 1)
                         if p % 12 in allowed and low <= p <= high),
                        key=lambda p: abs(p - pitch), default=pitch)
        if n > 1 and abs(onset - round(onset)) < 1e-9 and pitch % 12 not in span.chord.pcs:
            # A later note on a beat moves to the chord (the first interval, which names the
            # motif, stays as it is).
            pitch = min((p for p in range(pitch - 2, pitch + 3)
                         if p % 12 in span.chord.pcs and low <= p <= high),
                        key=lambda p: abs(p - pitch), default=pitch)
        sound = length
        articulation = ""
        if motif.staccato and length <= 1:
            sound = max(0.25, length / 2)
            articulation = "staccato"
        events.append(NoteEvent(onset, sound, (pitch,), velocity, span.chord,
                                articulation=articulation,
                                written=length if articulation else None,
                                dynamic=dynamic_mark(velocity) if n == 0 else "",
                                slur=0 if articulation else round(offset * 4) + 1))
    return events


def _placed(motif: Leitmotif, onsets: Sequence[tuple[float, float]],
            chords: Sequence[HarmonySpan]) -> list[int] | None:
    """The motif's pitches before bending: it starts on a tone of its first chord, as
    near its register as lets most of its notes fall in the scale and every note inside
    its instrument's practical range (an octave further where the register's own
    octave would leave it: an acoustic bass's rising motif starts lower). Where no start
    fits the range (a motif wider than the instrument), the nearest to fitting. None
    where the first chord has no tone near the register."""
    low, high = instrument_range(motif.program)
    best: tuple[float, list[int]] | None = None
    for start in range(motif.register - 6 - 12, motif.register + 7 + 12):
        if start % 12 not in chords[0].chord.pcs:
            continue
        pitches = [start]
        for step in motif.intervals[: len(onsets) - 1]:
            pitches.append(pitches[-1] + step)
        cost = 0.0
        for (onset, _), span, pitch in zip(onsets, chords, pitches, strict=True):
            if pitch % 12 not in melodic_pcs(span.chord):
                cost += 3
            if abs(onset - round(onset)) < 1e-9 and pitch % 12 not in span.chord.pcs:
                cost += 2  # a beat is heard against the chord
        outside = sum(max(0, low - p, p - high) for p in pitches)
        # Out of range outweighs everything; then the scale and chords; then nearness.
        cost = 1000 * outside + cost * 4 + abs(start - motif.register)
        if best is None or cost < best[0]:
            best = (cost, pitches)
    return best[1] if best is not None else None


def describe(motifs: Sequence[Leitmotif], plans: Sequence[SceneCast]) -> list[str]:
    """Lines for explain: each leitmotif, why it is so, and where and how it sounds."""
    from music21 import instrument

    first_key = next(((p.tonic, p.mode) for p in plans if not p.silent), None)
    lines = []
    for motif in motifs:
        name = instrument.instrumentFromMidiProgram(motif.program).instrumentName
        shape = " ".join(f"{s:+d}" for s in motif.intervals)
        rhythm = " ".join(f"{r:g}" for r in motif.rhythm)
        lines.append(f"leitmotif {motif.character}: {name}, intervals {shape} semitones, "
                     f"rhythm {rhythm} (quarter notes); " + "; ".join(motif.reasons))
        where = [p for p in plans if motif.character in p.characters and not p.silent]
        if not where:
            lines.append("  - no scene names it: it is not heard")
        for plan in where:
            lines.append(f"  - sounds in {plan.scene_id}: "
                         + variation_words(motif, plan, first_key))
    return lines
