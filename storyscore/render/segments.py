"""The video as segments: which frames each owns, its cache key, and encoding
the missing ones, in parallel worker processes when asked (``SegmentPool``:
segments are handed to it as soon as they are known, so they encode while the
caller paints, narrates and composes).

Each scene's body (the frames that show it alone) is one segment, and each
transition (the frames that blend one scene into the next) is another, so
every frame belongs to exactly one segment. A segment's key covers all that
decides its frames (its picture, camera and timing; for a blend also the next
picture, its camera and the transition; burnt-in cues; frame format) and the
encoder's settings and build, so a changed picture re-encodes its own body and
the blends into and out of it, and nothing else: its neighbours' bodies stay
cached.

Every encoder runs ``ENCODER_THREADS`` x264 threads, whatever the machine and
the job count: x264's output depends on its thread count, and a video must
come out byte for byte the same however many workers made it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import hashlib
import json
import math
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from storyscore.cache import Cache, cache_key
from storyscore.errors import RenderError
from storyscore.export.subtitles import Cue
from storyscore.processes import die_with_parent, usable_cpus
from storyscore.render.encode import (
    SegmentEncoder,
    ffmpeg_version,
    probe_frames,
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
    "CHECK_STAGE",
    "ENCODER_THREADS",
    "SEGMENT_STAGE",
    "SEGMENT_STAGE_VERSION",
    "Segment",
    "SegmentOutcome",
    "SegmentPool",
    "cached_segment",
    "encode_segment",
    "picture_digest",
    "plan_segments",
    "remember_checked",
    "render_segments",
    "segment_intact",
    "segment_label",
]

SEGMENT_STAGE = "video-segment"
# Bump when frame generation or segment encoding changes what a key produces.
# 2: a fixed x264 thread count (before, it followed the job count and the CPUs).
# 3: a transition is a segment of its own (before, it ended its scene's segment).
# 4: frames made as 4:2:0 planes (render/planes.py), not converted by ffmpeg.
SEGMENT_STAGE_VERSION = "4"
# Which stored segments were checked (see ``cached_segment``): the digest of the bytes.
CHECK_STAGE = "video-segment-check"
_CHUNK = 1 << 20
# x264 threads of every encoder. Part of what decides a segment's bytes, so a
# constant: two keep a lone encoder (the last segment) on two CPUs, and keep
# x264's memory near its one-thread figure when one encoder runs per CPU.
ENCODER_THREADS = 2

ProgressCallback = Callable[[int, int], None]


class RenderCancelled(KeyboardInterrupt):
    """A worker was told to stop because the render as a whole is stopping."""


def segment_label(scene: int, blend: bool) -> str:
    """How reports name a segment: ``"2"`` for scene 2's body, ``"2>3"`` for the
    transition from scene 2 into scene 3."""
    return f"{scene}>{scene + 1}" if blend else str(scene)


@dataclass(frozen=True)
class Segment:
    """A segment to produce: its place in the video (``index``), the ``scene`` it
    belongs to and whether it is that scene's ``blend`` into the next (else its
    body), its job, its pictures, and its cache key."""

    index: int
    scene: int
    blend: bool
    job: SegmentJob
    picture: PictureSource
    following: PictureSource | None
    key: str

    @property
    def label(self) -> str:
        return segment_label(self.scene, self.blend)

    def outcome(self, path: Path, hit: bool) -> SegmentOutcome:
        """This segment's result: its file, and whether it came from the cache."""
        return SegmentOutcome(self.index, path, self.job.frames, hit, self.label)


