"""The sky: gradient, sun or moon, stars, clouds, aurora, rainbow, birds, lightning."""

from __future__ import annotations

import math

import numpy as np

from storyscore.paint.procedural.canvas import Mask, Point, blur, fbm, mix, rgb, scale, tagged
from storyscore.paint.procedural.draw import Ctx


def sun_position(ctx: Ctx) -> Point:
    """Pixel centre of the sun or moon."""
    look = ctx.plan.look
    hy = ctx.y(ctx.horizon)
    return ctx.x(look.sun_x), hy - look.sun_height * hy * 0.8


def sky(ctx: Ctx) -> None:
    """Fill the whole canvas with the sky gradient and the glow around the sun."""
    cv, look = ctx.cv, ctx.plan.look
    hy = max(1.0, ctx.y(ctx.horizon))
    ys = (np.arange(cv.h, dtype=np.float32) + 0.5) / hy
    t = np.clip(ys, 0, 1) ** 1.5
    z = np.asarray(look.zenith, dtype=np.float32)
    hz = np.asarray(look.horizon, dtype=np.float32)
    col = z[None, :] + (hz - z)[None, :] * t[:, None]
    cv.rgb[:] = col[:, None, :]
    sx, sy = sun_position(ctx)
    low = 1.0 - min(1.0, max(0.0, look.sun_height) / 0.5)
    overcast = ctx.plan.overcast
    if look.body == "sun":
        strength = (0.25 + 0.55 * low) * (1.0 - 0.6 * overcast)
        glow = cv.radial(sx, max(sy, 0.0), cv.S(0.55 + 0.5 * low), "gauss", squash=0.55)
        cv.add(glow, scale(look.glow, 1.0), strength * 0.8)
        # A broad warm band along the horizon at the ends of the day.
        band = cv.band(hy - cv.S(0.22), hy + cv.S(0.05), cv.S(0.12))
        if band is not None:
            xs = (np.arange(cv.w, dtype=np.float32) + 0.5 - sx) / cv.S(1.4)
            fall = np.exp(-xs * xs)[None, :]
            cv.add(band, look.glow, strength * 0.45 * low * fall)
    else:
        glow = cv.radial(sx, sy, cv.S(0.3), "gauss")
        cv.add(glow, look.glow, 0.25 * (1.0 - overcast))
    cv.record("sky", 0, 0, cv.w, math.ceil(hy))


def stars(ctx: Ctx) -> None:
    """Points of light over the sky, more of them the darker the night."""
    cv, look = ctx.cv, ctx.plan.look
    amount = look.stars * (1.4 if ctx.plan.kind == "space" else 1.0)
    if amount <= 0.02:
        return
    rng = ctx.drng
    hy = ctx.y(ctx.horizon) if ctx.plan.kind != "space" else float(cv.h)
    n = int(420 * amount * cv.aspect * (hy / cv.h))
    xs = rng.uniform(0, cv.w, n)
    ys = rng.uniform(0, hy, n)
    mag = rng.random(n) ** 5
    bright = (0.25 + 1.6 * mag) * amount * (1 - 0.8 * (ys / max(hy, 1)) ** 3)
    tint = rng.random(n)
    # Stars lie above the horizon: only those rows are computed.
    rows = min(cv.h, math.ceil(hy) + 2)
    field = np.zeros((rows, cv.w), dtype=np.float32)
    tints = np.zeros((rows, cv.w), dtype=np.float32)
    # Bilinear splats keep sub-pixel stars from snapping to the grid.
    fx, fy = xs - 0.5, ys - 0.5
    ix, iy = np.floor(fx).astype(int), np.floor(fy).astype(int)
    ax, ay = fx - ix, fy - iy
    for dx, dy, wgt in ((0, 0, (1 - ax) * (1 - ay)), (1, 0, ax * (1 - ay)),
                        (0, 1, (1 - ax) * ay), (1, 1, ax * ay)):
        jx = np.clip(ix + dx, 0, cv.w - 1)
        jy = np.clip(iy + dy, 0, rows - 1)
        np.add.at(field, (jy, jx), (bright * wgt).astype(np.float32))
        np.add.at(tints, (jy, jx), (tint * bright * wgt).astype(np.float32))
    # Keep total star light similar at any size: a small picture has fewer pixels per star.
    field *= min(3.0, max(0.6, cv.S(0.0025)))
    warm = np.clip(tints / np.maximum(field, 1e-6), 0, 1)
    col = np.stack([0.85 + 0.15 * warm, 0.88 + 0.05 * warm, 1.0 - 0.2 * warm], axis=-1)
    cv.rgb[:rows] += (np.clip(field, 0, 1.5)[..., None] * col).astype(np.float32)
    cv.record("stars", 0, 0, cv.w, math.ceil(hy))
    # The brightest stars get a small halo.
    for k in np.nonzero(mag > 0.55)[0][:40]:
        halo = cv.radial(float(xs[k]), float(ys[k]), max(0.7, cv.S(0.004)))
        cv.add(halo, (0.8, 0.85, 1.0), float(bright[k]) * 0.35)


