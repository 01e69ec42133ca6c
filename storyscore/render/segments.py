"""The video as per-scene segments: which frames each owns, its cache key,
and encoding the missing ones, in parallel worker processes when asked.

Segment ``i`` is scene ``i``'s body plus the transition into scene ``i + 1``,
so every frame belongs to exactly one segment. A segment's key covers all
that decides its frames (its picture, camera and timing; for a blend also the
next picture, its camera and the transition; burnt-in cues; frame format) and
the encoder's settings and build, so a changed picture re-encodes its own
segment and the one whose transition shows it, and nothing else.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import math
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from storyscore.cache import Cache, cache_key
from storyscore.errors import RenderError
from storyscore.export.subtitles import Cue
from storyscore.processes import die_with_parent
from storyscore.render.encode import (
    SegmentEncoder,
    count_frames,
    ffmpeg_version,
    probe,
    video_encoder_args,
)
from storyscore.render.frames import (
    PictureSource,
    SegmentJob,
    ShotPart,
    iter_frame_bytes,
    load_picture,
)
from storyscore.render.spec import EncodeSettings, VideoPlan
from storyscore.render.subtitles import font_name

__all__ = [
    "SEGMENT_STAGE",
    "SEGMENT_STAGE_VERSION",
    "Segment",
    "SegmentOutcome",
    "encode_segment",
    "picture_digest",
    "plan_segments",
    "render_segments",
]

SEGMENT_STAGE = "video-segment"
# Bump when frame generation or segment encoding changes what a key produces.
SEGMENT_STAGE_VERSION = "1"
_CHUNK = 1 << 20
MAX_ENCODER_THREADS = 6

ProgressCallback = Callable[[int, int], None]


class RenderCancelled(KeyboardInterrupt):
    """A worker was told to stop because the render as a whole is stopping."""


@dataclass(frozen=True)
class Segment:
    """A segment to produce: its job, its pictures, and its cache key."""

    index: int
    job: SegmentJob
    picture: PictureSource
    following: PictureSource | None
    key: str


@dataclass(frozen=True)
class SegmentOutcome:
    """Where a segment's file is, how many frames it holds, and whether it
    came from the cache."""

    index: int
    path: Path
    frames: int
    hit: bool


def picture_digest(picture: PictureSource) -> str:
    """A content digest of a picture: of its pixels for an image, of its
    bytes for a file (a file is read only when its segment is encoded)."""
    digest = hashlib.sha256()
    if isinstance(picture, Image.Image):
        digest.update(f"pixels:{picture.mode}:{picture.width}x{picture.height}:".encode())
        digest.update(picture.tobytes())
        return digest.hexdigest()
    digest.update(b"file:")
    try:
        with Path(picture).open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise RenderError(f"cannot read the picture {picture}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _first_frame_at(t: float, fps: int, total: int) -> int:
    """The first frame whose centre is at or after ``t`` seconds."""
    # Rounded first, so a boundary that falls on a frame centre is not moved
    # by float noise in the caller's sums.
    index = math.ceil(round(t * fps - 0.5, 6))
    return min(total, max(0, index))


def _rel(t: float) -> float:
    return round(t, 6)


def plan_segments(
    plan: VideoPlan,
    settings: EncodeSettings,
    cues: Sequence[Cue] = (),
) -> list[Segment]:
    """The segments of ``plan``, in order, with their keys; ``cues`` are the
    subtitles to burn in (empty for none). Segments without frames are left out."""
    width, height = settings.frame_size(plan.width, plan.height)
    fps, total = plan.fps, plan.frame_count
    shots = plan.shots
    blends = [t.effective_duration for t in plan.transitions()]
    digests = [picture_digest(shot.picture) for shot in shots]
    encoder = {"args": video_encoder_args(settings), "ffmpeg": ffmpeg_version()}
    font = font_name() if cues else None
    segments: list[Segment] = []
    begin = 0
    for i, shot in enumerate(shots):
        last = i == len(shots) - 1
        before = blends[i - 1] / 2 if i > 0 else 0.0
        after = 0.0 if last else blends[i] / 2
        end = total if last else _first_frame_at(shot.end + after, fps, total)
        blend_from = total if last else _first_frame_at(shot.end - after, fps, total)
        frames = end - begin
        if frames <= 0:
            continue
        body = min(frames, max(0, blend_from - begin))
        part = ShotPart(digests[i], shot.camera, (_rel(-before), _rel(shot.duration + after)))
        transition = following = None
        following_picture: PictureSource | None = None
        if body < frames:
            nxt = shots[i + 1]
            after_next = blends[i + 1] / 2 if i + 1 < len(blends) else 0.0
            transition = shot.transition
            following = ShotPart(
                digests[i + 1],
                nxt.camera,
                (_rel(shot.duration - after), _rel(shot.duration + nxt.duration + after_next)),
            )
            following_picture = nxt.picture
        first_time = (begin + 0.5) / fps - shot.start
        # The cues that show on any of this segment's frames (at frame centres).
        segment_cues = _cues_between(cues, (begin + 0.5) / fps, (end - 0.5) / fps)
        job = SegmentJob(
            width=width,
            height=height,
            fps=fps,
            frames=frames,
            first_time=_rel(first_time),
            body_frames=body,
            shot=part,
            transition=transition,
            boundary=_rel(shot.duration),
            following=following,
            cues=tuple(
                Cue(_rel(c.start - shot.start), _rel(c.end - shot.start), c.lines)
                for c in segment_cues
            ),
            draft=settings.draft,
        )
        inputs: dict[str, Any] = {"frames": job.key(), "encoder": encoder}
        if font is not None and job.cues:
            inputs["font"] = font
        key = cache_key(SEGMENT_STAGE, SEGMENT_STAGE_VERSION, inputs)
        segments.append(Segment(i, job, shot.picture, following_picture, key))
        begin = end
    return segments


def _cues_between(cues: Sequence[Cue], first: float, last: float) -> list[Cue]:
    return [cue for cue in cues if cue.end > first and cue.start <= last]


def encode_segment(
    job: SegmentJob,
    picture: PictureSource,
    following: PictureSource | None,
    path: Path,
    settings: EncodeSettings,
    tick: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    threads: int = 0,
) -> None:
    """Generate the job's frames and encode them into ``path``; ``tick(n)``
    reports frames sent, ``cancelled()`` is polled to stop early, ``threads``
    caps the encoder's threads (0: its own choice)."""
    first = load_picture(picture)
    second = load_picture(following) if following is not None and job.following else None
    size = (job.width, job.height)
    with SegmentEncoder(path, size, job.fps, settings, threads) as encoder:
        for data in iter_frame_bytes(job, first, second):
            if cancelled is not None and cancelled():
                raise RenderCancelled
            encoder.write(data)
            if tick is not None:
                tick(1)
        encoder.finish()


