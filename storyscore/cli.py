"""The command line: each command loads its input, calls one stage, reports."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from storyscore import __version__
from storyscore.diagnostics import render_all, render_error
from storyscore.errors import ScriptError, StoryscoreError
from storyscore.files import write_text
from storyscore.settings import Overrides, apply, parse_size

if TYPE_CHECKING:
    from storyscore.dsl.load import Loaded
    from storyscore.model import Scene, Story
    from storyscore.pipeline.pictures import ScenePicture

app = typer.Typer(
    name="storyscore",
    help="Narrated, scored picture-book videos and books from a story script (.sco).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SizeOpt = Annotated[str | None, typer.Option(
    "--size", help="Picture size: 480p, 720p, 1080p, square, portrait or WxH.")]
FpsOpt = Annotated[int | None, typer.Option("--fps", help="Frames per second (1-60).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed for every random choice.")]
PainterOpt = Annotated[str | None, typer.Option(
    "--painter", help="Image backend: procedural or diffusers.")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="Model id or local folder for the diffusers painter.")]
NoCacheOpt = Annotated[bool, typer.Option(
    "--no-cache", help="Rebuild everything; read and write no cache.")]
PathOpt = Annotated[str | None, typer.Option(
    "--path", help="Scenes to take at the branch points, e.g. tower or storm,tower "
                   "(default: the first choice at every branch).")]
SoundfontOpt = Annotated[Path | None, typer.Option(
    "--soundfont", help="A .sf2 General MIDI soundfont for the score's instruments.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print no progress.")]
SafeOpt = Annotated[bool, typer.Option(
    "--safe", help="Refuse images and soundfonts from outside the script's folder "
                   "(for scripts from strangers).")]
StoryArg = Annotated[Path, typer.Argument(help="The story script (.sco).", metavar="STORY",
                                          show_default=False)]


def _fail(error: StoryscoreError, source: str | None = None) -> NoReturn:
    if isinstance(error, ScriptError):
        typer.echo(render_all(error.diagnostics, error.source), err=True)
        errors = sum(1 for d in error.diagnostics if d.severity == "error")
        typer.echo(f"{errors} error{'s' if errors != 1 else ''}; nothing was written", err=True)
        raise typer.Exit(2)
    typer.echo(render_error(error.message, error.span, error.hint, source), err=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"storyscore {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Narrated, scored picture-book videos and books from a story script (.sco)."""


@app.command()
def check(story: StoryArg) -> None:
    """Check a script and print its outline: scenes, durations, transitions, branches.

    Paints nothing. Problems are reported as FILE:LINE:COL with the source
    line; any error makes the exit status 2.
    """
    from storyscore.dsl.load import load_story
    from storyscore.reports.outline import outline

    try:
        loaded = load_story(story)
    except StoryscoreError as error:
        _fail(error)
    text, planned = outline(loaded.story)
    warnings = [*loaded.warnings, *planned]
    if warnings:
        typer.echo(render_all(warnings, loaded.source), err=True)
    typer.echo(text)


@app.command()
def fmt(
    story: StoryArg,
    write: Annotated[bool, typer.Option(
        "-w", "--write", help="Rewrite the file in place.")] = False,
    check_only: Annotated[bool, typer.Option(
        "--check", help="Print nothing; exit 1 if the file is not in canonical form.")] = False,
) -> None:
    """Print a script in canonical form (comments kept); -w rewrites it."""
    from storyscore.dsl.format import format_script
    from storyscore.dsl.load import load_story

    try:
        loaded = load_story(story)
    except StoryscoreError as error:
        _fail(error)
    formatted = format_script(loaded.source, str(story))
    if check_only:
        if formatted != loaded.source:
            typer.echo(f"{story} is not in canonical form; run: storyscore fmt -w {story}",
                       err=True)
            raise typer.Exit(1)
        return
    if write:
        if formatted != loaded.source:
            try:
                write_text(story, formatted)
            except StoryscoreError as error:
                _fail(error)
            typer.echo(f"reformatted {story}", err=True)
        return
    sys.stdout.write(formatted)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="The new script's name, e.g. 'lighthouse' "
                                        "(writes lighthouse.sco).", metavar="NAME",
                                        show_default=False)],
) -> None:
    """Write a new script from a template that checks and renders as it is."""
    from importlib import resources

    path = Path(name if name.endswith(".sco") else f"{name}.sco")
    if not name.strip() or path.name.startswith(".") or name.endswith(("/", "\\")):
        _fail(StoryscoreError(f"'{name}' is not a name for a script",
                              hint="give a name such as: storyscore new lighthouse"))
    if path.exists():
        _fail(StoryscoreError(f"{path} already exists", hint="choose another name or remove it"))
    stem = path.stem
    title = re.sub(r"[-_]+", " ", stem).strip().title() or "A New Story"
    template = resources.files("storyscore").joinpath("templates/new.sco").read_text("utf-8")
    text = template.replace("{title}", title.replace('"', "'")).replace("{filename}", str(path))
    if not path.parent.is_dir():
        _fail(StoryscoreError(f"folder {path.parent} does not exist"))
    try:
        write_text(path, text)
    except StoryscoreError as error:
        _fail(error)
    typer.echo(f"wrote {path}; next: storyscore check {path}")


