"""Drawing context and the small objects every scene uses: trees, rocks, people, lights.

Positions handed to the helpers here are canvas pixels; sizes are pixels too,
computed by the caller from units so the composition is the same at every size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from storyscore.paint.procedural.canvas import (
    RGB,
    Arr,
    Canvas,
    Point,
    Shapes,
    mix,
    rgb,
    saturate,
    tagged,
)
from storyscore.paint.procedural.design import Plan

if TYPE_CHECKING:
    from storyscore.paint.procedural.characters import Subject

# A stretch of water a subject may float on: top and bottom rows (pixels), and
# its centre x at a row when it winds (a river), else None (it spans the width).
WaterSpan = tuple[float, float, "Callable[[float], float] | None"]

GRASS = rgb("#6e9c4a")
FOLIAGE = rgb("#4c8a3c")
PINE = rgb("#2d5c42")
TRUNK = rgb("#5b4331")
ROCK = rgb("#7d7872")
SAND = rgb("#e2cc96")
SNOW = rgb("#f3f5fa")
AUTUMN = (rgb("#d0662a"), rgb("#e0a030"), rgb("#b8402a"), rgb("#c88a3a"))
SPRING = (rgb("#f2b8cc"), rgb("#f6e2ea"), rgb("#8cc060"))
WARM_LIGHT = rgb("#ffc46a")


@dataclass
class Ctx:
    """Everything a drawing helper needs: canvas, plan, random sources, horizon."""

    cv: Canvas
    plan: Plan
    rng: np.random.Generator  # layout: where things are
    drng: np.random.Generator  # detail: textures and particles
    horizon: float  # fraction of the height
    light_dir: float  # -1 light from the left, +1 from the right
    subjects: list[Subject] = field(default_factory=list)
    water: list[WaterSpan] = field(default_factory=list)

    @property
    def subject_afloat(self) -> bool:
        """Whether a subject needs water in front (a boat, a duck, a swimmer)."""
        return any(s.design.afloat or s.pose == "swimming" for s in self.subjects)

    def x(self, f: float) -> float:
        return f * self.cv.w

    def y(self, f: float) -> float:
        return f * self.cv.h

    def u(self, s: float) -> float:
        return s * self.cv.unit

    def wfrac(self, s: float) -> float:
        """A size in units as a fraction of the width."""
        return s * self.cv.unit / self.cv.w

    def lit(self, albedo: RGB, fade: float = 0.0, side: float = 0.7) -> RGB:
        return self.plan.look.lit(albedo, fade, side)

    def bright(self, albedo: RGB) -> RGB:
        """A pale surface (foam, spray, snow) that still reads at night against dark water."""
        lit = self.lit(albedo, 0.0, 0.9)
        night = self.plan.look.night
        return mix(lit, (albedo[0] * 0.6, albedo[1] * 0.65, albedo[2] * 0.72), 0.55 * night)

    def foliage(self, k: int = 0) -> RGB:
        """Leaf colour for the season and mood."""
        p = self.plan
        if p.season == "autumn":
            return AUTUMN[k % len(AUTUMN)]
        base = p.colour_of("trees", p.colour_of("forest", FOLIAGE))
        if p.season == "spring" and k % 3 == 1:
            return SPRING[k % 2]
        if "eerie" in p.moods or "gloomy" in p.moods:
            return saturate(mix(base, rgb("#3c4a40"), 0.5), 0.6)
        return base

    def ground_colour(self) -> RGB:
        p = self.plan
        if "snow" in p.weather or p.season == "winter":
            return SNOW
        if p.has("desert", "dunes"):
            return p.colour_of("desert", SAND)
        if p.season == "autumn":
            return rgb("#a08a4a")
        base = p.colour_of("meadow", p.colour_of("field", p.colour_of("hills", GRASS)))
        if "eerie" in p.moods or "gloomy" in p.moods:
            return saturate(base, 0.55)
        return base

    def snowy(self) -> bool:
        return "snow" in self.plan.weather or self.plan.season == "winter"


# ---- trees ---------------------------------------------------------------------

def pine(body: Shapes, lit: Shapes, x: float, base: float, h: float, w: float,
         rng: np.random.Generator, light_dir: float, snow: Shapes | None = None) -> None:
    """A conifer of height ``h`` and half-width ``w`` standing at (x, base)."""
    top = base - h
    foliage_h = h * 0.9
    tiers = int(rng.integers(4, 7))
    right: list[Point] = [(x, top)]
    for i in range(tiers):
        yb = top + foliage_h * (i + 1) / tiers
        wb = w * (0.25 + 0.75 * (i + 1) / tiers) * float(rng.uniform(0.85, 1.1))
        right.append((x + wb, yb + h * 0.02))
        if i < tiers - 1:
            right.append((x + wb * 0.42, yb - foliage_h * 0.02 / tiers))
    trunk_w = max(w * 0.1, 0.6)
    left = [(2 * x - px, py) for px, py in right]
    body.poly([*right, (x + trunk_w, base), (x - trunk_w, base), *reversed(left)])
    side = right if light_dir >= 0 else left
    lit.poly([*side[:-1], (x + 0.15 * w * (1 if light_dir >= 0 else -1), top + foliage_h * 0.9)])
    if snow is not None:
        # A strip of snow along the upper edge of each tier, on both sides.
        t = h * 0.05
        for i in range(0, len(right) - 1, 2):
            (x0, y0), (x1, y1) = right[i], right[i + 1]
            for sgn in (1.0, -1.0):
                ax, bx = x + (x0 - x) * sgn, x + (x1 - x) * sgn
                snow.poly([(ax, y0), (bx, y1), (bx - (bx - ax) * 0.25, y1 + t * 0.1),
                           (ax, y0 + t)])


def round_tree(body: Shapes, lit: Shapes, trunk: Shapes, x: float, base: float, h: float,
               rng: np.random.Generator, light_dir: float) -> None:
    """A broadleaf tree: a trunk and a crown of overlapping blobs."""
    r = h * 0.3
    cy = base - h + r * 1.05
    tw = max(h * 0.035, 0.5)
    trunk.poly([(x - tw, base), (x + tw, base), (x + tw * 0.6, cy), (x - tw * 0.6, cy)])
    trunk.line([(x, cy + r * 0.4), (x + r * 0.45, cy - r * 0.1)], tw * 0.7)
    blobs = int(rng.integers(5, 9))
    for _ in range(blobs):
        a = rng.uniform(0, 2 * math.pi)
        d = rng.uniform(0.2, 0.62) * r
        br = r * float(rng.uniform(0.45, 0.7))
        bx = x + math.cos(a) * d * 1.1
        by = cy + math.sin(a) * d * 0.8
        body.ellipse(bx, by, br, br * 0.92)
        lit.ellipse(bx + light_dir * br * 0.28, by - br * 0.3, br * 0.62, br * 0.55)


def bare_tree(lines: Shapes, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    """A leafless tree of forking branches."""

    def branch(x0: float, y0: float, ang: float, length: float, width: float, depth: int) -> None:
        x1 = x0 + math.cos(ang) * length
        y1 = y0 - math.sin(ang) * length
        mid = ((x0 + x1) / 2 + rng.uniform(-0.12, 0.12) * length, (y0 + y1) / 2)
        lines.line([(x0, y0), mid, (x1, y1)], width)
        if depth == 0 or width < 0.4:
            return
        for _ in range(2 if depth > 2 else int(rng.integers(2, 4))):
            branch(x1, y1, ang + rng.uniform(-0.75, 0.75), length * rng.uniform(0.6, 0.78),
                   width * 0.62, depth - 1)

    branch(x, base, math.pi / 2 + rng.uniform(-0.1, 0.1), h * 0.34, max(h * 0.045, 0.8), 5)


def palm(body: Shapes, trunk: Shapes, x: float, base: float, h: float,
         rng: np.random.Generator) -> None:
    """A palm tree: a leaning ringed trunk and a crown of drooping, serrated fronds."""
    lean = float(rng.uniform(-0.3, 0.3)) * h
    pts = [(x + lean * (t * t), base - h * t) for t in np.linspace(0, 1, 9)]
    for i in range(len(pts) - 1):
        trunk.line([pts[i], pts[i + 1]], max(h * (0.05 - 0.022 * i / 8), 0.6))
    tx, ty = pts[-1]
    fronds = 9
    for k in range(fronds):
        a = -math.pi * (0.02 + 0.96 * k / (fronds - 1)) + float(rng.uniform(-0.12, 0.12))
        length = h * float(rng.uniform(0.34, 0.48))
        droop = float(rng.uniform(0.5, 0.9)) * length
        dx, dy = math.cos(a), math.sin(a)
        spine = [(tx + dx * length * t, ty + dy * length * t * 0.7 + droop * t * t)
                 for t in np.linspace(0, 1, 12)]
        left: list[Point] = []
        right: list[Point] = []
        for j, (sx, sy) in enumerate(spine):
            if j == 0:
                nx, ny = -dy, dx
            else:
                px, py = spine[j - 1]
                ln = math.hypot(sx - px, sy - py) or 1.0
                nx, ny = -(sy - py) / ln, (sx - px) / ln
            t = j / (len(spine) - 1)
            wdt = length * 0.13 * math.sin(math.pi * min(t * 1.1, 1.0)) ** 0.6
            wdt *= 1.0 if j % 2 else 0.55
            left.append((sx + nx * wdt, sy + ny * wdt))
            right.append((sx - nx * wdt * 0.8, sy - ny * wdt * 0.8))
        body.poly([*left, *reversed(right)])
    body.ellipse(tx, ty, h * 0.04, h * 0.035)


@tagged("trees")
def tree_row(ctx: Ctx, kind: str, ground: Callable[[float], float], count: int,
             height: tuple[float, float], fade: float, x_range: tuple[float, float] = (-0.05, 1.05),
             rng: np.random.Generator | None = None, jitter_y: float = 0.0,
             avoid: tuple[float, float] | None = None, max_width: float | None = None) -> None:
    """A row of trees standing on ``ground(x_frac) -> y_px``; heights in pixels.

    ``max_width`` caps a conifer's half-width in pixels, for tall trees framing a
    tall picture.
    """
    cv = ctx.cv
    rng = rng or ctx.rng
    snowy = ctx.snowy()
    if kind == "round" and (ctx.plan.season == "winter" or "eerie" in ctx.plan.moods):
        kind = "bare"
    groups = 3 if (kind == "round" and ctx.plan.season in ("autumn", "spring")) else 1
    bodies = [cv.shapes() for _ in range(groups)]
    lits = [cv.shapes() for _ in range(groups)]
    trunks = cv.shapes()
    snow = cv.shapes() if snowy and kind == "pine" else None
    xs = np.sort(rng.uniform(x_range[0], x_range[1], count))
    for i, fx in enumerate(xs):
        if avoid is not None and avoid[0] < fx < avoid[1]:
            continue
        h = float(rng.uniform(*height))
        base = ground(float(fx)) + float(rng.uniform(0, jitter_y))
        g = int(rng.integers(groups))
        x = cv.X(float(fx))
        if kind == "pine":
            half = h * float(rng.uniform(0.2, 0.28))
            if max_width is not None:
                half = min(half, max_width)
            pine(bodies[g], lits[g], x, base, h, half, rng, ctx.light_dir, snow)
        elif kind == "palm":
            palm(bodies[g], trunks, x, base, h, rng)
        elif kind == "bare":
            bare_tree(trunks, x, base, h, rng)
        else:
            round_tree(bodies[g], lits[g], trunks, x, base, h, rng, ctx.light_dir)
        del i
    p = ctx.plan
    trunk_col = ctx.lit(rgb("#3b3029") if kind == "bare" else TRUNK, fade, 0.4)
    cv.fill(trunks.mask(), trunk_col)
    for g in range(groups):
        leaf = PINE if kind == "pine" else (rgb("#3f6a36") if kind == "palm" else ctx.foliage(g))
        if kind == "pine":
            leaf = p.colour_of("pines", p.colour_of("trees", p.colour_of("forest", PINE)))
        cv.fill(bodies[g].mask(), ctx.lit(leaf, fade, 0.25))
        cv.fill(lits[g].mask(), ctx.lit(leaf, fade, 0.95), 0.85)
    if snow is not None:
        cv.fill(snow.mask(), ctx.lit(SNOW, fade, 0.8), 0.9)


# ---- rocks, people, small lights --------------------------------------------

@tagged("rocks")
def rock_pile(ctx: Ctx, cx: float, base: float, width: float, height: float,
              colour: RGB, fade: float, rng: np.random.Generator, n: int = 6) -> None:
    """A heap of rounded, faceted boulders on ``base``, ``width`` x ``height`` pixels."""
    cv = ctx.cv
    rocks: list[tuple[float, float, float, float]] = []
    for k in range(n):
        t = (k + 0.5) / n
        hump = math.sin(math.pi * t)
        a = width / n * float(rng.uniform(0.8, 1.3))
        b = height * (0.35 + 0.4 * hump) * float(rng.uniform(0.8, 1.1))
        rocks.append((cx + (t - 0.5) * width * 0.85, base - b * 0.45, a, b))
    # A second, higher row in the middle makes a heap rather than a line.
    for _ in range(max(1, n // 3)):
        t = float(rng.uniform(0.3, 0.7))
        a = width / n * float(rng.uniform(1.0, 1.5))
        b = height * float(rng.uniform(0.45, 0.6))
        rocks.append((cx + (t - 0.5) * width * 0.6, base - height + b * 0.9, a, b))
    rocks.sort(key=lambda r: r[1])
    # Even black rock shows its form: a floor on the surface colour, and a wet sheen
    # that reflects the sky along the upper edges.
    colour = mix(colour, ROCK, 0.25) if max(colour) < 0.25 else colour
    dark = ctx.lit(mix(colour, (0.0, 0.0, 0.0), 0.2), fade, 0.25)
    mid = ctx.lit(colour, fade, 0.55)
    light = ctx.lit(colour, fade, 1.0)
    look = ctx.plan.look
    sheen_col = mix(look.horizon, (1.0, 1.0, 1.0), 0.15)
    for rx, ry, a, b in rocks:
        m = int(rng.integers(7, 11))
        pts: list[Point] = []
        for j in range(m):
            ang = 2 * math.pi * j / m + float(rng.uniform(-0.2, 0.2))
            rr = float(rng.uniform(0.85, 1.1))
            pts.append((rx + math.cos(ang) * a * rr, ry + math.sin(ang) * b * rr * (
                0.75 if math.sin(ang) < 0 else 1.0)))
        cv.fill(cv.shapes().poly(pts).mask(), dark)
        # Upper facets: one in half light, one facing the light.
        top = [q for q in pts if q[1] <= ry + b * 0.1]
        if len(top) >= 2:
            cv.fill(cv.shapes().poly([*top, (rx, ry + b * 0.25)]).mask(), mid)
            side = [q for q in top if (q[0] - rx) * ctx.light_dir >= -a * 0.2]
            if len(side) >= 2:
                cv.fill(cv.shapes().poly([*side, (rx + ctx.light_dir * a * 0.1, ry)]).mask(),
                        light, 0.85)
            sheen = cv.shapes().line(sorted(top), max(0.5, b * 0.04))
            cv.fill(sheen.mask(), sheen_col, 0.2 + 0.35 * look.night)


@tagged("figure")
def figure(ctx: Ctx, x: float, base: float, h: float, clothes: RGB, fade: float,
           rng: np.random.Generator, facing: float = 1.0, walking: bool = True,
           accent: RGB | None = None) -> None:
    """A small storybook person (``h`` pixels tall) standing or walking at (x, base)."""
    cv = ctx.cv
    skin = rgb(("#f0c8a0", "#c89066", "#8a5a3c", "#e8b890")[int(rng.integers(4))])
    hair = rgb(("#3a2a1e", "#6a4020", "#1c1a1a", "#b08040", "#8a3a1e")[int(rng.integers(5))])
    head_r = h * 0.09
    hy = base - h + head_r
    stride = h * (0.09 if walking else 0.035)
    legs = cv.shapes()
    lw = max(h * 0.06, 0.5)
    hip = base - h * 0.36
    legs.line([(x - h * 0.03, hip), (x - h * 0.03 - stride, base - lw * 0.5)], lw)
    legs.line([(x + h * 0.03, hip), (x + h * 0.03 + stride, base - lw * 0.5)], lw)
    legs.ellipse(x - h * 0.03 - stride + facing * lw * 0.3, base - lw * 0.4, lw * 0.8, lw * 0.45)
    legs.ellipse(x + h * 0.03 + stride + facing * lw * 0.3, base - lw * 0.4, lw * 0.8, lw * 0.45)
    cv.fill(legs.mask(), ctx.lit(rgb("#3a3230"), fade, 0.4))
    body = cv.shapes()
    shoulder = hy + head_r * 1.25
    body.ellipse(x, shoulder + h * 0.02, h * 0.095, h * 0.04)
    body.poly([(x - h * 0.095, shoulder + h * 0.02), (x + h * 0.095, shoulder + h * 0.02),
               (x + h * 0.17, base - h * 0.3), (x - h * 0.17, base - h * 0.3)])
    arms = cv.shapes()
    arms.line([(x + h * 0.08 * facing, shoulder + h * 0.03),
               (x + h * 0.15 * facing, base - h * 0.48)], lw * 0.85)
    arms.line([(x - h * 0.08 * facing, shoulder + h * 0.03),
               (x - h * 0.13 * facing, base - h * 0.47)], lw * 0.85)
    cv.fill(body.mask(), ctx.lit(clothes, fade, 0.75))
    cv.fill(arms.mask(), ctx.lit(mix(clothes, (0.0, 0.0, 0.0), 0.15), fade, 0.6))
    head = cv.shapes().ellipse(x, hy, head_r, head_r * 1.05)
    cv.fill(head.mask(), ctx.lit(skin, fade, 0.8))
    hair_s = cv.shapes().ellipse(x - facing * head_r * 0.2, hy - head_r * 0.45, head_r * 1.05,
                                 head_r * 0.7)
    hair_s.line([(x - facing * head_r * 0.8, hy), (x - facing * head_r * 1.1, hy + head_r * 2.0)],
                head_r * 0.5)
    cv.fill(hair_s.mask(), ctx.lit(hair, fade, 0.6))
    if accent is not None:
        scarf = cv.shapes()
        scarf.line([(x - h * 0.08, shoulder - h * 0.005), (x + h * 0.08, shoulder - h * 0.005)],
                   h * 0.05)
        tail = [(x - facing * h * 0.06, shoulder), (x - facing * h * 0.16, shoulder + h * 0.12)]
        scarf.line(tail, h * 0.04)
        cv.fill(scarf.mask(), ctx.lit(accent, fade, 0.85))


@tagged("lantern")
def lantern(ctx: Ctx, x: float, y: float, size: float, strength: float = 1.0,
            colour: RGB | None = None, hanging: bool = True) -> None:
    """A small glowing lantern at (x, y), ``size`` pixels tall ("red lanterns" glow red)."""
    cv = ctx.cv
    colour = colour or ctx.plan.colour_of("lantern", WARM_LIGHT)
    frame = cv.shapes()
    if hanging:
        frame.line([(x, y - size * 0.9), (x, y - size * 0.5)], max(size * 0.06, 0.5))
    frame.poly([(x - size * 0.3, y - size * 0.5), (x + size * 0.3, y - size * 0.5),
                (x + size * 0.18, y - size * 0.62), (x - size * 0.18, y - size * 0.62)])
    frame.rect(x - size * 0.28, y + size * 0.42, x + size * 0.28, y + size * 0.5)
    cv.fill(frame.mask(), ctx.lit(rgb("#2e2622"), 0.0, 0.5))
    glass = cv.shapes().poly([(x - size * 0.24, y - size * 0.5), (x + size * 0.24, y - size * 0.5),
                              (x + size * 0.2, y + size * 0.42), (x - size * 0.2, y + size * 0.42)])
    gm = glass.mask()
    cv.fill(gm, mix(colour, (1.0, 1.0, 0.9), 0.45))
    cv.emit(gm, colour, 1.6 * strength)
    halo = cv.radial(x, y, size * 1.6)
    cv.add(halo, colour, 0.35 * strength)


@tagged("candle")
def candle(ctx: Ctx, x: float, base: float, size: float, strength: float = 1.0) -> None:
    """A candle on its holder with a flame at the top, ``size`` pixels tall."""
    cv = ctx.cv
    wax = cv.shapes().rect(x - size * 0.09, base - size * 0.6, x + size * 0.09, base)
    cv.fill(wax.mask(), ctx.lit(rgb("#efe6d2"), 0.0, 0.9))
    holder = cv.shapes().ellipse(x, base, size * 0.24, size * 0.06)
    cv.fill(holder.mask(), ctx.lit(rgb("#8a6a3a"), 0.0, 0.7))
    fy = base - size * 0.72
    flame = cv.shapes().poly([(x, fy - size * 0.2), (x + size * 0.06, fy),
                              (x, fy + size * 0.08), (x - size * 0.06, fy)])
    fm = flame.mask()
    cv.fill(fm, rgb("#fff2c0"))
    cv.emit(fm, rgb("#ffb050"), 3.0 * strength)
    cv.add(cv.radial(x, fy, size * 0.9), rgb("#ffb060"), 0.45 * strength)


@tagged("fire")
def campfire(ctx: Ctx, x: float, base: float, size: float) -> None:
    """Logs with flames and a warm glow, ``size`` pixels wide."""
    cv = ctx.cv
    logs = cv.shapes()
    logs.line([(x - size * 0.5, base), (x + size * 0.4, base - size * 0.12)], size * 0.1)
    logs.line([(x + size * 0.5, base), (x - size * 0.4, base - size * 0.12)], size * 0.1)
    cv.fill(logs.mask(), ctx.lit(rgb("#4a3020"), 0.0, 0.5))
    for k, (col, hk) in enumerate(((rgb("#e8501c"), 1.0), (rgb("#ffa02c"), 0.7),
                                   (rgb("#fff0a0"), 0.4))):
        fl = cv.shapes()
        for j in range(3):
            fx = x + (j - 1) * size * 0.16 * (1 - k * 0.3)
            fh = size * 0.8 * hk * (1.0 if j == 1 else 0.7)
            fl.poly([(fx - size * 0.16 * hk, base - size * 0.05), (fx, base - fh),
                     (fx + size * 0.16 * hk, base - size * 0.05)])
        fm = fl.mask()
        cv.fill(fm, col)
        cv.emit(fm, col, 1.2)
    cv.add(cv.radial(x, base - size * 0.3, size * 2.2, "inverse"), rgb("#ff9a40"), 0.35)


@tagged("flowers")
def flowers(ctx: Ctx, y_top: float, y_bottom: float, density: float, fade_top: float,
            rng: np.random.Generator, x_range: tuple[float, float] = (0.0, 1.0)) -> None:
    """Dots of colour scattered over the ground between two heights (pixels)."""
    cv = ctx.cv
    area = (y_bottom - y_top) / cv.unit * (x_range[1] - x_range[0]) * cv.aspect
    n = int(density * 900 * area)
    if n <= 0:
        return
    p = ctx.plan
    palette = [p.colour_of("flowers", c) for c in
               (rgb("#e04848"), rgb("#f4d040"), rgb("#f6f2ee"), rgb("#d070b0"), rgb("#8a6ad8"))]
    if p.free_colours:
        palette = p.free_colours + palette[:2]
    groups = [cv.shapes() for _ in palette]
    ys = y_top + (y_bottom - y_top) * rng.random(n) ** 0.7
    xs = cv.X(1.0) * rng.uniform(x_range[0], x_range[1], n)
    for fx, fy in zip(xs, ys, strict=True):
        d = (fy - y_top) / max(1.0, y_bottom - y_top)
        r = cv.S(0.0025 + 0.009 * d) * float(rng.uniform(0.6, 1.3))
        groups[int(rng.integers(len(groups)))].ellipse(float(fx), float(fy), r, r * 0.8)
    for g, col in zip(groups, palette, strict=True):
        cv.fill(g.mask(), ctx.lit(col, fade_top * 0.5, 0.9))


def grass_strokes(ctx: Ctx, y_top: float, y_bottom: float, colour: RGB, density: float,
                  rng: np.random.Generator) -> None:
    """Short painted blades over the near ground, growing with nearness."""
    cv = ctx.cv
    area = (y_bottom - y_top) / cv.unit * cv.aspect
    n = int(density * 500 * area)
    if n <= 0:
        return
    dark, light = cv.shapes(), cv.shapes()
    ys = y_top + (y_bottom - y_top) * np.sqrt(rng.random(n))
    xs = rng.uniform(0, cv.w, n)
    for fx, fy in zip(xs, ys, strict=True):
        d = (fy - y_top) / max(1.0, y_bottom - y_top)
        ln = cv.S(0.01 + 0.035 * d) * float(rng.uniform(0.5, 1.2))
        lean = float(rng.uniform(-0.4, 0.4)) * ln
        target = dark if rng.random() < 0.6 else light
        target.line([(float(fx), float(fy)), (float(fx) + lean, float(fy) - ln)],
                    max(cv.S(0.0016 + 0.002 * d), 0.4))
    cv.fill(dark.mask(), ctx.lit(mix(colour, (0.1, 0.2, 0.05), 0.35), 0.0, 0.4), 0.7)
    cv.fill(light.mask(), ctx.lit(mix(colour, (0.95, 0.95, 0.6), 0.2), 0.0, 0.95), 0.6)


def column_colour(top: Arr, light_dir: float, lit: RGB, shade: RGB, k: float,
                  smooth_px: float = 0.0) -> Arr:
    """Per-column colour from the slope of a skyline: faces toward the light are lit.

    The slope is averaged over ``smooth_px`` pixels so small bumps do not stripe
    a mountainside.
    """
    slope = np.gradient(top.astype(np.float32))
    n = int(smooth_px)
    if n >= 2:
        kernel = np.ones(n, dtype=np.float32) / n
        slope = np.convolve(np.pad(slope, (n // 2, n - 1 - n // 2), mode="edge"), kernel,
                            mode="valid")
    side = 0.5 + 0.5 * np.tanh(-slope * light_dir * k)
    lit_a = np.asarray(lit, dtype=np.float32)
    shade_a = np.asarray(shade, dtype=np.float32)
    out: Arr = shade_a[None, :] + (lit_a - shade_a)[None, :] * side[:, None].astype(np.float32)
    return out.astype(np.float32)
