"""Which words fit at a place in a script, read from the text before the cursor.

Completion has to work on the line being typed, which seldom checks, so it
looks only at that line: its indentation (header or scene), its first word and
the word before the cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from storyscore import vocab
from storyscore.dsl.symbols import Symbols

Category = Literal["keyword", "setting", "value", "scene", "character"]

_WORD_TAIL = re.compile(r"[\w\-+:#♯♭]*$")
# The part of the word before the cursor that a completion replaces: not the
# instruments before a '+', not the '@' before a character.
_REPLACED = re.compile(r"[\w\-#♯♭]*$")
# "F#" is a note, not the start of a comment (as in the grammar's NOTE token).
_NOTE_SHARP = re.compile(r"(?<![\w#])[A-Ga-g]#(?=[\s,]|$)")
_NOTES = tuple(f"{letter}{accidental}" for letter in vocab.NOTE_LETTERS
               for accidental in ("", "#", "b"))


@dataclass(frozen=True)
class Candidate:
    """One completion: the word, what sort of word it is and a short description."""

    label: str
    category: Category
    detail: str


def _place(prefix: str) -> Literal["code", "string", "comment"]:
    """Whether the end of ``prefix`` is in code, a one-line string or a comment."""
    inside = False
    i = 0
    while i < len(prefix):
        if prefix[i] == "\\" and inside:
            i += 2
            continue
        if prefix[i] == '"':
            inside = not inside
        elif prefix[i] == "#" and not inside and not _NOTE_SHARP.match(prefix, i - 1):
            return "comment"
        i += 1
    return "string" if inside else "code"


def _values(words: list[str], typed: str, symbols: Symbols) -> list[Candidate]:
    """Values for the argument after ``words`` (the finished words of the line)."""
    keyword, last = words[0], words[-1]
    if (keyword == "next" and len(words) == 1) or (keyword == "choice" and last == "->"):
        return [Candidate(d.name, "scene", d.detail) for d in symbols.definitions
                if d.kind == "scene"]
    if keyword == "music":
        return _music_values(words, typed)
    if len(words) != 1:
        return []
    table: dict[str, tuple[tuple[str, str], ...]] = {
        "transition": tuple((t, "transition") for t in vocab.TRANSITIONS),
        "camera": tuple((m, "camera move") for m in vocab.CAMERA_MOVES),
        "voice": tuple((v, "narration voice") for v in vocab.VOICES),
        "painter": tuple((p, "painter") for p in vocab.PAINTERS),
        "size": tuple((name, f"{w}x{h}") for name, (w, h) in vocab.SIZE_PRESETS.items()),
    }
    return [Candidate(label, "value", detail) for label, detail in table.get(keyword, ())]


def _music_values(words: list[str], typed: str) -> list[Candidate]:
    """Music settings after ``music`` or a comma, and each setting's values."""
    clause = " ".join(words[1:]).rpartition(",")[2].split()
    if not clause:
        return [Candidate(s, "setting", "music setting") for s in vocab.MUSIC_SETTINGS]
    setting = clause[0]
    if setting == "mood" and len(clause) == 1:
        return [Candidate(m, "value", "mood") for m in vocab.MOODS]
    if setting == "instrument" and (len(clause) == 1 or "+" in typed):
        return [Candidate(i, "value", f"General MIDI program {n}")
                for i, n in vocab.INSTRUMENTS.items()]
    if setting == "key" and len(clause) == 1:
        return [Candidate(n, "value", "tonic") for n in _NOTES]
    if setting == "key" and len(clause) == 2:
        return [Candidate(m, "value", "mode") for m in vocab.MODES]
    return []


def replaced_from(line: str, column: int) -> int:
    """Where the word a completion at ``column`` replaces starts (0-based)."""
    found = _REPLACED.search(line[:column])
    return column - len(found[0]) if found else column


def candidates(line: str, column: int, symbols: Symbols, number: int) -> list[Candidate]:
    """The words that fit at ``column`` (0-based, in characters) of ``line``, line ``number``
    (0-based) of the script."""
    prefix = line[:column]
    place = "string" if symbols.in_long_string(number + 1, column + 1) else _place(prefix)
    if place == "string":
        if re.search(r"@[\w-]*$", prefix) is None:
            return []
        return [Candidate(d.name, "character", d.detail) for d in symbols.definitions
                if d.kind == "character"]
    if place == "comment":
        return []
    typed = _WORD_TAIL.search(prefix)
    tail = typed[0] if typed else ""
    words = prefix[: len(prefix) - len(tail)].split()
    if not words:
        if prefix[:1].isspace():
            return [Candidate(s, "keyword", "scene statement") for s in vocab.SCENE_STATEMENTS]
        return [Candidate(s, "setting", "story setting") for s in vocab.HEADER_SETTINGS] + [
            Candidate("scene", "keyword", "start a scene: scene ID [TITLE] [DURATION]")]
    return _values(words, tail, symbols)
