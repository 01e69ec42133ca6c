"""The language server: pygls wiring from protocol requests to the analysis."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from storyscore import __version__
from storyscore.cache import Cache
from storyscore.diagnostics import Diagnostic, SourceSpan
from storyscore.dsl.format import format_script
from storyscore.dsl.symbols import Definition, Reference
from storyscore.errors import StoryscoreError
from storyscore.lsp.analysis import Analysis, analyse_text, replacement, suggestion
from storyscore.lsp.complete import Candidate, candidates, replaced_from
from storyscore.model import Story
from storyscore.reports.scenes import (
    MusicPlan,
    describe_length,
    describe_music,
    describe_settings,
    music_plan,
    plan_is_cheap,
    scene_times,
)

_KINDS = {
    "keyword": types.CompletionItemKind.Keyword,
    "setting": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.EnumMember,
    "scene": types.CompletionItemKind.Reference,
    "character": types.CompletionItemKind.Variable,
}


PLANS_KEPT = 8  # finished plans kept, so undoing an edit finds its plan again


class StoryServer(LanguageServer):
    """A language server that remembers each open script's analysis and its music plans."""

    def __init__(self, cache: Cache) -> None:
        super().__init__("storyscore", __version__)
        self.cache = cache
        self.analyses: dict[str, Analysis] = {}
        self.last_good: dict[str, Story] = {}
        # Plans paint pictures, so they are made one at a time off the protocol's thread.
        self.planner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan")
        self.plans: dict[Story, Future[MusicPlan]] = {}

    def analyse(self, document: TextDocument) -> Analysis:
        analysis = analyse_text(document.source, _filename(document))
        self.analyses[document.uri] = analysis
        if analysis.loaded is not None:
            story = analysis.loaded.story
            self.last_good[document.uri] = story
            if story not in self.plans and plan_is_cheap(story):
                self.schedule_plan(story)
        return analysis

    def schedule_plan(self, story: Story) -> None:
        """Plan ``story`` next, dropping plans of older versions that have not started."""
        for older, future in list(self.plans.items()):
            if future.cancel():
                del self.plans[older]
        self.plans[story] = self.planner.submit(music_plan, story, self.cache)
        while len(self.plans) > PLANS_KEPT:
            del self.plans[next(iter(self.plans))]

    def analysis(self, uri: str) -> tuple[TextDocument, Analysis]:
        document = self.workspace.get_text_document(uri)
        known = self.analyses.get(uri)
        return document, known if known is not None else self.analyse(document)

    def plan_for(self, story: Story) -> MusicPlan | str:
        """The story's music plan, or why there is none yet."""
        future = self.plans.get(story)
        if future is None:
            return "derived from the pictures once they are painted (storyscore explain)"
        if not future.done():
            return "being worked out from the pictures…"
        try:
            return future.result()
        except StoryscoreError as error:
            return f"unavailable: {error.message}"
        except Exception as error:  # a hover must answer even when a stage fails
            return f"unavailable: {error!r}"


def _filename(document: TextDocument) -> str:
    return document.path if document.uri.startswith("file:") else document.uri


def to_range(document: TextDocument, span: SourceSpan) -> types.Range:
    """A 1-based, end-exclusive span as a protocol range in the client's units."""
    end_line, end_column = span.end_line, span.end_column
    if (end_line, end_column) <= (span.line, span.column):
        end_line, end_column = span.line, span.column + 1
    points = ServerTextRange(ServerTextPosition(span.line - 1, span.column - 1),
                             ServerTextPosition(end_line - 1, end_column - 1))
    return document.range_to_client_units(points)


def _text_in(document: TextDocument, span: SourceSpan) -> str:
    if span.line != span.end_line or not 1 <= span.line <= len(document.lines):
        return ""
    return document.lines[span.line - 1][span.column - 1: span.end_column - 1]


def to_lsp_diagnostic(document: TextDocument, found: Diagnostic) -> types.Diagnostic:
    """A diagnostic as the protocol carries it; a suggestion travels in ``data``."""
    severity = (types.DiagnosticSeverity.Error if found.severity == "error"
                else types.DiagnosticSeverity.Warning)
    data: dict[str, Any] | None = None
    suggested = suggestion(found)
    if suggested is not None:
        fix = replacement(_text_in(document, found.span), suggested)
        data = {"fix": fix} if fix is not None else None
    message = found.message + (f"\n{found.hint}" if found.hint else "")
    return types.Diagnostic(range=to_range(document, found.span), message=message,
                            severity=severity, source="storyscore", data=data)


