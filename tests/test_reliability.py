"""Reliability and safety (issue 17): hostile scripts, failing disks, damaged caches.

Each test names the defect of issue 17 it guards (``#N``). Fast ones run here;
those that render, speak or kill a real render are marked ``slow``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ROOT
from storyscore import files
from storyscore.audio.voices.base import (
    MAX_PIECE_CHARS,
    Sentence,
    SentenceSpeaker,
    SpokenSentence,
    narrate,
)
from storyscore.cli import app
from storyscore.diagnostics import printable
from storyscore.dsl.format import format_script
from storyscore.dsl.load import MAX_SCRIPT_BYTES, parse_story
from storyscore.errors import AudioError, ScriptError, StoryscoreError

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


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                                  "\u2066", "\u2067", "\u2068", "\u2069"])
def test_bidi_controls_are_located_errors(char: str) -> None:
    # "Trojan Source": an override or isolate makes fmt, an editor or a terminal
    # show a string in another order than the one it is read in.
    text = HEADER + f'scene a 2s\n    prompt "x"\n    narrate "a{char}b"\n'
    with pytest.raises(ScriptError) as caught:
        parse_story(text, "s.sco")
    (error,) = caught.value.diagnostics
    assert error.message == (f"bidirectional control character U+{ord(char):04X} "
                             "is not allowed in a script")
    assert (error.span.line, error.span.column) == (7, 15)


def test_right_to_left_text_and_its_marks_are_accepted() -> None:
    shalom = "\u05e9\u05dc\u05d5\u05dd\u200f"
    loaded = parse_story(HEADER + 'scene a 2s\n    prompt "x"\n'
                         f'    narrate "{shalom} and \u200eyes\u061c."\n', "s.sco")
    assert loaded.story.scenes[0].narration_text.startswith(shalom)


def test_a_bidi_override_in_a_title_is_refused_and_printed_escaped(tmp_path: Path) -> None:
    path = script(tmp_path, 'title "Evil\u202eTitle"\nvoice none\nscene a 2s\n'
                  '    prompt "x"\n')
    for command in ("check", "fmt"):
        code, out, err = run(command, str(path))
        assert code == 2
        assert "\u202e" not in out + err
        assert "s.sco:1:12: error: bidirectional control character U+202E" in err
        assert '   1 | title "Evil\\u202eTitle"' in err


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
        # The best of three in CPU time: other processes on a busy machine
        # stretch wall time, not the work done.
        spent = []
        for _ in range(3):
            started = time.process_time()
            format_script(text, "s.sco")
            spent.append(time.process_time() - started)
        return min(spent)

    timed(100)
    small, large = timed(400), timed(3200)
    # Eight times the comments must cost about eight times as much, not sixty-four.
    assert large < small * 20, (small, large)


# -- #3 #10 #11 #19 writing files -------------------------------------------

TINY = HEADER + 'scene a 2s\n    prompt "a quiet forest"\n'
# Capabilities that let root ignore file permissions: DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER.
_OVERRIDES = (1, 2, 3)


def _as_ordinary_user() -> None:
    """In the child before exec: give up root's power to ignore permissions."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _OVERRIDES:
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def run_unprivileged(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a real process bound by file permissions (root writes anywhere)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STORYSCORE_CACHE": str(cwd / "cache")}
    try:
        return subprocess.run(
            [sys.executable, "-c", "import sys; from storyscore.cli import app; "
             "sys.argv[0] = 'storyscore'; app()", *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
            preexec_fn=_as_ordinary_user if os.geteuid() == 0 else None)
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot run as an ordinary user here: {exc}")


@pytest.fixture
def shared_dir(tmp_path: Path) -> Iterator[Path]:
    """A working folder with a script and a read-only ``ro`` folder holding one too."""
    (tmp_path / "s.sco").write_text(TINY, encoding="utf-8")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "s.sco").write_text(TINY, encoding="utf-8")
    (tmp_path / "ro").chmod(0o555)
    yield tmp_path
    (tmp_path / "ro").chmod(0o755)


def _says_cannot_write(result: subprocess.CompletedProcess[str], path: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: cannot write {path}: Permission denied" in result.stderr, result.stderr


def test_fmt_write_in_a_read_only_folder_is_an_error(shared_dir: Path) -> None:
    (shared_dir / "ro").chmod(0o755)
    (shared_dir / "ro" / "s.sco").write_text(TINY.replace("prompt", "prompt "), "utf-8")
    (shared_dir / "ro").chmod(0o555)
    _says_cannot_write(run_unprivileged(["fmt", "-w", "ro/s.sco"], shared_dir), "ro/s.sco")


def test_new_in_a_read_only_folder_is_an_error(shared_dir: Path) -> None:
    _says_cannot_write(run_unprivileged(["new", "ro/tale"], shared_dir), "ro/tale.sco")


@pytest.mark.parametrize("name", ["x.mid", "x.musicxml"])
def test_score_into_a_read_only_folder_is_an_error(shared_dir: Path, name: str) -> None:
    _says_cannot_write(run_unprivileged(["score", "s.sco", "-q", "-o", f"ro/{name}"],
                                        shared_dir), f"ro/{name}")


def test_paint_into_a_read_only_folder_is_an_error(shared_dir: Path) -> None:
    _says_cannot_write(run_unprivileged(["paint", "s.sco", "-q", "-o", "ro"], shared_dir),
                       "ro/01-a.png")


def test_book_into_a_read_only_folder_is_an_error(shared_dir: Path) -> None:
    result = run_unprivileged(["book", "s.sco", "-q", "-o", "ro/book"], shared_dir)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot write ro/book: Permission denied")


def test_a_full_disk_is_an_error_and_the_file_is_kept(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = script(tmp_path, TINY.replace("prompt", "prompt "))

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "replace", full)
    code, _, err = run("fmt", "-w", str(path))
    assert code == 2
    assert f"error: cannot write {path}: No space left on device" in err
    assert "free some space" in err
    assert path.read_text(encoding="utf-8") == TINY.replace("prompt", "prompt ")
    assert [p.name for p in tmp_path.iterdir()] == ["s.sco"]


def test_score_into_a_folder_is_an_error(tmp_path: Path) -> None:
    path = script(tmp_path, TINY)
    (tmp_path / "d.mid").mkdir()
    code, _, err = run("score", str(path), "-q", "-o", str(tmp_path / "d.mid"))
    assert code == 2
    assert f"error: cannot write {tmp_path / 'd.mid'}: it is a folder" in err


def test_fmt_write_keeps_a_symlink_and_formats_its_target(tmp_path: Path) -> None:
    real = script(tmp_path, TINY.replace("prompt", "prompt "), "real.sco")
    link = tmp_path / "link.sco"
    link.symlink_to(real.name)
    code, _, err = run("fmt", "-w", str(link))
    assert code == 0, err
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == format_script(TINY)


def test_fmt_write_leaves_a_read_only_script_alone(tmp_path: Path) -> None:
    path = script(tmp_path, TINY.replace("prompt", "prompt "))
    path.chmod(0o444)
    code, _, err = run("fmt", "-w", str(path))
    assert code == 2
    assert f"error: cannot write {path}: the file is read-only" in err
    assert path.read_text(encoding="utf-8") == TINY.replace("prompt", "prompt ")
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


@pytest.mark.parametrize("name", ["", " ", ".sco", "folder/"])
def test_new_refuses_an_empty_or_hidden_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             name: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    code, _, err = run("new", name)
    assert code == 2
    assert f"error: '{name}' is not a name for a script" in err
    assert list(tmp_path.rglob("*.sco")) == []


# -- #5 no command writes over its input --------------------------------------


@pytest.mark.parametrize("script_name", ["tale.srt", "tale.mid", "tale.musicxml"])
def test_render_never_writes_over_its_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             script_name: str) -> None:
    monkeypatch.chdir(tmp_path)
    path = script(tmp_path, TINY, script_name)
    code, _, err = run("render", script_name, "-q")
    assert code == 2
    assert f"error: tale{path.suffix} is an input of this command" in err
    assert path.read_text(encoding="utf-8") == TINY
    assert sorted(p.name for p in tmp_path.iterdir()) == [script_name]


def test_score_never_writes_over_its_script(tmp_path: Path) -> None:
    path = script(tmp_path, TINY, "tale.mid")
    code, _, err = run("score", str(path), "-q", "-o", str(path))
    assert code == 2
    assert "is an input of this command" in err
    assert path.read_text(encoding="utf-8") == TINY


def test_render_never_writes_over_a_picture_it_uses(tmp_path: Path) -> None:
    (tmp_path / "v.srt").write_bytes((ROOT / "stories" / "pictures" / "village.png").read_bytes())
    path = script(tmp_path, HEADER + 'scene a 2s\n    image "v.srt"\n')
    code, _, err = run("render", str(path), "-q", "-o", str(tmp_path / "v.mp4"))
    assert code == 2, err
    assert "is an input of this command" in err


# -- #9 command-line values are checked like the script's ---------------------


@pytest.mark.parametrize("command", ["render", "score", "paint", "book", "explain"])
def test_a_negative_seed_is_an_error(tmp_path: Path, command: str) -> None:
    path = script(tmp_path, TINY)
    extra = ["-o", str(tmp_path / "x.mid")] if command == "score" else []
    code, _, err = run(command, str(path), "-q", "--seed", "-1", *extra)
    assert code == 2
    assert err.startswith("error: --seed -1: use a whole number from 0 to")


# -- #4 a render's outputs are replaced together ------------------------------


def test_atomic_paths_replace_all_files_or_none(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    targets = [tmp_path / name for name in ("v.mp4", "v.srt", "v.mid")]
    for target in targets:
        target.write_text("old " + target.name)
    real_replace = os.replace
    calls = []

    def failing(src: str, dst: str) -> None:
        calls.append(dst)
        if Path(dst) == targets[2] and Path(src).name.endswith(".tmp.mid") \
                and calls.count(dst) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", failing)

    def write_all() -> None:
        with files.atomic_paths(targets) as temps:
            for temp in temps:
                temp.write_text("new")

    with pytest.raises(StoryscoreError, match=r"cannot write .*v\.mid: No space left"):
        write_all()
    assert [t.read_text() for t in targets] == ["old v.mp4", "old v.srt", "old v.mid"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mid", "v.mp4", "v.srt"]
    assert Path(calls[1]) == targets[0]  # the first file had really been replaced


def test_a_folder_in_the_way_of_a_side_file_fails_before_anything_is_written(
        tmp_path: Path) -> None:
    path = script(tmp_path, TINY)
    (tmp_path / "v.mp4").write_bytes(b"old video")
    (tmp_path / "v.srt").mkdir()
    code, _, err = run("render", str(path), "-q", "-o", str(tmp_path / "v.mp4"))
    assert code == 2
    assert f"error: cannot write {tmp_path / 'v.srt'}: it is a folder" in err
    assert (tmp_path / "v.mp4").read_bytes() == b"old video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sco", "v.mp4", "v.srt"]


# -- #12 stale temporaries of our own naming are removed -----------------------


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".v.{pid}.k2j4_x9a.tmp.mp4"
    nested = tmp_path / f"..v.{pid}.k2j4_x9a.tmp.{pid}.abcd1234.tmp.mp4"
    alive = tmp_path / f".v.{os.getpid()}.zzzz1111.tmp.mp4"
    other = tmp_path / f".v.2.{pid}.abcd1234.tmp.mp4"  # the temporary of v.2.mp4
    for path in (stale, nested, alive, other):
        path.write_bytes(b"x")
    files.write_bytes(tmp_path / "v.mp4", b"video")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive.name, other.name, "v.mp4"])


