"""``storyscore render``: a story path to its MP4, subtitles, MusicXML and MIDI.

The stages overlap: worker processes (``SegmentPool``) encode each video
segment as soon as its pictures and timing are known, while this process
narrates and paints the next scenes (``EncodeAhead``), then composes, mixes
and writes the sidecar files; the MP4 is joined once every segment is ready.
A scene's timing is known early when it and every scene before it have a set
length (an ``auto`` scene's length waits for the score). Everything per scene
is cached, and so are each path's score, music and delivered mix (see
``soundtrack``), so a second render only joins what it already has. The MP4 and its
sidecar files appear only when all of them are ready: a failure or an
interrupt stops the workers and leaves earlier outputs as they were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from storyscore.audio.soundfonts import SoundfontChoice
from storyscore.cache import Cache
from storyscore.diagnostics import Diagnostic
from storyscore.export.subtitles import write_srt
from storyscore.files import atomic_paths, write_bytes, write_error
from storyscore.model import Scene, Story
from storyscore.pipeline.executor import LOCAL, Executor, Task, in_order
from storyscore.pipeline.narration import SceneNarration
from storyscore.pipeline.outputs import check_outputs
from storyscore.pipeline.pictures import ScenePicture
from storyscore.pipeline.prepare import Prepared, prepare, progress_tick
from storyscore.pipeline.segments import encode_missing
from storyscore.pipeline.soundtrack import (
    ScoredPath,
    delivered_mix,
    scored_path,
    story_soundfont,
    subtitle_cues,
)
from storyscore.progress import COMPOSING, VIDEO, Progress, Stage
from storyscore.render import (
    CameraMove,
    EncodeSettings,
    RenderReport,
    SceneShot,
    Segment,
    SegmentPool,
    TransitionSpec,
    VideoPlan,
    default_jobs,
    plan_segments,
    render_video,
)
from storyscore.timeline import SceneTime, timeline


@dataclass(frozen=True)
class RenderJob:
    """One path of the story and the MP4 it becomes."""

    path: list[Scene]
    output: Path


@dataclass(frozen=True)
class Rendered:
    job: RenderJob
    composition: ScoredPath
    report: RenderReport
    files: tuple[Path, ...]
    loudness_lufs: float  # of the delivered audio
    true_peak_dbtp: float  # of the delivered audio as decoded from the MP4


@dataclass
class RenderSummary:
    """What a render made and how much of it came from the cache."""

    rendered: list[Rendered] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    pictures: tuple[int, int] = (0, 0)  # (from the cache, in all)
    narrations: tuple[int, int] = (0, 0)
    soundfont: str = ""  # which SoundFont played the music, and why

    def summary(self, seconds: float) -> str:
        lines = []
        segments_cached = segments_all = 0
        for item in self.rendered:
            report = item.report
            segments_cached += len(report.cached)
            segments_all += len(report.segments)
            route = " -> ".join(scene.id for scene in item.job.path)
            lines.append(f"rendered {item.job.output}: {item.composition.duration:.1f}s, "
                         f"{len(item.job.path)} scene{'s' if len(item.job.path) != 1 else ''} "
                         f"({route}), "
                         f"{report.width}x{report.height} at {report.fps} fps, "
                         f"audio {item.loudness_lufs:.1f} LUFS, "
                         f"true peak {item.true_peak_dbtp:.1f} dBTP")
            lines.append("  " + ", ".join(f"{p.name} {_size(p)}" for p in item.files))
        if self.soundfont:
            lines.append(f"music played with {self.soundfont}")
        lines.append(f"from the cache: {self.pictures[0]}/{self.pictures[1]} pictures, "
                     f"{self.narrations[0]}/{self.narrations[1]} narrations, "
                     f"{segments_cached}/{segments_all} video segments; took {seconds:.1f}s")
        return "\n".join(lines)


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def video_plan(prepared: Prepared, composition: ScoredPath) -> VideoPlan:
    """The shots of a path on the composed timeline."""
    pictures = {scene_id: p.path for scene_id, p in prepared.pictures.items()}
    return shots_plan(prepared.story, composition.times, pictures)


def shots_plan(story: Story, times: Sequence[SceneTime], pictures: dict[str, Path]) -> VideoPlan:
    """The shots of scenes at ``times``, showing ``pictures`` (by scene id; a scene
    without one shows an empty path, for a plan read only up to its known pictures)."""
    shots = []
    for time in times:
        camera = story.camera_of(time.scene)
        transition = story.transition_after(time.scene)
        shots.append(SceneShot(
            picture=pictures.get(time.scene.id, Path()), start=time.start,
            duration=time.duration,
            camera=CameraMove(camera.move, camera.amount if camera.move != "still" else None),
            transition=TransitionSpec(transition.kind, transition.duration),
        ))
    return VideoPlan(tuple(shots), story.size.width, story.size.height, story.fps,
                     title=story.title, author=story.author)


class EncodeAhead:
    """Hands each path's video segments to the pool as soon as they are certain.

    Scene *i*'s body is certain once scene *i* is painted and the lengths of
    scenes 0 to *i* are final: every such scene has a set length (the composer
    keeps it and the timing before it) and its narration has been measured (a
    long one lengthens the scene). The transition from *i* into *i + 1* also
    needs scene *i + 1* painted and its length final. The score decides the
    rest; the pool skips a segment it has already, so the final plan
    re-encodes nothing done here.
    """

    def __init__(self, story: Story, paths: Sequence[Sequence[Scene]], pool: SegmentPool,
                 settings: EncodeSettings) -> None:
        self.story, self.pool, self.settings = story, pool, settings
        self.paths = [list(path) for path in paths]
        self.planned = [0] * len(self.paths)  # leading scenes whose segments each path handed over
        self.pictures: dict[str, Path] = {}
        self.speech: dict[str, float] = {}
        self.digests: dict[str, str] = {}

    def __call__(self, item: ScenePicture | SceneNarration) -> None:
        """Take in a finished picture or narration; submit what became certain."""
        if isinstance(item, ScenePicture):
            self.pictures[item.scene_id] = item.path
        else:
            self.speech[item.scene_id] = item.narration.duration
        for n, path in enumerate(self.paths):
            count = self._certain(path)
            if count > self.planned[n]:
                self.pool.submit(self._segments(path, count))
                self.planned[n] = count
        self.pool.poll()

    def _certain(self, path: list[Scene]) -> int:
        """How many leading scenes of ``path`` are painted and have their final length."""
        known = 0
        for scene in path:
            if scene.duration is None or scene.id not in self.speech \
                    or scene.id not in self.pictures:
                break
            known += 1
        return known

    def _segments(self, path: list[Scene], count: int) -> list[Segment]:
        """The segments the first ``count`` scenes of ``path`` decide (all of them certain)."""
        times = timeline(self.story, path, self.speech)
        plan = shots_plan(self.story, times, self.pictures)
        return plan_segments(plan, self.settings, count=count, digests=self.digests)


def render_story(story: Story, jobs: Sequence[RenderJob], cache: Cache, *,
                 on_progress: Progress | None = None, draft: bool = False,
                 burn_subtitles: bool = False, jobs_count: int | None = None,
                 executor: Executor = LOCAL) -> RenderSummary:
    """Render every job; outputs of a job are replaced only once all of them are ready.

    ``jobs_count`` worker processes encode the video (default: one a CPU) while
    this process narrates, paints, composes and mixes. ``executor`` runs the
    painting, narration, composition and (when it is distributed) segment
    encoding; the files are written here.
    """
    on_paths = {scene.id for job in jobs for scene in job.path}
    scenes = [scene for scene in story.scenes if scene.id in on_paths]
    settings = EncodeSettings(draft=draft)
    check_outputs(story, [path for job in jobs for path in _outputs(job)])
    with SegmentPool(cache, settings, jobs_count or default_jobs()) as pool:
        # Burnt-in subtitles follow the composed timeline: those segments wait
        # for it. On a cluster the segments are encoded by tasks instead.
        ahead = None if burn_subtitles or executor.distributed else EncodeAhead(
            story, [j.path for j in jobs], pool, settings)
        prepared = prepare(story, scenes, cache, progress_tick(on_progress, story, scenes),
                           executor, ready=ahead)
        summary = RenderSummary(
            pictures=(sum(p.cache_hit for p in prepared.pictures.values()),
                      len(prepared.pictures)),
            narrations=(sum(n.cache_hit for n in prepared.narrations.values()),
                        len(prepared.narrations)),
        )
        soundfont = story_soundfont(story)
        summary.soundfont = soundfont.describe()
        compositions = _compositions(executor, prepared, jobs, cache)
        for job in jobs:
            rendered = _render_job(prepared, job, compositions, cache, settings, soundfont, pool,
                                   on_progress=on_progress, burn_subtitles=burn_subtitles,
                                   executor=executor)
            summary.warnings += rendered.composition.warnings
            summary.rendered.append(rendered)
    return summary


def _outputs(job: RenderJob) -> list[Path]:
    """The files a job writes: the MP4, then its subtitles, MusicXML and MIDI beside it."""
    return [job.output, *(job.output.with_suffix(s) for s in (".srt", ".musicxml", ".mid"))]


def _compositions(executor: Executor, prepared: Prepared, jobs: Sequence[RenderJob],
                  cache: Cache) -> Iterator[ScoredPath]:
    """Each job's score (``scored_path``: from the cache when its key is known), in
    order: on a cluster all paths compose at once; here one at a time, as each
    job's render reaches it."""
    tasks = [Task(scored_path, (prepared, job.path, cache)) for job in jobs]
    for batch in [tasks] if executor.distributed else [[task] for task in tasks]:
        yield from in_order(executor, batch)


