"""`storyscore lsp` through the protocol: a real client drives the server over stdio.

Skipped when pytest-lsp (a dev dependency) is missing.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")

import pytest_asyncio  # noqa: E402 (pytest-lsp's own dependency)
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from conftest import ROOT  # noqa: E402
from storyscore.cli import app  # noqa: E402
from storyscore.diagnostics import Diagnostic, SourceSpan, render_all  # noqa: E402
from storyscore.dsl.format import format_script  # noqa: E402

SERVER = [sys.executable, "-c", "from storyscore.cli import app; app()", "lsp"]

BAD = '''title "Bad"
character boat "a small paper boat"

scene one
    prompt "@bot on the sea"
    narrate "Hello there."
    transition fadee 1s
    next tow

scene two
    prompt "a tower"
    end
'''

LONG = '''title "Long"

scene talk 2s
    prompt "a room"
    narrate "So many words that the narration cannot possibly fit in two short seconds at all."
'''


# Every test runs in the module's event loop, the one its server's client lives in.
pytestmark = pytest.mark.asyncio(loop_scope="module")

# The documents the running test opened, closed when it ends (``_close_documents``).
_opened: list[str] = []


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> dict[str, str]:
    """The server's environment: a home folder of its own and the run's cache.

    The server outlives each test's own home folder (``_isolated``), so it gets
    one for the module.
    """
    home = tmp_path_factory.mktemp("lsp-home")
    return {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
            "STORYSCORE_CACHE": str(shared_cache)}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(server_env: dict[str, str]) -> AsyncIterator[LanguageClient]:
    """One server for the module's tests, as an editor keeps one for its session.

    Starting a server is most of a test's time; each test still starts from a
    server with no document open (``_close_documents``).
    """
    lsp = await ClientServerConfig(server_command=SERVER, server_env=server_env).start()
    params = types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    await lsp.initialize_session(params)
    yield lsp
    await lsp.shutdown_session()
    await lsp.stop()


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def _close_documents(client: LanguageClient) -> AsyncIterator[None]:
    """Close every document the test opened, and wait until the server has let it go."""
    yield
    while _opened:
        uri = _opened.pop()
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            types.TextDocumentIdentifier(uri)))
        assert await _diagnostics(client, uri, None) == []


def _open(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.resolve().as_uri()
    _opened.append(uri)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="storyscore", version=1,
        text=path.read_text("utf-8") if text is None else text)))
    return uri


async def _diagnostics(client: LanguageClient, uri: str,
                       version: int | None) -> list[types.Diagnostic]:
    """The diagnostics published for ``version`` of the document (``None``: those
    that clear it when it closes)."""
    async with asyncio.timeout(30):
        while True:
            params = await client.wait_for_notification(
                types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)


def _as_check(path: Path, found: list[types.Diagnostic]) -> str:
    """The protocol's diagnostics printed the way `check` prints them."""
    back = []
    for item in found:
        message, _, hint = item.message.partition("\n")
        severity = "error" if item.severity == types.DiagnosticSeverity.Error else "warning"
        span = SourceSpan(str(path), item.range.start.line + 1, item.range.start.character + 1,
                          item.range.end.line + 1, item.range.end.character + 1)
        back.append(Diagnostic(severity, message, span, hint or None))
    return render_all(back, path.read_text("utf-8"))


def _check_output(path: Path) -> str:
    result = CliRunner().invoke(app, ["check", str(path)])
    lines = result.stderr.splitlines()
    return "\n".join(line for line in lines if not line.endswith("nothing was written"))


@pytest.mark.parametrize(("name", "text"), [("bad.sco", BAD), ("long.sco", LONG)])
async def test_diagnostics_equal_check(client: LanguageClient, tmp_path: Path, name: str,
                                       text: str) -> None:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    found = await _diagnostics(client, _open(client, path), 1)
    assert found, "the script has problems"
    assert _as_check(path, found) == _check_output(path)


async def test_example_stories_have_no_diagnostics(client: LanguageClient) -> None:
    for story in sorted((ROOT / "stories").glob("*.sco")):
        assert await _diagnostics(client, _open(client, story), 1) == [], story.name


