"""Video segments as tasks, for a render whose executor is distributed.

Without ``--ray`` the renderer encodes its missing segments itself (in
``--jobs`` worker processes). On a cluster, ``encode_missing`` first has every
segment the cache lacks encoded by a task (``encode_task``) straight into the
shared cache folder, the same way the renderer would (every encoder runs
the same fixed x264 thread count, so the bytes do not depend on where a
segment was encoded); the renderer then finds them all and only joins them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from storyscore.cache import Cache
from storyscore.export.subtitles import Cue
from storyscore.pipeline.executor import Executor, Needs, Task
from storyscore.render import EncodeSettings, SegmentOutcome, VideoPlan
from storyscore.render.segments import (
    SEGMENT_STAGE,
    Segment,
    cached_segment,
    encode_segment,
    plan_segments,
    remember_checked,
)

__all__ = ["encode_missing", "encode_task"]


def encode_task(segment: Segment, cache: Cache, settings: EncodeSettings) -> SegmentOutcome:
    """The encoding task: one segment's frames made and encoded into the cache
    (written atomically there; found there when another try already stored it)."""
    def build(path: Path) -> None:
        encode_segment(segment.job, segment.picture, segment.following, path, settings)

    found = cached_segment(segment, cache)
    if found is not None:
        return segment.outcome(found, True)
    entry = cache.get_or_create(SEGMENT_STAGE, segment.key, ".mkv", build)
    if not entry.hit:
        remember_checked(segment, cache)
    return segment.outcome(entry.path, entry.hit)


def encode_missing(executor: Executor, plan: VideoPlan, cache: Cache, settings: EncodeSettings,
                   *, cues: Sequence[Cue], burn_subtitles: bool,
                   on_frames: Callable[[int, int], None] | None = None) -> set[int]:
    """Encode the segments of ``plan`` the cache lacks as tasks of a distributed
    ``executor``; returns their scene indices (none with a local executor, whose
    renderer encodes for itself). ``on_frames(done, total)`` counts frames as
    segments finish, cached ones first."""
    if not executor.distributed:
        return set()
    # As render_video sees them: burnt cues on the millisecond, so the keys agree.
    burnt = tuple(Cue(round(c.start, 3), round(c.end, 3), c.lines) for c in cues) \
        if burn_subtitles else ()
    segments = plan_segments(plan, settings, burnt)
    missing = [s for s in segments if cached_segment(s, cache) is None]
    total = sum(s.job.frames for s in segments)
    done = total - sum(s.job.frames for s in missing)
    if on_frames is not None:
        on_frames(done, total)
    tasks = [Task(encode_task, (segment, cache, settings), Needs(cpus=1))
             for segment in missing]
    for _, outcome in executor.run(tasks):
        done += outcome.frames
        if on_frames is not None:
            on_frames(done, total)
    return {segment.index for segment in missing}
