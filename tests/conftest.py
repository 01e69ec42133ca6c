"""Shared test fixtures; ``--update-golden`` rewrites golden files instead of comparing."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import mido  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import settings

from storyscore.cache import Cache
from storyscore.dsl.load import load_story
from storyscore.model import Scene, Story
from storyscore.pipeline.prepare import Prepared, prepare
from storyscore.pipeline.soundtrack import Composition, compose_path
from storyscore.settings import Overrides, apply, parse_size

# Property tests run in two ways. The test suite (``make test``, CI) is a gate:
# derandomized, each test tries the same examples every run, so a run fails
# only where the code changed, never by a new draw. ``make fuzz`` explores:
# fresh examples each run, failures kept in .hypothesis/ to replay; add each
# one it finds to its test as an ``@example``.
settings.register_profile("gate", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, print_blob=True)
settings.load_profile("gate")  # ``--hypothesis-profile fuzz`` replaces it

ROOT = Path(__file__).resolve().parent.parent
STORIES = sorted((ROOT / "stories").glob("*.sco"))
DATA = ROOT / "tests" / "data"

# A tiny branching story that renders in seconds (no voice, 96x64 at 8 fps).
TINY_BRANCHING = '''title  "{title}"
size   96x64
fps    8
voice  none

scene one "One" 2s
    prompt  "a lighthouse at night"
    narrate "A short line."
    choice  "Left" -> two
    choice  "Right" -> three

scene two 2s
    prompt  "a sunny meadow at noon"
    end

scene three 2s
    prompt  "a quiet lake at dusk"
    end
'''


# Modules whose every test runs ffmpeg, a voice, soundfont synthesis, torch or a
# browser: marked ``slow`` here, so ``pytest -m "not slow"`` is the fast loop.
SLOW_MODULES = frozenset({
    "test_render_cli", "test_render_video", "test_video_browser", "test_book_browser",
    "test_book_story", "test_sound_story", "test_synth", "test_voices", "test_paint_diffusers",
    "test_lsp", "test_notation", "test_compose_story", "test_distributed",
})
# Tests that compose whole example stories through the real pipeline (pictures,
# voices, music21), or run the CLI as an unprivileged process: slow wherever they live.
SLOW_FIXTURES = frozenset({"prepared_example", "composed_example", "example_metrics",
                           "shared_dir"})
SLOW_PREFIXES = ("test_generated_paths_",)


# The longest modules, longest first (CPU seconds per module, measured 2026-12-03 on 2
# busy cores: reliability 73, of which the joe voice's long run was 43, now 16; delivery
# 63; metrics 31; lsp 31, now 16 with one server for the module; diffusers 29;
# render_cli 24; docs_python 17; notation 16; voices 14; properties 14; the story book
# 11). They start the run, and the other modules with a slow test follow, so that no
# long test is left for one xdist worker while the other idles.
LONGEST_FIRST = ("test_reliability", "test_delivery", "test_metrics", "test_paint_diffusers",
                 "test_render_cli", "test_docs_python", "test_notation", "test_lsp",
                 "test_voices", "test_properties", "test_book_story")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (item.path.stem in SLOW_MODULES or item.get_closest_marker("browser")
                or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.name.startswith(SLOW_PREFIXES)):
            item.add_marker(pytest.mark.slow)
    longest_first(items)


def longest_first(items: list[pytest.Item]) -> None:
    """Order the modules by cost: ``LONGEST_FIRST``, then those with a slow test, then the rest.

    A module's tests stay together and in their order (its module fixtures are
    made once); the quick modules come last and fill both workers to the end.
    """
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> int:
        stem = item.path.stem
        if stem in LONGEST_FIRST:
            return LONGEST_FIRST.index(stem)
        return len(LONGEST_FIRST) + (0 if item.path in slow_modules else 1)

    items.sort(key=rank)


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scratch folder that every xdist worker of this run shares."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return tmp_path_factory.getbasetemp()
    # Each worker's base temp folder lies in the run's own folder.
    return tmp_path_factory.getbasetemp().parent


@contextlib.contextmanager
def run_lock(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """Hold the run-wide lock ``name`` and give its folder in the run's shared folder.

    What a test makes there under the lock, the other xdist worker finds made:
    a module's tests that two workers run share one costly result.
    """
    folder = run_folder(tmp_path_factory) / name
    folder.mkdir(exist_ok=True)
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield folder


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole run, never the user's own.

    The xdist workers of a run share it (the cache is safe across processes), so
    a picture or narration one worker made is a hit for the other.
    """
    shared = run_folder(tmp_path_factory) / "cache"
    shared.mkdir(exist_ok=True)
    return shared


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory,
              shared_cache: Path) -> None:
    """Every test gets its own home folder and the run's scratch cache.

    The cache is shared between the tests of one run (pictures and narration
    are slow to make); a test that needs an empty cache sets
    ``STORYSCORE_CACHE`` itself.
    """
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("STORYSCORE_CACHE", str(shared_cache))


