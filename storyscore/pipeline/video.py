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

from storyscore.audio.soundfonts import SoundfontChoice
from storyscore.cache import Cache
from storyscore.diagnostics import Diagnostic
from storyscore.export.subtitles import Cue, write_srt
from storyscore.files import atomic_paths, write_bytes, write_error
from storyscore.model import Scene, Story
from storyscore.pipeline.outputs import check_outputs
from storyscore.pipeline.prepare import Prepared, prepare, progress_tick
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
                         f"{len(item.job.path)} scenes ({route}), "
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
                 on_progress: Progress | None = None, draft: bool = False,
                 burn_subtitles: bool = False, jobs_count: int = 1) -> RenderSummary:
    """Render every job; outputs of a job are replaced only once all of them are ready."""
    on_paths = {scene.id for job in jobs for scene in job.path}
    scenes = [scene for scene in story.scenes if scene.id in on_paths]
    prepared = prepare(story, scenes, cache, progress_tick(on_progress, story, scenes))
    summary = RenderSummary(
        pictures=(sum(p.cache_hit for p in prepared.pictures.values()), len(prepared.pictures)),
        narrations=(sum(n.cache_hit for n in prepared.narrations.values()),
                    len(prepared.narrations)),
    )
    soundfont = story_soundfont(story)
    summary.soundfont = soundfont.describe()
    settings = EncodeSettings(draft=draft)
    check_outputs(story, [path for job in jobs for path in _outputs(job)])
    for job in jobs:
        rendered = _render_job(prepared, job, cache, settings, soundfont,
                               on_progress=on_progress, burn_subtitles=burn_subtitles,
                               jobs_count=jobs_count)
        summary.warnings += rendered.composition.warnings
        summary.rendered.append(rendered)
    return summary


def _outputs(job: RenderJob) -> list[Path]:
    """The files a job writes: the MP4, then its subtitles, MusicXML and MIDI beside it."""
    return [job.output, *(job.output.with_suffix(s) for s in (".srt", ".musicxml", ".mid"))]


def _render_job(prepared: Prepared, job: RenderJob, cache: Cache, settings: EncodeSettings,
                soundfont: SoundfontChoice, *, on_progress: Progress | None,
                burn_subtitles: bool, jobs_count: int) -> Rendered:
    """One path: compose it, write its sound and sidecars, encode the video, move all in.

    Every file is written beside its place and all four are renamed together at
    the end: a failure leaves the old set whole.
    """
    name = job.output.name
    composing = Stage(on_progress, COMPOSING, 2)
    composition = scored_path(prepared, job.path, cache)
    composing.advance(name)
    outputs = _outputs(job)
    try:
        job.output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(job.output.parent, exc) from exc
    with atomic_paths(outputs) as (video, srt, musicxml, midi):
        # From the cache when the score, narration and settings are as before.
        mixed = delivered_mix(prepared, composition, cache, settings, soundfont)
        cues = _write_sidecars(prepared, composition, srt, musicxml, midi)
        composing.advance(name)
        frames = Stage(on_progress, VIDEO, 1)
        report = render_video(
            video_plan(prepared, composition), video, settings=settings,
            audio=mixed.path, cues=cues,
            burn_subtitles=burn_subtitles, cache=cache, jobs=jobs_count,
            on_progress=lambda done, total: frames.update(done, total, name),
        )
    report = dataclasses.replace(report, path=job.output)
    return Rendered(job, composition, report, tuple(outputs), mixed.loudness_lufs,
                    mixed.true_peak_dbtp)


def _write_sidecars(prepared: Prepared, composition: ScoredPath, srt: Path, musicxml: Path,
                    midi: Path) -> list[Cue]:
    """The subtitles and the score of a path; the cues, built once, for the video too."""
    cues = subtitle_cues(prepared, composition)
    write_srt(srt, cues)
    write_bytes(musicxml, composition.musicxml_bytes())
    write_bytes(midi, composition.midi_bytes())
    return cues

