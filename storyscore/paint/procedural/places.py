"""More places and things: waterfalls, canyons, glaciers, swamps, jungles, farms with
barns and windmills, fireworks, and the world under the sea with its coral."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from storyscore.paint.procedural import build as build
from storyscore.paint.procedural import land as land
from storyscore.paint.procedural.canvas import RGB, Point, blur, fbm, mix, rgb, scale, tagged
from storyscore.paint.procedural.draw import Ctx, rock_pile, tree_row

FIREWORKS = (rgb("#ff5a4a"), rgb("#ffd84a"), rgb("#6ad0ff"), rgb("#ff7ad8"), rgb("#9aff7a"),
             rgb("#ffffff"))
CANYON = (rgb("#b5552f"), rgb("#c9703e"), rgb("#9a4428"), rgb("#d8925a"), rgb("#a85a36"))
CORAL = (rgb("#ff7a6a"), rgb("#ff9ad0"), rgb("#c07ae0"), rgb("#ffb14a"), rgb("#f25a7a"))


@tagged("fireworks")
def fireworks(ctx: Ctx) -> None:
    """Bursts of coloured sparks high in the sky, glowing."""
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    for k in range(int(rng.integers(4, 7))):
        cx = cv.w * float(rng.uniform(0.1, 0.9))
        cy = hy * float(rng.uniform(0.15, 0.7))
        r = ctx.u(float(rng.uniform(0.07, 0.15)))
        colour = FIREWORKS[(k + int(rng.integers(len(FIREWORKS)))) % len(FIREWORKS)]
        rays = cv.shapes()
        tips = cv.shapes()
        n = int(rng.integers(18, 30))
        for j in range(n):
            a = 2 * math.pi * j / n + float(rng.uniform(-0.08, 0.08))
            ln = r * float(rng.uniform(0.75, 1.0))
            x0, y0 = cx + math.cos(a) * ln * 0.25, cy + math.sin(a) * ln * 0.25
            x1, y1 = cx + math.cos(a) * ln, cy + math.sin(a) * ln + ln * 0.08
            rays.line([(x0, y0), (x1, y1)], max(0.6, ctx.u(0.0025)))
            tips.ellipse(x1, y1, max(0.7, ctx.u(0.004)), max(0.7, ctx.u(0.004)))
        rm, tm = rays.mask(), tips.mask()
        cv.fill(rm, mix(colour, (1.0, 1.0, 1.0), 0.2), 0.8)
        cv.fill(tm, mix(colour, (1.0, 1.0, 1.0), 0.5))
        cv.emit(rm, colour, 0.8)
        cv.emit(tm, colour, 1.2)
        trail = cv.shapes().line([(cx + ctx.u(0.02), hy), (cx, cy + r * 0.3)],
                                 max(0.5, ctx.u(0.0015)))
        cv.fill(trail.mask(), mix(colour, ctx.plan.look.zenith, 0.5), 0.5)


@tagged("windmill")
def windmill(ctx: Ctx, x: float, base: float, h: float) -> None:
    """A white windmill with a dark cap and four lattice sails, ``h`` pixels tall."""
    cv = ctx.cv
    fade = 0.05
    tower = cv.shapes().poly([(x - h * 0.16, base), (x + h * 0.16, base),
                              (x + h * 0.1, base - h * 0.7), (x - h * 0.1, base - h * 0.7)])
    cv.fill(tower.mask(), ctx.lit(rgb("#eee6d6"), fade, 0.8))
    door = cv.shapes().rect(x - h * 0.04, base - h * 0.12, x + h * 0.04, base)
    cv.fill(door.mask(), ctx.lit(rgb("#5a3e2c"), fade, 0.5))
    cap = cv.shapes().poly([(x - h * 0.13, base - h * 0.68), (x + h * 0.13, base - h * 0.68),
                            (x, base - h * 0.86)])
    cv.fill(cap.mask(), ctx.lit(rgb("#5a4038"), fade, 0.6))
    hub = (x, base - h * 0.72)
    angle = float(ctx.rng.uniform(0, math.pi / 2))
    frames = cv.shapes()
    cloth = cv.shapes()
    for k in range(4):
        a = angle + k * math.pi / 2
        dx, dy = math.cos(a), math.sin(a)
        nx, ny = -dy, dx
        tip = (hub[0] + dx * h * 0.55, hub[1] + dy * h * 0.55)
        frames.line([hub, tip], max(0.6, h * 0.015))
        near = (hub[0] + dx * h * 0.12, hub[1] + dy * h * 0.12)
        cloth.poly([near, tip, (tip[0] + nx * h * 0.1, tip[1] + ny * h * 0.1),
                    (near[0] + nx * h * 0.1, near[1] + ny * h * 0.1)])
    cv.fill(cloth.mask(), ctx.lit(rgb("#e8dcc4"), fade, 0.85), 0.85)
    cv.fill(frames.mask(), ctx.lit(rgb("#4a3a30"), fade, 0.5))


@tagged("barn")
def barn(ctx: Ctx, x: float, base: float, w: float) -> None:
    """A red barn with a white-trimmed door."""
    cv = ctx.cv
    build.house(ctx, x, base, w, w * 0.6, 0.05, ctx.rng, wall=rgb("#a8382a"),
                roof=rgb("#5a4a44"))
    door = cv.shapes().rect(x - w * 0.16, base - w * 0.36, x + w * 0.16, base)
    cv.fill(door.mask(), ctx.lit(rgb("#f0ebe0"), 0.05, 0.8))
    inner = cv.shapes().rect(x - w * 0.13, base - w * 0.33, x + w * 0.13, base)
    cv.fill(inner.mask(), ctx.lit(rgb("#8a2e24"), 0.05, 0.6))
    cross = cv.shapes()
    cross.line([(x - w * 0.13, base - w * 0.33), (x + w * 0.13, base)], max(0.6, w * 0.02))
    cross.line([(x + w * 0.13, base - w * 0.33), (x - w * 0.13, base)], max(0.6, w * 0.02))
    cv.fill(cross.mask(), ctx.lit(rgb("#f0ebe0"), 0.05, 0.8))


@tagged("waterfall")
def waterfall(ctx: Ctx) -> None:
    """Water falling from a rocky cliff into a pool, with spray at its foot."""
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    land.mountains(ctx, hy + 1, ctx.u(0.25), 0.6, snow=rng.random() < 0.4, rng=rng)
    cx = cv.w * float(rng.uniform(0.4, 0.6))
    top = hy - ctx.u(0.12)
    pool = hy + (cv.h - hy) * 0.35
    width = ctx.u(0.14)
    rock = cv.shapes()
    rock.poly([(-1.0, pool + 2), (-1.0, top + ctx.u(0.05)),
               (cx - width * 1.5, top - ctx.u(0.02)), (cx - width * 0.5, top),
               (cx + width * 0.5, top), (cx + width * 1.6, top - ctx.u(0.03)),
               (cv.w + 1.0, top + ctx.u(0.08)), (cv.w + 1.0, pool + 2)])
    m = rock.mask()
    if m is not None:
        tex = fbm(ctx.drng, m.a.shape[1], m.a.shape[0], ctx.u(0.05), 3)[..., None]
        base = np.asarray(ctx.lit(rgb("#6e665e"), 0.1, 0.6), dtype=np.float32)
        cv.fill(m, (base * (0.75 + 0.5 * tex)).astype(np.float32))
    tree_row(ctx, "round", lambda fx: top + ctx.u(0.06), 10, (ctx.u(0.06), ctx.u(0.1)), 0.15,
             avoid=((cx - width * 2) / cv.w, (cx + width * 2) / cv.w))
    land.water(ctx, pool, cv.h * 0.82, calm=0.5)
    fall = cv.shapes().poly([(cx - width * 0.5, top), (cx + width * 0.5, top),
                             (cx + width * 0.62, pool), (cx - width * 0.62, pool)])
    fm = fall.mask()
    if fm is not None:
        xs = np.arange(fm.a.shape[1], dtype=np.float32)[None, :]
        streak = 0.5 + 0.5 * np.sin(xs / max(1.0, width * 0.06) + np.arange(
            fm.a.shape[0], dtype=np.float32)[:, None] * 0.02)
        light = np.asarray(ctx.bright(rgb("#f4f8ff")), dtype=np.float32)
        blue = np.asarray(ctx.lit(rgb("#8ab8d8"), 0.0, 0.8), dtype=np.float32)
        col = blue + (light - blue) * streak[..., None]
        cv.fill(fm, col.astype(np.float32), 0.95)
    spray = cv.radial(cx, pool, width * 1.3, "gauss", squash=0.45)
    cv.fill(spray, ctx.bright(rgb("#ffffff")), 0.8)
    land.ground_plane(ctx, cv.h * 0.82, ctx.ground_colour(), 1.0)
    rock_pile(ctx, cv.w * 0.12, cv.h * 1.01, ctx.u(0.3), ctx.u(0.1), rgb("#7d7872"), 0.0, rng)


@tagged("canyon")
def canyon(ctx: Ctx) -> None:
    """Red rock walls in layers on both sides, mesas far off, a river at the bottom."""
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    mesas = cv.shapes()
    x = -ctx.u(0.1)
    while x < cv.w:
        w = ctx.u(float(rng.uniform(0.15, 0.4)))
        h = ctx.u(float(rng.uniform(0.05, 0.12)))
        mesas.poly([(x, hy + 2), (x + w * 0.1, hy - h), (x + w * 0.9, hy - h), (x + w, hy + 2)])
        x += w * float(rng.uniform(0.9, 1.4))
    cv.fill(mesas.mask(), ctx.lit(mix(CANYON[0], ctx.plan.look.haze, 0.45), 0.4, 0.6))
    land.ground_plane(ctx, hy + 1, rgb("#c88a5a"), 1.0)
    land.river(ctx, hy + 1, ctx.u(0.4), rng)
    for side in (-1, 1):
        edge = cv.w * (0.5 + side * float(rng.uniform(0.12, 0.2)))
        outer = -2.0 if side < 0 else cv.w + 2.0
        top = ctx.y(float(rng.uniform(0.12, 0.28)))
        pts: list[Point] = [(outer, top), (outer, cv.h + 2)]
        for k in range(9):
            t = k / 8
            y = cv.h + 2 - (cv.h + 2 - top) * t
            wob = ctx.u(0.05) * math.sin(t * 9 + side) * (1 - t * 0.3)
            pts.append((edge + side * (ctx.u(0.25) * (1 - t) ** 1.5) + wob, y))
        pts.append((outer, top))
        wall = cv.shapes().poly(pts)
        m = wall.mask()
        if m is None:
            continue
        rows = np.arange(m.y0, m.y1, dtype=np.float32)
        layer = ((rows / ctx.u(0.045)).astype(np.int64) + (3 if side > 0 else 0)) % len(CANYON)
        cols = np.asarray(CANYON, dtype=np.float32)[layer]
        shade = 0.95 if (side < 0) == (ctx.light_dir > 0) else 0.45
        lit = np.asarray(ctx.lit((1.0, 1.0, 1.0), 0.0, shade), dtype=np.float32)
        cv.fill(m, (cols * lit)[:, None, :].repeat(m.a.shape[1], axis=1).astype(np.float32))


@tagged("glacier")
def glacier(ctx: Ctx) -> None:
    """Snowy peaks above a field of blue-white ice, or icebergs in a cold sea."""
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    land.mountains(ctx, hy + 1, ctx.u(0.4), 0.3, snow=True, rng=rng, colour=rgb("#9ab0c8"))
    if ctx.plan.has("sea", "lake", "waves"):
        land.water(ctx, hy + 1, calm=0.8, colour=rgb("#2a5a78"))
        for _ in range(int(rng.integers(2, 5))):
            bx = cv.w * float(rng.uniform(0.1, 0.9))
            by = hy + (cv.h - hy) * float(rng.uniform(0.1, 0.6))
            s = (by - hy) * 0.6 + ctx.u(0.03)
            berg = cv.shapes().poly([(bx - s, by), (bx - s * 0.6, by - s * 0.5),
                                     (bx - s * 0.1, by - s * 0.8), (bx + s * 0.5, by - s * 0.4),
                                     (bx + s, by)])
            bm = berg.mask()
            cv.fill(bm, ctx.bright(rgb("#eef6ff")))
            build.mirror(ctx, bm, by, 0.4)
        return
    ice = rgb("#dcebf6")
    land.ground_plane(ctx, hy + 1, ice, 0.6)
    cracks = cv.shapes()
    for _ in range(14):
        x = cv.w * float(rng.uniform(0, 1))
        y = hy + (cv.h - hy) * float(rng.uniform(0.1, 1.0))
        ln = ctx.u(0.15) * (y - hy) / (cv.h - hy)
        cracks.line([(x, y), (x + ln, y + ln * 0.1), (x + ln * 1.6, y - ln * 0.05)],
                    max(0.5, ctx.u(0.002)))
    cv.fill(cracks.mask(), ctx.lit(rgb("#7aa8c8"), 0.0, 0.6), 0.7)
    tint = cv.band(hy, cv.h, ctx.u(0.05))
    cv.fill(tint, ctx.lit(rgb("#a8d0ea"), 0.0, 0.8), 0.2)


@tagged("swamp")
def swamp(ctx: Ctx) -> None:
    """Still, murky water among reeds and bare trees, in mist."""
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    tree_row(ctx, "bare", lambda fx: hy + ctx.u(0.01), 12, (ctx.u(0.1), ctx.u(0.2)), 0.4)
    land.water(ctx, hy + 1, calm=0.9, colour=rgb("#3a4a2a"))
    land.mist_band(ctx, hy + ctx.u(0.03), ctx.u(0.08), 0.5, ctx.drng)
    pads = cv.shapes()
    for _ in range(22):
        y = hy + (cv.h - hy) * float(rng.uniform(0.15, 0.95))
        r = ctx.u(0.012) + (y - hy) * 0.04
        pads.ellipse(cv.w * float(rng.uniform(0, 1)), y, r, r * 0.35)
    cv.fill(pads.mask(), ctx.lit(rgb("#4a7a3a"), 0.05, 0.8))
    reeds = cv.shapes()
    for _ in range(90):
        x = cv.w * float(rng.uniform(-0.02, 1.02))
        if cv.w * 0.3 < x < cv.w * 0.7 and rng.random() < 0.8:
            continue
        base = cv.h * float(rng.uniform(0.85, 1.02))
        h = ctx.u(float(rng.uniform(0.1, 0.3)))
        lean = h * float(rng.uniform(-0.15, 0.15))
        reeds.line([(x, base), (x + lean * 0.5, base - h * 0.5), (x + lean, base - h)],
                   max(0.5, ctx.u(0.004)))
    cv.fill(reeds.mask(), ctx.lit(rgb("#6a7a3a"), 0.0, 0.6))
    tree_row(ctx, "bare", lambda fx: cv.h * 1.02, 2, (ctx.u(0.6), ctx.u(0.8)), 0.0,
             (0.0, 0.12), rng)


@tagged("jungle")
def jungle(ctx: Ctx) -> None:
    """A dense, steamy green of palms and broad trees, vines and big leaves in front."""
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    land.ground_plane(ctx, hy, rgb("#3e6a2e"), 1.0)
    for r in range(4):
        d = r / 3
        base = hy + (cv.h - hy) * (0.05 + 0.4 * d)
        h0 = ctx.u(0.15 + 0.35 * d)
        fade = 0.5 * (1 - d)
        tree_row(ctx, "round", _level(base), int(18 - 8 * d), (h0, h0 * 1.5), fade)
        tree_row(ctx, "palm", _level(base + ctx.u(0.01)), int(6 - 2 * d), (h0 * 1.1, h0 * 1.6),
                 fade)
    vines = cv.shapes()
    for _ in range(9):
        x = cv.w * float(rng.uniform(0, 1))
        ln = cv.h * float(rng.uniform(0.2, 0.55))
        vines.line([(x, -2.0), (x + ctx.u(0.02), ln * 0.5), (x - ctx.u(0.01), ln)],
                   max(0.6, ctx.u(0.005)))
    cv.fill(vines.mask(), ctx.lit(rgb("#2e5a26"), 0.0, 0.5))
    leaves = cv.shapes()
    for side in (-1, 1):
        cx = cv.w * (0.5 + side * 0.5)
        for k in range(6):
            a = math.pi * (0.15 + 0.12 * k) * (1 if side < 0 else -1) + (0 if side < 0 else math.pi)
            leaves.poly(_leaf((cx, cv.h * 1.02), ctx.u(0.35), a))
    cv.fill(leaves.mask(), ctx.lit(rgb("#2f7a34"), 0.0, 0.7))
    haze = cv.band(hy - ctx.u(0.1), hy + ctx.u(0.1), ctx.u(0.08))
    cv.fill(haze, mix(ctx.plan.look.haze, rgb("#cfe8c8"), 0.3), 0.3)


def _level(y: float) -> Callable[[float], float]:
    """Level ground at ``y`` pixels."""
    return lambda fx: y


def _leaf(base: Point, length: float, angle: float) -> list[Point]:
    """A broad pointed leaf from ``base`` at ``angle`` radians."""
    dx, dy = math.cos(angle), -math.sin(angle)
    nx, ny = -dy, dx
    pts: list[Point] = []
    for k in range(9):
        t = k / 8
        w = length * 0.18 * math.sin(math.pi * t)
        pts.append((base[0] + dx * length * t + nx * w, base[1] + dy * length * t + ny * w))
    for k in range(8, -1, -1):
        t = k / 8
        w = length * 0.18 * math.sin(math.pi * t)
        pts.append((base[0] + dx * length * t - nx * w, base[1] + dy * length * t - ny * w))
    return pts


def paint_underwater(ctx: Ctx) -> None:
    """Under the sea: light from above, sand, coral, weed, bubbles and small fish."""
    cv = ctx.cv
    rng = ctx.rng
    cv.record("underwater", 0, 0, cv.w, cv.h)
    p = ctx.plan
    night = p.look.night
    top = np.asarray(scale(p.colour_of("sea", rgb("#3ab0c8")), 1 - 0.6 * night), np.float32)
    bottom = np.asarray(scale(rgb("#0a3060"), 1 - 0.5 * night), np.float32)
    t = np.linspace(0, 1, cv.h, dtype=np.float32)[:, None, None]
    cv.rgb[:] = top * (1 - t) + bottom * t
    land.sunbeams(ctx, (cv.w * float(rng.uniform(0.3, 0.7)), -ctx.u(0.2)), 0.6, ctx.drng)
    ctx.water.append((0.0, float(cv.h), None))
    ctx.horizon = 0.8
    sand = cv.shapes()
    pts: list[Point] = [(-1.0, cv.h + 1.0)]
    for k in range(17):
        fx = k / 16
        pts.append((cv.w * fx, cv.h * (0.8 + 0.04 * math.sin(fx * 7 + float(rng.uniform(0, 1))))))
    pts.append((cv.w + 1.0, cv.h + 1.0))
    sand.poly(pts)
    cv.fill(sand.mask(), scale(rgb("#d8c8a0"), 0.8 - 0.4 * night))
    with cv.tagged("coral"):
        for _ in range(int(rng.integers(5, 9))):
            _coral(ctx, cv.w * float(rng.uniform(0.02, 0.98)),
                   cv.h * float(rng.uniform(0.82, 0.95)), ctx.u(float(rng.uniform(0.12, 0.28))))
        weed = cv.shapes()
        for _ in range(14):
            x = cv.w * float(rng.uniform(0, 1))
            base = cv.h * float(rng.uniform(0.82, 1.0))
            h = ctx.u(float(rng.uniform(0.2, 0.5)))
            pts = [(x + ctx.u(0.02) * math.sin(k * 1.3), base - h * k / 6) for k in range(7)]
            weed.line(pts, max(0.6, ctx.u(0.008)))
        cv.fill(weed.mask(), scale(rgb("#3a8a4a"), 0.85 - 0.4 * night))
    fish = cv.shapes()
    for _ in range(int(rng.integers(4, 9))):
        x, y = cv.w * float(rng.uniform(0.05, 0.95)), cv.h * float(rng.uniform(0.15, 0.7))
        s = ctx.u(float(rng.uniform(0.012, 0.03)))
        d = 1 if rng.random() < 0.5 else -1
        fish.ellipse(x, y, s, s * 0.5)
        fish.poly([(x - d * s * 0.8, y), (x - d * s * 1.5, y - s * 0.5),
                   (x - d * s * 1.5, y + s * 0.5)])
    cv.fill(fish.mask(), scale(rgb("#ffb040"), 0.9 - 0.4 * night))
    bubbles = cv.shapes()
    for _ in range(40):
        r = ctx.u(float(rng.uniform(0.003, 0.01)))
        bubbles.ellipse(cv.w * float(rng.uniform(0, 1)), cv.h * float(rng.uniform(0, 0.85)), r, r)
    bm = bubbles.mask()
    if bm is not None:
        bm.a = np.clip(bm.a - blur(bm.a, 1.5) * 0.6, 0, 1)
    cv.fill(bm, rgb("#e8f8ff"), 0.6)


def _coral(ctx: Ctx, x: float, base: float, size: float) -> None:
    """A branching coral and a round one beside it."""
    cv = ctx.cv
    rng = ctx.rng
    colour: RGB = CORAL[int(rng.integers(len(CORAL)))]
    branches = cv.shapes()

    def grow(x0: float, y0: float, a: float, ln: float, w: float, depth: int) -> None:
        x1, y1 = x0 + math.cos(a) * ln, y0 - math.sin(a) * ln
        branches.line([(x0, y0), (x1, y1)], w)
        branches.ellipse(x1, y1, w * 0.7, w * 0.7)
        if depth:
            for da in (-0.45, 0.45):
                grow(x1, y1, a + da + float(rng.uniform(-0.15, 0.15)), ln * 0.7, w * 0.75,
                     depth - 1)

    grow(x, base, math.pi / 2, size * 0.4, max(0.8, size * 0.07), 3)
    cv.fill(branches.mask(), scale(colour, 0.95 - 0.4 * ctx.plan.look.night))
    blob = cv.shapes().ellipse(x + size * 0.35, base - size * 0.08, size * 0.18, size * 0.12)
    cv.fill(blob.mask(), scale(mix(colour, rgb("#ffffff"), 0.2), 0.9 - 0.4 * ctx.plan.look.night))
