"""Reliability and safety (issue 17): hostile scripts, failing disks, damaged caches.

Each test names the defect of issue 17 it guards (``#N``). Fast ones run here;
those that render, speak or kill a real render are marked ``slow``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyscore.cli import app
from storyscore.diagnostics import printable
from storyscore.dsl.format import format_script
from storyscore.dsl.load import MAX_SCRIPT_BYTES, parse_story
from storyscore.errors import ScriptError

HEADER = 'title "T"\nsize 320x180\nfps 8\nvoice none\n'


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def errors_of(text: str) -> list[str]:
    """The messages of the errors ``text`` gets, in order."""
    with pytest.raises(ScriptError) as caught:
        parse_story(text, "s.sco")
    return [d.message for d in caught.value.diagnostics if d.severity == "error"]


def script(tmp_path: Path, text: str, name: str = "s.sco") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# -- #2 every range the engines enforce is checked at load time ---------------


@pytest.mark.parametrize("duration", ["1ms", "100ms", "100000m", "1441m", "9" * 400 + "s"])
def test_scene_durations_outside_the_engines_range_are_located_errors(duration: str) -> None:
    text = HEADER + f'scene a {duration}\n    prompt "x"\n'
    with pytest.raises(ScriptError) as caught:
        parse_story(text, "s.sco")
    (error,) = caught.value.diagnostics
    assert error.message.startswith("a scene's duration of ")
    assert error.message.endswith(" is out of range")
    assert (error.span.line, error.span.column) == (5, 9)
    assert len(error.message) < 80  # a 400-digit number is cut short
    assert "inf" not in str(caught.value)


@pytest.mark.parametrize("duration", ["250ms", "24m", "1440m"])
def test_scene_durations_at_the_limits_are_accepted(duration: str) -> None:
    parse_story(HEADER + f'scene a {duration}\n    prompt "x"\n', "s.sco")


def test_a_transition_longer_than_a_day_is_a_located_error() -> None:
    text = HEADER + 'scene a\n    prompt "x"\n    transition fade 90000s\n    next b\n' \
        'scene b\n    prompt "y"\n'
    assert errors_of(text) == ["a transition of 90000s is out of range"]


def test_check_shows_no_infinite_duration(tmp_path: Path) -> None:
    path = script(tmp_path, HEADER + "scene a " + "9" * 400 + 's\n    prompt "x"\n')
    code, out, err = run("check", str(path))
    assert code == 2
    assert "infs" not in out + err


# -- #6 #7 control characters: rejected in scripts, escaped when printed ------


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x07", "\x7f", "\x9b", "\x0b", "\x0c",
                                  "\u2028", "\u2029", "\x85"])
def test_control_characters_in_strings_are_located_errors(char: str) -> None:
    text = HEADER + f'scene a 2s\n    prompt "x"\n    narrate "a{char}b"\n'
    with pytest.raises(ScriptError) as caught:
        parse_story(text, "s.sco")
    (error,) = caught.value.diagnostics
    assert error.message == f"control character U+{ord(char):04X} is not allowed in a script"
    assert (error.span.line, error.span.column) == (7, 15)


def test_tabs_and_line_breaks_in_strings_are_accepted() -> None:
    loaded = parse_story(HEADER + 'scene a 2s\n    prompt "x\ty"\n    narrate """\n'
                         '        one\n        two\n        """\n', "s.sco")
    assert loaded.story.scenes[0].prompt == "x y"


