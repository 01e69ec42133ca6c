"""Transitions: one frame of the blend from the outgoing picture to the next.

``compose`` gets the progress through the transition (0 to 1, exclusive) and
the two frames as callables, so a kind that shows one picture at a time (the
fades) renders only that one. Directions name where the motion goes:
``wipe-left`` moves the edge leftwards (the next picture comes in from the
right), ``slide-up`` pushes both pictures upwards.

The frames may be whole RGB images or one plane of a Y'CbCr frame; ``plane``
says which (its subsampling and its black and white), and every geometry is
worked out in the frame's pixels, so the planes of one frame stay aligned.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from storyscore.render.camera import ease
from storyscore.render.planes import RGB, Plane
from storyscore.render.spec import TRANSITION_KINDS

__all__ = ["compose"]

FrameSource = Callable[[], Image.Image]
# A wipe's edge is a short ramp rather than a hard step, so it moves by
# fractions of a pixel instead of jumping whole pixels.
WIPE_SOFTNESS = 0.004  # share of the frame's extent, at least one pixel


def compose(
    kind: str,
    progress: float,
    outgoing: FrameSource,
    incoming: FrameSource,
    plane: Plane = RGB,
) -> Image.Image:
    """The frame (or ``plane`` of it) at ``progress`` through a ``kind``
    transition. The result may be one of the inputs (unchanged); callers must
    not modify it."""
    if kind not in TRANSITION_KINDS:
        raise ValueError(f"unknown transition {kind!r}")
    p = min(1.0, max(0.0, progress))
    if kind == "cut":
        return outgoing() if p < 0.5 else incoming()
    if kind == "crossfade":
        return Image.blend(outgoing(), incoming(), p)
    if kind in ("fade", "fade-white"):
        level = plane.black if kind == "fade" else plane.white
        # Out to the colour over the first half, in from it over the second.
        if p < 0.5:
            return _towards(outgoing(), level, 2.0 * p)
        return _towards(incoming(), level, 2.0 - 2.0 * p)
    if kind.startswith("wipe-"):
        return _wipe(kind.removeprefix("wipe-"), ease(p), outgoing(), incoming(), plane.scale)
    if kind.startswith("slide-"):
        return _slide(kind.removeprefix("slide-"), ease(p), outgoing(), incoming())
    return _zoom(ease(p), outgoing(), incoming(), plane.scale)


def _towards(frame: Image.Image, level: int, amount: float) -> Image.Image:
    """``frame`` mixed ``amount`` of the way to a flat ``level`` (a lookup table)."""
    keep = 1.0 - amount
    table = [round(v * keep + level * amount) for v in range(256)]
    return frame.point(table * len(frame.getbands()))


def _wipe(direction: str, q: float, a: Image.Image, b: Image.Image, scale: int) -> Image.Image:
    width, height = a.size
    horizontal = direction in ("left", "right")
    samples = width if horizontal else height
    # The edge's place and ramp in frame pixels, sampled at this plane's centres.
    extent = samples * scale
    soft = max(1.0, WIPE_SOFTNESS * extent)
    # The edge travels the whole extent plus the ramp, so both ends are clean.
    travel = q * (extent + soft)
    centres = (np.arange(samples, dtype=np.float32) + 0.5) * scale
    # Distance of each pixel centre from the side the next picture enters on.
    inward = centres if direction in ("right", "down") else extent - centres
    weight = np.clip((travel - inward) / soft + 0.5, 0.0, 1.0)
    line = (weight * 255.0 + 0.5).astype(np.uint8)
    if horizontal:
        strip = Image.fromarray(line.reshape(1, samples), "L")
    else:
        strip = Image.fromarray(line.reshape(samples, 1), "L")
    mask = strip.resize((width, height), Image.Resampling.NEAREST)
    return Image.composite(b, a, mask)


def _slide(direction: str, q: float, a: Image.Image, b: Image.Image) -> Image.Image:
    width, height = a.size
    horizontal = direction in ("left", "right")
    canvas = Image.new(a.mode, (2 * width, height) if horizontal else (width, 2 * height))
    # Lay the two pictures side by side in the order they pass the frame, then
    # look through a frame-sized window at a float offset.
    first, second = (a, b) if direction in ("left", "up") else (b, a)
    canvas.paste(first, (0, 0))
    canvas.paste(second, (width, 0) if horizontal else (0, height))
    travel = q if direction in ("left", "up") else 1.0 - q
    offset = travel * (width if horizontal else height)
    if horizontal:
        box = (offset, 0.0, offset + width, float(height))
    else:
        box = (0.0, offset, float(width), offset + height)
    if math.isclose(offset, round(offset), abs_tol=1e-6):
        left, top = round(box[0]), round(box[1])
        return canvas.crop((left, top, left + width, top + height))
    return canvas.resize((width, height), Image.Resampling.BILINEAR, box=box)


def _zoom(q: float, a: Image.Image, b: Image.Image, scale: int) -> Image.Image:
    if q <= 0.0:
        return a
    width, height = a.size
    # The inset in frame pixels, its margins whole chroma samples (even, so the
    # size steps by 4), then in this plane's pixels.
    margin_x, margin_y = (_margin(extent * scale, q) // scale for extent in a.size)
    small_w, small_h = width - 2 * margin_x, height - 2 * margin_y
    if small_w < 1 or small_h < 1:
        return a
    if (small_w, small_h) == (width, height):
        return b
    grown = b.resize((small_w, small_h), Image.Resampling.BILINEAR)
    frame = a.copy()
    frame.paste(grown, (margin_x, margin_y))
    return frame


def _margin(extent: int, q: float) -> int:
    """The zoom inset's margin on each side, in frame pixels: even, and
    ``extent * q`` across to within 2 pixels."""
    return 2 * round(extent * (1.0 - q) / 4.0)
