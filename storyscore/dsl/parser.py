"""Text to a tree of lines: lexing, indentation and block structure.

The result is a small tree of ``Line`` nodes (keyword, arguments, indented
body) plus the comments of the script; nothing outside ``dsl/`` sees it. The
lexer is total and the grammar accepts any sequence of lines, so the only
problems found here are about indentation; everything else is judged by
``build.py`` with a precise message.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from storyscore.diagnostics import Diagnostic, SourceSpan


@dataclass(frozen=True)
class Arg:
    """One argument token: its terminal type, raw text and place."""

    kind: str
    text: str
    span: SourceSpan


@dataclass
class Line:
    """A keyword line and the lines indented under it."""

    args: list[Arg]
    body: list[Line] = field(default_factory=list)

    @property
    def span(self) -> SourceSpan:
        first, last = self.args[0].span, self.args[-1].span
        return SourceSpan(first.file, first.line, first.column, last.end_line, last.end_column)

    @property
    def last_line(self) -> int:
        """The last source line this line or its body occupies."""
        return max([self.args[-1].span.end_line, *(b.last_line for b in self.body)])


@dataclass(frozen=True)
class Comment:
    text: str  # including the '#'
    line: int
    column: int


@dataclass
class ParsedText:
    lines: list[Line]
    comments: list[Comment]
    diagnostics: list[Diagnostic]


@cache
def _parser() -> Lark:
    grammar = resources.files("storyscore").joinpath("grammar/storyscore.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", propagate_positions=True,
                maybe_placeholders=False)


class _Indenter:
    """Turns newline tokens into INDENT/DEDENT, reporting what it cannot accept.

    Unlike Lark's own indenter it never raises: tabs and dedents to a column
    no open block started at are reported, then treated as the closest level.
    """

    def __init__(self, filename: str, comments: list[Comment], diagnostics: list[Diagnostic]):
        self.filename = filename
        self.comments = comments
        self.diagnostics = diagnostics

    def process(self, tokens: Iterator[Token]) -> Iterator[Token]:
        levels = [0]
        pending: tuple[Token, int, bool] | None = None  # newline, its indent, had a tab
        first = True
        for token in tokens:
            if token.type == "_NL":
                yield token
                tabs_before = len(self.diagnostics)
                indent = self._read_newline(token)
                pending = (token, indent, len(self.diagnostics) > tabs_before)
                continue
            if pending is not None:
                # Indentation counts only where a line follows: not at the end of the text.
                newline, indent, had_tab = pending
                pending = None
                line = (newline.end_line or 2) - 1
                if first:
                    if indent and not had_tab:
                        self._error(line, 1, indent + 1,
                                    "the first line of a script must not be indented",
                                    "start it at the first column")
                    levels = [indent]
                elif indent > levels[-1]:
                    levels.append(indent)
                    yield Token.new_borrow_pos("_INDENT", " " * indent, newline)
                else:
                    while len(levels) > 1 and indent < levels[-1]:
                        if indent > levels[-2]:
                            # Between two levels: most likely meant for the block
                            # it is in, so keep it there (and report it below).
                            break
                        levels.pop()
                        yield Token.new_borrow_pos("_DEDENT", "", newline)
                    if len(levels) == 1 and indent < levels[0]:
                        # Back from an indented first line (already reported).
                        levels[0] = indent
                    if indent != levels[-1] and not had_tab:
                        self._error(
                            line, 1, indent + 1,
                            f"this line is indented by {indent} spaces, "
                            "which matches no line above it",
                            f"indent it by {levels[-1]} spaces like the lines before it",
                        )
            first = False
            yield token
        while len(levels) > 1:
            levels.pop()
            yield Token("_DEDENT", "")

    def _read_newline(self, token: Token) -> int:
        """Collect the comments inside a newline token; return the new indentation."""
        # The parser put one newline before the text: real line numbers are one less.
        line = (token.line or 1) - 1
        column = token.column or 1
        indent = 0
        for number, piece in enumerate(token.value.split("\n")):
            piece = piece.rstrip("\r")
            stripped = piece.lstrip(" \t\f")
            lead = piece[: len(piece) - len(stripped)]
            at = column if number == 0 else 1
            if number > 0 and "\t" in lead and stripped[:1] != "#":
                self._error(
                    line + number, at + lead.index("\t"), at + lead.index("\t") + 1,
                    "tab in indentation", "indent with spaces only",
                )
            if stripped.startswith("#"):
                start = at + len(lead)
                self.comments.append(Comment(stripped, line + number, start))
            indent = len(lead.replace("\t", "    ").replace("\f", ""))
        return indent

    def _error(self, line: int, column: int, end: int, message: str, hint: str) -> None:
        span = SourceSpan(self.filename, line, column, line, end)
        self.diagnostics.append(Diagnostic("error", message, span, hint))


def normalise_newlines(text: str) -> str:
    """The script's text with ``\\r\\n`` and ``\\r`` read as ``\\n``: its only line break.

    Diagnostics split lines the same way, so both agree on line numbers
    whatever other separators (U+2028, U+0085, ``\\v``, ``\\f``) the text holds.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Control characters (other than tab and line break) and the Unicode line and
