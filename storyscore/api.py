"""The Python API: load a story, then render, paint, score, explain or book it.

Each function does what the command of the same name does and returns what it
made instead of printing it::

    import storyscore

    story = storyscore.load("lighthouse.sco")
    storyscore.render(story, "lighthouse.mp4")

Failures raise the one exception tree of ``storyscore.errors`` (a script with
problems raises ``ScriptError``, which carries every diagnostic). Long work
reports through ``on_progress`` (see ``storyscore.progress``); pass nothing to
hear nothing. ``cache`` is True for the user's cache (``STORYSCORE_CACHE`` or
the platform's cache folder), False to read and write none, or a ``Cache``.

Heavy modules (numpy, music21, the painters) load inside the functions that
need them, so ``import storyscore`` and ``load`` stay quick.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from storyscore.diagnostics import Diagnostic
from storyscore.errors import StoryscoreError
from storyscore.model import Scene, Story
from storyscore.progress import COMPOSING, MEASURING, PAINTING, SYNTHESISING, Progress, Stage
from storyscore.settings import Overrides, apply, parse_size

if TYPE_CHECKING:
    from storyscore.cache import Cache
    from storyscore.pipeline.executor import Executor
    from storyscore.pipeline.prepare import Prepared
    from storyscore.pipeline.soundtrack import Composition
    from storyscore.pipeline.video import RenderSummary

__all__ = [
    "SCORE_FORMATS",
    "Painted",
    "RenderResult",
    "Route",
    "Scored",
    "StrPath",
    "Video",
    "explain",
    "load",
    "make_book",
    "paint",
    "path_output",
    "render",
    "score",
    "score_format",
]

StrPath = str | os.PathLike[str]
"""A file or folder: a string or a path."""
Route = str | Sequence[str] | None
"""Scenes to take at the branch points: ``"storm,tower"`` or ``["storm", "tower"]``;
None (or nothing named) takes the first choice at every branch."""

SCORE_FORMATS = {".musicxml": "musicxml", ".xml": "musicxml", ".mid": "midi",
                 ".midi": "midi", ".wav": "wav"}
"""What ``score`` writes, by the output's extension."""


# ------------------------------------------------------------------ loading


def load(path: StrPath, *, size: str | None = None, fps: int | None = None,
         seed: int | None = None, painter: str | None = None, model: str | None = None,
         soundfont: StrPath | None = None) -> Story:
    """Read and check the script at ``path``; the keywords override its settings
    as the command-line options do (``size`` is a preset such as ``480p`` or ``WxH``).

    Raises ``ScriptError`` (with every diagnostic) when the script has errors;
    warnings are dropped (``storyscore check`` prints them).
    """
    from storyscore.dsl.load import load_story

    story = load_story(Path(path)).story
    overrides = Overrides(
        size=parse_size(size) if size is not None else None, fps=fps, seed=seed,
        painter=painter, model=model,
        soundfont=str(Path(soundfont).resolve()) if soundfont is not None else None,
    )
    return apply(story, overrides)


@contextmanager
def _opened(cache: bool | Cache, executor: Executor | None = None) -> Iterator[Cache]:
    """The cache to work with: the user's (closed afterwards) or the one passed in.

    A distributed ``executor``'s tasks hand pictures and segments over through
    the cache folder, so it needs one.
    """
    from storyscore.cache import Cache

    opened = cache if isinstance(cache, Cache) else Cache.from_env(enabled=cache)
    if executor is not None and executor.distributed and not opened.enabled:
        opened.close()
        raise needs_cache()
    if isinstance(cache, Cache):
        yield opened
        return
    with opened:
        yield opened


def needs_cache() -> StoryscoreError:
    """The error for a distributed render without the cache (``--ray --no-cache``)."""
    return StoryscoreError(
        "--ray needs the cache: its tasks hand pictures and video segments over through "
        "the cache folder", hint="leave out --no-cache (a fresh STORYSCORE_CACHE folder "
                                 "rebuilds everything)")


def _route(story: Story, path: Route) -> list[Scene]:
    """The scenes of the path that takes ``path``'s picks at the branch points."""
    from storyscore.timeline import choose_path, default_path

    if path is None:
        return default_path(story)
    picks = [p.strip() for p in (path.split(",") if isinstance(path, str) else path)]
    picks = [p for p in picks if p]
    return choose_path(story, picks) if picks else default_path(story)


# ------------------------------------------------------------------ render


@dataclass(frozen=True)
class Video:
    """One rendered path: the MP4, the files written beside it, and what it shows."""

    output: Path
    files: tuple[Path, ...]  # the MP4, then its .srt, .musicxml and .mid
    scenes: tuple[str, ...]
    duration: float
    width: int
    height: int
    fps: int


