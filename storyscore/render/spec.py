"""What the video stage is asked to draw: the scenes on one path, each with its
picture, timing, camera move and the transition to the next, plus the frame
size, rate and encoder settings.

These are frozen values built by the caller (the CLI builds them from the
story's timeline); the render stage reads nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from storyscore import vocab

__all__ = [
    "CAMERA_MOVES",
    "TRANSITION_KINDS",
    "CameraMove",
    "EncodeSettings",
    "SceneShot",
    "TransitionSpec",
    "VideoPlan",
]

CAMERA_MOVES = tuple(vocab.CAMERA_MOVES)
TRANSITION_KINDS = vocab.TRANSITIONS
DEFAULT_ZOOM, *ZOOM_RANGE = vocab.CAMERA_MOVES["zoom-in"]
DEFAULT_PAN, *PAN_RANGE = vocab.CAMERA_MOVES["pan-left"]
# Times are compared at this precision so that float noise in a caller's sums
# neither breaks the checks below nor changes a cache key.
TIME_EPSILON = 1e-6


@dataclass(frozen=True)
class CameraMove:
    """A camera move over a picture.

    ``amount`` is the zoom factor (1.0 to 2.0, default 1.15) for zooms and the
    share of the frame the view travels (0 to 0.5, default 0.1) for pans;
    ``None`` takes the default. ``pan-right`` moves the view to the right, so
    the picture's content slides to the left on screen.
    """

    move: str = "still"
    amount: float | None = None

    def __post_init__(self) -> None:
        if self.move not in CAMERA_MOVES:
            raise ValueError(f"unknown camera move {self.move!r}")
        value = self.value
        low, high = ZOOM_RANGE if self.move.startswith("zoom") else PAN_RANGE
        if self.move != "still" and not low <= value <= high:
            kind = "zoom factor" if self.move.startswith("zoom") else "pan share"
            raise ValueError(f"{kind} {value} is outside {low:g} to {high:g}")

    @property
    def value(self) -> float:
        """The amount with its default filled in (0 for ``still``)."""
        if self.move == "still":
            return 0.0
        if self.amount is not None:
            return float(self.amount)
        return DEFAULT_ZOOM if self.move.startswith("zoom") else DEFAULT_PAN


@dataclass(frozen=True)
class TransitionSpec:
    """How a scene gives way to the next: a kind and a duration in seconds,
    centred on the boundary. A duration of 0, or the kind ``cut``, is a cut."""

    kind: str = "cut"
    duration: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in TRANSITION_KINDS:
            raise ValueError(f"unknown transition {self.kind!r}")
        if not math.isfinite(self.duration) or self.duration < 0:
            raise ValueError(f"transition duration {self.duration} must be >= 0")

    @property
    def effective_duration(self) -> float:
        """The seconds the blend lasts: 0 for a cut of any written length."""
        return 0.0 if self.kind == "cut" else float(self.duration)


CUT = TransitionSpec()


@dataclass(frozen=True)
class SceneShot:
    """One scene on the video's path.

    ``picture`` is an RGB image or the path of an image file; it should already
    have the story's size (another size is scaled to cover the frame).
    ``transition`` leads to the next shot and is ignored on the last.
    """

    picture: Image.Image | Path | str = field(compare=False)
    start: float
    duration: float
    camera: CameraMove = CameraMove()
    transition: TransitionSpec = CUT

    def __post_init__(self) -> None:
        if not math.isfinite(self.duration) or self.duration <= 0:
            raise ValueError(f"scene duration {self.duration} must be > 0")
        if not math.isfinite(self.start) or self.start < -TIME_EPSILON:
            raise ValueError(f"scene start {self.start} must be >= 0")

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class VideoPlan:
    """The shots of one path, back to back from time 0, and the frame format."""

    shots: tuple[SceneShot, ...]
    width: int
    height: int
    fps: int
    title: str = ""
    author: str | None = None

    def __post_init__(self) -> None:
        if not self.shots:
            raise ValueError("a video needs at least one scene")
        if self.width < 2 or self.height < 2 or self.width % 2 or self.height % 2:
            raise ValueError(f"frame size {self.width}x{self.height} must be even numbers")
        if not 1 <= self.fps <= 240:
            raise ValueError(f"fps {self.fps} is outside 1 to 240")
        if abs(self.shots[0].start) > TIME_EPSILON:
            raise ValueError("the first scene must start at 0")
        for index, (shot, following) in enumerate(zip(self.shots, self.shots[1:], strict=False)):
            if abs(following.start - shot.end) > TIME_EPSILON:
                raise ValueError(
                    f"scene {index + 2} starts at {following.start}s, not where scene "
                    f"{index + 1} ends ({shot.end}s)"
                )
            blend = shot.transition.effective_duration
            if blend > min(shot.duration, following.duration) + TIME_EPSILON:
                raise ValueError(
                    f"the transition after scene {index + 1} lasts {blend}s, longer than "
                    "one of the scenes it joins"
                )

    @property
    def duration(self) -> float:
        """Seconds of video: the sum of the scenes' durations."""
        return self.shots[-1].end

    @property
    def frame_count(self) -> int:
        return round(self.duration * self.fps)

    def transitions(self) -> tuple[TransitionSpec, ...]:
        """The transition at each boundary (one fewer than the shots)."""
        return tuple(shot.transition for shot in self.shots[:-1])


@dataclass(frozen=True)
class EncodeSettings:
    """Encoder choices. ``draft`` renders at half size with a fast preset;
    ``preset`` and ``crf`` override the mode's defaults."""

    draft: bool = False
    preset: str | None = None
    crf: int | None = None
    audio_bitrate: str = "192k"

    def __post_init__(self) -> None:
        if self.crf is not None and not 0 <= self.crf <= 51:
            raise ValueError(f"crf {self.crf} is outside 0 to 51")

    @property
    def x264_preset(self) -> str:
        if self.preset is not None:
            return self.preset
        return "veryfast" if self.draft else "medium"

    @property
    def x264_crf(self) -> int:
        if self.crf is not None:
            return self.crf
        return 26 if self.draft else 19

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        """The encoded size for a story of ``width`` x ``height``: halved (and
        kept even) in draft mode."""
        if not self.draft:
            return width, height
        return max(2, (width // 2) // 2 * 2), max(2, (height // 2) // 2 * 2)