def _load(story: Path, overrides: Overrides | None = None) -> Loaded:
    """Load and check a script (exiting on errors), then apply command-line overrides."""
    from storyscore.dsl.load import load_story

    try:
        loaded = load_story(story)
        if overrides is not None:
            loaded = dataclasses.replace(loaded, story=apply(loaded.story, overrides))
    except StoryscoreError as error:
        _fail(error)
    if loaded.warnings:
        typer.echo(render_all(loaded.warnings, loaded.source), err=True)
    return loaded


def _overrides(size: str | None = None, fps: int | None = None, seed: int | None = None,
               painter: str | None = None, model: str | None = None,
               soundfont: Path | None = None, safe: bool = False) -> Overrides:
    try:
        return Overrides(size=parse_size(size) if size else None, fps=fps, seed=seed,
                         painter=painter, model=model,
                         soundfont=str(soundfont.resolve()) if soundfont else None, safe=safe)
    except StoryscoreError as error:
        _fail(error)


@app.command()
def paint(
    story: StoryArg,
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="Folder for the pictures (default: STEM-pictures).")] = None,
    size: SizeOpt = None, seed: SeedOpt = None, painter: PainterOpt = None,
    model: ModelOpt = None, no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
) -> None:
    """Paint every scene's picture (all branches) into a folder, one PNG per scene."""
    from storyscore.cache import Cache
    from storyscore.pipeline.pictures import picture_file_name, save_png, scene_pictures
    from storyscore.progress import Progress

    loaded = _load(story, _overrides(size=size, seed=seed, painter=painter, model=model))
    scenes = loaded.story.scenes
    folder = out if out is not None else Path(f"{story.stem}-pictures")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(StoryscoreError(f"cannot create the folder {folder}: {exc.strerror}"))
    index = {scene.id: i for i, scene in enumerate(scenes)}
    cached = 0
    with Cache.from_env(enabled=not no_cache) as cache, Progress(quiet) as progress:
        task = progress.task("Painting", total=len(scenes))

        def saved(picture: ScenePicture) -> None:
            nonlocal cached
            cached += picture.cache_hit
            i = index[picture.scene_id]
            save_png(picture.image, folder / picture_file_name(i, scenes[i]))
            progress.advance(task, picture.scene_id)

        try:
            scene_pictures(loaded.story, scenes, cache, on_done=saved)
        except StoryscoreError as error:
            progress.stop()
            _fail(error, loaded.source)
    if not quiet:
        typer.echo(f"wrote {len(scenes)} pictures to {folder}/ ({cached} from the cache)",
                   err=True)


