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

Every stage runs over blocks of bounded size (``storyscore.audio.stream``),
reading as much context around each block as its filters reach, so the
same programme comes out whatever the block size (to float rounding), and
``mix_track`` / ``fit_codec_track`` mix an hour-long story in memory that
does not grow with it. ``mix`` and ``fit_codec`` are the same engine on
arrays.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from storyscore.audio.loudness import LoudnessMeter, integrated_loudness
from storyscore.audio.stream import BLOCK, MemoryTrack, Track, spans
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


@runtime_checkable
class SampleSource(Protocol):
    """Mono samples kept elsewhere (a narration's cache file), read when they are mixed."""

    @property
    def frames(self) -> int: ...

    def read(self) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class PlacedNarration:
    """One narration on the story's timeline.

    ``samples`` are float32 mono at ``sample_rate``, starting ``start_s``
    seconds into the story: an array, or a ``SampleSource`` that the mix reads
    only while its blocks pass the narration, so a story's narration is
    never all in memory. ``speech`` holds the spoken windows in seconds
    from the narration's start (its sentences); when ``None`` they are found
    from the audio's level.
    """

    start_s: float
    samples: np.ndarray | SampleSource
    sample_rate: int
    speech: tuple[tuple[float, float], ...] | None = None

    @classmethod
    def from_narration(cls, start_s: float, narration: SpokenNarration) -> PlacedNarration:
        """Place a voice's narration at ``start_s``, speaking in its sentences' windows;
        a narration that reads its samples from a file is placed as that source."""
        return cls(
            start_s,
            narration if isinstance(narration, SampleSource) else narration.samples,
            narration.sample_rate,
            tuple((sentence.start, sentence.end) for sentence in narration.sentences),
        )

    @property
    def frames(self) -> int:
        """How many samples the narration has (at its own rate)."""
        source = self.samples
        return source.frames if isinstance(source, SampleSource) else len(source)

    def read(self) -> np.ndarray:
        """The samples as an array (read from their source when they are kept elsewhere)."""
        source = self.samples
        return source.read() if isinstance(source, SampleSource) else np.asarray(source)


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


@dataclass(frozen=True)
class MixSettings:
    """How ``mix`` shapes and masters the programme (see ``mix`` for each one's role)."""

    duck_db: float = -12.0
    speech_dip_db: float = -6.0
    attack: float = 0.15
    release: float = 0.5
    bridge: float = 1.0
    scene_fade: float = 0.3
    fade_in_s: float = 0.75
    fade_out_s: float = 1.0
    music_level: float = -4.0
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.0


@dataclass(frozen=True, eq=False)
class MixedTrack:
    """A finished programme kept in a ``Track`` (float32 stereo), and its measurements.

    The streaming counterpart of ``MixResult``, without the story-long gain curve.
    """

    track: Track
    sample_rate: int
    loudness_lufs: float
    true_peak_dbtp: float
    gain_db: float
    limiter_db: float
    delivered_peak_dbtp: float | None = None