def render_segments(
    segments: Sequence[Segment],
    cache: Cache,
    settings: EncodeSettings,
    *,
    jobs: int = 1,
    on_progress: ProgressCallback | None = None,
) -> list[SegmentOutcome]:
    """Every segment's file: from the cache, or encoded (by ``jobs`` worker
    processes when more than one segment needs it)."""
    total = sum(s.job.frames for s in segments)
    done = 0

    def advance(frames: int) -> None:
        nonlocal done
        done += frames
        if on_progress is not None:
            on_progress(done, total)

    outcomes: dict[int, SegmentOutcome] = {}
    missing: list[Segment] = []
    for segment in segments:
        found = cache.get(SEGMENT_STAGE, segment.key, ".mkv",
                          validate=functools.partial(segment_intact, job=segment.job))
        if found is not None:
            outcomes[segment.index] = SegmentOutcome(segment.index, found, segment.job.frames, True)
        else:
            missing.append(segment)
    if on_progress is not None:
        advance(sum(o.frames for o in outcomes.values()))
    workers = min(jobs, len(missing))
    threads = encoder_threads(workers)
    if workers > 1:
        built = _render_parallel(missing, cache, settings, workers, threads, advance)
    else:
        built = [_build(segment, cache, settings, threads, advance, None) for segment in missing]
    for outcome in built:
        outcomes[outcome.index] = outcome
    return [outcomes[segment.index] for segment in segments]


