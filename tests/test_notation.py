"""The written score as a musician reads it: MusicXML facts, engraving with verovio, and
the difference between what is printed and what sounds."""

from __future__ import annotations

import dataclasses
import io
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from test_metrics import PATHS

from conftest import STORIES, ComposedExample, compare_golden, small_example
from storyscore import vocab
from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.notation import diatonic_step, ledger_lines, part_order, staff_of_bar
from storyscore.compose.request import instrument_range
from storyscore.compose.score import dynamic_level, rehearsal_letter
from storyscore.compose.theory import Key
from storyscore.timeline import all_paths, default_path

GOLDEN = Path(__file__).parent / "golden"
FPS = 24


def plan(**changes: object) -> ScenePlan:
    base = ScenePlan(
        scene_id="s", duration=8.0, flexible=False, tonic="C", mode="major", tempo=100.0,
        valence=0.5, arousal=0.2, tension=0.2, melody_program=73, accompaniment_program=0,
        bass_program=32, register=72, density=0.5, velocity=80, staccato=0.2,
        texture="arpeggio", contour=(0.3, 0.7, 0.5), narration=(), volume=1.0, silent=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def xml_of(composed: ComposedScore) -> ET.Element:
    return ET.fromstring(composed.musicxml_bytes())


def facts(root: ET.Element) -> list[str]:
    """What a reader sees first, from the MusicXML: parts, clefs, meters, keys, marks, words."""
    lines = [f"title {root.findtext('work/work-title') or root.findtext('movement-title')}"]
    names = {p.get("id"): (p.findtext("part-name"), p.findtext("part-abbreviation"))
             for p in root.iter("score-part")}
    groups = [g.findtext("group-symbol") for g in root.iter("part-group")
              if g.get("type") == "start"]
    lines += [f"group {symbol}" for symbol in groups if symbol]
    for part in root.iter("part"):
        name, abbreviation = names[part.get("id")]
        lines.append(f"part {name} ({abbreviation})")
        staves = part.findtext("measure/attributes/staves")
        if staves:
            lines.append(f"  staves {staves}")
        for measure in part.iter("measure"):
            number = measure.get("number")
            for attributes in measure.iter("attributes"):
                for clef in attributes.iter("clef"):
                    octave = clef.findtext("clef-octave-change")
                    lines.append(f"  bar {number} clef {clef.findtext('sign')}"
                                 f"{clef.findtext('line')}" + (f" 8va{octave}" if octave else "")
                                 + (f" staff {clef.get('number')}" if clef.get("number") else ""))
                for time in attributes.iter("time"):
                    lines.append(f"  bar {number} time {time.findtext('beats')}/"
                                 f"{time.findtext('beat-type')}")
                for key in attributes.iter("key"):
                    lines.append(f"  bar {number} key {key.findtext('fifths')}")
            for direction in measure.iter("direction"):
                for metronome in direction.iter("metronome"):
                    unit = metronome.findtext("beat-unit")
                    dot = "." if metronome.find("beat-unit-dot") is not None else ""
                    lines.append(f"  bar {number} tempo {unit}{dot} = "
                                 f"{metronome.findtext('per-minute')}")
                for mark in direction.iter("rehearsal"):
                    lines.append(f"  bar {number} rehearsal {mark.text}")
                for words in direction.iter("words"):
                    if words.text:
                        lines.append(f"  bar {number} words {words.text}")
    return lines


def concert_keys(part: ET.Element) -> list[tuple[int, int]]:
    """(bar, key signature) of each change of key in a part, in sharps at concert pitch (mod 12)
    and read through the part's ``transpose`` (a clarinet writes C major as D major)."""
    out: list[tuple[int, int]] = []
    chromatic = 0  # written minus sounding semitones, negated: the MusicXML's transpose
    for measure in part.iter("measure"):
        for transpose in measure.iter("transpose"):
            chromatic = int(transpose.findtext("chromatic") or 0)
        for key in measure.iter("key"):
            # A key a semitones higher has 7 * a more sharps (mod 12).
            sharps = (int(key.findtext("fifths") or 0) + 7 * chromatic) % 12
            if not out or out[-1][1] != sharps:
                out.append((int(measure.get("number") or 0), sharps))
    return out


def sounding_notes(root: ET.Element, bar_offsets: list[float]) -> dict[str, set[tuple[float, int]]]:
    """Every note's (onset in quarter notes, sounding MIDI pitch) per part, as a MusicXML
    player reads them: the written pitch moved by the part's ``transpose`` in force."""
    steps = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
    out: dict[str, set[tuple[float, int]]] = {}
    for part in root.iter("part"):
        notes = out.setdefault(part.get("id") or "", set())
        shift = 0
        for element, start in timed_elements(part, bar_offsets):
            for transpose in element.iter("transpose"):
                shift = (int(transpose.findtext("chromatic") or 0)
                         + 12 * int(transpose.findtext("octave-change") or 0))
            pitch = element.find("pitch") if element.tag == "note" else None
            tied = [t.get("type") for t in element.iter("tie")]
            if pitch is not None and "stop" not in tied:
                midi = (12 * (int(pitch.findtext("octave") or 0) + 1)
                        + steps[pitch.findtext("step") or "C"]
                        + int(float(pitch.findtext("alter") or 0)))
                notes.add((round(start, 3), midi + shift))
    return out


def timed_elements(part: ET.Element, bar_offsets: list[float]
                   ) -> Iterator[tuple[ET.Element, float]]:
    """Every element of a part's bars in order, with its time in quarter notes (a note's
    onset, a chord's notes sharing their first's), following ``backup`` and ``forward``."""
    divisions = 1.0
    for measure in part.iter("measure"):
        position = start = bar_offsets[int(measure.get("number") or 1) - 1]
        for element in measure:
            divisions = float(element.findtext("divisions") or divisions)
            length = float(element.findtext("duration") or 0) / divisions
            if element.tag == "backup":
                position -= length
            elif element.tag == "forward":
                position += length
            elif element.tag == "note" and element.find("chord") is None:
                start, position = position, position + length
            yield element, start if element.tag == "note" else position


# ---------------------------------------------------------------- the example stories


@pytest.fixture(scope="module")
def story_scores(composed_example: ComposedExample) -> dict[str, ComposedScore]:
    """Each example story's default path, composed as the renderer does."""
    return {path.stem: composed_example(path.stem, default_path(small_example(path.stem))).score
            for path in STORIES}


@pytest.mark.parametrize("name", [p.stem for p in STORIES])
def test_example_score_engraves_with_verovio(story_scores: dict[str, ComposedScore],
                                             name: str) -> None:
    import verovio

    verovio.enableLog(verovio.LOG_WARNING)
    toolkit = verovio.toolkit()
    toolkit.setOptions({"pageWidth": 2100, "pageHeight": 2970, "scale": 35})
    assert toolkit.loadData(story_scores[name].musicxml_bytes().decode("utf-8"))
    assert toolkit.getLog().strip() == ""
    pages = toolkit.getPageCount()
    assert pages > 0
    svg = toolkit.renderToSVG(1)
    # Every part's staff is engraved: a staff group per system, with notes on it.
    assert svg.count('class="staff"') >= len(story_scores[name].score.parts)
    assert 'class="note"' in svg


@pytest.mark.parametrize("name", [p.stem for p in STORIES])
def test_golden_musicxml_facts(story_scores: dict[str, ComposedScore], name: str,
                               update_golden: bool) -> None:
    text = "\n".join(facts(xml_of(story_scores[name]))) + "\n"
    compare_golden(GOLDEN / f"notation-{name}.txt", text, update_golden)


@pytest.mark.parametrize("name", [p.stem for p in STORIES])
def test_example_score_reads_as_one_piece(story_scores: dict[str, ComposedScore],
                                          name: str) -> None:
    lines = facts(xml_of(story_scores[name]))
    part_lines = [line for line in lines if line.startswith("part ")]
    # One meter, written once per staff; part names never change (one score-part each).
    meters = {line.split(" time ")[1] for line in lines if " time " in line}
    assert len(meters) == 1, meters
    assert len(part_lines) == len(set(part_lines))
    # Printed tempo marks are whole numbers, and at most one a bar.
    tempos = [line for line in lines if " tempo " in line]
    assert tempos
    assert all(line.rsplit("= ", 1)[1].isdigit() for line in tempos)
    bars = [line.split(" tempo ")[0] for line in tempos]
    assert len(bars) == len(set(bars))
    # The same keys at the same bars in every part, at concert pitch.
    root = xml_of(story_scores[name])
    keys = [concert_keys(part) for part in root.iter("part")]
    assert len(keys) == len(part_lines)
    assert all(k == keys[0] for k in keys), keys
    # Tempo marks stand above the top staff, and only over bars that play (a silent
    # scene is a rest with its scene's letter and title).
    top = next(root.iter("part")).get("id")
    playing = {int(m.get("number") or 0) for part in root.iter("part") for m in part.iter("measure")
               if m.find("note/pitch") is not None}
    assert all(part == top and bar in playing for part, bar, _ in printed_tempi(root))
    # Every rit. arrives at a slower printed mark, every accel. at a faster one.
    tempo_marks = [line.split()[-1] if " words " in line else int(line.rsplit("= ", 1)[1])
                   for line in lines if " tempo " in line or line.endswith((" rit.", " accel."))]
    for k, mark in enumerate(tempo_marks):
        if isinstance(mark, str):
            before = [m for m in tempo_marks[:k] if isinstance(m, int)][-1]
            after = next(m for m in tempo_marks[k:] if isinstance(m, int))
            assert (after < before) if mark == "rit." else (after > before), tempo_marks
    # Each scene of the path has its rehearsal letter.
    scenes = len(story_scores[name].timeline.scene_offsets)
    marks = [line.split("rehearsal ")[1] for line in lines if " rehearsal " in line]
    assert marks == [rehearsal_letter(k) for k in range(scenes)]


@pytest.mark.parametrize("name", [p.stem for p in STORIES])
def test_example_score_sounds_what_the_midi_plays(story_scores: dict[str, ComposedScore],
                                                  name: str) -> None:
    # Read as written, through each instrument's transposition, every part's notes are
    # the composer's: a clarinet or a contrabass is written where its player reads it.
    composed = story_scores[name]
    root = xml_of(composed)
    heard = sounding_notes(root, [bar.offset for bar in composed.timeline.bars])
    parts = [n for n in part_order(composed.part_events)
             if composed.part_events[n] or n == "melody"]
    assert len(parts) == len(heard)
    for part, notes in zip(parts, heard.values(), strict=True):
        assert notes == {(round(e.offset, 3), p) for e in composed.part_events[part]
                         if not e.tie_stop for p in e.pitches}, part


# ---------------------------------------------------------------- notation rules


def test_part_names_stay_and_instrument_changes_are_written() -> None:
    plans = [plan(scene_id="a", melody_program=73, title="Dawn"),
             plan(scene_id="b", melody_program=71, title="Market")]
    root = xml_of(compose(plans, fps=FPS, seed=1))
    parts = [p.findtext("part-name") for p in root.iter("score-part")]
    assert parts[0] == "Melody"  # two instruments: named by its role
    melody = next(root.iter("part"))
    words = [w.text for w in melody.iter("words")]
    assert "Flute" in words
    assert "to Clarinet" in words
    assert "Dawn" in words
    assert "Market" in words
    # One instrument throughout: the part is named after it.
    assert "Bass" in parts or "Bs." in [p.findtext("part-abbreviation")
                                        for p in root.iter("score-part")]


def instrument_words(root: ET.Element) -> dict[str, list[tuple[int, str]]]:
    """Each part's instrument names written as text: part name -> [(bar, words)]."""
    names = {p.get("id"): p.findtext("part-name") for p in root.iter("score-part")}
    levels = {"rit.", "accel."}
    return {names[part.get("id")] or "": [
        (int(measure.get("number") or 0), words.text)
        for measure in part.iter("measure") for words in measure.iter("words")
        if words.text and words.get("font-style") == "italic" and words.text not in levels]
        for part in root.iter("part")}


def test_an_instrument_change_is_written_only_where_the_instrument_changes() -> None:
    # Flute, clarinet, clarinet again after a silence, flute: two changes to write, not three.
    programs = (73, 71, 71, 71, 73)
    plans = [plan(scene_id=f"s{k}", duration=6.0, melody_program=program, silent=k == 2)
             for k, program in enumerate(programs)]
    composed = compose(plans, fps=FPS, seed=1)
    starts = {k: composed.timeline.scene_bars(k)[0].index + 1 for k in range(len(plans))}
    words = instrument_words(xml_of(composed))
    assert words["Melody"] == [(starts[0], "Flute"), (starts[1], "to Clarinet"),
                               (starts[4], "to Flute")]
    # One instrument throughout: its name is the part's, and nothing is written.
    assert words["Bass"] == []


def test_two_programs_named_alike_are_one_instrument_to_the_reader() -> None:
    # Two General MIDI string sections: the MIDI changes program, the player reads "Strings".
    plans = [plan(scene_id="a", accompaniment_program=48),
             plan(scene_id="b", accompaniment_program=49)]
    root = xml_of(compose(plans, fps=FPS, seed=1))
    words = instrument_words(root)
    assert "Strings" in words
    assert words["Strings"] == []


def test_transposing_instruments_are_written_at_their_pitch_and_sound_the_midi() -> None:
    # A clarinet (a tone lower than written) hands the tune to a flute (as written); the
    # contrabass sounds an octave below its notes. The MusicXML must sound what the MIDI plays.
    plans = [plan(scene_id="a", melody_program=71, bass_program=43),
             plan(scene_id="b", melody_program=73, bass_program=42)]
    composed = compose(plans, fps=FPS, seed=1)
    root = xml_of(composed)
    heard = sounding_notes(root, [bar.offset for bar in composed.timeline.bars])
    ids = {p.findtext("part-name"): p.get("id") for p in root.iter("score-part")}
    for part, events in composed.part_events.items():
        name = {"melody": "Melody", "bass": "Bass"}.get(part)
        if name is None:
            continue
        played = {(round(e.offset, 3), p) for e in events if not e.tie_stop for p in e.pitches}
        assert heard[ids[name] or ""] == played
    melody = next(p for p in root.iter("part") if p.get("id") == ids["Melody"])
    transposes = [(int(m.get("number") or 0), int(t.findtext("chromatic") or 0))
                  for m in melody.iter("measure") for t in m.iter("transpose")]
    second = composed.timeline.scene_bars(1)[0].index + 1
    assert transposes == [(1, -2), (second, 0)]
    # The clarinet reads C major as D major, and the flute reads C major again.
    keys = [(int(m.get("number") or 0), k.findtext("fifths"))
            for m in melody.iter("measure") for k in m.iter("key")]
    assert keys == [(1, "2"), (second, "0")]


def test_bass_is_in_bass_clef_and_piano_on_a_grand_staff() -> None:
    from storyscore.compose.notes import NoteEvent
    from storyscore.compose.score import build_score
    from storyscore.compose.theory import Key, realise

    base = compose([plan()], fps=FPS, seed=1)
    tonic = realise("I", Key("C", "major"))
    bars = len(base.timeline.bars)
    # A piano part from the bass to above the treble staff, a bass line, a flute tune.
    piano = [NoteEvent(4.0 * k, 4.0, (36, 43, 52) if k % 2 else (64, 72, 79), 60, tonic)
             for k in range(bars)]
    bass = [NoteEvent(4.0 * k, 4.0, (36,), 60, tonic) for k in range(bars)]
    flute = [NoteEvent(4.0 * k, 4.0, (76,), 60, tonic) for k in range(bars)]
    parts = {"melody": flute, "accompaniment": piano, "bass": bass}
    score = build_score([plan()], base.timeline, base.harmony, parts, "t")
    root = xml_of(dataclasses.replace(base, score=score))
    names = {p.get("id"): p.findtext("part-name") for p in root.iter("score-part")}
    clefs = {names[part.get("id")]: [(c.findtext("sign"), c.get("number"))
                                     for c in part.iter("clef")] for part in root.iter("part")}
    assert clefs == {"Flute": [("G", None)], "Piano": [("G", "1"), ("F", "2")],
                     "Bass": [("F", None)]}
    piano_part = next(p for p in root.iter("part") if names[p.get("id")] == "Piano")
    assert piano_part.findtext("measure/attributes/staves") == "2"


def test_grand_staff_bars_go_to_the_staff_that_fits() -> None:
    from storyscore.compose.notes import NoteEvent
    from storyscore.compose.theory import Key, realise

    tonic = realise("I", Key("C", "major"))
    high = [NoteEvent(0, 1, (64, 67, 72), 60, tonic)]
    low = [NoteEvent(0, 1, (43, 48, 52), 60, tonic)]
    wide = [NoteEvent(0, 1, (36, 43, 64, 72), 60, tonic)]
    assert staff_of_bar(high) == "upper"
    assert staff_of_bar(low) == "lower"
    assert staff_of_bar(wide) is None


def test_ledger_lines_count_from_the_staff() -> None:
    assert ledger_lines(diatonic_step(64), "treble") == 0  # E4, the bottom line
    assert ledger_lines(diatonic_step(60), "treble") == 1  # middle C
    assert ledger_lines(diatonic_step(53), "treble") == 3  # F3
    assert ledger_lines(diatonic_step(60), "bass") == 1
    assert ledger_lines(diatonic_step(36), "bass") == 2  # C2


def test_tempo_ramps_print_rit_and_whole_numbers_and_sound_every_beat() -> None:
    plans = [plan(scene_id="a", duration=12.0, tempo=84),
             plan(scene_id="b", duration=12.0, tempo=100)]
    composed = compose(plans, fps=FPS, seed=1)
    root = xml_of(composed)
    melody = next(root.iter("part"))
    printed = [m.findtext("per-minute") for m in melody.iter("metronome")]
    sounding = [float(s.get("tempo", "0")) for s in melody.iter("sound") if s.get("tempo")]
    assert printed
    assert all(p is not None and p.isdigit() for p in printed)
    assert len(sounding) == len(composed.timeline.marks)
    assert sounding == pytest.approx([m.bpm for m in composed.timeline.marks], abs=0.01)
    words = [w.text for w in melody.iter("words")]
    if composed.timeline.ramps:
        assert any(w in ("rit.", "accel.") for w in words)
        assert len(printed) < len(sounding)  # the ramp's beats are sound-only


def test_dynamics_and_articulations_are_written() -> None:
    plans = [plan(scene_id="a", velocity=50, staccato=0.9, arousal=0.7),
             plan(scene_id="b", velocity=100, staccato=0.0)]
    composed = compose(plans, fps=FPS, seed=1)
    text = composed.musicxml_bytes().decode()
    assert "<dynamics" in text
    assert "<staccato" in text or "<accent" in text
    # Hairpins into the new level sit below their staff, as the dynamics do (one above the
    # lowest staff crowded the hairpin of the staff over it).
    wedges = [w for part in composed.score.parts for w in part.spanners
              if type(w).__name__ in ("Crescendo", "Diminuendo")]
    assert wedges
    assert {w.placement for w in wedges} == {"below"}
    assert dynamic_level(50) == "p"
    assert dynamic_level(100) == "f"


def test_printed_lengths_and_sounding_lengths_differ_for_staccato() -> None:
    import mido

    from storyscore.compose.notes import NoteEvent
    from storyscore.compose.score import build_score, score_programs
    from storyscore.compose.theory import Key, realise

    base = compose([plan()], fps=FPS, seed=1)
    tonic = realise("I", Key("C", "major"))
    melody = [NoteEvent(0.0, 0.5, (72,), 80, tonic, articulation="staccato", written=1.0),
              NoteEvent(1.0, 3.0, (76,), 80, tonic)]
    parts = {"melody": melody, "accompaniment": [], "bass": []}
    score = build_score([plan()], base.timeline, base.harmony, parts, "t")
    composed = dataclasses.replace(base, score=score, part_events=parts,
                                   programs=score_programs([plan()], parts))
    first = next(iter(composed.score.parts[0].flatten().notes))
    assert float(first.quarterLength) == 1.0
    assert [type(a).__name__ for a in first.articulations] == ["Staccato"]
    midi = mido.MidiFile(file=io.BytesIO(composed.midi_bytes()))
    tick = 0
    ends = {}
    for message in midi.tracks[1]:
        tick += message.time
        if message.type == "note_off":
            ends.setdefault(message.note, tick)
    assert ends[72] == midi.ticks_per_beat // 2  # sounds an eighth, printed a quarter


@pytest.mark.parametrize("texture", ["block", "ostinato"])
def test_detached_accompaniment_is_written_as_dotted_values_not_rests(texture: str) -> None:
    # Very detached chords sound a sixteenth of each eighth: the score prints eighths with
    # staccato dots (one symbol a note), the MIDI keeps the short sounding length.
    composed = compose([plan(texture=texture, staccato=0.9, duration=12.0, arousal=0.6,
                             density=0.8)], fps=FPS, seed=3)
    staff = next(p for p in composed.score.parts if p.id == "accompaniment")
    written = list(staff.flatten().notesAndRests)
    notes = [e for e in written if not e.isRest]
    assert len(notes) >= 16
    assert not [e for e in written if e.isRest]
    assert all(float(n.quarterLength) == 0.5 for n in notes[:-1])
    assert all("Staccato" in [type(a).__name__ for a in n.articulations] for n in notes[:-1])
    events = composed.part_events["accompaniment"]
    assert all(e.length == 0.25 and e.written == 0.5 for e in events[:-1])


def test_numerals_name_each_new_key_where_its_chords_begin() -> None:
    # C major to E minor: the modulation's dominant is read in E minor, so the analysis
    # names E minor there, not only when its tonic arrives.
    plans = [plan(scene_id="a", duration=10.0), plan(scene_id="b", duration=10.0, tonic="E",
                                                     mode="minor", valence=-0.5)]
    composed = compose(plans, fps=FPS, seed=2)
    lyrics = {round(float(n.getOffsetInHierarchy(part)), 6): n.lyric
              for part in composed.score.parts for n in part.recurse().notes if n.lyric}
    named = None
    figure = ""
    labelled = 0
    for span in composed.harmony:
        lyric = lyrics.get(round(span.offset, 6))
        if lyric is None:
            continue
        labelled += 1
        key = span.chord.key
        prefix = f"{str(key).split()[0]}{'' if key.mode == 'major' else 'm'}: "
        if key == named and span.chord.figure == f"{figure}7":
            assert lyric == "7", (span, lyric)  # V then V7: the seventh joins
        else:
            assert lyric == (prefix if key != named else "") + span.chord.figure, (span, lyric)
        named, figure = key, span.chord.figure
    assert labelled >= len(composed.timeline.bars)
    assert {s.chord.key for s in composed.harmony} >= {Key("C", "major"), Key("E", "minor")}


def test_numerals_go_on_where_the_bass_rests() -> None:
    # A scene without a bass instrument is analysed under the accompaniment (its lower
    # staff: a piano's grand staff).
    plans = [plan(scene_id="a", duration=10.0), plan(scene_id="b", duration=10.0,
                                                     bass_program=None)]
    composed = compose(plans, fps=FPS, seed=2)
    start = composed.timeline.scene_offsets[1]
    chords = {round(s.offset, 6) for s in composed.harmony if s.offset >= start - 1e-9}
    staff = next(p for p in composed.score.parts if p.id == "accompaniment:lower")
    lyrics = {round(float(n.getOffsetInHierarchy(staff)), 6): n.lyric
              for n in staff.recurse().notes if n.lyric}
    assert len(chords) >= 4
    assert set(lyrics) == chords


def test_rehearsal_letters_run_past_z() -> None:
    assert [rehearsal_letter(k) for k in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "BB"]


def test_a_scene_without_a_title_is_named_like_a_heading() -> None:
    # The language titles an untitled scene with its id; a reader sees a heading.
    plans = [plan(scene_id="old-oak", title="The old oak"), plan(scene_id="river_mouth"),
             plan(scene_id="tower", title="tower")]
    words = [w.text for w in xml_of(compose(plans, fps=FPS, seed=1)).iter("words")
             if w.get("font-weight") == "bold"]
    assert words == ["The old oak", "River mouth", "Tower"]



def test_silent_bars_become_one_multi_measure_rest() -> None:
    plans = [plan(scene_id="a", duration=8.0), plan(scene_id="b", duration=20.0, silent=True)]
    composed = compose(plans, fps=FPS, seed=1)
    root = xml_of(composed)
    silent_bars = len(composed.timeline.scene_bars(1))
    rests = [int(m.text or 0) for m in next(root.iter("part")).iter("multiple-rest")]
    # The silent scene's first bar keeps its rehearsal letter and title; the rest is one symbol.
    assert rests == [silent_bars - 1]
    assert facts(root).count("  bar 1 rehearsal A") == 1
    assert any(line.endswith("rehearsal B") for line in facts(root))


def printed_tempi(root: ET.Element) -> list[tuple[str, int, str]]:
    """(part id, bar, number) of every printed metronome mark."""
    return [(part.get("id") or "", int(measure.get("number") or 0),
             metronome.findtext("per-minute") or "")
            for part in root.iter("part") for measure in part.iter("measure")
            for metronome in measure.iter("metronome")]


def test_a_silent_scene_prints_no_tempo_and_no_ramp_into_it() -> None:
    # The closing credits are silent and faster: the tempo map still moves (the MIDI
    # follows it), but a player reads a rehearsal letter, the title and a rest there.
    plans = [plan(scene_id="a", duration=8.0, tempo=84),
             plan(scene_id="b", duration=12.0, tempo=110, silent=True, title="The end")]
    composed = compose(plans, fps=FPS, seed=1)
    silent_start = composed.timeline.scene_offsets[1]
    assert any(m.offset >= silent_start - 1e-9 for m in composed.timeline.marks)
    root = xml_of(composed)
    silent = {bar.index + 1 for bar in composed.timeline.scene_bars(1)}
    assert [bar for _, bar, _ in printed_tempi(root)] == [1]
    for measure in (m for part in root.iter("part") for m in part.iter("measure")
                    if int(m.get("number") or 0) in silent):
        assert {w.text for w in measure.iter("words") if w.text} <= {"The end"}
    words = [w.text for w in root.iter("words")]
    assert "accel." not in words  # the only ramp arrives in the silence


def test_a_mark_in_a_silence_is_printed_where_the_music_resumes() -> None:
    # A silent opening: the first printed mark stands over the first notes, not over the rest.
    plans = [plan(scene_id="a", duration=6.0, tempo=120, silent=True),
             plan(scene_id="b", duration=8.0, tempo=120)]
    composed = compose(plans, fps=FPS, seed=1)
    first = composed.timeline.scene_bars(1)[0].index + 1
    assert [bar for _, bar, _ in printed_tempi(xml_of(composed))] == [first]


def test_a_part_written_too_low_for_its_instrument_changes_clef() -> None:
    from storyscore.compose.notation import clef_choices, layout_part
    from storyscore.compose.notes import NoteEvent
    from storyscore.compose.theory import Key, realise

    tonic = realise("I", Key("C", "major"))
    assert clef_choices(73) == ("treble",)  # a flute reads treble clef
    assert clef_choices(42) == ("bass", "treble")  # a cello reads both
    high = [NoteEvent(float(k), 1.0, (74 + k % 3,), 60, tonic) for k in range(8)]
    low = [NoteEvent(float(k), 1.0, (40 + k % 3,), 60, tonic) for k in range(8)]
    flute = layout_part("melody", high, [73], dict.fromkeys(range(8), 0), 1, {})
    assert flute.staves[0].clefs == ("treble",)
    assert (flute.name, flute.abbreviation) == ("Flute", "Fl.")
    # E2 to F#2 is eight ledger lines under the treble staff: even a flute part goes to bass.
    too_low = layout_part("melody", low, [73], dict.fromkeys(range(8), 0), 1, {})
    assert too_low.staves[0].clefs == ("bass",)
    # Two instruments: named by its role.
    both = layout_part("melody", [*high, NoteEvent(8.0, 1.0, (76,), 60, tonic)], [73, 71],
                       {**dict.fromkeys(range(8), 0), 8: 1}, 2, {71: 2})
    assert (both.name, both.abbreviation, both.named_by_role) == ("Melody", "Mel.", True)


def test_a_bass_guitar_reads_its_octave_bass_clef_throughout() -> None:
    # A bass line from E1 to D3 in two scenes: a bass player reads it an octave up (the
    # bass clef with its 8 below) in both, not plain bass clef in one and 8vb in the other.
    from storyscore.compose.notation import layout_part
    from storyscore.compose.notes import NoteEvent
    from storyscore.compose.theory import Key, realise

    tonic = realise("I", Key("C", "major"))
    line = [NoteEvent(float(k), 1.0, (pitch,), 60, tonic)
            for k, pitch in enumerate((45, 40, 43, 50, 28, 31, 33, 38))]
    scenes = {k: k // 4 for k in range(8)}
    bass = layout_part("bass", line, [32, 32], scenes, 2, {})
    assert bass.staves[0].clefs == ("bass8vb", "bass8vb")
    # A contrabass is written an octave up by its transposition: plain bass clef.
    contrabass = layout_part("bass", line, [43, 43], scenes, 2, {43: 12})
    assert contrabass.staves[0].clefs == ("bass", "bass")


def test_each_instrument_of_a_part_reads_its_own_clef() -> None:
    # A flute hands the tune to a guitar in one part: the guitarist reads the octave treble
    # clef (the flute's plain treble would have them play an octave too high).
    from storyscore.compose.notation import layout_part
    from storyscore.compose.notes import NoteEvent
    from storyscore.compose.theory import Key, realise

    tonic = realise("I", Key("C", "major"))
    tune = [NoteEvent(float(k), 1.0, (64 + 2 * (k % 4),), 60, tonic) for k in range(8)]
    melody = layout_part("melody", tune, [73, 24], {k: k // 4 for k in range(8)}, 2, {})
    assert melody.staves[0].clefs == ("treble", "treble8vb")


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate])
@given(PATHS, st.integers(0, 2**16))
def test_generated_paths_engrave_cleanly(plans: list[ScenePlan], seed: int) -> None:
    import verovio

    composed = compose(plans, fps=FPS, seed=seed)
    verovio.enableLog(verovio.LOG_WARNING)
    toolkit = verovio.toolkit()
    assert toolkit.loadData(composed.musicxml_bytes().decode("utf-8"))
    assert toolkit.getLog().strip() == ""
    assert toolkit.getPageCount() > 0
    lines = facts(xml_of(composed))
    assert len({line.split(" time ")[1] for line in lines if " time " in line}) == 1
    assert all(line.rsplit("= ", 1)[1].isdigit() for line in lines if " tempo " in line)


# ---------------------------------------------------------------- instruments and their ranges


def notes_out_of_range(composed: ComposedScore) -> list[tuple[str, int, int, int]]:
    """(part, scene, program, pitch) of every note outside its instrument's practical range."""
    offsets = composed.timeline.scene_offsets
    out = []
    for part, events in composed.part_events.items():
        for event in events:
            scene = max(k for k, start in enumerate(offsets) if event.offset >= start - 1e-9)
            program = composed.programs[part][scene]
            assert program is not None, (part, scene)
            low, high = instrument_range(program)
            out += [(part, scene, program, p) for p in event.pitches if not low <= p <= high]
    return out


EXAMPLE_PATHS = [(path.stem, tuple(s.id for s in p)) for path in STORIES
                 for p in all_paths(small_example(path.stem))]


@pytest.fixture(scope="module")
def path_scores(composed_example: ComposedExample) -> Callable[[str, tuple[str, ...]], Any]:
    """An example path, composed as the renderer does."""
    def get(name: str, ids: tuple[str, ...]) -> Any:
        story = small_example(name)
        return composed_example(name, [story.scene(i) for i in ids])
    return get


@pytest.mark.parametrize(("name", "ids"), EXAMPLE_PATHS)
def test_every_part_of_every_example_path_keeps_to_its_instruments_range(
        path_scores: Callable[[str, tuple[str, ...]], Any], name: str, ids: tuple[str, ...]
) -> None:
    # The lighthouse market's flute used to accompany around C3, an octave under a flute.
    composed = path_scores(name, ids).score
    assert sum(len(e) for e in composed.part_events.values()) > 20
    assert notes_out_of_range(composed) == []


INSTRUMENTS = sorted(set(vocab.INSTRUMENTS.values()))


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate])
@given(PATHS, st.data())
def test_generated_paths_keep_every_part_in_its_instruments_range(
        plans: list[ScenePlan], data: st.DataObject) -> None:
    # Any instrument in any role: a flute accompanying, timpani or a cello for a bass.
    plans = [dataclasses.replace(
        p, melody_program=data.draw(st.sampled_from(INSTRUMENTS)),
        accompaniment_program=data.draw(st.sampled_from(INSTRUMENTS)),
        bass_program=data.draw(st.sampled_from([None, 32, 35, 42, 43, 47, 57, 58, 70])))
        for p in plans]
    composed = compose(plans, fps=FPS, seed=data.draw(st.integers(0, 2**16)))
    assert notes_out_of_range(composed) == []


