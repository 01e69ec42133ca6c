"""Mixing: narration over the music, ducked, scene-levelled, faded and loudness-normalised.

The music bed is first matched to the narration's loudness (``music_level``
LU relative to it), then shaped by one gain curve: ducking under speech,
per-scene volume or silence with short crossfades, a fade-in at the start and
a fade-out over the final second; under speech its 1-4 kHz band dips further.
Narration is resampled to 48 kHz and laid on the centre of the stereo image.
The programme is normalised to an integrated loudness (ITU-R BS.1770,
measured block by block as pyloudnorm does) and a look-ahead true-peak
limiter keeps it under the true-peak ceiling; nothing is ever clipped.
``fit_codec`` then makes that ceiling hold after a lossy codec too.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from storyscore.audio.loudness import integrated_loudness
from storyscore.audio.synth import SAMPLE_RATE
from storyscore.audio.wav import WavWriter
from storyscore.errors import AudioError
from storyscore.files import atomic_path

_METER_BLOCK = 0.4  # BS.1770 gating block: the shortest audio the meter can measure
_TRUE_PEAK_OVERSAMPLING = 4
_TRUE_PEAK_BLOCK = 4096  # samples; quiet blocks skip oversampling
_LIMITER_LOOKAHEAD = 0.0025  # seconds; the gain falls over twice this before a peak
_LIMITER_RELEASE = 0.1  # seconds: time constant of the gain's recovery
_MAKEUP_LIMIT = 3.0  # dB: most extra gain spent winning back what the limiter took
_LIMITER_SAFETY = 0.05  # dB kept below the ceiling against measurement noise
_CODEC_MARGIN = 0.2  # dB more taken off a codec's overshoot: re-coding moves it a little
_CODEC_WINDOW = 2048  # samples: AAC's long transform window, over which its error spreads
_LOUDNESS_TOLERANCE = 0.1  # LU: close enough to stop re-normalising
_SPEECH_BAND = (1000.0, 4000.0)  # Hz: where the music gives way to the words
_WAV_BLOCK = 1 << 16  # frames written at a time
_VAD_FRAME = 0.01  # seconds
_VAD_RANGE = 40.0  # dB below the loudest frame that still counts as speech
_VAD_FLOOR = -60.0  # dBFS: quieter frames are never speech


class _Timed(Protocol):
    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


class SpokenNarration(Protocol):
    """What ``PlacedNarration.from_narration`` reads from a voice's ``Narration``."""

    @property
    def samples(self) -> np.ndarray: ...

    @property
    def sample_rate(self) -> int: ...

    @property
    def sentences(self) -> Sequence[_Timed]: ...


@dataclass(frozen=True, eq=False)
class PlacedNarration:
    """One narration on the story's timeline.

    ``samples`` are float32 mono at ``sample_rate``, starting ``start_s``
    seconds into the story. ``speech`` holds the spoken windows in seconds
    from the narration's start (its sentences); when ``None`` they are found
    from the audio's level.
    """

    start_s: float
    samples: np.ndarray
    sample_rate: int
    speech: tuple[tuple[float, float], ...] | None = None

    @classmethod
    def from_narration(cls, start_s: float, narration: SpokenNarration) -> PlacedNarration:
        """Place a voice's narration at ``start_s``, speaking in its sentences' windows."""
        return cls(
            start_s,
            narration.samples,
            narration.sample_rate,
            tuple((sentence.start, sentence.end) for sentence in narration.sentences),
        )


@dataclass(frozen=True)
class SceneGain:
    """The music level of one scene's time span: ``volume`` 0 to 1, or ``silent``."""

    start: float
    end: float
    volume: float = 1.0
    silent: bool = False


@dataclass(frozen=True, eq=False)
class MixResult:
    """The finished programme and its measurements.

    ``audio`` is float32 stereo ``(n, 2)`` at ``sample_rate``.
    ``music_gain_curve`` is the linear gain, one value per sample, applied to
    the level-matched music: ducking × scene volume × fades (before the
    programme's gain ``gain_db`` and the limiter). ``limiter_db`` is the
    deepest gain reduction of the limiter (0 when it stayed idle).
    ``delivered_peak_dbtp`` is the true peak after the delivery codec, once
    ``fit_codec`` has measured it.
    """

    audio: np.ndarray
    sample_rate: int
    loudness_lufs: float
    true_peak_dbtp: float
    music_gain_curve: np.ndarray
    gain_db: float
    limiter_db: float
    delivered_peak_dbtp: float | None = None