def _where(server: StoryServer, uri: str, position: types.Position
           ) -> tuple[TextDocument, Analysis, Definition | Reference | None]:
    document, analysis = server.analysis(uri)
    at = document.position_from_client_units(position)
    return document, analysis, analysis.symbols.at(at.line + 1, at.character + 1)


def _hover_text(server: StoryServer, uri: str, item: Definition | Reference,
                analysis: Analysis) -> str | None:
    definition = analysis.symbols.definition(item.kind, item.name)
    if item.kind == "character":
        if definition is None:
            return None
        return f"**character {item.name}**: {definition.detail}"
    story = server.last_good.get(uri)
    if story is None or all(s.id != item.name for s in story.scenes):
        return f"**scene {item.name}**" + (f" — {definition.detail}" if definition else "")
    scene = story.scene(item.name)
    lines = [f"**scene {scene.id}** — {scene.title}",
             f"duration: {describe_length(scene_times(story)[scene.id])}"]
    asked = describe_settings(story, scene)
    if asked:
        lines.append(f"music asked for: {asked}")
    plan = server.plan_for(story)
    music = plan if isinstance(plan, str) else describe_music(plan.music[scene.id])
    lines.append(f"music: {music}")
    return "\n\n".join(lines)


def _symbol(document: TextDocument, definition: Definition) -> types.DocumentSymbol:
    kind = (types.SymbolKind.Class if definition.kind == "scene"
            else types.SymbolKind.Variable)
    return types.DocumentSymbol(
        name=definition.name, kind=kind, detail=definition.detail,
        range=to_range(document, definition.extent),
        selection_range=to_range(document, definition.span))


def _item(candidate: Candidate, typed: types.Range) -> types.CompletionItem:
    # An explicit edit: clients disagree on where a word with '-' or '#' starts.
    return types.CompletionItem(label=candidate.label, kind=_KINDS[candidate.category],
                                detail=candidate.detail,
                                text_edit=types.TextEdit(range=typed, new_text=candidate.label))



def _publish(ls: StoryServer, document: TextDocument) -> None:
    """Check the document and send its diagnostics."""
    analysis = ls.analyse(document)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri=document.uri, version=document.version,
        diagnostics=[to_lsp_diagnostic(document, d) for d in analysis.diagnostics]))


def did_open(ls: StoryServer, params: types.DidOpenTextDocumentParams) -> None:
    """A document opened: check it."""
    _publish(ls, ls.workspace.get_text_document(params.text_document.uri))


def did_change(ls: StoryServer, params: types.DidChangeTextDocumentParams) -> None:
    """A document edited: check it again (diagnostics as you type)."""
    _publish(ls, ls.workspace.get_text_document(params.text_document.uri))


def did_close(ls: StoryServer, params: types.DidCloseTextDocumentParams) -> None:
    """A document closed: forget it and clear its diagnostics."""
    ls.analyses.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri=params.text_document.uri, diagnostics=[]))


