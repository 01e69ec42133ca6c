"""The command line as users see it: output, files and exit codes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT, STORIES, compare_golden
from storyscore import __version__
from storyscore.cli import app

SPEC = ROOT.parent / "shared" / "spec" / "language.md"
DOC_SCRIPTS = [pytest.param(block, id=f"{page.stem}-{n}")
               for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
               for n, block in enumerate(re.findall(r"```sco\n(.*?)```",
                                                    page.read_text(encoding="utf-8"), re.S))]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("script", STORIES, ids=lambda p: p.stem)
def test_check_prints_the_outline(script: Path, update_golden: bool,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run("check", str(script.relative_to(ROOT)))
    assert code == 0, err
    compare_golden(ROOT / "tests" / "golden" / f"check-{script.stem}.txt", out + err,
                   update_golden)


def test_check_on_the_spec_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SPEC.exists():
        pytest.skip("the shared spec is not beside the repository")
    example = SPEC.read_text(encoding="utf-8").split("```\n")[1]
    assert example.startswith("# The Lighthouse")
    (tmp_path / "pictures").mkdir()
    shutil.copy(ROOT / "stories" / "pictures" / "village.png", tmp_path / "pictures")
    (tmp_path / "story.sco").write_text(example, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", "story.sco")
    assert code == 0, err
    assert err == ""
    rows = [line.split()[0] for line in out.splitlines() if line.startswith("  ")][1:]
    assert rows == ["dawn", "market", "storm", "tower", "village"]
    assert '"Climb the tower" -> tower | "Run for the village" -> village' in out
    assert "5 scenes, 1 branch point, endings: tower, village" in out
    # The spec's example is already in canonical form.
    assert run("fmt", "--check", "story.sco")[0] == 0


@pytest.mark.parametrize("script", DOC_SCRIPTS)
def test_every_script_in_the_docs_checks_and_is_canonical(
        script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    # A newcomer copies these first; the README's once warned about its own transition.
    (tmp_path / "pictures").mkdir()
    for name in ("boat.png", "village.png"):
        shutil.copy(ROOT / "stories" / "pictures" / "village.png", tmp_path / "pictures" / name)
    (tmp_path / "story.sco").write_text(script, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("check", "story.sco")
    assert code == 0, err
    # The README's example is the first a newcomer runs: not even a warning.
    if request.node.callspec.id.startswith("README"):
        assert err == ""
    assert run("fmt", "--check", "story.sco")[0] == 0


def test_lighthouse_story_is_the_spec_example() -> None:
    if not SPEC.exists():
        pytest.skip("the shared spec is not beside the repository")
    example = SPEC.read_text(encoding="utf-8").split("```\n")[1]
    assert (ROOT / "stories" / "lighthouse.sco").read_text(encoding="utf-8") == example


def test_the_outline_keeps_written_milliseconds_and_lines_up_wide_titles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.sco").write_text(
        'scene 夜 "七つの夜" 250ms\n    prompt "a night sky"\n    transition cut\n'
        'scene b 1m0.125s\n    prompt "a forest"\n', encoding="utf-8")
    code, out, _ = run("check", "w.sco")
    assert code == 0
    assert out.splitlines()[3:6] == [
        "  scene  title     duration  then",
        "  夜     七つの夜  0.25s     cut -> b",
        "  b      b         60.125s   end",
    ]
    assert "default path: 夜 -> b (60.375s)" in out


def test_check_reports_warnings_without_failing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.sco").write_text(
        'scene a 2s\n    prompt "a forest"\n'
        '    narrate "one two three four five six seven eight nine ten eleven twelve"\n'
        '    transition fade\n    end\n')
    code, out, err = run("check", "w.sco")
    assert code == 0
    assert err == (
        "w.sco:1:9: warning: scene 'a' is 2s but its narration needs about 5.8s; "
        "it is lengthened to 5.8s\n"
        "   1 | scene a 2s\n"
        "     |         ^~\n"
        "     = lengthen the scene or shorten its narration (the narration length is "
        "estimated from its word count)\n"
        "w.sco:4:16: warning: scene 'a' ends the story, so its transition is never used\n"
        "   4 |     transition fade\n"
        "     |                ^~~~\n"
        "     = remove it\n"
    )
    assert "a      a      ~5.8s (lengthened)  end" in out


def test_check_missing_file() -> None:
    code, out, err = run("check", "no-such-story.sco")
    assert code == 2
    assert out == ""
    assert err == "error: no-such-story.sco: no such file\n"


def test_check_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.sco"
    path.write_bytes(b'title "caf\xe9"\n')
    code, _, err = run("check", str(path))
    assert code == 2
    assert err == f"{path}:1: error: the script is not UTF-8 text\n"


MESSY = '''title "Messy"   # kept
seed 3
scene a 4s
      prompt   "x"
      narrate """One
      two"""
# the end
'''

CANONICAL = '''title  "Messy"  # kept
seed   3

scene a 4s
    prompt  "x"
    narrate """
        One
        two
        """
# the end
'''


def test_fmt_prints_canonical_form(tmp_path: Path) -> None:
    path = tmp_path / "messy.sco"
    path.write_text(MESSY)
    assert run("fmt", str(path)) == (0, CANONICAL, "")
    assert path.read_text() == MESSY


def test_fmt_check_and_write(tmp_path: Path) -> None:
    path = tmp_path / "messy.sco"
    path.write_text(MESSY)
    code, out, err = run("fmt", "--check", str(path))
    assert (code, out) == (1, "")
    assert err == f"{path} is not in canonical form; run: storyscore fmt -w {path}\n"
    assert run("fmt", "-w", str(path)) == (0, "", f"reformatted {path}\n")
    assert path.read_text() == CANONICAL
    assert run("fmt", "--check", str(path)) == (0, "", "")
    assert run("fmt", "-w", str(path)) == (0, "", "")


@pytest.mark.parametrize(("bom", "newline"), [("", "\r\n"), ("\ufeff", "\r\n"), ("\ufeff", "\n")])
def test_fmt_keeps_the_files_line_breaks_and_byte_order_mark(
        bom: str, newline: str, tmp_path: Path) -> None:
    # A Windows author's script was never canonical (--check failed on CRLF alone),
    # and -w turned every line break into LF and dropped the byte-order mark.
    path = tmp_path / "messy.sco"
    path.write_bytes((bom + MESSY.replace("\n", newline)).encode())
    assert run("fmt", "-w", str(path)) == (0, "", f"reformatted {path}\n")
    assert path.read_bytes() == (bom + CANONICAL.replace("\n", newline)).encode()
    assert run("fmt", "--check", str(path)) == (0, "", "")


def test_fmt_refuses_a_script_with_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.sco"
    path.write_text('scene a\n    promt "x"\n')
    code, out, err = run("fmt", "-w", str(path))
    assert code == 2
    assert out == ""
    assert "unknown statement 'promt'" in err
    assert path.read_text() == 'scene a\n    promt "x"\n'


@pytest.mark.parametrize("script", STORIES, ids=lambda p: p.stem)
def test_example_stories_are_canonical(script: Path) -> None:
    assert run("fmt", "--check", str(script))[0] == 0


def test_new_writes_a_script_that_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("new", "paper-moon") == (
        0, "wrote paper-moon.sco; next: storyscore check paper-moon.sco\n", "")
    text = Path("paper-moon.sco").read_text()
    assert 'title  "Paper Moon"' in text
    code, out, err = run("check", "paper-moon.sco")
    assert (code, err) == (0, "")
    assert out.startswith("Paper Moon\n")
    assert run("fmt", "--check", "paper-moon.sco")[0] == 0
    code, _, err = run("new", "paper-moon")
    assert code == 2
    assert err == "error: paper-moon.sco already exists\n  = choose another name or remove it\n"


@pytest.mark.parametrize(("name", "title", "shown"), [
    ("back\\slash", 'title  "Back\\\\slash"', "'back\\slash.sco'"),
    ('it"s', 'title  "It\\"s"', "'it\"s.sco'"),
    ("my tale", 'title  "My Tale"', "'my tale.sco'"),
    ("it's", 'title  "It\'s"', "'it'\"'\"'s.sco'"),
])
def test_new_makes_a_script_that_checks_whatever_the_name(
        name: str, title: str, shown: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A backslash in the name once made a title with a bad escape, and the hint
    # was not a command a shell could run.
    monkeypatch.chdir(tmp_path)
    assert run("new", name) == (0, f"wrote {name}.sco; next: storyscore check {shown}\n", "")
    assert title in Path(f"{name}.sco").read_text(encoding="utf-8").splitlines()
    code, _, err = run("check", f"{name}.sco")
    assert (code, err) == (0, "")


@pytest.mark.parametrize("name", ["tab\there", "esc\x1bape"])
def test_new_refuses_a_name_with_a_control_character(name: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("new", name)
    assert (code, out) == (2, "")
    assert "is not a name for a script" in err
    assert "\x1b" not in err
    assert list(tmp_path.iterdir()) == []


def test_version() -> None:
    assert run("--version") == (0, f"storyscore {__version__}\n", "")


@pytest.mark.parametrize("command", ["check", "fmt", "new"])
def test_every_command_has_help(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0
    assert "Usage" in out
    assert re.search(r"STORY|NAME", out)


def test_every_commands_summary_is_one_line() -> None:
    # Typer keeps a docstring's line breaks: a summary over two lines showed in
    # `storyscore --help` as "... beside it) of" and "each story." on a line of its own.
    for command in app.registered_commands:
        assert command.callback is not None
        summary = (command.callback.__doc__ or "").split("\n\n")[0]
        assert summary, command.callback.__name__
        assert "\n" not in summary.strip(), command.callback.__name__


def test_score_of_one_scene_says_one_scene(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("one.sco").write_text('scene a\n    prompt "a red barn in a meadow"\n', encoding="utf-8")
    code, _, err = run("score", "one.sco", "-o", "one.mid", "--size", "64x64")
    assert code == 0
    assert err.endswith("s of music, 1 scene: a)\n")


@pytest.mark.parametrize(("voice", "text", "warned"), [
    ("", "مرحبا بالعالم، هذه قصة قصيرة.", "voice espeak:ar"),
    ("voice espeak:en-gb", "Привет, мир.", "voice espeak:ru"),
    ("", "七つの夜。猫が歩いた。", "voice espeak:ja"),
    ("", "The cat said shalom (שלום) and left.", None),
    ("voice espeak:ar", "مرحبا بالعالم", None),
    ("voice none", "مرحبا بالعالم", None),
])
def test_check_warns_when_an_english_voice_meets_another_alphabet(
        voice: str, text: str, warned: str | None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # joe (and espeak's English) named each Arabic letter: 7 words took 21 seconds.
    monkeypatch.chdir(tmp_path)
    body = f'    prompt "a desert"\n    narrate "{text}"\n' + (f"    {voice}\n" if voice else "")
    Path("w.sco").write_text("scene a\n" + body, encoding="utf-8")
    code, _, err = run("check", "w.sco")
    assert code == 0
    if warned is None:
        assert err == ""
    else:
        assert err.startswith("w.sco:3:13: warning: the ")
        assert "voice speaks English: it would name this narration's letters one by one" in err
        assert err.endswith(f"= give the scene a voice for its language: {warned}\n")


def test_check_warns_at_a_character_named_with_at_in_narration(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only prompts replace @names: the voice said "at mira" and the book showed "@mira".
    monkeypatch.chdir(tmp_path)
    Path("w.sco").write_text('character mira "a girl with a red scarf"\nscene a\n'
                             '    prompt  "@mira on a hill"\n'
                             '    narrate "Then @mira waved, and @home was near."\n',
                             encoding="utf-8")
    code, _, err = run("check", "w.sco")
    assert code == 0
    assert err == (
        "w.sco:4:19: warning: '@mira' in narration is read out as 'at mira'\n"
        '   4 |     narrate "Then @mira waved, and @home was near."\n'
        "     |                   ^~~~~\n"
        "     = only prompts replace @names; write the name as it should be heard\n")


@pytest.mark.slow
def test_book_of_a_story_with_a_silent_scene(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # The music into and out of a silent scene has no notes, and the synthesiser
    # crashed the process (SIGSEGV, exit 139) on it: language.md's own example did.
    monkeypatch.chdir(tmp_path)
    Path("quiet.sco").write_text(
        'scene meadow\n    prompt "a meadow of poppies under a wide sky"\n'
        'scene night\n    prompt "a sleeping village under the stars"\n    music   silent\n'
        'scene dawn\n    prompt "a village at dawn"\n', encoding="utf-8")
    code, _, err = run("book", "quiet.sco", "-o", "book", "--size", "64x64", "--quiet")
    assert (code, err) == (0, "")
    assert sorted(p.name for p in Path("book/audio").glob("bridge-*.mp3")) == [
        "bridge-meadow-night.mp3", "bridge-night-dawn.mp3"]


def test_check_warns_at_a_choice_offered_twice(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # A pasted choice made two buttons saying the same thing in the book.
    monkeypatch.chdir(tmp_path)
    Path("w.sco").write_text('scene a\n    prompt "a fork in the road"\n'
                             '    choice "Go on" -> b\n    choice "Stay" -> c\n'
                             '    choice "go on" -> c\n'
                             'scene b\n    prompt "a road"\n    end\n'
                             'scene c\n    prompt "a house"\n', encoding="utf-8")
    code, _, err = run("check", "w.sco")
    assert code == 0
    assert err == (
        "w.sco:5:5: warning: the choice \"go on\" is offered twice in scene 'a' "
        "(-> b and -> c)\n"
        '   5 |     choice "go on" -> c\n'
        "     |     ^~~~~~\n"
        "     = give each choice its own text, or remove one\n")


def test_score_names_a_part_after_any_character(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # A character's part is a MIDI track named after it; mido writes Latin-1 unless
    # told otherwise, and "夜" was a UnicodeEncodeError traceback.
    monkeypatch.chdir(tmp_path)
    Path("night.sco").write_text('character 夜 "a deep blue night sky full of stars"\n'
                                 'scene a\n    prompt "@夜 over a small town"\n',
                                 encoding="utf-8")
    code, _, err = run("score", "night.sco", "-o", "night.mid", "--size", "64x64", "--quiet")
    assert (code, err) == (0, "")
    assert "(夜)".encode() in Path("night.mid").read_bytes()
