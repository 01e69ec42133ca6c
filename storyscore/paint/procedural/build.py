"""Built things: houses, castles, towers, lighthouses, bridges, boats, stalls, skylines."""

from __future__ import annotations

import math

import numpy as np

from storyscore.paint.procedural.canvas import (
    RGB,
    Mask,
    Point,
    Shapes,
    box_blur,
    mix,
    rgb,
    scale,
    tagged,
)
from storyscore.paint.procedural.draw import SNOW, WARM_LIGHT, Ctx, lantern

WALLS = tuple(rgb(h) for h in ("#efe2c4", "#e8d0a8", "#f2ece0", "#d9b48a", "#c9d3dc", "#e9c3b0",
                               "#d8cfae"))
ROOFS = tuple(rgb(h) for h in ("#b2563b", "#9a4a32", "#4c5868", "#6a5a4a", "#a8703a", "#7a3a30"))
STONE = rgb("#a9a08e")
DARK_GLASS = rgb("#3a4452")


def window_colour(ctx: Ctx, rng: np.random.Generator) -> tuple[RGB, float]:
    """Colour of a window and how strongly it glows (0 in daylight)."""
    lit = ctx.plan.look.windows
    if ctx.plan.has("windows", "lantern", "candle"):
        lit = max(lit, 0.35 if ctx.plan.look.night < 0.3 else 0.8)
    if lit > 0.01 and rng.random() < 0.82:
        col = mix(rgb("#ffcf7a"), rgb("#ffe6a8"), float(rng.random()))
        return mix(ctx.lit(DARK_GLASS, 0.0, 0.6), col, lit), lit
    return ctx.lit(mix(DARK_GLASS, ctx.plan.look.zenith, 0.25), 0.0, 0.8), 0.0


def paint_window(ctx: Ctx, shapes: Shapes, rng: np.random.Generator, fade: float) -> None:
    """Fill window shapes: dark glass by day, warm and glowing at dusk and night."""
    col, glow = window_colour(ctx, rng)
    m = shapes.mask()
    ctx.cv.fill(m, mix(col, ctx.plan.look.haze, fade * (0.3 if glow else 1.0)))
    if glow:
        ctx.cv.emit(m, WARM_LIGHT, 1.2 * glow)