# What the session fixtures below hand out: an example's Prepared by name, and a
# path of an example composed.
PreparedExample = Callable[[str], Prepared]
ComposedExample = Callable[[str, Sequence[Scene]], Composition]


def small_example(name: str) -> Story:
    """The example story ``stories/<name>.sco`` at 96x64 (the size the composing tests use)."""
    return apply(load_story(ROOT / "stories" / f"{name}.sco").story,
                 Overrides(size=parse_size("96x64")))


@pytest.fixture(scope="session")
def prepared_example(shared_cache: Path) -> Iterator[PreparedExample]:
    """Each example story at 96x64, prepared once per worker: every scene's picture,
    narration (real voices) and music plan, shared by every module that composes it.

    A ``Prepared`` of all scenes serves any path of the story: ``compose_path``
    reads the narration of the path's scenes only.
    """
    prepared: dict[str, Prepared] = {}
    with Cache(shared_cache) as cache:
        def get(name: str) -> Prepared:
            if name not in prepared:
                story = small_example(name)
                prepared[name] = prepare(story, story.scenes, cache)
            return prepared[name]

        yield get


@pytest.fixture(scope="session")
def composed_example(prepared_example: PreparedExample) -> ComposedExample:
    """A path of an example story (at 96x64) composed as the renderer does, once per worker."""
    composed: dict[tuple[str, tuple[str, ...]], Composition] = {}

    def get(name: str, path: Sequence[Scene]) -> Composition:
        key = (name, tuple(scene.id for scene in path))
        if key not in composed:
            composed[key] = compose_path(prepared_example(name), path)
        return composed[key]

    return get


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def compare_golden(path: Path, actual: str, update: bool) -> None:
    """Assert ``actual`` equals the golden file (or rewrite it with --update-golden)."""
    if update or not path.exists():
        if not update:
            pytest.fail(f"golden file {path} is missing; run pytest --update-golden")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs; run pytest --update-golden if intended"


PIANO = 0  # General MIDI program of the acoustic grand piano


def make_midi(
    notes: list[tuple[int, int, float, float]],
    *,
    bpm: float = 120.0,
    programs: dict[int, int] | None = None,
) -> bytes:
    """A type-1 MIDI file: one track per channel of (channel, pitch, start beat, beats)."""
    song = mido.MidiFile(type=1, ticks_per_beat=480)
    tempo_track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))])
    song.tracks.append(tempo_track)
    for channel, program in sorted((programs or {0: PIANO}).items()):
        events: list[tuple[int, mido.Message]] = [
            (0, mido.Message("program_change", channel=channel, program=program))
        ]
        for ch, pitch, start, beats in notes:
            if ch != channel:
                continue
            on, off = round(start * 480), round((start + beats) * 480)
            events.append((on, mido.Message("note_on", channel=ch, note=pitch, velocity=96)))
            events.append((off, mido.Message("note_off", channel=ch, note=pitch, velocity=0)))
        events.sort(key=lambda event: event[0])
        track = mido.MidiTrack()
        now = 0
        for tick, message in events:
            track.append(message.copy(time=tick - now))
            now = tick
        song.tracks.append(track)
    out = io.BytesIO()
    song.save(file=out)
    return out.getvalue()
