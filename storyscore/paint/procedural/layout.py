"""The layout report: what a painted picture shows, where, and in what colour."""

from __future__ import annotations

import math

import numpy as np

from storyscore.paint.base import Drawn
from storyscore.paint.procedural.canvas import GRID, Arr
from storyscore.paint.procedural.draw import Ctx
from storyscore.paint.procedural.subjects import SubjectDrawn

# Names the canvas records that are layers of the scene rather than things in it.
_SCENERY = frozenset({"land"})

# What a concept the prompt named is drawn as, when not under its own name: the
# sea is its water, a forest its trees, a meadow the land.
ALIASES: dict[str, tuple[str, ...]] = {
    "sea": ("water",), "lake": ("water",), "harbour": ("water", "boats"), "beach": ("land",),
    "forest": ("trees",), "pines": ("trees",), "trees": ("trees",), "meadow": ("land",),
    "hills": ("land",), "field": ("land",), "desert": ("dunes", "land"), "dunes": ("dunes",),
    "village": ("houses",), "windows": ("houses", "city", "street", "room"),
    "skyline": ("city",), "city": ("city",), "awnings": ("market", "street"),
    "crowd": ("figure",), "interior": ("room", "staircase", "cave"), "clear": ("sky", "sun"),
    "storm": ("rain", "clouds"), "lightning": ("lightning",), "boats": ("boats",),
    "island": ("island",), "flowers": ("flowers",), "path": ("path",),
    "farm": ("barn", "field"),
}


def dominant(pixels: Arr) -> str:
    """The most common colour of ``pixels`` (N x 3 in [0, 1]), binned coarsely, as hex."""
    if len(pixels) == 0:
        return "#000000"
    q = np.clip((pixels * 8).astype(np.int32), 0, 7)
    codes = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
    counts = np.bincount(codes, minlength=512)
    mean = pixels[codes == int(np.argmax(counts))].mean(axis=0)
    r, g, b = (round(float(c) * 255) for c in np.clip(mean, 0, 1))
    return f"#{r:02x}{g:02x}{b:02x}"


def _scaled(box: tuple[float, float, float, float], sx: float, sy: float, width: int,
            height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (max(0, math.floor(x0 * sx)), max(0, math.floor(y0 * sy)),
            min(width, math.ceil(x1 * sx)), min(height, math.ceil(y1 * sy)))


def layout_of(ctx: Ctx, img: Arr, subjects: list[SubjectDrawn], width: int,
              height: int) -> list[Drawn]:
    """Concepts in the order they were first drawn, then the subjects, front last.

    ``img`` is the finished working canvas; boxes are given in pixels of the
    ``width`` x ``height`` picture.
    """
    cv = ctx.cv
    sx, sy = width / cv.w, height / cv.h
    painted: dict[str, Drawn] = {}
    for name, (x0, y0, x1, y1) in cv.boxes.items():
        if x1 <= x0 or y1 <= y0:
            continue
        cells = np.argwhere(cv.grids[name])
        if len(cells):
            sample = img[np.minimum(cells[:, 0] * GRID, cv.h - 1),
                         np.minimum(cells[:, 1] * GRID, cv.w - 1)]
        else:
            step = max(1, int(math.sqrt((x1 - x0) * (y1 - y0) / 4000)))
            sample = img[y0:y1:step, x0:x1:step].reshape(-1, 3)
        painted[name] = Drawn("concept", name, name,
                              _scaled((x0, y0, x1, y1), sx, sy, width, height), dominant(sample))
    out = [d for name, d in painted.items() if name not in _SCENERY]
    out.extend(_named(ctx, painted))
    for s in subjects:
        a = s.cover.a
        rows = np.flatnonzero(a.max(axis=1) > 0.1)
        cols = np.flatnonzero(a.max(axis=0) > 0.1)
        if len(rows) == 0 or len(cols) == 0:
            continue
        box = (s.cover.x0 + float(cols[0]), s.cover.y0 + float(rows[0]),
               s.cover.x0 + float(cols[-1] + 1), s.cover.y0 + float(rows[-1] + 1))
        region = img[s.cover.y0:s.cover.y1, s.cover.x0:s.cover.x1]
        inside = region[a > 0.6]
        out.append(Drawn("character" if s.character else "subject", s.name, s.what,
                         _scaled(box, sx, sy, width, height), dominant(inside)))
    return out


def _named(ctx: Ctx, painted: dict[str, Drawn]) -> list[Drawn]:
    """Entries under the names the prompt used, for concepts drawn as something else
    ("sea" is the water, "forest" the trees), with that thing's box and colour."""
    out: list[Drawn] = []
    for concept in ctx.plan.reading.concepts:
        if concept in painted or concept not in ALIASES:
            continue
        alias = next((a for a in ALIASES[concept] if a in painted), None)
        if alias is not None:
            d = painted[alias]
            out.append(Drawn("concept", concept, alias, d.box, d.colour))
    return out
