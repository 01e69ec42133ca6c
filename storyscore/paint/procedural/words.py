"""An author's own words for the procedural painter: a YAML file of synonyms and
palette variants, checked with every problem located in the file.

```yaml
synonyms:            # a word or phrase -> a concept or a kind of character
  glade: meadow
  brook: river
  hedgehog: mouse
colours:             # palette variants: a colour word of the author's -> #rrggbb
  mauve: "#b784a7"
```

A synonym adds a word; it never changes one the painter knows ("fog" stays
mist). The words reach the painter as data (``PaintRequest.words``): pairs of
the word and its meaning, a concept, a kind or a colour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from storyscore.diagnostics import Diagnostic, SourceSpan
from storyscore.errors import suggest
from storyscore.paint.procedural.characters import KINDS, find_kind, tokens
from storyscore.paint.procedural.concepts import CONCEPTS, meaning_of

SECTIONS = ("synonyms", "colours")
# Reports a problem at a node of the file (None: the start of the file), with a hint.
Report = Callable[[yaml.Node | None, str, str | None], None]
_WORD = re.compile(r"[a-z][a-z' -]*[a-z]|[a-z]")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def read_words(path: Path, display: str | None = None
               ) -> tuple[tuple[tuple[str, str], ...], list[Diagnostic]]:
    """The author's words in ``path`` as (word, meaning) pairs, and every problem found.

    ``display`` is the file's name in diagnostics (as the script wrote it).
    """
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        return (), [Diagnostic("error", f"cannot read the words file {name}: {reason}",
                               SourceSpan(name, 1, 1, 1, 1))]
    return parse_words(text, name)


def parse_words(text: str, name: str) -> tuple[tuple[tuple[str, str], ...], list[Diagnostic]]:
    """Check an author's words file; see ``read_words``."""
    lines = text.splitlines()
    problems: list[Diagnostic] = []

    def error(node: yaml.Node | None, message: str, hint: str | None) -> None:
        line, col, end = (node.start_mark.line, node.start_mark.column,
                          node.end_mark.column) if node is not None else (0, 0, 1)
        same_line = node is None or node.end_mark.line == node.start_mark.line
        span = SourceSpan(name, line + 1, col + 1, line + 1, (end if same_line else col + 1) + 1)
        shown = lines[line] if 0 <= line < len(lines) else None
        problems.append(Diagnostic("error", message, span, hint, shown))

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = yaml.ScalarNode("tag:yaml.org,2002:str", "", mark, mark) if mark else None
        error(where, f"the words file is not valid YAML: {getattr(exc, 'problem', exc)}",
              "write `synonyms:` and `colours:`, each with `word: meaning` lines under it")
        return (), problems
    if root is None:
        return (), problems
    if not isinstance(root, yaml.MappingNode):
        error(root, "a words file holds `synonyms:` and `colours:` sections",
              "for example:\nsynonyms:\n  glade: meadow")
        return (), problems
    out: list[tuple[str, str]] = []
    for key, value in root.value:
        section = key.value if isinstance(key, yaml.ScalarNode) else None
        if section not in SECTIONS:
            error(key, f"unknown section '{section}'",
                  suggest(str(section), SECTIONS) or "the sections are synonyms and colours")
            continue
        if not isinstance(value, yaml.MappingNode):
            if not (isinstance(value, yaml.ScalarNode) and value.value in ("", "null", "~")):
                error(value, f"'{section}' holds `word: meaning` lines", None)
            continue
        for word_node, meaning_node in value.value:
            pair = _entry(section, word_node, meaning_node, error)
            if pair is not None:
                if any(w == pair[0] for w, _ in out):
                    error(word_node, f"'{pair[0]}' is given twice", "keep one")
                    continue
                out.append(pair)
    return tuple(out), problems


_CONCEPT_NAMES = {c.name: c.category for c in CONCEPTS}


def _entry(section: str, word_node: yaml.Node, meaning_node: yaml.Node,
           report: Report) -> tuple[str, str] | None:
    """One ``word: meaning`` line, checked; None when it is wrong (reported)."""
    if not isinstance(word_node, yaml.ScalarNode) or not isinstance(meaning_node,
                                                                   yaml.ScalarNode):
        report(word_node, "each line is `word: meaning`", None)
        return None
    word = " ".join(word_node.value.lower().split())
    meaning = meaning_node.value.strip()
    if not _WORD.fullmatch(word):
        report(word_node, f"'{word_node.value}' is not a word",
               "words are letters, with spaces, hyphens or apostrophes inside")
        return None
    known = meaning_of(word)
    if section == "colours":
        if not _HEX.fullmatch(meaning):
            report(meaning_node, f"'{meaning}' is not a colour",
                   'write it as "#rrggbb" in quotes, for example "#b784a7"')
            return None
        if known:
            report(word_node, f"'{word}' already means {known}",
                   "a words file adds words; it does not change the painter's own")
            return None
        return word, meaning.lower()
    if meaning not in _CONCEPT_NAMES and meaning not in KINDS:
        hint = suggest(meaning, [*_CONCEPT_NAMES, *KINDS])
        report(meaning_node, f"unknown concept or kind '{meaning}'",
               hint or "a synonym names a concept the painter knows (meadow, river, "
                       "lantern…) or a kind of character (fox, owl, boat…)")
        return None
    kind = find_kind(tokens(word))
    # A kind word on its own ("fox"), not one inside a longer phrase ("fox glove").
    kind_name = kind[0] if kind is not None and kind[1] == len(tokens(word)) - 1 else None
    already = next((m for m in (known, kind_name) if m and m != meaning), None)
    if already:
        report(word_node, f"'{word}' already means {already}",
               "a words file adds words; it does not change the painter's own")
        return None
    return word, meaning