@dataclass(frozen=True)
class RenderResult:
    """What ``render`` made: one ``Video`` per path, and the warnings met on the way."""

    videos: tuple[Video, ...]
    warnings: tuple[Diagnostic, ...]
    details: RenderSummary = field(repr=False, compare=False)

    @property
    def output(self) -> Path:
        """The (first) MP4."""
        return self.videos[0].output

    @property
    def duration(self) -> float:
        """Seconds of the (first) video."""
        return self.videos[0].duration

    def summary(self, seconds: float) -> str:
        """What was rendered and what came from the cache, as ``render`` prints it."""
        return self.details.summary(seconds)


def path_output(base: Path, story: Story, path: Sequence[Scene], count: int) -> Path:
    """``STEM-PICK-PICK.mp4``: named after the choices taken at the branch points
    (just ``base`` when the story has one path)."""
    if count == 1:
        return base
    picks = [path[i + 1].id for i, scene in enumerate(path[:-1])
             if len(story.successors(scene)) > 1]
    return base.with_name(f"{base.stem}-{'-'.join(picks)}{base.suffix}")


# Other videos' extensions: their files are named for an MP4 with the extension swapped.
_VIDEO_SUFFIXES = frozenset({".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg",
                             ".wmv", ".flv", ".gif", ".ogv"})


def render(story: Story, output: StrPath, *, path: Route = None, all_paths: bool = False,
           draft: bool = False, burn_subtitles: bool = False, jobs: int | None = None,
           cache: bool | Cache = True, on_progress: Progress | None = None,
           executor: Executor | None = None) -> RenderResult:
    """Render the narrated, scored MP4 of one path (or, with ``all_paths``, one per path
    to an ending, named after its choices), with ``.srt``, ``.musicxml`` and ``.mid`` beside it.

    ``draft`` renders fast at half size; ``jobs`` worker processes (default: one
    a CPU) encode scene segments while the story is painted, narrated and
    composed; the video is the same whatever their number. Each output is
    replaced only once all of a path's files are ready, so a failure leaves
    earlier ones as they were. ``executor`` runs the work elsewhere, e.g. on a
    Ray cluster (``storyscore.pipeline.distributed.connect``); the files are the same.
    """
    from storyscore.pipeline.executor import LOCAL
    from storyscore.pipeline.video import RenderJob, render_story
    from storyscore.timeline import all_paths as every_path

    base = Path(output)
    if all_paths and path:
        raise StoryscoreError("--path and --all-paths cannot be used together")
    if base.suffix.lower() != ".mp4":
        # "out.avi" means "out.mp4"; "take.2" (not a video's name) keeps its whole name.
        wanted = base.with_suffix(".mp4") if base.suffix.lower() in _VIDEO_SUFFIXES else (
            base.with_name(base.name + ".mp4"))
        raise StoryscoreError(f"{base}: the video is an .mp4 file", hint=f"use -o {wanted}")
    routes = every_path(story) if all_paths else [_route(story, path)]
    jobs_list = [RenderJob(route, path_output(base, story, route, len(routes)))
                 for route in routes]
    with _opened(cache, executor) as opened:
        summary = render_story(story, jobs_list, opened, on_progress=on_progress, draft=draft,
                               burn_subtitles=burn_subtitles, jobs_count=jobs,
                               executor=executor or LOCAL)
    videos = tuple(
        Video(item.job.output, item.files, tuple(s.id for s in item.job.path),
              item.composition.duration, item.report.width, item.report.height, item.report.fps)
        for item in summary.rendered
    )
    return RenderResult(videos, tuple(summary.warnings), summary)


# ------------------------------------------------------------------ book


def make_book(story: Story, folder: StrPath, *, cache: bool | Cache = True,
              on_progress: Progress | None = None, executor: Executor | None = None) -> Path:
    """Write the interactive picture book (every scene of every branch) into
    ``folder``, a folder that opens offline in a browser; returns the folder.
    ``executor`` paints and narrates elsewhere, e.g. on a Ray cluster."""
    from storyscore.pipeline.book import make_book as write
    from storyscore.pipeline.executor import LOCAL

    with _opened(cache, executor) as opened:
        return write(story, Path(folder), opened, on_progress, executor or LOCAL)


# ------------------------------------------------------------------ paint


@dataclass(frozen=True)
class Painted:
    """The pictures ``paint`` wrote, in script order, and how many came from the cache."""

    folder: Path
    files: tuple[Path, ...]
    from_cache: int


