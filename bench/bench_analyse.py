"""Benchmark picture analysis on generated 1280x720 pictures.

Run with ``.venv/bin/python bench/bench_analyse.py [--repeat N]``. For each
picture it times the whole ``analyse()`` call (warm: one untimed call first)
and, in the same run, the baseline of loading the PNG and converting it to a
numpy array, so that the ratio stays meaningful on a busy machine. It ends by
saying whether the median analysis time meets the 100 ms target.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from storyscore.analyse import analyse

TARGET_MS = 100.0
SIZE = (1280, 720)


def landscape(rng: np.random.Generator) -> Image.Image:
    """Graded sky, a soft sun, textured mountains and a darker foreground hill."""
    w, h = SIZE
    t = np.linspace(0, 1, h)[:, None, None]
    sky = (np.array([250, 150, 90]) * (1 - t) + np.array([120, 80, 150]) * t) * np.ones((1, w, 1))
    image = Image.fromarray(sky.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse([900, 80, 1000, 180], fill=(255, 230, 160))
    ridge = np.cumsum(rng.normal(0, 12, 64)) + h * 0.45
    points = [(x, float(y)) for x, y in zip(np.linspace(0, w, 64), ridge, strict=True)]
    draw.polygon([*points, (w, h), (0, h)], fill=(50, 45, 70))
    draw.polygon(
        [(0, h * 0.75), (w * 0.4, h * 0.65), (w, h * 0.8), (w, h), (0, h)], fill=(25, 40, 30)
    )
    values = np.asarray(image).astype(np.float64) + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "RGB")


def painting(rng: np.random.Generator) -> Image.Image:
    """Soft overlapping coloured shapes, blurred like a watercolour."""
    image = Image.new("RGB", SIZE, (235, 225, 205))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.uniform(0, SIZE[0]), rng.uniform(0, SIZE[1])
        r = rng.uniform(20, 120)
        colour = tuple(int(c) for c in rng.integers(20, 240, 3))
        if rng.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        else:
            draw.polygon([(x, y - r), (x + r, y + r), (x - r, y + r)], fill=colour)
    return image.filter(ImageFilter.GaussianBlur(3))


def busy(rng: np.random.Generator) -> Image.Image:
    """Colour noise over the whole frame: the worst case for every stage."""
    return Image.fromarray(rng.integers(0, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8), "RGB")


def flat(rng: np.random.Generator) -> Image.Image:
    """A single colour: the cheapest case."""
    return Image.new("RGB", SIZE, (90, 140, 200))


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    call()  # warm up: caches, lazy imports, first allocation
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per picture")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    pictures = {make.__name__: make(rng) for make in (landscape, painting, busy, flat)}
    print(f"{'picture':<10} {'analyse ms':>11} {'best ms':>8} {'load ms':>8} {'ratio':>6}")
    medians, ratios = [], []
    for name, image in pictures.items():
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data = buffer.getvalue()

        def load(data: bytes = data) -> np.ndarray:
            return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

        def run(image: Image.Image = image) -> object:
            return analyse(image)

        load_ms = statistics.median(timed(load, args.repeat))
        analyse_times = timed(run, args.repeat)
        median = statistics.median(analyse_times)
        medians.append(median)
        ratios.append(median / load_ms)
        print(
            f"{name:<10} {median:>11.1f} {min(analyse_times):>8.1f} {load_ms:>8.1f} "
            f"{median / load_ms:>6.2f}"
        )
    overall = statistics.median(medians)
    print(
        f"median analyse: {overall:.1f} ms per 1280x720 picture, "
        f"{statistics.median(ratios):.2f}x loading it"
    )
    verdict = "met" if max(medians) < TARGET_MS else "NOT met"
    print(f"target {TARGET_MS:.0f} ms per picture (slowest picture's median): {verdict}")


if __name__ == "__main__":
    main()