def sun_or_moon(ctx: Ctx) -> None:
    """The sun's disc with its bloom, or a moon with its halo."""
    cv, look = ctx.cv, ctx.plan.look
    p = ctx.plan
    forced_moon = p.has("moon") and look.body == "sun" and not p.has("sun")
    if not look.body_visible and not (p.has("sun", "moon") and p.overcast < 0.9):
        return
    sx, sy = sun_position(ctx)
    if forced_moon:
        # A pale day moon, high in the sky opposite the sun.
        sx = ctx.x(1.0 - look.sun_x)
        sy = ctx.y(ctx.horizon * 0.3)
        r = cv.S(0.04)
        disc = cv.shapes().ellipse(sx, sy, r, r).mask()
        cv.fill(disc, mix(look.zenith, (1.0, 1.0, 1.0), 0.55), 0.8)
        return
    if look.body == "sun":
        if look.sun_height < -0.01:
            return
        low = 1.0 - min(1.0, max(0.0, look.sun_height) / 0.5)
        r = cv.S(0.04 + 0.035 * low)
        colour = mix(look.sun, p.colour_of("sun", look.sun), 1.0)
        if p.time == "sunset":
            colour = mix(colour, rgb("#ff8a3a"), 0.35)
        disc = cv.shapes().ellipse(sx, sy, r, r).mask()
        veil = 1.0 - 0.7 * p.overcast - 0.4 * ("mist" in p.weather)
        # The glow is painted now, not bloomed at the end, so hills and towers
        # in front of a low sun hide it.
        cv.add(cv.radial(sx, sy, r * 3.5, "inverse"), look.glow, 0.35 * max(0.2, veil))
        cv.add(cv.radial(sx, sy, r * 1.4, "gauss"), mix(colour, look.glow, 0.5),
               0.6 * max(0.2, veil))
        # The disc is brighter than white, so it stays the brightest thing after the glow.
        hot = (colour[0] * 1.6, colour[1] * 1.6, colour[2] * 1.6)
        cv.fill(disc, hot, max(0.25, veil))
    else:
        r = cv.S(0.05)
        colour = p.colour_of("moon", look.sun)
        disc = cv.shapes().ellipse(sx, sy, r, r).mask()
        if disc is None:
            return
        crescent = ctx.rng.random() < 0.35
        if crescent:
            bite = cv.shapes().ellipse(sx + r * 0.45, sy - r * 0.25, r * 0.92, r * 0.92).mask()
            if bite is not None:
                _cut(disc, bite)
        cv.fill(disc, colour)
        if not crescent:
            seas = cv.shapes()
            for _ in range(5):
                a = ctx.rng.uniform(0, 2 * math.pi)
                d = ctx.rng.uniform(0, 0.55) * r
                cr = r * ctx.rng.uniform(0.12, 0.3)
                seas.ellipse(sx + math.cos(a) * d, sy + math.sin(a) * d, cr, cr * 0.85)
            cv.fill(seas.mask(), mix(colour, rgb("#a8a4a0"), 0.6), 0.35)
        veil = 1.0 - 0.6 * p.overcast
        cv.add(cv.radial(sx, sy, r * 2.8, "inverse"), rgb("#b8c4e0"), 0.16 * veil)
        cv.add(cv.radial(sx, sy, r * 1.3, "gauss"), scale(colour, 0.8), 0.3 * veil)