def paint(story: Story, folder: StrPath, *, layout: bool = False, cache: bool | Cache = True,
          on_progress: Progress | None = None) -> Painted:
    """Paint every scene's picture (all branches) into ``folder``, one PNG per
    scene, named like ``01-dawn.png``; with ``layout``, a JSON list of what each
    picture shows where beside it (``01-dawn.json``)."""
    from storyscore.pipeline.pictures import (
        ScenePicture,
        picture_file_name,
        save_layout,
        save_png,
        scene_pictures,
    )

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoryscoreError(f"cannot create the folder {folder}: {exc.strerror}") from exc
    scenes = story.scenes
    index = {scene.id: i for i, scene in enumerate(scenes)}
    files: list[Path] = []
    cached = 0
    painting = Stage(on_progress, PAINTING, len(scenes))

    def save(picture: ScenePicture) -> None:
        nonlocal cached
        cached += picture.cache_hit
        i = index[picture.scene_id]
        target = folder / picture_file_name(i, scenes[i])
        save_png(picture.image, target)
        files.append(target)
        if picture.layout is not None:
            save_layout(picture.layout, target.with_suffix(".json"))
        painting.advance(picture.scene_id)

    with _opened(cache) as opened:
        scene_pictures(story, scenes, opened, on_done=save, layout=layout)
    return Painted(folder, tuple(files), cached)


# ------------------------------------------------------------------ score


@dataclass(frozen=True)
class Scored:
    """The music file ``score`` wrote and the path it follows."""

    output: Path
    kind: str  # "musicxml", "midi" or "wav"
    duration: float
    scenes: tuple[str, ...]


def score_format(output: StrPath) -> str:
    """What ``score`` writes to ``output``: ``musicxml``, ``midi`` or ``wav``, by its extension."""
    output = Path(output)
    kind = SCORE_FORMATS.get(output.suffix.lower())
    if kind is None:
        raise StoryscoreError(f"cannot tell what to write from '{output.name}'",
                              hint="use a .musicxml, .mid or .wav file name")
    return kind


def score(story: Story, output: StrPath, *, path: Route = None, cache: bool | Cache = True,
          on_progress: Progress | None = None) -> Scored:
    """Write the music of one path alone: MusicXML, MIDI or a WAV of the music
    without narration, chosen by ``output``'s extension."""
    from storyscore.pipeline.outputs import check_outputs
    from storyscore.pipeline.prepare import prepare, progress_tick
    from storyscore.pipeline.soundtrack import compose_path

    output = Path(output)
    kind = score_format(output)
    scenes = _route(story, path)
    check_outputs(story, [output])
    with _opened(cache) as opened:
        prepared = prepare(story, scenes, opened, progress_tick(on_progress, story, scenes))
        composing = Stage(on_progress, COMPOSING, 1)
        composition = compose_path(prepared, scenes)
        composing.advance()
        _write_music(prepared, composition, kind, output, on_progress)
    return Scored(output, kind, composition.duration, tuple(s.id for s in scenes))


def _write_music(prepared: Prepared, composition: Composition, kind: str, output: Path,
                 on_progress: Progress | None) -> None:
    """The composed music as ``kind``: the score's notation, or the music synthesised."""
    from storyscore.audio.mix import write_wav_track
    from storyscore.audio.stream import disk_tracks
    from storyscore.files import scratch_folder
    from storyscore.pipeline.soundtrack import music_only_track, music_track

    if kind == "musicxml":
        composition.score.write_musicxml(output)
    elif kind == "midi":
        composition.score.write_midi(output)
    else:
        synthesising = Stage(on_progress, SYNTHESISING, 1)
        # Streamed through scratch files: an hour of music is never in memory at once.
        with scratch_folder("score") as folder:
            music = music_track(prepared.story, composition, folder / "music.f32")
            write_wav_track(output, music_only_track(prepared, composition, music,
                                                     disk_tracks(folder)).track)
        synthesising.advance()


# ------------------------------------------------------------------ explain


def explain(story: Story, *, metrics: bool = False, cache: bool | Cache = True,
            on_progress: Progress | None = None) -> str:
    """Each scene's musical plan (key, tempo, instruments, texture) and the
    picture evidence for it; with ``metrics``, also the default path composed,
    how its music moves between scenes, and the quality checks."""
    from storyscore.pipeline.mapping import story_music
    from storyscore.pipeline.pictures import scene_pictures
    from storyscore.reports.explain import explain as explained
    from storyscore.reports.explain import path_notes, picture_notes
    from storyscore.reports.metrics import format_metrics, measure_story

    painting = Stage(on_progress, PAINTING, len(story.scenes))
    with _opened(cache) as opened:
        pictures = scene_pictures(story, story.scenes, opened,
                                  on_done=lambda p: painting.advance(p.scene_id))
        measured = None
        if metrics:
            measuring = Stage(on_progress, MEASURING, 1)
            measured = measure_story(story, opened)
            measuring.advance()
    features, music = story_music(story, {k: v.image for k, v in pictures.items()})
    text = explained(story, features, music, picture_notes(story))
    if measured is not None:
        checks, composition = measured
        text += "\n" + path_notes(composition.plans, composition.score)
        text += "\n" + format_metrics(checks)
    return text
