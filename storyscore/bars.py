"""The command line's progress display: a live rich bar per stage on standard error.

``Bars`` is a ``storyscore.progress.Progress`` callback; it draws nothing with
``--quiet`` or when standard error is not a terminal.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress


class Bars:
    """Stage bars for long work, fed by ``(stage, done, total, item)`` reports."""

    def __init__(self, quiet: bool = False):
        self._bars: RichProgress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._done: dict[str, int] = {}
        if not quiet:
            console = Console(file=sys.stderr)
            self._bars = RichProgress(
                TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[item]}"), TimeElapsedColumn(),
                console=console, transient=False, disable=not console.is_terminal,
            )

    def __enter__(self) -> Bars:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self._bars is not None:
            self._bars.stop()

    def __call__(self, stage: str, done: int, total: int, item: str, /) -> None:
        if self._bars is None:
            return
        task = self._tasks.get(stage)
        # A stage that starts over (the next path of a render) gets a new bar.
        if task is None or (done == 0 and self._done[stage] > 0):
            self._tasks[stage] = self._bars.add_task(stage.capitalize(), total=total, item=item)
        else:
            self._bars.update(task, completed=done, total=total, item=item)
        self._done[stage] = done
