"""Shared test fixtures; ``--update-golden`` rewrites golden files instead of comparing."""

from __future__ import annotations

import io
from pathlib import Path

import mido  # type: ignore[import-untyped, unused-ignore]
import pytest

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
SLOW_FIXTURES = frozenset({"example_metrics", "shared_dir"})
SLOW_PREFIXES = ("test_generated_paths_",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (item.path.stem in SLOW_MODULES or item.get_closest_marker("browser")
                or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.name.startswith(SLOW_PREFIXES)):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole run (per xdist worker), never the user's own."""
    return tmp_path_factory.mktemp("cache")


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