# -- #1 narration is spoken in bounded pieces -----------------------------------


def _fake_speaker(given: list[str]) -> SentenceSpeaker:
    """A voice that records what it is given and says each word as 100 loud samples."""
    def speak(sentence: Sentence, speed: float) -> SpokenSentence:
        given.append(sentence.text)
        samples = np.ones(100 * len(sentence.words), dtype=np.float32)
        return SpokenSentence(samples, [(100 * i, 100 * i + 90)
                                        for i in range(len(sentence.words))])
    return speak


@pytest.mark.parametrize("separator", [" ", ", "])
def test_a_voice_is_never_given_more_than_a_bounded_piece(separator: str) -> None:
    given: list[str] = []
    words = [f"w{i}" for i in range(5000)]
    narration = narrate(separator.join(words), 1.0, 1000, _fake_speaker(given))
    assert max(len(text) for text in given) <= MAX_PIECE_CHARS
    assert [w.text for w in narration.words] == words  # every word, once, in order
    starts = [w.start for w in narration.words]
    assert starts == sorted(starts)


def test_one_endless_word_is_cut_at_the_bound() -> None:
    given: list[str] = []
    text = "-".join(f"w{i}" for i in range(2000))
    narrate(text, 1.0, 1000, _fake_speaker(given))
    assert max(len(piece) for piece in given) == MAX_PIECE_CHARS
    assert "".join(given) == text