@tagged("houses")
def house(ctx: Ctx, x: float, base: float, w: float, h: float, fade: float,
          rng: np.random.Generator, wall: RGB | None = None, roof: RGB | None = None,
          silhouette: Shapes | None = None) -> None:
    """A cottage seen from the front corner: gable face, side wall, roof, windows."""
    cv = ctx.cv
    p = ctx.plan
    wall = wall or p.colour_of("houses", WALLS[int(rng.integers(len(WALLS)))])
    if roof is None and "village" in p.bound and rng.random() < 0.7:
        roof = p.bound["village"]
    roof = roof or (p.accent(rng) if (p.free_colours and rng.random() < 0.5)
                    else ROOFS[int(rng.integers(len(ROOFS)))])
    if ctx.snowy():
        roof = SNOW
    side_right = rng.random() < 0.5
    d = w * float(rng.uniform(0.5, 0.9)) * (1 if side_right else -1)
    skew = abs(d) * 0.18
    rh = h * float(rng.uniform(0.45, 0.75))
    fx0, fx1 = x - w / 2, x + w / 2
    eave = base - h
    apex = (x, eave - rh)
    edge = fx1 if side_right else fx0
    front = [(fx0, base), (fx1, base), (fx1, eave), apex, (fx0, eave)]
    side = [(edge, base), (edge + d, base - skew), (edge + d, eave - skew), (edge, eave)]
    over = w * 0.08
    s = 1 if side_right else -1
    roof_side = [
        (apex[0] - s * over * 0.3, apex[1] - over * 0.3), (apex[0] + d, apex[1] - skew),
        (edge + d + s * over, eave - skew + over * 0.5), (edge + s * over, eave + over * 0.5),
    ]
    front_lit = (ctx.light_dir < 0) == side_right
    cv.fill(cv.shapes().poly(side).mask(), ctx.lit(wall, fade, 0.2 if front_lit else 0.9))
    cv.fill(cv.shapes().poly(front).mask(), ctx.lit(wall, fade, 0.9 if front_lit else 0.35))
    # Chimney before the roof so the roof covers its foot.
    if rng.random() < 0.6:
        cx = apex[0] + d * 0.55
        cy = apex[1] - skew * 0.55 + rh * 0.45
        ch = cv.shapes().rect(cx - w * 0.06, cy - rh * 0.75, cx + w * 0.06, cy)
        cv.fill(ch.mask(), ctx.lit(rgb("#8a5a48"), fade, 0.6))
    cv.fill(cv.shapes().poly(roof_side).mask(), ctx.lit(roof, fade, 0.75))
    rim = cv.shapes().line([(fx0 - over * 0.4, eave + over * 0.3), apex,
                            (fx1 + over * 0.4, eave + over * 0.3)], max(w * 0.05, 0.6))
    cv.fill(rim.mask(), ctx.lit(scale(roof, 0.75), fade, 0.4))
    door = cv.shapes().rect(x - w * 0.1, base - h * 0.55, x + w * 0.1, base)
    cv.fill(door.mask(), ctx.lit(rgb("#5a3a2a"), fade, 0.5))
    wins = cv.shapes()
    for wx in (x - w * 0.3, x + w * 0.3):
        wins.rect(wx - w * 0.08, base - h * 0.72, wx + w * 0.08, base - h * 0.42)
    wins.rect(x - w * 0.07, eave - rh * 0.55, x + w * 0.07, eave - rh * 0.2)
    for k in range(2):
        t0 = 0.2 + 0.4 * k
        t1 = t0 + 0.22
        wx0, wx1 = edge + d * t0, edge + d * t1
        wins.poly([(wx0, base - h * 0.42 - skew * t0), (wx1, base - h * 0.42 - skew * t1),
                   (wx1, base - h * 0.75 - skew * t1), (wx0, base - h * 0.75 - skew * t0)])
    paint_window(ctx, wins, rng, fade)
    if silhouette is not None:
        silhouette.poly(front).poly(side).poly(roof_side)


def village(ctx: Ctx, crest: list[tuple[float, float]], size: float, fade: float,
            rng: np.random.Generator, count: int) -> None:
    """Houses spread along ``crest`` points (pixels), a little apart."""
    taken: list[float] = []
    for _ in range(count * 3):
        if len(taken) >= count:
            break
        x, base = crest[int(rng.integers(len(crest)))]
        if any(abs(x - t) < size * 1.1 for t in taken):
            continue
        taken.append(x)
    for x in sorted(taken, key=lambda t: rng.random()):
        base = min((b for cx, b in crest if abs(cx - x) < size * 0.6), default=crest[0][1])
        w = size * float(rng.uniform(0.75, 1.15))
        house(ctx, x, base + size * 0.05, w, w * float(rng.uniform(0.6, 0.85)), fade, rng)


