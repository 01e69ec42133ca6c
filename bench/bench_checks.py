"""How often the composer meets every quality check on random story paths.

Run: ``python bench/bench_checks.py [PATHS] [FIRST_SEED] [-v]``. Draws PATHS
independent paths (default 60) with the same ranges as the property test in
``tests/test_metrics.py`` (one to four scenes of 4-40 s at 40-200 BPM, random
keys, moods, textures, skylines, narration and silence), composes each with
its seed and prints how many pass every check and, per check, how many miss
it (``-v``: each miss). This is a quality figure, not a speed one; the
property test runs 20 such paths in CI.
"""

from __future__ import annotations

import collections
import sys

import numpy as np

from storyscore.compose import ScenePlan, compose
from storyscore.reports.metrics import palmer_replication, story_metrics

MAJOR_TONICS = ("Eb", "Bb", "F", "C", "G", "D", "A", "E")
MINOR_TONICS = ("C", "G", "D", "A", "E", "B", "F#", "C#")
TEXTURES = ("pad", "arpeggio", "alberti", "block", "ostinato")
FPS = 24


def random_path(rng: np.random.Generator) -> list[ScenePlan]:
    plans = []
    for i in range(int(rng.integers(1, 5))):
        mode = str(rng.choice(["major", "minor"]))
        duration = float(rng.uniform(4, 40))
        narration: tuple[tuple[float, float], ...] = ()
        if rng.random() < 0.5:
            narration = ((0.5, 0.5 + float(rng.uniform(0.1, 1.0)) * (duration - 1.0)),)
        plans.append(ScenePlan(
            scene_id=f"s{i}", duration=duration, flexible=bool(rng.random() < 0.5),
            tonic=str(rng.choice(MAJOR_TONICS if mode == "major" else MINOR_TONICS)),
            mode=mode, tempo=float(rng.uniform(40, 200)), valence=float(rng.uniform(-1, 1)),
            arousal=float(rng.uniform(-1, 1)), tension=float(rng.uniform(0, 1)),
            melody_program=73, accompaniment_program=0,
            bass_program=[None, 32, 42][int(rng.integers(3))],
            register=int(rng.integers(55, 80)), density=float(rng.uniform(0.1, 1)),
            velocity=80, staccato=float(rng.uniform(0, 1)),
            texture=str(rng.choice(TEXTURES)),
            contour=tuple(float(x) for x in rng.uniform(0, 1, int(rng.integers(2, 9)))),
            narration=narration, volume=[1.0, 1.0, 0.6][int(rng.integers(3))],
            silent=bool(rng.random() < 0.125),
        ))
    return plans


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "-v"]
    count = int(args[0]) if args else 60
    first = int(args[1]) if len(args) > 1 else 0
    palmer = palmer_replication()
    misses: collections.Counter[int] = collections.Counter()
    passed = 0
    for seed in range(first, first + count):
        plans = random_path(np.random.default_rng(seed))
        measured = story_metrics(plans, compose(plans, fps=FPS, seed=seed), FPS,
                                 palmer=palmer)
        passed += measured.passed
        for check in measured.checks:
            if not check.passed:
                misses[check.number] += 1
                if "-v" in sys.argv:
                    print(f"seed {seed}: check {check.number}: {'; '.join(check.problems)}")
    print(f"{passed} of {count} paths pass every check "
          f"(seeds {first}-{first + count - 1}); misses by check: "
          + (", ".join(f"{n}: {k}" for n, k in sorted(misses.items())) or "none"))


if __name__ == "__main__":
    main()
