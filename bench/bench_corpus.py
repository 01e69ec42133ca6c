"""Calibrate the score checks on human music: quartiles over music21's own corpus.

Run: ``python bench/bench_corpus.py [SONGS] [CHORALES] [--stories]``.

Measures, with the checks' own functions (``storyscore.compose.checks.
measure_piece``), SONGS Essen folk songs (default 300, spread evenly over the
corpus's Essen collections) and CHORALES Bach chorales (default 100, in
``corpus.chorales.Iterator`` order), and prints each figure's quartiles per
corpus (least, quartiles, most) as a Markdown table (the one in
``docs/music.md``). With ``--stories``
it also measures every path of every story in ``stories/`` the same way (at
the tests' picture size, as the tests compose them) and adds a
column of their quartiles. Folk songs are single lines: their harmony and
consonance figures are left out. Minutes for the meter figure assume a quarter
note of 90 BPM, since the corpus has no tempo marks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from storyscore.compose.checks import PieceFigures, measure_piece

ROOT = Path(__file__).resolve().parent.parent
NOMINAL_BPM = 90.0
FIGURES: list[tuple[str, Callable[[PieceFigures], float | None], str]] = [
    ("meter changes a minute", lambda f: f.meter_changes, "{:.1f}"),
    ("notes within 3 ledger lines", lambda f: f.staff_share, "{:.0%}"),
    ("key r (Krumhansl-Schmuckler)", lambda f: f.key_r, "{:.2f}"),
    ("melody bars whose rhythm recurs", lambda f: f.rhythm_share, "{:.0%}"),
    ("4-note shapes that recur", lambda f: f.shape_share, "{:.0%}"),
    ("melodic moves that are steps", lambda f: f.step_share, "{:.0%}"),
    ("leaps that turn back", lambda f: f.turn_share, "{:.0%}"),
    ("melody range (semitones)", lambda f: f.range, "{:.0f}"),
    ("beats consonant", lambda f: f.consonant_share, "{:.0%}"),
    ("distinct chords in the first 16", lambda f: f.distinct_chords, "{:.0f}"),
    ("a 4-chord loop played 3+ times", lambda f: f.loop_share, "{:.0%}"),
]


def essen_songs(count: int) -> Iterator[object]:
    """Essen folk songs, the same number from each collection of the corpus."""
    from music21 import corpus, stream

    if count == 0:
        return
    folder = Path(corpus.__file__).parent / "essenFolksong"
    files = sorted(folder.glob("*.abc"))
    per_file = max(1, -(-count // len(files)))
    taken = 0
    for path in files:
        opus = corpus.parse(f"essenFolksong/{path.stem}")
        scores = list(opus.scores) if isinstance(opus, stream.Opus) else [opus]
        for score in scores[:per_file]:
            if taken == count:
                return
            taken += 1
            yield score


def chorales(count: int) -> Iterator[object]:
    """Bach chorales in the corpus's own order."""
    from music21 import corpus

    if count == 0:
        return
    for k, score in enumerate(corpus.chorales.Iterator(returnType="stream")):
        if k == count:
            return
        yield score


def story_scores() -> Iterator[tuple[object, float]]:
    """Every path of every example story, composed as the tests compose it."""
    from storyscore.cache import Cache
    from storyscore.dsl.load import load_story
    from storyscore.pipeline.prepare import prepare
    from storyscore.pipeline.soundtrack import compose_path
    from storyscore.settings import Overrides, apply, parse_size
    from storyscore.timeline import all_paths

    for path in sorted((ROOT / "stories").glob("*.sco")):
        story = apply(load_story(path).story, Overrides(size=parse_size("96x64")))
        with Cache.from_env() as cache:
            prepared = prepare(story, story.scenes, cache)
            for scenes in all_paths(story):
                composition = compose_path(prepared, scenes)
                yield composition.score.score, composition.score.total_seconds / 60


def measure(scores: Iterator[object], harmony: bool,
            minutes: Callable[[object], float]) -> list[PieceFigures]:
    from music21.exceptions21 import Music21Exception

    out = []
    for score in scores:
        try:
            figures = measure_piece(score, harmony)  # type: ignore[arg-type]
        except (Music21Exception, ValueError, ZeroDivisionError, IndexError) as exc:
            # A few corpus entries have no notes, or none a key can be found in.
            print(f"skipped a piece: {exc}", file=sys.stderr)
            continue
        per_minute = figures.meter_changes / max(minutes(score), 1.0)
        out.append(PieceFigures(**{**figures.__dict__, "meter_changes": per_minute}))
    return out


def nominal_minutes(score: object) -> float:
    return float(score.highestTime) / NOMINAL_BPM  # type: ignore[attr-defined]


def quartiles(values: Sequence[float]) -> tuple[float, ...] | None:
    """Least, quartiles and most."""
    if not values:
        return None
    return tuple(float(q) for q in np.percentile(np.asarray(values, dtype=float),
                                                 [0, 25, 50, 75, 100]))


def table(columns: dict[str, list[PieceFigures]]) -> str:
    head = "| figure | " + " | ".join(f"{name} (n={len(rows)})" for name, rows in columns.items())
    lines = [head + " |", "|---" * (len(columns) + 1) + "|"]
    for title, get, fmt in FIGURES:
        cells = []
        for rows in columns.values():
            q = quartiles([v for v in (get(r) for r in rows) if v is not None])
            cells.append("–" if q is None else " / ".join(fmt.format(x) for x in q))
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    songs = int(args[0]) if args else 300
    count = int(args[1]) if len(args) > 1 else 100
    start = time.perf_counter()
    columns = {
        "Essen folk songs": measure(essen_songs(songs), False, nominal_minutes),
        "Bach chorales": measure(chorales(count), True, nominal_minutes),
    }
    if "--stories" in sys.argv:
        scores = list(story_scores())
        lengths = {id(s): m for s, m in scores}
        columns["storyscore paths"] = measure(iter(s for s, _ in scores), True,
                                              lambda s: lengths[id(s)])
    print("Least / Q1 / median / Q3 / most:\n")
    print(table(columns))
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
