"""Camera moves: which part of a picture the frame shows at each moment.

A view is a float rectangle in the source picture's pixels; Pillow's
``resize`` with a float ``box`` resamples exactly that rectangle, so motion is
sub-pixel smooth (no integer crops, no jitter). A pan enlarges the picture by
``1 + share`` so the view can travel ``share`` of a frame without ever
showing a border.
"""

from __future__ import annotations

import math

from PIL import Image

from storyscore.render.spec import CameraMove

__all__ = ["ShotView", "cover", "ease", "view_box"]

Box = tuple[float, float, float, float]


def ease(u: float) -> float:
    """Smoothstep: 0 at 0, 1 at 1, with zero speed at both ends."""
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


def view_box(camera: CameraMove, progress: float, width: int, height: int) -> Box:
    """The source rectangle (left, top, right, bottom) shown at ``progress``
    (0 to 1, eased here) of the move, for a source of ``width`` x ``height``."""
    e = ease(progress)
    move, amount = camera.move, camera.value
    if move == "still":
        return (0.0, 0.0, float(width), float(height))
    if move in ("zoom-in", "zoom-out"):
        zoom = 1.0 + (amount - 1.0) * (e if move == "zoom-in" else 1.0 - e)
        box_w, box_h = width / zoom, height / zoom
        left, top = (width - box_w) / 2.0, (height - box_h) / 2.0
        return (left, top, left + box_w, top + box_h)
    zoom = 1.0 + amount
    box_w, box_h = width / zoom, height / zoom
    left, top = (width - box_w) / 2.0, (height - box_h) / 2.0
    if move == "pan-right":
        left = (width - box_w) * e
    elif move == "pan-left":
        left = (width - box_w) * (1.0 - e)
    elif move == "pan-down":
        top = (height - box_h) * e
    else:  # pan-up
        top = (height - box_h) * (1.0 - e)
    return (left, top, left + box_w, top + box_h)


def cover(picture: Image.Image, width: int, height: int) -> Image.Image:
    """``picture`` scaled to cover ``width`` x ``height`` and centred (a no-op
    when it already has that size), as RGB, or as ``L`` when it is one plane."""
    image = picture if picture.mode in ("RGB", "L") else picture.convert("RGB")
    if image.size == (width, height):
        return image
    src_w, src_h = image.size
    scale = max(width / src_w, height / src_h)
    box_w, box_h = width / scale, height / scale
    left, top = (src_w - box_w) / 2.0, (src_h - box_h) / 2.0
    return image.resize(
        (width, height), Image.Resampling.LANCZOS, box=(left, top, left + box_w, top + box_h)
    )


class ShotView:
    """One picture (or one plane of it) seen through its camera move over the
    time it is visible.

    ``span`` is (first, last) second of visibility, transitions included, so
    the camera keeps moving through them. ``frame(t)`` returns a frame of
    ``size``; the returned image may be shared and must not be modified.
    """

    def __init__(
        self,
        source: Image.Image,
        camera: CameraMove,
        span: tuple[float, float],
        size: tuple[int, int],
        resample: Image.Resampling = Image.Resampling.BICUBIC,
    ) -> None:
        self.source = cover(source, *size)
        self.camera = camera
        self.span = span
        self.size = size
        self.resample = resample
        self._last_box: Box | None = None
        self._last_frame: Image.Image | None = None
        self._stage: Image.Image | None = None

    def progress(self, t: float) -> float:
        first, last = self.span
        if last - first <= 0:
            return 0.0
        return (t - first) / (last - first)

    def box(self, t: float) -> Box:
        return view_box(self.camera, self.progress(t), *self.source.size)

    def frame(self, t: float) -> Image.Image:
        box = self.box(t)
        if box == self._last_box and self._last_frame is not None:
            return self._last_frame
        full = (0.0, 0.0, float(self.source.width), float(self.source.height))
        if _same_box(box, full):
            frame = self.source
        elif self.camera.move in ("pan-left", "pan-right"):
            # The scale is fixed and only the left edge moves, so the vertical
            # pass is the same for every frame: do it once, then only the
            # horizontal one per frame (half the work).
            stage = self._pan_stage(box)
            frame = stage.resize(self.size, self.resample, box=(box[0], 0.0, box[2], stage.height))
        elif self.camera.move in ("pan-up", "pan-down"):
            stage = self._pan_stage(box)
            frame = stage.resize(self.size, self.resample, box=(0.0, box[1], stage.width, box[3]))
        else:
            frame = self.source.resize(self.size, self.resample, box=box)
        self._last_box, self._last_frame = box, frame
        return frame

    def _pan_stage(self, box: Box) -> Image.Image:
        """The source resampled once along the axis a pan does not move on."""
        if self._stage is None:
            width, height = self.size
            src_w, src_h = self.source.size
            if self.camera.move in ("pan-left", "pan-right"):
                self._stage = self.source.resize(
                    (src_w, height), self.resample, box=(0.0, box[1], float(src_w), box[3])
                )
            else:
                self._stage = self.source.resize(
                    (width, src_h), self.resample, box=(box[0], 0.0, box[2], float(src_h))
                )
        return self._stage


def _same_box(a: Box, b: Box) -> bool:
    return all(math.isclose(x, y, abs_tol=1e-9) for x, y in zip(a, b, strict=True))