def mix(
    music: np.ndarray,
    narration: Sequence[PlacedNarration],
    duration_s: float,
    scenes: Sequence[SceneGain] = (),
    *,
    duck_db: float = -12.0,
    speech_dip_db: float = -6.0,
    attack: float = 0.15,
    release: float = 0.5,
    bridge: float = 1.0,
    scene_fade: float = 0.3,
    fade_in_s: float = 0.75,
    fade_out_s: float = 1.0,
    music_level: float = -4.0,
    target_lufs: float = -16.0,
    true_peak_dbtp: float = -1.0,
) -> MixResult:
    """Mix ``music`` (float32 ``(n, 2)`` at 48 kHz) and ``narration`` into ``duration_s`` seconds.

    The music is cut or padded with silence to the duration. Under speech it
    is ducked by ``duck_db``, falling over ``attack`` seconds before the words
    and rising over ``release`` after them; pauses shorter than ``bridge``
    seconds stay ducked so the music does not pump between sentences. Under
    speech the music's speech band (1-4 kHz) dips a further ``speech_dip_db``
    with the same timing, so words stay clear without ducking harder.
    ``scenes`` set the music's volume per time span (outside them it plays at
    full volume), crossfading over ``scene_fade`` seconds centred on each
    change. The music fades in over ``fade_in_s``; the whole programme fades
    out over the last ``fade_out_s``. Before ducking, the music is set
    ``music_level`` LU relative to the narration. The result is normalised to
    ``target_lufs`` and limited to ``true_peak_dbtp``.
    """
    _check_settings(duration_s, attack, release, bridge, scene_fade, fade_in_s, fade_out_s)
    rate = SAMPLE_RATE
    n = max(1, round(duration_s * rate))
    bed = _fit_music(music, n)
    voice = _place_narration(narration, n, rate)

    # Centred mono reads 3 dB louder on two channels (BS.1770 sums their power).
    voice_lufs = loudness(voice, rate) + 10.0 * math.log10(2.0) if narration else -math.inf
    music_lufs = loudness(bed, rate)
    if math.isfinite(voice_lufs) and math.isfinite(music_lufs):
        bed *= np.float32(_db_to_gain(voice_lufs + music_level - music_lufs))

    windows = _speech_windows(narration, duration_s, bridge)
    ducking = _duck_db(windows, n, rate, duck_db, attack, release)
    if speech_dip_db != 0.0 and duck_db != 0.0:
        bed = _dip_speech_band(bed, rate, ducking / duck_db * speech_dip_db)
    # Built in place, one factor at a time: each is as long as the story.
    gain = 10.0 ** (ducking / 20.0)
    del ducking
    gain *= _scene_curve(scenes, n, rate, scene_fade)
    gain *= _fade_in_curve(n, rate, fade_in_s)
    fade_out = _fade_out_curve(n, rate, fade_out_s)
    gain *= fade_out
    curve = gain.astype(np.float32)
    del gain
    program = bed
    program *= curve[:, None]
    voice *= fade_out
    program += voice[:, None]
    del voice, fade_out

    audio, lufs, peak_db, gain_db, limiter_db = _master(program, rate, target_lufs, true_peak_dbtp)
    return MixResult(
        audio=audio,
        sample_rate=rate,
        loudness_lufs=lufs,
        true_peak_dbtp=peak_db,
        music_gain_curve=curve,
        gain_db=gain_db,
        limiter_db=limiter_db,
    )


# ------------------------------------------------------------ measurement


