"""The pipeline's tasks on a Ray cluster: what ``--ray [ADDRESS]`` runs on.

``connect`` joins a cluster (or starts a local Ray instance) for the length of
a ``with`` block and gives a ``RayExecutor``, which runs each ``Task`` as a
Ray task with its resource hints (a diffusers painting asks for a GPU when the
cluster has one; everything else for one CPU). Arguments used by several tasks
(the story, the prepared scenes) go into Ray's object store once; results come
back through it, except pictures and video segments, which the tasks store in
the cache folder (shared by every node) and return as paths. Every cache entry
is written to a temporary file and renamed into place, so a task that dies
half-way leaves nothing a retry or another render could take for a result.
A task whose worker dies (a pre-empted node, a killed process) runs again, up
to ``RETRIES`` times; an error in the story itself is not retried but raised
on the driver as the error it is.

Ray is imported here only, and only by ``connect``: a render without
``--ray`` never imports it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from storyscore.errors import StoryscoreError
from storyscore.pipeline.executor import Task

__all__ = ["LOCAL_ADDRESS", "RETRIES", "RayExecutor", "connect"]

T = TypeVar("T")

RETRIES = 3
"""How many times a task whose worker died is run again before the render fails."""
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a cluster's head node to answer."""
LOCAL_ADDRESS = "local"
"""``--ray`` without an address: start a Ray instance on this machine for the run."""
_INSTALL_HINT = "install the extra: pip install 'storyscore[ray]'"


@dataclass(frozen=True)
class _Failed:
    """A ``StoryscoreError`` raised by a task, carried back as data (its class and
    fields), so the driver raises the same error, located in the same script."""

    kind: type[StoryscoreError]
    state: dict[str, Any]

    def error(self) -> StoryscoreError:
        error = self.kind.__new__(self.kind)
        Exception.__init__(error, self.state.get("message", ""))
        error.__dict__.update(self.state)
        return error


def _call(function: Callable[..., T], *args: Any) -> T | _Failed:
    """What a Ray worker runs: a task's function (its arguments fetched from the
    object store by Ray), its story errors returned, not raised (Ray would retry
    them and wrap them in its own error)."""
    try:
        return function(*args)
    except StoryscoreError as error:
        return _Failed(type(error), dict(error.__dict__))


class RayExecutor:
    """Runs tasks on the Ray cluster this process is connected to (see ``connect``)."""

    def __init__(self) -> None:
        import ray

        self._ray = ray
        self._remote = ray.remote(_call)
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call, unused-ignore]
        self._gpus = float(resources.get("GPU", 0.0))

    @property
    def distributed(self) -> bool:
        return True

    def run(self, tasks: Sequence[Task[T]]) -> Iterator[tuple[int, T]]:
        """Submit every task at once; yield each result as the driver receives it."""
        ray = self._ray
        shared = self._share(tasks)
        index_of: dict[Any, int] = {}
        for index, task in enumerate(tasks):
            # A GPU hint on a cluster without GPUs would wait for ever: paint on CPUs.
            gpus = task.needs.gpus if task.needs.gpus <= self._gpus else 0.0
            ref = self._remote.options(
                num_cpus=task.needs.cpus, num_gpus=gpus, max_retries=RETRIES,
                name=getattr(task.function, "__name__", "task"),
            ).remote(task.function, *(shared.get(id(a), a) for a in task.args))
            index_of[ref] = index
        pending = list(index_of)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                for ref in ready:
                    yield index_of[ref], self._result(ref)
        finally:
            for ref in pending:  # after a failure, or when the caller stops early
                with contextlib.suppress(Exception):
                    ray.cancel(ref)

    def _share(self, tasks: Sequence[Task[Any]]) -> dict[int, Any]:
        """Object-store references for the arguments that several tasks share."""
        seen: dict[int, int] = {}
        values: dict[int, Any] = {}
        for task in tasks:
            for arg in task.args:
                if not isinstance(arg, str | int | float | bool | type(None)):
                    seen[id(arg)] = seen.get(id(arg), 0) + 1
                    values[id(arg)] = arg
        return {key: self._ray.put(values[key]) for key, count in seen.items() if count > 1}

    def _result(self, ref: Any) -> Any:
        exceptions = self._ray.exceptions
        try:
            result = self._ray.get(ref)
        except exceptions.RayTaskError:
            raise  # a bug in a task: its own exception, with the worker's traceback
        except exceptions.RayError as exc:
            raise StoryscoreError(
                f"a Ray task was lost and given up (tried up to {RETRIES + 1} times): "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                hint="check the cluster's nodes with: ray status") from None
        if isinstance(result, _Failed):
            raise result.error()
        return result


def _check_reachable(address: str | None) -> None:
    """Fail at once when a ``HOST:PORT`` answers nothing (Ray itself retries for minutes)."""
    host, colon, port = (address or "").rpartition(":")
    if not colon or not port.isdigit() or "://" in host:
        return  # local, auto, or a form Ray resolves itself (ray://…)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise StoryscoreError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}",
            hint="start its head node with 'ray start --head --port=PORT', or use --ray "
                 "alone for a Ray instance on this machine") from None


@contextlib.contextmanager
def connect(address: str | None = LOCAL_ADDRESS, *, num_cpus: int | None = None
            ) -> Iterator[RayExecutor]:
    """A ``RayExecutor`` on the cluster at ``address`` (``HOST:PORT``, ``auto`` for the
    one started on this machine with ``ray start``, or ``local`` for a Ray instance
    of this run alone). A process already connected (``ray.init`` called) keeps
    its connection, and it stays open afterwards."""
    try:
        import ray
    except ImportError:
        raise StoryscoreError("--ray needs Ray, which is not installed",
                              hint=_INSTALL_HINT) from None
    started = False
    if not ray.is_initialized():
        _check_reachable(address)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never phone home
        quiet: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
        try:
            if address in (None, "", LOCAL_ADDRESS):
                ray.init(num_cpus=num_cpus, include_dashboard=False, **quiet)
            else:
                ray.init(address=address, **quiet)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise StoryscoreError(
                f"cannot reach the Ray cluster at {address}: {str(exc).splitlines()[0]}",
                hint="start one with 'ray start --head', or use --ray alone "
                     "for a Ray instance on this machine") from None
        started = True
    try:
        yield RayExecutor()
    finally:
        if started:
            ray.shutdown()
