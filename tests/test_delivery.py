"""The delivered sound: every example story's MP4, decoded, measured by a meter of its own.

The true peak is measured here with scipy's polyphase 4x oversampling and the
loudness with pyloudnorm, on the AAC that ffmpeg decodes from the finished
MP4: nothing of the mixer's own limiter or meter is used.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pyloudnorm  # type: ignore[import-untyped, unused-ignore]
import pytest
from scipy.signal import resample_poly  # type: ignore[import-untyped, unused-ignore]
from typer.testing import CliRunner

from conftest import STORIES
from storyscore.cli import app


def decoded_audio(mp4: Path) -> np.ndarray:
    """The MP4's audio track as float64 stereo at 48 kHz."""
    raw = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(mp4), "-vn",
         "-f", "f32le", "-c:a", "pcm_f32le", "-ar", "48000", "-ac", "2", "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, 2).astype(np.float64)


def true_peak_4x(audio: np.ndarray) -> float:
    return 20.0 * math.log10(float(np.abs(resample_poly(audio, 4, 1, axis=0)).max()))


@pytest.mark.slow
@pytest.mark.parametrize("story", STORIES, ids=[path.stem for path in STORIES])
def test_the_mp4_is_at_minus_16_lufs_and_peaks_under_minus_1_dbtp(
        story: Path, tmp_path: Path) -> None:
    # The run's shared cache: the story's pictures and narration at this size are
    # usually made already (the composing tests use them); the mix is measured anew.
    mp4 = tmp_path / f"{story.stem}.mp4"
    result = CliRunner().invoke(app, ["render", str(story), "-o", str(mp4), "--size", "96x64"])
    assert result.exit_code == 0, result.output
    audio = decoded_audio(mp4)
    assert len(audio) > 48000 * 5
    assert true_peak_4x(audio) <= -1.0
    assert abs(pyloudnorm.Meter(48000).integrated_loudness(audio) + 16.0) <= 0.5
