"""What the composer hands on: MIDI, MusicXML, the event list; determinism and speed."""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path

import pytest

from conftest import compare_golden
from storyscore.compose import ComposedScore, ScenePlan, compose

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


THREE_SCENES = [
    plan(scene_id="dawn", duration=8.0, flexible=False, tonic="D", mode="major", tempo=84,
         valence=0.6, arousal=-0.2, texture="arpeggio", melody_program=73,
         accompaniment_program=46, bass_program=42, contour=(0.2, 0.5, 0.9, 0.6),
         narration=((0.5, 4.0),)),
    plan(scene_id="market", duration=7.0, flexible=True, tonic="A", mode="major", tempo=126,
         valence=0.8, arousal=0.7, density=0.8, texture="alberti", melody_program=40,
         accompaniment_program=0, bass_program=32, staccato=0.4, contour=(0.7, 0.3, 0.8)),
    plan(scene_id="storm", duration=6.0, flexible=False, tonic="F#", mode="minor", tempo=100,
         valence=-0.6, arousal=0.6, tension=0.8, texture="ostinato", melody_program=42,
         accompaniment_program=48, bass_program=None, register=64, staccato=0.6,
         contour=(0.9, 0.1), volume=0.8),
]


@pytest.fixture(scope="module")
def three() -> ComposedScore:
    return compose(THREE_SCENES, fps=FPS, seed=7, title="The Lighthouse")


def _mido(data: bytes):  # type: ignore[no-untyped-def]
    import mido

    return mido.MidiFile(file=io.BytesIO(data))


def test_midi_carries_program_changes_per_track(three: ComposedScore) -> None:
    midi = _mido(three.midi_bytes())
    # Track 0 is the tempo map; then one track per part: melody, accompaniment, bass.
    programs: list[list[int]] = []
    channels: list[set[int]] = []
    for track in midi.tracks[1:]:
        seq: list[int] = []
        for m in track:
            if m.type == "program_change" and (not seq or seq[-1] != m.program):
                seq.append(m.program)
        programs.append(seq)
        channels.append({m.channel for m in track if hasattr(m, "channel")})
    # The cello bass of scene 1 and the double bass of scene 2; scene 3 has none.
    assert programs == [[73, 40, 42], [46, 0, 48], [42, 32]]
    assert all(len(c) == 1 for c in channels)
    assert len({min(c) for c in channels}) == 3
    assert 9 not in set().union(*channels)  # never the GM drum channel


def test_midi_tempo_map_matches_the_timeline(three: ComposedScore) -> None:
    midi = _mido(three.midi_bytes())
    tempos = [m for m in midi.tracks[0] if m.type == "set_tempo"]
    assert len(tempos) == len(three.timeline.marks)
    # The tempo map as (beat, microseconds a beat) changes, from the tempo track.
    changes = []
    tick = 0
    for message in midi.tracks[0]:
        tick += message.time
        if message.type == "set_tempo":
            changes.append((tick / midi.ticks_per_beat, message.tempo))

    def seconds_at(beat: float) -> float:
        total = 0.0
        for (start, tempo), (end, _) in zip(changes, [*changes[1:], (math.inf, 0)],
                                            strict=True):
            if beat <= start:
                break
            total += (min(beat, end) - start) * tempo / 1e6
        return total

    for offset, downbeat in zip(three.timeline.scene_offsets, three.timeline.music_starts,
                                strict=True):
        assert abs(seconds_at(offset) - downbeat) <= 1e-3
    for offset, expected in zip(three.timeline.scene_offsets, three.scene_starts, strict=True):
        assert abs(seconds_at(offset) - expected) <= 1 / FPS  # every boundary here is a cut


def test_same_plans_and_seed_give_identical_output(three: ComposedScore) -> None:
    again = compose(THREE_SCENES, fps=FPS, seed=7, title="The Lighthouse")
    assert again.midi_bytes() == three.midi_bytes()
    assert again.events() == three.events()
    other = compose(THREE_SCENES, fps=FPS, seed=8, title="The Lighthouse")
    assert other.events() != three.events()


def test_writes_are_atomic_and_readable(three: ComposedScore, tmp_path: Path) -> None:
    midi_path = tmp_path / "out" / "story.mid"
    xml_path = tmp_path / "out" / "story.musicxml"
    three.write_midi(midi_path)
    three.write_musicxml(xml_path)
    assert sorted(p.name for p in midi_path.parent.iterdir()) == ["story.mid", "story.musicxml"]
    assert midi_path.read_bytes() == three.midi_bytes()
    assert _mido(midi_path.read_bytes()).length == pytest.approx(three.total_seconds, abs=0.01)
    text = xml_path.read_text(encoding="utf-8")
    assert "<score-partwise" in text
    assert "The Lighthouse" in text
    assert text.count("<part id=") == 3


def test_events_name_everything_a_musician_needs(three: ComposedScore) -> None:
    events = three.events()
    text = "\n".join(events)
    # F# minor shares A major's signature: no key is printed there, the numerals name it.
    for needle in ("time 4/4", "key D major", "key A major", "[F#m: ", "tempo ",
                   "melody program 73", "accompaniment program 46", "bass program 42", "[D: I]"):
        assert needle in text, needle
    assert events[0].startswith("bar 1 beat 1 ")


def test_golden_event_list(three: ComposedScore, update_golden: bool) -> None:
    compare_golden(GOLDEN / "compose-three-scenes.txt", "\n".join(three.events()) + "\n",
                   update_golden)


def test_volume_scales_velocities() -> None:
    loud = compose([plan(volume=1.0)], fps=FPS, seed=1)
    soft = compose([plan(volume=0.25)], fps=FPS, seed=1)
    silent = compose([plan(volume=0.0)], fps=FPS, seed=1)

    def velocities(cs: ComposedScore) -> list[int]:
        return [int(n.volume.velocity or 0) for n in cs.score.flatten().notes]

    ratio = sum(velocities(soft)) / sum(velocities(loud))
    assert ratio == pytest.approx(0.5, abs=0.03)  # sqrt(volume): amplitude x volume under GM
    assert velocities(silent) == []


def digests_in_fresh_processes(method: str) -> set[str]:
    """The sha256 of ``compose(THREE_SCENES, ...).<method>()`` in two fresh Python
    processes with different hash seeds (one digest when they agree)."""
    import os
    import subprocess
    import sys

    script = (
        "import hashlib, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from test_compose_output import THREE_SCENES\n"
        "from storyscore.compose import compose\n"
        "cs = compose(THREE_SCENES, fps=24, seed=7, title='The Lighthouse')\n"
        f"print(hashlib.sha256(cs.{method}()).hexdigest())\n"
    )
    root = Path(__file__).parent.parent
    return {
        subprocess.run([sys.executable, "-c", script], cwd=root, check=True, text=True,
                       capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}
                       ).stdout.strip()
        for seed in ("1", "2")
    }


@pytest.mark.slow
def test_output_is_identical_across_processes(three: ComposedScore) -> None:
    import hashlib

    assert digests_in_fresh_processes("midi_bytes") == {
        hashlib.sha256(three.midi_bytes()).hexdigest()}
