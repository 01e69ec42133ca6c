"""Turn the composer's note lists into one music21 Score, and write it out.

Parts: melody, accompaniment and (when any scene has a bass instrument) bass,
each a list of measures. Every part carries the time and key signatures;
tempo marks live in the top part only (music21 writes them to the MIDI
conductor track). Instruments are music21 instrument objects with their GM
program, inserted at the first bar of each scene whose instrument differs, so
the MIDI carries program changes. The Roman numeral of each chord is written as
a lyric under its bass note, so the score shows its own harmonic analysis.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from storyscore.compose.harmony import HarmonySpan
from storyscore.compose.notes import NoteEvent
from storyscore.compose.request import ScenePlan
from storyscore.compose.theory import Key, spell
from storyscore.compose.timeline import Bar, Timeline
from storyscore.files import write_bytes

if TYPE_CHECKING:
    from music21 import chord, note, stream

PARTS = ("melody", "accompaniment", "bass")


@dataclass(frozen=True, eq=False)
class ComposedScore:
    """The music of a whole story path, with where each scene lies in it."""

    score: stream.Score
    scene_starts: tuple[float, ...]  # seconds where each scene starts (a downbeat)
    scene_durations: tuple[float, ...]  # seconds; flexible scenes may be longer, never shorter
    total_seconds: float
    harmony: tuple[HarmonySpan, ...]  # every chord, with its key and cadence role
    timeline: Timeline  # bars and tempo marks

    def midi_bytes(self) -> bytes:
        """The score as a standard MIDI file (type 1, tempo map in the first track).

        It ends with the last note (music21's customary extra beat of silence is
        left out), so a story that ends in silence needs padding by the mixer to
        ``total_seconds``.
        """
        from music21.midi import translate

        return bytes(translate.streamToMidiFile(self.score, addEndDelay=False).writestr())

    def write_midi(self, path: str | os.PathLike[str]) -> None:
        """Write the MIDI file atomically (temporary file, then rename)."""
        _write_output(Path(path), self.midi_bytes())

    def write_musicxml(self, path: str | os.PathLike[str]) -> None:
        """Write MusicXML atomically (temporary file, then rename)."""
        from music21.musicxml.m21ToXml import GeneralObjectExporter

        _write_output(Path(path), bytes(GeneralObjectExporter(self.score).parse()))

    def events(self) -> list[str]:
        """A readable event list: one line per note, chord, tempo, key, metre or instrument."""
        return score_events(self.score)


def _write_output(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, data)


def _key_changes(spans: Sequence[HarmonySpan]) -> dict[int, Key]:
    """Bars where a key signature is written: where each new key's tonic arrives."""
    changes: dict[int, Key] = {}
    current: Key | None = None
    for span in spans:
        key = span.chord.key
        if current is None or (key != current and span.chord.figure in ("I", "i")):
            changes[span.bar] = key
            current = key
    if 0 not in changes and changes:
        # Music may start after a silent scene: its key is written from the first bar.
        changes[0] = changes.pop(min(changes))
    return changes


def _fraction(value: float) -> Fraction:
    return Fraction(value).limit_denominator(48)


def build_score(
    plans: Sequence[ScenePlan], timeline: Timeline, spans: Sequence[HarmonySpan],
    parts: dict[str, list[NoteEvent]], title: str,
) -> stream.Score:
    """Assemble the music21 Score (see the module docstring)."""
    from music21 import expressions, instrument, key, metadata, meter, note, stream, tempo

    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = title or "storyscore"
    key_changes = _key_changes(spans)
    programs = {
        "melody": [None if p.silent else p.melody_program for p in plans],
        "accompaniment": [None if p.silent else p.accompaniment_program for p in plans],
        "bass": [None if p.silent else p.bass_program for p in plans],
    }
    # Roman numerals go under the bass note, or the accompaniment's where there is no bass.
    lyrics: dict[tuple[str, float], str] = {}
    named_key: Key | None = None  # the key last named in the lyrics
    for span in spans:
        part_name = "accompaniment" if plans[span.scene].bass_program is None else "bass"
        lyrics[(part_name, span.offset)] = _numeral(span, named_key)
        if span.chord.figure in ("I", "i"):
            named_key = span.chord.key
    for name in PARTS:
        events = sorted(parts.get(name, []), key=lambda e: (e.offset, e.pitches))
        if not events and name != "melody":
            continue
        part = stream.Part(id=name)  # type: ignore[no-untyped-call]
        part.partName = name.capitalize()
        by_bar = _events_by_bar(events, timeline.bars)
        current_program: int | None = None
        previous_bar: Bar | None = None
        marks = list(timeline.marks) if name == "melody" else []
        scene_first_bar = {timeline.scene_bars(i)[0].index: i for i in range(len(plans))}
        for bar in timeline.bars:
            measure = stream.Measure(number=bar.index + 1)
            if previous_bar is None or previous_bar.time_signature != bar.time_signature:
                measure.coreInsert(0, meter.TimeSignature(bar.time_signature))
            if bar.index in key_changes:
                k = key_changes[bar.index]
                # A music21 Key is costly to build (it makes its scale), so only the top
                # part, which the event list reads, gets one; the others get the signature.
                signature = (key.Key(k.tonic, k.mode) if name == "melody"
                             else key.KeySignature(k.sharps))
                measure.coreInsert(0, signature)
            scene = scene_first_bar.get(bar.index)
            if scene is not None:
                program = programs[name][scene]
                if program is None and current_program is None:
                    program = next((p for p in programs[name][scene:] if p is not None), None)
                if program is not None and program != current_program:
                    measure.coreInsert(0, instrument.instrumentFromMidiProgram(program))
                    current_program = program
            while marks and marks[0].offset < bar.end - 1e-9:
                mark = marks.pop(0)
                at = _fraction(mark.offset - bar.offset)
                mm = tempo.MetronomeMark(number=mark.bpm, referent=1.0)
                measure.coreInsert(at, mm)
                if mark.modulation is not None:
                    ratio = mark.modulation
                    text = expressions.TextExpression(  # type: ignore[no-untyped-call]
                        f"metric modulation: tempo x{ratio.numerator}/{ratio.denominator}")
                    measure.coreInsert(at, text)
            position = 0.0
            for event in by_bar.get(bar.index, []):
                start = event.offset - bar.offset
                if start > position + 1e-9:
                    measure.coreInsert(_fraction(position),
                                       note.Rest(quarterLength=_fraction(start - position)))
                element = _element(event)
                lyric = lyrics.pop((name, event.offset), None)
                if lyric is not None:
                    element.lyric = lyric
                measure.coreInsert(_fraction(start), element)
                position = start + event.length
            if position < bar.length - 1e-9:
                measure.coreInsert(_fraction(position),
                                   note.Rest(quarterLength=_fraction(bar.length - position)))
            measure.coreElementsChanged()
            part.coreAppend(measure)
            previous_bar = bar
        part.coreElementsChanged()
        score.insert(0, part)
    return score