@tagged("castle")
def castle(ctx: Ctx, cx: float, base: float, s: float, fade: float,
           rng: np.random.Generator) -> None:
    """A castle ``s`` pixels wide: curtain wall, keep, towers with pointed roofs, flags."""
    cv = ctx.cv
    p = ctx.plan
    stone = p.colour_of("castle", STONE)
    roof = p.colour_of("tower", p.accent(rng) if p.free_colours else rgb("#3e5a8a"))
    lit_c = ctx.lit(stone, fade, 0.9)
    shade_c = ctx.lit(stone, fade, 0.35)
    flag_col = p.colour_of("flags", p.accent(rng))

    def block(x0: float, x1: float, top: float, bottom: float, merlons: bool) -> None:
        mid = (x0 + x1) / 2
        lx0, lx1 = (mid, x1) if ctx.light_dir > 0 else (x0, mid)
        body = cv.shapes().rect(x0, top, x1, bottom)
        lit = cv.shapes().rect(lx0, top, lx1, bottom)
        if merlons:
            n = max(3, int((x1 - x0) / (s * 0.035)))
            step = (x1 - x0) / n
            for i in range(0, n, 2):
                a, b = x0 + i * step, x0 + (i + 1) * step
                body.rect(a, top - step * 0.9, b, top)
                if min(b, lx1) > max(a, lx0):
                    lit.rect(max(a, lx0), top - step * 0.9, min(b, lx1), top)
        cv.fill(body.mask(), shade_c)
        cv.fill(lit.mask(), lit_c, 0.85)

    def tower(tx: float, tw: float, top: float, cone: bool) -> None:
        block(tx - tw / 2, tx + tw / 2, top, base, not cone)
        if cone:
            ch = tw * 1.3
            c = cv.shapes().poly([(tx - tw * 0.62, top), (tx, top - ch), (tx + tw * 0.62, top)])
            cv.fill(c.mask(), ctx.lit(roof, fade, 0.5))
            lit_half = cv.shapes().poly([(tx, top - ch), (tx + tw * 0.62 * ctx.light_dir, top),
                                         (tx, top)])
            cv.fill(lit_half.mask(), ctx.lit(roof, fade, 0.95), 0.8)
            pole = cv.shapes().line([(tx, top - ch), (tx, top - ch - tw * 0.5)],
                                    max(tw * 0.04, 0.5))
            cv.fill(pole.mask(), ctx.lit(rgb("#3a3a3a"), fade, 0.5))
            fl = cv.shapes().poly([(tx, top - ch - tw * 0.5), (tx + tw * 0.45, top - ch - tw * 0.4),
                                   (tx, top - ch - tw * 0.3)])
            cv.fill(fl.mask(), ctx.lit(flag_col, fade, 0.9))
        wins = cv.shapes()
        for k in range(2):
            wy = top + (base - top) * (0.25 + 0.3 * k)
            wins.rect(tx - tw * 0.08, wy, tx + tw * 0.08, wy + tw * 0.3)
        paint_window(ctx, wins, rng, fade)

    wall_top = base - s * 0.28
    block(cx - s * 0.5, cx + s * 0.5, wall_top, base, True)
    keep_w = s * 0.3
    tower(cx - s * 0.12, keep_w, base - s * 0.62, False)
    tower(cx + s * 0.1, s * 0.12, base - s * 0.82, True)
    for tx, th in ((cx - s * 0.5, 0.5), (cx + s * 0.5, 0.46), (cx - s * 0.32, 0.38),
                   (cx + s * 0.3, 0.4)):
        tower(tx, s * 0.13, base - s * th, rng.random() < 0.75)
    gate = cv.shapes().rect(cx - s * 0.05, base - s * 0.13, cx + s * 0.05, base)
    gate.ellipse(cx, base - s * 0.13, s * 0.05, s * 0.05)
    cv.fill(gate.mask(), ctx.lit(rgb("#2a2420"), fade, 0.3))


@tagged("tower")
def round_tower(ctx: Ctx, cx: float, base: float, w: float, h: float, fade: float,
                rng: np.random.Generator) -> None:
    """A stone tower with a pointed roof and a few windows."""
    cv = ctx.cv
    p = ctx.plan
    stone = p.colour_of("tower", rgb("#b4a68c"))
    body = cv.shapes().poly([(cx - w / 2, base), (cx + w / 2, base), (cx + w * 0.45, base - h),
                             (cx - w * 0.45, base - h)])
    _cylinder(ctx, body.mask(), cx, w, stone, fade)
    roof_col = p.accent(rng) if p.free_colours else rgb("#7a3a30")
    ch = w * 1.1
    roof = cv.shapes().poly([(cx - w * 0.62, base - h), (cx, base - h - ch),
                             (cx + w * 0.62, base - h)])
    _cylinder(ctx, roof.mask(), cx, w * 1.24, roof_col, fade)
    wins = cv.shapes()
    for k in range(3):
        wy = base - h * (0.25 + 0.25 * k)
        wins.rect(cx - w * 0.07, wy - w * 0.2, cx + w * 0.07, wy)
        wins.ellipse(cx, wy - w * 0.2, w * 0.07, w * 0.07)
    paint_window(ctx, wins, rng, fade)