# paragraph separators: never meant in a script, and able to drive a terminal.
# Also the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069): they make an editor or terminal show text in another order
# than it is read ("Trojan Source"), and right-to-left text needs none of them.
# The marks U+200E, U+200F and U+061C reorder nothing around them and stay allowed.
_BIDI_RANGES = r"\u202a-\u202e\u2066-\u2069"
_FORBIDDEN = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI_RANGES}]")
_BIDI = re.compile(f"[{_BIDI_RANGES}]")


def _forbidden_characters(source: str, filename: str,
                          diagnostics: list[Diagnostic]) -> str:
    """Report each forbidden character with its place; return the text with each one
    made a space, so the rest of the script is still read where it really is."""
    if _FORBIDDEN.search(source) is None:
        return source
    line_starts = [0, *(m.end() for m in re.finditer("\n", source))]
    for match in _FORBIDDEN.finditer(source):
        line = bisect.bisect_right(line_starts, match.start())
        column = match.start() - line_starts[line - 1] + 1
        span = SourceSpan(filename, line, column, line, column + 1)
        code = f"U+{ord(match.group()):04X}"
        if _BIDI.match(match.group()):
            kind = "bidirectional control character"
            hint = ("remove it: it makes the text show in another order than it is read, "
                    "and right-to-left text needs no control characters")
        else:
            kind = "control character"
            hint = "remove it; in a string, write \\n for a line break and \\t for a tab"
        diagnostics.append(Diagnostic(
            "error", f"{kind} {code} is not allowed in a script", span, hint))
    return _FORBIDDEN.sub(" ", source)


def parse_lines(text: str, filename: str) -> ParsedText:
    """Split a script into keyword lines and comments."""
    comments: list[Comment] = []
    diagnostics: list[Diagnostic] = []
    source = normalise_newlines(text)
    if source.startswith("\ufeff"):
        source = source[1:]
    source = _forbidden_characters(source, filename, diagnostics)
    # Leading blank/comment lines belong to a newline token; the first real line
    # must not be indented.
    source = "\n" + source + "\n"
    parser = _parser()
    indenter = _Indenter(filename, comments, diagnostics)
    try:
        interactive = parser.parse_interactive("")
        for token in indenter.process(parser.lex(source)):
            interactive.feed_token(token)
        result = interactive.feed_eof()  # type: ignore[no-untyped-call]
    except LarkError as exc:  # pragma: no cover - the grammar accepts every token stream
        line = getattr(exc, "line", 1) or 1
        column = getattr(exc, "column", 1) or 1
        span = SourceSpan(filename, max(1, line - 1), column, max(1, line - 1), column + 1)
        diagnostics.append(Diagnostic("error", "cannot make sense of this line", span, None))
        return ParsedText([], comments, diagnostics)
    lines = [_line(child, filename) for child in result.children if isinstance(child, Tree)]
    return ParsedText(lines, comments, diagnostics)


def _line(tree: Tree[Token], filename: str) -> Line:
    args: list[Arg] = []
    body: list[Line] = []
    for child in tree.children:
        if isinstance(child, Token):
            args.append(_arg(child, filename))
        elif child.data == "body":
            body = [_line(sub, filename) for sub in child.children if isinstance(sub, Tree)]
    return Line(args, body)


def _arg(token: Token, filename: str) -> Arg:
    # The source had one newline prepended, so every line number is one too high.
    span = SourceSpan(
        filename,
        (token.line or 1) - 1,
        token.column or 1,
        (token.end_line or 1) - 1,
        token.end_column or 1,
    )
    return Arg(token.type, str(token), span)
