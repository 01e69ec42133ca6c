"""String literals: escapes, triple-quoted dedenting, narration folding."""

from __future__ import annotations

import re
import textwrap

ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def bad_escapes(raw: str) -> list[int]:
    """Offsets in a literal's raw text of the backslashes that start unknown escapes."""
    found: list[int] = []
    i = 0
    while i < len(raw) - 1:
        if raw[i] == "\\":
            if raw[i + 1] not in ESCAPES:
                found.append(i)
            i += 2
        else:
            i += 1
    return found


def decode(raw: str) -> str:
    """The value of a string literal (given with its quotes).

    A triple-quoted literal loses the line break after its opening quotes, the
    indentation common to its lines, and trailing blank space. An unknown
    escape stands for its character (it is reported by the model builder).
    """
    triple = raw.startswith('"""')
    quote = 3 if triple else 1
    body = raw[quote:-quote]
    if triple:
        if body.startswith("\n"):
            body = textwrap.dedent(body[1:])
        else:
            # Text right after the opening quotes: the lines below it are
            # dedented among themselves (as Python's cleandoc does).
            first, _, rest = body.partition("\n")
            body = first + ("\n" + textwrap.dedent(rest) if rest else "")
        body = body.rstrip()
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def encode(value: str) -> str:
    """A one-line double-quoted literal for ``value``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def encode_block(value: str, indent: str) -> str:
    """A triple-quoted literal for multi-line ``value``, its lines at ``indent``."""
    escaped = value.replace("\\", "\\\\").replace('"""', '\\"""').replace("\t", "\\t")
    lines = [(indent + line) if line.strip() else "" for line in escaped.split("\n")]
    return '"""\n' + "\n".join(lines) + "\n" + indent + '"""'


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SPACE = re.compile(r"\s+")


def paragraphs(value: str) -> tuple[str, ...]:
    """Narration text as paragraphs: blank lines split, single line breaks fold."""
    parts = (_SPACE.sub(" ", p).strip() for p in _PARAGRAPH_BREAK.split(value))
    return tuple(p for p in parts if p)


def one_line(value: str) -> str:
    """A prompt, title or description: every run of white space becomes one space."""
    return _SPACE.sub(" ", value).strip()
