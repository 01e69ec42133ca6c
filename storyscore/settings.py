"""Command-line settings that override a script's own (command line wins)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from storyscore import vocab
from storyscore.diagnostics import NOWHERE
from storyscore.dsl.validate import outside_files
from storyscore.errors import StoryscoreError
from storyscore.files import not_a_file
from storyscore.model import Painter, Size, Story


@dataclass(frozen=True)
class Overrides:
    """What the command line says about the story; None leaves the script's value."""

    size: Size | None = None
    fps: int | None = None
    seed: int | None = None
    painter: str | None = None
    model: str | None = None
    soundfont: str | None = None
    safe: bool = False  # refuse files from outside the story's folder


def parse_size(text: str) -> Size:
    """``--size``: a preset (``720p``, ``square``…) or ``WxH``, checked like the script's."""
    if text in vocab.SIZE_PRESETS:
        return Size(*vocab.SIZE_PRESETS[text])
    match = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if match is None:
        raise StoryscoreError(f"--size {text}: expected WxH or one of "
                              + ", ".join(vocab.SIZE_PRESETS))
    width, height = int(match[1]), int(match[2])
    low, high = vocab.SIZE_RANGE
    for side, value in (("width", width), ("height", height)):
        if not low <= value <= high or value % 2:
            raise StoryscoreError(f"--size {text}: {side} must be even and from {low} to {high}")
    return Size(width, height)


def apply(story: Story, overrides: Overrides) -> Story:
    """The story as the command line wants it rendered."""
    if overrides.safe:
        refuse_outside_files(story)
    changes: dict[str, object] = {}
    if overrides.size is not None:
        changes["size"] = overrides.size
    if overrides.fps is not None:
        low, high = vocab.FPS_RANGE
        if not low <= overrides.fps <= high:
            raise StoryscoreError(f"--fps {overrides.fps}: use a value from {low} to {high}")
        changes["fps"] = overrides.fps
    if overrides.seed is not None:
        low, high = vocab.SEED_RANGE
        if not low <= overrides.seed <= high:
            raise StoryscoreError(f"--seed {overrides.seed}: use a whole number from {low} "
                                  f"to {high}")
        changes["seed"] = overrides.seed
    if overrides.painter is not None or overrides.model is not None:
        name = overrides.painter
        if name is None:
            # --model alone means "paint with this model".
            name = "diffusers" if overrides.model else story.painter.name
        model = overrides.model if overrides.model is not None else (
            story.painter.model if name == story.painter.name else None)
        changes["painter"] = Painter(name, model)
    if overrides.soundfont is not None:
        problem = not_a_file(overrides.soundfont)
        if problem is not None:
            raise StoryscoreError(f"--soundfont {overrides.soundfont}: the file {problem}")
        changes["soundfont"] = overrides.soundfont
        changes["soundfont_span"] = NOWHERE  # not the script's line any more
    return dataclasses.replace(story, **changes) if changes else story  # type: ignore[arg-type]


def refuse_outside_files(story: Story) -> None:
    """``--safe``: raise ``StoryscoreError`` at the first image or soundfont from outside
    the story's folder, which a book or a video would otherwise carry away."""
    for name, span in outside_files(story):
        raise StoryscoreError(f"'{name}' is outside the story's folder", span,
                              hint="--safe takes files only from the script's own folder")
