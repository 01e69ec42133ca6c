"""A rendered story as a moviepy clip, to put between clips of your own.

Needs the ``moviepy`` extra (``pip install 'storyscore[moviepy]'``, moviepy 2)::

    from moviepy import concatenate_videoclips
    from storyscore.moviepy import clip

    movie = concatenate_videoclips([intro, clip(story), outro])

The clip is the story's MP4, rendered as ``storyscore.render`` renders it
(cached the same way), with its narrated, scored sound as the clip's audio.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from storyscore.api import Route, StrPath, render
from storyscore.errors import StoryscoreError

if TYPE_CHECKING:
    from moviepy import VideoFileClip

    from storyscore.cache import Cache
    from storyscore.model import Story
    from storyscore.progress import Progress

__all__ = ["INSTALL_COMMAND", "clip"]

INSTALL_COMMAND = "pip install 'storyscore[moviepy]'"

_scratch: tempfile.TemporaryDirectory[str] | None = None


def _scratch_folder() -> Path:
    """A folder for clips rendered without ``output``, removed when Python exits.

    A clip reads its file whenever a frame is asked for, and moviepy's copies
    of a clip (``subclipped``, ``with_effects``…) share that reader, so no one
    clip object can tell when the file is free: it lives as long as the process.
    """
    global _scratch
    if _scratch is None:
        _scratch = tempfile.TemporaryDirectory(prefix="storyscore-clips-")
    return Path(tempfile.mkdtemp(dir=_scratch.name))


def clip(story: Story, output: StrPath | None = None, *, path: Route = None,
         draft: bool = False, burn_subtitles: bool = False, jobs: int = 1,
         cache: bool | Cache = True, on_progress: Progress | None = None) -> VideoFileClip:
    """The story (one path, as ``storyscore.render`` takes it) as a
    ``moviepy.VideoFileClip`` with its audio.

    The MP4 is written to ``output`` when given (with its ``.srt``,
    ``.musicxml`` and ``.mid``), else to a temporary folder removed when
    Python exits. Raises ``StoryscoreError`` naming the install command when
    moviepy is missing.
    """
    try:
        from moviepy import VideoFileClip
    except ImportError as exc:
        raise StoryscoreError(f"storyscore.moviepy needs moviepy 2: {INSTALL_COMMAND}") from exc
    target = Path(output) if output is not None else _scratch_folder() / "story.mp4"
    result = render(story, target, path=path, draft=draft, burn_subtitles=burn_subtitles,
                    jobs=jobs, cache=cache, on_progress=on_progress)
    with warnings.catch_warnings():
        # The MP4's soft subtitle track is there on purpose; moviepy cannot read
        # subtitle streams and warns (with ffmpeg's whole report) that it skips it.
        warnings.filterwarnings("ignore", "Subtitle stream parsing is not supported",
                                UserWarning)
        return VideoFileClip(str(result.output))
