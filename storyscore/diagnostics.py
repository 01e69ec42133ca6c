"""Diagnostics: one format for every problem found in a script.

``FILE:LINE:COL: error: MESSAGE``, then the source line, a caret under the
column (with ``~`` under the rest of the offending text) and, when there is
one, the suggestion.
"""

from __future__ import annotations

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


def render(diagnostic: Diagnostic, source_lines: list[str] | None) -> str:
    """The diagnostic as the user sees it, several lines, no trailing newline."""
    span = diagnostic.span
    out = [f"{span.file}:{span.line}:{span.column}: {diagnostic.severity}: {diagnostic.message}"]
    if diagnostic.line_text is not None:
        source_lines = [""] * (span.line - 1) + [diagnostic.line_text]
    if source_lines is not None and 1 <= span.line <= len(source_lines):
        text = source_lines[span.line - 1].rstrip("\r\n")
        gutter = f"{span.line:>4} | "
        out.append(gutter + text)
        # Keep tabs so the caret lines up under the same character.
        lead = "".join(ch if ch == "\t" else " " for ch in text[: span.column - 1])
        width = 1
        if span.end_line == span.line and span.end_column > span.column:
            width = min(span.end_column, len(text) + 1) - span.column
        out.append(" " * (len(gutter) - 2) + "| " + lead + "^" + "~" * max(0, width - 1))
        if diagnostic.hint:
            out.append(" " * (len(gutter) - 2) + "= " + diagnostic.hint)
    elif diagnostic.hint:
        out.append("  = " + diagnostic.hint)
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], source: str | None) -> str:
    lines = source.splitlines() if source is not None else None
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    return "\n".join(render(d, lines) for d in ordered)


def render_error(message: str, span: SourceSpan | None, hint: str | None,
                 source: str | None) -> str:
    """A runtime error: located like a diagnostic when it has a span, else ``error: ...``."""
    if span is not None and span.line > 0:
        return render(Diagnostic("error", message, span, hint),
                      source.splitlines() if source is not None else None)
    text = message if ": error:" in message else f"error: {message}"
    return text + (f"\n  = {hint}" if hint else "")
