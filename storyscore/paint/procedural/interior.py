"""Enclosed scenes: a room, a spiral staircase seen from above, a cave mouth, outer space.

Rooms and stairs are painted as surface colours on their own layer, then lit by
a light map (ambient, the window, candles, lanterns, fire), so a candle-lit room
really is dark in its corners and warm around the flame.
"""

from __future__ import annotations

import math

import numpy as np

from storyscore.paint.procedural import outdoor as outdoor
from storyscore.paint.procedural import sky as skym
from storyscore.paint.procedural.canvas import (
    RGB,
    Arr,
    Canvas,
    Mask,
    Point,
    blur,
    fbm,
    mix,
    rgb,
    scale,
    smoothstep,
)
from storyscore.paint.procedural.draw import WARM_LIGHT, Ctx, campfire, candle, figure, lantern
from storyscore.paint.procedural.props import furnished


class Surfaces:
    """Unlit surface colours with their coverage, composited over a background later."""

    def __init__(self, cv: Canvas) -> None:
        self.cv = Canvas(cv.w, cv.h, cv.ss)
        self.cover: Arr = np.zeros((cv.h, cv.w), dtype=np.float32)

    def paint(self, m: Mask | None, colour: RGB | Arr, alpha: float = 1.0) -> None:
        if m is None:
            return
        self.cv.fill(m, colour, alpha)
        region = self.cover[m.y0 : m.y1, m.x0 : m.x1]
        region += (1.0 - region) * m.a * alpha

    def composite(self, cv: Canvas, light: Arr) -> None:
        """Put the lit surfaces over ``cv``'s picture."""
        # Bright light saturates gently instead of burning the walls to white.
        light = light / (1.0 + 0.3 * light)
        # Lights painted outdoors before the walls went up must not glow through them.
        g = cv.glow_scale
        gh, gw = cv.emission.shape[:2]
        pad = np.pad(self.cover, ((0, gh * g - cv.h), (0, gw * g - cv.w)), mode="edge")
        cv.emission *= (1.0 - pad.reshape(gh, g, gw, g).mean(axis=(1, 3)))[..., None]
        cv.rgb *= (1.0 - self.cover)[..., None]
        cv.rgb += self.cv.rgb * light * 1.15