def mix(
    music: np.ndarray,
    narration: Sequence[PlacedNarration],
    duration_s: float,
    scenes: Sequence[SceneGain] = (),
    *,
    duck_db: float = MixSettings.duck_db,
    speech_dip_db: float = MixSettings.speech_dip_db,
    attack: float = MixSettings.attack,
    release: float = MixSettings.release,
    bridge: float = MixSettings.bridge,
    scene_fade: float = MixSettings.scene_fade,
    fade_in_s: float = MixSettings.fade_in_s,
    fade_out_s: float = MixSettings.fade_out_s,
    music_level: float = MixSettings.music_level,
    target_lufs: float = MixSettings.target_lufs,
    true_peak_dbtp: float = MixSettings.true_peak_dbtp,
    block: int | None = None,
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
    ``target_lufs`` and limited to ``true_peak_dbtp``. It is worked out
    ``block`` samples at a time (default: all at once); the samples do not
    depend on it beyond float rounding.
    """
    settings = MixSettings(duck_db, speech_dip_db, attack, release, bridge, scene_fade,
                           fade_in_s, fade_out_s, music_level, target_lufs, true_peak_dbtp)
    n = max(1, round(duration_s * SAMPLE_RATE)) if duration_s > 0 else 1
    source = MemoryTrack(2, _as_stereo(music))
    curve = MemoryTrack(1)
    mixed = mix_track(source, narration, duration_s, scenes, settings,
                      new_track=MemoryTrack, block=block or n, curve=curve)
    audio = mixed.track.read(0, mixed.track.frames)
    return MixResult(
        audio=np.ascontiguousarray(audio),
        sample_rate=mixed.sample_rate,
        loudness_lufs=mixed.loudness_lufs,
        true_peak_dbtp=mixed.true_peak_dbtp,
        music_gain_curve=curve.read(0, curve.frames)[:, 0].copy(),
        gain_db=mixed.gain_db,
        limiter_db=mixed.limiter_db,
    )


def mix_track(
    music: Track,
    narration: Sequence[PlacedNarration],
    duration_s: float,
    scenes: Sequence[SceneGain] = (),
    settings: MixSettings | None = None,
    *,
    new_track: Callable[[int], Track],
    block: int = BLOCK,
    curve: Track | None = None,
) -> MixedTrack:
    """``mix`` block by block: ``music`` read from a track, the programme written to tracks.

    ``new_track`` makes the tracks the programme and its mastering passes are
    written to (on disk for a long story); at most a few blocks of samples
    are held at a time. When ``curve`` is given, the music's gain curve is
    written to it (one channel).
    """
    s = settings or MixSettings()
    _check_settings(duration_s, s.attack, s.release, s.bridge, s.scene_fade, s.fade_in_s,
                    s.fade_out_s)
    if music.channels not in (1, 2):
        raise AudioError(f"music must be mono or stereo samples, not {music.channels} channels")
    plan = _plan(music, narration, duration_s, scenes, s, block)
    program = new_track(2)
    meter = _Meter(SAMPLE_RATE, 2)
    for start, stop in spans(plan.n, plan.block):
        audio, gain = _programme_block(plan, start, stop)
        program.append(audio)
        meter.feed(audio)
        if curve is not None:
            curve.append(gain[:, None])
    track, lufs, peak_db, gain_db, limiter_db = _master(
        program, meter.integrated(), s.target_lufs, s.true_peak_dbtp, new_track, plan.block)
    if track is not program:
        program.discard()
    return MixedTrack(track, SAMPLE_RATE, lufs, peak_db, gain_db, limiter_db)


def _as_stereo(music: np.ndarray) -> np.ndarray:
    """The music as float32 ``(m, 2)``: mono is doubled; other shapes are an error."""
    data = np.asarray(music, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] not in (1, 2):
        raise AudioError(f"music must be mono or stereo samples, not of shape {music.shape}")
    if data.shape[1] == 1:
        data = np.repeat(data, 2, axis=1)
    return data


@dataclass(frozen=True)
class _MixPlan:
    """Everything story-wide that decides the programme, none of it story-long in samples."""

    music: Track
    voices: _Voices
    n: int
    block: int
    settings: MixSettings
    windows: list[tuple[float, float]]  # speech, merged across short pauses
    dips: list[tuple[int, int]]  # sample ranges where the speech band dips
    scene_spans: list[tuple[float, float, float]]  # (start, end, volume), merged
    level: float | None  # the music's linear gain against the narration, if both sound


def _plan(music: Track, narration: Sequence[PlacedNarration], duration_s: float,
          scenes: Sequence[SceneGain], s: MixSettings, block: int) -> _MixPlan:
    """Check the inputs, measure the narration and music, and lay out the curves."""
    rate = SAMPLE_RATE
    n = max(1, round(duration_s * rate))
    voices = _Voices(narration, n)
    # Centred mono reads 3 dB louder on two channels (BS.1770 sums their power).
    voice_lufs = voices.loudness() + 10.0 * math.log10(2.0) if narration else -math.inf
    music_meter = _Meter(rate, 2)
    for start, stop in spans(n, block):
        music_meter.feed(_stereo(music.read(start, stop)))
    music_lufs = music_meter.integrated()
    level = None
    if math.isfinite(voice_lufs) and math.isfinite(music_lufs):
        level = _db_to_gain(voice_lufs + s.music_level - music_lufs)
    windows = _speech_windows(narration, duration_s, s.bridge)
    dips = (_dip_ranges(windows, n, rate, s)
            if s.speech_dip_db != 0.0 and s.duck_db != 0.0 else [])
    return _MixPlan(music, voices, n, block, s, windows, dips,
                    _scene_spans(scenes, n, rate), level)


def _stereo(audio: np.ndarray) -> np.ndarray:
    return np.repeat(audio, 2, axis=1) if audio.shape[1] == 1 else audio


def _programme_block(plan: _MixPlan, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``[start, stop)`` of the programme before mastering, and the music's gain there."""
    s, rate = plan.settings, SAMPLE_RATE
    bed = _bed(plan, start, stop)
    ducking = _duck_db(plan.windows, start, stop, rate, s.duck_db, s.attack, s.release)
    for lo, hi in plan.dips:
        if lo < stop and hi > start:
            _dip_speech_band(plan, bed, start, stop, lo, hi)
    # Built in place, one factor at a time.
    gain = 10.0 ** (ducking / 20.0)
    del ducking
    gain *= _scene_curve(plan.scene_spans, start, stop, rate, s.scene_fade)
    gain *= _fade_in_curve(start, stop, rate, s.fade_in_s)
    fade_out = _fade_out_curve(start, stop, plan.n, rate, s.fade_out_s)
    gain *= fade_out
    curve = gain.astype(np.float32)
    program = bed
    program *= curve[:, None]
    voice = plan.voices.block(start, stop)
    voice *= fade_out
    program += voice[:, None]
    return program, curve


def _bed(plan: _MixPlan, start: int, stop: int) -> np.ndarray:
    """The music over ``[start, stop)`` set to its level against the narration (a copy)."""
    bed = _stereo(plan.music.read(start, stop)).astype(np.float32, copy=True)
    if plan.level is not None:
        bed *= np.float32(plan.level)
    return bed


class _Meter:
    """A loudness meter that reads like ``loudness``: audio shorter than a gating block is
    measured padded with silence."""

    def __init__(self, rate: int, channels: int) -> None:
        self._meter = LoudnessMeter(rate, channels)
        self._shortest = math.ceil(_METER_BLOCK * rate) + 1
        self._seen = 0
        self._sound = False

    def feed(self, audio: np.ndarray) -> None:
        self._meter.feed(audio)
        self._seen += len(audio)
        self._sound = self._sound or bool(np.any(audio))

    def integrated(self) -> float:
        if not self._sound:
            return -math.inf
        if self._seen < self._shortest:
            self.feed(np.zeros((self._shortest - self._seen, self._meter.channels),
                               dtype=np.float32))
        return self._meter.integrated()


class _Voices:
    """The narration on one mono track at 48 kHz, made a block at a time.

    Each narration is resampled when a block first reaches it and let go once
    the blocks have passed it, so only the narrations around the block are held.
    """

    def __init__(self, narration: Sequence[PlacedNarration], n: int) -> None:
        rate = SAMPLE_RATE
        self._placed = []
        for placed in narration:
            if placed.start_s < 0:
                raise AudioError(
                    f"narration cannot start before the story, at {placed.start_s} s")
            mono = isinstance(placed.samples, SampleSource) or np.ndim(placed.samples) == 1
            if placed.sample_rate <= 0 or not mono:
                raise AudioError("narration must be mono samples with a positive sample rate")
            first = round(placed.start_s * rate)
            # resample_poly's output length, known before resampling.
            length = -(-placed.frames * rate // placed.sample_rate)
            self._placed.append((first, first + length, placed))
        self._n = n
        self._ready: dict[int, np.ndarray] = {}

    def block(self, start: int, stop: int) -> np.ndarray:
        """The narration over samples ``[start, stop)``."""
        track = np.zeros(stop - start, dtype=np.float32)
        for index, (first, end, placed) in enumerate(self._placed):
            if end <= start:
                self._ready.pop(index, None)
                continue
            if first >= stop or first >= self._n:
                continue
            samples = self._ready.get(index)
            if samples is None:
                samples = _resample_mono(np.asarray(placed.read(), dtype=np.float32),
                                         placed.sample_rate)
                self._ready[index] = samples
            last = min(first + len(samples), self._n)
            lo, hi = max(first, start), min(last, stop)
            if hi > lo:
                track[lo - start : hi - start] += samples[lo - first : hi - first]
        return track

    def loudness(self) -> float:
        """The narration track's integrated loudness (mono), measured block by block."""
        meter = _Meter(SAMPLE_RATE, 1)
        for start, stop in spans(self._n, BLOCK):
            meter.feed(self.block(start, stop))
        self._ready.clear()
        return meter.integrated()

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
    samples = np.asarray(placed.read(), dtype=np.float64)
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
# Each curve is worked out for one range of samples [start, stop) of the story;
# every sample's value depends only on its index, never on the range.


def _db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def _rise(x: np.ndarray) -> np.ndarray:
    """Raised-cosine step from 0 (x <= 0) to 1 (x >= 1)."""
    t = np.clip(x, 0.0, 1.0)
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * t))


