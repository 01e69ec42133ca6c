"""Drawing surface of the procedural painter: anti-aliased masks, fills, light, noise.

Everything is float32 RGB in [0, 1]. Shapes are drawn supersampled with Pillow
and box-filtered down, or computed with analytic coverage, so edges are smooth
at every size. Coordinates passed here are pixels of the working canvas;
callers scale them from the normalised composition.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter

Arr: TypeAlias = npt.NDArray[Any]
# Pixels between the samples that record where each named thing was painted.
GRID = 8
RGB: TypeAlias = tuple[float, float, float]
Point: TypeAlias = tuple[float, float]


def rgb(hex_code: str) -> RGB:
    """An ``#rrggbb`` colour as floats."""
    h = hex_code.lstrip("#")
    return (int(h[0:2], 16) / 255.0, int(h[2:4], 16) / 255.0, int(h[4:6], 16) / 255.0)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from ``a`` (t=0) to ``b`` (t=1)."""
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def scale(a: RGB, k: float) -> RGB:
    """``a`` times ``k``, clipped to [0, 1]."""
    return (min(1.0, a[0] * k), min(1.0, a[1] * k), min(1.0, a[2] * k))


def mul(a: RGB, b: RGB) -> RGB:
    """Channel-wise product: a surface colour under a light colour."""
    return (a[0] * b[0], a[1] * b[1], a[2] * b[2])


def luma(a: RGB) -> float:
    """Perceptual brightness of a colour."""
    return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2]


def saturate(a: RGB, k: float) -> RGB:
    """Scale a colour's distance from its grey by ``k``."""
    g = luma(a)
    return (
        min(1.0, max(0.0, g + (a[0] - g) * k)),
        min(1.0, max(0.0, g + (a[1] - g) * k)),
        min(1.0, max(0.0, g + (a[2] - g) * k)),
    )


