"""Turn the composer's events into a score a musician can read, and write it out.

The score (music21) is for reading; the MIDI file is for listening, written
from the same events by ``midifile`` (a staccato quarter prints as a quarter
with a dot but sounds shorter; a ramp prints as ``rit.`` but sounds one tempo
a beat).

What the score shows, part by part (layout from ``notation``):

* one name and abbreviation per part for the whole score; an instrument change
  within a part is written as text (``to Clarinet``) and as a MusicXML
  instrument change, so the part keeps its name and the MIDI program changes;
* each staff in the clef that fits its notes, piano, harp and mallets (or any
  part too wide for one clef) on a grand staff joined by a brace;
* the meter, and the key signature in every staff at the same bars (where
  each new key's tonic arrives), and again where a staff changes to an
  instrument of another transposition;
* every note at its instrument's written pitch (a clarinet a tone above what
  it sounds, a contrabass an octave above), with the MusicXML ``transpose``
  that says so, set back to concert pitch for the next instrument;
* in the top staff: a rehearsal letter and the scene's title at each scene's
  first bar, whole-number metronome marks (where the music starts, where a
  ramp arrives, after a breath), ``rit.``/``accel.`` where a ramp starts, and
  every per-beat tempo of a ramp as a sound-only mark (MusicXML ``<sound
  tempo>``, which players follow and nothing prints);
* dynamics where the composer marks them, hairpins into a new level,
  articulations (staccato, tenuto, accent), slurs over legato phrases, a
  caesura before a breath;
* the chord's Roman numeral as a lyric under the lowest part that plays, so
  the score shows its own harmonic analysis.
"""

from __future__ import annotations

import bisect
import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyscore.compose.harmony import HarmonySpan
from storyscore.compose.notation import (
    PartLayout,
    Staff,
    layout_part,
    part_order,
    split_point,
    staff_of_bar,
)
from storyscore.compose.notes import NoteEvent
from storyscore.compose.request import ScenePlan
from storyscore.compose.theory import Key, spell
from storyscore.compose.timeline import Bar, Timeline
from storyscore.files import write_bytes

if TYPE_CHECKING:
    from music21 import chord, note, stream
    from music21.instrument import Instrument

DYNAMIC_LEVELS = ("pp", "p", "mp", "mf", "f", "ff")
_DYNAMIC_EDGES = (40, 56, 72, 88, 104)  # MIDI velocity at which each next level begins
_DIATONIC_C4 = 29  # music21's diatonicNoteNum of middle C
TEMPO_TEXT_MIN_CHANGE = 0.02  # a ramp changing tempo by less than this is rubato, not rit.


@dataclass(frozen=True, eq=False)
class ComposedScore:
    """The music of a whole story path, with where each scene lies in it."""

    score: stream.Score
    scene_starts: tuple[float, ...]  # seconds where each scene starts (a downbeat)
    scene_durations: tuple[float, ...]  # seconds; flexible scenes may be longer, never shorter
    total_seconds: float
    harmony: tuple[HarmonySpan, ...]  # every chord, with its key and cadence role
    timeline: Timeline  # bars and tempo marks
    # The sound: the composer's events per part and each part's program per scene.
    part_events: Mapping[str, Sequence[NoteEvent]] = field(default_factory=dict)
    programs: Mapping[str, tuple[int | None, ...]] = field(default_factory=dict)
    # Every statement of a character's leitmotif (compose.leitmotif.LeitmotifStatement).
    leitmotifs: tuple[Any, ...] = ()

    def midi_bytes(self) -> bytes:
        """The music as a standard MIDI file (type 1, tempo map in the first track).

        It ends with the last note, so a story that ends in silence needs
        padding by the mixer to ``total_seconds``.
        """
        from storyscore.compose.midifile import midi_file

        events = {name: sorted(e, key=lambda e: (e.offset, e.pitches))
                  for name, e in self.part_events.items()}
        order = [name for name in part_order(events) if events[name] or name == "melody"]
        return midi_file(self.timeline, events, self.programs, order)

    def write_midi(self, path: str | os.PathLike[str]) -> None:
        """Write the MIDI file atomically (temporary file, then rename)."""
        _write_output(Path(path), self.midi_bytes())

    def musicxml_bytes(self) -> bytes:
        """The score as MusicXML, each transposing instrument at its written pitch.

        Written a section of bars at a time (``compose.musicxml``), in time
        proportional to the score's length; the document is music21's one-piece
        export. The same story gives the same bytes: the encoding date music21
        stamps on the file is left out.
        """
        import re

        from storyscore.compose.musicxml import musicxml_bytes

        data = musicxml_bytes(self.score)
        return re.sub(rb"\s*<encoding-date>[^<]*</encoding-date>", b"", data, count=1)

    def write_musicxml(self, path: str | os.PathLike[str]) -> None:
        """Write MusicXML atomically (temporary file, then rename)."""
        _write_output(Path(path), self.musicxml_bytes())

    def events(self) -> list[str]:
        """A readable event list: one line per note, mark, clef, key, meter or instrument."""
        return score_events(self.score)


