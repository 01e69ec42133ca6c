"""Bad scripts and the exact diagnostics ``storyscore check`` prints for them.

Each ``tests/bad/NAME.sco`` has its expected standard error in ``NAME.err``
(regenerate with ``pytest --update-golden`` and read the diff).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT, compare_golden
from storyscore.cli import app
from storyscore.dsl.load import parse_story
from storyscore.errors import ScriptError

BAD = sorted((ROOT / "tests" / "bad").glob("*.sco"))


def test_there_are_at_least_thirty_bad_scripts() -> None:
    assert len(BAD) >= 30


@pytest.mark.parametrize("script", BAD, ids=lambda p: p.stem)
def test_bad_script(script: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(script.parent)
    result = CliRunner().invoke(app, ["check", script.name])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "Expected one of" not in result.stderr
    compare_golden(script.with_suffix(".err"), result.stderr, update_golden)


def test_every_problem_is_reported_together() -> None:
    text = (ROOT / "tests" / "bad" / "many-errors.sco").read_text()
    with pytest.raises(ScriptError) as caught:
        parse_story(text, "many-errors.sco")
    errors = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert len(errors) >= 10
    lines = [d.span.line for d in errors]
    assert lines == sorted(lines)


def test_a_script_error_carries_its_location() -> None:
    with pytest.raises(ScriptError) as caught:
        parse_story('scene a\n    camera wobble\n    prompt "x"\n', "s.sco")
    error = caught.value
    assert error.span is not None
    assert (error.span.file, error.span.line, error.span.column) == ("s.sco", 2, 12)
    assert error.hint is None or "did you mean" not in error.hint
    assert str(error).startswith("s.sco:2:12: error: unknown camera move 'wobble'")