@dataclass(frozen=True)
class SegmentOutcome:
    """Where a segment's file is, how many frames it holds, whether it came
    from the cache, and its ``label`` (see ``segment_label``)."""

    index: int
    path: Path
    frames: int
    hit: bool
    label: str


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
    *,
    count: int | None = None,
    digests: dict[str, str] | None = None,
) -> list[Segment]:
    """The segments of ``plan``, in order, with their keys: each scene's body, and
    between two scenes the transition when it has frames. ``cues`` are the
    subtitles to burn in (empty for none). Segments without frames are left out.

    ``count`` plans only what the first ``count`` shots decide: their bodies and
    the transitions between them, reading only their pictures (a plan whose
    later pictures do not exist yet, or whose later lengths are not final).
    ``digests`` keeps picture files' digests between calls (by path), so
    planning again reads no file twice.
    """
    shots = plan.shots
    known = len(shots) if count is None else min(count, len(shots))
    blends = [t.effective_duration for t in plan.transitions()]
    digest = functools.partial(_digest_of, memo={} if digests is None else digests)
    encoder = {"args": video_encoder_args(settings), "ffmpeg": ffmpeg_version(),
               "threads": ENCODER_THREADS}
    planner = _Planner(plan, settings, cues, font_name() if cues else None, encoder)
    begin = 0
    for i, shot in enumerate(shots[:known]):
        last = i == len(shots) - 1
        before = blends[i - 1] / 2 if i > 0 else 0.0
        after = 0.0 if last else blends[i] / 2
        end = planner.total if last else planner.frame_at(shot.end + after)
        blend_from = end if last else max(begin, planner.frame_at(shot.end - after))
        part = ShotPart(digest(shot.picture), shot.camera,
                        (_rel(-before), _rel(shot.duration + after)))
        planner.body(i, part, begin, blend_from)
        if end > blend_from and i + 1 < known:
            nxt = shots[i + 1]
            after_next = blends[i + 1] / 2 if i + 1 < len(blends) else 0.0
            following = ShotPart(
                digest(nxt.picture), nxt.camera,
                (_rel(shot.duration - after), _rel(shot.duration + nxt.duration + after_next)))
            planner.blend(i, part, following, blend_from, end)
        begin = end
    return planner.segments


class _Planner:
    """Builds ``plan_segments``' segments one frame range at a time."""

    def __init__(self, plan: VideoPlan, settings: EncodeSettings, cues: Sequence[Cue],
                 font: str | None, encoder: dict[str, Any]) -> None:
        self.plan, self.settings, self.cues = plan, settings, cues
        self.size = settings.frame_size(plan.width, plan.height)
        self.font, self.encoder = font, encoder
        self.total = plan.frame_count
        self.segments: list[Segment] = []

    def frame_at(self, t: float) -> int:
        """The first frame whose centre is at or after ``t`` seconds."""
        return _first_frame_at(t, self.plan.fps, self.total)

    def body(self, scene: int, part: ShotPart, begin: int, end: int) -> None:
        """Scene ``scene`` alone over frames ``begin`` to ``end`` (none when empty)."""
        if end > begin:
            self._add(scene, False, begin, end, part=part)

    def blend(self, scene: int, part: ShotPart, following: ShotPart, begin: int,
              end: int) -> None:
        """The transition from scene ``scene`` into the next over frames ``begin`` to ``end``."""
        self._add(scene, True, begin, end, part=part, following=following)

    def _add(self, scene: int, blend: bool, begin: int, end: int, *, part: ShotPart,
             following: ShotPart | None = None) -> None:
        shot, fps = self.plan.shots[scene], self.plan.fps
        frames = end - begin
        # The cues that show on any of this segment's frames (at frame centres).
        shown = _cues_between(self.cues, (begin + 0.5) / fps, (end - 0.5) / fps)
        job = SegmentJob(
            width=self.size[0],
            height=self.size[1],
            fps=fps,
            frames=frames,
            # Relative to the scene's start, so a scene keeps its key wherever it sits.
            first_time=_rel((begin + 0.5) / fps - shot.start),
            body_frames=0 if blend else frames,
            shot=part,
            transition=shot.transition if blend else None,
            boundary=_rel(shot.duration) if blend else 0.0,
            following=following,
            cues=tuple(Cue(_rel(c.start - shot.start), _rel(c.end - shot.start), c.lines)
                       for c in shown),
            draft=self.settings.draft,
        )
        inputs: dict[str, Any] = {"frames": job.key(), "encoder": self.encoder}
        if self.font is not None and job.cues:
            inputs["font"] = self.font
        key = cache_key(SEGMENT_STAGE, SEGMENT_STAGE_VERSION, inputs)
        nxt = self.plan.shots[scene + 1].picture if blend else None
        self.segments.append(
            Segment(len(self.segments), scene, blend, job, shot.picture, nxt, key))


