"""What a command may write: never over the story's own files, never where it cannot."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from storyscore.files import refuse_inputs, writable_target
from storyscore.model import Story


def story_inputs(story: Story) -> list[Path]:
    """The files a story is made from: its script, its images and its soundfont."""
    found = [Path(story.source)] if story.source != "<string>" else []
    found += [story.base_dir / scene.image for scene in story.scenes if scene.image]
    if story.soundfont:
        found.append(story.base_dir / story.soundfont)
    return found


def check_outputs(story: Story, outputs: Iterable[Path]) -> None:
    """Before any work, raise ``StoryscoreError`` if an output is one of the story's
    files, or a folder, a device or a read-only file."""
    outputs = list(outputs)
    refuse_inputs(outputs, story_inputs(story))
    for path in outputs:
        writable_target(path)
