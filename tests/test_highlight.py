"""Highlighting: the Pygments lexer and the VS Code extension's TextMate grammar.

The grammar is run by a small TextMate engine here (match, begin/end,
captures, includes: all the grammar uses), so the test sees the scopes an
editor would give each word of the example stories.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pygments.token import Comment, Error, Keyword, Name, String, _TokenType

from conftest import ROOT, STORIES
from storyscore import vocab
from storyscore.highlight import GRAMMAR_PATH, StoryscoreLexer, grammar_json

EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR: dict[str, Any] = json.loads((ROOT / GRAMMAR_PATH).read_text("utf-8"))


@dataclass
class Token:
    text: str
    scopes: tuple[str, ...]
    line: int
    column: int = 0  # 0-based, in characters


def _patterns(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules with every ``include`` replaced by the repository's rules."""
    out = []
    for rule in rules:
        if "include" in rule:
            target = GRAMMAR["repository"][rule["include"].lstrip("#")]
            out += _patterns(target["patterns"]) if "match" not in target and \
                "begin" not in target else [target]
        else:
            out.append(rule)
    return out


def _emit(tokens: list[Token], match: re.Match[str], rule: dict[str, Any],
          scopes: tuple[str, ...], line: int, key: str) -> None:
    """The matched text, split by its named capture groups."""
    base = (*scopes, rule["name"]) if "name" in rule else scopes
    captures = rule.get(key, {})
    pos = match.start()
    for group in sorted(captures, key=int):
        if match.start(int(group)) < 0 or int(group) == 0:
            continue
        if match.start(int(group)) > pos:
            tokens.append(Token(match.string[pos:match.start(int(group))], base, line))
        tokens.append(Token(match[int(group)], (*base, captures[group]["name"]), line))
        pos = match.end(int(group))
    if match.end() > pos:
        tokens.append(Token(match.string[pos:match.end()], base, line))


def tokenise(text: str) -> list[Token]:
    """The text's tokens with their TextMate scopes (outermost first)."""
    tokens: list[Token] = []
    stack: list[tuple[dict[str, Any], re.Pattern[str]]] = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        pos = 0
        while pos < len(line):
            scopes = tuple(rule["name"] for rule, _ in stack)
            rules = _patterns(stack[-1][0].get("patterns", []) if stack else GRAMMAR["patterns"])
            best: tuple[int, int, dict[str, Any] | None, re.Match[str]] | None = None
            if stack:
                end = stack[-1][1].search(line, pos)
                if end is not None:
                    best = (end.start(), 0, None, end)
            for order, rule in enumerate(rules, start=1):
                found = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
                if found is not None and (best is None or found.start() < best[0]):
                    best = (found.start(), order, rule, found)
            if best is None:
                tokens.append(Token(line[pos:], scopes, number))
                break
            start, _, rule, found = best
            if start > pos:
                tokens.append(Token(line[pos:start], scopes, number))
            if rule is None:  # the open block's end
                tokens.append(Token(found[0], scopes, number))
                stack.pop()
            elif "begin" in rule:
                tokens.append(Token(found[0], (*scopes, rule["name"]), number))
                stack.append((rule, re.compile(rule["end"])))
            else:
                _emit(tokens, found, rule, scopes, number, "captures")
            pos = max(found.end(), start + 1) if found.end() == start else found.end()
    return [t for t in tokens if t.text.strip()]


def _placed(text: str, tokens: list[Token]) -> dict[tuple[int, int], str]:
    """The innermost scope of every non-blank character, by (line, column)."""
    lines = text.splitlines(keepends=True)
    out: dict[tuple[int, int], str] = {}
    column_of: dict[int, int] = {}
    for token in tokens:
        row = lines[token.line - 1]
        start = row.index(token.text, column_of.get(token.line, 0))
        column_of[token.line] = start + len(token.text)
        for offset, char in enumerate(token.text):
            if not char.isspace() and token.scopes:
                out[(token.line, start + offset)] = token.scopes[-1]
    return out


def _scoped(tokens: list[Token], prefix: str) -> list[str]:
    return [t.text for t in tokens if any(s.startswith(prefix) for s in t.scopes)]


def test_grammar_is_generated_from_the_vocabulary() -> None:
    assert (ROOT / GRAMMAR_PATH).read_text("utf-8") == grammar_json(), (
        "regenerate: python -m storyscore.highlight > " + GRAMMAR_PATH)