def test_a_flute_accompanies_from_its_lowest_octave_up() -> None:
    # A flute asked to accompany under a melody at A4 cannot play the octave below middle
    # C: its chords move up into its range, in every texture, and with no bass instrument
    # its own bass note too (the chord then stands on its bass note from C4 up).
    for texture in ("arpeggio", "alberti", "block", "ostinato", "pad"):
        for bass in (32, None):
            plans = [plan(scene_id="a", accompaniment_program=73, register=69, tonic="F",
                          bass_program=bass, texture=texture, duration=10.0),
                     plan(scene_id="b", accompaniment_program=73, register=66, tonic="D",
                          mode="minor", bass_program=bass, texture=texture, duration=10.0)]
            composed = compose(plans, fps=FPS, seed=2)
            played = [p for e in composed.part_events["accompaniment"] for p in e.pitches]
            assert len(played) >= 12
            assert min(played) >= instrument_range(73)[0], (texture, bass, min(played))


def test_a_cello_bass_line_stays_above_its_open_c() -> None:
    # A bass line that would walk down to A1 or G1 is written for a cello from C2 up, and
    # it still has a rhythm: its answering notes are not the same note tied over.
    plans = [plan(scene_id="a", bass_program=42, tonic="A", mode="minor", valence=-0.3,
                  duration=12.0),
             plan(scene_id="b", bass_program=42, tonic="G", duration=12.0)]
    composed = compose(plans, fps=FPS, seed=4)
    bass = composed.part_events["bass"]
    assert min(p for e in bass for p in e.pitches) >= instrument_range(42)[0]
    assert len({e.pitches for e in bass}) >= 4


