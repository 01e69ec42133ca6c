"""Streaming audio: the mix, its limiter and the codec fit give the same samples in one
block and in many, and hold their promises in every block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import butter, resample_poly, sosfilt  # type: ignore[import-untyped, unused-ignore]

from storyscore.audio.mix import (
    MixedTrack,
    MixResult,
    PlacedNarration,
    SceneGain,
    fit_codec,
    fit_codec_track,
    mix,
    mix_track,
    write_wav,
    write_wav_track,
)
from storyscore.audio.room import RoomSpan
from storyscore.audio.stream import DiskTrack, MemoryTrack, Track, disk_tracks, spans
from storyscore.audio.synth import SAMPLE_RATE
from storyscore.errors import AudioError

RATE = SAMPLE_RATE
VOICE_RATE = 22050
DURATION = 14.0
CLICK = 5.0  # seconds: a click the limiter must take down
# A block edge falls 40 samples after the click: inside the limiter's look-ahead
# (120 samples) and its release, and inside a speech dip.
BLOCK = round(CLICK * RATE) + 40 - 3 * 16384


def bed(seconds: float = DURATION) -> np.ndarray:
    """Low-passed stereo noise with sharp clicks far above it."""
    rng = np.random.default_rng(4)
    sos = butter(6, 2000, fs=RATE, output="sos")
    audio = np.asarray(0.1 * sosfilt(sos, rng.standard_normal((round(seconds * RATE), 2)),
                                     axis=0), dtype=np.float32)
    audio[round(CLICK * RATE)] = 0.95
    audio[round(9.3 * RATE) :: RATE] = -0.9
    return audio


def voices() -> list[PlacedNarration]:
    t = np.arange(round(2.5 * VOICE_RATE)) / VOICE_RATE
    tone = (0.7 * np.sin(2 * np.pi * 3000 * t) * (0.6 + 0.4 * np.sin(8 * np.pi * t)))
    samples = tone.astype(np.float32)
    return [PlacedNarration(start, samples, VOICE_RATE, ((0.0, 2.5),)) for start in (3.9, 10.0)]


SCENES = [SceneGain(0.0, 6.0, 1.0), SceneGain(6.0, 8.0, 0.4), SceneGain(8.0, 14.0, 1.0)]


def independent_true_peak(audio: np.ndarray) -> float:
    """4x oversampled peak in dBTP with scipy's own polyphase filter (not the mixer's)."""
    return float(20 * np.log10(np.abs(resample_poly(audio.astype(np.float64), 4, 1)).max()))


@pytest.fixture(scope="module")
def whole() -> MixResult:
    return mix(bed(), voices(), DURATION, SCENES)


@pytest.fixture(scope="module")
def blocks() -> MixResult:
    return mix(bed(), voices(), DURATION, SCENES, block=BLOCK)


def test_many_blocks_give_the_samples_of_one(whole: MixResult, blocks: MixResult) -> None:
    assert whole.limiter_db < -3.0  # the click was limited, across a block edge
    assert whole.audio.shape == blocks.audio.shape
    np.testing.assert_allclose(blocks.audio, whole.audio, rtol=0, atol=2e-6)
    np.testing.assert_allclose(blocks.music_gain_curve, whole.music_gain_curve, atol=1e-6)
    assert blocks.loudness_lufs == pytest.approx(whole.loudness_lufs, abs=1e-6)
    assert blocks.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=1e-4)
    assert blocks.limiter_db == pytest.approx(whole.limiter_db, abs=1e-4)


def test_the_true_peak_holds_in_every_block(blocks: MixResult) -> None:
    edge = round(CLICK * RATE) + 40
    near = blocks.audio[edge - 2000 : edge + 2000]
    assert independent_true_peak(near) <= -1.0 + 0.01
    for start, stop in spans(len(blocks.audio), BLOCK):
        assert independent_true_peak(blocks.audio[start:stop]) <= -1.0 + 0.01
    assert abs(blocks.loudness_lufs + 16.0) <= 0.5


def test_a_mix_on_disk_gives_the_samples_of_one_in_memory(tmp_path: Path, whole: MixResult) -> None:
    music = DiskTrack(tmp_path / "music.f32", 2)
    for start, stop in spans(len(bed()), 50_000):
        music.append(bed()[start:stop])
    mixed = mix_track(music, voices(), DURATION, SCENES, new_track=disk_tracks(tmp_path),
                      block=3 * 16384)
    audio = mixed.track.read(0, mixed.track.frames)
    np.testing.assert_allclose(audio, whole.audio, rtol=0, atol=2e-6)
    # The passes' scratch files are gone; the music and the programme remain.
    assert len(list(tmp_path.glob("*.f32"))) == 2
    write_wav(tmp_path / "array.wav", whole.audio)
    write_wav_track(tmp_path / "track.wav", mixed.track, block=7777)
    assert (tmp_path / "array.wav").stat().st_size == (tmp_path / "track.wav").stat().st_size


def test_the_codec_fit_streams_like_the_array_one(tmp_path: Path, whole: MixResult) -> None:

    def codec(audio: np.ndarray) -> np.ndarray:
        # A lossy codec lifting the stretch around 9.3 s by 2.9 dB.
        out = audio.copy()
        out[round(9.2 * RATE) : round(9.4 * RATE)] *= 1.4
        return out

    def codec_track(track: Track) -> Track:
        out = MemoryTrack(2)
        for start, stop in spans(track.frames, 30_000):
            part = track.read(start, stop).copy()
            lo, hi = max(start, round(9.2 * RATE)), min(stop, round(9.4 * RATE))
            if hi > lo:
                part[lo - start : hi - start] *= 1.4
            out.append(part)
        return out

    fitted = fit_codec(whole, codec)
    mixed = MixedTrack(MemoryTrack(2, whole.audio), RATE, whole.loudness_lufs,
                       whole.true_peak_dbtp, whole.gain_db, whole.limiter_db)
    streamed = fit_codec_track(mixed, codec_track, new_track=disk_tracks(tmp_path),
                               block=5 * 4096)
    assert streamed.delivered_peak_dbtp is not None
    assert fitted.delivered_peak_dbtp is not None
    assert streamed.delivered_peak_dbtp <= -1.0
    assert streamed.delivered_peak_dbtp == pytest.approx(fitted.delivered_peak_dbtp, abs=1e-3)
    np.testing.assert_allclose(streamed.track.read(0, streamed.track.frames), fitted.audio,
                               rtol=0, atol=2e-6)


def test_a_disk_track_reads_back_what_was_written_with_silence_around(tmp_path: Path) -> None:
    track = DiskTrack(tmp_path / "t.f32", 2)
    audio = np.arange(20, dtype=np.float32).reshape(10, 2)
    track.append(audio[:3])
    track.append(audio[3:])
    assert track.frames == 10
    np.testing.assert_array_equal(track.read(2, 7), audio[2:7])
    around = track.read(-2, 12)
    np.testing.assert_array_equal(around[2:12], audio)
    assert not around[:2].any()
    assert not around[12:].any()
    assert track.read(20, 25).shape == (5, 2)
    track.discard()
    assert not (tmp_path / "t.f32").exists()
    with pytest.raises(AudioError):
        list(spans(10, 0))


# ------------------------------------------------------------------ synthesis

def scale_midi(bars: int = 12) -> bytes:
    """Harp arpeggios, flute held notes and bass: 2 s bars at 120 bpm, with a long last chord."""
    from conftest import make_midi

    harp, flute, bass = 46, 73, 32
    notes = []
    for bar in range(bars):
        for step in range(4):
            notes.append((0, 60 + (bar + 2 * step) % 12, 4.0 * bar + step, 1.5))
        notes.append((1, 72 + bar % 5, 4.0 * bar, 3.5))
        notes.append((2, 36 + bar % 3, 4.0 * bar, 4.0))
    notes += [(0, pitch, 4.0 * bars, 6.0) for pitch in (60, 64, 67)]
    return make_midi(notes, programs={0: harp, 1: flute, 2: bass})


def frame_levels(audio: np.ndarray, seconds: float = 0.1) -> np.ndarray:
    frame = round(seconds * RATE)
    count = len(audio) // frame
    energy = (audio[: count * frame].astype(np.float64) ** 2).sum(axis=1)
    return np.asarray(10 * np.log10(energy.reshape(count, frame).mean(axis=1) + 1e-12))


def test_windows_hold_each_note_once_with_the_state_before_them() -> None:
    from storyscore.audio.midi import Song, is_note_on
    from storyscore.audio.synth import midi_windows

    midi = scale_midi()
    windows = list(midi_windows(midi, window=7.0))
    assert len(windows) == 4  # 26 s of notes (and their ends) in 7 s windows
    offsets = [offset for offset, _ in windows]
    assert offsets == sorted(offsets)
    assert offsets[0] == 0
    started = []
    for offset, part in windows:
        song = Song.read(part)
        # Every window sets the instruments and the tempo before its first note.
        settings = [message.type for events in song.tracks for tick, message in events
                    if tick == 0 and not is_note_on(message)]
        assert settings.count("program_change") == 3
        assert "set_tempo" in settings
        started += [(offset + round(tick / 480 * 0.5 * RATE), message.note)
                    for events in song.tracks for tick, message in events
                    if is_note_on(message)]
    whole = [(round(tick / 480 * 0.5 * RATE), message.note)
             for events in Song.read(midi).tracks for tick, message in events
             if is_note_on(message)]
    assert sorted(started) == sorted(whole)


def test_a_score_synthesised_in_windows_sounds_as_the_whole() -> None:
    from storyscore.audio.room import render_in_room

    midi = scale_midi()
    spans_ = [RoomSpan(0.0, 12.0, 0.3), RoomSpan(12.0, 40.0, 0.9)]
    whole = render_in_room(midi, None, spans_)
    windowed = render_in_room(midi, None, spans_, window=7.0)
    again = render_in_room(midi, None, spans_, window=7.0)
    np.testing.assert_array_equal(windowed, again)  # deterministic
    assert abs(len(windowed) - len(whole)) < RATE // 10
    length = min(len(whole), len(windowed))
    a, b = frame_levels(whole[:length]), frame_levels(windowed[:length])
    sounding = a > a.max() - 50
    # The same notes at the same times: the level follows the whole within a fraction of a dB.
    assert np.abs(a - b)[sounding].max() < 1.5
    assert np.median(np.abs(a - b)[sounding]) < 0.3


def test_the_reverb_gives_the_same_answer_block_by_block() -> None:
    from storyscore.audio.room import Room, _Reverb, reverberate

    rng = np.random.default_rng(1)
    send = (0.1 * rng.standard_normal((3 * RATE, 2))).astype(np.float32)
    send[RATE:] = 0.0  # the tail rings on across every later block edge
    whole = reverberate(send, Room())
    reverb = _Reverb(Room())
    parts = [reverb.process(send[start:stop]) for start, stop in spans(len(send), 500)]
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=0, atol=1e-7)
    assert np.abs(whole[2 * RATE :]).max() > 1e-4  # a real tail crossed the edges


def test_a_block_that_starts_while_the_music_rises_after_speech(whole: MixResult) -> None:
    # The first voice speaks from 3.9 to 6.4 s and the music rises again over 0.5 s:
    # a block starting 0.2 s after the words once ducked its whole length.
    block = round(6.6 * RATE)
    edge = mix(bed(), voices(), DURATION, SCENES, block=block)
    assert np.abs(edge.audio - whole.audio).max() < 2e-6
    after = slice(round(7.2 * RATE), round(9.0 * RATE))
    assert np.array_equal(edge.music_gain_curve[after], whole.music_gain_curve[after])