async def test_diagnostics_follow_typing(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "demo.sco"
    good = (ROOT / "stories" / "demo.sco").read_text("utf-8")
    path.write_text(good, "utf-8")
    uri = _open(client, path)
    assert await _diagnostics(client, uri, 1) == []
    line = good.splitlines().index("    camera  zoom-out")
    typo = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(line, 12), types.Position(line, 20)), text="zoom-ot")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2), [typo]))
    [found] = await _diagnostics(client, uri, 2)
    assert found.message == "unknown camera move 'zoom-ot'\ndid you mean 'zoom-out'?"
    assert found.range == types.Range(types.Position(line, 12), types.Position(line, 19))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        [types.TextDocumentContentChangeWholeDocument(text=good)]))
    assert await _diagnostics(client, uri, 3) == []


async def test_quick_fixes_apply_the_suggestions(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "bad.sco"
    path.write_text(BAD, "utf-8")
    uri = _open(client, path)
    found = await _diagnostics(client, uri, 1)
    lines = BAD.splitlines()
    for item in found:
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri), range=item.range,
            context=types.CodeActionContext(diagnostics=[item])))
        assert actions is not None
        [action] = actions
        assert isinstance(action, types.CodeAction)
        assert action.kind == types.CodeActionKind.QuickFix
        assert action.edit is not None
        assert action.edit.changes is not None
        [edit] = action.edit.changes[uri]
        assert edit.range.start.line == edit.range.end.line
        row = lines[edit.range.start.line]
        lines[edit.range.start.line] = (row[: edit.range.start.character] + edit.new_text
                                        + row[edit.range.end.character:])
    assert lines[4] == '    prompt "@boat on the sea"'
    assert lines[6] == "    transition fade 1s"
    assert lines[7] == "    next two"
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text="\n".join(lines) + "\n")]))
    assert await _diagnostics(client, uri, 2) == []


async def test_ranges_count_utf16_units(client: LanguageClient, tmp_path: Path) -> None:
    """An emoji before a typo is two UTF-16 units, as VS Code counts them."""
    path = tmp_path / "emoji.sco"
    path.write_text('title "🌊 sea"\n\nscene sea "🌊" 5s fadee\n    prompt "a sea"\n', "utf-8")
    [found] = await _diagnostics(client, _open(client, path), 1)
    start = len('scene sea "🌊" 5s '.encode("utf-16-le")) // 2
    assert found.range.start == types.Position(2, start)
    assert found.range.end == types.Position(2, start + 5)


async def _completions(client: LanguageClient, uri: str, text: str, line: int,
                       column: int) -> list[types.CompletionItem]:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=line * 1000 + column),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, column)))
    assert isinstance(result, types.CompletionList)
    return result.items


async def _complete(client: LanguageClient, uri: str, text: str, line: int,
                    column: int) -> set[str]:
    return {item.label for item in await _completions(client, uri, text, line, column)}


async def test_completion(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "demo.sco"
    demo = (ROOT / "stories" / "demo.sco").read_text("utf-8")
    path.write_text(demo, "utf-8")
    uri = _open(client, path)
    cases = [
        ("tr", "transition", "scene"),  # a header setting, then 'scene'
        ("    na", "narrate", "choice"),  # a scene statement
        ("    transition cr", "crossfade", "wipe-left"),
        ("    camera z", "zoom-in", "pan-up"),
        ("    music mood d", "dreamy", "calm"),
        ("    music tempo 90, ", "instrument", "mood"),
        ("    music instrument harp+", "strings", "flute"),
        ("    music key D ", "major", "minor"),
        ("    music key F# ", "major", "minor"),  # 'F#' is a note, not a comment
        ("    voice ", "espeak", "joe"),
        ("    next ", "harbour", "night"),
        ('    choice "Sail on" -> ', "river", "night"),
        ('    prompt "@', "boat", "boat"),
    ]
    for typed, *expected in cases:
        text = demo + typed + "\n"
        line = text.count("\n") - 1
        labels = await _complete(client, uri, text, line, len(typed))
        assert set(expected) <= labels, typed
    # Nothing is offered inside a plain string or a comment.
    for typed in ('    narrate "The cr', "    # camera z", "    music key F# minor # mood "):
        text = demo + typed + "\n"
        assert await _complete(client, uri, text, text.count("\n") - 1, len(typed)) == set()
    # Each completion replaces the word typed so far, up to a '+' or an '@'.
    for typed, word in (("    camera zoom-", "zoom-"), ("    music instrument harp+str", "str"),
                        ('    prompt "a @bo', "bo"), ("    music key F#", "F#")):
        text = demo + typed + "\n"
        line = text.count("\n") - 1
        first = len(typed) - len(word)
        items = await _completions(client, uri, text, line, len(typed))
        assert items, typed
        for item in items:
            assert isinstance(item.text_edit, types.TextEdit)
            assert item.text_edit.range == types.Range(types.Position(line, first),
                                                       types.Position(line, len(typed)))
            assert item.text_edit.new_text == item.label
    # Inside a triple-quoted string, lines are text: only '@' completes.
    for typed, expected in (("        na", set()), ("        a boat and @", {"boat"})):
        text = demo + '    narrate """\n        Once.\n' + typed + '\n        """\n'
        line = text.count("\n") - 2
        assert await _complete(client, uri, text, line, len(typed)) == expected, typed


def _position(text: str, needle: str, nth: int = 0, offset: int = 0) -> types.Position:
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1))


