"""Child processes that never outlive storyscore.

ffmpeg encoders and segment workers are tied to the process that starts them:
when it dies, however it dies (SIGKILL included), the kernel kills them too, so
no orphan goes on writing a file nobody will use. Linux only (``prctl``);
elsewhere children are left to notice the closed pipes.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable
from functools import cache

_PR_SET_PDEATHSIG = 1


@cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel to kill this process when its parent dies.

    Called in a child between fork and exec (``preexec_fn``), or first thing
    in a worker process. ``parent`` is the pid the parent had: a parent that
    died before the request was made (a worker still starting when its render
    was killed) never sends the signal, so the child exits at once instead.
    """
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def child_preexec() -> Callable[[], None] | None:
    """The ``preexec_fn`` for ``subprocess`` that ties a child to this process, if any."""
    # Resolved here, in the parent: the child only makes the call.
    return functools.partial(die_with_parent, os.getpid()) if _prctl() is not None else None


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity), the default number of workers."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)
