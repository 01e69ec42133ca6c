"""One document as the language server sees it: ``check``'s diagnostics, its
symbols, and the last story that checked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyscore.diagnostics import Diagnostic
from storyscore.dsl.load import Loaded, parse_story
from storyscore.dsl.symbols import Symbols, index_symbols
from storyscore.errors import ScriptError, StoryscoreError
from storyscore.reports.outline import outline

SUGGESTION = re.compile(r"^did you mean '([^']+)'\?$")


@dataclass(frozen=True)
class Analysis:
    """A document's problems (as ``check`` reports them) and names; ``loaded`` when it checks."""

    diagnostics: tuple[Diagnostic, ...]
    symbols: Symbols
    loaded: Loaded | None


def analyse_text(text: str, filename: str) -> Analysis:
    """Check ``text`` as ``storyscore check FILENAME`` would, and index its names."""
    symbols = index_symbols(text, filename)
    try:
        loaded = parse_story(text, filename)
    except ScriptError as error:
        return Analysis(tuple(error.diagnostics), symbols, None)
    except StoryscoreError as error:  # a limit such as the script's size
        span = error.span
        if span is None:
            return Analysis((), symbols, None)
        return Analysis((Diagnostic("error", error.message, span, error.hint),), symbols, None)
    _, planned = outline(loaded.story)
    found = sorted([*loaded.warnings, *planned], key=Diagnostic.sort_key)
    return Analysis(tuple(found), symbols, loaded)


def suggestion(diagnostic: Diagnostic) -> str | None:
    """The word a ``did you mean 'x'?`` hint offers, if the hint is one."""
    match = SUGGESTION.match(diagnostic.hint or "")
    return match[1] if match else None


def replacement(found: str, suggested: str) -> str | None:
    """What to write over ``found`` (the text a diagnostic points at) to apply a suggestion.

    Only a single word is replaced; ``@`` before a character id is kept.
    """
    if not found or any(ch.isspace() for ch in found) or found == suggested:
        return None
    if found.startswith("@") and not suggested.startswith("@"):
        suggested = "@" + suggested
    return suggested