def midi_program_changes(composed: ComposedScore) -> tuple[int, list[list[tuple[int, int]]]]:
    """The MIDI file's ticks a quarter note, and per track after the tempo map the (tick,
    program) of every program change."""
    import mido

    midi = mido.MidiFile(file=io.BytesIO(composed.midi_bytes()))
    tracks = []
    for track in midi.tracks[1:]:
        tick, changes = 0, []
        for message in track:
            tick += message.time
            if message.type == "program_change":
                changes.append((tick, message.program))
        tracks.append(changes)
    return midi.ticks_per_beat, tracks


def musicxml_note_programs(root: ET.Element, bar_offsets: list[float]
                           ) -> list[list[tuple[float, int]]]:
    """Per MusicXML part: (onset in quarter notes, 0-based MIDI program) of every note, the
    program read from the ``midi-instrument`` its ``instrument`` names (or the part's only one)."""
    programs = {m.get("id"): int(m.findtext("midi-program") or 0) - 1
                for m in root.iter("midi-instrument")}
    out = []
    for part in root.iter("part"):
        own = [m.get("id") for sp in root.iter("score-part") if sp.get("id") == part.get("id")
               for m in sp.iter("midi-instrument")]
        notes = []
        for element, start in timed_elements(part, bar_offsets):
            if element.tag == "note" and element.find("pitch") is not None:
                named = element.find("instrument")
                ident = named.get("id") if named is not None else own[0]
                notes.append((round(start, 3), programs[ident]))
        out.append(notes)
    return out


