"""How long work reports its progress: one small callback, no display attached.

Every long operation accepts ``on_progress``: a callable receiving
``(stage, done, total, item)``, e.g. ``("painting", 2, 5, "storm")`` after the
second of five pictures. A stage's first call has ``done == 0`` and announces
its total; a later call with ``done == 0`` starts the stage over (the next
path of a multi-path render). ``None`` reports nothing. The command line turns
these calls into bars (``storyscore.bars``); a library user can print them,
log them or pass nothing.
"""

from __future__ import annotations

from typing import Protocol

__all__ = [
    "COMPOSING",
    "MEASURING",
    "NARRATING",
    "PAGES",
    "PAINTING",
    "STAGES",
    "SYNTHESISING",
    "VIDEO",
    "WRITING",
    "Progress",
    "Stage",
]

PAINTING = "painting"
NARRATING = "narrating"
MEASURING = "measuring"
COMPOSING = "composing"
SYNTHESISING = "synthesising"
VIDEO = "video"
PAGES = "pages"
WRITING = "writing"
STAGES = (PAINTING, NARRATING, MEASURING, COMPOSING, SYNTHESISING, VIDEO, PAGES, WRITING)
"""Every stage name a report can carry, in the order the work reaches them."""


class Progress(Protocol):
    """Receives ``(stage, done, total, item)`` as work advances; ``item`` names
    what was just finished (a scene id, an output file) or is empty."""

    def __call__(self, stage: str, done: int, total: int, item: str, /) -> None: ...


class Stage:
    """Counts the units of one stage and reports each to ``on_progress``.

    Creating it announces the stage (``done == 0``), so a display can show the
    total before the first unit ends.
    """

    def __init__(self, on_progress: Progress | None, stage: str, total: int):
        self.on_progress = on_progress
        self.stage = stage
        self.total = total
        self.done = 0
        self._report("")

    def advance(self, item: str = "") -> None:
        """One more unit is finished."""
        self.done += 1
        self._report(item)

    def update(self, done: int, total: int, item: str = "") -> None:
        """Report a count kept by someone else (an engine's own callback)."""
        self.done, self.total = done, total
        self._report(item)

    def _report(self, item: str) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stage, self.done, self.total, item)
