"""The command line: each command loads its input, calls one stage, reports."""

from __future__ import annotations

import dataclasses
import functools
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
import typer.core

from storyscore import __version__
from storyscore.diagnostics import render_all, render_error
from storyscore.errors import ScriptError, StoryscoreError
from storyscore.files import write_text
from storyscore.processes import usable_cpus
from storyscore.settings import Overrides, apply, parse_size

if TYPE_CHECKING:
    from storyscore.dsl.load import Loaded
    from storyscore.pipeline.executor import Executor

RAY_OPTION = "--ray"
LOCAL_RAY = "local"  # what a bare --ray means: a Ray instance on this machine, for this run


def optional_ray_address(args: Sequence[str]) -> list[str]:
    """``args`` with ``local`` after each ``--ray`` that has no address of its own.

    ``--ray`` may stand alone (at the end, before another option, or before a
    story file); Typer's parser has no options with optional values, so the
    missing value is filled in before it parses.
    """
    out = list(args)
    i = 0
    while i < len(out):
        if out[i] == "--":
            break
        if out[i] == RAY_OPTION:
            following = out[i + 1] if i + 1 < len(out) else None
            if following is None or following.startswith("-") or following.endswith(".sco"):
                out.insert(i + 1, LOCAL_RAY)
        i += 1
    return out


class _Commands(typer.core.TyperGroup):
    """The command group, with ``--ray``'s address made optional (see ``optional_ray_address``)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        given = sys.argv[1:] if args is None else args
        return super().main(optional_ray_address(given), *rest, **kwargs)


app = typer.Typer(
    cls=_Commands,
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


def _painter_help() -> str:
    """``--painter``'s help, naming the painters installed as plugins."""
    from storyscore import plugins, vocab

    extra = plugins.names(plugins.PAINTERS, besides=vocab.PAINTERS)
    if not extra:
        return "Image backend: procedural or diffusers."
    return f"Image backend: procedural, diffusers or a plugin: {', '.join(extra)}."


PainterOpt = Annotated[str | None, typer.Option("--painter", help=_painter_help())]
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
StoriesArg = Annotated[list[Path], typer.Argument(
    help="The story scripts (.sco); with several, -o names a folder.", metavar="STORY...",
    show_default=False)]
RayOpt = Annotated[str | None, typer.Option(
    RAY_OPTION, metavar="[ADDRESS]",
    help="Paint, narrate, compose and encode as tasks on a Ray cluster: HOST:PORT, 'auto' "
         "(the cluster started here with 'ray start'), or nothing for a Ray instance of "
         "this run. Needs the ray extra and the cache (shared by every node).")]


def _report(error: StoryscoreError, source: str | None = None) -> None:
    """Print an error in the one diagnostic format."""
    if isinstance(error, ScriptError):
        typer.echo(render_all(error.diagnostics, error.source), err=True)
        errors = sum(1 for d in error.diagnostics if d.severity == "error")
        typer.echo(f"{errors} error{'s' if errors != 1 else ''}; nothing was written", err=True)
        return
    typer.echo(render_error(error.message, error.span, error.hint, source), err=True)


def _fail(error: StoryscoreError, source: str | None = None) -> NoReturn:
    _report(error, source)
    raise typer.Exit(2)


_SOURCE: ContextVar[str | None] = ContextVar("storyscore_source", default=None)
"""The text of the script the running command loaded, for errors that point into it."""

P = ParamSpec("P")
R = TypeVar("R")


