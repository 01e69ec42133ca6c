"""Players who breathe: small bounded timing, phrase-shaped velocity, held phrase ends,
a sustain pedal for piano and harp, exact scene boundaries, and the same bytes per seed."""

from __future__ import annotations

import io
from collections import Counter

import mido  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pytest

from conftest import PIANO, make_midi
from storyscore.audio.humanise import Feel, humanise
from storyscore.audio.synth import render_midi

FLUTE, HARP = 73, 46
BPM = 120.0
SECONDS_PER_BEAT = 60.0 / BPM
# Eight 4/4 bars of running eighths on a flute (channel 0) and a piano chord
# on every beat (channel 1); a rest in bar 5 ends the first phrase.
MELODY = [(0, 72 + (i % 5), i / 2, 0.5) for i in range(32) if not 16 <= i < 18]
MELODY += [(0, 72 + (i % 5), i / 2, 0.5) for i in range(34, 64)]
CHORDS = [(1, pitch, float(beat), 1.0) for beat in range(32) for pitch in (48, 52, 55)]
SCORE = make_midi(MELODY + CHORDS, bpm=BPM, programs={0: FLUTE, 1: PIANO})
BOUNDARY = 8.0  # seconds: the downbeat of bar 5, where a scene begins


def onsets(midi: bytes) -> list[tuple[int, int, float, float, int]]:
    """(channel, pitch, start s, end s, velocity) of every note, in written order."""
    song = mido.MidiFile(file=io.BytesIO(midi))
    tempo = mido.bpm2tempo(BPM)
    found = []
    for track in song.tracks:
        now, sounding = 0, {}
        for message in track:
            now += message.time
            seconds = mido.tick2second(now, song.ticks_per_beat, tempo)
            if message.type == "note_on" and message.velocity > 0:
                sounding.setdefault((message.channel, message.note), []).append(
                    (seconds, message.velocity))
            elif message.type in ("note_on", "note_off"):
                start, velocity = sounding[(message.channel, message.note)].pop(0)
                found.append((message.channel, message.note, start, seconds, velocity))
    return sorted(found, key=lambda note: (note[0], note[1], note[2]))


@pytest.fixture(scope="module")
def played() -> bytes:
    return humanise(SCORE, seed=7, boundaries=[BOUNDARY])


def test_onsets_move_by_small_bounded_amounts(played: bytes) -> None:
    written, moved = onsets(SCORE), onsets(played)
    assert [n[:2] for n in written] == [n[:2] for n in moved]
    shifts_ms = np.array([(m[2] - w[2]) * 1000 for w, m in zip(written, moved, strict=True)])
    assert np.abs(shifts_ms).max() <= Feel().max_ms + 1e-6
    assert np.count_nonzero(np.abs(shifts_ms) > 0.5) > len(shifts_ms) / 2
    assert 0.5 < float(np.abs(shifts_ms).mean()) < 8.0


def test_scene_boundaries_and_the_start_stay_exact(played: bytes) -> None:
    for w, m in zip(onsets(SCORE), onsets(played), strict=True):
        if abs(w[2] - BOUNDARY) < 1e-9 or w[2] == 0.0:
            assert m[2] == pytest.approx(w[2], abs=1e-4)


def test_weak_beats_move_more_than_downbeats() -> None:
    shifts: dict[str, list[float]] = {"downbeat": [], "off the beat": []}
    for seed in range(6):
        moved = onsets(humanise(SCORE, seed=seed, boundaries=[BOUNDARY]))
        for w, m in zip(onsets(SCORE), moved, strict=True):
            beats = w[2] / SECONDS_PER_BEAT
            if w[0] != 0 or w[2] in (0.0, BOUNDARY):
                continue
            if beats % 4 == 0:
                shifts["downbeat"].append(abs(m[2] - w[2]))
            elif beats % 1 != 0:
                shifts["off the beat"].append(abs(m[2] - w[2]))
    assert np.mean(shifts["off the beat"]) > 1.5 * np.mean(shifts["downbeat"])


