"""Syntax highlighting for ``.sco`` scripts: a Pygments lexer and the TextMate grammar.

Both are made from the words in ``vocab``, so a new setting or transition is
highlighted as soon as the language has it. The TextMate grammar (for VS Code
and most editors) is written to ``editors/vscode/syntaxes`` by
``python -m storyscore.highlight``; a test checks that the file is current.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from storyscore import vocab

SCOPE = "source.storyscore"
GRAMMAR_PATH = "editors/vscode/syntaxes/storyscore.tmLanguage.json"

# Every word that names a value: transitions, moves, moods, instruments, voices…
VALUES = sorted({
    *vocab.TRANSITIONS, *vocab.CAMERA_MOVES, *vocab.MOODS, *vocab.INSTRUMENTS,
    *vocab.VOICES, *vocab.PAINTERS, *vocab.SIZE_PRESETS, *vocab.MODES, "auto", "speed",
}, key=lambda w: (-len(w), w))
MUSIC = sorted(set(vocab.MUSIC_SETTINGS), key=lambda w: (-len(w), w))
HEADER = sorted(set(vocab.HEADER_SETTINGS) - {"character"}, key=lambda w: (-len(w), w))
STATEMENTS = sorted(set(vocab.SCENE_STATEMENTS) - {"choice", "next"},
                    key=lambda w: (-len(w), w))

_ID = r"[^\W\d][\w-]*"
_END = r"(?![\w-])"  # a word ends where no identifier character follows
DURATION = r"\d+(?:\.\d+)?(?:ms|s|m(?:\d+(?:\.\d+)?s)?)(?![\w.])"
SIZE = r"\d+x\d+(?![\w.])|\d+p(?![\w.])"
NUMBER = r"-?\d+(?:\.\d+)?(?![\w.])"
NOTE = r"[A-Ga-g][#♯♭](?=[\s,]|$)"


def _alternatives(items: Iterable[str]) -> str:
    return "|".join(re.escape(item) for item in items)


# -- Pygments -------------------------------------------------------------------


class StoryscoreLexer(RegexLexer):  # type: ignore[misc]  # pygments ships no types
    """Pygments lexer for storyscore scripts (``.sco``)."""

    name = "storyscore"
    aliases: ClassVar[list[str]] = ["storyscore", "sco"]
    filenames: ClassVar[list[str]] = ["*.sco"]
    mimetypes: ClassVar[list[str]] = ["text/x-storyscore"]

    tokens: ClassVar[dict[str, Any]] = {
        "root": [
            (r"\n", Whitespace),
            (r"[ \t]+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r"(scene)([ \t]+)(" + _ID + ")",
             bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (r"(character)([ \t]+)(" + _ID + ")",
             bygroups(Keyword.Declaration, Whitespace, Name.Variable)),
            (r"(next)([ \t]+)(" + _ID + ")", bygroups(Keyword, Whitespace, Name.Label)),
            (r"(->)([ \t]*)(" + _ID + ")", bygroups(Operator, Whitespace, Name.Label)),
            (r"(choice)" + _END, Keyword),
            (words(HEADER, suffix=_END), Keyword.Reserved),
            (words(STATEMENTS, suffix=_END), Keyword),
            include("arguments"),
        ],
        "arguments": [
            (r'"""', String.Double, "long-string"),
            (r'"', String.Double, "string"),
            (NOTE, Name.Constant),
            (DURATION, Number),
            (SIZE, Number),
            (NUMBER, Number),
            (r"espeak:[\w-]+", Name.Constant),
            (words(MUSIC, suffix=_END), Name.Attribute),
            (words(VALUES, suffix=_END), Name.Constant),
            (_ID, Name),
            (r"[,+]", Punctuation),
            (r"[^\s]", Error),
        ],
        "string-content": [
            (r"\\.", String.Escape),
            (r"@" + _ID, Name.Variable),
        ],
        "string": [
            include("string-content"),
            (r'"', String.Double, "#pop"),
            (r"\n", Error, "#pop"),  # an unterminated string ends at its line
            (r'[^"\\@\n]+|@', String.Double),
        ],
        "long-string": [
            include("string-content"),
            (r'"""', String.Double, "#pop"),
            (r'[^"\\@]+|"|@', String.Double),
        ],
    }