def _ramp_times(start: float, stop: float, lo: int, hi: int,
                rate: int) -> tuple[int, int, np.ndarray]:
    """Samples covering [start, stop] within [lo, hi) and each one's position in the ramp."""
    first, last = max(lo, math.floor(start * rate)), min(hi, math.ceil(stop * rate) + 1)
    if last <= first:
        return first, first, np.empty(0)
    times = np.arange(first, last) / rate
    return first, last, (times - start) / max(stop - start, 1e-12)


def _duck_db(
    windows: list[tuple[float, float]],
    lo: int,
    hi: int,
    rate: int,
    duck_db: float,
    attack: float,
    release: float,
) -> np.ndarray:
    """Music gain in dB over ``[lo, hi)``: ``duck_db`` under each window, raised-cosine
    ramps around it."""
    db = np.zeros(hi - lo)
    for start, end in windows:
        if (start - attack) * rate > hi + 1 or (end + release) * rate < lo - 1:
            continue
        a, b, position = _ramp_times(start - attack, start, lo, hi, rate)
        db[a - lo : b - lo] = np.minimum(db[a - lo : b - lo], duck_db * _rise(position))
        a, b = max(lo, math.ceil(start * rate)), min(hi, math.floor(end * rate) + 1)
        if b > a:  # a range that ends before ``lo`` would slice from the block's end
            db[a - lo : b - lo] = np.minimum(db[a - lo : b - lo], duck_db)
        a, b, position = _ramp_times(end, end + release, lo, hi, rate)
        db[a - lo : b - lo] = np.minimum(db[a - lo : b - lo], duck_db * (1.0 - _rise(position)))
    return db


