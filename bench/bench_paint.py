"""Benchmark the procedural painter at 720p and 1080p.

Run with ``.venv/bin/python bench/bench_paint.py [--repeat N] [--no-pin]``.
For each prompt and size it paints once untimed (warm-up), then times N
paintings and reports the median wall time and process CPU time per picture.
In the same run it times a baseline: allocating a random RGB array of the same
size and writing it to PNG in memory, so that the ratio stays meaningful on a
busy machine. The process is pinned to one CPU core (unless ``--no-pin``) and
numpy's thread pools are limited to one thread, because the target is per
core: under 0.5 s per 720p picture. It ends by saying plainly whether the
target is met.
"""

from __future__ import annotations

import os

# One thread per numerical library: the target is for one core. These must be
# set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from storyscore.paint.base import CharacterRef, PaintRequest  # noqa: E402
from storyscore.paint.procedural import ProceduralPainter  # noqa: E402

TARGET_S = 0.5
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
PROMPTS = (
    "a girl walking into a tranquil pine forest at dawn, mist between the trees, "
    "storybook watercolor, soft light",
    "a bustling harbour market at noon, bright awnings, crowds",
    "a lighthouse on black rocks at night, storm, huge waves, lightning",
    "a spiral staircase inside a lighthouse, lantern light",
    "a snowy village at twilight, lanterns in the windows, snow falling",
    "a calm sea at sunset",
    "a curious orange fox with a white-tipped tail beside a small paper boat with a red sail "
    "by a lake at dusk",
)
# The story characters the prompts name (the painter draws them as the subject).
CHARACTERS = (
    CharacterRef("fox", "a curious orange fox with a white-tipped tail"),
    CharacterRef("boat", "a small paper boat with a red sail"),
)


def timed(call: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and process-CPU seconds of ``repeat`` calls, after one untimed call."""
    call()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return walls, cpus


def baseline(width: int, height: int, rng: np.random.Generator) -> object:
    """Allocate a random RGB picture and write it to PNG in memory."""
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
    return buffer


def pin_to_one_core() -> str:
    """Pin this process to one CPU core where the platform allows it."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU core {core}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per picture")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    args = parser.parse_args()

    print("not pinned (--no-pin)" if args.no_pin else pin_to_one_core())
    painter = ProceduralPainter()
    rng = np.random.default_rng(0)
    worst_720p = 0.0
    print(f"{'size':<6} {'wall s':>7} {'cpu s':>7} {'base s':>7} {'ratio':>6}  prompt")
    for label, (width, height) in SIZES.items():
        base_walls, base_cpus = timed(partial(baseline, width, height, rng), args.repeat)
        base_cpu = statistics.median(base_cpus)
        cpus_here = []
        for prompt in PROMPTS:
            named = tuple(c for c in CHARACTERS if c.description in prompt)
            request = PaintRequest(prompt, width, height, seed=7, characters=named)
            walls, cpus = timed(partial(painter.paint, request), args.repeat)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            cpus_here.append(cpu)
            print(f"{label:<6} {wall:>7.3f} {cpu:>7.3f} {base_cpu:>7.3f} {cpu / base_cpu:>6.1f}  "
                  f"{prompt[:60]}")
        mean_cpu = statistics.mean(cpus_here)
        print(f"{label:<6} mean {mean_cpu:.3f} s CPU per picture "
              f"({mean_cpu / base_cpu:.1f}x the baseline of "
              f"{base_cpu:.3f} s CPU, {statistics.median(base_walls):.3f} s wall: "
              f"a random {width}x{height} RGB array written to PNG)")
        if label == "720p":
            worst_720p = max(cpus_here)
    verdict = "met" if worst_720p < TARGET_S else "NOT met"
    print(f"target: under {TARGET_S} s CPU per 720p picture on one core, slowest prompt "
          f"{worst_720p:.3f} s: {verdict}")


if __name__ == "__main__":
    main()