def guarded(interrupted: str = "nothing was replaced"
            ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a command so that every failure ends the same way: a ``StoryscoreError``
    or an ``OSError`` prints in the one format and exits 2; an interrupt prints
    ``interrupted: INTERRUPTED`` and exits 130. Never a traceback."""
    def wrap(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            token = _SOURCE.set(None)
            try:
                return command(*args, **kwargs)
            except StoryscoreError as error:
                _fail(error, _SOURCE.get())
            except KeyboardInterrupt:
                typer.echo(f"interrupted: {interrupted}", err=True)
                raise typer.Exit(130) from None
            except OSError as exc:
                where = f"{exc.filename}: " if exc.filename else ""
                _fail(StoryscoreError(f"{where}{exc.strerror or exc}"))
            finally:
                _SOURCE.reset(token)
        return run
    return wrap


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
@guarded()
def check(story: StoryArg) -> None:
    """Check a script and print its outline: scenes, durations, transitions, branches.

    Paints nothing. Problems are reported as FILE:LINE:COL with the source
    line; any error makes the exit status 2.
    """
    from storyscore.dsl.load import load_story
    from storyscore.reports.outline import outline

    loaded = load_story(story)
    text, planned = outline(loaded.story)
    warnings = [*loaded.warnings, *planned]
    if warnings:
        typer.echo(render_all(warnings, loaded.source), err=True)
    typer.echo(text)


@app.command()
@guarded()
def fmt(
    story: StoryArg,
    write: Annotated[bool, typer.Option(
        "-w", "--write", help="Rewrite the file in place.")] = False,
    check_only: Annotated[bool, typer.Option(
        "--check", help="Print nothing; exit 1 if the file is not in canonical form.")] = False,
) -> None:
    """Print a script in canonical form (comments kept); -w rewrites it."""
    from storyscore.dsl.format import format_script, in_style_of
    from storyscore.dsl.load import load_story

    loaded = load_story(story)
    formatted = in_style_of(format_script(loaded.source, str(story)), loaded.source)
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
@guarded()
def new(
    name: Annotated[str, typer.Argument(help="The new script's name, e.g. 'lighthouse' "
                                        "(writes lighthouse.sco).", metavar="NAME",
                                        show_default=False)],
) -> None:
    """Write a new script from a template that checks and renders as it is."""
    from importlib import resources

    path = Path(name if name.endswith(".sco") else f"{name}.sco")
    # A control character (a tab, an escape) would make a script that fails its own check.
    if (not name.strip() or path.name.startswith(".") or name.endswith(("/", "\\"))
            or not name.isprintable()):
        raise StoryscoreError(f"'{name}' is not a name for a script",
                              hint="give a name such as: storyscore new lighthouse")
    if path.exists():
        raise StoryscoreError(f"{path} already exists", hint="choose another name or remove it")
    # Each word gets a capital and keeps the rest as typed: "o'brien" gives "O'brien",
    # "O'Brien" stays (str.title made "It'S" of "it's").
    title = " ".join(word[:1].upper() + word[1:]
                     for word in re.sub(r"[-_]+", " ", path.stem).split()) or "A New Story"
    # The title line is a string of the language: a backslash or a quote is escaped.
    quoted = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    template = resources.files("storyscore").joinpath("templates/new.sco").read_text("utf-8")
    text = (template.replace('"{title}"', quoted).replace("{title}", title)
            .replace("{filename}", shlex.quote(str(path))))
    if not path.parent.is_dir():
        raise StoryscoreError(f"folder {path.parent} does not exist")
    write_text(path, text)
    typer.echo(f"wrote {path}; next: storyscore check {shlex.quote(str(path))}")


def _load(story: Path, overrides: Overrides | None = None) -> Loaded:
    """Load and check a script, apply command-line overrides, print its warnings."""
    from storyscore.dsl.load import load_story

    loaded = load_story(story)
    if overrides is not None:
        loaded = dataclasses.replace(loaded, story=apply(loaded.story, overrides))
    _SOURCE.set(loaded.source)
    if loaded.warnings:
        typer.echo(render_all(loaded.warnings, loaded.source), err=True)
    return loaded


def _overrides(size: str | None = None, fps: int | None = None, seed: int | None = None,
               painter: str | None = None, model: str | None = None,
               soundfont: Path | None = None, safe: bool = False) -> Overrides:
    return Overrides(size=parse_size(size) if size else None, fps=fps, seed=seed,
                     painter=painter, model=model,
                     soundfont=str(soundfont.resolve()) if soundfont else None, safe=safe)


@app.command()
@guarded(interrupted="the pictures painted so far are in place; run again to resume")
def paint(
    story: StoryArg,
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="Folder for the pictures (default: STEM-pictures).")] = None,
    size: SizeOpt = None, seed: SeedOpt = None, painter: PainterOpt = None,
    model: ModelOpt = None, no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
    layout: Annotated[bool, typer.Option(
        "--layout", help="Also write beside each PNG a JSON list of what it shows where.")
    ] = False,
) -> None:
    """Paint every scene's picture (all branches) into a folder, one PNG per scene."""
    from storyscore import api
    from storyscore.bars import Bars

    loaded = _load(story, _overrides(size=size, seed=seed, painter=painter, model=model))
    folder = out if out is not None else Path(f"{story.stem}-pictures")
    with Bars(quiet) as bars:
        painted = api.paint(loaded.story, folder, layout=layout,
                              cache=not no_cache, on_progress=bars)
    if not quiet:
        count = len(painted.files)
        typer.echo(f"wrote {count} picture{'s' if count != 1 else ''} to {folder}/ "
                   f"({painted.from_cache} from the cache)", err=True)


@app.command("explain")
@guarded(interrupted="nothing was written")
def explain_command(
    story: StoryArg,
    size: SizeOpt = None, seed: SeedOpt = None, painter: PainterOpt = None,
    model: ModelOpt = None, no_cache: NoCacheOpt = False, quiet: QuietOpt = False,
    metrics: Annotated[bool, typer.Option(
        "--metrics", help="Also compose the default path and print the fourteen "
                          "quality checks: figure, threshold, PASS or FAIL.")] = False,
) -> None:
    """Print each scene's musical plan (key, tempo, instruments, texture) and why."""
    from storyscore import api
    from storyscore.bars import Bars

    loaded = _load(story, _overrides(size=size, seed=seed, painter=painter, model=model))
    with Bars(quiet) as bars:
        text = api.explain(loaded.story, metrics=metrics, cache=not no_cache, on_progress=bars)
    sys.stdout.write(text)


@app.command()
@guarded()
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
    from storyscore import api
    from storyscore.bars import Bars

    api.score_format(out)  # before loading: a wrong name is the first thing to say
    overrides = _overrides(size=size, fps=fps, seed=seed, painter=painter, model=model,
                           soundfont=soundfont)
    loaded = _load(story, overrides)
    with Bars(quiet) as bars:
        scored = api.score(loaded.story, out, path=path, cache=not no_cache, on_progress=bars)
    if not quiet:
        typer.echo(f"wrote {out} ({scored.duration:.1f}s of music, "
                   f"{len(scored.scenes)} scene{'s' if len(scored.scenes) != 1 else ''}: "
                   f"{' -> '.join(scored.scenes)})", err=True)


@contextmanager
def _executor(ray: str | None, no_cache: bool) -> Iterator[Executor | None]:
    """The Ray cluster's executor for ``--ray``, or None (Ray is then never imported)."""
    from storyscore.api import needs_cache

    if ray is None:
        yield None
        return
    if no_cache:
        raise needs_cache()  # before connecting, which takes seconds
    from storyscore.pipeline.distributed import connect

    with connect(ray) as executor:
        yield executor


def _story_outputs(stories: Sequence[Path], out: Path | None,
                   named: Callable[[Path], str]) -> list[Path]:
    """Where each story's output goes: with one story ``out`` (default: ``named(story)``
    here); with several, each ``named(story)`` in the folder ``out`` (default: here)."""
    if len(stories) == 1:
        return [out if out is not None else Path(named(stories[0]))]
    seen: dict[str, Path] = {}
    for story in stories:
        if story.stem in seen:
            raise StoryscoreError(
                f"{seen[story.stem]} and {story} would write the same files ({named(story)})",
                hint="rename one of them, or render them one at a time with -o")
        seen[story.stem] = story
    folder = out if out is not None else Path()
    if folder.suffix.lower() == ".mp4" or (folder.exists() and not folder.is_dir()):
        raise StoryscoreError(f"with several stories, -o names a folder, not {folder}",
                              hint="each story's files are named after it inside that folder")
    return [folder / named(story) for story in stories]


def _each_story(stories: Sequence[Path], outputs: Sequence[Path],
                work: Callable[[Path, Path], None]) -> None:
    """Run ``work(story, output)`` for each story. With several, a story that fails
    prints its error and the others still run; the command then exits 2 naming
    the ones that failed."""
    if len(stories) == 1:
        work(stories[0], outputs[0])
        return
    failed: list[Path] = []
    for story, output in zip(stories, outputs, strict=True):
        _SOURCE.set(None)
        try:
            work(story, output)
        except StoryscoreError as error:
            _report(error, _SOURCE.get())
            failed.append(story)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            _report(StoryscoreError(f"{where}{exc.strerror or exc}"))
            failed.append(story)
    if failed:
        typer.echo(f"{len(failed)} of {len(stories)} stories failed: "
                   f"{', '.join(str(story) for story in failed)}", err=True)
        raise typer.Exit(2)


@app.command()
@guarded(interrupted="nothing was replaced; run again to resume from the cache")
def render(
    stories: StoriesArg,
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="The MP4 to write (default: STEM.mp4 in the current folder); "
                            "OUT.srt, OUT.musicxml and OUT.mid go beside it. With several "
                            "stories, a folder for STEM.mp4 of each (default: here).")] = None,
    path: PathOpt = None,
    all_paths: Annotated[bool, typer.Option(
        "--all-paths", help="Render one MP4 per path to an ending (no scene twice), "
                            "each named after the choices it takes.")] = False,
    draft: Annotated[bool, typer.Option(
        "--draft", help="Fast, half-size render for checking a draft.")] = False,
    burn_subtitles: Annotated[bool, typer.Option(
        "--burn-subtitles", help="Draw the subtitles into the picture as well.")] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, show_default=False,
        help="Worker processes encoding scene segments while the story is painted, "
             f"narrated and composed (default: one per CPU, {usable_cpus()} here).")] = None,
    size: SizeOpt = None, fps: FpsOpt = None, seed: SeedOpt = None,
    painter: PainterOpt = None, model: ModelOpt = None, soundfont: SoundfontOpt = None,
    no_cache: NoCacheOpt = False, quiet: QuietOpt = False, safe: SafeOpt = False,
    ray: RayOpt = None,
) -> None:
    """Render each story's narrated, scored MP4, with .srt, .musicxml and .mid beside it."""
    from storyscore import api
    from storyscore.bars import Bars

    if all_paths and path:
        raise StoryscoreError("--path and --all-paths cannot be used together")
    if path and len(stories) > 1:
        raise StoryscoreError("--path names the scenes of one story",
                              hint="use --all-paths, or render the stories one at a time")
    overrides = _overrides(size=size, fps=fps, seed=seed, painter=painter, model=model,
                           soundfont=soundfont, safe=safe)
    outputs = _story_outputs(stories, out, lambda story: f"{story.stem}.mp4")

    def render_one(story: Path, output: Path, executor: Executor | None) -> None:
        started = time.monotonic()
        loaded = _load(story, overrides)
        with Bars(quiet) as bars:
            result = api.render(loaded.story, output, path=path, all_paths=all_paths,
                                draft=draft, burn_subtitles=burn_subtitles, jobs=jobs,
                                cache=not no_cache, on_progress=bars, executor=executor)
        for warning in result.warnings:
            typer.echo(render_all([warning], loaded.source), err=True)
        if not quiet:
            typer.echo(result.summary(time.monotonic() - started), err=True)

    with _executor(ray, no_cache) as executor:
        _each_story(stories, outputs, lambda story, output: render_one(story, output, executor))