def _light_map(ctx: Ctx, ambient: float, lights: list[tuple[float, float, float, RGB, float]],
               extra: Arr | None = None) -> Arr:
    """Ambient plus point lights ``(x, y, radius, colour, strength)`` in pixels."""
    cv = ctx.cv
    look = ctx.plan.look
    base = np.asarray(mix(look.light, look.fill, 0.3), dtype=np.float32) * ambient
    light = np.empty((cv.h, cv.w, 3), dtype=np.float32)
    light[:] = base
    ys = np.arange(cv.h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(cv.w, dtype=np.float32)[None, :] + 0.5
    for x, y, r, col, k in lights:
        d2 = ((xs - x) ** 2 + (ys - y) ** 2) / (r * r)
        fall = (k / (1.0 + d2)).astype(np.float32)
        light += fall[..., None] * np.asarray(col, dtype=np.float32)
    if extra is not None:
        light += extra
    return light


def _night_level(ctx: Ctx) -> float:
    return ctx.plan.look.night


# ---- a room ----------------------------------------------------------------------

def paint_room(ctx: Ctx) -> None:
    """A room in one-point perspective with a window onto the prompt's outdoors."""
    ctx.cv.record("room", 0, 0, ctx.cv.w, ctx.cv.h)
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    outdoor.paint_outdoor(ctx)
    s = Surfaces(cv)
    w, h = cv.w, cv.h
    cx = ctx.x(float(rng.uniform(0.44, 0.56)))
    bw = min(w * 0.62, ctx.u(1.05))
    bh = h * 0.5
    bx0, bx1 = cx - bw / 2, cx + bw / 2
    by0, by1 = h * 0.16, h * 0.16 + bh
    vp = (cx, (by0 + by1) / 2)
    wall_col = p.colour_of("room", rgb(("#d8c2a0", "#c9b08a", "#b9c4b0", "#d0b8a8",
                                        "#c0b0a0")[int(rng.integers(5))]))
    wood = rgb("#8a5e3c")
    # Window on the back wall: its hole lets the outdoors show through.
    win_w = bw * 0.34
    win_x = cx + bw * float(rng.choice([-0.22, 0.2]))
    win_y0, win_y1 = by0 + bh * 0.14, by0 + bh * 0.68
    back = cv.shapes().rect(bx0, by0, bx1, by1)
    back.rect(win_x - win_w / 2, win_y0, win_x + win_w / 2, win_y1, erase=True)
    bm = back.mask()
    if bm is not None:
        tex = _wallpaper(ctx, bm, wall_col)
        s.paint(bm, tex)
    for pts, shade in (
        ([(0, 0), (bx0, by0), (bx0, by1), (0, h)], 0.8),
        ([(w, 0), (bx1, by0), (bx1, by1), (w, h)], 0.8),
        ([(0, 0), (w, 0), (bx1, by0), (bx0, by0)], 0.7),
    ):
        m = cv.shapes().poly([(float(x), float(y)) for x, y in pts]).mask()
        if m is not None:
            s.paint(m, _wallpaper(ctx, m, scale(wall_col, shade)))
    floor = cv.shapes().poly([(bx0, by1), (bx1, by1), (w + 1, h + 1), (-1, h + 1)]).mask()
    s.paint(floor, wood)
    boards = cv.shapes()
    for k in range(-12, 13):
        boards.line([(vp[0] + (k / 12) * bw / 2, by1), (vp[0] + (k / 12) * w * 1.3, h + 2)],
                    max(0.4, ctx.u(0.002)))
    s.paint(boards.mask(), scale(wood, 0.6), 0.6)
    skirting = cv.shapes().rect(bx0, by1 - bh * 0.04, bx1, by1)
    s.paint(skirting.mask(), scale(wood, 0.8))
    # Window frame, sill and curtains.
    frame = cv.shapes()
    fw = max(0.6, ctx.u(0.008))
    frame.line([(win_x - win_w / 2, win_y0), (win_x + win_w / 2, win_y0),
                (win_x + win_w / 2, win_y1), (win_x - win_w / 2, win_y1),
                (win_x - win_w / 2, win_y0)], fw)
    frame.line([(win_x, win_y0), (win_x, win_y1)], fw * 0.7)
    frame.line([(win_x - win_w / 2, (win_y0 + win_y1) / 2),
                (win_x + win_w / 2, (win_y0 + win_y1) / 2)], fw * 0.7)
    frame.rect(win_x - win_w * 0.6, win_y1, win_x + win_w * 0.6, win_y1 + ctx.u(0.012))
    s.paint(frame.mask(), rgb("#efe8dc"))
    curtain = p.colour_of("windows", p.accent(rng))
    for side in (-1, 1):
        cx0 = win_x + side * win_w * 0.5
        cur = cv.shapes().poly([(cx0 - side * win_w * 0.12, win_y0 - ctx.u(0.02)),
                                (cx0 + side * win_w * 0.18, win_y0 - ctx.u(0.02)),
                                (cx0 + side * win_w * 0.22, win_y1 + ctx.u(0.06)),
                                (cx0 + side * win_w * 0.02, win_y1 + ctx.u(0.06)),
                                (cx0 - side * win_w * 0.05, (win_y0 + win_y1) / 2)])
        s.paint(cur.mask(), curtain)
    rod = cv.shapes().line([(win_x - win_w * 0.8, win_y0 - ctx.u(0.02)),
                            (win_x + win_w * 0.8, win_y0 - ctx.u(0.02))], ctx.u(0.006))
    s.paint(rod.mask(), rgb("#4a3a2a"))
    # A picture on the wall, a rug, a table, a chair, a bookshelf.
    px = cx - (win_x - cx) * 1.1
    pic = cv.shapes().rect(px - bw * 0.1, by0 + bh * 0.22, px + bw * 0.1, by0 + bh * 0.48)
    s.paint(pic.mask(), rgb("#6a4a2a"))
    inner = cv.shapes().rect(px - bw * 0.085, by0 + bh * 0.24, px + bw * 0.085, by0 + bh * 0.46)
    s.paint(inner.mask(), mix(p.accent(rng), rgb("#c8d0a0"), 0.5))
    ty = h * 0.8
    if not furnished(p.reading.concepts):
        # A kitchen or a classroom brings its own furniture (props.furniture).
        rug = cv.shapes().poly([(cx - bw * 0.35, by1 + h * 0.08), (cx + bw * 0.35, by1 + h * 0.08),
                                (cx + bw * 0.55, h * 0.95), (cx - bw * 0.55, h * 0.95)])
        s.paint(rug.mask(), p.colour_of("rug", mix(p.accent(rng), rgb("#8a3a30"), 0.4)))
        shelf_side = -1 if win_x > cx else 1
        _bookshelf(ctx, s, shelf_side, (bx0, by0, bx1, by1))
        table_top = cv.shapes().poly([(cx - bw * 0.32, ty), (cx + bw * 0.32, ty),
                                      (cx + bw * 0.38, ty + h * 0.05),
                                      (cx - bw * 0.38, ty + h * 0.05)])
        s.paint(table_top.mask(), rgb("#9a6a40"))
        legs = cv.shapes()
        for lx in (-0.34, 0.34):
            legs.rect(cx + bw * lx - ctx.u(0.01), ty + h * 0.05, cx + bw * lx + ctx.u(0.01), h + 1)
        s.paint(legs.mask(), rgb("#6a4a2c"))
    # Lights: daylight through the window, and any candle, lantern or fire.
    night = _night_level(ctx)
    day = max(0.0, 1.0 - night) * (1 - 0.5 * p.overcast)
    lights: list[tuple[float, float, float, RGB, float]] = [
        (win_x, (win_y0 + win_y1) / 2, ctx.u(0.45), mix(p.look.light, (1, 1, 1), 0.2), 0.9 * day),
    ]
    flame_at: list[Point] = []
    has_candle = "candle" in p.reading.concepts
    has_lantern = "lantern" in p.reading.concepts or (night > 0.4 and not has_candle)
    if has_candle:
        flame_at.append((cx - bw * 0.1, ty))
        lights.append((cx - bw * 0.1, ty - ctx.u(0.08), ctx.u(0.22), rgb("#ffb45a"), 2.2))
    if has_lantern:
        lights.append((cx + bw * 0.14, ty - ctx.u(0.08), ctx.u(0.26), WARM_LIGHT, 2.4))
    fire = "fire" in p.reading.concepts
    if fire:
        fx = bx0 + bw * 0.18 if win_x > cx else bx1 - bw * 0.18
        hearth = cv.shapes().rect(fx - bw * 0.12, by1 - bh * 0.42, fx + bw * 0.12, by1)
        s.paint(hearth.mask(), rgb("#8a5a48"))
        hole = cv.shapes().rect(fx - bw * 0.08, by1 - bh * 0.3, fx + bw * 0.08, by1)
        s.paint(hole.mask(), rgb("#1a1412"))
        lights.append((fx, by1 - bh * 0.1, ctx.u(0.3), rgb("#ff8a3a"), 2.2))
    light = _light_map(ctx, 0.55 * day + 0.08, lights)
    s.composite(cv, light)
    if has_candle:
        for x, y in flame_at:
            candle(ctx, x, y, ctx.u(0.1))
            candle(ctx, x + ctx.u(0.04), y, ctx.u(0.07))
    if has_lantern:
        lantern(ctx, cx + bw * 0.14, ty - ctx.u(0.03), ctx.u(0.08), 1.0, hanging=False)
    if fire:
        fx = bx0 + bw * 0.18 if win_x > cx else bx1 - bw * 0.18
        campfire(ctx, fx, by1 - ctx.u(0.005), bw * 0.12)
    _hero_inside(ctx, cx + bw * 0.3 * (1 if win_x < cx else -1), h * 0.93)


def _hero_inside(ctx: Ctx, x: float, base: float) -> None:
    p = ctx.plan
    if p.has("figure"):
        figure(ctx, x, base, ctx.cv.h * 0.42, p.clothes(rgb("#4a6a9a")), 0.0, ctx.rng,
               facing=-1, walking=False, accent=p.worn_accent())


def _wallpaper(ctx: Ctx, m: Mask, colour: RGB) -> Arr:
    """A wall colour with faint vertical stripes and plaster mottling over the box of ``m``."""
    hh, ww = m.a.shape
    xs = (m.x0 + np.arange(ww, dtype=np.float32)) / ctx.u(0.03)
    stripes = 0.96 + 0.04 * (np.sin(xs * math.pi) > 0.3)
    tex = fbm(ctx.drng, ww, hh, ctx.u(0.06), 3)
    base = np.asarray(colour, dtype=np.float32)
    k = (stripes[None, :] * (0.93 + 0.14 * tex))[..., None]
    out: Arr = base * k
    return out.astype(np.float32)


def _bookshelf(ctx: Ctx, s: Surfaces, side: int, back: tuple[float, float, float, float]) -> None:
    cv = ctx.cv
    rng = ctx.rng
    bx0, by0, bx1, by1 = back
    w, h = cv.w, cv.h
    edge = bx0 if side < 0 else bx1
    outer = 0.0 if side < 0 else float(w)

    def wall_pt(t: float, v: float) -> Point:
        # t: 0 at the back corner, 1 at the picture edge; v: 0 top, 1 floor.
        x = edge + (outer - edge) * t
        top = by0 + (0 - by0) * t
        bottom = by1 + (h - by1) * t
        return x, top + (bottom - top) * v

    t0, t1 = 0.12, 0.55
    case = cv.shapes().poly([wall_pt(t0, 0.15), wall_pt(t1, 0.1), wall_pt(t1, 1.0),
                             wall_pt(t0, 1.0)])
    s.paint(case.mask(), rgb("#5a3c26"))
    shelves = 4
    for k in range(shelves):
        v0 = 0.18 + (0.8 / shelves) * k
        v1 = v0 + 0.8 / shelves * 0.82
        books = [cv.shapes() for _ in range(4)]
        n = 14
        for i in range(n):
            ta = t0 + (t1 - t0) * (i + 0.1) / n
            tb = t0 + (t1 - t0) * (i + 0.9) / n
            tall = float(rng.uniform(0.7, 1.0))
            vb = v1
            va = v1 - (v1 - v0) * tall
            books[int(rng.integers(4))].poly([wall_pt(ta, va), wall_pt(tb, va), wall_pt(tb, vb),
                                              wall_pt(ta, vb)])
        for b, c in zip(books, ("#8a2a2a", "#2a4a7a", "#3a6a3a", "#c8a050"), strict=True):
            s.paint(b.mask(), rgb(c))


# ---- a spiral staircase ------------------------------------------------------------

def paint_staircase(ctx: Ctx) -> None:
    """Looking down the well of a spiral staircase, a lantern hanging in the middle."""
    ctx.cv.record("staircase", 0, 0, ctx.cv.w, ctx.cv.h)
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    s = Surfaces(cv)
    w, h = cv.w, cv.h
    cx = ctx.x(float(rng.uniform(0.45, 0.55)))
    cy = ctx.y(float(rng.uniform(0.5, 0.56)))
    r0 = math.hypot(w, h) * 0.42
    b = 0.125  # how fast the spiral shrinks per radian of descent
    per_turn = 18
    dth = 2 * math.pi / per_turn
    inner = 0.46
    tread = p.colour_of("staircase", rgb("#dccbaa"))
    wall = mix(p.colour_of("lighthouse", p.colour_of("tower", rgb("#8e8270"))), tread, 0.2)
    wood = rgb("#6a4426")
    spin = 1 if rng.random() < 0.5 else -1
    theta0 = float(rng.uniform(0, 2 * math.pi))

    def radius(theta: float) -> float:
        return r0 * math.exp(-b * theta)

    # The camera is not quite above the well's axis, so deeper turns drift aside:
    # that eccentricity is what makes the nested turns read as one spiral.
    drift_x = ctx.u(float(rng.uniform(0.08, 0.14))) * (1 if rng.random() < 0.5 else -1)
    drift_y = ctx.u(float(rng.uniform(-0.06, 0.06)))

    def pt(theta: float, r: float) -> Point:
        a = theta0 + spin * theta
        k = 1.0 - math.exp(-b * max(theta, 0.0) * 0.8)
        return (cx + drift_x * k + math.cos(a) * r,
                cy + drift_y * k + math.sin(a) * r * 0.92)

    # The deep well first: stone walls in rings of courses, darker the deeper.
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    dist = np.sqrt((xs - cx) ** 2 + ((ys - cy) / 0.92) ** 2)
    depth = np.log(np.maximum(dist, 1.0) / r0) / -b
    # Refine once with the drifting centre of the turn each pixel belongs to.
    k = 1.0 - np.exp(-b * np.maximum(depth, 0.0) * 0.8)
    ccx, ccy = cx + drift_x * k, cy + drift_y * k
    dist = np.sqrt((xs - ccx) ** 2 + ((ys - ccy) / 0.92) ** 2)
    depth = np.log(np.maximum(dist, 1.0) / r0) / -b
    ang = np.arctan2((ys - ccy) / 0.92, xs - ccx)
    course = (depth * 2.5) % 1.0
    offset = (np.floor(depth * 2.5) % 2) * 0.5
    joint = (ang / (2 * math.pi) * 24 + offset) % 1.0
    mortar = np.maximum(smoothstep(0.88, 0.96, course), smoothstep(0.92, 0.99, joint))
    tex = fbm(ctx.drng, w, h, ctx.u(0.05), 3)
    wall_arr = np.asarray(wall, dtype=np.float32) * (0.85 + 0.25 * tex[..., None])
    wall_arr *= 1.0 - 0.4 * mortar[..., None]
    s.paint(Mask(np.ones((h, w), dtype=np.float32), 0, 0), wall_arr.astype(np.float32))
    # Steps from the deepest to the nearest, so nearer turns overlap deeper ones.
    first, last = -int(per_turn * 1.3), per_turn * 6
    for i in range(last, first - 1, -1):
        ta, tb = i * dth, (i + 1) * dth
        ra = radius(ta)
        if ra < 2.0:
            continue
        arc_out = [pt(ta + dth * k / 5, radius(ta + dth * k / 5) * 1.04) for k in range(6)]
        arc_in = [pt(tb - dth * k / 5, radius(tb - dth * k / 5) * inner) for k in range(6)]
        shade = 0.9 + 0.1 * math.cos(theta0 + spin * ta - 2.2) + (0.05 if i % 2 else 0.0)
        s.paint(cv.shapes().poly([*arc_out, *arc_in]).mask(), scale(tread, shade))
        # Shadow under the next step's overhang at the back of the tread.
        back = [pt(tb - dth * 0.1, radius(tb - dth * 0.1) * 1.04), pt(tb, radius(tb) * 1.04),
                pt(tb, radius(tb) * inner), pt(tb - dth * 0.1, radius(tb - dth * 0.1) * inner)]
        s.paint(cv.shapes().poly(back).mask(), scale(tread, 0.4), 0.9)
        nose = cv.shapes().line([pt(ta, ra * 1.03), pt(ta, ra * inner)], max(0.5, ra * 0.012))
        s.paint(nose.mask(), mix(tread, (1.0, 1.0, 1.0), 0.45), 0.9)
        # Stringer and handrail along the open inner edge.
        rail = cv.shapes().poly([*[pt(ta + dth * k / 4, radius(ta + dth * k / 4) * inner)
                                   for k in range(5)],
                                 *[pt(tb - dth * k / 4, radius(tb - dth * k / 4) * (inner - 0.035))
                                   for k in range(5)]])
        s.paint(rail.mask(), wood)
        hi = cv.shapes().line([pt(ta + dth * k / 4, radius(ta + dth * k / 4) * (inner - 0.008))
                               for k in range(5)], max(0.4, ra * 0.006))
        s.paint(hi.mask(), mix(wood, (1.0, 0.9, 0.7), 0.45), 0.8)
        # Balusters, seen from above, point down toward the bottom of the well.
        tm = ta + dth * 0.5
        rm = radius(tm)
        post = cv.shapes().line([pt(tm, rm * (inner - 0.03)),
                                 pt(tm + dth * 0.15, rm * (inner - 0.12))], max(0.4, rm * 0.005))
        s.paint(post.mask(), scale(wood, 0.6))
    # Light: the lantern in the well, fading with depth; a little daylight from above.
    side = 1 if rng.random() < 0.5 else -1
    lx, ly = cx + side * ctx.u(0.42), cy - ctx.u(0.2)
    night = _night_level(ctx)
    depth_dark = np.exp(-np.clip(depth + 1.0, 0, None) * 0.26).astype(np.float32)
    light = _light_map(ctx, 0.14 + 0.22 * (1 - night), [(lx, ly, ctx.u(0.75), WARM_LIGHT, 2.4)])
    light *= depth_dark[..., None] * 0.92 + 0.08
    # Each tread is brightest at its nosing and falls into shade toward the step behind.
    within = (((ang - theta0) * spin) % (2 * math.pi)) / dth % 1.0
    light *= (0.8 + 0.32 * (1.0 - within) ** 1.5)[..., None].astype(np.float32)
    s.composite(cv, light)
    if p.has("figure"):
        t = 0.9
        fx, fy = pt(t, radius(t) * 0.72)
        r = radius(t) * 0.06
        clothes = p.clothes(rgb("#4a6a9a"))
        body = cv.shapes().ellipse(fx, fy, r * 1.6, r * 1.0)
        cv.fill(body.mask(), ctx.lit(clothes, 0.0, 0.6))
        head = cv.shapes().ellipse(fx, fy - r * 0.2, r * 0.75, r * 0.75)
        cv.fill(head.mask(), ctx.lit(rgb("#5a3a22"), 0.0, 0.6))
    chain = cv.shapes().line([(lx, -1.0), (lx, ly - ctx.u(0.1))], max(0.5, ctx.u(0.003)))
    cv.fill(chain.mask(), (0.12, 0.1, 0.08))
    lantern(ctx, lx, ly, ctx.u(0.1), 1.2, hanging=True)


# ---- a cave --------------------------------------------------------------------------

def _deep_cave(ctx: Ctx) -> bool:
    """Whether the picture is deep inside the cave (a flame in the dark) rather than
    at its mouth looking out."""
    p = ctx.plan
    looking_out = {"mouth", "entrance", "opening", "outside", "view"} & set(p.reading.unknown)
    dark = bool({"gloomy", "eerie", "mysterious"} & set(p.moods))
    return not looking_out and (p.reading.has("candle") or (dark and p.reading.has(
        "lantern", "fire")))


def paint_cave(ctx: Ctx) -> None:
    """The dark mouth of a cave framing the landscape outside, or deep inside it, a
    flame lighting the rock around it."""
    if _deep_cave(ctx):
        paint_cave_inside(ctx)
        return
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    outdoor.paint_outdoor(ctx)
    cv.record("cave", 0, 0, cv.w, cv.h)
    w, h = cv.w, cv.h
    cx, cy = ctx.x(float(rng.uniform(0.42, 0.58))), ctx.y(0.52)
    rx, ry = min(w * 0.4, ctx.u(0.75)), h * 0.36
    hole: list[Point] = []
    wob = rng.uniform(0, 6.28, 4)
    for k in range(72):
        a = 2 * math.pi * k / 72
        r = 1 + 0.08 * math.sin(3 * a + wob[0]) + 0.05 * math.sin(7 * a + wob[1]) + 0.03 * math.sin(
            13 * a + wob[2])
        y = cy + math.sin(a) * ry * r
        hole.append((cx + math.cos(a) * rx * r, min(y, cy + ry * 0.8)))
    rock = cv.shapes().rect(-1, -1, w + 1, h + 1)
    rock.poly(hole, erase=True)
    # Stalactites hang into the opening; a rocky floor rises in front.
    for _ in range(9):
        sx = cx + float(rng.uniform(-0.8, 0.8)) * rx
        top = cy - ry * (1 - ((sx - cx) / rx) ** 2) ** 0.5 * 0.95
        ln = ry * float(rng.uniform(0.08, 0.3))
        sw = rx * float(rng.uniform(0.02, 0.05))
        rock.poly([(sx - sw, top - ry * 0.05), (sx + sw, top - ry * 0.05), (sx, top + ln)])
    floor: list[Point] = [(-1.0, h + 1.0)]
    for k in range(13):
        t = k / 12
        floor.append((w * t, cy + ry * (0.55 + 0.25 * abs(t - 0.5) * 2)
                      - ry * 0.12 * float(rng.random())))
    floor.append((w + 1.0, h + 1.0))
    rock.poly(floor)
    m = rock.mask()
    if m is None:
        return
    s = Surfaces(cv)
    colour = p.colour_of("cave", p.colour_of("rocks", rgb("#6e6258")))
    tex = fbm(ctx.drng, w, h, ctx.u(0.08), 5)
    ridges = np.abs(fbm(ctx.drng, w, h, ctx.u(0.2), 3) - 0.5) * 2
    albedo = np.asarray(colour, dtype=np.float32) * (0.7 + 0.5 * tex[..., None]) * (
        0.75 + 0.35 * ridges[..., None])
    s.paint(m, albedo.astype(np.float32))
    # Light from outside spills onto the rim; inside it is dark unless a flame burns.
    opening = 1.0 - m.a
    spill = blur(opening, ctx.u(0.08))
    outside = np.asarray(mix(p.look.light, p.look.horizon, 0.4), dtype=np.float32)
    extra = (spill[..., None] * outside * 2.2).astype(np.float32)
    lights: list[tuple[float, float, float, RGB, float]] = []
    flame = p.reading.has("fire", "lantern", "candle") or p.look.night > 0.6
    fx, fy = cx + rx * 0.9 * (1 if rng.random() < 0.5 else -1), h * 0.92
    if flame:
        lights.append((fx, fy - ctx.u(0.05), ctx.u(0.4), rgb("#ff9a48"), 1.6))
    light = _light_map(ctx, 0.05, lights, extra)
    s.composite(cv, light)
    if flame:
        if "lantern" in p.reading.concepts:
            lantern(ctx, fx, fy - ctx.u(0.05), ctx.u(0.08), 1.2, hanging=False)
        else:
            campfire(ctx, fx, fy, ctx.u(0.14))
    if p.has("figure"):
        base = cy + ry * 0.62
        figure(ctx, cx - rx * 0.3, base, ry * 0.5, p.clothes(rgb("#3a4a6a")), 0.0, rng,
               accent=p.worn_accent())


def paint_cave_inside(ctx: Ctx) -> None:
    """Inside a cave: rock walls, stalactites and a floor, lit only by a flame in front."""
    ctx.cv.record("cave", 0, 0, ctx.cv.w, ctx.cv.h)
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    w, h = cv.w, cv.h
    s = Surfaces(cv)
    colour = p.colour_of("cave", p.colour_of("rocks", rgb("#6e6258")))
    tex = fbm(ctx.drng, w, h, ctx.u(0.08), 4)
    ridges = np.abs(fbm(ctx.drng, w, h, ctx.u(0.2), 3) - 0.5) * 2
    # Facets of rock with dark cracks between them.
    cracks = 1.0 - np.clip(1.0 - ridges * 6.0, 0.0, 1.0) * 0.7
    facets = np.floor(tex * 5.0) / 5.0
    albedo = np.asarray(colour, dtype=np.float32) * (0.55 + 0.7 * facets[..., None]) * (
        cracks[..., None])
    back = cv.shapes().rect(-1, -1, w + 1, h + 1)
    s.paint(back.mask(), albedo.astype(np.float32))
    # Stone hangs from the roof and rises from the floor.
    stone = cv.shapes()
    for _ in range(14):
        sx = w * float(rng.uniform(0.0, 1.0))
        ln = h * float(rng.uniform(0.08, 0.3))
        sw = ctx.u(float(rng.uniform(0.015, 0.04)))
        stone.poly([(sx - sw, -1.0), (sx + sw, -1.0), (sx + sw * 0.1, ln)])
    for _ in range(6):
        sx = w * float(rng.uniform(0.0, 1.0))
        ln = h * float(rng.uniform(0.08, 0.2))
        sw = ctx.u(float(rng.uniform(0.02, 0.05)))
        base = h * float(rng.uniform(0.72, 0.8))
        stone.poly([(sx - sw, base), (sx + sw, base), (sx, base - ln)])
    sm = stone.mask()
    if sm is not None:
        s.paint(sm, (albedo[sm.y0:sm.y1, sm.x0:sm.x1] * 0.85).astype(np.float32))
    floor: list[Point] = [(-1.0, h + 1.0)]
    for k in range(13):
        t = k / 12
        floor.append((w * t, h * (0.74 + 0.06 * math.sin(t * 5 + float(rng.uniform(0, 1))))))
    floor.append((w + 1.0, h + 1.0))
    fm = cv.shapes().poly(floor).mask()
    if fm is not None:
        s.paint(fm, (albedo[fm.y0:fm.y1, fm.x0:fm.x1] * 1.1).astype(np.float32))
    fx = w * float(rng.uniform(0.42, 0.58))
    fy = h * 0.9
    size = ctx.u(0.26)
    flame_y = fy - size * 0.72
    kind = "candle" if p.reading.has("candle") else "lantern" if p.reading.has("lantern") \
        else "fire"
    warm = rgb("#ffa048") if kind != "fire" else rgb("#ff8a3a")
    light = _light_map(ctx, 0.03, [(fx, flame_y, ctx.u(0.36), warm, 2.4)])
    s.composite(cv, light)
    # The flame stands on a flat stone.
    ledge = cv.shapes().ellipse(fx, fy + size * 0.02, size * 0.55, size * 0.12)
    cv.fill(ledge.mask(), mix(rgb("#4a3e36"), warm, 0.25))
    if kind == "candle":
        candle(ctx, fx, fy, size, 1.4)
    elif kind == "lantern":
        lantern(ctx, fx, fy - size * 0.4, size * 0.5, 1.4, hanging=False)
    else:
        campfire(ctx, fx, fy, size * 0.8)
    if p.has("figure"):
        figure(ctx, fx - ctx.u(0.35), h * 0.93, h * 0.45, p.clothes(rgb("#3a4a6a")), 0.0, rng,
               accent=p.worn_accent())


# ---- outer space ------------------------------------------------------------------

def paint_space(ctx: Ctx) -> None:
    """Deep space: a nebula, many stars, a planet or two."""
    ctx.cv.record("space", 0, 0, ctx.cv.w, ctx.cv.h)
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    w, h = cv.w, cv.h
    top = np.asarray(rgb("#03040c"), dtype=np.float32)
    bottom = np.asarray(rgb("#0b0a24"), dtype=np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    cv.rgb[:] = top * (1 - t) + bottom * t
    cols = p.free_colours or [rgb("#7a3ad0"), rgb("#1aa0b0"), rgb("#d04a8a")]
    n1 = fbm(ctx.drng, w, h, ctx.u(0.5), 5)
    n2 = fbm(ctx.drng, w, h, ctx.u(0.3), 4)
    band = np.clip((n1 - 0.45) * 2.5, 0, 1) ** 1.5
    c1 = np.asarray(cols[0], dtype=np.float32)
    c2 = np.asarray(cols[1 % len(cols)], dtype=np.float32)
    neb = band[..., None] * (c1 * n2[..., None] + c2 * (1 - n2[..., None])) * 0.55
    cv.rgb += neb.astype(np.float32)
    ctx.horizon = 1.0
    skym.stars(ctx)
    for _ in range(int(rng.integers(1, 3))):
        _planet(ctx, rng)


def _planet(ctx: Ctx, rng: np.random.Generator) -> None:
    cv = ctx.cv
    p = ctx.plan
    r = ctx.u(float(rng.uniform(0.12, 0.3)))
    x, y = ctx.x(float(rng.uniform(0.15, 0.85))), ctx.y(float(rng.uniform(0.25, 0.75)))
    disc = cv.shapes().ellipse(x, y, r, r).mask()
    if disc is None:
        return
    base = p.colour_of("space", p.accent(rng))
    ys = np.arange(disc.y0, disc.y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(disc.x0, disc.x1, dtype=np.float32)[None, :] + 0.5
    nx, ny = (xs - x) / r, (ys - y) / r
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0, 1))
    lx, ly, lz = -0.6, -0.4, 0.7
    lam = np.clip(nx * lx + ny * ly + nz * lz, 0, 1)
    bands = 0.85 + 0.15 * np.sin(ny * float(rng.uniform(8, 20)) + float(rng.uniform(0, 6)))
    col = np.asarray(base, dtype=np.float32) * (bands * (0.08 + 0.95 * lam))[..., None]
    cv.fill(disc, col.astype(np.float32))
    cv.add(cv.radial(x, y, r * 1.15, "gauss"), mix(base, (1, 1, 1), 0.3), 0.08)
    if rng.random() < 0.5:
        ring = cv.shapes().ellipse(x, y, r * 1.9, r * 0.45)
        ring.ellipse(x, y, r * 1.45, r * 0.3, erase=True)
        rm = ring.mask()
        if rm is not None:
            # The back half of the ring is hidden behind the planet.
            ys2 = np.arange(rm.y0, rm.y1, dtype=np.float32)[:, None] + 0.5
            xs2 = np.arange(rm.x0, rm.x1, dtype=np.float32)[None, :] + 0.5
            behind = ((xs2 - x) ** 2 + (ys2 - y) ** 2 < r * r) & (ys2 < y)
            rm.a = rm.a * (~behind)
            cv.fill(rm, mix(base, rgb("#e8dcc0"), 0.6), 0.85)