def smoothstep(e0: float, e1: float, x: Arr) -> Arr:
    """Hermite step from 0 at ``e0`` to 1 at ``e1``."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass
class Mask:
    """Coverage in [0, 1] of a box of the canvas whose top-left pixel is (x0, y0)."""

    a: Arr
    x0: int
    y0: int

    @property
    def x1(self) -> int:
        return self.x0 + int(self.a.shape[1])

    @property
    def y1(self) -> int:
        return self.y0 + int(self.a.shape[0])


@dataclass
class _Op:
    kind: str
    coords: list[float]
    erase: bool
    width: float = 0.0


@dataclass
class Shapes:
    """Shapes recorded in canvas pixels, turned into one supersampled mask."""

    canvas: Canvas
    ops: list[_Op] = field(default_factory=list)

    def poly(self, pts: Sequence[Point], erase: bool = False) -> Shapes:
        if len(pts) >= 3:
            self.ops.append(_Op("poly", [c for p in pts for c in p], erase))
        return self

    def rect(self, x0: float, y0: float, x1: float, y1: float, erase: bool = False) -> Shapes:
        return self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], erase)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, erase: bool = False) -> Shapes:
        if rx > 0 and ry > 0:
            self.ops.append(_Op("ellipse", [cx - rx, cy - ry, cx + rx, cy + ry], erase))
        return self

    def line(self, pts: Sequence[Point], width: float, erase: bool = False) -> Shapes:
        if len(pts) >= 2 and width > 0:
            self.ops.append(_Op("line", [c for p in pts for c in p], erase, width))
        return self

    def mask(self) -> Mask | None:
        """Coverage of all recorded shapes (erasing ones cut holes), or None if off-canvas."""
        cv = self.canvas
        xs: list[float] = []
        ys: list[float] = []
        for op in self.ops:
            if op.erase:
                continue
            pad = op.width
            xs.extend(c - pad for c in op.coords[0::2])
            xs.extend(c + pad for c in op.coords[0::2])
            ys.extend(c - pad for c in op.coords[1::2])
            ys.extend(c + pad for c in op.coords[1::2])
        if not xs:
            return None
        x0 = max(0, math.floor(min(xs)) - 1)
        y0 = max(0, math.floor(min(ys)) - 1)
        x1 = min(cv.w, math.ceil(max(xs)) + 2)
        y1 = min(cv.h, math.ceil(max(ys)) + 2)
        if x1 <= x0 or y1 <= y0:
            return None
        # Big shapes have long, gentle edges: 3x3 samples (10 coverage levels) are
        # plenty there and save much time.
        ss = min(cv.ss, 3) if (x1 - x0) * (y1 - y0) > 200_000 else cv.ss
        img = Image.new("L", ((x1 - x0) * ss, (y1 - y0) * ss), 0)
        draw = ImageDraw.Draw(img)
        for op in self.ops:
            fill = 0 if op.erase else 255
            pts = [
                ((op.coords[k] - x0) * ss, (op.coords[k + 1] - y0) * ss)
                for k in range(0, len(op.coords), 2)
            ]
            if op.kind == "poly":
                draw.polygon(pts, fill=fill)
            elif op.kind == "ellipse":
                draw.ellipse([pts[0], pts[1]], fill=fill)
            else:
                w = max(1, round(op.width * ss))
                draw.line(pts, fill=fill, width=w, joint="curve")
                if w > 2:
                    r = w / 2
                    for px, py in (pts[0], pts[-1]):
                        draw.ellipse([px - r, py - r, px + r, py + r], fill=fill)
        if ss > 1:
            img = img.reduce(ss)
        a = np.asarray(img, dtype=np.float32) * (1.0 / 255.0)
        return Mask(a, x0, y0)


class Canvas:
    """A float RGB picture being painted, with its size unit and supersampling factor."""

    def __init__(self, width: int, height: int, ss: int = 4) -> None:
        self.w = width
        self.h = height
        self.ss = ss
        # One "unit" is the picture height for landscape frames and less for tall ones,
        # so objects keep their proportions in portrait pictures.
        self.unit = float(min(height, math.sqrt(width * height)))
        self.rgb: Arr = np.zeros((height, width, 3), dtype=np.float32)
        # Light sources painted here are blurred into a glow at the end.
        self.glow_scale = max(1, round(self.unit / 180))
        gh = height // self.glow_scale + 1
        gw = width // self.glow_scale + 1
        self.emission: Arr = np.zeros((gh, gw, 3), dtype=np.float32)
        # What is being drawn ("trees", "moon"), and the box each name has covered,
        # for the layout report.
        self._tags: list[str] = []
        self.boxes: dict[str, list[int]] = {}
        self.grids: dict[str, Arr] = {}

    @contextmanager
    def tagged(self, name: str) -> Iterator[None]:
        """Count what is filled inside the block toward ``name``'s box."""
        self._tags.append(name)
        try:
            yield
        finally:
            self._tags.pop()

    def record(self, name: str, x0: int, y0: int, x1: int, y1: int) -> None:
        """Count a region toward ``name``'s box: for what is painted without a mask
        (stars, an aurora, beams of light) or fills the whole frame (a room)."""
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(self.w, x1), min(self.h, y1)
        if x1 <= x0 or y1 <= y0:
            return
        self._tags.append(name)
        try:
            self._note(Mask(np.ones((y1 - y0, x1 - x0), dtype=np.float32), x0, y0))
        finally:
            self._tags.pop()

    def _note(self, mask: Mask) -> None:
        tag = self._tags[-1]
        box = self.boxes.get(tag)
        x1, y1 = min(self.w, mask.x1), min(self.h, mask.y1)
        if box is None:
            self.boxes[tag] = [mask.x0, mask.y0, x1, y1]
        else:
            box[0], box[1] = min(box[0], mask.x0), min(box[1], mask.y0)
            box[2], box[3] = max(box[2], x1), max(box[3], y1)
        # Where it is painted, on a coarse grid: the pixels its colour is read from.
        grid = self.grids.get(tag)
        if grid is None:
            grid = self.grids[tag] = np.zeros((-(-self.h // GRID), -(-self.w // GRID)), bool)
        oy, ox = (-mask.y0) % GRID, (-mask.x0) % GRID
        sub = mask.a[oy::GRID, ox::GRID] > 0.5
        gy, gx = (mask.y0 + oy) // GRID, (mask.x0 + ox) // GRID
        sub = sub[: grid.shape[0] - gy, : grid.shape[1] - gx]
        grid[gy : gy + sub.shape[0], gx : gx + sub.shape[1]] |= sub

    # ---- coordinates -------------------------------------------------------
    def X(self, fx: float) -> float:
        """Pixel x of a fraction of the width."""
        return fx * self.w

    def Y(self, fy: float) -> float:
        """Pixel y of a fraction of the height."""
        return fy * self.h

    def S(self, size: float) -> float:
        """Pixels of a size given in units."""
        return size * self.unit

    @property
    def aspect(self) -> float:
        """Width in units."""
        return self.w / self.unit

    def shapes(self) -> Shapes:
        """Start recording shapes for one mask."""
        return Shapes(self)

    # ---- painting ----------------------------------------------------------
    def fill(self, mask: Mask | None, colour: RGB | Arr, alpha: float | Arr = 1.0) -> None:
        """Paint ``colour`` (a colour or an array over the mask's box) through ``mask``."""
        if mask is None:
            return
        if self._tags:
            self._note(mask)
        region = self.rgb[mask.y0 : mask.y1, mask.x0 : mask.x1]
        m = (mask.a * alpha)[..., None]
        col = np.asarray(colour, dtype=np.float32)
        region += (col - region) * m

    def add(self, mask: Mask | None, colour: RGB | Arr, strength: float | Arr = 1.0) -> None:
        """Add light through ``mask`` (clipped at the end of painting)."""
        if mask is None:
            return
        region = self.rgb[mask.y0 : mask.y1, mask.x0 : mask.x1]
        m = mask.a * strength
        region += np.asarray(colour, dtype=np.float32) * m[..., None]

    def multiply(self, mask: Mask | None, colour: RGB | Arr, strength: float = 1.0) -> None:
        """Darken through ``mask`` as a glaze of ``colour`` would."""
        if mask is None:
            return
        region = self.rgb[mask.y0 : mask.y1, mask.x0 : mask.x1]
        m = (mask.a * strength)[..., None]
        region *= 1.0 - m + m * np.asarray(colour, dtype=np.float32)

    def emit(self, mask: Mask | None, colour: RGB, strength: float = 1.0) -> None:
        """Register a light source: it will bloom into a soft glow."""
        if mask is None:
            return
        g = self.glow_scale
        gy0, oy = divmod(mask.y0, g)
        gx0, ox = divmod(mask.x0, g)
        hc = -(-(oy + mask.a.shape[0]) // g)
        wc = -(-(ox + mask.a.shape[1]) // g)
        buf = np.zeros((hc * g, wc * g), dtype=np.float32)
        buf[oy : oy + mask.a.shape[0], ox : ox + mask.a.shape[1]] = mask.a
        coarse = buf.reshape(hc, g, wc, g).mean(axis=(1, 3))
        target = self.emission[gy0 : gy0 + hc, gx0 : gx0 + wc]
        coarse = coarse[: target.shape[0], : target.shape[1]]
        target += coarse[..., None] * (np.asarray(colour, dtype=np.float32) * strength)

    def radial(self, cx: float, cy: float, radius: float, falloff: str = "gauss",
               squash: float = 1.0) -> Mask | None:
        """A soft round falloff around (cx, cy): ``gauss`` or ``inverse`` (long tails)."""
        reach = radius * (3.0 if falloff == "gauss" else 6.0)
        x0 = max(0, int(cx - reach))
        x1 = min(self.w, int(cx + reach) + 1)
        y0 = max(0, int(cy - reach * squash))
        y1 = min(self.h, int(cy + reach * squash) + 1)
        if x1 <= x0 or y1 <= y0 or radius <= 0:
            return None
        xs = (np.arange(x0, x1, dtype=np.float32) + 0.5 - cx) / radius
        ys = (np.arange(y0, y1, dtype=np.float32) + 0.5 - cy) / (radius * squash)
        d2 = ys[:, None] ** 2 + xs[None, :] ** 2
        a = np.exp(-d2) if falloff == "gauss" else 1.0 / (1.0 + d2)
        return Mask(a.astype(np.float32), x0, y0)

    def ridge(self, height_fn: Callable[[Arr], Arr], y_bottom: float | None = None,
              x_range: tuple[float, float] | None = None) -> Mask | None:
        """Coverage below a skyline ``y = height_fn(x)`` (pixels), analytic in y.

        The function is sampled four times per column, so steep and stepped
        outlines are smooth too.
        """
        xa, xb = x_range if x_range is not None else (0.0, float(self.w))
        x0 = max(0, math.floor(xa))
        x1 = min(self.w, math.ceil(xb))
        if x1 <= x0:
            return None
        sub = 4
        xs = x0 + (np.arange((x1 - x0) * sub, dtype=np.float32) + 0.5) / sub
        top = np.asarray(height_fn(xs), dtype=np.float32)
        inside = (xs >= xa) & (xs <= xb)
        top = np.where(inside, top, np.float32(self.h + 10))
        y0 = max(0, math.floor(float(top.min())))
        y1 = self.h if y_bottom is None else min(self.h, math.ceil(y_bottom))
        if y1 <= y0:
            return None
        # Only the rows the outline passes through need partial coverage; below
        # them the shape is solid.
        edge_end = min(y1, math.ceil(float(top.max())) + 1)
        a = np.ones((y1 - y0, x1 - x0), dtype=np.float32)
        if edge_end > y0:
            ys = np.arange(y0, edge_end, dtype=np.float32)[:, None]
            cover = np.clip(ys + 1.0 - top[None, :], 0.0, 1.0)
            a[: edge_end - y0] = cover.reshape(edge_end - y0, x1 - x0, sub).mean(axis=2)
        if y_bottom is not None:
            a[-1] *= min(1.0, max(0.0, y_bottom - (y1 - 1)))
        return Mask(a.astype(np.float32), x0, y0)

    def band(self, y_top: float, y_bottom: float, soft: float) -> Mask | None:
        """A horizontal band of full coverage with soft top and bottom edges."""
        y0 = max(0, int(y_top - soft))
        y1 = min(self.h, int(y_bottom + soft) + 1)
        if y1 <= y0:
            return None
        ys = np.arange(y0, y1, dtype=np.float32) + 0.5
        s = max(soft, 0.5)
        a = smoothstep(y_top - s, y_top + s, ys) * (1 - smoothstep(y_bottom - s, y_bottom + s, ys))
        return Mask(np.repeat(a[:, None], self.w, axis=1).astype(np.float32), 0, y0)

    def finish_light(self, strength: float = 1.0) -> None:
        """Bloom the registered light sources into the picture."""
        if strength <= 0 or not np.any(self.emission):
            return
        em = self.emission
        per_unit = self.unit / self.glow_scale
        out = np.zeros_like(em)
        # A sum of blurs at growing radii gives a bright core with long tails.
        for radius, weight in ((0.012, 0.9), (0.04, 0.6), (0.12, 0.45)):
            out += box_blur(em, radius * per_unit) * weight
        glow = np.empty((self.h, self.w, 3), dtype=np.float32)
        box = (0.0, 0.0, self.w / self.glow_scale, self.h / self.glow_scale)
        for c in range(3):
            plane = Image.fromarray(np.ascontiguousarray(out[..., c], dtype=np.float32), "F")
            big = plane.resize((self.w, self.h), Image.Resampling.BILINEAR, box=box)
            glow[..., c] = np.asarray(big)
        # Light brightens dark areas more than bright ones, as a screen blend does.
        self.rgb += glow * strength * (1.0 - 0.6 * np.clip(self.rgb, 0, 1))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def tagged(name: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate a drawing routine whose first argument has a canvas ``cv``: what it
    fills counts toward ``name`` in the layout report."""

    def wrap(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fn)
        def inner(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            cv: Canvas = args[0].cv  # type: ignore[attr-defined]
            with cv.tagged(name):
                return fn(*args, **kwargs)

        return inner

    return wrap


def box_blur(a: Arr, sigma: float) -> Arr:
    """Float Gaussian blur (three box passes per axis) of an (H, W) or (H, W, C) array."""
    if sigma < 0.3:
        return a.astype(np.float32, copy=True)
    # Box width giving the requested sigma after three passes.
    r = max(1, round((math.sqrt(12 * sigma * sigma / 3 + 1) - 1) / 2))
    out = a.astype(np.float32, copy=True)
    for axis in (0, 1):
        for _ in range(3):
            out = _box_pass(out, r, axis)
    return out


def _box_pass(a: Arr, r: int, axis: int) -> Arr:
    n = a.shape[axis]
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r + 1, r)
    p = np.pad(a, pad, mode="edge")
    c = np.cumsum(p, axis=axis, dtype=np.float32)
    hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
    lo = np.take(c, np.arange(0, n), axis=axis)
    return ((hi - lo) / (2 * r + 1)).astype(np.float32)


def blur(a: Arr, radius: float) -> Arr:
    """Fast Gaussian blur of a picture-sized float array (H, W) or (H, W, 3) via Pillow.

    Values are quantised to 8 bits over the array's range while blurring, which
    is plenty for soft effects; use ``box_blur`` where precision matters.
    """
    if radius < 0.3:
        return a.astype(np.float32, copy=True)
    lo = float(a.min())
    hi = float(a.max())
    if hi - lo < 1e-9:
        return a.astype(np.float32, copy=True)
    k = 255.0 / (hi - lo)
    u8 = np.round((a - lo) * k).astype(np.uint8)
    mode = "L" if a.ndim == 2 else "RGB"
    img = Image.fromarray(u8, mode)
    # Wide blurs are done on a reduced copy: the result is smooth anyway.
    factor = int(min(4, radius // 3))
    if factor >= 2 and min(img.size) >= factor * 8:
        size = img.size
        img = img.reduce(factor).filter(ImageFilter.GaussianBlur(radius / factor))
        img = img.resize(size, Image.Resampling.BILINEAR,
                         box=(0.0, 0.0, size[0] / factor, size[1] / factor))
    else:
        img = img.filter(ImageFilter.GaussianBlur(radius))
    return (np.asarray(img, dtype=np.float32) * (1.0 / k) + lo).astype(np.float32)


def noise(rng: np.random.Generator, w: int, h: int, cell: float) -> Arr:
    """Smooth value noise in about [0, 1] with features ``cell`` pixels apart."""
    cell = max(cell, 1.0)
    gw = math.ceil(w / cell) + 3
    gh = math.ceil(h / cell) + 3
    grid = rng.random((gh, gw), dtype=np.float32)
    img = Image.fromarray(grid, "F").resize((w, h), Image.Resampling.BICUBIC,
                                            box=(0.5, 0.5, 0.5 + w / cell, 0.5 + h / cell))
    return np.asarray(img, dtype=np.float32)


def fbm(rng: np.random.Generator, w: int, h: int, cell: float, octaves: int = 4,
        gain: float = 0.5) -> Arr:
    """Fractal noise: octaves of value noise, normalised to about [0, 1]."""
    total = np.zeros((h, w), dtype=np.float32)
    amp = 1.0
    norm = 0.0
    for _ in range(octaves):
        if cell < 1.0:
            break
        total += noise(rng, w, h, cell) * amp
        norm += amp
        amp *= gain
        cell /= 2.0
    return total / max(norm, 1e-6)


def noise1d(rng: np.random.Generator, span: float, cell: float,
            octaves: int = 4) -> Callable[[Arr], Arr]:
    """A fixed smooth 1-D fractal noise in about [-1, 1], defined on [-1, span + 1]."""
    layers: list[tuple[float, Arr, float]] = []
    amp = 1.0
    norm = 0.0
    for _ in range(octaves):
        n = int((span + 2.0) / cell) + 3
        layers.append((cell, rng.uniform(-1, 1, n + 1).astype(np.float32), amp))
        norm += amp
        amp *= 0.5
        cell /= 2.0

    def f(xs: Arr) -> Arr:
        out = np.zeros(np.shape(xs), dtype=np.float32)
        for c, knots, a in layers:
            t = np.clip((np.asarray(xs, dtype=np.float32) + 1.0) / c, 0, len(knots) - 2.001)
            i = np.floor(t).astype(np.int64)
            fr = t - i
            fr = fr * fr * (3 - 2 * fr)
            out += (knots[i] * (1 - fr) + knots[i + 1] * fr) * a
        return out / norm

    return f