def assert_musicxml_programs_match_the_midi(composed: ComposedScore) -> None:
    root = xml_of(composed)
    bar_offsets = [bar.offset for bar in composed.timeline.bars]
    ticks, midi = midi_program_changes(composed)
    xml = musicxml_note_programs(root, bar_offsets)
    assert len(midi) == len(xml)
    for changes, notes in zip(midi, xml, strict=True):
        assert notes
        for onset, program in notes:
            tick = round(onset * ticks)
            heard = [p for t, p in changes if t <= tick]
            assert heard, (onset, changes)
            assert heard[-1] == program, (onset, program, changes)


def test_each_instrument_of_a_part_keeps_its_own_midi_program_in_the_musicxml() -> None:
    # A warm pad, a flute, a pad, two string sections: music21 writes one midi-instrument
    # per instrument class, so the pad (a Sampler, as the warm pad is) played the warm
    # pad's program, and the second string section the first's.
    plans = [plan(scene_id=f"s{k}", accompaniment_program=p, melody_program=m, duration=6.0)
             for k, (p, m) in enumerate([(89, 73), (73, 71), (88, 73), (48, 73), (49, 71)])]
    composed = compose(plans, fps=FPS, seed=1)
    root = xml_of(composed)
    accompaniment = next(sp for sp in root.iter("score-part")
                         if sp.findtext("part-name") == "Accompaniment")
    declared = [int(m.findtext("midi-program") or 0) - 1
                for m in accompaniment.iter("midi-instrument")]
    assert declared == [89, 73, 88, 48, 49]
    assert_musicxml_programs_match_the_midi(composed)