def test_a_long_sentence_is_split_after_its_commas() -> None:
    clause = "the wind came over the hill and through the trees"
    given: list[str] = []
    narrate(", ".join([clause] * 12) + ".", 1.0, 1000, _fake_speaker(given))
    assert len(given) > 1
    assert all(text.endswith(",") for text in given[:-1])
    assert given[-1].endswith(".")


def test_short_sentences_are_spoken_whole() -> None:
    given: list[str] = []
    text = "Mira walked to the sea, slowly, every morning. The gulls cried."
    narrate(text, 1.0, 1000, _fake_speaker(given))
    assert given == ["Mira walked to the sea, slowly, every morning.", "The gulls cried."]


def test_a_failing_voice_quotes_a_short_excerpt() -> None:
    def silent(sentence: Sentence, speed: float) -> SpokenSentence:
        return SpokenSentence(np.zeros(10, dtype=np.float32), [None] * len(sentence.words))

    with pytest.raises(AudioError) as caught:
        narrate(" ".join(["word"] * 5000), 1.0, 1000, silent)
    assert len(caught.value.message) < 150
    assert "…" in caught.value.message


_PEAK_SCRIPT = """
import resource, sys
from storyscore.audio.voices.piper import JoeVoice
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
voice = JoeVoice()
voice.speak("Hello.")
before = peak()
for words in sys.argv[1:]:
    voice.speak(" ".join(["word"] * int(words)))
    print(peak() - before)
"""