def _dip_ranges(windows: list[tuple[float, float]], n: int, rate: int,
                s: MixSettings) -> list[tuple[int, int]]:
    """The sample ranges ``[first, last)`` where the ducking (and so the speech dip) is not 0.

    The ducking is worked out only around each speech window (it is 0
    elsewhere), so this costs the longest spoken passage, not the story.
    """
    reach: list[tuple[int, int]] = []
    for start, end in windows:
        lo = max(0, math.floor((start - s.attack) * rate) - 1)
        hi = min(n, math.ceil((end + s.release) * rate) + 2)
        if reach and lo <= reach[-1][1]:
            reach[-1] = (reach[-1][0], max(reach[-1][1], hi))
        elif hi > lo:
            reach.append((lo, hi))
    ranges = []
    for lo, hi in reach:
        dip = _duck_db(windows, lo, hi, rate, s.duck_db, s.attack, s.release)
        active = np.concatenate(([0], (dip != 0).astype(np.int8), [0]))
        edges = np.flatnonzero(np.diff(active)).reshape(-1, 2)
        ranges += [(lo + int(first), lo + int(last)) for first, last in edges]
    return ranges


def _dip_speech_band(plan: _MixPlan, bed: np.ndarray, start: int, stop: int,
                     first: int, last: int) -> None:
    """Lower the 1-4 kHz band of ``bed`` (samples ``[start, stop)``) where the dip
    ``[first, last)`` reaches it, in place.

    The band is isolated with a zero-phase band-pass (a first-order
    Butterworth run forwards and backwards, so its skirts are gentle and it
    adds no phase shift); taking back part of it lowers exactly that band.
    Each dip is filtered whole, with the filter's settling time around it,
    whichever block it is asked for, so the blocks do not change the result.
    """
    from scipy.signal import butter, sosfiltfilt  # type: ignore[import-untyped, unused-ignore]

    s, rate = plan.settings, SAMPLE_RATE
    sos = butter(1, [_SPEECH_BAND[0], _SPEECH_BAND[1]], btype="bandpass", fs=rate, output="sos")
    margin = rate // 10
    lo, hi = max(0, first - margin), min(plan.n, last + margin)
    music = _bed(plan, lo, hi)
    band = sosfiltfilt(sos, music.astype(np.float64), axis=0)
    dip_db = _duck_db(plan.windows, lo, hi, rate, s.duck_db, s.attack, s.release)
    dip_db *= s.speech_dip_db / s.duck_db
    taken = 1.0 - 10.0 ** (dip_db / 20.0)
    dipped = (music - band * taken[:, None]).astype(np.float32)
    a, b = max(lo, start), min(hi, stop)
    bed[a - start : b - start] = dipped[a - lo : b - lo]


def _scene_spans(scenes: Sequence[SceneGain], n: int,
                 rate: int) -> list[tuple[float, float, float]]:
    """``(start, end, volume)`` spans covering the story, neighbours of equal volume merged."""
    duration = n / rate
    spans_: list[tuple[float, float, float]] = []
    now = 0.0
    for scene in sorted(scenes, key=lambda s: (s.start, s.end)):
        if not 0.0 <= scene.volume <= 1.0:
            raise AudioError(f"scene volume must be between 0 and 1, not {scene.volume}")
        start, end = max(scene.start, now), min(scene.end, duration)
        if end <= start:
            continue
        if start > now:
            spans_.append((now, start, 1.0))
        spans_.append((start, end, 0.0 if scene.silent else scene.volume))
        now = end
    if now < duration:
        spans_.append((now, duration, 1.0))
    merged: list[tuple[float, float, float]] = []
    for span in spans_:
        if merged and merged[-1][2] == span[2]:
            merged[-1] = (merged[-1][0], span[1], span[2])
        else:
            merged.append(span)
    return merged