@pytest.mark.parametrize(("name", "ids"), EXAMPLE_PATHS)
def test_example_musicxml_plays_the_midis_programs(
        path_scores: Callable[[str, tuple[str, ...]], Any], name: str, ids: tuple[str, ...]
) -> None:
    assert_musicxml_programs_match_the_midi(path_scores(name, ids).score)


def test_no_part_changes_instrument_for_one_scene_and_back() -> None:
    from storyscore.compose.orchestration import orchestrate

    # The planner's colours flicker bright, warm, bright: the section keeps its flute.
    plans = [plan(scene_id="a", valence=0.5), plan(scene_id="b", valence=0.1,
                                                   melody_program=71),
             plan(scene_id="c", valence=0.5)]
    composed = compose(orchestrate(plans, [False] * 3), fps=FPS, seed=1)
    assert instrument_words(xml_of(composed))["Flute"] == []


@pytest.mark.parametrize(("name", "ids"), EXAMPLE_PATHS)
def test_example_paths_change_instruments_only_between_sections(
        path_scores: Callable[[str, tuple[str, ...]], Any], name: str, ids: tuple[str, ...]
) -> None:
    # A part's instrument never changes for one scene and back, unless the script asks.
    composition = path_scores(name, ids)
    story = small_example(name)
    chosen = [story.music_of(story.scene(i)).instruments is not None for i in ids]
    for part, programs in composition.score.programs.items():
        sounding = [(k, p) for k, p in enumerate(programs) if p is not None]
        for (_, before), (k, program), (_, after) in zip(sounding, sounding[1:], sounding[2:],
                                                             strict=False):
            assert not (program != before == after and not chosen[k]), (part, programs)


