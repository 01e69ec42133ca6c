"""storyscore: narrated, scored picture-book videos from a small story language.

The Python API (``storyscore.api``) is re-exported here::

    import storyscore

    story = storyscore.load("lighthouse.sco")
    storyscore.render(story, "lighthouse.mp4")

The API's functions load on first use, so ``import storyscore`` stays cheap.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from storyscore.errors import ScriptError, StoryscoreError

if TYPE_CHECKING:
    from storyscore.api import (
        Painted,
        RenderResult,
        Scored,
        Video,
        explain,
        load,
        make_book,
        paint,
        render,
        score,
    )
    from storyscore.progress import Progress

__version__ = "0.1.0"

__all__ = [
    "Painted",
    "Progress",
    "RenderResult",
    "Scored",
    "ScriptError",
    "StoryscoreError",
    "Video",
    "__version__",
    "explain",
    "load",
    "make_book",
    "paint",
    "render",
    "score",
]

_LAZY = {
    "Painted": "storyscore.api",
    "RenderResult": "storyscore.api",
    "Scored": "storyscore.api",
    "Video": "storyscore.api",
    "explain": "storyscore.api",
    "load": "storyscore.api",
    "make_book": "storyscore.api",
    "paint": "storyscore.api",
    "render": "storyscore.api",
    "score": "storyscore.api",
    "Progress": "storyscore.progress",
}


_SHADOWED = frozenset({"render", "paint"})
"""API functions named like engine packages (``storyscore/render/``, ``storyscore/paint/``)."""


class _Package(types.ModuleType):
    """The ``storyscore`` module, whose API functions outrank same-named engine packages.

    Importing ``storyscore.render.encode`` makes Python set the attribute
    ``storyscore.render`` to that package; without this guard the function
    ``storyscore.render`` would turn into a module as soon as anything rendered.
    The packages stay importable by their full names (``from storyscore.render
    import probe``); only attribute access on ``storyscore`` gives the functions.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """The API's names, imported when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'storyscore' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
