"""The one door from script text to a checked story: parse, build, validate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyscore.diagnostics import Diagnostic
from storyscore.dsl.build import build_story
from storyscore.dsl.parser import parse_lines
from storyscore.dsl.validate import validate
from storyscore.errors import ScriptError, StoryscoreError
from storyscore.model import Story


@dataclass(frozen=True)
class Loaded:
    """A story that passed every check, with its warnings and its text."""

    story: Story
    warnings: tuple[Diagnostic, ...]
    source: str


def parse_story(text: str, filename: str = "<string>") -> Loaded:
    """Parse and check a script; raise ``ScriptError`` holding every problem."""
    parsed = parse_lines(text, filename)
    built = build_story(parsed.lines, filename)
    diagnostics = parsed.diagnostics + built.diagnostics
    if built.story is not None:
        diagnostics += validate(built.story, built.damaged_scenes)
    if built.story is None or any(d.severity == "error" for d in diagnostics):
        raise ScriptError(diagnostics, text)
    return Loaded(built.story, tuple(sorted(diagnostics, key=Diagnostic.sort_key)), text)


def read_script(path: Path) -> str:
    """A script's text, or a clear error when it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoryscoreError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise StoryscoreError(f"{path}: is a folder, not a script") from None
    except OSError as exc:
        raise StoryscoreError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StoryscoreError(f"{path}:{line}: error: the script is not UTF-8 text") from None


def load_story(path: Path | str) -> Loaded:
    """Read, parse and check the script at ``path``."""
    path = Path(path)
    return parse_story(read_script(path), str(path))