def test_the_fox_and_owl_melody_keeps_its_instrument_through_its_sections(
        path_scores: Callable[[str, tuple[str, ...]], Any]) -> None:
    # Six scenes whose colours alternate: the melody used to change instrument three times.
    ids = EXAMPLE_PATHS[[n for n, _ in EXAMPLE_PATHS].index("fox-and-owl")][1]
    melody = path_scores("fox-and-owl", ids).score.programs["melody"]
    assert len(ids) == 6
    assert sum(a != b for a, b in itertools.pairwise(melody)) <= 1, melody


# ---------------------------------------------------------------- hairpins and key signatures


def wedges(root: ET.Element) -> dict[str, list[tuple[int, str]]]:
    """Each part's hairpin ends: part name -> [(bar, crescendo | diminuendo | stop)]."""
    names = {p.get("id"): p.findtext("part-name") for p in root.iter("score-part")}
    return {names[part.get("id")] or "": [
        (int(m.get("number") or 0), w.get("type") or "")
        for m in part.iter("measure") for w in m.iter("wedge")] for part in root.iter("part")}


def test_a_hairpin_runs_over_one_held_note_to_the_new_dynamic() -> None:
    from storyscore.compose.notes import NoteEvent
    from storyscore.compose.score import build_score

    # Four quarters (p), one whole note, then forte: the crescendo swells through the whole
    # note and stops at the f, as an engraver draws it.
    base = compose([plan(duration=14.0)], fps=FPS, seed=1, meter="4/4")
    tonic = base.harmony[0].chord
    melody = [NoteEvent(float(k), 1.0, (72 + k,), 50, tonic, dynamic="p" if k == 0 else "")
              for k in range(4)]
    melody += [NoteEvent(4.0, 4.0, (76,), 50, tonic),
               NoteEvent(8.0, 2.0, (79,), 100, tonic, dynamic="f"),
               NoteEvent(10.0, 2.0, (77,), 100, tonic)]
    parts = {"melody": melody, "accompaniment": [], "bass": []}
    score = build_score([plan()], base.timeline, base.harmony, parts, "t")
    root = xml_of(dataclasses.replace(base, score=score))
    assert wedges(root)["Flute"] == [(2, "crescendo"), (3, "stop")]