def _cylinder(ctx: Ctx, m: Mask | None, cx: float, w: float, colour: RGB, fade: float,
              glow: float = 0.0) -> None:
    """Fill ``m`` with round shading across a column ``w`` pixels wide centred on ``cx``.

    ``glow`` lets a landmark keep some of its colour at night, as if lit by its
    own lamp.
    """
    if m is None:
        return
    xs = (m.x0 + np.arange(m.a.shape[1], dtype=np.float32) + 0.5 - cx) / (w / 2)
    t = np.clip(xs, -1, 1)
    side = np.clip(0.5 + 0.55 * t * ctx.light_dir + 0.25 * np.sqrt(1 - t * t) - 0.1, 0, 1)
    k = glow * ctx.plan.look.night
    lit_c = mix(ctx.lit(colour, fade, 1.0), scale(colour, 0.55), k)
    dark_c = mix(ctx.lit(colour, fade, 0.0), scale(colour, 0.25), k)
    lit = np.asarray(lit_c, dtype=np.float32)
    dark = np.asarray(dark_c, dtype=np.float32)
    arr = dark[None, :] + (lit - dark)[None, :] * side[:, None]
    ctx.cv.fill(m, arr[None, :, :].astype(np.float32))


@tagged("lighthouse")
def lighthouse(ctx: Ctx, cx: float, base: float, h: float, fade: float,
               rng: np.random.Generator) -> tuple[float, float]:
    """A striped lighthouse ``h`` pixels tall; returns the lamp's pixel position."""
    cv = ctx.cv
    p = ctx.plan
    stripe = p.colour_of("lighthouse", rgb("#c8322e"))
    white = rgb("#f2efe6")
    wb, wt = h * 0.2, h * 0.13
    top = base - h * 0.78

    def half_width(y: float) -> float:
        t = (base - y) / (base - top)
        return (wb + (wt - wb) * t) / 2

    bands = 5
    for k in range(bands):
        ya = base - (base - top) * k / bands
        yb = base - (base - top) * (k + 1) / bands
        band = cv.shapes().poly([(cx - half_width(ya), ya + (1 if k == 0 else 0.3)),
                                 (cx + half_width(ya), ya + (1 if k == 0 else 0.3)),
                                 (cx + half_width(yb), yb), (cx - half_width(yb), yb)])
        _cylinder(ctx, band.mask(), cx, wb, stripe if k % 2 else white, fade, glow=0.6)
    door = cv.shapes().rect(cx - wb * 0.1, base - h * 0.08, cx + wb * 0.1, base)
    door.ellipse(cx, base - h * 0.08, wb * 0.1, wb * 0.1)
    cv.fill(door.mask(), ctx.lit(rgb("#3a2a22"), fade, 0.5))
    wins = cv.shapes()
    for k in (1, 2, 3):
        wy = base - (base - top) * (k / 4)
        wins.rect(cx - wt * 0.08, wy - wt * 0.18, cx + wt * 0.08, wy)
    paint_window(ctx, wins, rng, fade)
    # Gallery, lamp room and dome.
    gal = cv.shapes().rect(cx - wt * 0.75, top - h * 0.025, cx + wt * 0.75, top + h * 0.005)
    cv.fill(gal.mask(), ctx.lit(rgb("#2e2e30"), fade, 0.6))
    rail = cv.shapes()
    rail.line([(cx - wt * 0.72, top - h * 0.06), (cx + wt * 0.72, top - h * 0.06)],
              max(h * 0.006, 0.5))
    for k in range(7):
        rx = cx - wt * 0.72 + wt * 1.44 * k / 6
        rail.line([(rx, top - h * 0.06), (rx, top - h * 0.02)], max(h * 0.004, 0.4))
    cv.fill(rail.mask(), ctx.lit(rgb("#2e2e30"), fade, 0.6))
    lamp_y = top - h * 0.1
    room = cv.shapes().rect(cx - wt * 0.42, top - h * 0.16, cx + wt * 0.42, top - h * 0.025)
    rm = room.mask()
    night = max(p.look.windows, 0.6 if p.stormy else 0.0)
    if night > 0.05:
        cv.fill(rm, mix(rgb("#ffe9a8"), (1.0, 1.0, 0.95), 0.3))
        cv.emit(rm, rgb("#ffd27a"), 1.4 * night)
    else:
        cv.fill(rm, ctx.lit(rgb("#7f98a8"), fade, 0.9))
    bars = cv.shapes()
    for k in range(4):
        bx = cx - wt * 0.42 + wt * 0.84 * k / 3
        bars.line([(bx, top - h * 0.16), (bx, top - h * 0.025)], max(h * 0.004, 0.4))
    cv.fill(bars.mask(), ctx.lit(rgb("#2e2e30"), fade, 0.6), 0.8)
    dome = cv.shapes().ellipse(cx, top - h * 0.16, wt * 0.5, h * 0.055)
    dome.rect(cx - wt * 0.6, top - h * 0.16, cx + wt * 0.6, top - h * 0.1, erase=True)
    dome.line([(cx, top - h * 0.2), (cx, top - h * 0.245)], max(h * 0.006, 0.5))
    cv.fill(dome.mask(), ctx.lit(scale(stripe, 0.8), fade, 0.6))
    return cx, lamp_y