def code_action(ls: StoryServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Quick fixes: each diagnostic with a suggestion offers to apply it."""
    actions = []
    for found in params.context.diagnostics:
        fix = found.data.get("fix") if isinstance(found.data, dict) else None
        if not isinstance(fix, str):
            continue
        edit = types.TextEdit(range=found.range, new_text=fix)
        actions.append(types.CodeAction(
            title=f"Change to '{fix}'", kind=types.CodeActionKind.QuickFix,
            diagnostics=[found], is_preferred=True,
            edit=types.WorkspaceEdit(changes={params.text_document.uri: [edit]})))
    return actions


def completion(ls: StoryServer, params: types.CompletionParams) -> types.CompletionList:
    """The words that fit at the cursor, each replacing the word typed so far."""
    document, analysis = ls.analysis(params.text_document.uri)
    at = document.position_from_client_units(params.position)
    line = document.lines[at.line] if at.line < len(document.lines) else ""
    text = line.rstrip("\r\n")
    found = candidates(text, at.character, analysis.symbols, at.line)
    start = ServerTextPosition(at.line, replaced_from(text, at.character))
    typed = document.range_to_client_units(ServerTextRange(start, at))
    return types.CompletionList(is_incomplete=False, items=[_item(c, typed) for c in found])


def hover(ls: StoryServer, params: types.HoverParams) -> types.Hover | None:
    """A scene's length and music, or a character's description."""
    document, analysis, item = _where(ls, params.text_document.uri, params.position)
    if item is None:
        return None
    text = _hover_text(ls, params.text_document.uri, item, analysis)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, text),
                       range=to_range(document, item.span))


def definition(ls: StoryServer, params: types.DefinitionParams) -> types.Location | None:
    """Where the scene or character under the cursor is defined."""
    document, analysis, item = _where(ls, params.text_document.uri, params.position)
    if item is None:
        return None
    target = analysis.symbols.definition(item.kind, item.name)
    if target is None:
        return None
    return types.Location(uri=document.uri, range=to_range(document, target.span))


def references(ls: StoryServer, params: types.ReferenceParams) -> list[types.Location]:
    """Every use of the scene or character under the cursor."""
    document, analysis, item = _where(ls, params.text_document.uri, params.position)
    if item is None:
        return []
    spans = [r.span for r in analysis.symbols.uses(item.kind, item.name)]
    target = analysis.symbols.definition(item.kind, item.name)
    if params.context.include_declaration and target is not None:
        spans.insert(0, target.span)
    return [types.Location(uri=document.uri, range=to_range(document, s)) for s in spans]


def document_symbol(ls: StoryServer, params: types.DocumentSymbolParams
                    ) -> list[types.DocumentSymbol]:
    """The characters and scenes, as an outline."""
    document, analysis = ls.analysis(params.text_document.uri)
    return [_symbol(document, d) for d in analysis.symbols.definitions]


def formatting(ls: StoryServer, params: types.DocumentFormattingParams
               ) -> list[types.TextEdit] | None:
    """The whole document as ``fmt`` writes it."""
    document, analysis = ls.analysis(params.text_document.uri)
    if analysis.loaded is None:
        return None  # as `fmt`, which formats only a script that checks
    text = document.source
    formatted = format_script(text, _filename(document))
    if formatted == text:
        return []
    whole = types.Range(types.Position(0, 0), types.Position(len(document.lines), 0))
    return [types.TextEdit(range=whole, new_text=formatted)]


def shutdown(ls: StoryServer, params: None) -> None:
    """Stop planning music: the client is leaving."""
    ls.planner.shutdown(wait=False, cancel_futures=True)


# Each protocol method the server answers: its name, its options, its handler.
FEATURES: list[tuple[str, Any, Callable[..., Any]]] = [
    (types.TEXT_DOCUMENT_DID_OPEN, None, did_open),
    (types.TEXT_DOCUMENT_DID_CHANGE, None, did_change),
    (types.TEXT_DOCUMENT_DID_CLOSE, None, did_close),
    (types.TEXT_DOCUMENT_CODE_ACTION,
     types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]), code_action),
    (types.TEXT_DOCUMENT_COMPLETION,
     types.CompletionOptions(trigger_characters=["@", " ", ",", "+"]), completion),
    (types.TEXT_DOCUMENT_HOVER, None, hover),
    (types.TEXT_DOCUMENT_DEFINITION, None, definition),
    (types.TEXT_DOCUMENT_REFERENCES, None, references),
    (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, None, document_symbol),
    (types.TEXT_DOCUMENT_FORMATTING, None, formatting),
    (types.SHUTDOWN, None, shutdown),
]


def make_server(cache: Cache) -> StoryServer:
    """A language server for story scripts, painting (for hovers) through ``cache``."""
    server = StoryServer(cache)
    for name, options, handler in FEATURES:
        server.feature(name, options)(handler)
    return server


def serve() -> None:
    """Run the language server on stdin and stdout until the client exits."""
    protocol_out = sys.stdout.buffer
    # Stdout carries the protocol: anything a stage prints goes to stderr instead.
    sys.stdout = sys.stderr
    with Cache.from_env() as cache:
        server = make_server(cache)
        server.start_io(sys.stdin.buffer, protocol_out)
