"""The one guard around every command: errors in the one format with exit 2,
interrupts with exit 130, and failed writes reported without a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from storyscore import api
from storyscore.cli import app

STORY = 'voice none\nsize 96x64\n\nscene a 2s\n    prompt "a forest"\n'


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "s.sco"
    path.write_text(STORY)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize(("command", "function", "args", "message"), [
    ("paint", "paint", [],
     "the pictures painted so far are in place; run again to resume"),
    ("explain", "explain", [], "nothing was written"),
    ("score", "score", ["-o", "m.mid"], "nothing was replaced"),
    ("render", "render", [], "nothing was replaced; run again to resume from the cache"),
    ("book", "make_book", [], "the book was not replaced"),
])
def test_an_interrupt_exits_130_and_says_what_is_left(
        script: Path, monkeypatch: pytest.MonkeyPatch, command: str, function: str,
        args: list[str], message: str) -> None:
    monkeypatch.setattr(api, function, interrupt)
    code, out, err = run(command, str(script), *args)
    assert (code, out, err) == (130, "", f"interrupted: {message}\n")


def test_a_failed_write_is_an_error_not_a_traceback(script: Path, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    code, _, err = run("score", str(script), "-o", "blocker/music.mid", "-q")
    assert code == 2
    assert err == "error: cannot write blocker/music.mid: Not a directory\n"


def test_an_os_error_below_the_cli_is_an_error_not_a_traceback(
        script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device", "out.mid")

    monkeypatch.setattr(api, "score", full)
    code, out, err = run("score", str(script), "-o", "out.mid", "-q")
    assert (code, out, err) == (2, "", "error: out.mid: No space left on device\n")


def test_an_error_inside_a_stage_points_into_the_loaded_script(
        script: Path, tmp_path: Path) -> None:
    script.write_text('painter diffusers "no-such-org/no-such-model"\n' + STORY)
    code, _, err = run("paint", str(script), "-o", str(tmp_path / "p"))
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith(f"{script}:1:9: error: model 'no-such-org/no-such-model'")
    assert lines[1:3] == ['   1 | painter diffusers "no-such-org/no-such-model"',
                          "     |         ^~~~~~~~~"]


def test_a_script_error_lists_every_problem(script: Path) -> None:
    script.write_text(STORY.replace("96x64", "96x6").replace("2s", "-2s"))
    code, out, err = run("render", str(script))
    assert (code, out) == (2, "")
    assert err.endswith("2 errors; nothing was written\n")
    assert not Path("s.mp4").exists()