def _digest_of(picture: PictureSource, memo: dict[str, str]) -> str:
    """``picture_digest``, remembered for a file (pixels are hashed each time)."""
    if isinstance(picture, Image.Image):
        return picture_digest(picture)
    name = str(picture)
    if name not in memo:
        memo[name] = picture_digest(picture)
    return memo[name]


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
) -> None:
    """Generate the job's frames and encode them into ``path``; ``tick(n)``
    reports frames sent, ``cancelled()`` is polled to stop early. The encoder
    runs ``ENCODER_THREADS`` threads, as the segment's cache key says, wherever
    it runs."""
    first = load_picture(picture)
    second = load_picture(following) if following is not None and job.following else None
    size = (job.width, job.height)
    with SegmentEncoder(path, size, job.fps, settings, ENCODER_THREADS) as encoder:
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
    found = {s.index: cached_segment(s, cache) for s in segments}
    missing = [s for s in segments if found[s.index] is None]
    if min(jobs, len(missing)) > 1:
        with SegmentPool(cache, settings, jobs) as pool:
            # Longest first, so the last worker to finish is not the one left
            # with the longest segment.
            pool.submit(sorted(missing, key=lambda s: -s.job.frames))
            return pool.outcomes(segments, on_progress)
    total = sum(s.job.frames for s in segments)
    done = 0

    def advance(frames: int) -> None:
        nonlocal done
        done += frames
        if on_progress is not None:
            on_progress(done, total)

    outcomes = {s.index: s.outcome(path, True)
                for s in segments if (path := found[s.index]) is not None}
    if on_progress is not None:
        advance(sum(o.frames for o in outcomes.values()))
    for segment in missing:
        outcomes[segment.index] = _build(segment, cache, settings, advance, None)
    return [outcomes[segment.index] for segment in segments]


def cached_segment(segment: Segment, cache: Cache) -> Path | None:
    """The segment's file in the cache when it is intact, else None (a damaged one is
    deleted, so it is encoded again).

    The cache's digest proves the file is the one stored; whether what was stored
    holds the segment's frames is proved once, by ``segment_intact`` (an ffmpeg
    run), or by this code having encoded it, and then remembered with the file's
    digest (``CHECK_STAGE``). A file with that digest is those bytes, so it is
    not probed again; any other (swapped, or stored with its checksum recomputed)
    is probed.
    """
    return cache.get(SEGMENT_STAGE, segment.key, ".mkv",
                     validate=functools.partial(_checked, segment=segment, cache=cache))


def _checked(path: Path, *, segment: Segment, cache: Cache) -> bool:
    """``segment_intact``, skipped for bytes that passed it (or were encoded here) before."""
    digest = cache.recorded_digest(path)  # the file's own: ``get`` has just checked it
    if digest is None:
        return False
    if _checked_digest(segment, cache) == digest:
        return True
    if not segment_intact(path, segment.job):
        return False
    remember_checked(segment, cache, digest)
    return True


def remember_checked(segment: Segment, cache: Cache, digest: str | None = None) -> None:
    """Note that the segment's stored file (of ``digest``, default: as it is now)
    holds its frames: it was probed, or encoded by this code just now."""
    if not cache.enabled:
        return
    if digest is None:
        stored = cache.get(SEGMENT_STAGE, segment.key, ".mkv")
        digest = None if stored is None else cache.recorded_digest(stored)
        if digest is None:
            return
    record = json.dumps({"sha256": digest, "frames": segment.job.frames}).encode("ascii")

    def write(target: Path) -> None:
        target.write_bytes(record)

    # A record for other bytes (the entry was made again) is replaced.
    cache.discard(CHECK_STAGE, segment.key, ".json")
    cache.get_or_create(CHECK_STAGE, segment.key, ".json", write)