@app.command("explain")
def explain_command(
    story: StoryArg,
    size: SizeOpt = None, seed: SeedOpt = None, painter: PainterOpt = None,
    model: ModelOpt = None, no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
    metrics: Annotated[bool, typer.Option(
        "--metrics", help="Also compose the default path and print the eight quality "
                          "checks: figure, threshold, PASS or FAIL.")] = False,
) -> None:
    """Print each scene's musical plan (key, tempo, instruments, texture) and why."""
    from storyscore.cache import Cache
    from storyscore.pipeline.mapping import story_music
    from storyscore.pipeline.pictures import scene_pictures
    from storyscore.pipeline.soundtrack import Composition
    from storyscore.progress import Progress
    from storyscore.reports.explain import explain, path_notes, picture_notes
    from storyscore.reports.metrics import StoryMetrics, format_metrics, measure_story

    loaded = _load(story, _overrides(size=size, seed=seed, painter=painter, model=model))
    measured: tuple[StoryMetrics, Composition] | None = None
    with Cache.from_env(enabled=not no_cache) as cache, Progress(quiet) as progress:
        task = progress.task("Painting", total=len(loaded.story.scenes))
        try:
            pictures = scene_pictures(loaded.story, loaded.story.scenes, cache,
                                      on_done=lambda p: progress.advance(task, p.scene_id))
            if metrics:
                measuring = progress.task("Measuring", total=1)
                measured = measure_story(loaded.story, cache)
                progress.advance(measuring)
        except StoryscoreError as error:
            progress.stop()
            _fail(error, loaded.source)
    features, music = story_music(loaded.story, {k: v.image for k, v in pictures.items()})
    sys.stdout.write(explain(loaded.story, features, music, picture_notes(loaded.story)))
    if measured is not None:
        checks, composition = measured
        sys.stdout.write("\n" + path_notes(composition.plans, composition.score))
        sys.stdout.write("\n" + format_metrics(checks))


def _path(story: Story, picks: str | None) -> list[Scene]:
    from storyscore.timeline import choose_path, default_path

    if not picks:
        return default_path(story)
    try:
        return choose_path(story, [p.strip() for p in picks.split(",") if p.strip()])
    except StoryscoreError as error:
        _fail(error)


SCORE_FORMATS = {".musicxml": "musicxml", ".xml": "musicxml", ".mid": "midi",
                 ".midi": "midi", ".wav": "wav"}


@app.command()
def score(
    story: StoryArg,
    out: Annotated[Path, typer.Option(
        "-o", "--out", help="The file to write: .musicxml, .mid or .wav.",
        show_default=False)],
    path: PathOpt = None, size: SizeOpt = None, fps: FpsOpt = None, seed: SeedOpt = None,
    painter: PainterOpt = None, model: ModelOpt = None, soundfont: SoundfontOpt = None,
    no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
) -> None:
    """Write the music alone: MusicXML, MIDI or WAV, chosen by the file's extension."""
    from storyscore.audio.mix import write_wav
    from storyscore.cache import Cache
    from storyscore.export.musicxml import make_reproducible
    from storyscore.pipeline.outputs import check_outputs
    from storyscore.pipeline.prepare import prepare
    from storyscore.pipeline.soundtrack import compose_path, music_only
    from storyscore.progress import Progress

    kind = SCORE_FORMATS.get(out.suffix.lower())
    if kind is None:
        _fail(StoryscoreError(f"cannot tell what to write from '{out.name}'",
                              hint="use a .musicxml, .mid or .wav file name"))
    overrides = _overrides(size=size, fps=fps, seed=seed, painter=painter, model=model,
                           soundfont=soundfont)
    loaded = _load(story, overrides)
    scenes = _path(loaded.story, path)
    with Cache.from_env(enabled=not no_cache) as cache, Progress(quiet) as progress:
        bars = {"pictures": progress.task("Painting", len(loaded.story.scenes)),
                "narration": progress.task("Narrating", len(scenes))}
        try:
            check_outputs(loaded.story, [out])
            prepared = prepare(loaded.story, scenes, cache,
                               lambda stage, item: progress.advance(bars[stage], item))
            composing = progress.task("Composing", 1)
            composition = compose_path(prepared, scenes)
            progress.advance(composing)
            if kind == "musicxml":
                composition.score.write_musicxml(out)
                make_reproducible(out)
            elif kind == "midi":
                composition.score.write_midi(out)
            else:
                synthesising = progress.task("Synthesising", 1)
                write_wav(out, music_only(prepared, composition).audio)
                progress.advance(synthesising)
        except StoryscoreError as error:
            progress.stop()
            _fail(error, loaded.source)
    if not quiet:
        typer.echo(f"wrote {out} ({composition.duration:.1f}s of music, "
                   f"{len(scenes)} scenes: {' -> '.join(s.id for s in scenes)})", err=True)


