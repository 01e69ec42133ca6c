"""Subtitles drawn into the frames, when they are burnt in rather than carried
as a soft track. The cues themselves are ``storyscore.export.subtitles.Cue``,
built once per render and passed here in memory.

Burnt-in text is sized from the frame's height, wrapped to the frame's width
and drawn white with a dark outline on a translucent box, so it stays legible
on any picture at any size, draft included.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from storyscore.export.subtitles import Cue
from storyscore.render.planes import Planes, overlay_planes

__all__ = ["SubtitleOverlay", "cue_at", "font_name"]


FONT_SHARE = 0.055  # text height as a share of the frame's height
MARGIN_SHARE = 0.05  # gap from the bottom edge
WIDTH_SHARE = 0.9  # longest line as a share of the frame's width


@functools.cache
def _font_file() -> str | None:
    """A scalable font shipped with something already installed, if any."""
    candidates: list[Path] = []
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        candidates.append(
            Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        )
    candidates += [
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
        Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    ]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return None


def font_name() -> str:
    """Which font burnt-in subtitles use (it takes part in cache keys)."""
    found = _font_file()
    return Path(found).name if found else "pillow-default"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = _font_file()
    if found is not None:
        return ImageFont.truetype(found, size)
    return ImageFont.load_default(size=size)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, limit: float) -> list[str]:
    """Greedy word wrap of each of ``text``'s lines to ``limit`` pixels."""
    wrapped: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and font.getlength(candidate) > limit:
                wrapped.append(line)
                line = word
            else:
                line = candidate
        if line:
            wrapped.append(line)
    return wrapped


def cue_at(cues: tuple[Cue, ...], t: float) -> int | None:
    """The index of the cue showing at ``t`` seconds, if any (the latest to start)."""
    showing = None
    for index, cue in enumerate(cues):
        if cue.start <= t < cue.end:
            showing = index
    return showing


class _Patch:
    """A cue's text as 4:2:0 planes to paste at an even position, with their masks."""

    def __init__(self, overlay: Image.Image, position: tuple[int, int]) -> None:
        # Widen the overlay by transparent pixels to whole chroma samples: an
        # even position and an even size.
        left, top = position[0] - position[0] % 2, position[1] - position[1] % 2
        width = overlay.width + position[0] - left
        height = overlay.height + position[1] - top
        padded = Image.new("RGBA", (width + width % 2, height + height % 2), (0, 0, 0, 0))
        padded.paste(overlay, (position[0] - left, position[1] - top))
        self.planes, self.luma_mask, self.chroma_mask = overlay_planes(padded)
        self.position = (left, top)

    def draw(self, frame: Planes) -> Planes:
        left, top = self.position
        out = []
        for plane, patch, kind in zip(frame, self.planes, frame.kinds, strict=True):
            mask = self.luma_mask if kind.scale == 1 else self.chroma_mask
            copy = plane.copy()
            copy.paste(patch, (left // kind.scale, top // kind.scale), mask)
            out.append(copy)
        return Planes(*out)


class SubtitleOverlay:
    """Draws cues into frames of one size; each cue's text is drawn and
    converted to the frame's planes once."""

    def __init__(self, cues: tuple[Cue, ...], size: tuple[int, int]) -> None:
        self.cues = cues
        self.size = size
        self._rendered: dict[int, _Patch] = {}

    def draw(self, frame: Planes, cue_index: int) -> Planes:
        """A copy of ``frame`` with the cue drawn on it."""
        if cue_index not in self._rendered:
            self._rendered[cue_index] = _Patch(*self.image(cue_index))
        return self._rendered[cue_index].draw(frame)

    def image(self, cue_index: int) -> tuple[Image.Image, tuple[int, int]]:
        """The cue's text as an RGBA image and where its top left corner goes."""
        return self._render(self.cues[cue_index].text)

    def _render(self, text: str) -> tuple[Image.Image, tuple[int, int]]:
        width, height = self.size
        size = max(8, round(height * FONT_SHARE))
        font = _font(size)
        stroke = max(1, round(size / 14))
        lines = _wrap(text, font, width * WIDTH_SHARE - 2 * stroke) or [""]
        ascent, descent = _metrics(font, size)
        line_height = ascent + descent + stroke * 2
        pad = max(2, size // 3)
        text_w = max(round(font.getlength(line)) for line in lines) + 2 * stroke
        box_w = min(width, text_w + 2 * pad)
        box_h = min(height, line_height * len(lines) + 2 * pad)
        overlay = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        radius = max(1, pad // 2)
        draw.rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius, fill=(0, 0, 0, 150))
        for row, line in enumerate(lines):
            x = box_w / 2
            y = pad + row * line_height + stroke
            draw.text(
                (x, y),
                line,
                font=font,
                fill=(255, 255, 255, 255),
                anchor="ma",
                stroke_width=stroke,
                stroke_fill=(0, 0, 0, 255),
            )
        left = (width - box_w) // 2
        top = max(0, height - round(height * MARGIN_SHARE) - box_h)
        return overlay, (left, top)


def _metrics(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, size: int) -> tuple[int, int]:
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
        return ascent, descent
    return size, size // 4