ATTACKS = ["\x1b]0;owned\x07", "\x1b]52;c;ZXZpbA==\x07", "\x1b[1A\x1b[2K", "\x9b2J", "\u202e"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_check_never_prints_a_control_character(tmp_path: Path, attack: str) -> None:
    path = script(tmp_path, f'title "{attack}"\nscene a 2s\n    prompt "{attack}" oops\n')
    code, out, err = run("check", str(path))
    assert code == 2
    shown = out + err
    assert not any(ch in shown for ch in "\x1b\x07\x9b\u202e")
    assert "\\x1b" in shown or "\\x9b" in shown or "\\u202e" in shown


def test_a_bidi_override_in_a_title_is_escaped_in_the_outline(tmp_path: Path) -> None:
    path = script(tmp_path, 'title "Evil\u202eTitle"\nvoice none\nscene a 2s\n'
                  '    prompt "x"\n')
    code, out, err = run("check", str(path))
    assert code == 0, err
    assert out.splitlines()[0] == "Evil\\u202eTitle"


def test_the_caret_stays_under_the_character_after_an_escape() -> None:
    text = HEADER + 'scene a 2s\n    prompt "\x1b" zz\n'
    with pytest.raises(ScriptError) as caught:
        parse_story(text, "s.sco")
    lines = str(caught.value).split("\n")
    at = lines.index('   6 |     prompt "\\x1b" zz')
    assert lines[at + 1] == "     | " + " " * 12 + "^~~~"
    second = lines.index('   6 |     prompt "\\x1b" zz', at + 1)
    assert lines[second + 1] == "     | " + " " * 18 + "^~"


def test_printable_escapes_only_what_drives_a_terminal() -> None:
    assert printable("héllo\tworld ✓\n") == "héllo\tworld ✓\n"
    assert printable("a\x1b[2Kb\x00\u2028\U000e0001") == "a\\x1b[2Kb\\x00\\u2028\\U000e0001"


def test_a_nul_byte_cannot_reach_the_score(tmp_path: Path) -> None:
    path = script(tmp_path, HEADER + 'scene a 2s\n    prompt "x"\n    narrate "a\x00b"\n')
    code, _, err = run("score", str(path), "-o", str(tmp_path / "s.musicxml"))
    assert code == 2
    assert "control character U+0000" in err
    assert not (tmp_path / "s.musicxml").exists()


# -- #13 the parser and the diagnostic printer agree on lines -----------------


@pytest.mark.parametrize("separator", ["\u2028", "\x85", "\x0b", "\x0c", "\x1c", "\x1e"])
def test_unusual_line_separators_are_reported_where_they_are(tmp_path: Path,
                                                             separator: str) -> None:
    path = script(tmp_path, f'title "T"\nvoice none\n# a{separator}b\nscene a 2s\n'
                  f'    prompt "x"\n    oops\n')
    code, _, err = run("check", str(path))
    assert code == 2
    assert "no scenes" not in err
    assert f"s.sco:3:4: error: control character U+{ord(separator):04X}" in err
    assert "s.sco:6:5: error: unknown statement 'oops'" in err
    assert "   6 |     oops" in err


def test_an_unusual_space_outside_strings_is_a_located_error() -> None:
    assert errors_of(HEADER + 'scene\u00a0a 2s\n    prompt "x"\n') == [
        "unexpected character 'U+00A0'"]


# -- #14 a size cap, and no special files -------------------------------------


def test_check_refuses_a_device(tmp_path: Path) -> None:
    code, _, err = run("check", "/dev/zero")
    assert code == 2
    assert err.startswith("error: /dev/zero: is a device, not a script")


def test_check_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.sco"
    os.mkfifo(fifo)
    code, _, err = run("check", str(fifo))
    assert code == 2
    assert "is a FIFO (named pipe), not a script" in err


def test_check_refuses_a_script_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "huge.sco"
    with path.open("wb") as out:
        out.truncate(MAX_SCRIPT_BYTES + 1)
    code, _, err = run("check", str(path))
    assert code == 2
    assert "the script is larger than 10 MB" in err


# -- #15 ids are bounded ------------------------------------------------------


def test_a_scene_id_longer_than_64_characters_is_a_located_error() -> None:
    ident = "a" * 300
    assert errors_of(HEADER + f'scene {ident} 2s\n    prompt "x"\n') == [
        f"scene id '{'a' * 20}…' is 300 characters long"]
    parse_story(HEADER + f'scene {"a" * 64} 2s\n    prompt "x"\n', "s.sco")


# -- #17 fmt is linear in the number of comments ------------------------------


def test_fmt_is_linear_in_comment_lines() -> None:
    def timed(count: int) -> float:
        text = HEADER + "".join(f"# note {i}\nscene s{i} 2s\n    prompt \"x\"\n    # inner\n"
                                for i in range(count))
        started = time.perf_counter()
        format_script(text, "s.sco")
        return time.perf_counter() - started

    timed(100)
    small, large = timed(400), timed(3200)
    # Eight times the comments must cost about eight times as much, not sixty-four.
    assert large < small * 20, (small, large)
