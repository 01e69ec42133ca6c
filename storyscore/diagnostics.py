"""Diagnostics: one format for every problem found in a script.

``FILE:LINE:COL: error: MESSAGE``, then the source line, a caret under the
column (with ``~`` under the rest of the offending text) and, when there is
one, the suggestion.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class SourceSpan:
    """Where a node is in its script: 1-based lines and columns, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = SourceSpan("<default>", 0, 0, 0, 0)



@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    span: SourceSpan
    hint: str | None = None
    # The source line, for a diagnostic in a file other than the script (a words file).
    line_text: str | None = None

    def sort_key(self) -> tuple[str, int, int, int]:
        rank = 0 if self.severity == "error" else 1
        return (self.span.file, self.span.line, self.span.column, rank)


def shown(char: str) -> str:
    """How one character of a script is printed: itself, or escaped when it is not printable.

    Tabs (they line carets up) and line breaks stay; other control characters, line separators and
    invisible format characters (bidi overrides…) become ``\\x1b``, ``\\u2028``.
    """
    if char in "\t\n" or char.isprintable():
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else (
        f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes once printed (see ``printable``).

    A wide character (CJK, most emoji) takes two and a combining mark none, so a caret or a
    table column lines up under such text as it does under ASCII.
    """
    width = 0
    for char in text:
        if char.isprintable() and unicodedata.combining(char):
            continue
        if unicodedata.east_asian_width(char) in "WF":
            width += 2
        else:
            width += len(shown(char))
    return width


def printable(text: str) -> str:
    """``text`` safe to print to a terminal: no character of it can drive the terminal."""
    return text if text.isprintable() else "".join(shown(ch) for ch in text)


def source_lines(source: str) -> list[str]:
    """A script's lines as the parser counts them: split at line breaks only."""
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def render(diagnostic: Diagnostic, source_lines: list[str] | None) -> str:
    """The diagnostic as the user sees it, several lines, no trailing newline."""
    span = diagnostic.span
    out = [f"{printable(span.file)}:{span.line}:{span.column}: {diagnostic.severity}: "
           f"{printable(diagnostic.message)}"]
    hint = printable(diagnostic.hint) if diagnostic.hint else None
    if diagnostic.line_text is not None:
        source_lines = [""] * (span.line - 1) + [diagnostic.line_text]
    if source_lines is not None and 1 <= span.line <= len(source_lines):
        text = source_lines[span.line - 1].rstrip("\r\n")
        gutter = f"{span.line:>4} | "
        out.append(gutter + printable(text))
        # Keep tabs so the caret lines up under the same character; an escaped
        # character is as wide as its escape, a wide one two columns, a combining mark none.
        lead = "".join(ch if ch == "\t" else " " * columns(ch)
                       for ch in text[: span.column - 1])
        width = 1
        if span.end_line == span.line and span.end_column > span.column:
            end = min(span.end_column, len(text) + 1)
            width = max(1, columns(text[span.column - 1:end - 1]))
        out.append(" " * (len(gutter) - 2) + "| " + lead + "^" + "~" * max(0, width - 1))
        if hint:
            out.append(" " * (len(gutter) - 2) + "= " + hint)
    elif hint:
        out.append("  = " + hint)
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], source: str | None) -> str:
    lines = source_lines(source) if source is not None else None
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    return "\n".join(render(d, lines) for d in ordered)


def render_error(message: str, span: SourceSpan | None, hint: str | None,
                 source: str | None) -> str:
    """A runtime error: located like a diagnostic when it has a span, else ``error: ...``."""
    if span is not None and span.line > 0:
        return render(Diagnostic("error", message, span, hint),
                      source_lines(source) if source is not None else None)
    text = printable(message if ": error:" in message else f"error: {message}")
    return text + (f"\n  = {printable(hint)}" if hint else "")
