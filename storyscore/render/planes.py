"""Frames as the encoder takes them: BT.709 limited-range Y'CbCr, 4:2:0.

A picture is converted once (``to_planes``); camera moves, transitions and
subtitles then work on its three planes, each an 8-bit Pillow ``L`` image:
luma at the frame's size, the two chroma planes at half its width and
height. Resampling one byte a pixel for luma and a quarter of that for each
chroma plane is about half the work of resampling RGB (which Pillow keeps at
four bytes a pixel), the encoder gets half the bytes through its pipe, and
ffmpeg no longer converts colours.

The conversion is fixed-point integer arithmetic, so it gives the same bytes
on every machine. Chroma is the mean of each 2x2 block (centred siting, as
ffmpeg's own RGB to 4:2:0 conversion does by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from PIL import Image

__all__ = ["CHROMA", "LUMA", "PLANE_KINDS", "RGB", "Plane", "Planes", "overlay_planes", "to_planes"]

# BT.709 luma weights.
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
_SHIFT = 16  # fixed-point fraction bits
# Limited range: luma 16..235 (219 steps), chroma 128 +/- 112 (224 steps).
_Y_SCALE = 219 / 255
_CB_SCALE = 224 / 255 / (2 * (1 - _KB))
_CR_SCALE = 224 / 255 / (2 * (1 - _KR))
_Y = tuple(round(k * _Y_SCALE * (1 << _SHIFT)) for k in (_KR, _KG, _KB))
_CB = tuple(round(k * _CB_SCALE * (1 << _SHIFT)) for k in (-_KR, -_KG, 1 - _KB))
_CR = tuple(round(k * _CR_SCALE * (1 << _SHIFT)) for k in (1 - _KR, -_KG, -_KB))


@dataclass(frozen=True)
class Plane:
    """How one plane relates to the frame: ``scale`` frame pixels per plane
    pixel along each axis, and the plane's values for black and white."""

    scale: int = 1
    black: int = 0
    white: int = 255


RGB = Plane()
LUMA = Plane(1, 16, 235)
CHROMA = Plane(2, 128, 128)
PLANE_KINDS = (LUMA, CHROMA, CHROMA)  # what each of a frame's planes is, in order


class Planes(NamedTuple):
    """One frame as luma and the two half-size chroma planes (``L`` images)."""

    y: Image.Image
    cb: Image.Image
    cr: Image.Image

    @property
    def kinds(self) -> tuple[Plane, Plane, Plane]:
        return PLANE_KINDS

    def tobytes(self) -> bytes:
        """The frame as raw ``yuv420p``: the three planes one after another."""
        return b"".join((self.y.tobytes(), self.cb.tobytes(), self.cr.tobytes()))


def _weighted(channels: tuple[np.ndarray, ...], weights: tuple[int, ...]) -> np.ndarray:
    r, g, b = channels
    wr, wg, wb = weights
    total: np.ndarray = r * wr + g * wg + b * wb
    return total


def _round_shift(values: np.ndarray, offset: int, shift: int) -> Image.Image:
    """``offset + values / 2**shift``, rounded, as an ``L`` image."""
    rounded = (values + (offset << shift) + (1 << (shift - 1))) >> shift
    return Image.fromarray(np.clip(rounded, 0, 255).astype(np.uint8), "L")


def _block_sums(channel: np.ndarray) -> np.ndarray:
    """The sum of each 2x2 block (four slices added one by one: exact, in any order)."""
    total: np.ndarray = (channel[0::2, 0::2] + channel[1::2, 0::2]
                         + channel[0::2, 1::2] + channel[1::2, 1::2])
    return total


def to_planes(picture: Image.Image) -> Planes:
    """An RGB picture of even width and height as BT.709 limited-range 4:2:0 planes."""
    width, height = picture.size
    if width % 2 or height % 2:
        raise ValueError(f"a 4:2:0 frame needs an even size, not {width}x{height}")
    rgb = np.asarray(picture.convert("RGB"), dtype=np.int64)
    channels = (rgb[..., 0], rgb[..., 1], rgb[..., 2])
    y = _round_shift(_weighted(channels, _Y), 16, _SHIFT)
    # Each chroma sample from the four pixels it covers: the sum of four adds
    # two bits, so the shift takes two more.
    sums = tuple(_block_sums(c) for c in channels)
    cb = _round_shift(_weighted(sums, _CB), 128, _SHIFT + 2)
    cr = _round_shift(_weighted(sums, _CR), 128, _SHIFT + 2)
    return Planes(y, cb, cr)


def overlay_planes(overlay: Image.Image) -> tuple[Planes, Image.Image, Image.Image]:
    """An RGBA overlay of even size as planes to paste, with the masks to paste
    them through: the alpha for luma, its 2x2 mean for chroma.

    A chroma sample of the overlay is the alpha-weighted mean of its four
    pixels' chroma, so a half-covered block takes the colour of the part
    that covers it (text edges get no fringe of the transparent pixels' colour).
    """
    width, height = overlay.size
    if width % 2 or height % 2:
        raise ValueError(f"a 4:2:0 overlay needs an even size, not {width}x{height}")
    rgba = np.asarray(overlay.convert("RGBA"), dtype=np.int64)
    channels = (rgba[..., 0], rgba[..., 1], rgba[..., 2])
    alpha = rgba[..., 3]
    coverage = _block_sums(alpha)
    # Dividing by the block's coverage in fixed point; uncovered blocks are
    # never shown (their mask is 0), so any divisor does.
    divisor = np.maximum(coverage, 1) << _SHIFT
    chroma = []
    for weights in (_CB, _CR):
        weighted = _block_sums(_weighted(channels, weights) * alpha) + (128 << _SHIFT) * coverage
        mean = (weighted + divisor // 2) // divisor
        chroma.append(Image.fromarray(np.clip(mean, 0, 255).astype(np.uint8), "L"))
    luma = _round_shift(_weighted(channels, _Y), 16, _SHIFT)
    luma_mask = Image.fromarray(alpha.astype(np.uint8), "L")
    chroma_mask = Image.fromarray(((coverage + 2) // 4).astype(np.uint8), "L")
    return Planes(luma, chroma[0], chroma[1]), luma_mask, chroma_mask