def _scene_curve(merged: list[tuple[float, float, float]], lo: int, hi: int, rate: int,
                 fade: float) -> np.ndarray:
    """Linear music gain over ``[lo, hi)`` per scene span, crossfading over ``fade``
    centred on each change.

    Each crossfade is shortened to at most the length of the spans it joins,
    so inside a span away from its edges the gain is exactly the span's.
    """
    curve = np.empty(hi - lo)
    for start, end, value in merged:
        a, b = max(lo, round(start * rate)), min(hi, round(end * rate))
        if b > a:
            curve[a - lo : b - lo] = value
    for before, after in itertools.pairwise(merged):
        width = min(fade, before[1] - before[0], after[1] - after[0])
        if width <= 0:
            continue
        edge = before[1]
        a, b, position = _ramp_times(edge - width / 2, edge + width / 2, lo, hi, rate)
        if b > a:
            curve[a - lo : b - lo] = before[2] + (after[2] - before[2]) * _rise(position)
    return curve


def _fade_in_curve(lo: int, hi: int, rate: int, seconds: float) -> np.ndarray:
    curve = np.ones(hi - lo)
    if seconds > 0:
        a, b, position = _ramp_times(0.0, seconds, lo, hi, rate)
        curve[a - lo : b - lo] = _rise(position)
    return curve


def _fade_out_curve(lo: int, hi: int, n: int, rate: int, seconds: float) -> np.ndarray:
    curve = np.ones(hi - lo)
    if seconds > 0:
        # The last sample is exactly silent.
        end = (n - 1) / rate
        a, b, position = _ramp_times(end - seconds, end, lo, hi, rate)
        curve[a - lo : b - lo] = 1.0 - _rise(position)
    return curve


# -------------------------------------------------------- master section
# The limiter reads each block with context on both sides: the oversampling
# filter and the loud-block test reach two 4096-sample blocks (whose grid
# starts at sample 0), the look-ahead and its smoothing a few hundred samples;
# its release is the one state carried from block to block.

_ENVELOPE_CONTEXT = 2 * _TRUE_PEAK_BLOCK
_GAIN_CONTEXT = 1024  # samples: more than the look-ahead's hold, smoothing and reach
_RELEASE_FLOOR = 1e-7  # dB of reduction under which the release is over


