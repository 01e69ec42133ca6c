"""WAV files written block by block: 16-bit PCM with seeded TPDF dither, or 32-bit float.

The writer takes the audio in blocks of any size and keeps none of it, so a
long programme never needs one buffer for the whole file. The dither comes
from two seeded random streams drawn sample by sample, so the file's bytes
are the same however the audio is cut into blocks.
"""

from __future__ import annotations

import struct
from types import TracebackType
from typing import BinaryIO

import numpy as np

from storyscore.errors import AudioError

_PCM, _IEEE_FLOAT = 1, 3  # WAVE format tags
_DITHER_SEED = 0


class WavWriter:
    """Writes ``channels``-channel audio at ``sample_rate`` to an open binary ``stream``.

    Use as a context manager (or call ``close``): the header's sizes are
    filled in at the end. ``bits`` is 16 (PCM with TPDF dither) or 32 (IEEE
    float).
    """

    def __init__(self, stream: BinaryIO, sample_rate: int, channels: int, bits: int = 16) -> None:
        if bits not in (16, 32):
            raise AudioError(f"WAV files are written with 16 or 32 bits, not {bits}")
        self._stream = stream
        self._rate = sample_rate
        self._channels = channels
        self._bits = bits
        self._frames = 0
        # Two independent streams: their k-th draws dither the k-th value, whatever the blocks.
        self._dither = (np.random.default_rng([_DITHER_SEED, 1]),
                        np.random.default_rng([_DITHER_SEED, 2]))
        self._write_header()

    def _write_header(self) -> None:
        width = self._bits // 8
        data_bytes = self._frames * self._channels * width
        tag = _PCM if self._bits == 16 else _IEEE_FLOAT
        self._stream.write(b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE")
        self._stream.write(b"fmt " + struct.pack(
            "<IHHIIHH", 16, tag, self._channels, self._rate,
            self._rate * self._channels * width, self._channels * width, self._bits))
        self._stream.write(b"data" + struct.pack("<I", data_bytes))

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` (``(n, channels)``, or ``(n,)`` for mono; floats in [-1, 1])."""
        data = np.asarray(block, dtype=np.float32).reshape(len(block), self._channels)
        if self._bits == 16:
            first, second = self._dither
            dither = first.random(data.size) - second.random(data.size)
            scaled = np.round(data.reshape(-1).astype(np.float64) * 32767.0 + dither)
            # Dither may nudge a full-scale sample one step past the 16-bit range.
            self._stream.write(np.clip(scaled, -32768, 32767).astype("<i2").tobytes())
        else:
            self._stream.write(data.astype("<f4").tobytes())
        self._frames += len(data)

    def close(self) -> None:
        """Fill in the header's sizes; the stream stays open."""
        self._stream.seek(0)
        self._write_header()
        self._stream.seek(0, 2)

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
