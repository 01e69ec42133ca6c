"""Mixing: loudness, true peak, ducking, scene levels, fades, narration placement, WAV files."""

from __future__ import annotations

import math
import pickle
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm  # type: ignore[import-untyped, unused-ignore]
import pytest
from scipy.io import wavfile  # type: ignore[import-untyped, unused-ignore]
from scipy.signal import butter, resample_poly, sosfilt  # type: ignore[import-untyped, unused-ignore]

from storyscore.audio.mix import (
    MixResult,
    PlacedNarration,
    SceneGain,
    fit_codec,
    loudness,
    mix,
    mix_track,
    true_peak,
    write_wav,
)
from storyscore.audio.stream import MemoryTrack, memory_tracks
from storyscore.audio.synth import SAMPLE_RATE
from storyscore.audio.voices import Narration, SentenceTiming, WordTiming, speak_cached
from storyscore.audio.voices.cached import StoredNarration
from storyscore.cache import Cache
from storyscore.dsl.load import load_story
from storyscore.errors import AudioError
from storyscore.pipeline.prepare import prepare

RATE = SAMPLE_RATE
VOICE_RATE = 22050
DURATION = 12.0
# Speech windows on the story's timeline: (start, end) in seconds.
SPEECH = [(2.0, 4.0), (7.0, 8.5)]