def score_programs(plans: Sequence[ScenePlan], parts: Mapping[str, Sequence[NoteEvent]],
                   part_programs: Mapping[str, int] | None = None
                   ) -> dict[str, tuple[int | None, ...]]:
    """Each part's General MIDI program per scene (None where the scene is silent).

    Melody, accompaniment and bass take the scene plans' programs; any other
    part (a leitmotif's) keeps the one program ``part_programs`` gives it.
    """
    roles: dict[str, Callable[[ScenePlan], int | None]] = {
        "melody": lambda p: p.melody_program,
        "accompaniment": lambda p: p.accompaniment_program,
        "bass": lambda p: p.bass_program}
    out: dict[str, tuple[int | None, ...]] = {}
    for name in parts:
        if name in roles:
            pick = roles[name]
            out[name] = tuple(None if p.silent else pick(p) for p in plans)
        else:
            program = (part_programs or {}).get(name, 0)
            out[name] = tuple(None if p.silent else program for p in plans)
    return out


def _write_output(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, data)


def _key_changes(spans: Sequence[HarmonySpan]) -> dict[int, Key]:
    """Bars where a key signature is written: where each new key's tonic arrives, if its
    signature differs (C major to A minor keeps the signature, so none is printed; the
    numerals name the new key)."""
    changes: dict[int, Key] = {}
    current: Key | None = None
    for span in spans:
        key = span.chord.key
        if current is None or (key.sharps != current.sharps and span.chord.figure in ("I", "i")):
            changes[span.bar] = key
            current = key
    if 0 not in changes and changes:
        # Music may start after a silent scene: its key is written from the first bar.
        changes[0] = changes.pop(min(changes))
    return changes


def _fraction(value: float) -> Fraction:
    return Fraction(value).limit_denominator(48)


def dynamic_level(velocity: float) -> str:
    """The dynamic mark a MIDI velocity reads as (pp .. ff)."""
    return DYNAMIC_LEVELS[sum(velocity >= edge for edge in _DYNAMIC_EDGES)]


