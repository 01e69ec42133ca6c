"""Property tests for the editor tools: any text, half-written or not, gives the
language server and the highlighter an answer, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import ALPHABET, mutated

from storyscore.dsl.symbols import index_symbols
from storyscore.highlight import StoryscoreLexer
from storyscore.lsp.analysis import analyse_text
from storyscore.lsp.complete import candidates

LANGUAGE_LIKE = st.lists(ALPHABET, max_size=80).map("".join)


def _text_at(lines: list[str], line: int, column: int, end_column: int) -> str:
    return lines[line - 1][column - 1:end_column - 1]


def _editor_answers(text: str) -> None:
    analysis = analyse_text(text, "prop.sco")
    symbols = index_symbols(text, "prop.sco")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    # Every name is found where its span says.
    for item in (*symbols.definitions, *symbols.references):
        shown = "@" + item.name if item.kind == "character" and item in symbols.references \
            else item.name
        assert _text_at(lines, item.span.line, item.span.column, item.span.end_column) == shown
    assert analysis.symbols == symbols
    assert analysis.loaded is not None or any(d.severity == "error"
                                              for d in analysis.diagnostics)
    for number, line in enumerate(lines):
        for column in range(len(line) + 1):
            for candidate in candidates(line, column, symbols, number):
                assert candidate.label
    tokens = StoryscoreLexer(stripnl=False, ensurenl=False).get_tokens(text)
    assert "".join(value for _, value in tokens) == text.replace("\r\n", "\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LANGUAGE_LIKE)
def test_language_like_text(text: str) -> None:
    _editor_answers(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_half_edited_stories(text: str) -> None:
    _editor_answers(text)
