"""The one door from script text to a checked story: parse, build, validate."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from storyscore.diagnostics import Diagnostic
from storyscore.dsl.build import build_story
from storyscore.dsl.parser import parse_lines
from storyscore.dsl.validate import validate
from storyscore.errors import ScriptError, StoryscoreError
from storyscore.files import file_kind
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


MAX_SCRIPT_BYTES = 10 * 1024 * 1024
"""The largest script read (10 MiB): a story is far smaller; a device is not a script."""


def read_script(path: Path) -> str:
    """A script's text, or a clear error when it cannot be read.

    Only regular files are read (not folders, FIFOs or devices such as
    ``/dev/zero``), and at most ``MAX_SCRIPT_BYTES`` of them.
    """
    try:
        kind = path.stat().st_mode
    except FileNotFoundError:
        raise StoryscoreError(f"{path}: no such file") from None
    except OSError as exc:
        raise StoryscoreError(f"{path}: cannot read it ({exc.strerror})") from None
    if stat.S_ISDIR(kind):
        raise StoryscoreError(f"{path}: is a folder, not a script")
    if not stat.S_ISREG(kind):
        raise StoryscoreError(f"{path}: is {file_kind(kind)}, not a script",
                              hint="a script is a text file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SCRIPT_BYTES + 1)
    except OSError as exc:
        raise StoryscoreError(f"{path}: cannot read it ({exc.strerror})") from None
    if len(data) > MAX_SCRIPT_BYTES:
        raise StoryscoreError(f"{path}: the script is larger than "
                              f"{MAX_SCRIPT_BYTES // (1024 * 1024)} MB",
                              hint="a story script is text of a few kilobytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StoryscoreError(f"{path}:{line}: error: the script is not UTF-8 text") from None


def load_story(path: Path | str) -> Loaded:
    """Read, parse and check the script at ``path``."""
    path = Path(path)
    return parse_story(read_script(path), str(path))
