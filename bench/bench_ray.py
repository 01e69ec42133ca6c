"""Benchmark: several stories (every path) rendered with and without ``--ray``.

Runs the real command line in fresh processes, each against its own empty
cache, and prints in the same run on the same machine:

- here: ``storyscore render STORIES --all-paths`` without Ray;
- here (warm cache): the same again on the cache it filled;
- ray (cold): the same with ``--ray``, a Ray instance started for the run
  (its start-up and shut-down included);
- ray (warm cache): ``--ray`` again on the cache it filled (Ray's fixed cost
  plus the hash checks);
- ray start-up: ``ray.init`` and ``ray.shutdown`` alone;

then checks that the two renders wrote the same bytes. Usage::

    .venv/bin/python bench/bench_ray.py [--size 480x270] [--draft] [STORY ...]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORIES = [ROOT / "stories" / "forest-path.sco", ROOT / "stories" / "fox-and-owl.sco"]


def timed(command: list[str], cache: Path) -> float:
    """Seconds ``command`` took, run with ``cache`` as the storyscore cache."""
    env = {**os.environ, "STORYSCORE_CACHE": str(cache), "RAY_USAGE_STATS_ENABLED": "0"}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return took


def ray_start_up() -> float:
    code = ("import ray; ray.init(include_dashboard=False, log_to_driver=False); "
            "ray.shutdown()")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stories", nargs="*", type=Path, default=DEFAULT_STORIES)
    parser.add_argument("--size", default="480x270")
    parser.add_argument("--draft", action="store_true")
    args = parser.parse_args()
    storyscore = [str(Path(sys.executable).parent / "storyscore")]
    base = [*storyscore, "render", *map(str, args.stories), "--all-paths", "-q",
            "--size", args.size, *(["--draft"] if args.draft else [])]
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as scratch:
        work = Path(scratch)
        rows = [("ray start-up (init and shutdown)", ray_start_up())]
        rows.append(("here (cold)", timed([*base, "-o", str(work / "here")], work / "c1")))
        rows.append(("here (warm cache)", timed([*base, "-o", str(work / "here")],
                                                work / "c1")))
        rows.append(("ray (cold)", timed([*base, "-o", str(work / "ray"), "--ray"],
                                         work / "c2")))
        rows.append(("ray (warm cache)", timed([*base, "-o", str(work / "ray"), "--ray"],
                                               work / "c2")))
        names = sorted(p.name for p in (work / "here").iterdir())
        same = all(filecmp.cmp(work / "here" / n, work / "ray" / n, shallow=False)
                   for n in names)
    cold = rows[1][1]  # here (cold)
    print(f"{len(args.stories)} stories, {len(names)} files, size {args.size}"
          f"{', draft' if args.draft else ''}; {os.cpu_count()} CPUs")
    print(f"{'run':<34}{'seconds':>9}{'× here':>9}")
    for name, seconds in rows:
        print(f"{name:<34}{seconds:>9.1f}{seconds / cold:>9.2f}")
    print(f"same bytes with and without ray: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