def test_a_grand_staff_swells_where_only_its_left_hand_plays() -> None:
    # A pianissimo pad whose last bar before the forte is all in the left hand: the
    # piano's crescendo (written with the dynamics, between its staves) runs over it.
    plans = [plan(scene_id="a", velocity=45, arousal=-0.8, texture="pad"),
             plan(scene_id="b", velocity=100, texture="pad")]
    composed = compose(plans, fps=FPS, seed=1)
    root = xml_of(composed)
    second = composed.timeline.scene_bars(1)[0].index + 1
    piano = next(p for p in root.iter("part") if p.find("measure/attributes/staves") is not None)
    left_hand_only = [m for m in piano.iter("measure") if int(m.get("number") or 0) == second - 1
                      and {n.findtext("staff") for n in m.iter("note")
                           if n.find("pitch") is not None} == {"2"}]
    assert left_hand_only  # the case this test is about
    assert wedges(root)["Piano"] == [(second - 1, "crescendo"), (second, "stop")]


def test_a_key_signature_is_printed_only_where_the_accidentals_change() -> None:
    # C major, then A minor (the same signature: nothing printed), then E minor (one sharp).
    plans = [plan(scene_id="a", duration=10.0),
             plan(scene_id="b", duration=10.0, tonic="A", mode="minor", valence=-0.4),
             plan(scene_id="c", duration=10.0, tonic="E", mode="minor", valence=-0.4)]
    composed = compose(plans, fps=FPS, seed=2)
    assert {Key("A", "minor"), Key("E", "minor")} <= {s.chord.key for s in composed.harmony}
    root = xml_of(composed)
    for part in root.iter("part"):
        signatures = [k.findtext("fifths") for m in part.iter("measure") for k in m.iter("key")]
        assert signatures == ["0", "1"], signatures


@pytest.mark.slow
def test_musicxml_is_identical_across_processes() -> None:
    import hashlib

    from test_compose_output import THREE_SCENES, digests_in_fresh_processes

    here = compose(THREE_SCENES, fps=FPS, seed=7, title="The Lighthouse").musicxml_bytes()
    assert digests_in_fresh_processes("musicxml_bytes") == {hashlib.sha256(here).hexdigest()}
