"""Progress on standard error: a live bar per stage, silent with ``--quiet``."""

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


class Progress:
    """Stage bars for long work; does nothing when ``quiet``."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self._bars: RichProgress | None = None
        if not quiet:
            console = Console(file=sys.stderr)
            self._bars = RichProgress(
                TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[item]}"), TimeElapsedColumn(),
                console=console, transient=False, disable=not console.is_terminal,
            )

    def __enter__(self) -> Progress:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self._bars is not None:
            self._bars.stop()

    def task(self, description: str, total: float) -> TaskID:
        if self._bars is None:
            return TaskID(0)
        return self._bars.add_task(description, total=total, item="")

    def advance(self, task: TaskID, item: str = "", amount: float = 1) -> None:
        if self._bars is not None:
            self._bars.update(task, advance=amount, item=item)

    def update(self, task: TaskID, completed: float, item: str = "") -> None:
        if self._bars is not None:
            self._bars.update(task, completed=completed, item=item)
