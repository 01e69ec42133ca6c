"""The Python API (``storyscore.api``, re-exported from ``storyscore``): what each
function makes and returns, its progress reports, and that importing it is cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import storyscore
from conftest import ROOT, TINY_BRANCHING
from storyscore import api
from storyscore.bars import Bars
from storyscore.cli import app
from storyscore.progress import STAGES, Progress

STORY = TINY_BRANCHING.format(title="Tiny")

Report = tuple[str, int, int, str]


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "tiny.sco"
    path.write_text(STORY)
    return path


def recorder() -> tuple[list[Report], Progress]:
    calls: list[Report] = []

    def record(stage: str, done: int, total: int, item: str) -> None:
        calls.append((stage, done, total, item))

    return calls, record


def test_import_is_cheap() -> None:
    heavy = ("numpy", "PIL", "lark", "music21", "typer", "rich", "scipy")
    code = ("import sys, storyscore; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_package_ships_its_type_information() -> None:
    assert (Path(storyscore.__file__).parent / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"py.typed"' in pyproject


def test_load_applies_overrides(script: Path) -> None:
    story = storyscore.load(script)
    assert (story.title, story.size.width, story.size.height, story.fps) == ("Tiny", 96, 64, 8)
    assert [s.id for s in story.scenes] == ["one", "two", "three"]
    story = storyscore.load(str(script), size="square", fps=12, seed=5)
    assert (story.size.width, story.size.height, story.fps, story.seed) == (1080, 1080, 12, 5)


def test_load_raises_a_script_error_with_every_diagnostic(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sco"
    bad.write_text(STORY.replace("size   96x64", "size   96x6").replace("-> three", "-> thre"))
    with pytest.raises(storyscore.ScriptError) as caught:
        storyscore.load(bad)
    found = [(d.span.line, d.message) for d in caught.value.diagnostics]
    assert found[0] == (2, "height 6 is out of range")
    assert any(line == 10 and "thre" in message for line, message in found)
    assert f"{bad}:2:8: error: height 6 is out of range" in str(caught.value)


def test_load_of_a_missing_file() -> None:
    with pytest.raises(storyscore.StoryscoreError, match=r"nope\.sco: no such file"):
        storyscore.load("nope.sco")


def test_paint_writes_the_pictures_and_reports_each(script: Path, tmp_path: Path) -> None:
    story = storyscore.load(script)
    calls, record = recorder()
    painted = storyscore.paint(story, tmp_path / "pictures", on_progress=record)
    names = [p.name for p in painted.files]
    assert names == ["01-one.png", "02-two.png", "03-three.png"]
    for path in painted.files:
        with Image.open(path) as image:
            assert image.size == (96, 64)
    assert painted.from_cache == 0
    assert calls == [("painting", 0, 3, ""), ("painting", 1, 3, "one"),
                     ("painting", 2, 3, "two"), ("painting", 3, 3, "three")]
    again = storyscore.paint(story, tmp_path / "again")
    assert again.from_cache == 3
    assert [p.read_bytes() for p in again.files] == [p.read_bytes() for p in painted.files]


def test_paint_without_the_cache_writes_none(script: Path, tmp_path: Path) -> None:
    storyscore.paint(storyscore.load(script), tmp_path / "p", cache=False)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.png"))


def test_score_writes_midi_of_the_chosen_path(script: Path, tmp_path: Path) -> None:
    story = storyscore.load(script)
    calls, record = recorder()
    scored = storyscore.score(story, tmp_path / "right.mid", path="three", on_progress=record)
    assert scored.scenes == ("one", "three")
    assert scored.kind == "midi"
    assert scored.duration > 3.5
    assert (tmp_path / "right.mid").read_bytes()[:4] == b"MThd"
    assert [c[0] for c in calls if c[1] == 0] == ["painting", "narrating", "composing"]
    assert calls[-1] == ("composing", 1, 1, "")
    listed = storyscore.score(story, tmp_path / "left.mid", path=["two"])
    assert listed.scenes == ("one", "two")


def test_score_refuses_an_unknown_format(script: Path, tmp_path: Path) -> None:
    with pytest.raises(storyscore.StoryscoreError) as caught:
        storyscore.score(storyscore.load(script), tmp_path / "music.ogg")
    assert caught.value.message == "cannot tell what to write from 'music.ogg'"
    assert not (tmp_path / "music.ogg").exists()


def test_a_bad_path_is_named(script: Path, tmp_path: Path) -> None:
    with pytest.raises(storyscore.StoryscoreError) as caught:
        storyscore.score(storyscore.load(script), tmp_path / "x.mid", path="thre")
    assert caught.value.message == "--path: there is no scene 'thre'"
    assert caught.value.hint == "did you mean 'three'?"


def test_explain_returns_what_the_command_prints(script: Path) -> None:
    text = storyscore.explain(storyscore.load(script))
    assert text.startswith("Tiny: the music, scene by scene\n")
    result = CliRunner().invoke(app, ["explain", str(script), "-q"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == text


def test_render_checks_the_output_before_any_work(script: Path, tmp_path: Path) -> None:
    story = storyscore.load(script)
    calls, record = recorder()
    with pytest.raises(storyscore.StoryscoreError, match=r"the video is an \.mp4 file"):
        storyscore.render(story, tmp_path / "tiny.avi", on_progress=record)
    with pytest.raises(storyscore.StoryscoreError, match="cannot be used together"):
        storyscore.render(story, tmp_path / "tiny.mp4", path="two", all_paths=True)
    assert calls == []


def test_paths_are_named_after_their_choices(script: Path) -> None:
    story = storyscore.load(script)
    one, two, three = story.scenes
    base = Path("out/tiny.mp4")
    assert api.path_output(base, story, [one, three], 2) == Path("out/tiny-three.mp4")
    assert api.path_output(base, story, [one, two], 1) == base


@pytest.mark.slow
def test_render_returns_every_video_and_reports_progress(script: Path, tmp_path: Path) -> None:
    story = storyscore.load(script)
    calls, record = recorder()
    result = storyscore.render(story, tmp_path / "out" / "tiny.mp4", all_paths=True,
                               on_progress=record)
    assert [v.output.name for v in result.videos] == ["tiny-two.mp4", "tiny-three.mp4"]
    first = result.videos[0]
    assert first.scenes == ("one", "two")
    assert [p.suffix for p in first.files] == [".mp4", ".srt", ".musicxml", ".mid"]
    assert all(p.is_file() for v in result.videos for p in v.files)
    assert (first.width, first.height, first.fps) == (96, 64, 8)
    assert first.duration == pytest.approx(4.0, abs=0.2)
    assert result.output == first.output
    assert {c[0] for c in calls} <= set(STAGES)
    starts = [c[0] for c in calls if c[1] == 0]
    assert starts[:2] == ["painting", "narrating"]
    assert starts.count("composing") == 2
    assert starts.count("video") >= 2
    video = [c for c in calls if c[0] == "video"]
    assert video[-1][1] == video[-1][2] > 1  # frames, counted to the last
    assert "from the cache: 0/3 pictures" in result.summary(1.0)
    # Rendering imported the engine package storyscore/render/: the function stays.
    again = storyscore.render(story, tmp_path / "again.mp4", path="three")
    assert again.videos[0].scenes == ("one", "three")


@pytest.mark.slow
def test_make_book_writes_a_page_per_scene(script: Path, tmp_path: Path) -> None:
    calls, record = recorder()
    made = storyscore.make_book(storyscore.load(script), tmp_path / "book", on_progress=record)
    assert made == tmp_path / "book"
    assert (made / "index.html").is_file()
    pages = [c for c in calls if c[0] == "pages"]
    assert pages[-1] == ("pages", 3, 3, "three")
    assert calls[-1][0] == "writing"
    assert calls[-1][1] == calls[-1][2]


def test_the_api_names_outrank_the_engine_packages() -> None:
    import storyscore.paint.procedural
    import storyscore.render.encode

    assert storyscore.render is api.render
    assert storyscore.paint is api.paint
    from storyscore.render import probe

    assert callable(probe)


def test_bars_start_a_new_bar_when_a_stage_starts_over() -> None:
    bars = Bars(quiet=False)
    assert bars._bars is not None
    for report in [("painting", 0, 2, ""), ("painting", 1, 2, "a"), ("composing", 0, 2, ""),
                   ("composing", 2, 2, "x.mp4"), ("composing", 0, 2, "")]:
        bars(*report)
    tasks = bars._bars.tasks
    assert [(t.description, t.completed, t.total) for t in tasks] == [
        ("Painting", 1, 2), ("Composing", 2, 2), ("Composing", 0, 2)]
    assert Bars(quiet=True)._bars is None