def test_extension_folder_is_complete() -> None:
    package = json.loads((EXTENSION / "package.json").read_text("utf-8"))
    [language] = package["contributes"]["languages"]
    [grammar] = package["contributes"]["grammars"]
    assert language["extensions"] == [".sco"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"]
    assert (EXTENSION / grammar["path"]).resolve() == (ROOT / GRAMMAR_PATH).resolve()
    assert (EXTENSION / package["main"]).is_file()
    assert "storyscore" in package["contributes"]["configuration"]["properties"][
        "storyscore.command"]["default"]
    config = json.loads((EXTENSION / language["configuration"]).read_text("utf-8"))
    assert config["comments"]["lineComment"] == "#"
    words = re.compile(config["wordPattern"])
    for word in ("zoom-in", "fade-white", "harp+strings", "@mira", "espeak:en-gb", "1m30s"):
        assert words.fullmatch(word), word


@pytest.mark.parametrize("story", STORIES, ids=lambda p: p.name)
def test_grammar_tokenises_the_stories(story: Path) -> None:
    text = story.read_text("utf-8")
    tokens = tokenise(text)
    assert _scoped(tokens, "invalid") == []
    keywords = set(_scoped(tokens, "keyword"))
    firsts = {line.split()[0] for line in text.splitlines()
              if line.strip() and not line.lstrip().startswith(("#", '"'))
              and line.split()[0] in {*vocab.HEADER_SETTINGS, *vocab.SCENE_STATEMENTS, "scene"}}
    assert firsts <= keywords
    scene_ids = re.findall(r"^scene\s+([\w-]+)", text, re.M)
    assert set(scene_ids) <= set(_scoped(tokens, "entity.name.function.scene"))
    comments = [line.strip() for line in text.splitlines() if line.lstrip().startswith("#")]
    assert set(comments) <= set(_scoped(tokens, "comment"))
    transitions = re.findall(r"^\s*transition\s+([\w-]+)", text, re.M)
    assert set(transitions) <= set(_scoped(tokens, "support.constant"))


DETAILS = (
    'character mira "a girl"\n'
    "scene dawn\n"
    '    prompt "@mira at \\"dawn\\""\n'
    "    music key F# minor, instrument harp+strings  # soft\n"
    '    narrate """\n        Once upon a time\n        """\n'
    '    choice "Go" -> dusk\n'
    "    promt \"typo\"\n")


def test_grammar_scopes_the_details() -> None:
    tokens = tokenise(DETAILS)
    scopes = {t.text: t.scopes[-1] for t in tokens}
    assert scopes["mira"] == "variable.other.character.storyscore"
    assert scopes["@mira"] == "variable.other.character.storyscore"
    assert scopes['\\"'] == "constant.character.escape.storyscore"
    assert scopes["F#"] == "constant.language.note.storyscore"
    assert scopes["harp"] == scopes["strings"] == "support.constant.storyscore"
    assert scopes["# soft"] == "comment.line.number-sign.storyscore"
    assert scopes["        Once upon a time\n"] == "string.quoted.triple.storyscore"
    assert scopes["dusk"] == "entity.name.function.scene.storyscore"
    assert scopes["promt"] == "invalid.illegal.keyword.storyscore"


NODE_MODULES = EXTENSION / "node_modules"


@pytest.mark.skipif(shutil.which("node") is None
                    or not (NODE_MODULES / "vscode-textmate").is_dir(),
                    reason="needs node and `npm install` in editors/vscode")
def test_vscode_engine_agrees(tmp_path: Path) -> None:
    """VS Code's own engine (vscode-textmate) gives every character the scope tested here."""
    details = tmp_path / "details.sco"
    details.write_text(DETAILS, "utf-8")
    files = [*STORIES, details]
    result = subprocess.run(
        ["node", str(EXTENSION / "test" / "tokenise.js"), str(ROOT / GRAMMAR_PATH),
         *map(str, files)], capture_output=True, text=True, check=True, timeout=120)
    engine = json.loads(result.stdout)
    for path in files:
        text = path.read_text("utf-8")
        theirs = {(row + 1, column): token["scopes"][-1]
                  for row, tokens in enumerate(engine[str(path)])
                  for token, column in _columns(tokens)
                  for column in range(column, column + len(token["text"]))
                  if not text.splitlines()[row][column].isspace()}
        ours = _placed(text, tokenise(text))
        theirs = {k: v for k, v in theirs.items() if v != GRAMMAR["scopeName"]}
        assert ours, path.name
        assert ours == theirs, path.name


def _columns(tokens: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    out, column = [], 0
    for token in tokens:
        out.append((token, column))
        column += len(token["text"])
    return out


def _lex(text: str) -> list[tuple[_TokenType, str]]:
    return list(StoryscoreLexer().get_tokens(text))


@pytest.mark.parametrize("story", STORIES, ids=lambda p: p.name)
def test_lexer_tokenises_the_stories(story: Path) -> None:
    text = story.read_text("utf-8")
    tokens = _lex(text)
    assert "".join(value for _, value in tokens) == text
    assert [value for kind, value in tokens if kind in Error] == []
    keywords = {value for kind, value in tokens if kind in Keyword}
    assert {"scene", "prompt", "title"} <= keywords
    scene_ids = re.findall(r"^scene\s+([\w-]+)", text, re.M)
    assert set(scene_ids) <= {value for kind, value in tokens if kind is Name.Function}


def test_lexer_marks_what_is_wrong() -> None:
    tokens = _lex('scene a\n    prompt "unclosed\n    camera zoom-in ~\n')
    assert [value for kind, value in tokens if kind in Error] == ["\n", "~"]
    tokens = _lex('    prompt "@mira, \\"hi\\"" # note\n')
    kinds = {value: kind for kind, value in tokens}
    assert kinds["@mira"] is Name.Variable
    assert kinds['\\"'] in String.Escape
    assert kinds["# note"] in Comment


def test_lexer_is_registered_for_pygments() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    target = project["entry-points"]["pygments.lexers"]["storyscore"]
    assert target == f"{StoryscoreLexer.__module__}:{StoryscoreLexer.__name__}"
