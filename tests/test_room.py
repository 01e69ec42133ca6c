"""The music's room: family stems, sends by family and mood, a reverb tail, determinism."""

from __future__ import annotations

import io

import mido  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pytest

from conftest import PIANO, make_midi
from storyscore.audio.room import (
    Room,
    RoomSpan,
    family,
    render_in_room,
    send_curve,
    split_families,
)
from storyscore.audio.synth import SAMPLE_RATE, render_midi
from storyscore.errors import AudioError

HARP, FLUTE, BASS = 46, 73, 32
CHORD = [(0, 60, 0.0, 2.0), (0, 64, 0.0, 2.0), (0, 67, 0.0, 2.0)]
TRIO = [(0, 72, 0.0, 2.0), (1, 60, 0.0, 2.0), (1, 64, 1.0, 1.0), (2, 36, 0.0, 2.0)]
TRIO_PROGRAMS = {0: FLUTE, 1: HARP, 2: BASS}


def decay_seconds(audio: np.ndarray, release_s: float, drop_db: float = 40.0) -> float:
    """Seconds after ``release_s`` until the level stays ``drop_db`` under the held chord's."""
    frame = SAMPLE_RATE // 100
    energy = (audio.astype(np.float64) ** 2).sum(axis=1)
    levels = 10 * np.log10(energy[: len(energy) // frame * frame].reshape(-1, frame).mean(1)
                           + 1e-30)
    release = round(release_s * 100)
    held = levels[release // 2 : release].max()
    loud = np.flatnonzero(levels[release:] > held - drop_db)
    return float(loud[-1] + 1) / 100 if len(loud) else 0.0


def notes_of(midi: bytes) -> list[tuple[int, int]]:
    song = mido.MidiFile(file=io.BytesIO(midi))
    return sorted((m.channel, m.note) for track in song.tracks for m in track
                  if m.type == "note_on" and m.velocity > 0)


def test_families_follow_general_midi_programs() -> None:
    assert [family(p) for p in (PIANO, HARP, 48, 11)] == ["bright"] * 4
    assert [family(p) for p in (FLUTE, 40, 56, 24)] == ["middle"] * 4
    assert [family(p) for p in (BASS, 42, 43, 47)] == ["low"] * 4
    assert family(PIANO, channel=9) == "low"  # the drum channel


def test_the_score_splits_into_family_stems_that_sum_to_the_whole() -> None:
    midi = make_midi(TRIO, programs=TRIO_PROGRAMS)
    stems = split_families(midi)
    assert sorted(stems) == ["bright", "low", "middle"]
    assert notes_of(stems["bright"]) == [(1, 60), (1, 64)]
    assert notes_of(stems["middle"]) == [(0, 72)]
    assert notes_of(stems["low"]) == [(2, 36)]
    whole = render_midi(midi, tail=0.5)
    parts = [render_midi(data, tail=0.5) for data in stems.values()]
    assert all(part.shape == whole.shape for part in parts)
    # The synthesiser is linear: the stems add up to the whole, to 16-bit rounding.
    np.testing.assert_allclose(sum(parts), whole, atol=4 / 32768)


def test_a_program_change_moves_later_notes_to_another_family() -> None:
    song = mido.MidiFile(file=io.BytesIO(make_midi(CHORD, programs={0: PIANO})))
    track = song.tracks[1]
    track.append(mido.Message("program_change", channel=0, program=BASS, time=0))
    track.append(mido.Message("note_on", channel=0, note=40, velocity=90, time=0))
    track.append(mido.Message("note_off", channel=0, note=40, velocity=0, time=480))
    out = io.BytesIO()
    song.save(file=out)
    stems = split_families(out.getvalue())
    assert notes_of(stems["bright"]) == [(0, 60), (0, 64), (0, 67)]
    assert notes_of(stems["low"]) == [(0, 40)]


def test_the_room_lengthens_the_decay_after_a_final_chord() -> None:
    midi = make_midi(CHORD, programs={0: PIANO})  # two beats at 120 bpm: released at 1 s
    dry = render_midi(midi, tail=3.0)
    wet = render_in_room(midi, None, [RoomSpan(0.0, 4.0, 1.0)], tail=3.0)
    assert wet.shape == dry.shape
    dry_decay, wet_decay = decay_seconds(dry, 1.0), decay_seconds(wet, 1.0)
    assert wet_decay > dry_decay + 0.3
    assert wet_decay < dry_decay + 2.5  # a small hall, not a cathedral


def test_the_room_is_deterministic() -> None:
    midi = make_midi(TRIO, programs=TRIO_PROGRAMS)
    spans = [RoomSpan(0.0, 0.5, 0.2), RoomSpan(0.5, 3.0, 0.9)]
    np.testing.assert_array_equal(render_in_room(midi, None, spans),
                                  render_in_room(midi, None, spans))


def test_harp_sends_more_than_bass() -> None:
    spans = [RoomSpan(0.0, 4.0, 0.7)]

    def reverb_share(program: int, pitches: tuple[int, ...]) -> float:
        midi = make_midi([(0, p, 0.0, 2.0) for p in pitches], programs={0: program})
        dry = render_midi(midi, tail=2.0)
        room = render_in_room(midi, None, spans, tail=2.0) - dry
        return float(10 * np.log10((room.astype(np.float64) ** 2).sum()
                                   / (dry.astype(np.float64) ** 2).sum()))

    assert reverb_share(HARP, (55, 59, 62)) > reverb_share(BASS, (31, 38, 43)) + 8.0


def test_the_send_follows_each_span_and_glides_across_changes() -> None:
    room = Room(glide=2.0)
    rate = 1000
    curve = 20 * np.log10(send_curve([RoomSpan(0, 5, 0.0), RoomSpan(5, 10, 1.0)],
                                     10 * rate, rate, room))
    low, high = room.send_db
    assert curve[: 4 * rate] == pytest.approx(low)
    assert curve[6 * rate :] == pytest.approx(high)
    glide = curve[4 * rate : 6 * rate]
    assert np.all(np.diff(glide) >= 0)
    # A raised cosine: its steepest step is π/2 times the average slope.
    assert np.abs(np.diff(curve)).max() < 1.01 * (high - low) * np.pi / (2 * room.glide * rate)
    with pytest.raises(AudioError, match="between 0 and 1"):
        send_curve([RoomSpan(0, 1, 1.5)], rate, rate, room)
