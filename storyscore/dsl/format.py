"""``storyscore fmt``: a script in canonical form, comments kept.

Canonical form: story settings first with their values in one column, one
blank line before each scene, scene statements indented by four spaces with
their values in one column, strings re-quoted in one style, single spaces
between arguments, a blank line kept (never more than one) where the author
put one, and every comment where it was.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from storyscore.dsl import strings
from storyscore.dsl.parser import Arg, Comment, Line, parse_lines

INDENT = "    "
HEADER_COLUMN = 7  # values of story settings start after this many characters
BODY_COLUMN = 8  # values of scene statements start this far after the indent


@dataclass
class _Chunk:
    first_line: int
    last_line: int
    depth: int
    text: str  # without indentation for comments; formatted for statements
    is_scene: bool = False
    is_comment: bool = False
    opens_body: bool = False


def format_script(text: str, filename: str = "<string>") -> str:
    """The canonical form of a script that parses (check it first)."""
    parsed = parse_lines(text, filename)
    chunks = _chunks(parsed.lines, parsed.comments)
    return _assemble(chunks, text.replace("\r\n", "\n").split("\n"))


def in_style_of(formatted: str, source: str) -> str:
    """``formatted`` with the line breaks (CRLF or LF) and the byte-order mark of
    ``source``: ``fmt -w`` changes a script's layout, never its file conventions."""
    first = source.find("\n")
    out = formatted.replace("\n", "\r\n") if first > 0 and source[first - 1] == "\r" else formatted
    return "\ufeff" + out if source.startswith("\ufeff") else out


def _chunks(lines: list[Line], comments: list[Comment]) -> list[_Chunk]:
    trailing: dict[int, Comment] = {}
    standalone: list[Comment] = []
    statement_ends = {s.args[-1].span.end_line for line in lines for s in (line, *line.body)}
    for comment in comments:
        # Nothing can follow a comment on its line, so one on a line where a
        # statement ends comes after that statement.
        if comment.line in statement_ends:
            trailing[comment.line] = comment
        else:
            standalone.append(comment)

    # Each standalone comment belongs to the top-level line before it: found by
    # bisection, so formatting stays linear in the number of comments.
    starts = [line.span.line for line in lines]
    after: dict[int, list[Comment]] = {}
    for comment in standalone:
        index = bisect.bisect_left(starts, comment.line) - 1
        if index >= 0 and starts[index] < comment.line:
            after.setdefault(index, []).append(comment)

    chunks: list[_Chunk] = []
    for index, line in enumerate(lines):
        is_scene = line.args[0].kind == "WORD" and line.args[0].text == "scene"
        chunks.append(_statement(line, 0, is_scene, trailing))
        for statement in line.body:
            chunks.append(_statement(statement, 1, False, trailing))
        last_body = line.body[-1].last_line if line.body else None
        for comment in after.get(index, []):
            depth = 0
            if line.body and last_body is not None and (
                    comment.line < last_body or comment.column > 1):
                depth = 1
            chunks.append(_Chunk(comment.line, comment.line, depth, comment.text,
                                 is_comment=True))
    first = lines[0].span.line if lines else 10**9
    chunks += [_Chunk(c.line, c.line, 0, c.text, is_comment=True)
               for c in standalone if c.line < first]
    chunks.sort(key=lambda c: c.first_line)
    return chunks


def _statement(line: Line, depth: int, is_scene: bool,
               trailing: dict[int, Comment]) -> _Chunk:
    indent = INDENT * depth
    keyword, *args = line.args
    parts = [_arg(arg, indent) for arg in args]
    text = keyword.text
    if parts:
        column = 0 if is_scene else (BODY_COLUMN if depth else HEADER_COLUMN)
        text = text.ljust(column - 1) + " " + _join(args, parts)
    end = line.args[-1].span.end_line
    if end in trailing:
        text += "  " + trailing[end].text
    return _Chunk(line.args[0].span.line, end, depth, text, is_scene=is_scene,
                  opens_body=bool(line.body))


def _join(args: list[Arg], parts: list[str]) -> str:
    out = ""
    for arg, part in zip(args, parts, strict=True):
        if arg.kind == "COMMA":
            out += ","
        else:
            out += (" " if out else "") + part
    return out


def _arg(arg: Arg, indent: str) -> str:
    if arg.kind in ("STRING", "LONG_STRING"):
        value = strings.decode(arg.text)
        if "\n" in value and arg.kind == "LONG_STRING":
            return strings.encode_block(value, indent + INDENT)
        return strings.encode(value)
    return arg.text


def _assemble(chunks: list[_Chunk], source: list[str]) -> str:
    out: list[str] = []
    previous: _Chunk | None = None
    leads = _leads_to_scene(chunks)
    for index, chunk in enumerate(chunks):
        if previous is not None:
            had_blank = any(not source[n - 1].strip()
                            for n in range(previous.last_line + 1, chunk.first_line))
            leads_scene = chunk.depth == 0 and leads[index]
            after_head = previous.opens_body and chunk.depth == 1
            first_of_group = leads_scene and not (
                previous.is_comment and previous.depth == 0 and leads[index - 1])
            if first_of_group or (had_blank and not after_head):
                out.append("")
        prefix = INDENT * chunk.depth
        out.append(prefix + chunk.text)
        previous = chunk
    return "\n".join(out) + "\n"


def _leads_to_scene(chunks: list[_Chunk]) -> list[bool]:
    """For each chunk: a scene line, or a top-level comment that only comments precede
    a scene line (computed backwards in one pass)."""
    leads = [False] * len(chunks)
    following = False  # whether the chunk after the current one leads to a scene
    for index in range(len(chunks) - 1, -1, -1):
        chunk = chunks[index]
        if chunk.is_scene:
            following = True
        elif not (chunk.is_comment and chunk.depth == 0):
            following = False
        leads[index] = following
    return leads
