"""The one exception tree of storyscore.

Every failure a user can cause or meet is one of these; the CLI catches only
the root and prints it, never a traceback::

    StoryscoreError
    ├── ScriptError          a script has problems (carries every Diagnostic)
    ├── PaintError           a picture could not be made
    │   └── BackendMissing   an optional extra is not installed
    ├── CacheError           the cache folder cannot be used
    ├── AudioError           narration, synthesis or mixing failed
    ├── RenderError          video encoding or export failed
    └── WriteError           an output file could not be written (also an OSError)

Errors that point into a script carry a ``SourceSpan`` so they print as
``FILE:LINE:COL: error: MESSAGE``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storyscore.diagnostics import Diagnostic, SourceSpan


class StoryscoreError(Exception):
    """Root of every error storyscore raises on purpose."""

    def __init__(self, message: str, span: SourceSpan | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint


class ScriptError(StoryscoreError):
    """A script failed to parse or validate; holds all its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic], source: str | None = None):
        ordered = sorted(diagnostics, key=lambda d: d.sort_key())
        errors = [d for d in ordered if d.severity == "error"]
        first = errors[0] if errors else ordered[0]
        super().__init__(first.message, first.span, first.hint)
        self.diagnostics = ordered
        self.source = source

    def __str__(self) -> str:
        from storyscore.diagnostics import render_all

        return render_all(self.diagnostics, self.source)


class PaintError(StoryscoreError):
    """A painter failed to make a picture."""


class BackendMissing(PaintError):
    """An optional backend's dependencies are not installed."""


class CacheError(StoryscoreError):
    """The cache could not be read or written."""


class AudioError(StoryscoreError):
    """Narration, music synthesis or mixing failed."""


class RenderError(StoryscoreError):
    """Encoding a video or writing an export failed."""


class WriteError(StoryscoreError, OSError):
    """An output could not be written: names the path and the system's reason.

    It is an ``OSError`` too (with ``errno``, ``strerror`` and ``filename``), so
    code that wraps write failures in its own error keeps doing so.
    """

    def __init__(self, message: str, cause: OSError, path: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.errno = cause.errno
        self.strerror = cause.strerror or str(cause)
        self.filename = path

    def __str__(self) -> str:
        return self.message


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``word`` (ignoring case when nothing matches as written)."""
    pool = list(candidates)
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        matches = [lowered[m] for m in difflib.get_close_matches(word.lower(), lowered, 1, cutoff)]
    return matches[0] if matches else None


def suggest(word: str, candidates: Iterable[str], cutoff: float = 0.6,
            shown: str = "{}") -> str | None:
    """``did you mean 'x'?`` for the closest candidate, if one is close enough.

    ``shown`` formats the candidate as the user should type it (e.g. ``espeak:{}``).
    """
    match = closest(word, candidates, cutoff)
    return f"did you mean '{shown.format(match)}'?" if match is not None else None