def loudness(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4); ``-inf`` for silence.

    ``audio`` is ``(n,)`` or ``(n, channels)``; audio shorter than one 400 ms
    gating block is measured padded with silence. Measured block by block
    (see ``storyscore.audio.loudness``), reading as pyloudnorm does.
    """
    data = np.asarray(audio)
    if not np.any(data):
        return -math.inf
    shortest = math.ceil(_METER_BLOCK * sample_rate) + 1
    if len(data) < shortest:
        pad = [(0, shortest - len(data))] + [(0, 0)] * (data.ndim - 1)
        data = np.pad(data, pad)
    return integrated_loudness(data, sample_rate)


def true_peak(audio: np.ndarray) -> float:
    """True peak in dBTP: the sample peak of the audio oversampled 4 times."""
    if len(audio) == 0:
        return -math.inf
    data = np.abs(np.asarray(audio, dtype=np.float32))
    peak = float(_true_peak_envelope(audio, float(data.max())).max())
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


@functools.cache
def _oversampling_phases() -> tuple[tuple[np.ndarray, ...], float]:
    """The three in-between phases of a 4x interpolation filter, and their largest gain.

    A 49-tap Kaiser-windowed sinc cut at the original Nyquist frequency: its
    fourth phase is a unit impulse (the samples themselves), each other phase
    has 12 taps. The largest sum of absolute taps bounds how far any
    interpolated value can exceed the samples around it.
    """
    from scipy.signal import firwin  # type: ignore[import-untyped, unused-ignore]

    up = _TRUE_PEAK_OVERSAMPLING
    taps = firwin(12 * up + 1, 1 / up, window=("kaiser", 7.0), scale=False) * up
    phases = tuple(np.ascontiguousarray(taps[p::up], dtype=np.float32) for p in range(1, up))
    return phases, max(float(np.abs(phase).sum()) for phase in phases)


def _true_peak_envelope(audio: np.ndarray, floor: float) -> np.ndarray:
    """Per sample, the largest oversampled magnitude around it, over all channels.

    Exact wherever it could reach ``floor`` (linear); elsewhere, where even
    the worst case stays below it, the sample peak stands in.
    """
    data = np.asarray(audio, dtype=np.float32).reshape(len(audio), -1)
    n = len(data)
    envelope: np.ndarray = np.abs(data).max(axis=1)
    phases, reach = _oversampling_phases()
    width = len(phases[0])
    blocks = -(-n // _TRUE_PEAK_BLOCK)
    padded = np.zeros(blocks * _TRUE_PEAK_BLOCK, dtype=np.float32)
    padded[:n] = envelope
    block_peak = padded.reshape(blocks, _TRUE_PEAK_BLOCK).max(axis=1)
    # Neighbouring blocks count: the filter reaches a few samples across the edge.
    near = block_peak.copy()
    np.maximum(near[1:], block_peak[:-1], out=near[1:])
    np.maximum(near[:-1], block_peak[1:], out=near[:-1])
    loud = near * reach >= floor
    edges = np.flatnonzero(np.diff(np.concatenate(([0], loud.astype(np.int8), [0]))))
    for first, last in edges.reshape(-1, 2):
        start, stop = first * _TRUE_PEAK_BLOCK, min(n, last * _TRUE_PEAK_BLOCK)
        lo, hi = max(0, start - width), min(n, stop + width)
        for channel in range(data.shape[1]):
            signal = data[lo:hi, channel]
            for phase in phases:
                between = np.abs(np.convolve(signal, phase, "same"))[start - lo : stop - lo]
                np.maximum(envelope[start:stop], between, out=envelope[start:stop])
    return envelope


# ---------------------------------------------------------------- inputs


def _check_settings(duration_s: float, *times: float) -> None:
    if not duration_s > 0:
        raise AudioError(f"the mix must last longer than 0 s, not {duration_s} s")
    if any(not t >= 0 for t in times):
        raise AudioError("fade, attack, release and bridge times must not be negative")


def _fit_music(music: np.ndarray, n: int) -> np.ndarray:
    """The music as float32 stereo of exactly ``n`` samples."""
    data = np.asarray(music, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] not in (1, 2):
        raise AudioError(f"music must be mono or stereo samples, not of shape {music.shape}")
    if data.shape[1] == 1:
        data = np.repeat(data, 2, axis=1)
    out = np.zeros((n, 2), dtype=np.float32)
    m = min(n, len(data))
    out[:m] = data[:m]
    return out


def _place_narration(narration: Sequence[PlacedNarration], n: int, rate: int) -> np.ndarray:
    """All narration resampled to ``rate`` and summed on one mono track of ``n`` samples."""
    track = np.zeros(n, dtype=np.float32)
    for placed in narration:
        if placed.start_s < 0:
            raise AudioError(f"narration cannot start before the story, at {placed.start_s} s")
        if placed.sample_rate <= 0 or np.asarray(placed.samples).ndim != 1:
            raise AudioError("narration must be mono samples with a positive sample rate")
        samples = _resample_mono(np.asarray(placed.samples, dtype=np.float32), placed.sample_rate)
        first = round(placed.start_s * rate)
        length = min(len(samples), n - first)
        if length > 0:
            track[first : first + length] += samples[:length]
    return track


def _resample_mono(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE or len(samples) == 0:
        return samples
    from scipy.signal import resample_poly  # type: ignore[import-untyped, unused-ignore]

    divisor = math.gcd(rate, SAMPLE_RATE)
    out = resample_poly(samples, SAMPLE_RATE // divisor, rate // divisor)
    return np.asarray(out, dtype=np.float32)


def _speech_windows(
    narration: Sequence[PlacedNarration], duration_s: float, bridge: float
) -> list[tuple[float, float]]:
    """Absolute speaking windows, merged across pauses shorter than ``bridge``."""
    windows = []
    for placed in narration:
        spoken = placed.speech if placed.speech is not None else _voice_activity(placed)
        for start, end in spoken:
            lo, hi = placed.start_s + start, min(duration_s, placed.start_s + end)
            if hi > lo:
                windows.append((lo, hi))
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start - merged[-1][1] < bridge:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _voice_activity(placed: PlacedNarration) -> list[tuple[float, float]]:
    """Windows, in seconds from the narration's start, where its level says someone speaks."""
    samples = np.asarray(placed.samples, dtype=np.float64)
    frame = max(1, round(_VAD_FRAME * placed.sample_rate))
    count = len(samples) // frame
    if count == 0:
        return []
    power = np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1)
    level = 10.0 * np.log10(np.maximum(power, 1e-20))
    active = level > max(float(level.max()) - _VAD_RANGE, _VAD_FLOOR)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], active.astype(np.int8), [0]))))
    seconds = frame / placed.sample_rate
    return [(float(a * seconds), float(b * seconds)) for a, b in edges.reshape(-1, 2)]