@pytest.mark.slow
def test_the_joe_voice_speaks_a_long_run_without_full_stops_in_flat_memory() -> None:
    pytest.importorskip("piper")
    # Before: 1,000 words without a full stop took 10 GiB and 205 s. Memory that
    # grows with the run shows between two lengths, so two short runs guard it
    # (measured: spoken whole, 300 words peak 840 MiB above 100 words; spoken in
    # bounded pieces, 10 MiB, about the longer run's audio).
    result = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, "100", "300"],
                            capture_output=True, text=True, timeout=900, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    short_mib, long_mib = (int(kib) / 1024 for kib in result.stdout.split())
    assert long_mib - short_mib < 100, (
        f"300 words peak {long_mib - short_mib:.0f} MiB above 100 words")
    assert long_mib < 700, f"peak memory grew by {long_mib:.0f} MiB"


# -- #12 a killed render leaves no process and, after the next run, no file -----


def _children(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append(child)
                frontier.append(child)
    return found


def _is_ffmpeg(pid: int) -> bool:
    try:
        return "ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigkill_mid_render_leaves_no_process_and_the_next_run_cleans_up(
        tmp_path: Path, jobs: str) -> None:
    temp, cache = tmp_path / "tmp", tmp_path / "cache"
    temp.mkdir()
    path = script(tmp_path, HEADER + "scene a 120s\n    prompt \"a quiet forest\"\n"
                  "    camera zoom-in\n    music silent\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp),
           "STORYSCORE_CACHE": str(cache)}
    command = [sys.executable, "-c", "import sys; from storyscore.cli import app; "
               "sys.argv[0] = 'storyscore'; app()", "render", str(path), "-q", "-j", jobs,
               "-o", str(tmp_path / "v.mp4")]
    render = subprocess.Popen(command, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 300
    encoders: list[int] = []
    while not encoders and time.monotonic() < deadline and render.poll() is None:
        encoders = [p for p in _children(render.pid) if _is_ffmpeg(p)]
        time.sleep(0.05)
    assert encoders, "the render never started an encoder"
    tree = _children(render.pid)
    render.kill()
    render.wait()
    time.sleep(1.0)
    survivors = [p for p in tree if _running(p)]
    assert survivors == [], "children outlived the killed render"
    # What a later run does before it writes: remove what the killed one left.
    files.remove_stale_scratch(temp)
    for suffix in (".mp4", ".srt", ".musicxml", ".mid"):
        files.remove_stale_temporaries(tmp_path / f"v{suffix}")
    leftovers = [p.name for p in temp.iterdir()] + [
        p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


_ORPHAN_SCRIPT = """
import subprocess, sys
from storyscore.processes import child_preexec
child = subprocess.Popen(["sleep", "60"], preexec_fn=child_preexec())
print(child.pid, flush=True)
sys.stdin.read()
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_child_dies_with_its_killed_parent() -> None:
    with subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.kill()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.05)
    alive = _running(child)
    if alive:
        os.kill(child, 9)
    assert not alive, "the child outlived its killed parent"


@pytest.mark.slow
def test_every_process_a_render_starts_is_tied_to_it(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str, object]] = []
    real_init = subprocess.Popen.__init__

    def recording(self: subprocess.Popen[bytes], args: list[str], *rest: object,
                  **options: object) -> None:
        started.append((" ".join(map(str, args[1:3])), options.get("preexec_fn")))
        real_init(self, args, *rest, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess.Popen, "__init__", recording)
    path = script(tmp_path, TINY)
    code, _, err = run("render", str(path), "-q", "--no-cache", "-o", str(tmp_path / "v.mp4"))
    assert code == 0, err
    # imageio-ffmpeg's own check of the binary (``ffmpeg -version``) ends at once.
    ours = [(what, hook) for what, hook in started if what != "-version"]
    assert len(ours) >= 3  # segment, join, probe
    assert all(hook is not None for _, hook in ours), ours


# -- #8 cached segments are checked against their job before joining -----------

TWO_SCENES = HEADER + ('scene a 2s\n    prompt "a quiet forest"\n    transition cut\n'
                       'scene b 3s\n    prompt "a stormy sea"\n')


def _segments(cache: Path) -> list[Path]:
    return sorted((cache / "video-segment").rglob("*.mkv"), key=lambda p: p.stat().st_size)


def _store_with_a_matching_checksum(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    Path(f"{path}.sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["swap", "truncate"])
def test_a_damaged_segment_with_a_matching_checksum_is_rebuilt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("STORYSCORE_CACHE", str(cache))
    path = script(tmp_path, TWO_SCENES)
    out = tmp_path / "v.mp4"
    code, _, err = run("render", str(path), "-q", "-o", str(out))
    assert code == 0, err
    first_video = out.read_bytes()
    segments = _segments(cache)
    assert len(segments) == 2
    assert Path(f"{segments[0]}.sha256").is_file()
    originals = [p.read_bytes() for p in segments]
    if damage == "swap":
        _store_with_a_matching_checksum(segments[0], originals[1])
        _store_with_a_matching_checksum(segments[1], originals[0])
    else:
        _store_with_a_matching_checksum(segments[1], originals[1][: len(originals[1]) // 2])
    code, _, err = run("render", str(path), "-o", str(out))
    assert code == 0, err
    assert "0/2 video segments" in err if damage == "swap" else "1/2 video segments" in err
    assert [p.read_bytes() for p in segments] == originals
    assert out.read_bytes() == first_video


# -- #16 folders and devices are named for what they are ----------------------


@pytest.mark.parametrize(("make", "said"), [
    ("folder", "is a folder, not a file"),
    ("fifo", "is a FIFO (named pipe), not a file"),
    ("device", "is a device, not a file"),
])
@pytest.mark.parametrize("keyword", ["image", "soundfont"])
def test_an_input_that_is_not_a_file_says_what_it_is(tmp_path: Path, make: str, said: str,
                                                     keyword: str) -> None:
    if make == "folder":
        (tmp_path / "thing").mkdir()
        name = "thing"
    elif make == "fifo":
        os.mkfifo(tmp_path / "thing")
        name = "thing"
    else:
        name = "/dev/zero"
    text = HEADER + (f'soundfont "{name}"\n' if keyword == "soundfont" else "") + \
        "scene a 2s\n" + (f'    image "{name}"\n' if keyword == "image" else '    prompt "x"\n')
    with pytest.raises(ScriptError) as caught:
        parse_story(text, str(tmp_path / "s.sco"))
    assert [d.message for d in caught.value.diagnostics] == [f"{keyword} file '{name}' {said}"]
    assert caught.value.diagnostics[0].span.line == (5 if keyword == "soundfont" else 6)


def test_a_soundfont_override_that_is_a_device_is_an_error(tmp_path: Path) -> None:
    path = script(tmp_path, TINY)
    code, _, err = run("score", str(path), "-q", "--soundfont", "/dev/zero",
                       "-o", str(tmp_path / "x.wav"))
    assert code == 2
    assert err.startswith("error: --soundfont /dev/zero: the file is a device, not a file")


# -- any bytes: a located error or success, and nothing that drives a terminal ---

_HOSTILE = st.sampled_from([
    "\x00", "\x1b", "\x1b[2K", "\x1b]0;t\x07", "\x07", "\x7f", "\x85", "\x9b", "\x0b", "\x0c",
    "\r", "\r\n", "\u2028", "\u2029", "\u202e", "\ufeff", "\u00a0", "\t", "\n", '"', '"""',
    "#", "\\", "scene a 2s\n", '    prompt "x"\n', '    narrate "', "\n    ", "é", "🦊",
])
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e]")
_LOCATED = re.compile(r"^(?:\S.*:\d+(?::\d+)?: (?:error|warning): |error: |\d+ errors?; nothing)")


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    text = TINY
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(_HOSTILE) + text[at:]
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # now and then, bytes that are not UTF-8 at all
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=hostile_bytes(), command=st.sampled_from(["check", "fmt"]))
# Found by this test: a message quoted a whole triple-quoted string, lines and all.
@example(data=b'"""\x00title "T"\nvoice none\n"""scene a 2s\n    prompt "x"\n', command="check")
# Found by this test: fmt printed a prompt's bidi override (U+202E) raw.
@example(data='title "T"\nvoice none\nscene a 2s\n    prompt "a\u202eb"\n'.encode(), command="fmt")
def test_hostile_bytes_get_a_located_error_or_success(tmp_path: Path, data: bytes,
                                                      command: str) -> None:
    path = tmp_path / "h.sco"
    path.write_bytes(data)
    result = CliRunner().invoke(app, [command, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    assert result.exit_code in (0, 2)
    printed = result.stdout + result.stderr
    assert _CONTROL.search(printed.replace("\t", "")) is None, printed
    if result.exit_code == 2:
        heads = [line for line in result.stderr.splitlines()
                 if line and not line.startswith(" ")]
        assert heads
        assert all(_LOCATED.match(line) for line in heads), result.stderr


# -- #18 the MusicXML is the same bytes every time ----------------------------


def test_score_writes_the_same_musicxml_every_time(tmp_path: Path) -> None:
    path = script(tmp_path, TINY)
    outputs = [tmp_path / "a.musicxml", tmp_path / "b.musicxml"]
    for out in outputs:
        code, _, err = run("score", str(path), "-q", "-o", str(out))
        assert code == 0, err
    first, second = (out.read_bytes() for out in outputs)
    assert first == second
    assert b'<score-part id="P1">' in first
    assert b"<encoding-date>" not in first


# -- files from outside the story's folder: a warning, and --safe refuses them --


def _outsider(tmp_path: Path) -> Path:
    story = tmp_path / "story"
    story.mkdir()
    (tmp_path / "secret.png").write_bytes(
        (ROOT / "stories" / "pictures" / "village.png").read_bytes())
    return script(story, HEADER + 'scene a 2s\n    image "../secret.png"\n')


def test_a_file_from_outside_the_story_folder_is_a_warning(tmp_path: Path) -> None:
    code, _, err = run("check", str(_outsider(tmp_path)))
    assert code == 0, err
    assert "s.sco:6:11: warning: '../secret.png' is outside the story's folder" in err


@pytest.mark.parametrize("command", ["book", "render"])
def test_safe_refuses_a_file_from_outside_the_story_folder(tmp_path: Path,
                                                           command: str) -> None:
    path = _outsider(tmp_path)
    out = tmp_path / ("out.mp4" if command == "render" else "out")
    code, _, err = run(command, str(path), "--safe", "-q", "-o", str(out))
    assert code == 2
    assert "s.sco:6:11: error: '../secret.png' is outside the story's folder" in err
    assert not out.exists()


# -- check decodes pictures as render does -----------------------------------


def test_check_finds_a_truncated_picture(tmp_path: Path) -> None:
    data = (ROOT / "stories" / "pictures" / "village.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    path = script(tmp_path, HEADER + 'scene a 2s\n    image "cut.png"\n')
    code, _, err = run("check", str(path))
    assert code == 2
    assert "s.sco:6:11: error: image file 'cut.png' is damaged or truncated" in err


def test_check_finds_a_decompression_bomb(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("1", (20000, 20000)).save(tmp_path / "bomb.png")  # 400 Mpixels, 50 KB
    path = script(tmp_path, HEADER + 'scene a 2s\n    image "bomb.png"\n')
    code, _, err = run("check", str(path))
    assert code == 2
    assert "s.sco:6:11: error: image file 'bomb.png' is too large to load" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_worker_whose_parent_died_while_it_started_exits_at_once() -> None:
    # The kernel's parent-death signal is not sent for a parent already gone:
    # a worker still starting when its render was killed must notice by itself.
    code = ("import os, sys; from storyscore.processes import die_with_parent; "
            "die_with_parent(int(sys.argv[1])); print('alive')")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    orphaned = subprocess.run([sys.executable, "-c", code, "1"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert (orphaned.returncode, orphaned.stdout) == (1, "")
    kept = subprocess.run([sys.executable, "-c", code, str(os.getpid())], env=env,
                          capture_output=True, text=True, timeout=60)
    assert (kept.returncode, kept.stdout) == (0, "alive\n")