def test_velocity_rises_within_a_phrase_and_relaxes_at_its_close(played: bytes) -> None:
    flute = [note for note in onsets(played) if note[0] == 0]
    first_phrase = sorted((n for n in flute if n[2] < 4.0), key=lambda n: n[2])  # bars 1-2
    velocities = np.array([n[4] for n in first_phrase], dtype=float)
    third = len(velocities) // 3
    opening, middle, close = velocities[:4], velocities[third : 2 * third + 2], velocities[-3:]
    assert middle.mean() > opening.mean() + 2
    assert middle.mean() > close.mean() + 2
    assert velocities.max() <= 127


def test_phrase_ends_are_held_longer(played: bytes) -> None:
    written = {n[:3]: n[3] - n[2] for n in onsets(SCORE)}
    moved = onsets(played)
    # The flute's last eighth before the rest (beat 7.5) ends the first phrase.
    (end,) = [n for n in moved if n[0] == 0 and abs(n[2] - 7.5 * SECONDS_PER_BEAT) < 0.02]
    length = end[3] - end[2]
    assert length > 1.1 * written[(0, end[1], 7.5 * SECONDS_PER_BEAT)]
    ratios = [(m[3] - m[2]) / written[w[:3]] for w, m in zip(onsets(SCORE), moved, strict=True)]
    assert min(ratios) > 0.5
    assert Counter(r > 1.05 for r in ratios)[True] < len(ratios) / 4  # only phrase ends


def test_piano_and_harp_get_the_sustain_pedal_the_flute_does_not(played: bytes) -> None:
    song = mido.MidiFile(file=io.BytesIO(played))
    pedal = [m for track in song.tracks for m in track
             if m.type == "control_change" and m.control == 64]
    assert {m.channel for m in pedal} == {1}
    downs = [m for m in pedal if m.value == 127]
    ups = [m for m in pedal if m.value == 0]
    assert len(downs) >= 8
    assert abs(len(downs) - len(ups)) <= 1
    harp = make_midi([(0, 60, float(beat), 1.0) for beat in range(8)], programs={0: HARP})
    harp_song = mido.MidiFile(file=io.BytesIO(humanise(harp, seed=1)))
    assert any(m.type == "control_change" and m.control == 64
               for track in harp_song.tracks for m in track)


def test_the_pedal_lets_notes_ring_in_the_synthesiser() -> None:
    # A detached note, then the next beat: one phrase, so the pedal holds the first note.
    short = make_midi([(0, 60, 0.0, 0.25), (0, 64, 1.0, 0.25)], programs={0: PIANO})
    pedalled = humanise(short, seed=3)
    dry, wet = render_midi(short, tail=0.5), render_midi(pedalled, tail=0.5)
    window = slice(round(0.25 * 48000), round(0.45 * 48000))  # after the first note's release
    assert np.sqrt(np.mean(wet[window] ** 2)) > 2 * np.sqrt(np.mean(dry[window] ** 2))


def test_same_seed_same_bytes_another_seed_another_performance() -> None:
    one = humanise(SCORE, seed=11, boundaries=[BOUNDARY])
    assert one == humanise(SCORE, seed=11, boundaries=[BOUNDARY])
    assert one != humanise(SCORE, seed=12, boundaries=[BOUNDARY])
    assert one != SCORE


def test_every_note_ends_before_its_track_does(played: bytes) -> None:
    song = mido.MidiFile(file=io.BytesIO(played))
    for track in song.tracks:
        assert track[-1].type == "end_of_track"
        assert sum(m.type == "end_of_track" for m in track) == 1
    # The last phrase end is held longer than the score's last note lasts.
    assert song.length > mido.MidiFile(file=io.BytesIO(SCORE)).length
    ons = sum(m.type == "note_on" and m.velocity > 0 for t in song.tracks for m in t)
    offs = sum(m.type == "note_off" or (m.type == "note_on" and m.velocity == 0)
               for t in song.tracks for m in t)
    assert ons == offs == len(onsets(SCORE))