def segment_intact(path: Path, job: SegmentJob) -> bool:
    """Whether a cached segment holds what its job asks for: one H.264 video stream
    of the job's size and rate, with exactly its frames.

    A checksum only proves the file is the one stored; this catches a file that
    was damaged or swapped before it was stored, or stored with its checksum
    recomputed, which joining would turn into a broken or wrong video.
    """
    try:
        info = probe(path)
    except RenderError:
        return False
    videos = info.streams_of("video")
    if len(videos) != 1 or len(info.streams) != 1:
        return False
    video = videos[0]
    if (video.codec != "h264" or (video.width, video.height) != (job.width, job.height)
            or video.fps is None or abs(video.fps - job.fps) > 1e-3):
        return False
    return count_frames(path) == job.frames


def encoder_threads(workers: int) -> int:
    """x264 threads for each of ``workers`` concurrent encoders.

    x264 by itself takes 1.5 threads a CPU, and its memory grows with its
    threads (at 1080p about 430 MB with one, 620 MB with eight, 800 MB with
    sixteen): the CPUs are shared out among the workers, and capped so a
    many-core machine does not multiply the memory for little speed.
    """
    return max(1, min(MAX_ENCODER_THREADS, math.ceil(1.5 * default_jobs() / max(1, workers))))


def _build(
    segment: Segment,
    cache: Cache,
    settings: EncodeSettings,
    threads: int,
    tick: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> SegmentOutcome:
    def build(path: Path) -> None:
        encode_segment(
            segment.job,
            segment.picture,
            segment.following,
            path,
            settings,
            tick,
            cancelled,
            threads,
        )

    entry = cache.get_or_create(SEGMENT_STAGE, segment.key, ".mkv", build)
    return SegmentOutcome(segment.index, entry.path, segment.job.frames, entry.hit)


# Worker-process state, set once per worker by _init_worker.
_progress_queue: Any = None
_cancel_event: Any = None


def _init_worker(progress: Any, cancel: Any) -> None:
    global _progress_queue, _cancel_event
    _progress_queue, _cancel_event = progress, cancel
    # A Ctrl-C reaches the whole process group; the parent alone handles it
    # and stops the workers through ``cancel``, so they never die mid-task
    # with a traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A killed parent takes its workers (and so their ffmpeg) with it.
    die_with_parent()


def _worker_build(
    segment: Segment, cache: Cache, settings: EncodeSettings, threads: int
) -> SegmentOutcome:
    progress, cancel = _progress_queue, _cancel_event
    pending = 0

    def tick(frames: int) -> None:
        nonlocal pending
        pending += frames
        # Batched, so progress costs little next to a frame.
        if pending >= 4:
            progress.put(pending)
            pending = 0

    try:
        return _build(segment, cache, settings, threads, tick, cancel.is_set)
    finally:
        if pending:
            progress.put(pending)


def _render_parallel(
    segments: Sequence[Segment],
    cache: Cache,
    settings: EncodeSettings,
    workers: int,
    threads: int,
    advance: Callable[[int], None],
) -> list[SegmentOutcome]:
    # spawn: workers start clean (no inherited threads or locks) on every platform.
    context = multiprocessing.get_context("spawn")
    progress = context.Queue()
    cancel = context.Event()
    outcomes: list[SegmentOutcome] = []
    executor = cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker,
        initargs=(progress, cancel),
    )  # fmt: skip

    def drain() -> None:
        while True:
            try:
                frames = progress.get_nowait()
            except queue.Empty:
                return
            advance(frames)

    try:
        # Longest first, so the last worker to finish is not the one left
        # with the longest segment.
        ordered = sorted(segments, key=lambda s: -s.job.frames)
        pending = {executor.submit(_worker_build, s, cache, settings, threads) for s in ordered}
        while pending:
            finished, pending = cf.wait(pending, timeout=0.1, return_when=cf.FIRST_COMPLETED)
            drain()
            for future in finished:
                outcomes.append(future.result())
        drain()
    except BaseException:
        # Tell running workers to stop (they kill their ffmpeg and leave no
        # temporary files), drop queued ones, and wait for them to clean up.
        cancel.set()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        executor.shutdown(wait=True)
        progress.close()
        progress.join_thread()
    return outcomes


def default_jobs() -> int:
    """A sensible worker count: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)