def music_bed(seconds: float = DURATION, seed: int = 1) -> np.ndarray:
    """Stereo noise low-passed at 1 kHz: a steady 'music' that a low-pass filter can isolate."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((round(seconds * RATE), 2))
    sos = butter(8, 1000, fs=RATE, output="sos")
    return np.asarray(0.1 * sosfilt(sos, noise, axis=0), dtype=np.float32)


def speech_burst(seconds: float, rate: int = VOICE_RATE, hz: float = 4000.0) -> np.ndarray:
    """A 'voice': a tone well above the music's band, with a syllable-rate tremolo."""
    t = np.arange(round(seconds * rate)) / rate
    tone = np.sin(2 * np.pi * hz * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    return np.asarray(0.8 * tone, dtype=np.float32)


def narration(windows: list[tuple[float, float]] = SPEECH) -> list[PlacedNarration]:
    return [
        PlacedNarration(start, speech_burst(end - start), VOICE_RATE, ((0.0, end - start),))
        for start, end in windows
    ]


def music_only(audio: np.ndarray) -> np.ndarray:
    """The music's share of a mix: everything under 1.5 kHz."""
    sos = butter(10, 1500, fs=RATE, output="sos")
    return np.asarray(sosfilt(sos, audio, axis=0))


def rms_db(audio: np.ndarray, start: float, end: float) -> float:
    part = audio[round(start * RATE) : round(end * RATE)]
    return 10.0 * math.log10(float(np.mean(part.astype(np.float64) ** 2)) + 1e-30)


def curve_db(result: MixResult) -> np.ndarray:
    return np.asarray(20.0 * np.log10(np.maximum(result.music_gain_curve, 1e-12)))


def at(curve: np.ndarray, seconds: float) -> float:
    return float(curve[round(seconds * RATE)])


@pytest.fixture(scope="module")
def result() -> MixResult:
    return mix(music_bed(), narration(), DURATION, [])


def test_shape_loudness_and_true_peak(result: MixResult) -> None:
    audio = result.audio
    assert audio.dtype == np.float32
    assert audio.shape == (round(DURATION * RATE), 2)
    assert result.sample_rate == RATE
    assert abs(result.loudness_lufs + 16.0) <= 1.0
    # Checked again with an independent meter and oversampler.
    measured = pyloudnorm.Meter(RATE).integrated_loudness(audio.astype(np.float64))
    assert abs(measured + 16.0) <= 1.0
    assert result.true_peak_dbtp <= -1.0
    oversampled = resample_poly(audio.astype(np.float64), 4, 1, axis=0)
    assert 20 * math.log10(np.abs(oversampled).max()) <= -1.0 + 0.1
    assert true_peak(audio) == pytest.approx(result.true_peak_dbtp, abs=0.01)
    assert loudness(audio) == pytest.approx(result.loudness_lufs, abs=0.01)


def test_music_ducks_under_speech(result: MixResult) -> None:
    curve = curve_db(result)
    for start, end in SPEECH:
        inside = curve[round(start * RATE) : round(end * RATE)]
        assert inside.max() <= -12.0 + 1e-3
        assert inside.min() >= -12.0 - 1e-3
    for clear in (1.5, 5.5, 10.0):
        assert at(curve, clear) == pytest.approx(0.0, abs=1e-6)
    # The music itself, heard in the mix, is at least 6 dB quieter under speech.
    music = music_only(result.audio)
    outside = np.mean([rms_db(music, 1.0, 1.8), rms_db(music, 4.6, 6.8), rms_db(music, 9.2, 10.8)])
    for start, end in SPEECH:
        assert rms_db(music, start, end) <= outside - 6.0


def test_ducking_is_smooth_and_leads_speech(result: MixResult) -> None:
    curve = curve_db(result)
    body = curve[RATE : round((DURATION - 1.2) * RATE)]  # clear of the fades
    per_ms = np.abs(body[RATE // 1000 :] - body[: -(RATE // 1000)])
    # dB per millisecond: no steps, no clicks (12 dB over a 150 ms raised cosine
    # is at most 12 * pi / 300 = 0.126 dB/ms).
    assert per_ms.max() <= 0.13
    # Already ducked when the first word starts; fully back 0.5 s after the last.
    assert at(curve, 2.0) == pytest.approx(-12.0, abs=1e-3)
    assert -12.0 < at(curve, 1.9) < 0.0
    assert at(curve, 1.84) == pytest.approx(0.0, abs=1e-6)
    assert -12.0 < at(curve, 4.3) < 0.0
    assert at(curve, 4.51) == pytest.approx(0.0, abs=1e-6)


def test_close_sentences_do_not_pump() -> None:
    close = mix(music_bed(), narration([(2.0, 3.0), (3.6, 5.0), (8.0, 9.0)]), DURATION)
    curve = curve_db(close)
    # A 0.6 s pause stays ducked; the 3 s pause lets the music back up.
    assert curve[2 * RATE : 5 * RATE].max() <= -12.0 + 1e-3
    assert at(curve, 6.5) == pytest.approx(0.0, abs=1e-6)


def test_voice_activity_when_no_windows_are_given() -> None:
    placed = [PlacedNarration(3.0, speech_burst(2.0), VOICE_RATE)]
    curve = curve_db(mix(music_bed(), placed, DURATION))
    assert curve[round(3.05 * RATE) : round(4.95 * RATE)].max() <= -12.0 + 1e-3
    assert at(curve, 2.0) == pytest.approx(0.0, abs=1e-6)
    assert at(curve, 7.0) == pytest.approx(0.0, abs=1e-6)


def test_narration_is_resampled_and_placed() -> None:
    placed = [PlacedNarration(5.0, speech_burst(1.0, rate=16000, hz=3000.0), 16000)]
    silence = np.zeros((round(DURATION * RATE), 2), dtype=np.float32)
    audio = mix(silence, placed, DURATION).audio
    loud = np.flatnonzero(np.abs(audio[:, 0]) > 0.01)
    assert loud[0] / RATE == pytest.approx(5.0, abs=0.005)
    assert loud[-1] / RATE == pytest.approx(6.0, abs=0.005)
    np.testing.assert_array_equal(audio[:, 0], audio[:, 1])  # centred
    part = audio[round(5.1 * RATE) : round(5.9 * RATE), 0]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
    assert np.argmax(spectrum) * RATE / len(part) == pytest.approx(3000.0, abs=5.0)


def test_scene_volume_and_silence() -> None:
    scenes = [
        SceneGain(0.0, 4.0),
        SceneGain(4.0, 8.0, volume=0.5),
        SceneGain(8.0, 12.0, silent=True),
    ]
    scored = mix(music_bed(), [], DURATION, scenes, fade_in_s=0.0, fade_out_s=0.0)
    curve = scored.music_gain_curve
    assert curve[RATE : round(3.8 * RATE)] == pytest.approx(1.0)
    assert curve[round(4.2 * RATE) : round(7.8 * RATE)] == pytest.approx(0.5)
    silent = slice(round(8.15 * RATE), None)
    assert not np.any(curve[silent])
    assert not np.any(scored.audio[silent])
    # Crossfades, not jumps: no sample-to-sample change a listener hears as a click.
    assert np.abs(np.diff(curve)).max() < 2e-4
    music = music_only(scored.audio)
    assert rms_db(music, 4.5, 7.5) - rms_db(music, 0.5, 3.5) == pytest.approx(-6.02, abs=0.5)


def test_fade_in_and_fade_out(result: MixResult) -> None:
    curve = result.music_gain_curve
    assert curve[0] == 0.0
    assert 0.0 < curve[round(0.3 * RATE)] < 1.0
    assert curve[RATE] == pytest.approx(1.0)
    audio = result.audio
    np.testing.assert_array_equal(audio[-1], [0.0, 0.0])
    quarters = [rms_db(audio, DURATION - 1.0 + q / 4, DURATION - 0.75 + q / 4) for q in range(4)]
    assert quarters == sorted(quarters, reverse=True)
    assert quarters[0] - quarters[-1] > 12.0
    assert rms_db(audio, 0.0, 0.1) < rms_db(audio, 1.0, 1.5) - 12.0


def test_peaky_music_is_limited_not_clipped() -> None:
    bed = music_bed()
    bed[RATE // 2 :: 2 * RATE] = 0.9  # sharp clicks far above the bed
    gentle = mix(bed, [], DURATION, true_peak_dbtp=60.0)
    limited = mix(bed, [], DURATION)
    assert gentle.limiter_db == 0.0
    assert limited.limiter_db < -3.0
    assert limited.true_peak_dbtp <= -1.0
    assert abs(limited.loudness_lufs + 16.0) <= 1.0
    # The limiter is a smooth gain on the same waveform, never a clipper.
    reference = gentle.audio[:, 0].astype(np.float64)
    valid = np.abs(reference) > 1e-4
    ratio_db = 20 * np.log10(np.abs(limited.audio[:, 0][valid] / reference[valid]))
    assert ratio_db.max() - ratio_db.min() > 6.0
    neighbours = valid[1:] & valid[:-1]
    gain = np.abs(limited.audio[:, 0] / np.where(valid, reference, 1.0))
    step_db = np.diff(20 * np.log10(np.where(valid, gain, 1.0)))
    assert np.abs(step_db[neighbours]).max() < 0.5


def overshooting_codec(start: float, end: float, factor: float):  # type: ignore[no-untyped-def]
    """A stand-in for a lossy codec that lifts one stretch of the audio by ``factor``."""
    def round_trip(audio: np.ndarray) -> np.ndarray:
        out = audio.copy()
        out[round(start * RATE) : round(end * RATE)] *= factor
        return out
    return round_trip


def independent_true_peak(audio: np.ndarray) -> float:
    """4x oversampled peak in dBTP with scipy's own polyphase filter (not the mixer's)."""
    return float(20 * np.log10(np.abs(resample_poly(audio.astype(np.float64), 4, 1)).max()))


@pytest.fixture(scope="module")
def at_the_ceiling() -> MixResult:
    """A mix whose clicks (at 0.5 s, 2.5 s, …) the limiter holds at -1 dBTP."""
    bed = music_bed()
    bed[RATE // 2 :: 2 * RATE] = 0.9
    return mix(bed, [], DURATION)


def test_fit_codec_limits_the_mix_under_the_codec_margin_at_the_same_loudness(
        at_the_ceiling: MixResult) -> None:
    result = at_the_ceiling
    codec = overshooting_codec(2.4, 2.6, 1.4)  # +2.9 dB, as ffmpeg's AAC lifted a demo peak
    assert independent_true_peak(codec(result.audio)) > 1.5
    fitted = fit_codec(result, codec)
    assert fitted.delivered_peak_dbtp is not None
    assert fitted.delivered_peak_dbtp <= -1.0
    assert independent_true_peak(codec(fitted.audio)) <= -1.0
    assert fitted.true_peak_dbtp < -1.0 - 2.9  # the codec's margin, left everywhere
    assert abs(fitted.loudness_lufs + 16.0) < 0.2
    # Still a smooth gain on the same waveform, never a clipper.
    reference = result.audio[:, 0].astype(np.float64)
    valid = np.abs(reference) > 1e-4
    gain_db = 20 * np.log10(np.abs(fitted.audio[:, 0][valid] / reference[valid]))
    neighbours = (valid[1:] & valid[:-1])[valid[:-1]][:-1]
    assert np.abs(np.diff(gain_db))[neighbours[: len(gain_db) - 1]].max() < 0.5


def test_fit_codec_then_lowers_only_where_the_codec_still_overshoots(
        at_the_ceiling: MixResult) -> None:
    result = at_the_ceiling
    first = overshooting_codec(2.4, 2.6, 1.4)
    calls: list[int] = []

    def moving(audio: np.ndarray) -> np.ndarray:
        # Once the mix has its margin the codec goes badly over at 8.5 s instead.
        calls.append(1)
        return first(audio) if len(calls) == 1 else overshooting_codec(8.4, 8.6, 3.0)(audio)

    margin_only = fit_codec(result, lambda audio: first(audio) if not calls else audio)
    calls.clear()
    fitted = fit_codec(result, moving)
    assert fitted.delivered_peak_dbtp is not None
    assert fitted.delivered_peak_dbtp <= -1.0
    assert len(calls) == 3  # as delivered, after the margin, after the local fix
    # Away from 8.5 s (and the limiter's release after it) nothing more changed.
    np.testing.assert_array_equal(fitted.audio[: 8 * RATE], margin_only.audio[: 8 * RATE])
    assert not np.array_equal(fitted.audio[8 * RATE : 9 * RATE],
                              margin_only.audio[8 * RATE : 9 * RATE])


def test_fit_codec_leaves_a_clean_codec_alone(at_the_ceiling: MixResult) -> None:
    result = at_the_ceiling
    fitted = fit_codec(result, lambda audio: audio)
    np.testing.assert_array_equal(fitted.audio, result.audio)
    assert fitted.delivered_peak_dbtp == pytest.approx(result.true_peak_dbtp, abs=1e-6)


def test_fit_codec_takes_a_stubborn_overshoot_off_the_whole_programme(
        at_the_ceiling: MixResult) -> None:
    result = at_the_ceiling
    calls = []

    def codec(audio: np.ndarray) -> np.ndarray:
        calls.append(1)
        # An overshoot that local gain cannot reach: the codec adds a fixed click.
        out = audio.copy()
        out[RATE] += 0.5 * float(np.abs(audio).max()) + 0.6
        return out

    fitted = fit_codec(result, codec, attempts=5)
    assert len(calls) == 6  # as delivered, then after each of the five fixes
    assert fitted.loudness_lufs < result.loudness_lufs - 1.0


def band_db(audio: np.ndarray, start: float, end: float, low: float, high: float) -> float:
    """Energy in dB of ``audio`` between ``low`` and ``high`` Hz over ``start``-``end`` s."""
    part = audio[round(start * RATE) : round(end * RATE)].astype(np.float64).mean(axis=1)
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part)))) ** 2
    freqs = np.fft.rfftfreq(len(part), 1 / RATE)
    return float(10 * np.log10(spectrum[(freqs >= low) & (freqs < high)].sum()))


def test_the_speech_band_of_the_music_dips_under_narration() -> None:
    rng = np.random.default_rng(5)
    bed = np.asarray(0.05 * rng.standard_normal((round(DURATION * RATE), 2)), dtype=np.float32)
    # Silent narration with its speaking windows: what is left is the music alone.
    quiet = [PlacedNarration(start, np.zeros(round((end - start) * VOICE_RATE), np.float32),
                             VOICE_RATE, ((0.0, end - start),)) for start, end in SPEECH]
    plain = mix(bed, quiet, DURATION, speech_dip_db=0.0).audio
    dipped = mix(bed, quiet, DURATION).audio

    def drop(start: float, end: float, low: float, high: float) -> float:
        return band_db(dipped, start, end, low, high) - band_db(plain, start, end, low, high)

    under = (2.3, 3.7)  # inside the first window, past the ramps
    speech_band = drop(*under, 1500, 2800) - drop(*under, 50, 250)
    assert -7.0 < speech_band < -4.5
    assert abs(drop(*under, 12000, 20000) - drop(*under, 50, 250)) < 0.5
    # Away from speech nothing changes but the overall level.
    away = (5.0, 6.5)
    assert abs(drop(*away, 1500, 2800) - drop(*away, 50, 250)) < 0.05


def test_deterministic(result: MixResult) -> None:
    again = mix(music_bed(), narration(), DURATION, [])
    np.testing.assert_array_equal(again.audio, result.audio)


def test_silence_stays_silent() -> None:
    silence = np.zeros((RATE, 2), dtype=np.float32)
    quiet = mix(silence, [], 1.0)
    assert not np.any(quiet.audio)
    assert quiet.loudness_lufs == -math.inf
    assert quiet.true_peak_dbtp == -math.inf


def test_from_narration_uses_sentence_windows() -> None:
    @dataclass(frozen=True)
    class Sentence:
        start: float
        end: float

    @dataclass(frozen=True)
    class Spoken:
        samples: np.ndarray
        sample_rate: int
        sentences: tuple[Sentence, ...]

    spoken = Spoken(speech_burst(3.0), VOICE_RATE, (Sentence(0.1, 1.2), Sentence(1.5, 2.9)))
    placed = PlacedNarration.from_narration(4.0, spoken)
    assert placed.speech == ((0.1, 1.2), (1.5, 2.9))
    assert placed.start_s == 4.0


def test_bad_input_is_an_audio_error() -> None:
    bed = music_bed(1.0)
    with pytest.raises(AudioError, match="cannot start before the story"):
        mix(bed, [PlacedNarration(-1.0, speech_burst(0.5), VOICE_RATE)], 1.0)
    with pytest.raises(AudioError, match="mono or stereo"):
        mix(np.zeros((10, 3), dtype=np.float32), [], 1.0)
    with pytest.raises(AudioError, match="between 0 and 1"):
        mix(bed, [], 1.0, [SceneGain(0.0, 1.0, volume=1.5)])
    with pytest.raises(AudioError, match="longer than 0 s"):
        mix(bed, [], 0.0)


def test_write_wav_16_bit_and_float(tmp_path: Path, result: MixResult) -> None:
    pcm_path = tmp_path / "mix.wav"
    write_wav(pcm_path, result.audio)
    rate, pcm = wavfile.read(pcm_path)
    assert rate == RATE
    assert pcm.dtype == np.int16
    assert pcm.shape == result.audio.shape
    assert np.abs(pcm / 32767.0 - result.audio).max() <= 2.0 / 32767
    first = pcm_path.read_bytes()
    write_wav(pcm_path, result.audio)
    assert pcm_path.read_bytes() == first  # the dither is seeded
    float_path = tmp_path / "mix-float.wav"
    write_wav(float_path, result.audio, bits=32)
    _, floats = wavfile.read(float_path)
    np.testing.assert_array_equal(floats, result.audio)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mix-float.wav", "mix.wav"]
    # Written in blocks of any size, the file is the same.
    write_wav(tmp_path / "blocks.wav", result.audio, block=1000)
    assert (tmp_path / "blocks.wav").read_bytes() == first
    write_wav(tmp_path / "blocks.wav", result.audio, bits=32, block=4097)
    assert (tmp_path / "blocks.wav").read_bytes() == float_path.read_bytes()
    (tmp_path / "blocks.wav").unlink()
    with pytest.raises(AudioError, match="16 or 32 bits"):
        write_wav(tmp_path / "x.wav", result.audio, bits=24)
    with pytest.raises(AudioError, match="cannot write"):
        write_wav(tmp_path / "missing" / "x.wav", result.audio)


# ------------------------------------------------------------ narration kept on disk


class Reads:
    """Counts the narration arrays a mix has read and not yet let go."""

    def __init__(self) -> None:
        self.live = 0
        self.most = 0

    def made(self, array: np.ndarray) -> np.ndarray:
        self.live += 1
        self.most = max(self.most, self.live)
        weakref.finalize(array, self._gone)
        return array

    def _gone(self) -> None:
        self.live -= 1


@dataclass
class FileLike:
    """Samples 'kept elsewhere': every read makes a fresh array, counted by ``reads``."""

    kept: np.ndarray
    reads: Reads
    count: int = 0

    @property
    def frames(self) -> int:
        return len(self.kept)

    def read(self) -> np.ndarray:
        self.count += 1
        return self.reads.made(self.kept.copy())


def test_the_mix_reads_each_narration_only_while_its_blocks_pass_it() -> None:
    # Twenty scenes of narration, one every 2 s; the mix goes a second at a time.
    seconds, scenes = 42.0, 20
    bursts = [speech_burst(0.8, hz=3000.0 + 50 * n) for n in range(scenes)]
    starts = [1.0 + 2.0 * n for n in range(scenes)]
    reads = Reads()
    sources = [FileLike(burst, reads) for burst in bursts]
    music = MemoryTrack(2, music_bed(seconds))
    kept = mix_track(music, [PlacedNarration(s, b, VOICE_RATE, ((0.0, 0.8),))
                             for s, b in zip(starts, bursts, strict=True)],
                     seconds, new_track=memory_tracks, block=RATE)
    read = mix_track(music, [PlacedNarration(s, source, VOICE_RATE, ((0.0, 0.8),))
                             for s, source in zip(starts, sources, strict=True)],
                     seconds, new_track=memory_tracks, block=RATE)
    assert np.array_equal(read.track.read(0, read.track.frames),
                          kept.track.read(0, kept.track.frames))
    # Each narration read once per pass over the voice (loudness, then the mix), and
    # never more than the two or three around a block held at once.
    assert all(1 <= source.count <= 2 for source in sources)
    assert reads.most <= 3
    assert reads.live == 0


def test_spoken_narration_comes_back_as_its_cache_file(tmp_path: Path) -> None:
    words = (SentenceTiming("Hello there.", 0.1, 0.9, (WordTiming("Hello", 0.1, 0.4),
                                                      WordTiming("there", 0.5, 0.9))),)

    class Voice:
        name, version = "burst", "1"

        def speak(self, text: str, speed: float = 1.0) -> Narration:
            return Narration(speech_burst(1.0), VOICE_RATE, words)

    with Cache(tmp_path / "cache") as cache:
        made, hit = speak_cached(Voice(), "Hello there.", 1.0, cache)
        again, hit_again = speak_cached(Voice(), "Hello there.", 1.0, cache)
        assert (hit, hit_again) == (False, True)
        for narration in (made, again, pickle.loads(pickle.dumps(again))):
            # The timings in memory, no samples: they are read from the file when used.
            assert isinstance(narration, StoredNarration)
            assert not [v for v in vars(narration).values() if isinstance(v, np.ndarray)]
            assert narration.sentences == words
            assert narration.duration == 1.0
            assert np.array_equal(narration.samples, speech_burst(1.0))
            placed = PlacedNarration.from_narration(2.0, narration)
            assert placed.samples is narration
            assert placed.frames == VOICE_RATE


def test_a_prepared_story_holds_no_narration_samples(tmp_path: Path) -> None:
    scenes = "".join(f'scene s{n} 3s\n    prompt "a red door"\n    narrate "Door {n}."\n\n'
                     for n in range(8))
    script = tmp_path / "doors.sco"
    script.write_text(f"voice espeak\nsize 64x64\n\n{scenes}")
    story = load_story(script).story
    with Cache(tmp_path / "cache") as cache:
        prepared = prepare(story, list(story.scenes), cache)
        for scene in story.scenes:
            narration = prepared.narration(scene.id)
            assert isinstance(narration, StoredNarration)
            assert not [v for v in vars(narration).values() if isinstance(v, np.ndarray)]
            assert len(narration.samples) == narration.frames > 0
