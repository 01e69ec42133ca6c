"""Integrated loudness (ITU-R BS.1770-4) measured block by block.

The meter is fed audio in blocks of any size and keeps only the K-weighting
filters' state and one number per 100 ms: the gating blocks (400 ms, 75 %
overlap) are summed from those. Its reading equals pyloudnorm's (whose
K-weighting filters and block boundaries it uses) within float rounding,
however the audio is cut into blocks, and its memory does not grow with the
audio's length beyond those numbers.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

_GATE_BLOCK = 0.4  # seconds
_STEP = 0.25  # of a gating block: 75 % overlap
_ABSOLUTE_GATE = -70.0  # LUFS
_RELATIVE_GATE = -10.0  # LU under the absolutely gated loudness
_OFFSET = -0.691  # BS.1770's constant, so a 1 kHz sine at 0 dBFS reads -3.01 LUFS
_DENORMAL_GUARD = 1e-12  # keeps the filters out of denormal numbers after silence


class LoudnessMeter:
    """A BS.1770-4 integrated-loudness meter for ``channels`` channels at ``rate`` Hz.

    Channels are weighted 1 (mono, stereo or the front three of 5.1).
    """

    def __init__(self, rate: int, channels: int) -> None:
        from pyloudnorm.iirfilter import IIRfilter  # type: ignore[import-untyped, unused-ignore]
        from scipy.signal import lfilter_zi  # type: ignore[import-untyped, unused-ignore]

        self.rate = rate
        self.channels = channels
        shelf = IIRfilter(4.0, 1 / math.sqrt(2), 1500.0, rate, "high_shelf")
        high_pass = IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")
        self._stages = [(np.asarray(f.b, dtype=np.float64), np.asarray(f.a, dtype=np.float64),
                         float(f.passband_gain)) for f in (shelf, high_pass)]
        self._state = [np.zeros((len(lfilter_zi(b, a)), channels)) for b, a, _ in self._stages]
        self._seen = 0  # samples fed so far
        self._total = 0.0  # running sum of the weighted squares (all channels)
        self._sums: dict[int, float] = {0: 0.0}  # the running sum before each block boundary
        self._pending: list[int] = []  # boundaries not reached yet (a heap)
        self._next_block = 0  # the first block whose boundaries are not pending yet

    def _bounds(self, j: int) -> tuple[int, int]:
        """Samples ``[l, u)`` of gating block ``j``, computed as pyloudnorm computes them."""
        lower = int(_GATE_BLOCK * (j * _STEP) * self.rate)
        upper = int(_GATE_BLOCK * (j * _STEP + 1) * self.rate)
        return lower, upper

    def feed(self, audio: np.ndarray) -> None:
        """Measure the next ``(n, channels)`` (or ``(n,)`` for mono) samples."""
        from scipy.signal import lfilter  # type: ignore[import-untyped, unused-ignore]

        data = np.array(audio, dtype=np.float64).reshape(len(audio), self.channels)
        data += _DENORMAL_GUARD
        for index, (b, a, gain) in enumerate(self._stages):
            filtered, self._state[index] = lfilter(b, a, data, axis=0, zi=self._state[index])
            data = filtered * gain
        # A running sum of the squares: its differences are the blocks' energies.
        cumulative = self._total + np.cumsum(np.square(data).sum(axis=1))
        start, end = self._seen, self._seen + len(data)
        while self._bounds(self._next_block)[0] <= end:
            for mark in self._bounds(self._next_block):
                heapq.heappush(self._pending, mark)
            self._next_block += 1
        while self._pending and self._pending[0] <= end:
            mark = heapq.heappop(self._pending)
            if mark not in self._sums:
                self._sums[mark] = float(cumulative[mark - start - 1]) if mark > start \
                    else self._total
        if len(cumulative):
            self._total = float(cumulative[-1])
        self._seen = end

    def integrated(self) -> float:
        """The integrated loudness in LUFS of everything fed so far; ``-inf`` for silence."""
        seconds = self._seen / self.rate
        blocks = int(np.round((seconds - _GATE_BLOCK) / (_GATE_BLOCK * _STEP))) + 1
        if blocks <= 0:
            return -math.inf
        size = _GATE_BLOCK * self.rate
        energy = np.empty(blocks)
        for j in range(blocks):
            lower, upper = self._bounds(j)
            before_end = self._sums[upper] if upper < self._seen else self._total
            energy[j] = max(0.0, before_end - self._sums[lower]) / size
        with np.errstate(divide="ignore"):
            levels = _OFFSET + 10.0 * np.log10(energy)
        gated = energy[levels >= _ABSOLUTE_GATE]
        if len(gated) == 0:
            return -math.inf
        relative = _OFFSET + 10.0 * math.log10(float(gated.mean())) + _RELATIVE_GATE
        kept = energy[(levels > relative) & (levels > _ABSOLUTE_GATE)]
        if len(kept) == 0:
            return -math.inf
        return _OFFSET + 10.0 * math.log10(float(kept.mean()))


def integrated_loudness(audio: np.ndarray, rate: int, block: int = 1 << 18) -> float:
    """BS.1770-4 integrated loudness of ``audio`` (``(n,)`` or ``(n, channels)``), in LUFS.

    Measured ``block`` samples at a time, so the meter's own memory stays small.
    """
    data = np.asarray(audio)
    meter = LoudnessMeter(rate, 1 if data.ndim == 1 else data.shape[1])
    for start in range(0, len(data), block):
        meter.feed(data[start : start + block])
    return meter.integrated()