async def test_hover_shows_duration_music_and_description(client: LanguageClient) -> None:
    story = ROOT / "stories" / "demo.sco"
    text = story.read_text("utf-8")
    uri = _open(client, story)
    at = _position(text, "scene night", offset=7)

    async def hover() -> str:
        result = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), at))
        assert result is not None
        assert isinstance(result.contents, types.MarkupContent)
        return result.contents.value

    shown = await hover()
    assert shown.startswith("**scene night** — Out to sea\n\nduration: 7.0s\n\n")
    assert "music asked for: mood dreamy, instrument harp+strings" in shown
    # The music plan comes from the painted pictures, off the protocol's thread.
    async with asyncio.timeout(120):
        while "being worked out" in shown:
            await asyncio.sleep(0.5)
            shown = await hover()
    explained = CliRunner().invoke(app, ["explain", str(story), "--quiet"]).stdout
    head = next(line for line in explained.splitlines() if line.startswith("night ("))
    assert shown.endswith("music: " + head.split(": ", 1)[1])

    result = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), _position(text, "@boat", nth=1, offset=2)))
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.value == "**character boat**: a small paper boat with a red sail"


async def test_definition_and_references(client: LanguageClient) -> None:
    story = ROOT / "stories" / "lighthouse.sco"
    text = story.read_text("utf-8")
    uri = _open(client, story)
    target = _position(text, "-> tower", offset=4)
    found = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(uri), target))
    assert isinstance(found, types.Location)
    assert found.range.start == _position(text, "scene tower", offset=6)
    refs = await client.text_document_references_async(types.ReferenceParams(
        context=types.ReferenceContext(include_declaration=True),
        text_document=types.TextDocumentIdentifier(uri), position=found.range.start))
    assert refs is not None
    starts = [r.range.start for r in refs]
    uses = text.count("-> tower") + text.count("next tower")
    assert len(starts) == 1 + uses
    assert starts[0] == found.range.start


async def test_document_symbols_outline_the_scenes(client: LanguageClient) -> None:
    story = ROOT / "stories" / "demo.sco"
    uri = _open(client, story)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    assert symbols is not None
    outline = [(s.name, s.kind, s.detail) for s in symbols
               if isinstance(s, types.DocumentSymbol)]
    assert outline == [
        ("boat", types.SymbolKind.Variable, "a small paper boat with a red sail"),
        ("harbour", types.SymbolKind.Class, "The harbour"),
        ("river", types.SymbolKind.Class, "river"),
        ("night", types.SymbolKind.Class, "Out to sea"),
    ]


async def test_formatting_is_fmt(client: LanguageClient, tmp_path: Path) -> None:
    messy = 'title   "Messy"\nscene a   5s\n    prompt    "a field"   # sunny\n    end\n'
    path = tmp_path / "messy.sco"
    path.write_text(messy, "utf-8")
    uri = _open(client, path)
    options = types.FormattingOptions(tab_size=4, insert_spaces=True)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri), options))
    assert edits is not None
    [edit] = edits
    assert edit.range.start == types.Position(0, 0)
    assert edit.new_text == format_script(messy, str(path)) != messy
    # A script with errors is not formatted, as `fmt` refuses it.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=messy + "    camera zom\n")]))
    assert await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri), options)) is None