# -- TextMate -------------------------------------------------------------------


def _string_rules() -> dict[str, Any]:
    content = [
        {"match": r"\\.", "name": "constant.character.escape.storyscore"},
        {"match": "@" + _ID, "name": "variable.other.character.storyscore"},
    ]
    return {
        "long-string": {
            "begin": '"""', "end": '"""', "name": "string.quoted.triple.storyscore",
            "patterns": content,
        },
        "string": {
            "begin": '"', "end": '"|$', "name": "string.quoted.double.storyscore",
            "patterns": content,
        },
    }


def _argument_rules() -> list[dict[str, Any]]:
    return [
        {"include": "#long-string"},
        {"include": "#string"},
        {"include": "#comment"},
        {"match": NOTE, "name": "constant.language.note.storyscore"},
        {"match": DURATION, "name": "constant.numeric.duration.storyscore"},
        {"match": SIZE, "name": "constant.numeric.size.storyscore"},
        {"match": NUMBER, "name": "constant.numeric.storyscore"},
        {"match": f"(->)\\s*({_ID})?",
         "captures": {"1": {"name": "keyword.operator.arrow.storyscore"},
                      "2": {"name": "entity.name.function.scene.storyscore"}}},
        {"match": r"espeak:[\w-]+", "name": "support.constant.voice.storyscore"},
        {"match": rf"(?<![\w-])(?:{_alternatives(MUSIC)}){_END}",
         "name": "support.type.music.storyscore"},
        {"match": rf"(?<![\w-])(?:{_alternatives(VALUES)}){_END}",
         "name": "support.constant.storyscore"},
        {"match": "[,+]", "name": "punctuation.separator.storyscore"},
    ]


def textmate_grammar() -> dict[str, Any]:
    """The TextMate grammar for ``.sco`` as JSON data (VS Code's ``tmLanguage.json``)."""
    keywords = _alternatives(sorted({*HEADER, *STATEMENTS, "choice"}, key=lambda w: (-len(w), w)))
    return {
        "name": "storyscore",
        "scopeName": SCOPE,
        "fileTypes": ["sco"],
        "patterns": [
            {"include": "#comment"},
            {"include": "#long-string"},
            {"match": rf"^\s*(scene)\s+({_ID})",
             "captures": {"1": {"name": "keyword.control.scene.storyscore"},
                          "2": {"name": "entity.name.function.scene.storyscore"}}},
            {"match": rf"^(character)\s+({_ID})",
             "captures": {"1": {"name": "keyword.other.character.storyscore"},
                          "2": {"name": "variable.other.character.storyscore"}}},
            {"match": rf"^\s*(next)\s+({_ID})",
             "captures": {"1": {"name": "keyword.control.next.storyscore"},
                          "2": {"name": "entity.name.function.scene.storyscore"}}},
            {"match": rf"^\s*({keywords}){_END}",
             "captures": {"1": {"name": "keyword.other.storyscore"}}},
            {"match": rf"^\s*({_ID})",
             "captures": {"1": {"name": "invalid.illegal.keyword.storyscore"}}},
            {"include": "#arguments"},
        ],
        "repository": {
            "comment": {"match": "#.*$", "name": "comment.line.number-sign.storyscore"},
            **_string_rules(),
            "arguments": {"patterns": _argument_rules()},
        },
    }


def grammar_json() -> str:
    """The grammar file's text: stable key order, two-space indents, a final newline."""
    return json.dumps(textmate_grammar(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(grammar_json())
