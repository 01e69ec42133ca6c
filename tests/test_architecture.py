"""The package's shape: no import cycle, and the engines never see the story model.

Imports are read from the source with ``ast`` (those inside functions too), so
a lazy import cannot hide a cycle or a layering breach.
"""

from __future__ import annotations

import ast
from pathlib import Path

import storyscore

PACKAGE = Path(storyscore.__file__).parent
ENGINES = ("storyscore.paint", "storyscore.audio", "storyscore.compose", "storyscore.render",
           "storyscore.export", "storyscore.analyse")
# What an engine may not import: the Story model and everything built on it.
STORY_AWARE = ("storyscore.model", "storyscore.pipeline", "storyscore.reports", "storyscore.dsl",
               "storyscore.timeline", "storyscore.settings", "storyscore.cli", "storyscore.api")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """The storyscore modules ``name`` imports (a ``from pkg import mod`` names ``pkg.mod``)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in MODULES else base)
    return {m for m in found if m in MODULES}


GRAPH = {name: _imports(name) for name in MODULES}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(GRAPH):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_graph_is_read() -> None:
    assert "storyscore.pipeline.soundtrack" in GRAPH["storyscore.pipeline.video"]
    assert "storyscore.audio.voices.base" in GRAPH["storyscore.audio.voices.espeak"]


def test_no_import_cycle() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    GRAPH["storyscore.errors"].add("storyscore.files")
    GRAPH["storyscore.files"].add("storyscore.errors")
    try:
        assert _cycle() is not None
    finally:
        GRAPH["storyscore.errors"].discard("storyscore.files")
        GRAPH["storyscore.files"].discard("storyscore.errors")


def test_engines_do_not_see_the_story() -> None:
    breaches = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items() if module.startswith(ENGINES)
        for target in targets if target.startswith(STORY_AWARE)
    )
    assert breaches == []
