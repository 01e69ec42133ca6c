"""Where the pipeline's units of work run: one after another in this process, or
as tasks on a Ray cluster (``pipeline.distributed``).

A stage describes its work as ``Task``s (a module-level stage function, its
arguments, and what one run of it needs) and hands them to an ``Executor``,
which gives the results back as they finish. The stage functions are the same
wherever they run, so a render on a cluster makes the same files as one here.
Results reach the driver (this process) as return values; large ones, such as
pictures and video segments, are files in the cache folder and travel as paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["LOCAL", "Executor", "LocalExecutor", "Needs", "Task", "in_order"]

T = TypeVar("T")


@dataclass(frozen=True)
class Needs:
    """What one run of a task needs of the machine that runs it (Ray's resource hints)."""

    cpus: float = 1.0
    gpus: float = 0.0


@dataclass(frozen=True)
class Task(Generic[T]):
    """One unit of work: ``function(*args)``, which must be a module-level function
    (a cluster imports it by name) whose arguments and result can be pickled."""

    function: Callable[..., T]
    args: tuple[Any, ...]
    needs: Needs = field(default_factory=Needs)


class Executor(Protocol):
    """Runs tasks and yields ``(index, result)`` for each as it finishes.

    ``distributed`` says whether tasks run in other processes or machines,
    which see only their arguments and the cache folder (not this process's
    scratch files). The first task that fails raises its error from the
    iterator; tasks not yet finished are dropped.
    """

    @property
    def distributed(self) -> bool: ...

    def run(self, tasks: Sequence[Task[T]]) -> Iterator[tuple[int, T]]: ...


class LocalExecutor:
    """Runs each task in this process, in the order given."""

    @property
    def distributed(self) -> bool:
        return False

    def run(self, tasks: Sequence[Task[T]]) -> Iterator[tuple[int, T]]:
        for index, task in enumerate(tasks):
            yield index, task.function(*task.args)


LOCAL = LocalExecutor()
"""The executor of a render without ``--ray``: everything in this process."""


def in_order(executor: Executor, tasks: Sequence[Task[T]],
             on_done: Callable[[int, T], None] | None = None) -> list[T]:
    """Every task's result in the order of ``tasks``; ``on_done(index, result)`` is
    called as each one finishes (in whatever order they finish)."""
    results: dict[int, T] = {}
    for index, result in executor.run(tasks):
        results[index] = result
        if on_done is not None:
            on_done(index, result)
    return [results[index] for index in range(len(tasks))]
