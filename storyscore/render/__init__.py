"""Video: a story's pictures with camera moves and transitions, encoded to MP4.

``render_video`` is the way in. Frames are generated one at a time and piped
to ffmpeg as raw RGB; the video is encoded as segments (each scene's body,
each transition), each cached by the content of everything that decides it,
and the segments are joined without re-encoding. Audio and subtitles are muxed
in that last step, so a narration change re-encodes no video and a picture
change re-encodes only the segments that show it. The output file appears only when it is complete.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from storyscore.cache import Cache
from storyscore.errors import RenderError
from storyscore.export.subtitles import Cue
from storyscore.files import atomic_path
from storyscore.render.encode import MediaInfo, StreamInfo, join_segments, probe
from storyscore.render.segments import (
    SEGMENT_STAGE,
    Segment,
    SegmentOutcome,
    SegmentPool,
    default_jobs,
    plan_segments,
    render_segments,
)
from storyscore.render.spec import (
    CAMERA_MOVES,
    TRANSITION_KINDS,
    CameraMove,
    EncodeSettings,
    SceneShot,
    TransitionSpec,
    VideoPlan,
)

__all__ = [
    "CAMERA_MOVES",
    "SEGMENT_STAGE",
    "TRANSITION_KINDS",
    "CameraMove",
    "EncodeSettings",
    "MediaInfo",
    "RenderReport",
    "SceneShot",
    "Segment",
    "SegmentOutcome",
    "SegmentPool",
    "StreamInfo",
    "TransitionSpec",
    "VideoPlan",
    "default_jobs",
    "plan_segments",
    "probe",
    "render_video",
]


@dataclass(frozen=True)
class RenderReport:
    """What ``render_video`` made: the file, its format, and each segment's
    outcome (encoded now, or taken from the cache)."""

    path: Path
    width: int
    height: int
    fps: int
    frames: int
    segments: tuple[SegmentOutcome, ...]

    @property
    def encoded(self) -> tuple[str, ...]:
        """The segments this render encoded, by label: ``"2"`` is scene 2's body,
        ``"2>3"`` its transition into scene 3."""
        return tuple(s.label for s in self.segments if not s.hit)

    @property
    def cached(self) -> tuple[str, ...]:
        """The segments that came from the cache, by label (as ``encoded``)."""
        return tuple(s.label for s in self.segments if s.hit)


def render_video(
    plan: VideoPlan,
    output: Path,
    *,
    settings: EncodeSettings | None = None,
    audio: Path | None = None,
    audio_coded: bool = False,
    cues: Sequence[Cue] = (),
    burn_subtitles: bool = False,
    cache: Cache | None = None,
    jobs: int = 1,
    pool: SegmentPool | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RenderReport:
    """Render ``plan`` to the MP4 ``output``.

    ``audio`` is a WAV (or any audio ffmpeg reads), muxed as AAC 48 kHz
    stereo (with ``audio_coded``, AAC already, copied as it is: see
    ``encode_aac``); ``cues`` the subtitles, added as a soft mov_text track, or drawn
    into the picture when ``burn_subtitles`` is set. ``cache`` holds the
    segments (None: a scratch folder, nothing reused). ``jobs`` > 1 encodes
    segments in that many processes; a ``pool`` (which has its own cache and
    workers) takes the segments instead, waiting for those it was given
    earlier. ``on_progress(done, total)`` counts frames, cached ones included.

    ``output`` is replaced only when the new file is complete; on any failure
    or interrupt it is left as it was and no temporary file remains.
    """
    settings = settings or EncodeSettings()
    output = Path(output)
    if audio is not None and not Path(audio).is_file():
        raise RenderError(f"the audio file {audio} does not exist")
    # On the millisecond, as the soft track and the .srt beside the video
    # carry them: a burnt cue shows on exactly the frames a player shows it.
    cues = tuple(Cue(round(c.start, 3), round(c.end, 3), c.lines) for c in cues)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create the folder {output.parent}: {exc.strerror}") from exc
    scratch = Cache(Path(tempfile.gettempdir()), enabled=False) if cache is None else None
    store = cache if cache is not None else scratch
    assert store is not None
    try:
        segments = plan_segments(plan, settings, cues if burn_subtitles else ())
        if pool is not None:
            outcomes = pool.outcomes(segments, on_progress)
        else:
            outcomes = render_segments(
                segments, store, settings, jobs=max(1, jobs), on_progress=on_progress
            )
        # The MP4 is written beside ``output`` and moved over it only once
        # complete; on any failure the temporary file is removed.
        try:
            with atomic_path(output) as temp:
                _join(plan, outcomes, temp, output, settings, audio, cues, burn_subtitles,
                      audio_coded)
        except OSError as exc:
            raise RenderError(f"cannot write {output}: {exc.strerror or exc}") from exc
    finally:
        if scratch is not None:
            scratch.close()
    width, height = settings.frame_size(plan.width, plan.height)
    return RenderReport(
        output, width, height, plan.fps, sum(o.frames for o in outcomes), tuple(outcomes)
    )


def _join(
    plan: VideoPlan,
    outcomes: list[SegmentOutcome],
    temp: Path,
    output: Path,
    settings: EncodeSettings,
    audio: Path | None,
    cues: Sequence[Cue],
    burn_subtitles: bool,
    audio_coded: bool = False,
) -> None:
    join_segments(
        [(o.path, o.frames) for o in outcomes],
        plan.fps,
        temp,
        settings=settings,
        audio=Path(audio) if audio is not None else None,
        audio_coded=audio_coded,
        cues=() if burn_subtitles else cues,
        title=plan.title,
        author=plan.author,
        label=output.name,
    )
