"""``storyscore render``: a story path to its MP4, subtitles, MusicXML and MIDI.

The stages run in order (pictures, narration, music plan, score, mix, video);
everything per scene is cached, so a second render only joins what it already
has. The MP4 and its sidecar files appear only when all of them are ready: a
failure or an interrupt leaves earlier outputs as they were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import TaskID

from storyscore.audio.mix import write_wav
from storyscore.cache import Cache
from storyscore.diagnostics import Diagnostic
from storyscore.export.musicxml import make_reproducible
from storyscore.export.subtitles import write_srt
from storyscore.files import atomic_paths, scratch_folder
from storyscore.model import Scene, Story
from storyscore.pipeline.outputs import check_outputs
from storyscore.pipeline.prepare import Prepared, prepare
from storyscore.pipeline.soundtrack import Composition, compose_path, story_audio, subtitle_cues
from storyscore.progress import Progress
from storyscore.render import (
    CameraMove,
    EncodeSettings,
    RenderReport,
    SceneShot,
    TransitionSpec,
    VideoPlan,
    render_video,
)


@dataclass(frozen=True)
class RenderJob:
    """One path of the story and the MP4 it becomes."""

    path: list[Scene]
    output: Path


@dataclass(frozen=True)
class Rendered:
    job: RenderJob
    composition: Composition
    report: RenderReport
    files: tuple[Path, ...]


@dataclass
class RenderSummary:
    """What a render made and how much of it came from the cache."""

    rendered: list[Rendered] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    pictures: tuple[int, int] = (0, 0)  # (from the cache, in all)
    narrations: tuple[int, int] = (0, 0)

    def summary(self, seconds: float) -> str:
        lines = []
        segments_cached = segments_all = 0
        for item in self.rendered:
            report = item.report
            segments_cached += len(report.cached)
            segments_all += len(report.segments)
            route = " -> ".join(scene.id for scene in item.job.path)
            lines.append(f"rendered {item.job.output}: {item.composition.duration:.1f}s, "
                         f"{len(item.job.path)} scenes ({route}), "
                         f"{report.width}x{report.height} at {report.fps} fps")
            lines.append("  " + ", ".join(f"{p.name} {_size(p)}" for p in item.files))
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


def video_plan(prepared: Prepared, composition: Composition) -> VideoPlan:
    """The shots of a path on the composed timeline."""
    story = prepared.story
    shots = []
    for time in composition.times:
        camera = story.camera_of(time.scene)
        transition = story.transition_after(time.scene)
        shots.append(SceneShot(
            picture=prepared.pictures[time.scene.id].path, start=time.start,
            duration=time.duration,
            camera=CameraMove(camera.move, camera.amount if camera.move != "still" else None),
            transition=TransitionSpec(transition.kind, transition.duration),
        ))
    return VideoPlan(tuple(shots), story.size.width, story.size.height, story.fps,
                     title=story.title, author=story.author)


def render_story(story: Story, jobs: Sequence[RenderJob], cache: Cache, *,
                 progress: Progress, draft: bool = False, burn_subtitles: bool = False,
                 jobs_count: int = 1) -> RenderSummary:
    """Render every job; outputs of a job are replaced only once all of them are ready."""
    on_paths = {scene.id for job in jobs for scene in job.path}
    scenes = [scene for scene in story.scenes if scene.id in on_paths]
    bars = {"pictures": progress.task("Painting", len(story.scenes)),
            "narration": progress.task("Narrating", len(scenes))}
    prepared = prepare(story, scenes, cache,
                       lambda stage, item: progress.advance(bars[stage], item))
    summary = RenderSummary(
        pictures=(sum(p.cache_hit for p in prepared.pictures.values()), len(prepared.pictures)),
        narrations=(sum(n.cache_hit for n in prepared.narrations.values()),
                    len(prepared.narrations)),
    )
    settings = EncodeSettings(draft=draft)
    check_outputs(story, [path for job in jobs for path in _outputs(job)])
    for job in jobs:
        name = job.output.name
        composing = progress.task("Composing", 2)
        composition = compose_path(prepared, job.path)
        summary.warnings += composition.warnings
        progress.advance(composing, name)
        outputs = _outputs(job)
        # Every file is written beside its place and all four are renamed
        # together at the end: a failure leaves the old set whole.
        with scratch_folder("render") as folder, \
                atomic_paths(outputs) as (video, srt, musicxml, midi):
            mixed = story_audio(prepared, composition)
            write_wav(folder / "mix.wav", mixed.audio, mixed.sample_rate)
            cues = subtitle_cues(prepared, composition)
            write_srt(srt, cues)
            composition.score.write_musicxml(musicxml)
            make_reproducible(musicxml)
            composition.score.write_midi(midi)
            progress.advance(composing, name)
            frames = progress.task("Video", 1)

            def frames_done(done: int, total: int, bar: TaskID = frames,
                            name: str = name) -> None:
                progress.update(bar, done / max(1, total), name)

            report = render_video(
                video_plan(prepared, composition), video, settings=settings,
                audio=folder / "mix.wav", cues=cues,
                burn_subtitles=burn_subtitles, cache=cache, jobs=jobs_count,
                on_progress=frames_done,
            )
        report = dataclasses.replace(report, path=job.output)
        summary.rendered.append(Rendered(job, composition, report, tuple(outputs)))
    return summary


def _outputs(job: RenderJob) -> list[Path]:
    """The files a job writes: the MP4, then its subtitles, MusicXML and MIDI beside it."""
    return [job.output, *(job.output.with_suffix(s) for s in (".srt", ".musicxml", ".mid"))]