# ---------------------------------------------------------------- curves


def _db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def _rise(x: np.ndarray) -> np.ndarray:
    """Raised-cosine step from 0 (x <= 0) to 1 (x >= 1)."""
    t = np.clip(x, 0.0, 1.0)
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * t))


def _ramp_times(start: float, stop: float, n: int, rate: int) -> tuple[int, int, np.ndarray]:
    """Sample range covering [start, stop] within [0, n) and each sample's position in it."""
    first, last = max(0, math.floor(start * rate)), min(n, math.ceil(stop * rate) + 1)
    if last <= first:
        return first, first, np.empty(0)
    times = np.arange(first, last) / rate
    return first, last, (times - start) / max(stop - start, 1e-12)


def _duck_db(
    windows: list[tuple[float, float]],
    n: int,
    rate: int,
    duck_db: float,
    attack: float,
    release: float,
) -> np.ndarray:
    """Music gain in dB: ``duck_db`` under each window, raised-cosine ramps around it."""
    db = np.zeros(n)
    for start, end in windows:
        a, b, position = _ramp_times(start - attack, start, n, rate)
        db[a:b] = np.minimum(db[a:b], duck_db * _rise(position))
        a, b = max(0, math.ceil(start * rate)), min(n, math.floor(end * rate) + 1)
        db[a:b] = np.minimum(db[a:b], duck_db)
        a, b, position = _ramp_times(end, end + release, n, rate)
        db[a:b] = np.minimum(db[a:b], duck_db * (1.0 - _rise(position)))
    return db