def beams(ctx: Ctx, x: float, y: float, strength: float, rng: np.random.Generator) -> None:
    """Two long soft beams of light sweeping from a lighthouse lamp."""
    cv = ctx.cv
    ys = np.arange(cv.h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(cv.w, dtype=np.float32)[None, :] + 0.5
    dx, dy = xs - x, ys - y
    dist = np.sqrt(dx * dx + dy * dy) / cv.unit
    ang = np.arctan2(dy, dx)
    width = 0.03 + 0.09 * np.minimum(dist, 2.0)
    fall = np.exp(-dist * 0.9)
    total = np.zeros((cv.h, cv.w), dtype=np.float32)
    for a0 in (float(rng.uniform(-0.25, 0.05)), math.pi + float(rng.uniform(-0.05, 0.25))):
        da = (ang - a0 + math.pi) % (2 * math.pi) - math.pi
        total += np.exp(-((da / width) ** 2)) * fall
    cv.add(Mask(total, 0, 0), rgb("#fff0b8"), 0.55 * strength)


@tagged("bridge")
def bridge(ctx: Ctx, x0: float, x1: float, deck: float, depth: float, fade: float) -> None:
    """A stone bridge of arches spanning ``x0``..``x1`` with its deck at ``deck`` pixels."""
    cv = ctx.cv
    stone = ctx.plan.colour_of("bridge", rgb("#b5a88e"))
    span = x1 - x0
    n = 3 if span > cv.S(0.5) else 2
    thick = depth * 0.16
    body = cv.shapes().rect(x0, deck - thick, x1, deck + depth)
    arch_w = span / n
    for i in range(n):
        ax = x0 + arch_w * (i + 0.5)
        body.ellipse(ax, deck + depth, arch_w * 0.4, depth * 0.85, erase=True)
    m = body.mask()
    cv.fill(m, ctx.lit(stone, fade, 0.6))
    parapet = cv.shapes().rect(x0 - thick * 0.3, deck - thick * 1.6, x1 + thick * 0.3, deck - thick)
    cv.fill(parapet.mask(), ctx.lit(stone, fade, 0.95))
    if m is not None:
        # Stone courses: a faint darker line pattern.
        ys = np.arange(m.y0, m.y1, dtype=np.float32)[:, None]
        lines = (np.sin(ys / max(thick * 0.35, 1.0) * math.pi) > 0.92).astype(np.float32)
        cv.fill(Mask(m.a * lines * 0.25, m.x0, m.y0), ctx.lit(scale(stone, 0.6), fade, 0.4))


@tagged("boats")
def boat(ctx: Ctx, x: float, water_y: float, length: float, fade: float,
         rng: np.random.Generator, sail: bool) -> None:
    """A small boat afloat at (x, water_y) with its reflection; ``length`` pixels long."""
    cv = ctx.cv
    p = ctx.plan
    hull_col = p.colour_of("boats", p.accent(rng))
    facing = 1 if rng.random() < 0.5 else -1
    hh = length * 0.2
    sil = cv.shapes()
    hull = [(x - length / 2, water_y - hh), (x + length / 2, water_y - hh * 1.3),
            (x + length * 0.38, water_y), (x - length * 0.4, water_y)]
    if facing < 0:
        hull = [(2 * x - px, py) for px, py in hull]
    sil.poly(hull)
    stripe = cv.shapes().poly([hull[0], hull[1], (hull[1][0] - facing * length * 0.02,
                                                  hull[1][1] + hh * 0.3),
                               (hull[0][0] + facing * length * 0.02, hull[0][1] + hh * 0.3)])
    mast_top = water_y - hh - length * (0.9 if sail else 0.45)
    mast = cv.shapes().line([(x, water_y - hh), (x, mast_top)], max(length * 0.015, 0.5))
    sil.line([(x, water_y - hh), (x, mast_top)], max(length * 0.015, 0.5))
    sail_col = p.colour_of("sails", rgb("#f3ece0") if rng.random() < 0.7 else p.accent(rng))
    if sail:
        sail_pts = [(x + facing * length * 0.02, mast_top + length * 0.03),
                    (x + facing * length * 0.42, water_y - hh * 1.6),
                    (x + facing * length * 0.02, water_y - hh * 1.6)]
        jib = [(x - facing * length * 0.02, mast_top + length * 0.1),
               (x - facing * length * 0.3, water_y - hh * 1.5),
               (x - facing * length * 0.02, water_y - hh * 1.5)]
        s1 = cv.shapes().poly(sail_pts).poly(jib)
        sil.poly(sail_pts).poly(jib)
    else:
        cabin = [(x - length * 0.15, water_y - hh * 1.1), (x + length * 0.12, water_y - hh * 1.1),
                 (x + length * 0.1, water_y - hh * 2.6), (x - length * 0.13, water_y - hh * 2.6)]
        s1 = cv.shapes().poly(cabin)
        sil.poly(cabin)
    cv.fill(mast.mask(), ctx.lit(rgb("#4a3a2e"), fade, 0.5))
    cv.fill(s1.mask(), ctx.lit(sail_col if sail else rgb("#ece6da"), fade, 0.85))
    cv.fill(cv.shapes().poly(hull).mask(), ctx.lit(hull_col, fade, 0.7))
    cv.fill(stripe.mask(), ctx.lit(rgb("#f0ece4"), fade, 0.8), 0.9)
    if p.look.windows > 0.3:
        lantern(ctx, x, mast_top + length * 0.12, length * 0.06, 0.6)
    mirror(ctx, sil.mask(), water_y, 0.55)


def mirror(ctx: Ctx, m: Mask | None, water_y: float, strength: float) -> None:
    """Reflect the canvas under mask ``m`` downward about ``water_y`` pixels."""
    if m is None:
        return
    cv = ctx.cv
    wl = round(water_y)
    x0, x1 = max(0, m.x0), min(cv.w, m.x1)
    n = wl - m.y0
    if n <= 0 or x1 <= x0:
        return
    above = np.zeros((n, x1 - x0), dtype=np.float32)
    rows_have = min(n, m.a.shape[0])
    above[:rows_have] = m.a[:rows_have, x0 - m.x0 : x1 - m.x0]
    y_lo, y_hi = max(wl, 0), min(cv.h, wl + n)
    if y_hi <= y_lo:
        return
    rows = np.arange(y_lo, y_hi)
    src = np.clip(2 * wl - rows - 1, 0, cv.h - 1)
    a = above[np.clip(src - m.y0, 0, n - 1)]
    water = np.asarray(ctx.plan.look.water, dtype=np.float32)
    colour = cv.rgb[src, x0:x1] * 0.65 + water * 0.35
    fall = np.linspace(1.0, 0.3, y_hi - y_lo, dtype=np.float32)[:, None]
    alpha = box_blur(a * fall, max(0.3, cv.S(0.0015))) * strength
    cv.fill(Mask(alpha.astype(np.float32), x0, y_lo), colour.astype(np.float32))


@tagged("market")
def stall(ctx: Ctx, x: float, base: float, w: float, fade: float,
          rng: np.random.Generator) -> None:
    """A market stall: posts, a counter with goods, a striped awning with a scalloped edge."""
    cv = ctx.cv
    p = ctx.plan
    h = w * 0.85
    col_a = p.colour_of("awnings", p.accent(rng))
    col_b = rgb("#f4efe4")
    x0, x1 = x - w / 2, x + w / 2
    top = base - h
    posts = cv.shapes()
    for px in (x0 + w * 0.04, x1 - w * 0.04):
        posts.line([(px, base), (px, top + h * 0.1)], max(w * 0.025, 0.6))
    cv.fill(posts.mask(), ctx.lit(rgb("#5a4030"), fade, 0.5))
    counter = cv.shapes().rect(x0 + w * 0.02, base - h * 0.38, x1 - w * 0.02, base)
    cv.fill(counter.mask(), ctx.lit(rgb("#8a6040"), fade, 0.6))
    plank = cv.shapes().rect(x0, base - h * 0.4, x1, base - h * 0.35)
    cv.fill(plank.mask(), ctx.lit(rgb("#a87a50"), fade, 0.9))
    goods = [cv.shapes() for _ in range(3)]
    goods_cols = [rgb("#e0502a"), rgb("#f0c040"), rgb("#80b040"), rgb("#c04070"),
                  rgb("#f08a30")]
    picks = [goods_cols[int(rng.integers(len(goods_cols)))] for _ in goods]
    n = int(w / max(w * 0.07, 1.0))
    for i in range(n):
        for row in range(2):
            gx = x0 + w * 0.08 + (w * 0.84) * (i + 0.5 * row) / n
            gy = base - h * 0.42 - row * w * 0.05
            goods[int(rng.integers(3))].ellipse(gx, gy, w * 0.035, w * 0.03)
    for g, c in zip(goods, picks, strict=True):
        cv.fill(g.mask(), ctx.lit(c, fade, 0.85))
    # Striped awning sloping toward the viewer, with a scalloped hem.
    stripes = 6
    a_top, a_bot = top, top + h * 0.3
    for k in range(stripes):
        sx0 = x0 - w * 0.06 + (w * 1.12) * k / stripes
        sx1 = x0 - w * 0.06 + (w * 1.12) * (k + 1) / stripes
        tx0 = x0 + w * 0.06 + (w * 0.88) * k / stripes
        tx1 = x0 + w * 0.06 + (w * 0.88) * (k + 1) / stripes
        piece = cv.shapes().poly([(tx0, a_top), (tx1, a_top), (sx1, a_bot), (sx0, a_bot)])
        piece.ellipse((sx0 + sx1) / 2, a_bot, (sx1 - sx0) / 2, h * 0.06)
        piece.rect(sx0, a_bot - 1, sx1, a_bot + 0.5)
        cv.fill(piece.mask(), ctx.lit(col_a if k % 2 == 0 else col_b, fade, 0.9))
    shade = cv.shapes().rect(x0 + w * 0.02, a_bot + h * 0.04, x1 - w * 0.02, a_bot + h * 0.16)
    m = shade.mask()
    if m is not None:
        m.a = box_blur(m.a, max(0.3, w * 0.02))
        cv.multiply(m, (0.55, 0.5, 0.55), 0.45)
    if p.look.windows > 0.3 or p.has("lantern"):
        lantern(ctx, x1 - w * 0.1, a_bot + h * 0.12, h * 0.12, 0.8)


@tagged("flags")
def bunting(ctx: Ctx, x0: float, x1: float, y: float, sag: float, rng: np.random.Generator,
            size: float) -> None:
    """A string of triangular flags between two points."""
    cv = ctx.cv
    p = ctx.plan
    n = max(4, int((x1 - x0) / (size * 1.4)))
    pts: list[Point] = []
    for i in range(n + 1):
        t = i / n
        pts.append((x0 + (x1 - x0) * t, y + sag * 4 * t * (1 - t)))
    cv.fill(cv.shapes().line(pts, max(size * 0.06, 0.5)).mask(), ctx.lit(rgb("#3a3030"), 0, 0.5))
    cols = [p.colour_of("flags", p.accent(rng)) for _ in range(3)]
    groups = [cv.shapes() for _ in cols]
    for i in range(n):
        (ax, ay), (bx, by) = pts[i], pts[i + 1]
        mx, my = (ax + bx) / 2, (ay + by) / 2
        groups[i % 3].poly([(ax + (bx - ax) * 0.1, ay), (bx - (bx - ax) * 0.1, by),
                            (mx, my + size)])
    for g, c in zip(groups, cols, strict=True):
        cv.fill(g.mask(), ctx.lit(c, 0.0, 0.9))


@tagged("city")
def skyline(ctx: Ctx, base: float, height: float, fade: float, rng: np.random.Generator,
            windows: bool) -> None:
    """A row of city blocks and towers standing on ``base`` pixels."""
    cv = ctx.cv
    p = ctx.plan
    colour = p.colour_of("skyline", p.colour_of("city", rgb("#7d8596")))
    x = cv.X(-0.02)
    body = cv.shapes()
    lit = cv.shapes()
    blocks: list[tuple[float, float, float]] = []
    while x < cv.w:
        w = cv.S(float(rng.uniform(0.04, 0.11)))
        h = height * float(rng.uniform(0.35, 1.0)) ** 1.3
        top = base - h
        body.rect(x, top, x + w, base + 1)
        roof = rng.random()
        if roof < 0.15:
            body.line([(x + w / 2, top), (x + w / 2, top - h * 0.25)], max(w * 0.04, 0.5))
        elif roof < 0.3:
            body.poly([(x, top), (x + w / 2, top - w * 0.6), (x + w, top)])
        elif roof < 0.4:
            body.ellipse(x + w / 2, top, w * 0.35, w * 0.3)
        if ctx.light_dir > 0:
            lit.rect(x + w * 0.6, top, x + w, base + 1)
        else:
            lit.rect(x, top, x + w * 0.4, base + 1)
        blocks.append((x, w, top))
        x += w * float(rng.uniform(0.85, 1.05))
    cv.fill(body.mask(), ctx.lit(colour, fade, 0.35))
    cv.fill(lit.mask(), ctx.lit(colour, fade, 0.85), 0.7)
    if not windows:
        return
    wins = cv.shapes()
    dark = cv.shapes()
    glow = p.look.windows
    for bx, bw, top in blocks:
        cols = max(2, int(bw / cv.S(0.012)))
        rows = max(2, int((base - top) / cv.S(0.018)))
        ww = bw / cols
        wh = (base - top) / rows
        for r in range(rows - 1):
            for c in range(cols):
                target = wins if (glow > 0.05 and rng.random() < 0.55) else dark
                if target is dark and glow > 0.05 and rng.random() < 0.6:
                    continue
                target.rect(bx + ww * (c + 0.25), top + wh * (r + 0.35), bx + ww * (c + 0.75),
                            top + wh * (r + 0.8))
    if glow > 0.05:
        wm = wins.mask()
        cv.fill(wm, mix(rgb("#ffd88a"), ctx.plan.look.haze, fade * 0.4))
        cv.emit(wm, WARM_LIGHT, 1.2 * glow)
    else:
        cv.fill(wins.mask(), ctx.lit(rgb("#a8c0d8"), fade, 0.9), 0.6)
    cv.fill(dark.mask(), ctx.lit(rgb("#40485a"), fade, 0.5), 0.5)
