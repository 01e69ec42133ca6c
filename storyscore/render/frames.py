"""The frames of one video segment, generated one at a time.

A ``SegmentJob`` holds everything that decides a segment's frames, with times
relative to the start of the segment's own scene, so the same scene renders
to the same frames (and the same cache key) wherever it sits in the story.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image

from storyscore.errors import RenderError
from storyscore.export.subtitles import Cue
from storyscore.render.camera import ShotView, cover
from storyscore.render.planes import PLANE_KINDS, Planes, to_planes
from storyscore.render.spec import CameraMove, TransitionSpec
from storyscore.render.subtitles import SubtitleOverlay, cue_at
from storyscore.render.transitions import compose

__all__ = [
    "PictureSource",
    "PlanesView",
    "SegmentJob",
    "ShotPart",
    "iter_frame_bytes",
    "iter_frames",
    "load_picture",
]

PictureSource = Image.Image | Path | str


@dataclass(frozen=True)
class ShotPart:
    """A picture (by content digest) and its camera move over the seconds it
    is visible, relative to the segment's scene start."""

    picture: str
    camera: CameraMove
    span: tuple[float, float]

    def key(self) -> dict[str, Any]:
        return {
            "picture": self.picture,
            "camera": [self.camera.move, self.camera.value],
            "span": list(self.span),
        }


@dataclass(frozen=True)
class SegmentJob:
    """One segment: a scene's body plus the transition into the next scene.

    Frame ``k`` shows the instant ``first_time + k / fps`` (the frame's centre,
    relative to the scene's start). The first ``body_frames`` frames show the
    scene alone; the rest blend into ``following`` through ``transition``,
    which is centred on ``boundary`` (the scene's duration).
    """

    width: int
    height: int
    fps: int
    frames: int
    first_time: float
    body_frames: int
    shot: ShotPart
    transition: TransitionSpec | None = None
    boundary: float = 0.0
    following: ShotPart | None = None
    cues: tuple[Cue, ...] = ()
    draft: bool = False

    @property
    def resample(self) -> Image.Resampling:
        # Bicubic keeps enlarged pictures crisp; draft trades that for speed.
        return Image.Resampling.BILINEAR if self.draft else Image.Resampling.BICUBIC

    def key(self) -> dict[str, Any]:
        """Everything that decides the frames, as canonical-JSON-ready data."""
        data: dict[str, Any] = {
            "size": [self.width, self.height],
            "fps": self.fps,
            "frames": self.frames,
            "first_time": self.first_time,
            "body_frames": self.body_frames,
            "shot": self.shot.key(),
            "resample": self.resample.name.lower(),
        }
        if self.transition is not None and self.following is not None:
            data["transition"] = {
                "kind": self.transition.kind,
                "duration": self.transition.effective_duration,
                "boundary": self.boundary,
            }
            data["following"] = self.following.key()
        if self.cues:
            data["cues"] = [[cue.start, cue.end, cue.text] for cue in self.cues]
        return data


def load_picture(picture: PictureSource) -> Image.Image:
    """The picture as a loaded RGB image (``RenderError`` if a file cannot be read)."""
    if isinstance(picture, Image.Image):
        return picture if picture.mode == "RGB" else picture.convert("RGB")
    try:
        with Image.open(picture) as opened:
            return opened.convert("RGB")
    except (OSError, ValueError) as exc:
        raise RenderError(f"cannot read the picture {picture}: {exc}") from exc


class PlanesView:
    """A picture seen through its camera move, as 4:2:0 frames: one
    ``ShotView`` a plane, each resampling its plane of the picture (the
    picture is converted to planes once)."""

    def __init__(self, picture: Image.Image, part: ShotPart, job: SegmentJob) -> None:
        width, height = job.width, job.height
        planes = to_planes(cover(picture, width, height))
        self.views = [
            ShotView(plane, part.camera, part.span,
                     (width // kind.scale, height // kind.scale), job.resample)
            for plane, kind in zip(planes, planes.kinds, strict=True)
        ]  # fmt: skip
        self._last: Planes | None = None

    def frame(self, t: float) -> Planes:
        """The frame at ``t``; the same object again when no plane changed."""
        frame = Planes(*(view.frame(t) for view in self.views))
        last = self._last
        if last is not None and all(a is b for a, b in zip(frame, last, strict=True)):
            return last
        self._last = frame
        return frame


def iter_frames(
    job: SegmentJob, picture: Image.Image, following: Image.Image | None = None
) -> Iterator[tuple[Planes, int | None]]:
    """Each frame of the segment before subtitles, as 4:2:0 planes, with the
    index of the burnt-in cue to draw on it (or None). Frames may be shared
    objects (the same object for a frame that did not change)."""
    view = PlanesView(picture, job.shot, job)
    blend_view = None
    if job.transition is not None and job.following is not None and following is not None:
        blend_view = PlanesView(following, job.following, job)
    duration = job.transition.effective_duration if job.transition is not None else 0.0
    blend_start = job.boundary - duration / 2.0
    for k in range(job.frames):
        t = job.first_time + k / job.fps
        if k < job.body_frames or blend_view is None or job.transition is None:
            frame = view.frame(t)
        else:
            progress = (t - blend_start) / duration if duration > 0 else 1.0
            frame = _blend(job.transition.kind, progress, t, view, blend_view)
        yield frame, cue_at(job.cues, t) if job.cues else None


def _blend(
    kind: str, progress: float, t: float, outgoing: PlanesView, incoming: PlanesView
) -> Planes:
    """The frame at ``t``, ``progress`` through a ``kind`` transition, plane by plane."""
    planes = []
    for before, after, plane in zip(outgoing.views, incoming.views, PLANE_KINDS, strict=True):
        planes.append(compose(kind, progress, partial(before.frame, t), partial(after.frame, t),
                              plane))
    return Planes(*planes)


def iter_frame_bytes(
    job: SegmentJob, picture: Image.Image, following: Image.Image | None = None
) -> Iterator[bytes]:
    """The segment's frames as raw ``yuv420p`` bytes (BT.709, limited range),
    ready for the encoder.

    A frame identical to the previous one (a still camera, same subtitle) is
    not converted again: the same bytes object is yielded.
    """
    overlay = SubtitleOverlay(job.cues, (job.width, job.height)) if job.cues else None
    last: tuple[Planes, int | None] | None = None
    data = b""
    for frame, cue in iter_frames(job, picture, following):
        if last is None or last[0] is not frame or last[1] != cue:
            shown = overlay.draw(frame, cue) if overlay is not None and cue is not None else frame
            data = shown.tobytes()
            # Holding the frame keeps its identity from being reused.
            last = (frame, cue)
        yield data