def _dip_speech_band(music: np.ndarray, rate: int, dip_db: np.ndarray) -> np.ndarray:
    """``music`` with its 1-4 kHz band lowered by ``dip_db`` (<= 0, one value a sample).

    The band is isolated with a zero-phase band-pass (a first-order
    Butterworth run forwards and backwards, so its skirts are gentle and it
    adds no phase shift); taking back part of it lowers exactly that band.
    """
    from scipy.signal import butter, sosfiltfilt  # type: ignore[import-untyped, unused-ignore]

    sos = butter(1, [_SPEECH_BAND[0], _SPEECH_BAND[1]], btype="bandpass", fs=rate, output="sos")
    active = np.concatenate(([0], (dip_db != 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(active)).reshape(-1, 2)
    # Each dip is filtered on its own with the filter's settling time around it,
    # so memory follows the longest spoken passage, not the story.
    margin = rate // 10
    out = music.copy()
    for first, last in edges:
        lo, hi = max(0, int(first) - margin), min(len(music), int(last) + margin)
        band = sosfiltfilt(sos, music[lo:hi].astype(np.float64), axis=0)
        taken = 1.0 - 10.0 ** (dip_db[lo:hi] / 20.0)
        out[lo:hi] = (music[lo:hi] - band * taken[:, None]).astype(np.float32)
    return out


def _scene_curve(scenes: Sequence[SceneGain], n: int, rate: int, fade: float) -> np.ndarray:
    """Linear music gain per scene span, crossfading over ``fade`` centred on each change.

    Each crossfade is shortened to at most the length of the spans it joins,
    so inside a span away from its edges the gain is exactly the span's.
    """
    duration = n / rate
    spans: list[tuple[float, float, float]] = []
    now = 0.0
    for scene in sorted(scenes, key=lambda s: (s.start, s.end)):
        if not 0.0 <= scene.volume <= 1.0:
            raise AudioError(f"scene volume must be between 0 and 1, not {scene.volume}")
        start, end = max(scene.start, now), min(scene.end, duration)
        if end <= start:
            continue
        if start > now:
            spans.append((now, start, 1.0))
        spans.append((start, end, 0.0 if scene.silent else scene.volume))
        now = end
    if now < duration:
        spans.append((now, duration, 1.0))
    merged: list[tuple[float, float, float]] = []
    for span in spans:
        if merged and merged[-1][2] == span[2]:
            merged[-1] = (merged[-1][0], span[1], span[2])
        else:
            merged.append(span)

    curve = np.empty(n)
    for start, end, value in merged:
        curve[max(0, round(start * rate)) : round(end * rate)] = value
    for before, after in itertools.pairwise(merged):
        width = min(fade, before[1] - before[0], after[1] - after[0])
        if width <= 0:
            continue
        edge = before[1]
        a, b, position = _ramp_times(edge - width / 2, edge + width / 2, n, rate)
        curve[a:b] = before[2] + (after[2] - before[2]) * _rise(position)
    return curve


def _fade_in_curve(n: int, rate: int, seconds: float) -> np.ndarray:
    curve = np.ones(n)
    if seconds > 0:
        a, b, position = _ramp_times(0.0, seconds, n, rate)
        curve[a:b] = _rise(position)
    return curve


def _fade_out_curve(n: int, rate: int, seconds: float) -> np.ndarray:
    curve = np.ones(n)
    if seconds > 0:
        # The last sample is exactly silent.
        end = (n - 1) / rate
        a, b, position = _ramp_times(end - seconds, end, n, rate)
        curve[a:b] = 1.0 - _rise(position)
    return curve


# -------------------------------------------------------- master section


def _master(
    program: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float
) -> tuple[np.ndarray, float, float, float, float]:
    """Normalise to ``target_lufs`` and limit to ``ceiling_dbtp``.

    Returns the audio, its loudness and true peak, the gain applied before the
    limiter and the limiter's deepest reduction. The gain is corrected (at
    most twice) for the loudness the limiter takes away.
    """
    measured = loudness(program, rate)
    if not math.isfinite(measured):
        return program.astype(np.float32), measured, true_peak(program), 0.0, 0.0
    first_gain = gain_db = target_lufs - measured
    for _ in range(3):
        scaled = program * np.float32(_db_to_gain(gain_db))
        audio, peak_db, limiter_db = _limit(scaled, ceiling_dbtp)
        final_lufs = loudness(audio, rate)
        error = target_lufs - final_lufs
        makeup = min(gain_db + error, first_gain + _MAKEUP_LIMIT) - gain_db
        # Past the make-up limit more gain only means harder limiting.
        if abs(error) <= _LOUDNESS_TOLERANCE or limiter_db == 0.0 or makeup <= 0.0:
            break
        gain_db += makeup
    return audio, final_lufs, peak_db, gain_db, limiter_db


def _limit(audio: np.ndarray, ceiling_dbtp: float) -> tuple[np.ndarray, float, float]:
    """Look-ahead true-peak limiter.

    Returns the limited audio, its true peak and the deepest gain reduction in
    dB. Each pass measures the 4x oversampled peak envelope and lowers the
    gain wherever it exceeds the ceiling (see ``_reduction``); passes repeat
    until none is needed. Both channels share the gain, so the stereo image
    holds.
    """
    ceiling = ceiling_dbtp - _LIMITER_SAFETY
    deepest = 0.0
    out = audio.astype(np.float32)
    for _ in range(4):
        envelope = _true_peak_envelope(out, _db_to_gain(ceiling))
        peak_db = 20.0 * math.log10(max(float(envelope.max(initial=0.0)), 1e-12))
        if peak_db <= ceiling_dbtp:
            return out, peak_db, deepest
        gain_db = _reduction(envelope, ceiling)
        deepest = min(deepest, float(gain_db.min()))
        out = (out * (10.0 ** (gain_db / 20.0))[:, None]).astype(np.float32)
    # Interpolated peaks can move slightly under a changing gain: trim what is left.
    peak_db = true_peak(out)
    trim = min(0.0, ceiling - peak_db)
    out = (out * np.float32(_db_to_gain(trim))).astype(np.float32)
    return out, peak_db + trim, deepest + trim


def _reduction(envelope: np.ndarray, ceiling_db: float) -> np.ndarray:
    """The gain in dB (<= 0) per sample that brings ``envelope`` under ``ceiling_db``.

    The gain needed at every sample is held over the look-ahead window on
    both sides, smoothed with a Hann window as wide (so it is reached before
    each peak and never exceeded); the reduction then decays exponentially
    with the time constant ``_LIMITER_RELEASE``, never faster.
    """
    from scipy.ndimage import (  # type: ignore[import-untyped, unused-ignore]
        maximum_filter1d,
        minimum_filter1d,
    )
    from scipy.signal import fftconvolve  # type: ignore[import-untyped, unused-ignore]

    width = max(1, round(_LIMITER_LOOKAHEAD * SAMPLE_RATE))
    window = np.hanning(2 * width + 3)[1:-1]
    need = np.minimum(0.0, ceiling_db - 20.0 * np.log10(np.maximum(envelope, 1e-12)))
    held = minimum_filter1d(need, size=2 * width + 1, mode="nearest")
    smooth = fftconvolve(np.pad(held, width, mode="edge"), window / window.sum(), "valid")
    smooth = np.minimum(smooth, need)  # FFT rounding must not lift the gain
    # Nor leave traces where the window reaches no reduction: there the gain is exactly 1.
    reached = maximum_filter1d(held < 0.0, size=2 * width + 1, mode="constant")
    smooth[~reached] = 0.0
    # Release: reduction(t) = max over s <= t of reduction(s)·exp(-(t - s)/τ),
    # computed in logs as a running maximum so it stays vectorised.
    decay = np.arange(len(smooth)) / (_LIMITER_RELEASE * SAMPLE_RATE)
    with np.errstate(divide="ignore"):
        log_reduction = np.log(-np.minimum(smooth, 0.0)) + decay
    gain_db: np.ndarray = -np.exp(np.maximum.accumulate(log_reduction) - decay)
    return gain_db


# ------------------------------------------------------------ the codec


def fit_codec(
    result: MixResult,
    round_trip: Callable[[np.ndarray], np.ndarray],
    *,
    target_lufs: float = -16.0,
    true_peak_dbtp: float = -1.0,
    attempts: int = 5,
) -> MixResult:
    """The mix adjusted so that it peaks at most ``true_peak_dbtp`` after a lossy codec.

    ``round_trip`` encodes and decodes the audio exactly as it will be
    delivered (e.g. AAC in the MP4). Lossy coding adds its own error, which
    can lift any peak near the ceiling by tenths of a decibel or more, so the
    decoded audio is measured (4x oversampled) and, while it is over (or
    within the limiter's safety margin of it), coded again after a fix:

    1. the whole mix is limited again with the ceiling lowered by the
       overshoot (the codec's margin) and brought back to ``target_lufs``;
    2. then, for stragglers, the gain is lowered only where the codec went
       over, with the limiter's smooth look-ahead shape;
    3. at the last attempt, what is left is taken off the whole programme.

    The result records the decoded true peak in ``delivered_peak_dbtp``.
    """
    audio = result.audio
    ceiling = true_peak_dbtp - _LIMITER_SAFETY
    envelope, delivered = _delivered_envelope(audio, round_trip, ceiling)
    for attempt in range(attempts):
        if delivered <= ceiling:
            break
        if attempt == 0:
            margin = delivered - ceiling + _CODEC_MARGIN
            audio = _master(result.audio, result.sample_rate, target_lufs,
                            true_peak_dbtp - margin)[0]
        elif attempt < attempts - 1:
            gain_db = _reduction(_codec_overshoot(envelope, ceiling), ceiling)
            audio = (audio * (10.0 ** (gain_db / 20.0))[:, None]).astype(np.float32)
        else:
            audio = (audio * np.float32(_db_to_gain(ceiling - delivered))).astype(np.float32)
        envelope, delivered = _delivered_envelope(audio, round_trip, ceiling)
    return dataclasses.replace(
        result,
        audio=audio,
        loudness_lufs=loudness(audio, result.sample_rate),
        true_peak_dbtp=true_peak(audio),
        delivered_peak_dbtp=delivered,
    )


def _codec_overshoot(envelope: np.ndarray, ceiling_db: float) -> np.ndarray:
    """Where the decoded ``envelope`` is over the ceiling, spread over the codec's frames.

    The codec's error at a peak comes from the whole transform window around
    it (2048 samples for AAC), so the overshoot, plus a margin, is held over
    that much on either side; elsewhere the result is 0, asking for nothing.
    """
    from scipy.ndimage import maximum_filter1d  # type: ignore[import-untyped, unused-ignore]

    over = np.where(envelope > _db_to_gain(ceiling_db),
                    envelope * _db_to_gain(_CODEC_MARGIN), 0.0).astype(np.float32)
    spread: np.ndarray = maximum_filter1d(over, size=2 * _CODEC_WINDOW + 1, mode="constant")
    return spread


def _delivered_envelope(
    audio: np.ndarray, round_trip: Callable[[np.ndarray], np.ndarray], ceiling_db: float
) -> tuple[np.ndarray, float]:
    """The true-peak envelope of ``audio`` after the codec, and its peak in dBTP."""
    decoded = _fit_length(round_trip(audio), len(audio))
    envelope = _true_peak_envelope(decoded, _db_to_gain(ceiling_db))
    return envelope, 20.0 * math.log10(max(float(envelope.max(initial=0.0)), 1e-12))


def _fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    """``audio`` (``(m, channels)``) cut or padded with silence to ``n`` samples."""
    data = np.asarray(audio, dtype=np.float32)
    if len(data) >= n:
        return data[:n]
    return np.pad(data, [(0, n - len(data)), (0, 0)])


# ---------------------------------------------------------------- output


def write_wav(
    path: Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE, *, bits: int = 16,
    block: int = _WAV_BLOCK,
) -> None:
    """Write ``audio`` (``(n,)`` or ``(n, channels)``, floats in [-1, 1]) as a WAV file.

    ``bits`` 16 writes PCM with TPDF dither (seeded, so the file is
    reproducible); 32 writes IEEE float. It is written ``block`` frames at a
    time (the bytes do not depend on it). The file appears atomically.
    """
    data = np.asarray(audio)
    channels = 1 if data.ndim == 1 else data.shape[1]
    path = Path(path)
    try:
        with atomic_path(path) as temporary, temporary.open("wb") as stream, \
                WavWriter(stream, sample_rate, channels, bits) as writer:
            for start in range(0, len(data), block):
                writer.write(data[start : start + block])
    except OSError as exc:
        raise AudioError(f"cannot write '{path}': {exc.strerror or exc}") from exc