def _checked_digest(segment: Segment, cache: Cache) -> str | None:
    """The digest of the segment's file as last checked, or None when never checked."""
    path = cache.get(CHECK_STAGE, segment.key, ".json")
    if path is None:
        return None
    try:
        record = json.loads(path.read_text(encoding="ascii"))
        return str(record["sha256"]) if record["frames"] == segment.job.frames else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def segment_intact(path: Path, job: SegmentJob) -> bool:
    """Whether a cached segment holds what its job asks for: one H.264 video stream
    of the job's size and rate, with exactly its frames.

    A checksum only proves the file is the one stored; this catches a file that
    was damaged or swapped before it was stored, or stored with its checksum
    recomputed, which joining would turn into a broken or wrong video.
    """
    probed = probe_frames(path)
    if probed is None:
        return False
    info, frames = probed
    videos = info.streams_of("video")
    if len(videos) != 1 or len(info.streams) != 1:
        return False
    video = videos[0]
    if (video.codec != "h264" or (video.width, video.height) != (job.width, job.height)
            or video.fps is None or abs(video.fps - job.fps) > 1e-3):
        return False
    return frames == job.frames


def _build(
    segment: Segment,
    cache: Cache,
    settings: EncodeSettings,
    tick: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> SegmentOutcome:
    def build(path: Path) -> None:
        encode_segment(segment.job, segment.picture, segment.following, path, settings, tick,
                       cancelled)

    entry = cache.get_or_create(SEGMENT_STAGE, segment.key, ".mkv", build)
    if not entry.hit and cache.enabled:
        remember_checked(segment, cache, cache.recorded_digest(entry.path))
    return segment.outcome(entry.path, entry.hit)


# Worker-process state, set once per worker by _init_worker.
_progress_queue: Any = None
_cancel_event: Any = None


def _init_worker(progress: Any, cancel: Any, parent: int) -> None:
    global _progress_queue, _cancel_event
    _progress_queue, _cancel_event = progress, cancel
    # A Ctrl-C reaches the whole process group; the parent alone handles it
    # and stops the workers through ``cancel``, so they never die mid-task
    # with a traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A killed parent takes its workers (and so their ffmpeg) with it.
    die_with_parent(parent)


def _worker_build(segment: Segment, cache: Cache, settings: EncodeSettings) -> SegmentOutcome:
    """Encode one segment in a worker; frames sent go to the parent as ``(key, count)``."""
    progress, cancel = _progress_queue, _cancel_event
    pending = 0

    def tick(frames: int) -> None:
        nonlocal pending
        pending += frames
        # Batched, so progress costs little next to a frame.
        if pending >= 4:
            progress.put((segment.key, pending))
            pending = 0

    try:
        return _build(segment, cache, settings, tick, cancel.is_set)
    finally:
        if pending:
            progress.put((segment.key, pending))


class SegmentPool:
    """Segments encoded into the cache by worker processes while the caller works on.

    ``submit`` hands over segments as soon as they are known (a segment already
    cached or already submitted, by key, is not encoded again); ``outcomes``
    waits for the ones a video needs. Workers start with the first segment to
    encode. Use as a context manager: leaving the block by an error or an
    interrupt tells the workers to stop (each kills its ffmpeg and leaves no
    temporary file) and waits for them, so nothing half-written remains.

    A segment's bytes depend only on its key, so the video is the same
    whatever the number of workers and the order they finish in.
    """

    def __init__(self, cache: Cache, settings: EncodeSettings, jobs: int) -> None:
        self.cache = cache
        self.settings = settings
        self.jobs = max(1, jobs)
        self._cached: dict[str, Path] = {}
        self._futures: dict[str, cf.Future[SegmentOutcome]] = {}
        self._sent: dict[str, int] = {}  # frames sent to each encoder so far
        self._claimed: set[str] = set()  # keys a video has taken (encoded ones count once)
        self._context = multiprocessing.get_context("spawn")
        self._executor: cf.ProcessPoolExecutor | None = None
        self._progress: Any = None
        self._cancel: Any = None

    def __enter__(self) -> SegmentPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(cancel=kind is not None)

    @property
    def submitted(self) -> int:
        """How many segments were handed to the workers (not found in the cache)."""
        return len(self._futures)

    def submit(self, segments: Sequence[Segment]) -> None:
        """Start encoding those of ``segments`` that are neither cached nor submitted."""
        for segment in segments:
            key = segment.key
            if key in self._futures or key in self._cached:
                continue
            found = cached_segment(segment, self.cache)
            if found is not None:
                self._cached[key] = found
                continue
            with _workers_alive():
                self._futures[key] = self._start().submit(
                    _worker_build, segment, self.cache, self.settings)
            self._sent[key] = 0

    def poll(self) -> None:
        """Take in the workers' progress; raise the error of a segment that failed."""
        self._drain()
        for future in self._futures.values():
            if future.done() and future.exception() is not None:
                with _workers_alive():
                    future.result()

    def outcomes(self, segments: Sequence[Segment],
                 on_progress: ProgressCallback | None = None) -> list[SegmentOutcome]:
        """Wait for ``segments`` (submitting any not yet submitted) and return their files.

        ``on_progress(done, total)`` counts their frames, cached ones included.
        A segment counts as encoded (not a cache hit) for the first video that
        takes it.
        """
        self.submit(segments)
        total = sum(s.job.frames for s in segments)
        waiting = {self._futures[s.key] for s in segments if s.key in self._futures}
        while True:
            self.poll()
            if on_progress is not None:
                on_progress(sum(self._frames_done(s) for s in segments), total)
            if not waiting:
                break
            _, waiting = cf.wait(waiting, timeout=0.1, return_when=cf.FIRST_COMPLETED)
        out = []
        for segment in segments:
            key = segment.key
            if key in self._futures:
                with _workers_alive():
                    path, hit = self._futures[key].result().path, key in self._claimed
            else:
                path, hit = self._cached[key], True
            self._claimed.add(key)
            out.append(segment.outcome(path, hit))
        return out

    def close(self, cancel: bool = False) -> None:
        """Stop the workers: at once with ``cancel``, else after their segments."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            if cancel:
                self._cancel.set()
            executor.shutdown(wait=True, cancel_futures=cancel)
        finally:
            self._progress.close()
            self._progress.join_thread()

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._executor is None:
            self._progress = self._context.Queue()
            self._cancel = self._context.Event()
            # spawn: workers start clean (no inherited threads or locks) on every platform.
            self._executor = cf.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=self._context, initializer=_init_worker,
                initargs=(self._progress, self._cancel, os.getpid()),
            )  # fmt: skip
        return self._executor

    def _drain(self) -> None:
        if self._progress is None:
            return
        while True:
            try:
                key, frames = self._progress.get_nowait()
            except queue.Empty:
                return
            self._sent[key] += frames

    def _frames_done(self, segment: Segment) -> int:
        future = self._futures.get(segment.key)
        if future is None or future.done():
            return segment.job.frames
        return min(segment.job.frames, self._sent[segment.key])


@contextlib.contextmanager
def _workers_alive() -> Iterator[None]:
    """Turn a worker that died before its work into an error that says why.

    The usual cause is a script that calls ``render`` at its top level: each
    worker starts by importing the script, which starts a render of its own.
    """
    try:
        yield
    except cf.process.BrokenProcessPool as exc:
        raise RenderError(
            "a video worker process stopped before it could encode; a script that calls "
            "storyscore.render() must guard its top level with 'if __name__ == \"__main__\":' "
            "(each worker imports the script)",
            hint="put the render in a main() called under 'if __name__ == \"__main__\":'") from exc


def default_jobs() -> int:
    """A sensible worker count: the CPUs this process may use."""
    return usable_cpus()