@app.command()
@guarded(interrupted="the book was not replaced")
def book(
    stories: StoriesArg,
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", help="The book's folder (default: STEM-book). With several "
                            "stories, the folder for STEM-book of each (default: here).")
    ] = None,
    size: SizeOpt = None, seed: SeedOpt = None, painter: PainterOpt = None,
    model: ModelOpt = None, soundfont: SoundfontOpt = None,
    no_cache: NoCacheOpt = False, quiet: QuietOpt = False, safe: SafeOpt = False,
    ray: RayOpt = None,
) -> None:
    """Make each story's interactive picture book: a folder that opens offline in a browser.

    The book holds every scene of every path.
    """
    from storyscore import api
    from storyscore.bars import Bars

    overrides = _overrides(size=size, seed=seed, painter=painter, model=model,
                           soundfont=soundfont, safe=safe)
    outputs = _story_outputs(stories, out, lambda story: f"{story.stem}-book")

    def make_one(story: Path, folder: Path, executor: Executor | None) -> None:
        started = time.monotonic()
        loaded = _load(story, overrides)
        with Bars(quiet) as bars:
            made = api.make_book(loaded.story, folder, cache=not no_cache, on_progress=bars,
                                 executor=executor)
        if not quiet:
            pages = len(loaded.story.scenes)
            typer.echo(f"wrote the book to {made}/ ({pages} page{'s' if pages != 1 else ''}); open "
                       f"{made / 'index.html'} in a browser "
                       f"({time.monotonic() - started:.1f}s)", err=True)

    with _executor(ray, no_cache) as executor:
        _each_story(stories, outputs, lambda story, folder: make_one(story, folder, executor))