def _cut(mask: Mask, hole: Mask) -> None:
    """Remove ``hole`` from ``mask`` where they overlap."""
    y0, y1 = max(mask.y0, hole.y0), min(mask.y1, hole.y1)
    x0, x1 = max(mask.x0, hole.x0), min(mask.x1, hole.x1)
    if y1 <= y0 or x1 <= x0:
        return
    mask.a[y0 - mask.y0 : y1 - mask.y0, x0 - mask.x0 : x1 - mask.x0] *= (
        1.0 - hole.a[y0 - hole.y0 : y1 - hole.y0, x0 - hole.x0 : x1 - hole.x0]
    )


@tagged("clouds")
def clouds(ctx: Ctx) -> None:
    """Puffy clouds in fair weather, a textured overcast in rain and storm."""
    p = ctx.plan
    if p.overcast >= 0.6:
        overcast_layer(ctx, p.overcast)
    n = 0
    if "clouds" in p.weather or p.has("clouds"):
        n = int(ctx.rng.integers(3, 6))
    elif "clear" not in p.weather and p.overcast < 0.6 and ctx.rng.random() < 0.5:
        n = int(ctx.rng.integers(1, 3))
    if p.overcast >= 0.6:
        n = 0
    if (p.time in ("sunset", "dawn", "sunrise", "dusk") and "clear" not in p.weather
            and p.overcast < 0.6):
        streaks(ctx)
    for _ in range(n):
        puffy_cloud(ctx)


def puffy_cloud(ctx: Ctx) -> None:
    """A storybook cumulus: a flat base under a pile of round, sunlit tops."""
    cv, look, rng = ctx.cv, ctx.plan.look, ctx.rng
    hy = ctx.y(ctx.horizon)
    w = cv.S(float(rng.uniform(0.16, 0.36)))
    cx = cv.X(float(rng.uniform(-0.05, 1.05)))
    base = hy * float(rng.uniform(0.22, 0.72))
    body, lit = cv.shapes(), cv.shapes()
    k = int(rng.integers(6, 10))
    bumps: list[tuple[float, float, float]] = []
    for i in range(k):
        t = (i + 0.5) / k
        r = w * (0.07 + 0.11 * math.sin(math.pi * t)) * float(rng.uniform(0.8, 1.25))
        bumps.append((cx + (t - 0.5) * w, base - r * float(rng.uniform(0.3, 0.7)), r))
    for _ in range(int(rng.integers(2, 4))):
        t = float(rng.uniform(0.3, 0.7))
        r = w * float(rng.uniform(0.13, 0.2))
        bumps.append((cx + (t - 0.5) * w, base - w * float(rng.uniform(0.12, 0.2)), r))
    toward = -1.0 if look.sun_x * cv.w < cx else 1.0
    for bx, by, r in bumps:
        body.ellipse(bx, by, r, r * 0.9)
        lit.ellipse(bx + toward * r * 0.18, by - r * 0.2, r * 0.78, r * 0.66)
    body.rect(cx - w, base, cx + w, base + w, erase=True)
    lit.rect(cx - w, base - w * 0.04, cx + w, base + w, erase=True)
    m = body.mask()
    lm = lit.mask()
    if m is None:
        return
    m.a = blur(m.a, cv.S(0.0025))
    night = look.night
    warm_low = ctx.plan.time in ("sunset", "dawn", "sunrise", "dusk")
    sunlit = mix(mix((1.0, 1.0, 1.0), look.sun, 0.35), look.horizon, 0.1 + 0.5 * night)
    sunlit = scale(sunlit, 1.0 - 0.72 * night)
    shade = mix(sunlit, look.zenith, 0.4)
    if warm_low:
        shade = mix(look.glow, look.zenith, 0.35)
    cv.fill(m, scale(shade, 0.95), 0.93)
    if lm is not None:
        lm.a = blur(lm.a, cv.S(0.004))
        cv.fill(lm, sunlit, 0.9)