def _render_job(prepared: Prepared, job: RenderJob, compositions: Iterator[ScoredPath],
                cache: Cache, settings: EncodeSettings, soundfont: SoundfontChoice,
                pool: SegmentPool, *, on_progress: Progress | None, burn_subtitles: bool,
                executor: Executor) -> Rendered:
    """One path: take its composition, hand its segments to the pool, write its
    sound and sidecars while they encode, then join the video and move all in.

    Every file is written beside its place and all four are renamed together at
    the end: a failure leaves the old set whole.
    """
    name = job.output.name
    composing = Stage(on_progress, COMPOSING, 2)
    composition = next(compositions)
    composing.advance(name)
    cues = subtitle_cues(prepared, composition)
    plan = video_plan(prepared, composition)
    if not executor.distributed:
        # Submitted before the sound is made, so the workers encode while it is.
        pool.submit(plan_segments(plan, settings, cues if burn_subtitles else ()))
    outputs = _outputs(job)
    try:
        job.output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(job.output.parent, exc) from exc
    with atomic_paths(outputs) as (video, srt, musicxml, midi):
        # From the cache when the score, narration and settings are as before; else
        # the sound streams through scratch files, a block at a time.
        mixed = delivered_mix(prepared, composition, cache, settings, soundfont,
                              plan.frame_count / plan.fps)
        pool.poll()
        write_srt(srt, cues)
        write_bytes(midi, composition.midi_bytes())
        composing.advance(name)
        frames = Stage(on_progress, VIDEO, 1)
        encoded = encode_missing(executor, plan, cache, settings, cues=cues,
                                 burn_subtitles=burn_subtitles,
                                 on_frames=lambda done, total: frames.update(done, total, name))
        report = render_video(
            plan, video, settings=settings, audio=mixed.coded, audio_coded=True, cues=cues,
            burn_subtitles=burn_subtitles, cache=cache,
            pool=None if executor.distributed else pool,
            on_progress=lambda done, total: frames.update(done, total, name),
        )
        # Last: a score composed just now is written as MusicXML while the sound is
        # made and the video joined (see ``soundtrack.CachedScore``).
        write_bytes(musicxml, composition.musicxml_bytes())
    # Segments that tasks encoded just now were found in the cache by the renderer.
    report = dataclasses.replace(report, path=job.output, segments=tuple(
        dataclasses.replace(s, hit=False) if s.index in encoded else s for s in report.segments))
    return Rendered(job, composition, report, tuple(outputs), mixed.loudness_lufs,
                    mixed.true_peak_dbtp)