# -- the author's loop: language server and live preview ----------------------


@app.command()
@guarded()
def lsp() -> None:
    """Run a Language Server Protocol server on stdin/stdout, for editors.

    It reports check's diagnostics as you type (with quick fixes), completes
    keywords, settings and ids, shows scene lengths and music on hover, finds
    definitions and references, lists the scenes and formats like fmt.
    """
    try:
        from storyscore.lsp.server import serve
    except ImportError as exc:
        raise StoryscoreError(f"the language server needs pygls ({exc.name} is missing)",
                              hint="pip install 'pygls>=2,<3'") from None
    serve()


@app.command()
@guarded(interrupted="the preview stopped")
def preview(
    story: StoryArg,
    port: Annotated[int, typer.Option(
        "--port", min=0, max=65535, help="Port on 127.0.0.1 (default: a free one).")] = 0,
    no_open: Annotated[bool, typer.Option(
        "--no-open", help="Do not open the preview in a browser.")] = False,
) -> None:
    """Preview the story in the browser; the page follows every save of the script.

    Served on loopback only. Errors show in the page as check prints them, over
    the last good preview. Ctrl-C stops it.
    """
    import webbrowser

    from storyscore.cache import Cache
    from storyscore.dsl.load import read_script
    from storyscore.preview.server import PreviewServer
    from storyscore.preview.state import PreviewBuilder, Snapshot

    read_script(story)  # a missing file is an error here, not a page that waits

    def report(snapshot: Snapshot) -> None:
        state = "has errors (shown in the page)" if snapshot.error else "is up to date"
        typer.echo(f"update {snapshot.version}: {story} {state}", err=True)

    with Cache.from_env() as cache:
        server = PreviewServer(PreviewBuilder(story, cache), port)
        typer.echo(f"previewing {story} at {server.url} (Ctrl-C stops)", err=True)
        if not no_open:
            webbrowser.open(server.url)
        try:
            server.serve(on_rebuild=report)
        except KeyboardInterrupt:
            typer.echo("stopping the preview", err=True)
        finally:
            server.stop()