def _aligned_block(block: int) -> int:
    """``block`` rounded up to whole true-peak blocks, so every block starts on their grid."""
    return max(1, -(-block // _TRUE_PEAK_BLOCK)) * _TRUE_PEAK_BLOCK


def _envelope_range(track: Track, scale: float, floor: float, lo: int, hi: int) -> np.ndarray:
    """``_true_peak_envelope`` of ``track`` × ``scale`` over samples ``[lo, hi)``.

    Read with context from a start on the 4096-sample grid, so each sample's
    value is the one the whole track would give it.
    """
    first = (lo - _ENVELOPE_CONTEXT) // _TRUE_PEAK_BLOCK * _TRUE_PEAK_BLOCK
    chunk = track.read(first, hi + _ENVELOPE_CONTEXT)
    if scale != 1.0:
        chunk = chunk * np.float32(scale)
    return _true_peak_envelope(chunk, floor)[lo - first : hi - first]


def track_true_peak(track: Track, block: int = BLOCK) -> float:
    """True peak in dBTP of a whole track, oversampled 4 times, block by block."""
    peak = 0.0
    for start, stop in spans(track.frames, _aligned_block(block)):
        loudest = float(np.abs(track.read(start, stop)).max(initial=0.0))
        # The floor is the block's own sample peak: every value that could pass it is exact.
        if loudest > 0.0:
            peak = max(peak, float(_envelope_range(track, 1.0, loudest, start, stop).max()))
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def track_loudness(track: Track, block: int = BLOCK) -> float:
    """Integrated loudness in LUFS of a whole track, block by block (as ``loudness``)."""
    meter = _Meter(SAMPLE_RATE, track.channels)
    for start, stop in spans(track.frames, block):
        meter.feed(track.read(start, stop))
    return meter.integrated()


def _master(
    program: Track, measured: float, target_lufs: float, ceiling_dbtp: float,
    new_track: Callable[[int], Track], block: int,
) -> tuple[Track, float, float, float, float]:
    """Normalise ``program`` (whose loudness is ``measured``) to ``target_lufs`` and limit
    it to ``ceiling_dbtp``.

    Returns the track, its loudness and true peak, the gain applied before
    the limiter and the limiter's deepest reduction. The gain is corrected
    (at most twice) for the loudness the limiter takes away.
    """
    if not math.isfinite(measured):
        return program, measured, track_true_peak(program, block), 0.0, 0.0
    first_gain = gain_db = target_lufs - measured
    audio: Track | None = None
    for _ in range(3):
        if audio is not None:
            audio.discard()
        audio, peak_db, limiter_db, final_lufs = _limit(
            program, _db_to_gain(gain_db), ceiling_dbtp, new_track, block)
        error = target_lufs - final_lufs
        makeup = min(gain_db + error, first_gain + _MAKEUP_LIMIT) - gain_db
        # Past the make-up limit more gain only means harder limiting.
        if abs(error) <= _LOUDNESS_TOLERANCE or limiter_db == 0.0 or makeup <= 0.0:
            break
        gain_db += makeup
    assert audio is not None
    return audio, final_lufs, peak_db, gain_db, limiter_db


def _limit(source: Track, scale: float, ceiling_dbtp: float,
           new_track: Callable[[int], Track], block: int) -> tuple[Track, float, float, float]:
    """Look-ahead true-peak limiter over ``source`` × ``scale``.

    Returns the limited track, its true peak, the deepest gain reduction in
    dB and its loudness. Each pass measures the 4x oversampled peak envelope
    and lowers the gain wherever it exceeds the ceiling (see
    ``_reduction``); passes repeat until none is needed. Both channels share
    the gain, so the stereo image holds.
    """
    ceiling = ceiling_dbtp - _LIMITER_SAFETY
    deepest = 0.0
    current, current_scale = source, scale
    for _ in range(4):
        def envelope(lo: int, hi: int, track: Track = current, by: float = current_scale
                     ) -> np.ndarray:
            return _envelope_range(track, by, _db_to_gain(ceiling), lo, hi)

        out, peak_db, pass_deepest, lufs = _gain_pass(
            current, current_scale, envelope, ceiling, new_track, block)
        if current is not source:
            current.discard()
        # Below the ceiling the pass changed nothing: its output is its input.
        if peak_db <= ceiling_dbtp:
            return out, peak_db, deepest, lufs
        deepest = min(deepest, pass_deepest)
        current, current_scale = out, 1.0
    # Interpolated peaks can move slightly under a changing gain: trim what is left.
    peak_db = track_true_peak(current, block)
    trim = min(0.0, ceiling - peak_db)
    out, lufs = _scaled(current, _db_to_gain(trim), new_track, block)
    current.discard()
    return out, peak_db + trim, deepest + trim, lufs


def _gain_pass(
    source: Track, scale: float, envelope: Callable[[int, int], np.ndarray], ceiling_db: float,
    new_track: Callable[[int], Track], block: int,
) -> tuple[Track, float, float, float]:
    """``source`` × ``scale`` with the gain that brings ``envelope`` under ``ceiling_db``.

    ``envelope(lo, hi)`` gives the peak envelope to hold down over any range
    of samples. Returns the new track, the envelope's peak in dB, the deepest
    reduction in dB and the new track's loudness.
    """
    out = new_track(source.channels)
    meter = _Meter(SAMPLE_RATE, source.channels)
    peak, deepest, carried = 0.0, 0.0, 0.0
    for start, stop in spans(source.frames, _aligned_block(block)):
        around = envelope(start - _GAIN_CONTEXT, stop + _GAIN_CONTEXT)
        inside = around[_GAIN_CONTEXT : _GAIN_CONTEXT + stop - start]
        peak = max(peak, float(inside.max(initial=0.0)))
        gain_db, carried = _reduction(around, ceiling_db, _GAIN_CONTEXT, stop - start, carried)
        deepest = min(deepest, float(gain_db.min(initial=0.0)))
        audio = source.read(start, stop)
        if scale != 1.0:
            audio = audio * np.float32(scale)
        audio = (audio * (10.0 ** (gain_db / 20.0))[:, None]).astype(np.float32)
        out.append(audio)
        meter.feed(audio)
    peak_db = 20.0 * math.log10(max(peak, 1e-12))
    return out, peak_db, deepest, meter.integrated()


def _scaled(source: Track, gain: float, new_track: Callable[[int], Track],
            block: int) -> tuple[Track, float]:
    """``source`` × ``gain`` in a new track, and its loudness."""
    out = new_track(source.channels)
    meter = _Meter(SAMPLE_RATE, source.channels)
    for start, stop in spans(source.frames, block):
        audio = (source.read(start, stop) * np.float32(gain)).astype(np.float32)
        out.append(audio)
        meter.feed(audio)
    return out, meter.integrated()


def _reduction(envelope: np.ndarray, ceiling_db: float, context: int, length: int,
               carried: float) -> tuple[np.ndarray, float]:
    """The gain in dB (<= 0) per sample that brings ``envelope`` under ``ceiling_db``.

    ``envelope`` covers the block and ``context`` samples either side; the
    gain is returned for the ``length`` samples of the block, with the
    reduction at its last sample (to carry into the next block, which starts
    from ``carried``). The gain needed at every sample is held over the
    look-ahead window on both sides, smoothed with a Hann window as wide (so
    it is reached before each peak and never exceeded); the reduction then
    decays exponentially with the time constant ``_LIMITER_RELEASE``, never
    faster.
    """
    from scipy.ndimage import (  # type: ignore[import-untyped, unused-ignore]
        maximum_filter1d,
        minimum_filter1d,
    )
    from scipy.signal import fftconvolve  # type: ignore[import-untyped, unused-ignore]

    width = max(1, round(_LIMITER_LOOKAHEAD * SAMPLE_RATE))
    window = np.hanning(2 * width + 3)[1:-1]
    need = np.minimum(0.0, ceiling_db - 20.0 * np.log10(np.maximum(envelope, 1e-12)))
    if not need.any() and carried == 0.0:
        return np.zeros(length), 0.0
    held = minimum_filter1d(need, size=2 * width + 1, mode="nearest")
    smooth = fftconvolve(np.pad(held, width, mode="edge"), window / window.sum(), "valid")
    smooth = np.minimum(smooth, need)  # FFT rounding must not lift the gain
    # Nor leave traces where the window reaches no reduction: there the gain is exactly 1.
    reached = maximum_filter1d(held < 0.0, size=2 * width + 1, mode="constant")
    smooth[~reached] = 0.0
    smooth = smooth[context : context + length]
    # Release: reduction(t) = max over s <= t of reduction(s)·exp(-(t - s)/τ),
    # computed in logs as a running maximum so it stays vectorised; the
    # previous block's last reduction enters as one more earlier sample.
    steps = _LIMITER_RELEASE * SAMPLE_RATE
    decay = np.arange(length) / steps
    with np.errstate(divide="ignore"):
        log_reduction = np.log(-np.minimum(smooth, 0.0)) + decay
        before = math.log(carried) - 1.0 / steps if carried > 0.0 else -math.inf
    running = np.maximum(np.maximum.accumulate(log_reduction), before)
    gain_db: np.ndarray = -np.exp(running - decay)
    last = float(-gain_db[-1])
    # A reduction this small no longer changes a float32 sample: the next block starts clean.
    return gain_db, last if last > _RELEASE_FLOOR else 0.0


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
    delivered (e.g. AAC in the MP4). See ``fit_codec_track``, which this runs
    on arrays.
    """
    def tracked(track: Track) -> Track:
        return MemoryTrack(2, np.asarray(round_trip(track.read(0, track.frames)),
                                         dtype=np.float32))

    mixed = MixedTrack(MemoryTrack(2, result.audio), result.sample_rate, result.loudness_lufs,
                       result.true_peak_dbtp, result.gain_db, result.limiter_db)
    fitted = fit_codec_track(mixed, tracked, new_track=MemoryTrack, target_lufs=target_lufs,
                             true_peak_dbtp=true_peak_dbtp, attempts=attempts,
                             block=len(result.audio))
    return dataclasses.replace(
        result,
        audio=np.ascontiguousarray(fitted.track.read(0, fitted.track.frames)),
        loudness_lufs=fitted.loudness_lufs,
        true_peak_dbtp=fitted.true_peak_dbtp,
        delivered_peak_dbtp=fitted.delivered_peak_dbtp,
    )


def fit_codec_track(
    mixed: MixedTrack,
    round_trip: Callable[[Track], Track],
    *,
    new_track: Callable[[int], Track],
    target_lufs: float = -16.0,
    true_peak_dbtp: float = -1.0,
    attempts: int = 5,
    block: int = BLOCK,
) -> MixedTrack:
    """The mix adjusted so that it peaks at most ``true_peak_dbtp`` after a lossy codec.

    ``round_trip`` encodes and decodes the track exactly as it will be
    delivered (e.g. AAC in the MP4) into a new track. Lossy coding adds its
    own error, which can lift any peak near the ceiling by tenths of a
    decibel or more, so the decoded audio is measured (4x oversampled) and,
    while it is over (or within the limiter's safety margin of it), coded
    again after a fix:

    1. the whole mix is limited again with the ceiling lowered by the
       overshoot (the codec's margin) and brought back to ``target_lufs``;
    2. then, for stragglers, the gain is lowered only where the codec went
       over, with the limiter's smooth look-ahead shape;
    3. at the last attempt, what is left is taken off the whole programme.

    The result records the decoded true peak in ``delivered_peak_dbtp``.
    Block by block throughout: ``new_track`` keeps each pass's output.
    """
    audio = mixed.track
    ceiling = true_peak_dbtp - _LIMITER_SAFETY
    decoded = _Cut(round_trip(audio), audio.frames)
    delivered = _fit_peak(decoded, block)
    for attempt in range(attempts):
        if delivered <= ceiling:
            break
        previous = audio
        if attempt == 0:
            margin = delivered - ceiling + _CODEC_MARGIN
            audio = _master(mixed.track, track_loudness(mixed.track, block), target_lufs,
                            true_peak_dbtp - margin, new_track, block)[0]
        elif attempt < attempts - 1:
            def overshoot(lo: int, hi: int, coded: _Cut = decoded) -> np.ndarray:
                return _codec_overshoot(coded, ceiling, lo, hi, block)

            audio = _gain_pass(audio, 1.0, overshoot, ceiling, new_track, block)[0]
        else:
            audio = _scaled(audio, _db_to_gain(ceiling - delivered), new_track, block)[0]
        if previous is not mixed.track:
            previous.discard()
        decoded.discard()
        decoded = _Cut(round_trip(audio), audio.frames)
        delivered = _fit_peak(decoded, block)
    decoded.discard()
    return dataclasses.replace(
        mixed,
        track=audio,
        loudness_lufs=track_loudness(audio, block),
        true_peak_dbtp=track_true_peak(audio, block),
        delivered_peak_dbtp=delivered,
    )


def _fit_peak(decoded: Track, block: int) -> float:
    """The true peak in dBTP of the decoded audio (at least -240 dB, for silence)."""
    peak = track_true_peak(decoded, block)
    return max(peak, -240.0)


class _Cut:
    """A track read as if it ended after ``frames`` samples (the codec may add some)."""

    def __init__(self, track: Track, frames: int) -> None:
        self._track, self.frames, self.channels = track, frames, track.channels

    def append(self, block: np.ndarray) -> None:
        raise AudioError("a cut track is read only")

    def read(self, start: int, stop: int) -> np.ndarray:
        audio = self._track.read(start, stop)
        if stop > self.frames:
            audio = audio.copy()
            audio[max(0, self.frames - start):] = 0.0
        return audio

    def discard(self) -> None:
        self._track.discard()


def _codec_overshoot(decoded: Track, ceiling_db: float, lo: int, hi: int,
                     block: int) -> np.ndarray:
    """Over ``[lo, hi)``: where the decoded audio is over the ceiling, spread over the
    codec's frames.

    The codec's error at a peak comes from the whole transform window around
    it (2048 samples for AAC), so the overshoot, plus a margin, is held over
    that much on either side; elsewhere the result is 0, asking for nothing.
    """
    from scipy.ndimage import maximum_filter1d  # type: ignore[import-untyped, unused-ignore]

    envelope = _envelope_range(decoded, 1.0, _db_to_gain(ceiling_db),
                               lo - _CODEC_WINDOW, hi + _CODEC_WINDOW)
    over = np.where(envelope > _db_to_gain(ceiling_db),
                    envelope * _db_to_gain(_CODEC_MARGIN), 0.0).astype(np.float32)
    spread: np.ndarray = maximum_filter1d(over, size=2 * _CODEC_WINDOW + 1, mode="constant")
    return spread[_CODEC_WINDOW : _CODEC_WINDOW + hi - lo]


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


def write_wav_track(path: Path, track: Track, sample_rate: int = SAMPLE_RATE, *,
                    bits: int = 16, block: int = _WAV_BLOCK) -> None:
    """Write ``track`` as a WAV file ``block`` frames at a time (see ``write_wav``)."""
    path = Path(path)
    try:
        with atomic_path(path) as temporary, temporary.open("wb") as stream, \
                WavWriter(stream, sample_rate, track.channels, bits) as writer:
            for start, stop in spans(track.frames, block):
                writer.write(track.read(start, stop))
    except OSError as exc:
        raise AudioError(f"cannot write '{path}': {exc.strerror or exc}") from exc
