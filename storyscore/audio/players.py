"""Synthesis on every CPU: the parts of a score played side by side in worker processes.

The synthesiser (midirenderer) holds Python's global lock while it plays,
so threads cannot share its work; ``Players`` hands all but the first of
the parts it is given to worker processes and plays the first itself, then
returns every part's samples in the order given. Each part's samples depend
only on its MIDI, the SoundFont and the tail, so the music is the same bytes
however many workers played it. Workers start with the first parts to play
and stop when the ``with`` block ends.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from storyscore.audio.synth import render_midi
from storyscore.processes import die_with_parent, usable_cpus

if TYPE_CHECKING:
    from storyscore.diagnostics import SourceSpan

__all__ = ["Players"]


class Players:
    """Plays MIDI parts with one SoundFont: here, and in up to ``workers`` processes
    (default: one fewer than the usable CPUs, so with this process every CPU plays)."""

    def __init__(self, soundfont: Path | None, *, tail: float, span: SourceSpan | None = None,
                 workers: int | None = None) -> None:
        self.soundfont, self.tail, self.span = soundfont, tail, span
        self.workers = max(0, usable_cpus() - 1 if workers is None else workers)
        self._executor: cf.ProcessPoolExecutor | None = None
        self.played_apart = 0  # parts a worker played (the others were played here)

    def __enter__(self) -> Players:
        return self

    def __exit__(self, *exc_info: object) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def play(self, parts: Sequence[bytes]) -> Iterator[np.ndarray]:
        """Each part's samples (``render_midi``), in order; the later parts are played by
        the workers while this process plays the first."""
        futures = [self._start().submit(_play, part, self.soundfont, self.tail)
                   for part in parts[1:]] if self.workers and len(parts) > 1 else []
        for index, part in enumerate(parts):
            if index == 0 or not futures:
                yield self._here(part)
            else:
                yield self._collect(futures[index - 1], part)

    def _here(self, part: bytes) -> np.ndarray:
        return render_midi(part, self.soundfont, tail=self.tail, span=self.span)

    def _collect(self, future: cf.Future[np.ndarray], part: bytes) -> np.ndarray:
        """A worker's samples; a part the worker could not play is played here, so its
        error is reported as it would be without workers (with the script's place)."""
        try:
            audio = future.result()
        except Exception:  # played again here, which raises the error as it would be
            return self._here(part)
        self.played_apart += 1
        return audio

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._executor is None:
            # spawn: a worker starts clean (no inherited threads or locks) everywhere.
            self._executor = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(os.getpid(),))
        return self._executor


def _init_worker(parent: int) -> None:
    # The parent alone handles a Ctrl-C (and stops the pool); a killed parent takes
    # its workers with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


def _play(part: bytes, soundfont: Path | None, tail: float) -> np.ndarray:
    """A worker's job: one part played (errors are reported by the parent, see ``_collect``)."""
    return render_midi(part, soundfont, tail=tail)