def _numeral(span: HarmonySpan, named_key: Key | None) -> str:
    """The chord's Roman numeral, prefixed by its key where a new key's tonic arrives."""
    figure = span.chord.figure
    key = span.chord.key
    if figure in ("I", "i") and key != named_key:
        return f"{str(key).split()[0]}{'' if key.mode == 'major' else 'm'}: {figure}"
    return figure


def _events_by_bar(events: list[NoteEvent], bars: Sequence[Bar]) -> dict[int, list[NoteEvent]]:
    """Group events by bar, splitting (and tying) any that cross a bar line."""
    out: dict[int, list[NoteEvent]] = {}
    index = 0
    for event in events:
        while bars[index].end <= event.offset + 1e-9:
            index += 1
        b = index
        current = event
        while current.end > bars[b].end + 1e-9:
            head_len = bars[b].end - current.offset
            out.setdefault(b, []).append(NoteEvent(
                current.offset, head_len, current.pitches, current.velocity, current.chord,
                True, current.tie_stop))
            current = NoteEvent(bars[b].end, current.end - bars[b].end, current.pitches,
                                current.velocity, current.chord, current.tie_start, True)
            b += 1
        out.setdefault(b, []).append(current)
    return out


def _element(event: NoteEvent) -> note.Note | chord.Chord:
    from music21 import chord, note, tie

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
    return element


def _octave(midi: int, name: str) -> int:
    """The octave number music21 needs so that ``name`` + octave sounds ``midi``."""
    # B#3 sounds like C4 and Cb4 like B3: spellings can cross the octave boundary.
    natural = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[name[0]]
    shift = sum(1 if c == "#" else -1 for c in name[1:])
    return (midi - natural - shift) // 12 - 1


def score_events(score: stream.Score) -> list[str]:
    """Readable events of a score, ordered by bar, beat and part."""
    from music21 import chord, expressions, instrument, key, meter, note, stream, tempo

    rows: list[tuple[int, Fraction, int, int, str]] = []
    for p_index, part in enumerate(score.parts):
        label = str(part.id)
        for measure in part.getElementsByClass(stream.Measure):
            number = int(measure.number)
            for element in measure:
                at = Fraction(element.offset).limit_denominator(48)
                if isinstance(element, meter.TimeSignature):
                    if p_index == 0:
                        rows.append((number, at, -1, 0, f"time {element.ratioString}"))
                elif isinstance(element, key.Key):
                    if p_index == 0:
                        rows.append((number, at, -1, 1, f"key {element.tonic.name} {element.mode}"))
                elif isinstance(element, tempo.MetronomeMark):
                    rows.append((number, at, -1, 2, f"tempo {float(element.number):.2f}"))
                elif isinstance(element, expressions.TextExpression):
                    rows.append((number, at, -1, 3, f"text {element.content}"))
                elif isinstance(element, instrument.Instrument):
                    rows.append((number, at, p_index, 0,
                                 f"{label} program {element.midiProgram} "
                                 f"{element.instrumentName}"))
                elif isinstance(element, note.Note | chord.Chord):
                    pitches = "+".join(p.nameWithOctave for p in element.pitches)
                    tie = f" tie-{element.tie.type}" if element.tie is not None else ""
                    lyric = f" [{element.lyric}]" if element.lyric else ""
                    length = Fraction(element.quarterLength).limit_denominator(48)
                    rows.append((number, at, p_index, 1,
                                 f"{label} {pitches} {_q(length)} v{element.volume.velocity}"
                                 f"{tie}{lyric}"))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return [f"bar {r[0]} beat {_q(r[1] + 1)} {r[4]}" for r in rows]


def _q(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"