def streaks(ctx: Ctx) -> None:
    """Long thin clouds lit from below, for the ends of the day."""
    cv, look, rng = ctx.cv, ctx.plan.look, ctx.rng
    hy = ctx.y(ctx.horizon)
    shapes = cv.shapes()
    for _ in range(int(rng.integers(3, 7))):
        cy = hy * float(rng.uniform(0.35, 0.9))
        cx = cv.X(float(rng.uniform(0, 1)))
        w = cv.S(float(rng.uniform(0.2, 0.6)))
        shapes.ellipse(cx, cy, w, cv.S(float(rng.uniform(0.006, 0.018))))
    m = shapes.mask()
    if m is not None:
        m.a = blur(m.a, cv.S(0.004))
        cv.fill(m, mix(look.glow, look.sun, 0.3), 0.55)


def overcast_layer(ctx: Ctx, amount: float) -> None:
    """A sky of heavy cloud with lighter and darker masses."""
    cv, look = ctx.cv, ctx.plan.look
    hy = int(min(cv.h, ctx.y(ctx.horizon) + 2))
    if hy <= 0:
        return
    n = fbm(ctx.drng, cv.w, hy, cv.S(0.35), 5)
    n2 = fbm(ctx.drng, cv.w, hy, cv.S(0.12), 3)
    th = 0.62 - 0.45 * amount
    cover = np.clip((n - th) / 0.2, 0, 1) * 0.9
    ys = (np.arange(hy, dtype=np.float32) / max(hy, 1))[:, None]
    cover *= 1.0 - 0.5 * ys**2
    dark = scale(mix(look.zenith, (0.25, 0.27, 0.3), 0.5), 0.8)
    light = mix(look.horizon, (0.85, 0.86, 0.88), 0.2 * (1 - look.night))
    t = np.clip(n2 * 1.4 - 0.2, 0, 1)[..., None]
    colour = np.asarray(dark, dtype=np.float32) * t + np.asarray(light, dtype=np.float32) * (1 - t)
    cv.fill(Mask(cover.astype(np.float32), 0, 0), colour)


@tagged("aurora")
def aurora(ctx: Ctx) -> None:
    """Curtains of green and violet light in the night sky."""
    cv = ctx.cv
    hy = int(ctx.y(ctx.horizon))
    if hy <= 2:
        return
    rng = ctx.rng
    xs = np.arange(cv.w, dtype=np.float32) / cv.unit
    ys = np.arange(hy, dtype=np.float32)[:, None] / cv.unit
    total = np.zeros((hy, cv.w), dtype=np.float32)
    for _ in range(2):
        phase = rng.uniform(0, 6.28, 3)
        base = (hy / cv.unit) * (0.55 + 0.12 * np.sin(xs * 2.1 + phase[0])
                                 + 0.08 * np.sin(xs * 5.3 + phase[1]))
        rays = 0.6 + 0.4 * np.sin(xs * 37 + phase[2] + 3 * np.sin(xs * 4))
        d = base[None, :] - ys
        curtain = np.where(d > 0, np.exp(-d / 0.16), np.exp(d / 0.015)) * rays[None, :]
        total += curtain.astype(np.float32)
    t = np.clip(1 - ys / (hy / cv.unit), 0, 1)
    green = np.asarray(rgb("#3cf0a0"), dtype=np.float32)
    violet = np.asarray(rgb("#a060f0"), dtype=np.float32)
    colour = green * (1 - t[..., None] ** 2) + violet * t[..., None] ** 2
    cv.rgb[:hy] += (total[..., None] * colour * 0.35).astype(np.float32)
    cv.record("aurora", 0, 0, cv.w, hy)


