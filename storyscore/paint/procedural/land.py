"""Land and water: mountains, hills, dunes, ground, water with reflections, waves, mist."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from storyscore.paint.procedural.canvas import (
    RGB,
    Arr,
    Mask,
    blur,
    fbm,
    mix,
    noise,
    noise1d,
    rgb,
    saturate,
    scale,
    smoothstep,
    tagged,
)
from storyscore.paint.procedural.draw import SNOW, Ctx, column_colour

Ground = Callable[[float], float]


@tagged("mountains")
def mountains(ctx: Ctx, base: float, height: float, fade: float, snow: bool,
              colour: RGB | None = None, rng: np.random.Generator | None = None) -> Ground:
    """A range of peaks standing on ``base`` (pixels), up to ``height`` pixels tall."""
    cv = ctx.cv
    rng = rng or ctx.rng
    aspect = cv.aspect
    n = max(2, math.ceil(aspect * 1.7))
    px = np.sort(rng.uniform(-0.3, aspect + 0.3, n)).astype(np.float32)
    ph = rng.uniform(0.45, 1.0, n).astype(np.float32)
    ph[int(rng.integers(n))] = 1.0
    slope = rng.uniform(1.2, 2.2, n).astype(np.float32)
    rough = noise1d(rng, aspect, 0.08, 3)
    snow_edge = noise1d(rng, aspect, 0.05, 3)
    hu = height / cv.unit

    def heights(xs: Arr) -> Arr:
        xu = xs / cv.unit
        prof = np.max(ph[None, :] * hu - np.abs(xu[:, None] - px[None, :]) * slope * hu, axis=1)
        detail = rough(xu) * hu * 0.09
        out: Arr = base - np.maximum(prof + detail, hu * 0.05) * cv.unit
        return out.astype(np.float32)

    m = cv.ridge(heights, base + 1)
    rock = colour or ctx.plan.colour_of("mountains", rgb("#6f7d96"))
    if m is None:
        return lambda fx: base
    xs = m.x0 + (np.arange(m.a.shape[1], dtype=np.float32) + 0.5)
    top = heights(xs)
    xu = xs / cv.unit
    # Each column belongs to its highest peak; a face is lit when it lies on the
    # light's side of that peak's (slanted, wavering) ridge line.
    owner = np.argmax(ph[None, :] - np.abs(xu[:, None] - px[None, :]) * slope[None, :], axis=1)
    tilt = rng.uniform(-0.35, 0.35, n).astype(np.float32)
    peak_y = (base - ph * height) / cv.unit
    ys_u = (np.arange(m.y0, m.y1, dtype=np.float32)[:, None] + 0.5) / cv.unit
    wave = rough(ys_u * 3.0 + xu[None, :] * 0.3) * 0.02
    split = px[owner][None, :] + (ys_u - peak_y[owner][None, :]) * tilt[owner][None, :] + wave
    side = 0.5 + 0.5 * np.tanh((xu[None, :] - split) * ctx.light_dir / 0.006)
    lit = np.asarray(ctx.lit(rock, fade, 0.95), dtype=np.float32)
    shade = np.asarray(ctx.lit(scale(rock, 0.8), fade, 0.25), dtype=np.float32)
    ys = np.arange(m.y0, m.y1, dtype=np.float32)[:, None, None]
    t = np.clip(1.0 - (base - ys) / max(1.0, base - m.y0), 0, 1) ** 2 * (0.5 + ctx.plan.haze)
    haze = np.asarray(ctx.plan.look.haze, dtype=np.float32)
    colour_arr = shade + (lit - shade) * side[..., None]
    cv.fill(m, (colour_arr * (1 - t) + haze * t).astype(np.float32))
    if snow:
        snowline = base - height * 0.62
        tex = snow_edge(xu) * height * 0.08
        ys2 = ys[..., 0]
        below_top = ys2 - top[None, :]
        cap = smoothstep(snowline + 2, snowline - 2, ys2 + tex[None, :]) * (below_top > -1)
        cap_mask = Mask((m.a * cap).astype(np.float32), m.x0, m.y0)
        s_lit = np.asarray(ctx.lit(SNOW, fade, 1.0), dtype=np.float32)
        s_shade = np.asarray(ctx.lit(mix(SNOW, rgb("#8a9cc0"), 0.35), fade, 0.3),
                             dtype=np.float32)
        cv.fill(cap_mask, (s_shade + (s_lit - s_shade) * side[..., None]).astype(np.float32),
                0.95)

    def ground(fx: float) -> float:
        return float(heights(np.asarray([fx * cv.w], dtype=np.float32))[0])

    return ground


@tagged("land")
def hills(ctx: Ctx, base: float, amp: float, colour: RGB, fade: float,
          rng: np.random.Generator | None = None, texture: bool = True) -> Ground:
    """Rolling hills whose crest sits ``amp`` pixels above ``base``; returns the crest."""
    cv = ctx.cv
    rng = rng or ctx.rng
    ph = rng.uniform(0, 2 * math.pi, 3)
    fr = rng.uniform(0.8, 1.6, 3) * np.asarray([1.0, 2.3, 5.1])
    wt = np.asarray([0.55, 0.3, 0.15])

    def heights(xs: Arr) -> Arr:
        xu = xs / cv.unit
        s = sum(wt[i] * np.sin(xu * fr[i] + ph[i]) for i in range(3))
        out: Arr = base - amp * (0.55 + 0.45 * s)
        return out.astype(np.float32)

    m = cv.ridge(heights, None)
    if m is None:
        return lambda fx: base
    xs = m.x0 + (np.arange(m.a.shape[1], dtype=np.float32) + 0.5)
    top = heights(xs)
    cols = column_colour(top, ctx.light_dir, ctx.lit(colour, fade, 0.95),
                         ctx.lit(colour, fade, 0.45), 3.0 * cv.unit / max(amp, 1.0) * 0.05,
                         cv.S(0.02))
    hh = m.a.shape[0]
    t = np.linspace(0, 1, hh, dtype=np.float32)[:, None, None]
    deep = np.asarray(ctx.lit(scale(colour, 0.85), fade * 0.6, 0.55), dtype=np.float32)
    arr = cols[None, :, :] * (1 - t * 0.5) + deep * (t * 0.5)
    if texture:
        tex = fbm(ctx.drng, m.a.shape[1], hh, cv.S(0.05), 3)[..., None]
        arr = arr * (0.92 + 0.16 * tex)
    cv.fill(m, arr.astype(np.float32))

    def ground(fx: float) -> float:
        return float(heights(np.asarray([fx * cv.w], dtype=np.float32))[0])

    return ground


@tagged("dunes")
def dunes(ctx: Ctx, base: float, amp: float, fade: float, rng: np.random.Generator) -> Ground:
    """Sand dunes with a sharp crest, a lit face and a shadowed lee."""
    cv = ctx.cv
    colour = ctx.plan.colour_of("dunes", ctx.plan.colour_of("desert", rgb("#e3b978")))
    ph = float(rng.uniform(0, 6.28))
    fr = float(rng.uniform(2.0, 3.5))

    def heights(xs: Arr) -> Arr:
        xu = xs / cv.unit * fr + ph
        skew = np.sin(xu + 0.7 * np.sin(xu))
        wave = (0.5 + 0.5 * skew) ** 1.4 * (0.7 + 0.3 * np.sin(xu * 0.37 + ph))
        return (base - amp * wave).astype(np.float32)

    m = cv.ridge(heights, None)
    if m is None:
        return lambda fx: base
    xs = m.x0 + (np.arange(m.a.shape[1], dtype=np.float32) + 0.5)
    top = heights(xs)
    cols = column_colour(top, ctx.light_dir, ctx.lit(colour, fade, 1.0),
                         ctx.lit(scale(colour, 0.8), fade, 0.25), 12.0, cv.S(0.004))
    hh = m.a.shape[0]
    t = np.linspace(0, 1, hh, dtype=np.float32)[:, None, None]
    deep = np.asarray(ctx.lit(colour, fade * 0.5, 0.7), dtype=np.float32)
    cv.fill(m, (cols[None, :, :] * (1 - t * 0.6) + deep * t * 0.6).astype(np.float32))

    def ground(fx: float) -> float:
        return float(heights(np.asarray([fx * cv.w], dtype=np.float32))[0])

    return ground


@tagged("land")
def ground_plane(ctx: Ctx, top: float, colour: RGB, texture: float = 1.0) -> None:
    """Flat ground from ``top`` (pixels) to the bottom: hazy far, rich near."""
    cv = ctx.cv
    y0 = max(0, int(top))
    if y0 >= cv.h:
        return
    hh = cv.h - y0
    t = np.linspace(0, 1, hh, dtype=np.float32)[:, None, None]
    far = np.asarray(ctx.lit(colour, ctx.plan.haze * 0.8, 0.85), dtype=np.float32)
    near = np.asarray(ctx.lit(scale(colour, 0.82), 0.0, 0.65), dtype=np.float32)
    arr = far * (1 - t) + near * t
    if texture > 0:
        tex = fbm(ctx.drng, cv.w, hh, cv.S(0.08), 4)[..., None]
        arr = arr * (1 + (tex - 0.5) * 0.25 * texture)
    a = np.ones((hh, cv.w), dtype=np.float32)
    a[0] = min(1.0, max(0.0, (y0 + 1) - top))
    cv.fill(Mask(a, 0, y0), arr.astype(np.float32))


@tagged("water")
def water(ctx: Ctx, top: float, bottom: float | None = None, calm: float = 1.0,
          colour: RGB | None = None) -> None:
    """Water from ``top`` down, mirroring what stands above its edge, with ripples."""
    cv, look = ctx.cv, ctx.plan.look
    y0 = max(1, math.floor(top))
    y1 = cv.h if bottom is None else min(cv.h, math.ceil(bottom))
    if y1 <= y0:
        return
    hh = y1 - y0
    rows = np.arange(y0, y1, dtype=np.float32)
    depth = np.clip((rows - top) / max(1.0, cv.h - top), 0, 1)
    src = np.clip(2 * top - rows - 1, 0, cv.h - 1)
    # Ripples shift each reflected row sideways, more toward the viewer.
    rng = ctx.drng
    amp = cv.S(0.002 + 0.02 * (1.0 - calm * 0.7)) * (0.3 + depth * 2.0)
    wob = (np.sin(rows / cv.S(0.004 + 0.02 * depth) + rng.uniform(0, 6.28))
           + 0.5 * np.sin(rows / cv.S(0.0025 + 0.008 * depth) + rng.uniform(0, 6.28)))
    shift = (amp * wob).astype(np.float32)
    xs = np.arange(cv.w, dtype=np.float32)[None, :] + shift[:, None]
    xs = np.clip(xs, 0, cv.w - 1.001)
    x0 = np.floor(xs).astype(np.int64)
    fx = (xs - x0)[..., None]
    srow = np.floor(src).astype(np.int64)
    refl = cv.rgb[srow[:, None], x0] * (1 - fx) + cv.rgb[srow[:, None], x0 + 1] * fx
    refl = blur(refl, cv.S(0.0015 + 0.002 * (1 - calm)))
    water_col = colour or look.water
    deep = np.asarray(water_col, dtype=np.float32)
    k = (0.25 + 0.5 * depth ** 0.8 + 0.2 * (1 - calm))[:, None, None]
    out = refl * 0.82 * (1 - k) + deep * k
    # Ripple texture: long thin streaks, thinner near the horizon.
    streak = noise(rng, max(2, cv.w // 6), hh, cv.S(0.01))
    streak = np.asarray(np.repeat(streak, 6, axis=1)[:, : cv.w], dtype=np.float32)
    if streak.shape[1] < cv.w:
        streak = np.pad(streak, ((0, 0), (0, cv.w - streak.shape[1])), mode="edge")
    ripple = (streak - 0.5)[..., None]
    light = np.asarray(mix(look.horizon, look.glow, 0.4), dtype=np.float32)
    out = out + ripple * 0.18 * (0.4 + depth[:, None, None]) * (light * 0.6 + 0.1)
    # A glittering path under the sun or moon.
    sx = cv.X(look.sun_x)
    if look.body_visible and look.sun_height > -0.01 and ctx.plan.overcast < 0.8:
        width = ((0.05 + 0.25 * depth) * cv.unit)[:, None]
        dx = (np.arange(cv.w, dtype=np.float32)[None, :] - sx) / width
        path = np.exp(-dx * dx) * np.clip(streak - 0.45, 0, 1) * 3.0
        glint = np.asarray(mix(look.sun, look.glow, 0.3), dtype=np.float32)
        out = out + path[..., None] * glint * (0.9 if look.body == "sun" else 0.6)
    a = np.ones((hh, cv.w), dtype=np.float32)
    a[0] = min(1.0, max(0.0, (y0 + 1) - top))
    cv.fill(Mask(a, 0, y0), out.astype(np.float32))
    ctx.water.append((top, float(y1), None))


def shore_foam(ctx: Ctx, y: float, strength: float = 1.0) -> None:
    """A wavering line of surf along a beach at ``y`` pixels."""
    cv = ctx.cv
    wobble = noise1d(ctx.rng, cv.aspect, 0.15, 3)

    def edge(xs: Arr) -> Arr:
        return (y + wobble(xs / cv.unit) * cv.S(0.012)).astype(np.float32)

    m = cv.ridge(edge, y + cv.S(0.03))
    if m is not None:
        m.a = blur(m.a, cv.S(0.002))
        cv.fill(m, ctx.lit((0.97, 0.98, 1.0), 0.0, 0.9), 0.75 * strength)


@tagged("waves")
def waves(ctx: Ctx, top: float, rows: int, huge: bool, rng: np.random.Generator) -> None:
    """Rows of wave crests with foam, small far away and big near."""
    cv, look = ctx.cv, ctx.plan.look
    span = cv.h - top
    body_col = mix(look.water, rgb("#0e2a34"), 0.35 if huge else 0.1)
    crest_col = mix(look.water, rgb("#6fb2b4"), 0.5)
    foam_col = ctx.bright((0.95, 0.97, 1.0))
    for i in range(rows):
        d = (i + 1) / rows
        base = top + span * (d**1.6) * 0.98
        amp = cv.S(0.01 + (0.16 if huge else 0.04) * d * d)
        lam = cv.S(0.12 + (0.5 if huge else 0.25) * d)
        ph = float(rng.uniform(0, 6.28))
        sharp = 2.5 if huge else 1.5

        def crest(xs: Arr, base: float = base, amp: float = amp, lam: float = lam,
                  ph: float = ph, sharp: float = sharp) -> Arr:
            s = 0.5 + 0.5 * np.sin(xs / lam * 2 * math.pi + ph + 0.6 * np.sin(xs / lam * 1.3))
            return (base - amp * s**sharp).astype(np.float32)

        m = cv.ridge(crest, base + amp * 0.6 + cv.S(0.01))
        if m is None:
            continue
        hh = m.a.shape[0]
        t = np.linspace(0, 1, hh, dtype=np.float32)[:, None, None]
        colour = (np.asarray(crest_col, dtype=np.float32) * (1 - t)
                  + np.asarray(body_col, dtype=np.float32) * t)
        cv.fill(m, colour, 0.92)
        foam = cv.ridge(crest, None)
        if foam is not None:
            ys = np.arange(foam.y0, foam.y1, dtype=np.float32)[:, None]
            xs = foam.x0 + np.arange(foam.a.shape[1], dtype=np.float32) + 0.5
            c = crest(xs)[None, :]
            thick = cv.S(0.003 + (0.02 if huge else 0.006) * d)
            hi = 0.5 + 0.5 * np.sin(xs / lam * 2 * math.pi + ph + 0.6 * np.sin(xs / lam * 1.3))
            band = foam.a * np.clip(1 - (ys - c) / thick, 0, 1) * (hi[None, :] ** 2)
            if huge:
                # Streaks of foam running down the wave faces.
                streak = noise(rng, foam.a.shape[1], foam.a.shape[0], max(1.0, cv.S(0.012)))
                face = np.clip(1 - (ys - c) / (amp * 1.2 + 1), 0, 1)
                band = np.maximum(band, foam.a * face * np.clip((streak - 0.55) * 4, 0, 1)
                                  * hi[None, :] * 0.8)
            fm = Mask(band.astype(np.float32), foam.x0, foam.y0)
            cv.fill(fm, foam_col, 0.9)
        if huge and d > 0.4:
            spray = cv.shapes()
            for _ in range(int(6 * d)):
                sx = cv.X(float(rng.uniform(0, 1)))
                sy = float(crest(np.asarray([sx], dtype=np.float32))[0])
                for _k in range(4):
                    r = cv.S(float(rng.uniform(0.004, 0.015))) * d
                    spray.ellipse(sx + float(rng.normal(0, 1)) * r * 2,
                                  sy - abs(float(rng.normal(0, 1))) * r * 2, r, r)
            sm = spray.mask()
            if sm is not None:
                sm.a = blur(sm.a, cv.S(0.002))
                cv.fill(sm, foam_col, 0.7)


@tagged("river")
def river(ctx: Ctx, top: float, width_near: float, rng: np.random.Generator) -> Callable[[float],
                                                                                         float]:
    """A river winding from the horizon to the viewer; returns its centre x at a y."""
    cv = ctx.cv
    cx0 = float(rng.uniform(0.35, 0.65))
    bend = float(rng.uniform(0.1, 0.25)) * (1 if rng.random() < 0.5 else -1)
    ph = float(rng.uniform(0, 6.28))

    def centre(y: float) -> float:
        d = (y - top) / max(1.0, cv.h - top)
        return cv.X(cx0 + bend * math.sin(d * 3.2 + ph) * d)

    shapes = cv.shapes()
    left: list[tuple[float, float]] = []
    right: list[tuple[float, float]] = []
    for k in range(41):
        d = k / 40
        y = top + (cv.h - top) * d + (1 if k == 40 else 0)
        half = cv.S(0.004) + width_near * 0.5 * d**1.2
        c = centre(y)
        left.append((c - half, y))
        right.append((c + half, y))
    shapes.poly([*left, *reversed(right)])
    m = shapes.mask()
    if m is not None:
        hh = m.a.shape[0]
        look = ctx.plan.look
        t = np.linspace(0, 1, hh, dtype=np.float32)[:, None, None]
        sky_col = np.asarray(mix(look.horizon, look.zenith, 0.3), dtype=np.float32)
        deep = np.asarray(look.water, dtype=np.float32)
        colour = sky_col * (1 - t) * 0.9 + deep * t
        cv.fill(m, colour.astype(np.float32))
        streak = noise(ctx.drng, m.a.shape[1], hh, cv.S(0.012))
        cv.add(Mask(m.a * np.clip(streak - 0.62, 0, 1), m.x0, m.y0),
               mix(look.horizon, look.glow, 0.5), 0.25)
    ctx.water.append((top, float(cv.h), centre))
    return centre


@tagged("path")
def path(ctx: Ctx, top: float, x_far: float, x_near: float, width: float, colour: RGB) -> None:
    """A footpath narrowing into the distance, in pixels."""
    cv = ctx.cv
    shapes = cv.shapes()
    left, right = [], []
    for k in range(25):
        d = k / 24
        y = top + (cv.h + 1 - top) * d
        c = x_far + (x_near - x_far) * d**1.5 + math.sin(d * 5) * width * 0.3 * d
        half = width * (0.03 + 0.5 * d**1.1)
        left.append((c - half, y))
        right.append((c + half, y))
    shapes.poly([*left, *reversed(right)])
    m = shapes.mask()
    if m is not None:
        hh = m.a.shape[0]
        t = np.linspace(0, 1, hh, dtype=np.float32)[:, None, None]
        far = np.asarray(ctx.lit(colour, ctx.plan.haze, 0.9), dtype=np.float32)
        near = np.asarray(ctx.lit(colour, 0.0, 0.7), dtype=np.float32)
        cv.fill(m, (far * (1 - t) + near * t).astype(np.float32), 0.9)


def mist_band(ctx: Ctx, y: float, thickness: float, strength: float,
              rng: np.random.Generator) -> None:
    """A drifting horizontal bank of mist centred on ``y`` pixels."""
    cv = ctx.cv
    y0 = max(0, int(y - thickness * 2))
    y1 = min(cv.h, int(y + thickness * 2) + 1)
    if y1 <= y0:
        return
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    n = fbm(rng, cv.w, y1 - y0, cv.S(0.25), 3)
    wob = (n - 0.5) * thickness * 1.5
    d = (ys - y + wob) / thickness
    a = np.exp(-d * d) * (0.55 + 0.6 * n) * strength
    look = ctx.plan.look
    # By night, mist glows faintly with moonlight, so it stays visible.
    colour = mix(look.haze, (1.0, 1.0, 1.0), 0.25 * (1 - look.night))
    colour = mix(colour, scale(mix(look.haze, (0.7, 0.75, 0.8), 0.5), 1.8), 0.5 * look.night)
    if "eerie" in ctx.plan.moods:
        colour = mix(colour, rgb("#6f9a86"), 0.3)
    cv.fill(Mask(np.clip(a, 0, 1).astype(np.float32), 0, y0), colour)


def sunbeams(ctx: Ctx, origin: tuple[float, float], strength: float,
             rng: np.random.Generator) -> None:
    """Broad soft shafts of light fanning down from ``origin`` (pixels)."""
    cv = ctx.cv
    ox, oy = origin
    # The shafts are smooth, so they are computed on a quarter-size grid.
    q = 4
    gw, gh = cv.w // q + 2, cv.h // q + 2
    ys = (np.arange(gh, dtype=np.float32)[:, None] + 0.5) * q
    xs = (np.arange(gw, dtype=np.float32)[None, :] + 0.5) * q
    ang = np.arctan2(xs - ox, np.maximum(ys - oy, 1.0))
    rays = np.zeros((gh, gw), dtype=np.float32)
    toward = math.atan2(cv.w / 2 - ox, cv.h)
    for _ in range(6):
        a0 = toward + float(rng.uniform(-0.6, 0.6))
        wdt = float(rng.uniform(0.03, 0.08))
        rays += (np.exp(-(((ang - a0) / wdt) ** 2)) * float(rng.uniform(0.5, 1.0))).astype(
            np.float32)
    dist = np.sqrt((xs - ox) ** 2 + (ys - oy) ** 2) / cv.unit
    small = (rays * np.exp(-dist * 0.7) * strength * (ys > oy)).astype(np.float32)
    full = Image.fromarray(small, "F").resize(
        (cv.w, cv.h), Image.Resampling.BILINEAR, box=(0.0, 0.0, cv.w / q, cv.h / q))
    colour = mix(ctx.plan.look.sun, ctx.plan.look.glow, 0.5)
    cv.add(Mask(np.asarray(full, dtype=np.float32), 0, 0), colour, 0.3)
    cv.record("sunbeams", 0, 0, cv.w, cv.h)


@tagged("field")
def field_rows(ctx: Ctx, top: float, colour: RGB) -> None:
    """Crop rows converging toward a vanishing point on the horizon."""
    cv = ctx.cv
    vx = cv.X(float(ctx.rng.uniform(0.3, 0.7)))
    shapes = cv.shapes()
    n = 28
    for k in range(-n, n + 1):
        x_near = vx + k * cv.S(0.09)
        shapes.poly([(vx + k * cv.S(0.0015), top), (vx + k * cv.S(0.0022), top),
                     (x_near + cv.S(0.012), cv.h + 2), (x_near - cv.S(0.004), cv.h + 2)])
    m = shapes.mask()
    if m is not None:
        dark = ctx.lit(saturate(scale(colour, 0.72), 1.1), 0.0, 0.5)
        hh = m.a.shape[0]
        ys = np.linspace(0, 1, hh, dtype=np.float32)[:, None]
        cv.fill(m, dark, (0.15 + 0.55 * ys).astype(np.float32))
