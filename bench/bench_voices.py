"""Real-time factor of each narration voice on a paragraph of about 60 words.

Run: ``python bench/bench_voices.py [VOICE ...]``. Prints, per voice, the time
to load it, the best of three syntheses, the audio's length and the ratio of
audio length to synthesis time (above 1: faster than real time).
"""

from __future__ import annotations

import sys
import time

from storyscore.audio.voices import make_voice, split_words

PARAGRAPH = (
    "Every morning, before the village woke, Mira walked into the forest with her red scarf "
    "pulled high against the cold. The pines stood silent in the mist, and somewhere far "
    "below the cliffs the sea was breathing slowly. She counted her steps to the old "
    "lighthouse, as her father had taught her, and wondered whether the keeper would let "
    "her climb the tower today."
)
REPEATS = 3


def bench(spec: str) -> None:
    """Time one voice and print a line of results."""
    started = time.perf_counter()
    voice = make_voice(spec)
    loaded = time.perf_counter() - started
    best = float("inf")
    duration = 0.0
    for _ in range(REPEATS):
        started = time.perf_counter()
        narration = voice.speak(PARAGRAPH)
        best = min(best, time.perf_counter() - started)
        duration = narration.duration
    print(
        f"{spec:14} load {loaded:6.2f} s  synth {best:6.3f} s  audio {duration:6.2f} s  "
        f"real-time factor {duration / best:7.1f}x"
    )


def main(specs: list[str]) -> None:
    """Benchmark the given voices (default: joe and espeak)."""
    print(f"paragraph of {len(split_words(PARAGRAPH))} words, best of {REPEATS}")
    for spec in specs or ["joe", "espeak"]:
        bench(spec)


if __name__ == "__main__":
    main(sys.argv[1:])
