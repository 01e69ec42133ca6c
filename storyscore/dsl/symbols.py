"""The names a script defines and uses, with their places, for editors.

A language server needs to find scene ids and characters even while the
script is half-written and does not check, so this reads the line tree (which
``parse_lines`` makes from any text) rather than the checked model. Nothing
here judges the script; ``load.parse_story`` does that.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from storyscore.diagnostics import SourceSpan
from storyscore.dsl import strings
from storyscore.dsl.parser import Arg, Line, parse_lines
from storyscore.model import CHARACTER_REF

Kind = Literal["scene", "character"]

_STRING_KINDS = ("STRING", "LONG_STRING")


@dataclass(frozen=True)
class Definition:
    """Where a scene or character is defined: its id's place and its whole line(s)."""

    kind: Kind
    name: str
    span: SourceSpan  # the id
    extent: SourceSpan  # the scene with its body, or the character line
    detail: str  # a scene's title, a character's description


@dataclass(frozen=True)
class Reference:
    """A use of a scene id (``next``, ``choice``) or a character (``@id`` in a prompt)."""

    kind: Kind
    name: str
    span: SourceSpan


@dataclass(frozen=True)
class Symbols:
    """Every definition and reference of a script, in source order."""

    definitions: tuple[Definition, ...]
    references: tuple[Reference, ...]
    long_strings: tuple[SourceSpan, ...] = ()  # triple-quoted strings over several lines

    def definition(self, kind: Kind, name: str) -> Definition | None:
        """The first definition of ``name`` (a later duplicate is an error ``check`` reports)."""
        return next((d for d in self.definitions if d.kind == kind and d.name == name), None)

    def names(self, kind: Kind) -> list[str]:
        return [d.name for d in self.definitions if d.kind == kind]

    def at(self, line: int, column: int) -> Definition | Reference | None:
        """The definition or reference under a 1-based line and column, if any."""
        items: list[Definition | Reference] = [*self.definitions, *self.references]
        return next((i for i in items if _contains(i.span, line, column)), None)

    def in_long_string(self, line: int, column: int) -> bool:
        """Whether a 1-based place below the first line of a triple-quoted string is in it.

        (On the string's first line the quotes before the place tell.)
        """
        return any(s.line < line < s.end_line or (s.line < line == s.end_line
                                                   and column <= s.end_column - 3)
                   for s in self.long_strings)

    def uses(self, kind: Kind, name: str) -> list[Reference]:
        return [r for r in self.references if r.kind == kind and r.name == name]


def _contains(span: SourceSpan, line: int, column: int) -> bool:
    # The column just past the end counts, so a cursor after a word finds it.
    return span.line == line and span.column <= column <= span.end_column


def _extent(line: Line) -> SourceSpan:
    first = line.args[0].span
    last_line = line.last_line
    ends = [a.span for a in line.args if a.span.end_line == last_line]
    for body in line.body:
        ends += [s for s in _all_spans(body) if s.end_line == last_line]
    end_column = max((s.end_column for s in ends), default=first.end_column)
    return SourceSpan(first.file, first.line, first.column, last_line, end_column)


def _all_spans(line: Line) -> list[SourceSpan]:
    out = [a.span for a in line.args]
    for body in line.body:
        out += _all_spans(body)
    return out


def _string_value(args: list[Arg], index: int) -> str:
    if index < len(args) and args[index].kind in _STRING_KINDS:
        return strings.one_line(strings.decode(args[index].text))
    return ""


def _character_refs(arg: Arg) -> list[Reference]:
    """The ``@id`` uses inside a string literal, placed in the source."""
    found = []
    for match in CHARACTER_REF.finditer(arg.text):
        before = arg.text[: match.start()]
        line = arg.span.line + before.count("\n")
        column = (match.start() - before.rfind("\n")) if "\n" in before else (
            arg.span.column + match.start())
        span = SourceSpan(arg.span.file, line, column, line, column + len(match[0]))
        found.append(Reference("character", match[1], span))
    return found


def _statement_refs(statement: Line) -> list[Reference]:
    args = statement.args
    head = args[0]
    if head.kind != "WORD":
        return []
    if head.text == "next" and len(args) > 1 and args[1].kind == "WORD":
        return [Reference("scene", args[1].text, args[1].span)]
    if head.text == "choice":
        for before, after in itertools.pairwise(args):
            if before.kind == "ARROW" and after.kind == "WORD":
                return [Reference("scene", after.text, after.span)]
        return []
    if head.text == "prompt":
        return [ref for arg in args[1:] if arg.kind in _STRING_KINDS
                for ref in _character_refs(arg)]
    return []


def index_symbols(text: str, filename: str = "<string>") -> Symbols:
    """The scenes and characters ``text`` defines and where it uses them."""
    definitions: list[Definition] = []
    references: list[Reference] = []
    parsed = parse_lines(text, filename).lines
    for line in parsed:
        args = line.args
        head = args[0]
        has_id = len(args) > 1 and args[1].kind == "WORD"
        if head.kind == "WORD" and head.text == "scene" and has_id:
            title = _string_value(args, 2) or args[1].text
            definitions.append(Definition("scene", args[1].text, args[1].span, _extent(line),
                                          title))
        elif head.kind == "WORD" and head.text == "character" and has_id:
            definitions.append(Definition("character", args[1].text, args[1].span,
                                          _extent(line), _string_value(args, 2)))
        for statement in line.body:
            references += _statement_refs(statement)
    return Symbols(tuple(definitions), tuple(references), tuple(_long_strings(parsed)))


def _long_strings(lines: list[Line]) -> list[SourceSpan]:
    out = []
    for line in lines:
        out += [a.span for a in line.args if a.kind in ("LONG_STRING", "BAD_LONG_STRING")
                and a.span.end_line > a.span.line]
        out += _long_strings(line.body)
    return out
