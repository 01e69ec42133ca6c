"""The block-by-block BS.1770 meter reads as pyloudnorm does, however the audio is cut."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm  # type: ignore[import-untyped, unused-ignore]
import pytest

from storyscore.audio.loudness import LoudnessMeter, integrated_loudness

RATE = 48000


def signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    noise = 0.1 * rng.standard_normal((RATE * 6 + 123, 2))
    bursts = noise * (np.sin(np.arange(len(noise)) / RATE * 3) > 0)[:, None]
    quiet_tail = noise.copy()
    quiet_tail[RATE:] *= 1e-4  # mostly under the relative gate
    t = np.arange(RATE * 2) / RATE
    tone = np.sin(2 * np.pi * 1000 * t)
    return {"noise": noise, "bursts": bursts, "quiet tail": quiet_tail, "mono tone": tone,
            "one block": noise[: int(0.4 * RATE) + 1]}


@pytest.mark.parametrize("name", list(signals()))
@pytest.mark.parametrize("block", [1 << 18, 4800, 997])
def test_reads_as_pyloudnorm_in_any_blocks(name: str, block: int) -> None:
    audio = signals()[name]
    reference = pyloudnorm.Meter(RATE).integrated_loudness(audio)
    assert integrated_loudness(audio, RATE, block) == pytest.approx(reference, abs=1e-9)


def test_a_full_scale_1_khz_sine_reads_minus_3_lufs() -> None:
    t = np.arange(RATE * 3) / RATE
    # BS.1770: -3.01 LKFS; K-weighting lifts 997 Hz by a few hundredths of a dB.
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t), RATE) == pytest.approx(-3.01, abs=0.05)


def test_silence_and_too_little_audio_read_minus_infinity() -> None:
    assert integrated_loudness(np.zeros((RATE, 2)), RATE) == -math.inf
    meter = LoudnessMeter(RATE, 2)
    meter.feed(np.ones((RATE // 10, 2)))  # shorter than one 400 ms gating block
    assert meter.integrated() == -math.inf