def rehearsal_letter(index: int) -> str:
    """A, B, ... Z, AA, BB, ...: the rehearsal mark of the ``index``-th scene."""
    return chr(ord("A") + index % 26) * (index // 26 + 1)


@dataclass
class _StaffBuild:
    """A staff under construction: its layout, its music21 part and its measures."""

    layout: PartLayout
    staff: Staff
    part: stream.Part
    measures: list[stream.Measure]
    notes: dict[float, list[note.Note | chord.Chord]]  # by offset in the piece
    slurs: dict[int, list[note.Note | chord.Chord]]  # by the composer's phrase id
    # ``notes``' offsets in order, sorted again when notes were added (a bar's notes are
    # then found by bisection: scanning every note for every bar grew with the square
    # of a long story).
    _offsets: list[float] = field(default_factory=list, repr=False)
    # Each bar's offset less the tolerance the bar tests use: a bar is found by bisection.
    bar_starts: list[float] = field(default_factory=list, repr=False)

    def offsets_in(self, bar: Bar) -> list[float]:
        """The offsets of the staff's notes that start in ``bar``, in order."""
        return self.offsets_between(bar.offset - 1e-9, bar.end - 1e-9)

    def offsets_between(self, low: float, high: float) -> list[float]:
        """The offsets of the staff's notes from ``low`` up to (not at) ``high``, in order."""
        if len(self._offsets) != len(self.notes):
            self._offsets = sorted(self.notes)
        first = bisect.bisect_left(self._offsets, low)
        return self._offsets[first:bisect.bisect_left(self._offsets, high)]

    def notes_in(self, bar: Bar) -> bool:
        """Whether the staff plays anything in ``bar``."""
        return bool(self.offsets_in(bar))


def build_score(
    plans: Sequence[ScenePlan], timeline: Timeline, spans: Sequence[HarmonySpan],
    parts: Mapping[str, Sequence[NoteEvent]], title: str,
    part_programs: Mapping[str, int] | None = None,
) -> stream.Score:
    """Assemble the music21 Score (see the module docstring)."""
    from music21 import layout, metadata, stream

    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = title or "storyscore"
    score.metadata.composer = "storyscore"  # else music21 signs the file as its composer
    programs = score_programs(plans, parts, part_programs)
    names = [n for n in part_order(parts) if parts[n] or n == "melody"]
    builds: list[_StaffBuild] = []
    for name in names:
        events = sorted(parts[name], key=lambda e: (e.offset, e.pitches))
        part_layout = _layout(name, events, programs[name], timeline)
        staff_events = _staff_events(part_layout, events, timeline.bars)
        staves: list[_StaffBuild] = []
        for staff in part_layout.staves:
            build = _build_staff(part_layout, staff, staff_events[staff.id], timeline)
            staves.append(build)
        if part_layout.grand:
            group = layout.StaffGroup([b.part for b in staves], name=part_layout.name,
                                      abbreviation=part_layout.abbreviation, symbol="brace")
            score.insert(0, group)
        builds += staves
    key_changes = _key_changes(spans)
    for k, build in enumerate(builds):
        _write_signatures(build, timeline, {**_transposed_keys(build, timeline, key_changes),
                                            **key_changes}, top=k == 0)
        _write_instruments(build, plans, timeline, names.index(build.layout.source) + 1)
        lower = builds[k + 1] if k + 1 < len(builds) and build.staff.role == "upper" else None
        _write_dynamics(build, plans, timeline, parts[build.layout.source], lower)
    _write_scene_marks(builds[0], plans, timeline)
    _write_tempo(builds[0], builds, timeline)
    _write_numerals(builds, spans)
    _write_multirests(builds, timeline)
    for build in builds:
        for measure in build.measures:
            measure.coreElementsChanged()
            build.part.coreAppend(measure)
        build.part.coreElementsChanged()
        # The notes are at sounding pitch: the MusicXML writer transposes each instrument's
        # bars to its written pitch (a clarinet a tone up, a contrabass an octave up).
        build.part.atSoundingPitch = True
        score.insert(0, build.part)
    return score


def _layout(name: str, events: Sequence[NoteEvent], programs: Sequence[int | None],
            timeline: Timeline) -> PartLayout:
    offsets = timeline.scene_offsets
    scene_of = {}
    scene = 0
    for k, event in enumerate(events):
        while scene + 1 < len(offsets) and event.offset >= offsets[scene + 1] - 1e-9:
            scene += 1
        scene_of[k] = scene
    return layout_part(name, events, programs, scene_of, len(offsets),
                       {p: _transposition(p) for p in set(programs) if p is not None})


def _transposition_steps(program: int) -> int:
    """Staff steps from sounding to written pitch for a General MIDI program's instrument."""
    from music21 import instrument

    interval = instrument.instrumentFromMidiProgram(program).transposition
    return 0 if interval is None else -int(interval.generic.staffDistance)


def _transposition(program: int) -> int:
    """Semitones from sounding to written pitch for a General MIDI program's instrument."""
    from music21 import instrument

    interval = instrument.instrumentFromMidiProgram(program).transposition
    return 0 if interval is None else -int(interval.semitones)


def _staff_events(part_layout: PartLayout, events: Sequence[NoteEvent], bars: Sequence[Bar]
                  ) -> dict[str, dict[int, list[NoteEvent]]]:
    """Each staff's events by bar (split and tied at bar lines; a grand staff's split by bar)."""
    by_bar = _events_by_bar(events, bars)
    if not part_layout.grand:
        return {part_layout.staves[0].id: by_bar}
    upper, lower = part_layout.staves
    out: dict[str, dict[int, list[NoteEvent]]] = {upper.id: {}, lower.id: {}}
    for bar, bar_events in by_bar.items():
        side = staff_of_bar(bar_events)
        if side is not None:
            out[upper.id if side == "upper" else lower.id][bar] = bar_events
            continue
        split = split_point([p for e in bar_events for p in e.pitches])
        for event in bar_events:
            high = tuple(p for p in event.pitches if p >= split)
            low = tuple(p for p in event.pitches if p < split)
            if high:
                out[upper.id].setdefault(bar, []).append(_with_pitches(event, high))
            if low:
                out[lower.id].setdefault(bar, []).append(_with_pitches(event, low))
    return out


def _with_pitches(event: NoteEvent, pitches: tuple[int, ...]) -> NoteEvent:
    from dataclasses import replace

    return replace(event, pitches=pitches)


def _build_staff(part_layout: PartLayout, staff: Staff, by_bar: dict[int, list[NoteEvent]],
                 timeline: Timeline) -> _StaffBuild:
    from music21 import note, spanner, stream

    kind = stream.Part if staff.role == "single" else stream.PartStaff
    part = kind(id=staff.id)  # type: ignore[no-untyped-call]
    part.partName = part_layout.name
    part.partAbbreviation = part_layout.abbreviation
    build = _StaffBuild(part_layout, staff, part, [], {}, {},
                        bar_starts=[bar.offset - 1e-9 for bar in timeline.bars])
    for bar in timeline.bars:
        measure = stream.Measure(number=bar.index + 1)
        position = 0.0
        bar_events = _monophonic(by_bar.get(bar.index, []))
        for event in bar_events:
            start = event.offset - bar.offset
            if start > position + 1e-9:
                measure.coreInsert(_fraction(position),
                                   note.Rest(quarterLength=_fraction(start - position)))
            element = _element(event)
            measure.coreInsert(_fraction(start), element)
            build.notes.setdefault(round(event.offset, 6), []).append(element)
            if event.slur:
                build.slurs.setdefault(event.slur, []).append(element)
            position = start + float(element.quarterLength)
        if position < bar.length - 1e-9:
            rest = note.Rest(quarterLength=_fraction(bar.length - position))
            if not bar_events:
                rest.fullMeasure = True
            measure.coreInsert(_fraction(position), rest)
        build.measures.append(measure)
    for phrase in build.slurs.values():
        if len(phrase) > 1:
            part.insert(0, spanner.Slur(phrase))  # type: ignore[no-untyped-call]
    return build


def _monophonic(events: list[NoteEvent]) -> list[NoteEvent]:
    """A bar's events with each written length cut where the next event begins (one voice)."""
    from dataclasses import replace

    out = sorted(events, key=lambda e: (e.offset, e.pitches))
    merged: list[NoteEvent] = []
    for event in out:
        if merged and abs(merged[-1].offset - event.offset) < 1e-9:
            last = merged[-1]  # two events at once in one voice: one chord
            pitches = tuple(sorted(set(last.pitches) | set(event.pitches)))
            merged[-1] = replace(last, pitches=pitches, length=max(last.length, event.length))
            continue
        merged.append(event)
    for k in range(len(merged) - 1):
        room = merged[k + 1].offset - merged[k].offset
        if _written(merged[k]) > room + 1e-9:
            merged[k] = replace(merged[k], length=min(merged[k].length, room), written=room)
    return merged


def _written(event: NoteEvent) -> float:
    return event.written if event.written is not None else event.length


def _events_by_bar(events: Sequence[NoteEvent], bars: Sequence[Bar]) -> dict[int, list[NoteEvent]]:
    """Group events by bar, splitting (and tying) any whose written length crosses a bar line."""
    from dataclasses import replace

    out: dict[int, list[NoteEvent]] = {}
    index = 0
    for event in events:
        while bars[index].end <= event.offset + 1e-9:
            index += 1
        b = index
        current = replace(event, length=_written(event), written=None)
        while current.end > bars[b].end + 1e-9:
            head = bars[b].end - current.offset
            out.setdefault(b, []).append(replace(current, length=head, tie_start=True))
            current = replace(current, offset=bars[b].end, length=current.end - bars[b].end,
                              tie_stop=True, dynamic="")
            b += 1
        out.setdefault(b, []).append(current)
    return out


def _element(event: NoteEvent) -> note.Note | chord.Chord:
    from music21 import articulations, chord, note, tie

    length = _fraction(event.length)
    names = [f"{spell(p % 12, event.chord)}{_octave(p, spell(p % 12, event.chord))}"
             for p in event.pitches]
    element: note.Note | chord.Chord
    if len(names) == 1:
        element = note.Note(names[0], quarterLength=length)
    else:
        element = chord.Chord(names, quarterLength=length)
    element.volume.velocity = event.velocity
    if event.tie_start and event.tie_stop:
        element.tie = tie.Tie("continue")  # type: ignore[no-untyped-call]
    elif event.tie_start:
        element.tie = tie.Tie("start")  # type: ignore[no-untyped-call]
    elif event.tie_stop:
        element.tie = tie.Tie("stop")  # type: ignore[no-untyped-call]
    if not event.tie_stop:
        kinds = {"staccato": articulations.Staccato, "tenuto": articulations.Tenuto,
                 "accent": articulations.Accent}
        for word in filter(None, event.articulation.split("+")):
            if word in kinds:
                element.articulations.append(kinds[word]())  # type: ignore[no-untyped-call]
    return element


def _octave(midi: int, name: str) -> int:
    """The octave number music21 needs so that ``name`` + octave sounds ``midi``."""
    # B#3 sounds like C4 and Cb4 like B3: spellings can cross the octave boundary.
    natural = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[name[0]]
    shift = sum(1 if c == "#" else -1 for c in name[1:])
    return (midi - natural - shift) // 12 - 1


def _clef(name: str) -> Any:
    from music21 import clef

    return {"treble": clef.TrebleClef, "bass": clef.BassClef, "alto": clef.AltoClef,
            "treble8vb": clef.Treble8vbClef, "bass8vb": clef.Bass8vbClef,
            "treble8va": clef.Treble8vaClef}[name]()  # type: ignore[no-untyped-call]


def _words(text: str, *, italic: bool = False, bold: bool = False) -> Any:
    """A text direction above the staff, italic (instructions) or bold (titles)."""
    from music21 import expressions
    from music21.style import TextStyle

    words = expressions.TextExpression(text)  # type: ignore[no-untyped-call]
    style = words.style
    assert isinstance(style, TextStyle)
    if italic:
        style.fontStyle = "italic"
    if bold:
        style.fontWeight = "bold"
    words.placement = "above"
    return words


def _instrument_starts(programs: Sequence[int | None], timeline: Timeline
                       ) -> list[tuple[int, int]]:
    """(scene, program) where each instrument of a part starts (a silent scene keeps the
    one before it; a part that starts silent takes its first instrument from its first bar)."""
    starts: list[tuple[int, int]] = []
    first_bars = _first_bars(timeline)
    for scene, program in enumerate(programs):
        if not starts and program is None:
            program = next((p for p in programs[scene:] if p is not None), None)
        if (program is not None and scene in first_bars
                and (not starts or starts[-1][1] != program)):
            starts.append((scene, program))
    return starts


def _transposed_keys(build: _StaffBuild, timeline: Timeline, key_changes: Mapping[int, Key]
                     ) -> dict[int, Key]:
    """The concert key in force, written again where the staff changes to an instrument of
    another transposition (the clarinet after the flute reads its key a tone higher)."""
    out: dict[int, Key] = {}
    previous = 0
    first_bars = _first_bars(timeline)
    key_bars = sorted(key_changes)
    for scene, program in _instrument_starts(build.layout.programs, timeline):
        shift = _transposition(program)
        bar = first_bars[scene]
        earlier = bisect.bisect_right(key_bars, bar)  # key changes at or before the bar
        if shift != previous and earlier and bar:
            out[bar] = key_changes[key_bars[earlier - 1]]
        previous = shift
    return out


def _first_bars(timeline: Timeline) -> dict[int, int]:
    """The index of each scene's first bar (scenes without bars are left out): one walk of
    the bars, where asking the timeline scene by scene walks them once a scene."""
    first: dict[int, int] = {}
    for bar in timeline.bars:
        first.setdefault(bar.scene, bar.index)
    return first


def _write_signatures(build: _StaffBuild, timeline: Timeline, key_changes: Mapping[int, Key],
                      top: bool) -> None:
    """Clef, meter and key signatures; the same key bars in every staff."""
    from music21 import key, meter

    previous_meter: str | None = None
    previous_clef: str | None = None
    for bar, measure, bar_clef in zip(timeline.bars, build.measures,
                                      _bar_clefs(build, timeline), strict=True):
        if bar_clef != previous_clef:
            previous_clef = bar_clef
            measure.coreInsert(0, _clef(bar_clef))
        if bar.time_signature != previous_meter:
            measure.coreInsert(0, meter.TimeSignature(bar.time_signature))
            previous_meter = bar.time_signature
        if bar.index in key_changes:
            k = key_changes[bar.index]
            # A music21 Key is costly to build (it makes its scale), so only the top
            # staff, which the event list reads, gets one; the others get the signature.
            measure.coreInsert(0, key.Key(k.tonic, k.mode) if top else key.KeySignature(k.sharps))


def _bar_clefs(build: _StaffBuild, timeline: Timeline) -> list[str]:
    """The clef of every bar: its scene's, except in a bar whose notes that clef cannot hold
    within three ledger lines and another can (a clef change for a few bars, as engravers
    write one, kept while the next bars still need it)."""
    from storyscore.compose.notation import ANY_CLEF, clef_fit, diatonic_step

    choices = {"upper": ("treble", "treble8va"), "lower": ("bass", "bass8vb")}.get(
        build.staff.role, ANY_CLEF)
    shifts = {p: _transposition_steps(p) for p in set(build.layout.programs) if p is not None}
    clefs: list[str] = []
    for bar in timeline.bars:
        program = build.layout.programs[bar.scene]
        shift = shifts.get(program, 0) if program is not None else 0
        # As spelt (a B flat sits a line above an A sharp), at written pitch.
        steps = [int(p.diatonicNoteNum) - _DIATONIC_C4 + diatonic_step(60) + shift
                 for offset in build.offsets_in(bar)
                 for element in build.notes[offset] for p in element.pitches]
        clef = build.staff.clefs[bar.scene]
        if steps and clef_fit(steps, clef)[0] < 1.0:
            held = [c for c in (clefs[-1:] if clefs else []) if clef_fit(steps, c)[0] == 1.0]
            holding = [c for c in choices if clef_fit(steps, c)[0] == 1.0]
            clef = (held or holding or [clef])[0]
        clefs.append(clef)
    return clefs


def _write_instruments(build: _StaffBuild, plans: Sequence[ScenePlan], timeline: Timeline,
                       number: int) -> None:
    """Instrument objects (MusicXML program changes) and, by role, the instrument's name as text.

    Their MusicXML ids are set from the part's ``number`` (music21 would draw
    random ones, and the same story must give the same bytes).
    """
    from music21 import instrument, interval

    from storyscore.compose.notation import instrument_name

    named: str | None = None  # the instrument the player was last told to play
    transposed = False  # the instrument before this one is written at another pitch
    first_bars = _first_bars(timeline)
    for scene, program in _instrument_starts(build.layout.programs, timeline):
        measure = build.measures[first_bars[scene]]
        inst = instrument.instrumentFromMidiProgram(program)
        inst.__class__ = _program_class(program)
        if inst.transposition is None and transposed:
            # Back to concert pitch: said explicitly, else the MusicXML keeps the last one.
            inst.transposition = interval.Interval("P1")
        transposed = inst.transposition is not None and inst.transposition.semitones != 0
        inst.partId = f"P{number}"
        inst.instrumentId = f"P{number}-I{scene + 1}"
        inst.partName = build.layout.name
        inst.partAbbreviation = build.layout.abbreviation
        measure.coreInsert(0, inst)
        text = instrument_name(program)[0]
        # A change of sound the player need not act on (one string section for another,
        # both "Strings") changes the program but prints nothing.
        if build.layout.named_by_role and build.staff.role != "lower" and text != named:
            measure.coreInsert(0, _words(text if named is None else f"to {text}", italic=True))
        named = text


@functools.cache
def _program_class(program: int) -> type[Instrument]:
    """A subclass of music21's instrument class for one General MIDI program.

    The MusicXML writer keeps one ``<score-instrument>`` and ``<midi-instrument>``
    per instrument class in a part, and points every note at the first of its
    class: a warm pad after a pad (both music21 ``Sampler``s) would play the
    first pad's program. One class per program gives each instrument of a part
    its own MIDI program in the MusicXML, as in the MIDI file; the class is
    shared, so the two staves of a grand staff still declare it once.
    """
    from music21 import instrument

    base = type(instrument.instrumentFromMidiProgram(program))
    return type(f"{base.__name__}Program{program}", (base,), {})


def _write_dynamics(build: _StaffBuild, plans: Sequence[ScenePlan], timeline: Timeline,
                    events: Sequence[NoteEvent], lower: _StaffBuild | None = None) -> None:
    """Dynamics where the composer marks them, else each scene's level; hairpins into a change.

    A lower staff of a grand staff shares its upper staff's marks (printed once).
    Hairpins go below every staff, as the dynamics do: above the lowest staff they
    crowded the hairpin of the staff over it; the engraver stacks them over the
    analysis line.
    """
    from music21 import dynamics

    if build.staff.role == "lower":
        return
    marks = _dynamic_marks(plans, timeline, events)
    written: list[tuple[float, str]] = []
    for offset, level in marks:
        if written and written[-1][1] == level:
            continue
        measure, at = _measure_at(build, timeline, offset)
        measure.coreInsert(at, dynamics.Dynamic(level))  # type: ignore[no-untyped-call]
        if written:
            _hairpin(build, lower, timeline, offset, DYNAMIC_LEVELS.index(level)
                     > DYNAMIC_LEVELS.index(written[-1][1]), "below")
        written.append((offset, level))


def _dynamic_marks(plans: Sequence[ScenePlan], timeline: Timeline, events: Sequence[NoteEvent]
                   ) -> list[tuple[float, str]]:
    """(offset, level) of every dynamic: the composer's, or a scene's from its velocity."""
    marked = sorted((e.offset, e.dynamic) for e in events if e.dynamic in DYNAMIC_LEVELS)
    if marked:
        return marked
    import math

    firsts = _first_in_scenes(timeline, events)
    out = []
    for scene, plan in enumerate(plans):
        first = firsts.get(scene)
        if first is not None and not plan.silent:
            out.append((first.offset, dynamic_level(plan.velocity * math.sqrt(plan.volume))))
    return out


def _first_in_scenes(timeline: Timeline, events: Sequence[NoteEvent]) -> dict[int, NoteEvent]:
    """Each scene's first event in ``events``' order (not the earliest in time) that starts
    within the scene, found in one walk of the events (scenes do not overlap)."""
    starts = [offset - 1e-9 for offset in timeline.scene_offsets]
    firsts: dict[int, NoteEvent] = {}
    for event in events:
        scene = bisect.bisect_right(starts, event.offset) - 1
        if (scene >= 0 and scene not in firsts and event.offset
                < timeline.scene_offsets[scene] + timeline.scene_lengths[scene] - 1e-9):
            firsts[scene] = event
    return firsts


def _measure_at(build: _StaffBuild, timeline: Timeline, offset: float
                ) -> tuple[stream.Measure, Fraction]:
    """The staff's bar that holds ``offset`` and where in it (past the end: the last bar's end)."""
    index, at = _place(build, timeline, offset)
    return build.measures[index], at


def _place(build: _StaffBuild, timeline: Timeline, offset: float) -> tuple[int, Fraction]:
    """The index of the bar that holds ``offset`` and where in it (past the end: the last
    bar's end), by bisection of the bars (they follow one another without gaps)."""
    index = _bar_index(build, timeline, offset)
    if index is None:
        return len(timeline.bars) - 1, _fraction(timeline.bars[-1].length)
    return index, _fraction(offset - timeline.bars[index].offset)


def _bar_index(build: _StaffBuild, timeline: Timeline, offset: float) -> int | None:
    """The index of the bar that holds ``offset``, or None before the first or past the last."""
    index = bisect.bisect_right(build.bar_starts, offset) - 1
    if index >= 0 and offset < timeline.bars[index].end - 1e-9:
        return index
    return None





def _hairpin(build: _StaffBuild, lower: _StaffBuild | None, timeline: Timeline, offset: float,
             louder: bool, placement: str) -> None:
    """A crescendo or diminuendo over the notes of the bar before a new dynamic.

    Over fewer than two notes (a held chord, a tied whole note, a grand staff's
    left hand alone: ``lower``'s notes count for its upper staff, which carries
    the part's marks) the hairpin runs from the first note to where the new
    dynamic stands, as an engraver draws it. A part that rests through the bar
    before gets none: there is nothing to swell.
    """
    from music21 import dynamics

    index = _bar_index(build, timeline, offset)
    if index is None or index == 0:
        return
    before = timeline.bars[index - 1]

    def onsets(staff: _StaffBuild) -> list[float]:
        return [o for o in staff.offsets_between(before.offset - 1e-9, offset - 1e-9)
                if staff.notes[o]]

    own = onsets(build)
    heard = sorted({*own, *(onsets(lower) if lower is not None else [])})
    if not heard:
        return
    kind = dynamics.Crescendo if louder else dynamics.Diminuendo
    if len(own) >= 2:
        wedge = kind(build.notes[own[0]][0], build.notes[own[-1]][-1])
    else:
        first = (build.notes[heard[0]][0] if own and own[0] == heard[0]
                 else _anchor(build, timeline, heard[0]))
        wedge = kind(first, _anchor(build, timeline, offset))
    wedge.placement = placement
    build.part.insert(0, wedge)


def _anchor(build: _StaffBuild, timeline: Timeline, offset: float) -> Any:
    """An invisible point in the staff at ``offset`` for a spanner to start or end at."""
    from music21 import spanner

    measure, at = _measure_at(build, timeline, offset)
    anchor = spanner.SpannerAnchor()  # type: ignore[no-untyped-call]
    measure.coreInsert(at, anchor)
    return anchor


def _write_scene_marks(build: _StaffBuild, plans: Sequence[ScenePlan], timeline: Timeline
                       ) -> None:
    """A rehearsal letter and the scene's title at each scene's first bar."""
    from music21 import expressions

    first_bars = _first_bars(timeline)
    for scene, plan in enumerate(plans):
        at: Fraction | int = 0
        if timeline.through(scene):  # a flash cut: the mark stands where the scene starts
            measure, at = _measure_at(build, timeline, timeline.scene_offsets[scene])
        elif scene in first_bars:
            measure = build.measures[first_bars[scene]]
        else:
            continue
        mark = expressions.RehearsalMark(rehearsal_letter(scene))  # type: ignore[no-untyped-call]
        measure.coreInsert(at, mark)
        # An untitled scene's title is its id (``river``): printed as a heading reads.
        untitled = plan.title in ("", plan.scene_id)
        measure.coreInsert(at, _words(scene_name(plan.scene_id) if untitled else plan.title,
                                      bold=True))


def scene_name(scene_id: str) -> str:
    """A scene without a title is named from its id as a heading reads: ``old-oak`` → Old oak."""
    words = scene_id.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _write_tempo(top: _StaffBuild, builds: Sequence[_StaffBuild], timeline: Timeline) -> None:
    """Printed whole-number marks, rit./accel. text and sound-only per-beat tempi (top staff).

    A mark is printed where the music starts, where a written ramp arrives,
    after a breath, and wherever else the tempo moves 2 % or more from the
    number last printed (less is rubato, heard but not printed); of two
    printed in one bar only the later stays printed (the other still sounds).
    Nothing is printed where no staff plays (a silent scene, the silence after
    the last note): a player reads a tempo only for music, so a mark that
    falls in a silence is printed where the music resumes, a rit./accel. is
    written only in a bar that plays, and a ramp into the final silence gets none.
    A score with no note at all prints its opening mark and no other.
    """
    beat = timeline.meter.beat if timeline.meter.denominator == 8 else 1.0
    marks = list(timeline.marks)
    heard = _heard(builds)
    printed: int | None = None
    announced = False  # a rit./accel. is written and waits for its arrival mark
    last: tuple[int, Any] | None = None  # (bar index, mark) of the last printed mark
    waiting: float | None = None  # a mark fell in a silence: print one where music resumes
    for k, mark in enumerate(marks):
        if waiting is not None and k and heard.resumes(waiting) <= mark.offset - 1e-9:
            # The tempo in force where the music resumes, printed there (it sounds the same).
            last = _print_mark(top, timeline, heard.resumes(waiting), marks[k - 1].bpm / beat,
                               beat, printed, last)
            printed = round(marks[k - 1].bpm / beat)
            waiting, announced = None, False
        bar, at = _place(top, timeline, mark.offset)
        measure = top.measures[bar]
        number = mark.bpm / beat  # in the printed beat (a dotted quarter in 6/8)
        if mark.ramp and (k == 0 or not marks[k - 1].ramp):
            arrival = next((m for m in marks[k:] if not m.ramp), marks[-1])
            change = arrival.bpm / marks[k - 1].bpm - 1 if k else 0.0
            if (abs(change) >= TEMPO_TEXT_MIN_CHANGE and round(arrival.bpm / beat) != printed
                    and any(b.notes_in(timeline.bars[bar]) for b in builds)
                    and heard.later(arrival.offset)):
                measure.coreInsert(at, _words("accel." if change > 0 else "rit.", italic=True))
                announced = True
        # A drift of under 2 % from the printed number is rubato: it sounds, unprinted.
        moved = printed is None or abs(number / printed - 1) >= TEMPO_TEXT_MIN_CHANGE
        show = (k == 0 or mark.breath
                or (not mark.ramp and (announced or moved) and round(number) != printed))
        if mark.breath:
            _caesura(builds, mark.offset)
        if show and not heard.at(mark.offset) and (k or heard.spans):
            show, waiting = False, mark.offset
        elif not heard.spans:
            # A score with no note at all (a path of one silent scene) still opens with
            # its tempo: a player reads it over the rests.
            show = k == 0
        mm = _metronome(number, beat, show)
        if show:
            printed = round(number)
            announced = False
            waiting = None
            if last is not None and last[0] == bar:
                last[1].numberImplicit = True
            last = (bar, mm)
        measure.coreInsert(at, mm)
    if waiting is not None and heard.resumes(waiting) < math.inf:
        _print_mark(top, timeline, heard.resumes(waiting), marks[-1].bpm / beat, beat, printed,
                    last)


@dataclass(frozen=True)
class _Heard:
    """Where any staff of the score plays: the merged spans of its notes (quarter notes)."""

    spans: tuple[tuple[float, float], ...]  # in order, apart by more than the tolerance
    starts: tuple[float, ...] = field(init=False, repr=False)  # each span's start, in order

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", tuple(start for start, _ in self.spans))

    def at(self, offset: float) -> bool:
        """Whether a note starts or sounds at ``offset``."""
        # Only the last span to start (within the tolerance) by ``offset`` can hold it.
        k = bisect.bisect_right(self.starts, offset + 1e-9) - 1
        return k >= 0 and offset < self.spans[k][1] - 1e-9

    def later(self, offset: float) -> bool:
        """Whether any music sounds at ``offset`` or after it."""
        return self.at(offset) or self.resumes(offset) < math.inf

    def resumes(self, offset: float) -> float:
        """Where the music next starts after a silence at ``offset`` (inf: it does not)."""
        k = bisect.bisect_left(self.starts, offset - 1e-9)
        return self.starts[k] if k < len(self.starts) else math.inf


def _heard(builds: Sequence[_StaffBuild]) -> _Heard:
    notes = sorted((offset, offset + float(element.quarterLength))
                   for build in builds for offset, elements in build.notes.items()
                   for element in elements)
    spans: list[tuple[float, float]] = []
    for start, end in notes:
        if spans and start <= spans[-1][1] + 1e-9:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return _Heard(tuple(spans))


def _print_mark(top: _StaffBuild, timeline: Timeline, offset: float, number: float, beat: float,
                printed: int | None, last: tuple[int, Any] | None) -> tuple[int, Any] | None:
    """A printed mark where the music resumes after a silence, unless it repeats the last."""
    if printed == round(number):
        return last
    bar, at = _place(top, timeline, offset)
    mm = _metronome(number, beat, True)
    top.measures[bar].coreInsert(at, mm)
    return (bar, mm)


def _metronome(number: float, beat: float, printed: bool) -> Any:
    """A metronome mark: printed as a whole number that sounds ``number``, or sound only."""
    from music21 import duration, tempo

    referent = duration.Duration(beat)
    if printed:
        return tempo.MetronomeMark(number=round(number), numberSounding=number,
                                   referent=referent)
    mm = tempo.MetronomeMark(number=number, referent=referent)
    mm.numberImplicit = True
    return mm


def _caesura(builds: Sequence[_StaffBuild], offset: float) -> None:
    """A caesura on each staff's last note before ``offset`` (the breath before a new tempo)."""
    from music21 import articulations

    for build in builds:
        before = build.offsets_between(-math.inf, offset - 1e-9)
        if before:
            build.notes[before[-1]][-1].articulations.append(articulations.Caesura())


def _write_numerals(builds: Sequence[_StaffBuild], spans: Sequence[HarmonySpan]) -> None:
    """Each chord's Roman numeral as a lyric under the lowest staff that has a note at
    the chord.

    The analysis reads along the bass staff; where the bass rests (a scene
    without a bass instrument, the bass's off-beat rhythm) it goes on under the
    lowest staff that plays, so a scene without a bass is still analysed.
    """
    named_key: Key | None = None  # the key last named in the lyrics
    named: str | None = None  # the figure last written
    for span in spans:
        at = round(span.offset, 6)
        notes = next((b.notes[at] for b in reversed(builds) if b.notes.get(at)), None)
        if notes:
            if span.chord.key == named_key and span.chord.figure == f"{named}7":
                # V then V7: the seventh joins the chord; an analyst writes V–7, and
                # the short label keeps clear of its neighbours.
                notes[0].lyric = "7"
            else:
                notes[0].lyric = _numeral(span, named_key)
            named_key, named = span.chord.key, span.chord.figure


def _write_multirests(builds: Sequence[_StaffBuild], timeline: Timeline) -> None:
    """Bars where every staff rests, two or more in a row, as one multi-measure rest
    (a silent scene of twenty bars is one symbol, not twenty).

    A bar that carries a word, a rehearsal letter or a printed tempo mark stays
    a bar of its own, since an engraver prints nothing over a multi-measure rest.
    """
    from music21 import expressions, note, spanner, tempo

    def plain(index: int) -> bool:
        measure = builds[0].measures[index]
        marked = any(isinstance(e, expressions.TextExpression | expressions.RehearsalMark)
                     or (isinstance(e, tempo.MetronomeMark) and not e.numberImplicit)
                     for e in measure)
        return not marked and all(not b.notes_in(timeline.bars[index]) for b in builds)

    runs: list[list[int]] = []
    for bar in timeline.bars:
        if not plain(bar.index):
            continue
        if runs and runs[-1][-1] == bar.index - 1:
            runs[-1].append(bar.index)
        else:
            runs.append([bar.index])
    for run in (r for r in runs if len(r) > 1):
        for build in builds:
            rests = [rest for index in run
                     for rest in build.measures[index].getElementsByClass(note.Rest)]
            build.part.insert(0, spanner.MultiMeasureRest(rests))  # type: ignore[no-untyped-call]


def _numeral(span: HarmonySpan, named_key: Key | None) -> str:
    """The chord's Roman numeral, prefixed by its key where the chords move to a new key
    (a modulation's V7 is read in the key it leads to, before that key's tonic arrives)."""
    figure = span.chord.figure
    key = span.chord.key
    if key != named_key:
        return f"{str(key).split()[0]}{'' if key.mode == 'major' else 'm'}: {figure}"
    return figure


def score_events(score: stream.Score) -> list[str]:
    """Readable events of a score, ordered by bar, beat and part."""
    from music21 import stream

    rows: list[tuple[int, Fraction, int, int, str]] = []
    for p_index, part in enumerate(score.parts):
        label = str(part.id)
        for measure in part.getElementsByClass(stream.Measure):
            number = int(measure.number)
            for element in measure:
                at = Fraction(element.offset).limit_denominator(48)
                row = _event_row(element, label, p_index == 0)
                if row is not None:
                    order, text = row
                    rows.append((number, at, -1 if order < 0 else p_index, abs(order), text))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return [f"bar {r[0]} beat {_q(r[1] + 1)} {r[4]}" for r in rows]


def _event_row(element: Any, label: str, top: bool) -> tuple[int, str] | None:
    """(order, text) of one element for the event list; negative order: a score-wide line."""
    from music21 import chord, clef, dynamics, expressions, instrument, key, meter, note, tempo

    if isinstance(element, meter.TimeSignature):
        return (-1, f"time {element.ratioString}") if top else None
    if isinstance(element, key.Key):
        return (-2, f"key {element.tonic.name} {element.mode}") if top else None
    if isinstance(element, expressions.RehearsalMark):
        return (-3, f"rehearsal {element.content}")
    if isinstance(element, tempo.MetronomeMark):
        sounding = float(element.getQuarterBPM() or 0)
        if element.numberImplicit:
            return (-4, f"tempo {sounding:.2f} (sound only)")
        return (-4, f"tempo {element.referent.fullName.lower()} = {element.number} "
                    f"(sounds {sounding:.2f})")
    if isinstance(element, expressions.TextExpression):
        return (-5, f"text {element.content}") if top else (5, f"{label} text {element.content}")
    if isinstance(element, clef.Clef):
        return (0, f"{label} clef {type(element).__name__.removesuffix('Clef').lower()}")
    if isinstance(element, instrument.Instrument):
        return (1, f"{label} program {element.midiProgram} {element.instrumentName}")
    if isinstance(element, dynamics.Dynamic):
        return (2, f"{label} dynamic {element.value}")
    if isinstance(element, note.Note | chord.Chord):
        pitches = "+".join(p.nameWithOctave for p in element.pitches)
        tie = f" tie-{element.tie.type}" if element.tie is not None else ""
        lyric = f" [{element.lyric}]" if element.lyric else ""
        marks = "".join(f" {type(a).__name__.lower()}" for a in element.articulations)
        length = Fraction(element.quarterLength).limit_denominator(48)
        return (3, f"{label} {pitches} {_q(length)} v{element.volume.velocity}"
                   f"{tie}{marks}{lyric}")
    return None


def _q(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"