@tagged("rainbow")
def rainbow(ctx: Ctx) -> None:
    """A translucent arc of bands, centred opposite the sun."""
    cv = ctx.cv
    hy = ctx.y(ctx.horizon)
    cx = cv.X(1.0 - ctx.plan.look.sun_x)
    cy = hy + cv.S(0.15)
    r0 = cv.S(0.62)
    width = cv.S(0.07)
    y0, y1 = max(0, int(cy - r0 - width)), int(min(cv.h, hy))
    x0, x1 = max(0, int(cx - r0 - width)), min(cv.w, int(cx + r0 + width) + 1)
    if y1 <= y0 or x1 <= x0:
        return
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    d = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
    t = (d - r0) / width
    bands = np.asarray([rgb(h) for h in ("#7a3ab0", "#3a4ad0", "#3aa0e0", "#3ac060",
                                         "#f0e040", "#f09030", "#e03a30")], dtype=np.float32)
    idx = np.clip(t * (len(bands) - 1), 0, len(bands) - 1.001)
    i0 = np.floor(idx).astype(int)
    f = (idx - i0)[..., None]
    colour = bands[i0] * (1 - f) + bands[i0 + 1] * f
    alpha = np.where((t > 0) & (t < 1), np.sin(np.clip(t, 0, 1) * math.pi), 0.0)
    alpha *= np.clip((hy - ys) / cv.S(0.25), 0, 1) * 0.42
    cv.fill(Mask(alpha.astype(np.float32), x0, y0), colour.astype(np.float32))


@tagged("birds")
def birds(ctx: Ctx, count: int, white: bool = False) -> None:
    """A loose flock of small V-shaped birds."""
    cv, rng = ctx.cv, ctx.rng
    hy = ctx.y(ctx.horizon)
    shapes = cv.shapes()
    fx = float(rng.uniform(0.15, 0.85))
    fy = float(rng.uniform(0.2, 0.6))
    for _ in range(count):
        x = cv.X(fx) + cv.S(float(rng.normal(0, 0.12)))
        y = hy * fy + cv.S(float(rng.normal(0, 0.05)))
        s = cv.S(float(rng.uniform(0.008, 0.018)))
        flap = float(rng.uniform(0.2, 0.7))
        shapes.line([(x - s, y - s * flap), (x - s * 0.45, y - s * 0.25), (x, y),
                     (x + s * 0.45, y - s * 0.25), (x + s, y - s * flap)], max(s * 0.18, 0.5))
    look = ctx.plan.look
    dark = mix(look.zenith, (0.05, 0.05, 0.08), 0.7)
    colour = ctx.lit(rgb("#f4f4f0"), 0.0, 0.9) if white else dark
    cv.fill(shapes.mask(), colour, 0.9)


@tagged("lightning")
def lightning(ctx: Ctx) -> None:
    """A forked bolt from the clouds to the horizon, with a flash in the sky."""
    cv, rng = ctx.cv, ctx.drng
    hy = ctx.y(ctx.horizon)
    x = cv.X(float(ctx.rng.uniform(0.15, 0.85)))
    y = hy * 0.08
    pts: list[Point] = [(x, y)]
    branches: list[list[Point]] = []
    seg = cv.S(0.035)
    while y < hy * 0.98:
        x += float(rng.normal(0, 0.7)) * seg
        y += seg * float(rng.uniform(0.6, 1.2))
        pts.append((x, min(y, hy)))
        if rng.random() < 0.2:
            bx, by = x, y
            br: list[Point] = [(bx, by)]
            direction = 1 if rng.random() < 0.5 else -1
            for _ in range(int(rng.integers(2, 5))):
                bx += direction * seg * float(rng.uniform(0.3, 1.0))
                by += seg * float(rng.uniform(0.4, 0.9))
                br.append((bx, by))
            branches.append(br)
    core = cv.shapes().line(pts, max(cv.S(0.004), 0.7))
    for br in branches:
        core.line(br, max(cv.S(0.002), 0.5))
    m = core.mask()
    if m is None:
        return
    cv.fill(m, (0.95, 0.95, 1.0))
    cv.emit(m, rgb("#b0a0ff"), 2.0)
    cv.add(cv.radial(pts[0][0], hy * 0.3, cv.S(0.5), "gauss"), rgb("#8080c0"), 0.25)