@app.command()
def render(
    story: StoryArg,
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="The MP4 to write (default: STEM.mp4 in the current folder); "
                            "OUT.srt, OUT.musicxml and OUT.mid go beside it.")] = None,
    path: PathOpt = None,
    all_paths: Annotated[bool, typer.Option(
        "--all-paths", help="Render one MP4 per ending, each named after its path.")] = False,
    draft: Annotated[bool, typer.Option(
        "--draft", help="Fast, half-size render for checking a draft.")] = False,
    burn_subtitles: Annotated[bool, typer.Option(
        "--burn-subtitles", help="Draw the subtitles into the picture as well.")] = False,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=1, help="Scene segments to encode in parallel.")] = 1,
    size: SizeOpt = None, fps: FpsOpt = None, seed: SeedOpt = None,
    painter: PainterOpt = None, model: ModelOpt = None, soundfont: SoundfontOpt = None,
    no_cache: NoCacheOpt = False, quiet: QuietOpt = False, safe: SafeOpt = False,
) -> None:
    """Render the narrated, scored MP4 (with .srt, .musicxml and .mid beside it)."""
    import time

    from storyscore.cache import Cache
    from storyscore.pipeline.video import RenderJob, render_story
    from storyscore.progress import Progress
    from storyscore.timeline import all_paths as every_path

    started = time.monotonic()
    if all_paths and path:
        _fail(StoryscoreError("--path and --all-paths cannot be used together"))
    overrides = _overrides(size=size, fps=fps, seed=seed, painter=painter, model=model,
                           soundfont=soundfont, safe=safe)
    loaded = _load(story, overrides)
    base = out if out is not None else Path(f"{story.stem}.mp4")
    if base.suffix.lower() != ".mp4":
        _fail(StoryscoreError(f"{base}: the video is an .mp4 file", hint=f"use -o {base}.mp4"))
    if all_paths:
        paths = every_path(loaded.story)
        jobs_list = [RenderJob(p, _path_output(base, loaded.story, p, len(paths))) for p in paths]
    else:
        jobs_list = [RenderJob(_path(loaded.story, path), base)]
    with Cache.from_env(enabled=not no_cache) as cache, Progress(quiet) as progress:
        try:
            reports = render_story(loaded.story, jobs_list, cache, progress=progress,
                                   draft=draft, burn_subtitles=burn_subtitles, jobs_count=jobs)
        except StoryscoreError as error:
            progress.stop()
            _fail(error, loaded.source)
        except KeyboardInterrupt:
            progress.stop()
            typer.echo("interrupted: nothing was replaced; run again to resume from the cache",
                       err=True)
            raise typer.Exit(130) from None
    for warning in reports.warnings:
        typer.echo(render_all([warning], loaded.source), err=True)
    if not quiet:
        typer.echo(reports.summary(time.monotonic() - started), err=True)


@app.command()
def book(
    story: StoryArg,
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="The book's folder (default: STEM-book).")] = None,
    size: SizeOpt = None, seed: SeedOpt = None, painter: PainterOpt = None,
    model: ModelOpt = None, soundfont: SoundfontOpt = None,
    no_cache: NoCacheOpt = False, quiet: QuietOpt = False, safe: SafeOpt = False,
) -> None:
    """Make the interactive picture book: a folder that opens offline in a browser."""
    import time

    from storyscore.cache import Cache
    from storyscore.pipeline.book import make_book
    from storyscore.progress import Progress

    started = time.monotonic()
    overrides = _overrides(size=size, seed=seed, painter=painter, model=model,
                           soundfont=soundfont, safe=safe)
    loaded = _load(story, overrides)
    folder = out if out is not None else Path(f"{story.stem}-book")
    with Cache.from_env(enabled=not no_cache) as cache, Progress(quiet) as progress:
        try:
            made = make_book(loaded.story, folder, cache, progress)
        except StoryscoreError as error:
            progress.stop()
            _fail(error, loaded.source)
        except KeyboardInterrupt:
            progress.stop()
            typer.echo("interrupted: the book was not replaced", err=True)
            raise typer.Exit(130) from None
    if not quiet:
        typer.echo(f"wrote the book to {made}/ ({len(loaded.story.scenes)} pages); open "
                   f"{made / 'index.html'} in a browser ({time.monotonic() - started:.1f}s)",
                   err=True)


def _path_output(base: Path, story: Story, path: list[Scene], count: int) -> Path:
    """``STEM-PICK-PICK.mp4``: named after the choices taken at the branch points."""
    if count == 1:
        return base
    picks = [path[i + 1].id for i, scene in enumerate(path[:-1])
             if len(story.successors(scene)) > 1]
    return base.with_name(f"{base.stem}-{'-'.join(picks)}{base.suffix}")
