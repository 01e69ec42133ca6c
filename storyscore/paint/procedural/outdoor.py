"""Outdoor scenes: a sky, then landscape layers from far to near, then weather."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from storyscore.paint.procedural import build as build
from storyscore.paint.procedural import land as land
from storyscore.paint.procedural import places as places
from storyscore.paint.procedural import sky as skym
from storyscore.paint.procedural.canvas import (
    RGB,
    Mask,
    blur,
    mix,
    noise,
    rgb,
    saturate,
    scale,
    tagged,
)
from storyscore.paint.procedural.draw import (
    GRASS,
    ROCK,
    SAND,
    Ctx,
    campfire,
    candle,
    figure,
    flowers,
    grass_strokes,
    lantern,
    rock_pile,
    tree_row,
)

Ground = Callable[[float], float]

HORIZONS = {
    "street": 0.56, "harbour": 0.46, "market": 0.56, "lighthouse": 0.6, "city": 0.64,
    "skyline": 0.64, "castle": 0.62, "village": 0.58, "island": 0.6, "beach": 0.56,
    "cliffs": 0.58, "sea": 0.56, "bridge": 0.56, "river": 0.54, "lake": 0.56, "desert": 0.6,
    "dunes": 0.6, "mountains": 0.6, "pines": 0.66, "forest": 0.66, "garden": 0.56,
    "field": 0.55, "meadow": 0.58, "hills": 0.6, "tower": 0.6, "volcano": 0.66,
    "waterfall": 0.5, "canyon": 0.5, "glacier": 0.6, "swamp": 0.56, "jungle": 0.6,
}


def horizon_for(template: str) -> float:
    """Where the horizon sits for a landscape, as a fraction of the height."""
    return HORIZONS.get(template, 0.6)


def paint_outdoor(ctx: Ctx) -> None:
    """Paint a whole outdoor scene onto the context's canvas."""
    p = ctx.plan
    paint_sky(ctx)
    scene = _TEMPLATES.get(p.template, _hills)
    scene(ctx)
    weather(ctx)


def paint_sky(ctx: Ctx) -> None:
    """Sky, heavenly bodies, clouds and what flies or flashes in it."""
    p = ctx.plan
    skym.sky(ctx)
    skym.stars(ctx)
    if p.has("aurora") or "aurora" in p.reading.concepts:
        skym.aurora(ctx)
    with ctx.cv.tagged(p.look.body):
        skym.sun_or_moon(ctx)
    skym.clouds(ctx)
    if p.has("fireworks"):
        places.fireworks(ctx)
    if "rainbow" in p.weather:
        skym.rainbow(ctx)
    if "lightning" in p.weather:
        skym.lightning(ctx)
    if p.has("birds") or (p.template in ("sea", "harbour", "beach", "lighthouse", "cliffs")
                          and p.look.night < 0.5 and not p.stormy):
        skym.birds(ctx, int(ctx.rng.integers(4, 10)),
                   white=p.template in ("sea", "harbour", "beach", "lighthouse", "cliffs"))


# ---- shared layers -----------------------------------------------------------------

def _flat(y: float) -> Ground:
    """Level ground at ``y`` pixels."""
    return lambda fx: y


def _far(ctx: Ctx, kind: str) -> Ground:
    """The farthest land: mountains, hills or dunes standing on the horizon."""
    cv = ctx.cv
    hy = ctx.y(ctx.horizon)
    rng = ctx.rng
    if kind == "mountains":
        return land.mountains(ctx, hy + 1, cv.S(0.34), 0.45, snow=rng.random() < 0.7 or ctx.snowy(),
                              rng=rng)
    if kind == "dunes":
        return land.dunes(ctx, hy + 1, cv.S(0.05), 0.45, rng)
    if kind == "none":
        return lambda fx: hy
    far_col = mix(ctx.ground_colour(), rgb("#5a7aa0"), 0.35)
    if rng.random() < 0.5 and ctx.plan.template not in ("village", "garden"):
        land.mountains(ctx, hy + 1, cv.S(0.16), 0.65, snow=ctx.snowy(), rng=rng,
                       colour=rgb("#7a88a8"))
    return land.hills(ctx, hy + 1, cv.S(0.06), far_col, 0.55, rng, texture=False)


def _near_ground(ctx: Ctx, top: float, colour: RGB, amp: float) -> Ground:
    """Gently rolling near ground whose crest sits around ``top`` pixels."""
    return land.hills(ctx, top + amp, amp, colour, 0.0, ctx.rng)


def _crest_points(ctx: Ctx, ground: Ground, x0: float, x1: float, n: int = 40) -> list[
        tuple[float, float]]:
    return [(ctx.x(x0 + (x1 - x0) * k / (n - 1)), ground(x0 + (x1 - x0) * k / (n - 1)))
            for k in range(n)]


def _person_height(ctx: Ctx, base: float) -> float:
    """Screen height of a person standing at ``base`` pixels (eye level at the horizon)."""
    # Tall pictures stretch the ground vertically; people keep their size in units.
    return max(ctx.u(0.02), (base - ctx.y(ctx.horizon)) * 0.7 * ctx.cv.unit / ctx.cv.h)


def _people(ctx: Ctx, ground: Ground, y_range: tuple[float, float], count: int,
            fade: float = 0.0) -> None:
    """Scattered people at different depths, drawn far to near."""
    rng = ctx.rng
    spots = sorted((float(rng.uniform(*y_range)), float(rng.uniform(0.02, 0.98)))
                   for _ in range(count))
    for fy, fx in spots:
        base = max(ctx.y(fy), ground(fx) + ctx.u(0.005))
        h = _person_height(ctx, base)
        figure(ctx, ctx.x(fx), base, h, ctx.plan.accent(rng), fade, rng,
               facing=1 if rng.random() < 0.5 else -1)


def _hero_figure(ctx: Ctx, x: float, base: float) -> None:
    p = ctx.plan
    if not p.has("figure"):
        return
    h = _person_height(ctx, base)
    clothes = p.clothes(rgb("#4a6a9a") if p.look.night < 0.5 else rgb("#6a7aa0"))
    figure(ctx, x, base, h, clothes, 0.0, ctx.rng, facing=-1 if x > ctx.x(0.5) else 1,
           accent=p.worn_accent() or rgb("#c83a32"))


def _extras(ctx: Ctx, ground: Ground, near_top: float, hero_x: float) -> None:
    """Things any land scene may hold: flowers, rocks, a fire, lanterns, people."""
    p = ctx.plan
    cv = ctx.cv
    rng = ctx.rng
    if p.has("flowers") and p.template not in ("garden",):
        flowers(ctx, near_top, cv.h, 0.9, 0.3, ctx.drng)
    if p.has("rocks"):
        rock_pile(ctx, ctx.x(float(rng.choice([0.12, 0.88]))), cv.h + ctx.u(0.01), ctx.u(0.35),
                  ctx.u(0.12), p.colour_of("rocks", ROCK), 0.0, rng)
    if p.has("crowd"):
        _people(ctx, ground, ((near_top + ctx.y(ctx.horizon)) / 2 / cv.h + 0.05, 0.95), 9)
    if "fire" in p.reading.concepts:
        fx = hero_x + ctx.u(0.2) * (1 if hero_x < ctx.x(0.5) else -1)
        campfire(ctx, fx, cv.h * 0.9, ctx.u(0.12))
    if "lantern" in p.reading.concepts and p.template not in ("street", "market", "harbour"):
        for fx in (0.2, 0.8):
            base = cv.h * 0.97
            post = cv.shapes().line([(ctx.x(fx), base), (ctx.x(fx), base - ctx.u(0.3))],
                                    ctx.u(0.008))
            cv.fill(post.mask(), ctx.lit(rgb("#2e2a28"), 0.0, 0.4))
            lantern(ctx, ctx.x(fx), base - ctx.u(0.3), ctx.u(0.045), 1.0, hanging=False)
    # The barn on the side away from the figure, the windmill on the other.
    barn_side = 0.25 if hero_x > ctx.x(0.5) else 0.75
    if p.has("windmill"):
        places.windmill(ctx, ctx.x(1 - barn_side),
                        ctx.y(ctx.horizon) + (cv.h - ctx.y(ctx.horizon)) * 0.3, ctx.u(0.5))
    if p.has("barn"):
        places.barn(ctx, ctx.x(barn_side), ctx.y(ctx.horizon) + (cv.h - ctx.y(ctx.horizon)) * 0.2,
                    ctx.u(0.3))
    if p.has("flags") and p.template not in ("market", "street", "harbour"):
        build.bunting(ctx, -ctx.u(0.05), cv.w + ctx.u(0.05), near_top - ctx.u(0.25), ctx.u(0.08),
                      rng, ctx.u(0.04))
    if "candle" in p.reading.concepts:
        cx = hero_x - ctx.u(0.25) * (1 if hero_x > ctx.x(0.5) else -1)
        candle(ctx, cx, cv.h * 0.95, ctx.u(0.14), 1.2)
    if "sunbeams" in p.reading.concepts and p.template not in ("forest", "pines"):
        land.sunbeams(ctx, skym.sun_position(ctx), 0.5, ctx.drng)
    _hero_figure(ctx, hero_x, cv.h * 0.9)


def _shore(ctx: Ctx, y: float) -> None:
    """The water painted last ends at the shore ``y`` pixels: land covers the rest."""
    if ctx.water:
        top, bottom, centre = ctx.water[-1]
        ctx.water[-1] = (top, min(bottom, y), centre)


def _land_base(ctx: Ctx, far: str = "hills") -> tuple[Ground, float]:
    """Far land plus a middle hill; returns the middle crest and the near ground's top."""
    cv = ctx.cv
    _far(ctx, far)
    hy = ctx.y(ctx.horizon)
    mid_top = hy + (cv.h - hy) * 0.12
    mid = land.hills(ctx, mid_top + ctx.u(0.08), ctx.u(0.09),
                     mix(ctx.ground_colour(), ctx.plan.look.haze, 0.15), 0.2, ctx.rng)
    return mid, mid_top


# ---- templates -----------------------------------------------------------------

def _hills(ctx: Ctx) -> None:
    cv = ctx.cv
    mid, _ = _land_base(ctx)
    tree_row(ctx, "round", mid, 7, (ctx.u(0.05), ctx.u(0.09)), 0.2)
    near_top = ctx.y(ctx.horizon) + (cv.h - ctx.y(ctx.horizon)) * 0.45
    near = _near_ground(ctx, near_top, ctx.ground_colour(), ctx.u(0.08))
    tree_row(ctx, "round", near, 2, (ctx.u(0.3), ctx.u(0.45)), 0.0, (0.02, 0.98))
    grass_strokes(ctx, near_top, cv.h, ctx.ground_colour(), 0.6, ctx.drng)
    _extras(ctx, near, near_top, ctx.x(0.5))


def _meadow(ctx: Ctx) -> None:
    cv = ctx.cv
    mid, _ = _land_base(ctx)
    tree_row(ctx, "round", mid, 4, (ctx.u(0.04), ctx.u(0.08)), 0.25)
    near_top = ctx.y(ctx.horizon) + (cv.h - ctx.y(ctx.horizon)) * 0.3
    near = _near_ground(ctx, near_top, ctx.ground_colour(), ctx.u(0.03))
    if ctx.rng.random() < 0.6:
        tree_row(ctx, "round", near, 1, (ctx.u(0.35), ctx.u(0.45)), 0.0,
                 (0.1, 0.3) if ctx.rng.random() < 0.5 else (0.7, 0.9))
    if not ctx.snowy():
        flowers(ctx, near_top, cv.h, 1.4 if ctx.plan.has("flowers") else 0.5, 0.3, ctx.drng)
    grass_strokes(ctx, near_top, cv.h, ctx.ground_colour(), 1.0, ctx.drng)
    _extras(ctx, near, near_top, ctx.x(float(ctx.rng.uniform(0.3, 0.7))))


def _field(ctx: Ctx) -> None:
    cv = ctx.cv
    _far(ctx, "hills")
    hy = ctx.y(ctx.horizon)
    tree_row(ctx, "round", lambda fx: hy + ctx.u(0.004), 14, (ctx.u(0.03), ctx.u(0.05)), 0.45)
    wheat = ctx.plan.colour_of("field", rgb("#dcb24a") if not ctx.snowy() else rgb("#eef0f4"))
    land.ground_plane(ctx, hy + 1, wheat, 1.0)
    land.field_rows(ctx, hy + 1, wheat)
    grass_strokes(ctx, hy + (cv.h - hy) * 0.4, cv.h, wheat, 0.9, ctx.drng)
    _extras(ctx, lambda fx: hy, hy + (cv.h - hy) * 0.4, ctx.x(0.42))


@tagged("garden")
def _garden(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    _far(ctx, "hills")
    hy = ctx.y(ctx.horizon)
    tree_row(ctx, "round", lambda fx: hy + ctx.u(0.01), 6, (ctx.u(0.08), ctx.u(0.14)), 0.3)
    build.house(ctx, ctx.x(float(rng.uniform(0.35, 0.65))), hy + ctx.u(0.03), ctx.u(0.16),
                ctx.u(0.1), 0.15, rng)
    land.ground_plane(ctx, hy + ctx.u(0.03), ctx.ground_colour(), 1.0)
    land.path(ctx, hy + ctx.u(0.03), ctx.x(0.5), ctx.x(0.5), ctx.u(0.5), rgb("#d8c8a0"))
    hedge = ctx.lit(rgb("#3f7a3a"), 0.05, 0.6)
    for side in (-1, 1):
        beds = cv.shapes()
        for k in range(5):
            d = (k + 1) / 6
            y = hy + (cv.h - hy) * d**1.3 + ctx.u(0.03)
            x = ctx.x(0.5) + side * ctx.u(0.08 + 0.55 * d**1.2)
            r = ctx.u(0.02 + 0.08 * d)
            beds.ellipse(x, y, r * 1.6, r * 0.7)
        cv.fill(beds.mask(), hedge)
        flowers(ctx, hy + ctx.u(0.05), cv.h, 2.0, 0.2, ctx.drng,
                (0.0, 0.38) if side < 0 else (0.62, 1.0))
    tree_row(ctx, "round", lambda fx: cv.h * 1.02, 2, (ctx.u(0.6), ctx.u(0.7)), 0.0,
             (0.0, 0.08) if rng.random() < 0.5 else (0.92, 1.0))
    _extras(ctx, lambda fx: hy, hy + (cv.h - hy) * 0.5, ctx.x(0.5))


def _forest(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    pines = p.has("pines") or (not p.has("trees") and rng.random() < 0.5) or ctx.snowy()
    kind = "pine" if pines else "round"
    hy = ctx.y(ctx.horizon)
    if rng.random() < 0.5:
        land.mountains(ctx, hy + 1, ctx.u(0.2), 0.6, snow=ctx.snowy() or rng.random() < 0.5,
                       rng=rng, colour=rgb("#7888a8"))
    land.ground_plane(ctx, hy, ctx.ground_colour(), 1.0)
    show_path = p.has("path", "figure", "river") or rng.random() < 0.4
    misty = "mist" in p.weather or p.haze > 0.3
    rows = 6
    for r in range(rows):
        d = r / (rows - 1)
        base = hy + (cv.h - hy) * (0.02 + 0.5 * d**1.6)
        fade = 0.75 * (1 - d) ** 1.4
        hmin = ctx.u(0.07 + 0.38 * d**1.8)
        count = int((40 - 32 * d) * cv.aspect / 1.78)
        avoid = (0.4, 0.6) if (show_path and r >= 2) else None
        tree_row(ctx, kind, _flat(base), count, (hmin, hmin * 1.6), fade,
                 rng=rng, jitter_y=ctx.u(0.02 * d), avoid=avoid)
        if misty and r < rows - 1:
            land.mist_band(ctx, base - ctx.u(0.01), ctx.u(0.025 + 0.03 * d),
                           0.55 if "mist" in p.weather else 0.3, ctx.drng)
        if r == 1 and p.has("river"):
            centre = land.river(ctx, base, ctx.u(0.9), rng)
            if p.has("bridge"):
                deck = base + (cv.h - base) * 0.35
                c = centre(deck)
                build.bridge(ctx, c - ctx.u(0.3), c + ctx.u(0.3), deck, ctx.u(0.07), 0.1)
        elif r == 1 and show_path:
            land.path(ctx, base, ctx.x(0.5), ctx.x(0.48), ctx.u(0.6),
                      mix(rgb("#b89a70"), ctx.ground_colour(), 0.3))
    if p.look.body == "sun" and p.look.sun_height < 0.7 and p.overcast < 0.6 and (
            misty or p.has("sunbeams") or p.time in ("dawn", "sunrise", "morning")):
        sx, sy = skym.sun_position(ctx)
        land.sunbeams(ctx, (sx, sy), 0.5, ctx.drng)
    # Tall framing trunks at the sides.
    tall = (max(cv.h, ctx.u(1.0)) * 1.1, max(cv.h, ctx.u(1.0)) * 1.3)
    tree_row(ctx, kind, _flat(cv.h * 1.05), 2, tall, 0.0, (-0.04, 0.1), rng,
             max_width=ctx.u(0.28))
    tree_row(ctx, kind, _flat(cv.h * 1.05), 1, tall, 0.0, (0.9, 1.04), rng,
             max_width=ctx.u(0.28))
    grass_strokes(ctx, hy + (cv.h - hy) * 0.5, cv.h, ctx.ground_colour(), 0.7, ctx.drng)
    _extras(ctx, lambda fx: hy, hy + (cv.h - hy) * 0.5, ctx.x(0.5))


def _mountains(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    land.mountains(ctx, hy + 1, cv.S(0.18), 0.7, snow=True, rng=rng, colour=rgb("#8090b0"))
    land.mountains(ctx, hy + 1, cv.S(0.4), 0.35, snow="desert" not in ctx.plan.places, rng=rng)
    with_lake = ctx.plan.has("lake", "river") or rng.random() < 0.45
    if with_lake:
        tree_row(ctx, "pine", lambda fx: hy + ctx.u(0.004), 40, (ctx.u(0.025), ctx.u(0.05)),
                 0.4, rng=rng)
        land.water(ctx, hy + ctx.u(0.004), calm=0.9)
        shore = hy + (cv.h - hy) * 0.55
        _shore(ctx, shore)
        near = _near_ground(ctx, shore, ctx.ground_colour(), ctx.u(0.04))
    else:
        near_top = hy + (cv.h - hy) * 0.35
        near = _near_ground(ctx, near_top, ctx.ground_colour(), ctx.u(0.06))
        shore = near_top
    tree_row(ctx, "pine", near, 3, (ctx.u(0.3), ctx.u(0.5)), 0.0, (0.0, 0.22), rng)
    grass_strokes(ctx, shore, cv.h, ctx.ground_colour(), 0.6, ctx.drng)
    _extras(ctx, near, shore, ctx.x(0.55))


def _lake(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    _far(ctx, "mountains" if ctx.plan.has("mountains") or rng.random() < 0.5 else "hills")
    tree_row(ctx, "pine" if rng.random() < 0.6 else "round", lambda fx: hy + ctx.u(0.004), 40,
             (ctx.u(0.03), ctx.u(0.06)), 0.35, rng=rng)
    land.water(ctx, hy + ctx.u(0.004), calm=0.95)
    shore = hy + (cv.h - hy) * 0.6
    _shore(ctx, shore)
    near = _near_ground(ctx, shore, ctx.ground_colour(), ctx.u(0.035))
    if ctx.plan.has("rocks"):
        rock_pile(ctx, ctx.x(0.8), shore + ctx.u(0.1), ctx.u(0.3), ctx.u(0.12),
                  ctx.plan.colour_of("rocks", ROCK), 0.0, rng, 4)
    tree_row(ctx, "round", near, 1, (ctx.u(0.45), ctx.u(0.55)), 0.0, (0.03, 0.15), rng)
    grass_strokes(ctx, shore, cv.h, ctx.ground_colour(), 0.8, ctx.drng)
    if ctx.plan.has("boats"):
        by = hy + (cv.h - hy) * 0.42
        build.boat(ctx, ctx.x(float(rng.uniform(0.35, 0.6))), by, ctx.u(0.22), 0.0, rng,
                   rng.random() < 0.5)
    _extras(ctx, near, shore, ctx.x(0.4))


def _river(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    _far(ctx, "mountains" if ctx.plan.has("mountains") else "hills")
    tree_row(ctx, "round", lambda fx: hy + ctx.u(0.005), 18, (ctx.u(0.03), ctx.u(0.06)), 0.4)
    land.ground_plane(ctx, hy + 1, ctx.ground_colour(), 1.0)
    centre = land.river(ctx, hy + 1, ctx.u(1.1), rng)
    if ctx.plan.has("bridge"):
        deck = hy + (cv.h - hy) * 0.3
        c = centre(deck)
        build.bridge(ctx, c - ctx.u(0.32), c + ctx.u(0.32), deck, ctx.u(0.08), 0.1)
    for side in (-1, 1):
        y = hy + (cv.h - hy) * 0.45
        x = centre(y) + side * ctx.u(0.5)
        tree_row(ctx, "round", _flat(y), 1, (ctx.u(0.2), ctx.u(0.28)), 0.05,
                 (x / cv.w - 0.02, x / cv.w + 0.02))
    grass_strokes(ctx, hy + (cv.h - hy) * 0.5, cv.h, ctx.ground_colour(), 0.6, ctx.drng)
    ybase = cv.h * 0.9
    hero = centre(ybase) + ctx.u(0.45) * (1 if rng.random() < 0.5 else -1)
    _extras(ctx, lambda fx: hy, hy + (cv.h - hy) * 0.5, hero)


def _desert(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    if rng.random() < 0.5:
        land.mountains(ctx, hy + 1, cv.S(0.12), 0.55, snow=False, rng=rng, colour=rgb("#b07a5a"))
    land.dunes(ctx, hy + 1, cv.S(0.05), 0.4, rng)
    land.dunes(ctx, hy + (cv.h - hy) * 0.3, cv.S(0.1), 0.15, rng)
    land.dunes(ctx, hy + (cv.h - hy) * 0.7, cv.S(0.18), 0.0, rng)
    if ctx.plan.has("rocks") or rng.random() < 0.5:
        rock_pile(ctx, ctx.x(float(rng.uniform(0.1, 0.9))), hy + (cv.h - hy) * 0.6,
                  ctx.u(0.2), ctx.u(0.08), rgb("#a8704a"), 0.1, rng, 4)
    _extras(ctx, lambda fx: hy, hy + (cv.h - hy) * 0.5, ctx.x(0.6))


def _village(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    _far(ctx, "mountains" if ctx.plan.has("mountains") else "hills")
    mid_top = hy + (cv.h - hy) * 0.1
    mid = land.hills(ctx, mid_top + ctx.u(0.05), ctx.u(0.05),
                     mix(ctx.ground_colour(), ctx.plan.look.haze, 0.15), 0.2, rng)
    tree_row(ctx, "round", mid, 6, (ctx.u(0.04), ctx.u(0.07)), 0.2)
    build.village(ctx, _crest_points(ctx, mid, 0.05, 0.95), ctx.u(0.07), 0.2, rng, 6)
    if ctx.plan.has("tower", "castle"):
        build.round_tower(ctx, ctx.x(0.72), mid(0.72) + ctx.u(0.03), ctx.u(0.06), ctx.u(0.22),
                          0.15, rng)
    near_top = hy + (cv.h - hy) * 0.42
    near = land.hills(ctx, near_top + ctx.u(0.04), ctx.u(0.04), ctx.ground_colour(), 0.0, rng)
    tree_row(ctx, "round", near, 3, (ctx.u(0.12), ctx.u(0.2)), 0.0)
    build.village(ctx, _crest_points(ctx, near, 0.02, 0.98), ctx.u(0.15), 0.0, rng, 4)
    land.path(ctx, near_top + ctx.u(0.05), ctx.x(0.5), ctx.x(0.55), ctx.u(0.45),
              rgb("#c8ae84") if not ctx.snowy() else rgb("#e8ecf2"))
    grass_strokes(ctx, near_top + ctx.u(0.08), cv.h, ctx.ground_colour(), 0.5, ctx.drng)
    if ctx.plan.has("market", "awnings"):
        for fx in (0.2, 0.8):
            build.stall(ctx, ctx.x(fx), cv.h * 0.93, ctx.u(0.3), 0.0, rng)
    _extras(ctx, near, near_top, ctx.x(0.55))


def _castle(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    _far(ctx, "mountains" if ctx.plan.has("mountains") or rng.random() < 0.4 else "hills")
    cx = float(rng.uniform(0.4, 0.6))
    hill_top = hy + (cv.h - hy) * 0.12
    hill = land.hills(ctx, hill_top + ctx.u(0.08), ctx.u(0.08),
                      mix(ctx.ground_colour(), ctx.plan.look.haze, 0.1), 0.15, rng)
    build.castle(ctx, ctx.x(cx), hill(cx) + ctx.u(0.03), ctx.u(0.6), 0.15, rng)
    tree_row(ctx, "round", hill, 8, (ctx.u(0.04), ctx.u(0.07)), 0.15, avoid=(cx - 0.2, cx + 0.2))
    near_top = hy + (cv.h - hy) * 0.55
    near = land.hills(ctx, near_top + ctx.u(0.03), ctx.u(0.03), ctx.ground_colour(), 0.0, rng)
    tree_row(ctx, "round", near, 2, (ctx.u(0.3), ctx.u(0.4)), 0.0, (0.0, 0.2))
    grass_strokes(ctx, near_top, cv.h, ctx.ground_colour(), 0.7, ctx.drng)
    _extras(ctx, near, near_top, ctx.x(0.65))


def _tower(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    mid, mid_top = _land_base(ctx)
    tx = float(rng.uniform(0.3, 0.7))
    build.round_tower(ctx, ctx.x(tx), mid(tx) + ctx.u(0.02), ctx.u(0.11), ctx.u(0.42), 0.1, rng)
    tree_row(ctx, "round", mid, 6, (ctx.u(0.05), ctx.u(0.08)), 0.2, avoid=(tx - 0.1, tx + 0.1))
    hy = ctx.y(ctx.horizon)
    near_top = hy + (cv.h - hy) * 0.55
    near = _near_ground(ctx, near_top, ctx.ground_colour(), ctx.u(0.03))
    grass_strokes(ctx, near_top, cv.h, ctx.ground_colour(), 0.6, ctx.drng)
    del mid_top
    _extras(ctx, near, near_top, ctx.x(1 - tx))


# ---- water scenes ------------------------------------------------------------------

def _distant_coast(ctx: Ctx, chance: float = 0.6) -> None:
    cv = ctx.cv
    rng = ctx.rng
    if rng.random() < chance:
        hy = ctx.y(ctx.horizon)
        x0 = float(rng.choice([-0.2, 0.55]))
        coast = cv.shapes()
        pts = [(ctx.x(x0), hy + 1)]
        for k in range(13):
            t = k / 12
            pts.append((ctx.x(x0 + 0.65 * t), hy - ctx.u(0.07) * math.sin(math.pi * t) ** 0.7
                        * float(rng.uniform(0.7, 1.0))))
        pts.append((ctx.x(x0 + 0.65), hy + 1))
        coast.poly(pts)
        cv.fill(coast.mask(), ctx.lit(mix(GRASS, rgb("#6078a0"), 0.5), 0.65, 0.6))


def _sea(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    _distant_coast(ctx)
    stormy = p.stormy or p.has("waves")
    # A calm sea is a mirror: its far half reflects the sky and the coast, and
    # only a few low swells roll in near the viewer.
    calm = not stormy and bool({"tranquil", "serene"} & set(p.moods))
    land.water(ctx, hy, calm=0.3 if p.stormy else 0.95 if calm else 0.75)
    if calm:
        land.waves(ctx, hy + (cv.h - hy) * 0.45, 3, False, ctx.drng)
    else:
        land.waves(ctx, hy, 9 if stormy else 6, p.stormy, ctx.drng)
    if p.has("island"):
        _island(ctx, float(rng.uniform(0.25, 0.75)), hy)
    if p.has("boats") or rng.random() < 0.4:
        for _ in range(int(rng.integers(1, 4))):
            by = hy + (cv.h - hy) * float(rng.uniform(0.08, 0.45))
            size = (by - hy) * 0.9 + ctx.u(0.03)
            build.boat(ctx, ctx.x(float(rng.uniform(0.1, 0.9))), by, size, 0.1, rng, True)
    if p.has("rocks"):
        rock_pile(ctx, ctx.x(0.85), cv.h * 1.02, ctx.u(0.5), ctx.u(0.2),
                  p.colour_of("rocks", ROCK), 0.0, rng)
    _hero_figure(ctx, ctx.x(0.3), cv.h * 0.97)


@tagged("island")
def _island(ctx: Ctx, fx: float, hy: float) -> None:
    cv = ctx.cv
    rng = ctx.rng
    base = hy + (cv.h - hy) * 0.12
    w = ctx.u(0.5)
    x = ctx.x(fx)
    outline = cv.shapes()
    sand = cv.shapes().ellipse(x, base, w * 0.55, ctx.u(0.03))
    sand.rect(x - w, base, x + w, base + ctx.u(0.05), erase=True)
    outline.ellipse(x, base, w * 0.55, ctx.u(0.03))
    cv.fill(sand.mask(), ctx.lit(SAND, 0.2, 0.9))
    mound = cv.shapes().ellipse(x, base, w * 0.4, ctx.u(0.08))
    mound.rect(x - w, base - ctx.u(0.004), x + w, base + ctx.u(0.1), erase=True)
    outline.ellipse(x, base - ctx.u(0.004), w * 0.4, ctx.u(0.08))
    cv.fill(mound.mask(), ctx.lit(rgb("#4f8a44"), 0.2, 0.7))
    tree_row(ctx, "palm", lambda f: base - ctx.u(0.04), 4, (ctx.u(0.1), ctx.u(0.16)), 0.15,
             (fx - 0.08, fx + 0.08), rng)
    outline.rect(x - w, base, x + w, base + ctx.u(0.1), erase=True)
    build.mirror(ctx, outline.mask(), base, 0.35)


def _beach(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    _distant_coast(ctx, 0.5)
    land.water(ctx, hy, calm=0.6)
    land.waves(ctx, hy, 4, p.stormy, ctx.drng)
    if p.has("island"):
        _island(ctx, float(rng.uniform(0.3, 0.7)), hy)
    if p.has("boats"):
        by = hy + (cv.h - hy) * 0.15
        build.boat(ctx, ctx.x(float(rng.uniform(0.2, 0.8))), by, ctx.u(0.09), 0.15, rng, True)
    shore = hy + (cv.h - hy) * 0.5
    _shore(ctx, shore)
    sand_col = p.colour_of("beach", SAND)
    land.shore_foam(ctx, shore - ctx.u(0.015))
    near = land.hills(ctx, shore + ctx.u(0.02), ctx.u(0.02), sand_col, 0.0, rng)
    land.shore_foam(ctx, shore + ctx.u(0.005), 0.6)
    side = 0.12 if rng.random() < 0.5 else 0.88
    if p.has("trees", "island") or rng.random() < 0.5:
        tree_row(ctx, "palm", lambda fx: cv.h * 0.98, 2, (ctx.u(0.5), ctx.u(0.65)), 0.0,
                 (side - 0.06, side + 0.06), rng)
    if p.has("rocks") or rng.random() < 0.4:
        rock_pile(ctx, ctx.x(1 - side), cv.h * 1.01, ctx.u(0.35), ctx.u(0.12),
                  p.colour_of("rocks", ROCK), 0.0, rng)
    _extras(ctx, near, shore, ctx.x(0.5))


@tagged("cliffs")
def _cliffs(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    land.water(ctx, hy, calm=0.4 if p.stormy else 0.7)
    land.waves(ctx, hy, 7, p.stormy, ctx.drng)
    left = rng.random() < 0.5
    cliff = cv.shapes()
    edge = ctx.x(0.38 if left else 0.62)
    top = hy - ctx.u(0.2)
    pts = [(ctx.x(-0.02 if left else 1.02), top)]
    for k in range(9):
        t = k / 8
        x = edge + ctx.u(0.08) * t * (1 if left else -1) + float(rng.uniform(-1, 1)) * ctx.u(0.015)
        pts.append((x, top + (cv.h + 2 - top) * t))
    pts.append((ctx.x(-0.02 if left else 1.02), cv.h + 2))
    cliff.poly(pts)
    cm = cliff.mask()
    rock = p.colour_of("cliffs", rgb("#9a8a78"))
    cv.fill(cm, ctx.lit(rock, 0.05, 0.8 if (ctx.light_dir < 0) != left else 0.35))
    if cm is not None:
        tex = blur(ctx.drng.random(cm.a.shape, dtype=np.float32), ctx.u(0.004))
        cv.fill(Mask(cm.a * np.clip((tex - 0.5) * 4, 0, 1) * 0.4, cm.x0, cm.y0),
                ctx.lit(scale(rock, 0.6), 0.05, 0.3))
    grass = cv.shapes().poly([(pts[0][0], top - ctx.u(0.012)), (edge, top - ctx.u(0.012)),
                              (edge + ctx.u(0.01) * (1 if left else -1), top + ctx.u(0.02)),
                              (pts[0][0], top + ctx.u(0.03))])
    cv.fill(grass.mask(), ctx.lit(GRASS, 0.05, 0.8))
    if p.has("lighthouse"):
        lx = ctx.x(0.22 if left else 0.78)
        lamp = build.lighthouse(ctx, lx, top + ctx.u(0.005), ctx.u(0.45), 0.05, rng)
        if p.look.windows > 0.3 or p.stormy:
            build.beams(ctx, *lamp, 1.0, rng)
    elif p.has("castle"):
        build.castle(ctx, ctx.x(0.2 if left else 0.8), top, ctx.u(0.4), 0.05, rng)
    elif p.has("houses", "village"):
        build.house(ctx, ctx.x(0.2 if left else 0.8), top + ctx.u(0.01), ctx.u(0.15), ctx.u(0.1),
                    0.05, rng)
    _hero_figure(ctx, edge - ctx.u(0.1) * (1 if left else -1), top + ctx.u(0.01))


def _lighthouse(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    _distant_coast(ctx, 0.35)
    land.water(ctx, hy, calm=0.25 if p.stormy else 0.7)
    land.waves(ctx, hy, 6, p.stormy, ctx.drng)
    fx = float(rng.choice([0.3, 0.68]))
    x = ctx.x(fx)
    base = hy + (cv.h - hy) * 0.5
    rock_col = p.colour_of("rocks", rgb("#6a655f"))
    rock_pile(ctx, x, base + ctx.u(0.05), ctx.u(0.62), ctx.u(0.24), rock_col, 0.0, rng, 7)
    foot = base - ctx.u(0.13)
    height = min(cv.h * 0.56, (foot - cv.h * 0.05) / 1.03)
    if rng.random() < 0.5:
        build.house(ctx, x + ctx.u(0.13) * (1 if fx < 0.5 else -1), foot + ctx.u(0.045),
                    ctx.u(0.11), ctx.u(0.065), 0.0, rng)
    lamp = build.lighthouse(ctx, x, foot + ctx.u(0.01), height, 0.0, rng)
    if p.look.windows > 0.3 or p.stormy:
        build.beams(ctx, *lamp, 0.8 + 0.4 * p.look.night, rng)
    # Surf around the foot of the rocks and spray flung up the sides.
    foam = ctx.bright((0.95, 0.97, 1.0))
    surf = cv.shapes()
    for k in range(24):
        t = (k + 0.5) / 24
        sx = x + (t - 0.5) * ctx.u(0.7)
        r = ctx.u(0.018 + 0.02 * math.sin(math.pi * t)) * float(rng.uniform(0.7, 1.2))
        surf.ellipse(sx, base + ctx.u(0.05) + float(rng.uniform(-0.01, 0.01)) * cv.unit, r * 1.6, r)
    sm = surf.mask()
    if sm is not None:
        sm.a = blur(sm.a, ctx.u(0.003))
        cv.fill(sm, foam, 0.85)
    if p.stormy or p.has("waves"):
        spray = cv.shapes()
        for side in (-1, 1):
            sx0 = x + side * ctx.u(0.28)
            for _ in range(60):
                a = float(rng.uniform(0.15, 1.2))
                d = ctx.u(float(rng.uniform(0.02, 0.25))) * (1 - a / 2.5)
                r = ctx.u(float(rng.uniform(0.002, 0.009)))
                spray.ellipse(sx0 + side * math.cos(a) * d * 0.6, base - math.sin(a) * d, r, r)
        spm = spray.mask()
        if spm is not None:
            spm.a = blur(spm.a, ctx.u(0.0015))
            cv.fill(spm, foam, 0.8)
    near_top = base + ctx.u(0.06)
    land.waves(ctx, near_top, 3, p.stormy or p.has("waves"), ctx.drng)
    if p.has("boats") and not p.stormy:
        build.boat(ctx, ctx.x(1 - fx), hy + (cv.h - hy) * 0.25, ctx.u(0.12), 0.1, rng, True)
    _hero_figure(ctx, x - ctx.u(0.14) * (1 if fx < 0.5 else -1), foot + ctx.u(0.06))


def _harbour(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    shore = land.hills(ctx, hy + 1, ctx.u(0.05), mix(GRASS, rgb("#6a88a8"), 0.35), 0.45, rng,
                       texture=False)
    build.village(ctx, _crest_points(ctx, shore, 0.02, 0.98), ctx.u(0.05), 0.35, rng, 9)
    if p.has("lighthouse"):
        lx = float(rng.choice([0.1, 0.9]))
        build.lighthouse(ctx, ctx.x(lx), hy + ctx.u(0.01), ctx.u(0.22), 0.3, rng)
    market = p.has("market") or p.has("awnings")
    # A boat or a swimmer in front needs the harbour's water to reach the viewer.
    moorings = hy + (cv.h - hy) * (0.3 if market else 0.62)
    quay = moorings if market or not ctx.subject_afloat else hy + (cv.h - hy) * 0.92
    land.water(ctx, hy + 1, quay + ctx.u(0.005), calm=0.6 if not p.stormy else 0.3)
    boats = sorted(float(rng.uniform(0.1, 0.9)) for _ in range(int(rng.integers(3, 6))))
    rows = sorted((float(rng.uniform(0.15, 0.85)), fx) for fx in boats)
    # Moored boats keep to the far water when a subject floats in front.
    reach = 0.45 if quay > moorings else 1.0
    for d, fx in rows:
        by = hy + (moorings - hy) * d * reach
        build.boat(ctx, ctx.x(fx), by, (by - hy) * 1.6 + ctx.u(0.03), 0.1 * (1 - d), rng,
                   rng.random() < 0.6)
    # The quay: a stone wall, then paving to the bottom.
    wall = cv.shapes().rect(-1, quay, cv.w + 1, quay + ctx.u(0.05))
    cv.fill(wall.mask(), ctx.lit(rgb("#8a8070"), 0.0, 0.6))
    courses = cv.shapes()
    for k in range(int(cv.aspect * 14) + 1):
        bx = ctx.u(k / 14)
        courses.line([(bx, quay), (bx, quay + ctx.u(0.05))], ctx.u(0.002))
    courses.line([(0, quay + ctx.u(0.025)), (cv.w, quay + ctx.u(0.025))], ctx.u(0.002))
    cv.fill(courses.mask(), ctx.lit(rgb("#5a5248"), 0.0, 0.5), 0.6)
    paving = p.colour_of("street", rgb("#b8a890"))
    land.ground_plane(ctx, quay + ctx.u(0.05), paving, 0.8)
    if market:
        stall_base = quay + (cv.h - quay) * 0.78
        crowd = p.has("crowd") or "bustling" in p.moods
        _people(ctx, lambda fx: quay, ((quay + ctx.u(0.02)) / cv.h, (quay + ctx.u(0.1)) / cv.h),
                int((16 if crowd else 6) * cv.aspect / 1.78))
        if p.has("flags") or "joyful" in p.moods or crowd or rng.random() < 0.6:
            build.bunting(ctx, -ctx.u(0.05), cv.w + ctx.u(0.05), quay - ctx.u(0.12), ctx.u(0.05),
                          rng, ctx.u(0.03))
        n = max(3, int(cv.aspect * 1.8))
        for k in range(n):
            fx = (k + 0.5) / n + float(rng.uniform(-0.02, 0.02))
            build.stall(ctx, ctx.x(fx), stall_base, ctx.u(0.34), 0.0, rng)
        front = sorted(float(rng.uniform(0.0, 1.0)) for _ in range(3 if crowd else 1))
        for fx in front:
            base = cv.h * float(rng.uniform(0.97, 1.0))
            figure(ctx, ctx.x(fx), base, cv.h * 0.3, p.accent(rng), 0.0, rng,
                   facing=1 if rng.random() < 0.5 else -1)
    else:
        for fx in (0.15, 0.85):
            post = cv.shapes().line([(ctx.x(fx), quay + ctx.u(0.15)),
                                     (ctx.x(fx), quay - ctx.u(0.2))], ctx.u(0.008))
            cv.fill(post.mask(), ctx.lit(rgb("#2e2a28"), 0.0, 0.4))
            lantern(ctx, ctx.x(fx), quay - ctx.u(0.2), ctx.u(0.04), p.look.windows + 0.1,
                    hanging=False)
        if p.has("crowd"):
            _people(ctx, lambda fx: quay, ((quay + ctx.u(0.1)) / cv.h, 0.99), 8)
        _hero_figure(ctx, ctx.x(0.55), cv.h * 0.93)


# ---- towns -----------------------------------------------------------------------

def _city(ctx: Ctx) -> None:
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    build.skyline(ctx, hy + 1, ctx.u(0.3), 0.5, rng, windows=True)
    build.skyline(ctx, hy + 1, ctx.u(0.22), 0.25, rng, windows=True)
    if p.has("river", "harbour", "sea", "bridge") or rng.random() < 0.5:
        land.water(ctx, hy + 1, calm=0.8)
        if p.has("bridge"):
            build.bridge(ctx, -ctx.u(0.1), cv.w + ctx.u(0.1), hy + (cv.h - hy) * 0.18,
                         ctx.u(0.09), 0.1)
        if p.has("boats"):
            build.boat(ctx, ctx.x(0.3), hy + (cv.h - hy) * 0.5, ctx.u(0.18), 0.0, rng, False)
        near_top = hy + (cv.h - hy) * 0.78
        land.ground_plane(ctx, near_top, rgb("#8a8278"), 0.6)
    else:
        near_top = hy + (cv.h - hy) * 0.1
        land.ground_plane(ctx, hy + 1, rgb("#8f877c"), 0.8)
        build.skyline(ctx, near_top, ctx.u(0.5), 0.05, rng, windows=True)
        land.ground_plane(ctx, near_top + 1, rgb("#7f786f"), 0.8)
    for fx in (0.1, 0.9):
        post = cv.shapes().line([(ctx.x(fx), cv.h), (ctx.x(fx), near_top - ctx.u(0.1))],
                                ctx.u(0.008))
        cv.fill(post.mask(), ctx.lit(rgb("#2a2a2e"), 0.0, 0.4))
        lantern(ctx, ctx.x(fx), near_top - ctx.u(0.1), ctx.u(0.04), p.look.windows + 0.05,
                hanging=False)
    _extras(ctx, lambda fx: near_top, near_top, ctx.x(0.4))


@tagged("street")
def _street(ctx: Ctx) -> None:
    """A street in one-point perspective, façades on both sides."""
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    vx = ctx.x(float(rng.uniform(0.42, 0.58)))
    if p.has("city", "skyline"):
        build.skyline(ctx, hy + 1, ctx.u(0.35), 0.45, rng, windows=True)
    else:
        _far(ctx, "hills")
    f = cv.h * 0.55  # focal length in pixels
    cam = 1.6  # eye height in metres
    half = 4.0  # half the street's width

    def proj(x: float, y: float, z: float) -> tuple[float, float]:
        return vx + f * x / z, hy + f * (cam - y) / z

    land.ground_plane(ctx, hy + 1, p.colour_of("street", rgb("#a89a86")), 0.9)
    # Cobbles: rows of joints that close up toward the horizon.
    joints = cv.shapes()
    for k in range(1, 60):
        z = 1.5 * 1.08**k
        y0 = proj(0, 0, z)[1]
        joints.line([(proj(-half, 0, z)[0], y0), (proj(half, 0, z)[0], y0)],
                    max(0.4, f * 0.02 / z))
    for xk in np.linspace(-half, half, 11):
        joints.line([proj(float(xk), 0, 1.2), proj(float(xk), 0, 120)], max(0.4, cv.S(0.0015)))
    cv.fill(joints.mask(), ctx.lit(rgb("#6a6054"), 0.1, 0.5), 0.35)
    walls = list(WALLS_STREET)
    for side in (-1, 1):
        z = 1.2
        while z < 90:
            depth = float(rng.uniform(5, 10)) * (z / 8) ** 0.3
            z1 = z + depth
            height = float(rng.uniform(7, 13))
            wall = walls[int(rng.integers(len(walls)))]
            x = side * half
            a, b = proj(x, 0, z), proj(x, 0, z1)
            c, d = proj(x, height, z1), proj(x, height, z)
            fade = min(0.8, p.haze * 1.5 * (z / 60))
            facade = cv.shapes().poly([a, b, c, d])
            lit_side = (side < 0) == (ctx.light_dir > 0)
            cv.fill(facade.mask(), ctx.lit(wall, fade, 0.85 if lit_side else 0.4))
            roof_h = height + 1.4
            roof = cv.shapes().poly([d, c, proj(x + side * 1.5, roof_h, z1),
                                     proj(x + side * 1.5, roof_h, z)])
            cv.fill(roof.mask(), ctx.lit(ROOFS_STREET[int(rng.integers(len(ROOFS_STREET)))],
                                         fade, 0.6))
            edge = cv.shapes().line([a, d], max(0.5, f * 0.05 / z))
            cv.fill(edge.mask(), ctx.lit(scale(wall, 0.6), fade, 0.4), 0.7)
            wins = cv.shapes()
            n = max(1, int(depth / 2.6))
            floors = max(2, int(height / 3.2))
            for i in range(n):
                za = z + depth * (i + 0.3) / n
                zb = z + depth * (i + 0.7) / n
                for fl in range(1, floors):
                    ya, yb = fl * 3.2 + 0.6, fl * 3.2 + 2.2
                    wins.poly([proj(x, ya, za), proj(x, ya, zb), proj(x, yb, zb),
                               proj(x, yb, za)])
            build.paint_window(ctx, wins, rng, fade)
            door_z = z + depth * 0.5
            door = cv.shapes().poly([proj(x, 0, door_z - 0.6), proj(x, 0, door_z + 0.6),
                                     proj(x, 2.3, door_z + 0.6), proj(x, 2.3, door_z - 0.6)])
            cv.fill(door.mask(), ctx.lit(rgb("#4a3428"), fade, 0.5))
            if p.has("awnings", "market") and rng.random() < 0.7:
                col = p.colour_of("awnings", p.accent(rng))
                aw = cv.shapes().poly([proj(x, 3.0, z + 0.3), proj(x, 3.0, z1 - 0.3),
                                       proj(x - side * 1.6, 2.4, z1 - 0.3),
                                       proj(x - side * 1.6, 2.4, z + 0.3)])
                cv.fill(aw.mask(), ctx.lit(col, fade, 0.9))
                stripes = cv.shapes()
                for s_i in range(6):
                    t0 = z + 0.3 + (z1 - z - 0.6) * s_i / 6
                    t1 = t0 + (z1 - z - 0.6) / 12
                    stripes.poly([proj(x, 3.0, t0), proj(x, 3.0, t1),
                                  proj(x - side * 1.6, 2.4, t1), proj(x - side * 1.6, 2.4, t0)])
                cv.fill(stripes.mask(), ctx.lit(rgb("#f4efe4"), fade, 0.9))
            z = z1 + float(rng.uniform(0, 0.6))
    # Street lamps along one side.
    lamp_side = -1 if rng.random() < 0.5 else 1
    for z in (3.0, 7.0, 14.0, 28.0):
        x = lamp_side * (half - 0.7)
        foot, head = proj(x, 0, z), proj(x, 3.6, z)
        post = cv.shapes().line([foot, head], max(0.5, f * 0.09 / z))
        cv.fill(post.mask(), ctx.lit(rgb("#2a2826"), 0.0, 0.4))
        lantern(ctx, head[0], head[1], f * 0.5 / z, p.look.windows + 0.05, hanging=False)
    if p.has("market", "crowd") or "bustling" in p.moods:
        _people(ctx, lambda fx: hy, (hy / cv.h + 0.06, 0.98), 12)
    if p.has("flags") or "joyful" in p.moods:
        for z in (4.0, 9.0):
            l_pt, r_pt = proj(-half, 5.5, z), proj(half, 5.5, z)
            build.bunting(ctx, l_pt[0], r_pt[0], l_pt[1], f * 1.2 / z, rng, f * 0.35 / z)
    _hero_figure(ctx, vx + ctx.u(0.08), cv.h * 0.92)


WALLS_STREET = tuple(rgb(h) for h in ("#e8d6b4", "#d9a88a", "#c9b89a", "#e6cfa0", "#b8c0c8",
                                      "#d8b0a0", "#efe6d2"))
ROOFS_STREET = tuple(rgb(h) for h in ("#7a4a38", "#5a5a62", "#8a5a3a", "#4a4a50"))


def _market(ctx: Ctx) -> None:
    """A market square: houses behind, striped stalls, people."""
    cv = ctx.cv
    rng = ctx.rng
    p = ctx.plan
    hy = ctx.y(ctx.horizon)
    _far(ctx, "hills")
    back = hy + (cv.h - hy) * 0.08
    x = -ctx.u(0.05)
    while x < cv.w + ctx.u(0.1):
        w = ctx.u(float(rng.uniform(0.16, 0.24)))
        build.house(ctx, x + w / 2, back + ctx.u(0.05), w, w * float(rng.uniform(0.9, 1.4)),
                    0.1, rng)
        x += w * 1.25
    land.ground_plane(ctx, back + ctx.u(0.05), p.colour_of("market", rgb("#c2b096")), 0.8)
    n = max(3, int(cv.aspect * 2.0))
    for k in range(n):
        fx = (k + 0.5) / n + float(rng.uniform(-0.03, 0.03))
        build.stall(ctx, ctx.x(fx), hy + (cv.h - hy) * 0.62, ctx.u(0.3), 0.0, rng)
    if p.has("flags") or "joyful" in p.moods or "bustling" in p.moods or rng.random() < 0.6:
        build.bunting(ctx, -ctx.u(0.05), cv.w + ctx.u(0.05), hy - ctx.u(0.02), ctx.u(0.06), rng,
                      ctx.u(0.035))
    count = 16 if p.has("crowd") or "bustling" in p.moods else 7
    _people(ctx, lambda fx: hy, (hy / cv.h + 0.25, 0.99), int(count * cv.aspect / 1.78))
    _hero_figure(ctx, ctx.x(0.5), cv.h * 0.96)


LAVA = (rgb("#ff4a10"), rgb("#ff8a1c"), rgb("#ffd25a"))
BASALT = rgb("#3a3230")


def _volcano(ctx: Ctx) -> None:
    """A volcano erupting: a dark cone, a glowing crater and plume, lava running down
    its sides and winding toward the viewer across black rock."""
    cv = ctx.cv
    rng = ctx.rng
    hy = ctx.y(ctx.horizon)
    _far(ctx, "hills")
    cx = ctx.x(float(rng.uniform(0.38, 0.62)))
    top = hy - ctx.u(0.42)
    crater = ctx.u(0.07)
    foot = min(cv.w * 0.5, ctx.u(0.85))
    cone = cv.shapes().poly([(cx - foot, hy + ctx.u(0.02)), (cx - crater * 1.4, top + ctx.u(0.015)),
                             (cx - crater, top), (cx + crater, top),
                             (cx + crater * 1.4, top + ctx.u(0.015)),
                             (cx + foot, hy + ctx.u(0.02))])
    with cv.tagged("volcano"):
        m = cone.mask()
        if m is not None:
            xs = (np.arange(m.x0, m.x1, dtype=np.float32) + 0.5 - cx) / foot
            side = np.clip(0.5 + 0.6 * xs * ctx.light_dir, 0, 1)
            lit = np.asarray(ctx.lit(rgb("#5a4a44"), 0.1, 0.9), dtype=np.float32)
            dark = np.asarray(ctx.lit(BASALT, 0.1, 0.2), dtype=np.float32)
            cv.fill(m, (dark + (lit - dark) * side[None, :, None]).astype(np.float32))
        # The eruption: a glow in the crater, a plume of ash lit from below, embers.
        glow = cv.shapes().ellipse(cx, top, crater * 1.05, ctx.u(0.02))
        gm = glow.mask()
        cv.fill(gm, LAVA[2])
        cv.emit(gm, LAVA[1], 3.0)
        cv.add(cv.radial(cx, top, ctx.u(0.25), "inverse"), LAVA[0], 0.5)
        plume = cv.shapes()
        for k in range(12):
            t = k / 11
            r = ctx.u(0.05 + 0.13 * t)
            plume.ellipse(cx + ctx.u(0.14) * t * float(rng.uniform(-1, 1)),
                          top - ctx.u(0.04) - ctx.u(0.45) * t, r, r * 0.8)
        pm = plume.mask()
        if pm is not None:
            ys = (np.arange(pm.y0, pm.y1, dtype=np.float32) - pm.y0) / max(1, pm.y1 - pm.y0)
            ash = np.asarray(mix(rgb("#5a4e50"), ctx.plan.look.horizon, 0.25), dtype=np.float32)
            hot = np.asarray(rgb("#c8502a"), dtype=np.float32)
            col = ash + (hot - ash) * (ys ** 3)[:, None, None]
            cv.fill(pm, np.broadcast_to(col, (*pm.a.shape, 3)).astype(np.float32), 0.92)
        embers = cv.shapes()
        for _ in range(40):
            a = float(rng.uniform(-2.6, -0.5))
            d = ctx.u(float(rng.uniform(0.03, 0.3)))
            rr = ctx.u(float(rng.uniform(0.002, 0.006)))
            embers.ellipse(cx + math.cos(a) * d, top + math.sin(a) * d * 0.9, rr, rr)
        em = embers.mask()
        cv.fill(em, LAVA[2])
        cv.emit(em, LAVA[1], 1.5)
    with cv.tagged("lava"):
        flows = cv.shapes()
        for k in range(3):
            sgn = (-1, 1, -0.3)[k]
            pts = []
            for j in range(9):
                t = j / 8
                x = cx + sgn * crater * 0.8 + sgn * foot * 0.55 * t + ctx.u(0.03) * math.sin(
                    t * 7 + k)
                pts.append((x, top + (hy - top) * t))
            flows.line(pts, ctx.u(0.012 + 0.008 * k))
        fm = flows.mask()
        cv.fill(fm, LAVA[1])
        cv.emit(fm, LAVA[0], 1.4)
        land.ground_plane(ctx, hy + ctx.u(0.02), BASALT, 1.0)
        _lava_river(ctx, hy + ctx.u(0.02), cx)
    rock_pile(ctx, ctx.x(float(rng.choice([0.12, 0.88]))), cv.h + ctx.u(0.01), ctx.u(0.35),
              ctx.u(0.12), BASALT, 0.0, rng)
    _extras(ctx, lambda fx: hy, hy + (cv.h - hy) * 0.5, ctx.x(0.7))


def _lava_river(ctx: Ctx, top: float, start_x: float) -> None:
    """A river of lava winding from the volcano's foot to the bottom of the picture."""
    cv = ctx.cv
    rng = ctx.rng
    bend = float(rng.uniform(0.12, 0.22)) * (1 if start_x < cv.w / 2 else -1)
    left: list[tuple[float, float]] = []
    right: list[tuple[float, float]] = []
    for k in range(33):
        d = k / 32
        y = top + (cv.h + 2 - top) * d
        c = start_x + cv.w * bend * math.sin(d * 2.6) * d
        half = ctx.u(0.01) + ctx.u(0.22) * d ** 1.3
        left.append((c - half, y))
        right.append((c + half, y))
    m = cv.shapes().poly([*left, *reversed(right)]).mask()
    if m is None:
        return
    crust = noise(ctx.drng, m.a.shape[1], m.a.shape[0], ctx.u(0.02))
    heat = np.clip((crust - 0.35) * 2.2, 0, 1)[..., None]
    dark = np.asarray(LAVA[0], dtype=np.float32) * 0.55
    hot = np.asarray(LAVA[2], dtype=np.float32)
    cv.fill(m, (dark + (hot - dark) * heat).astype(np.float32))
    cv.emit(m, LAVA[1], 0.9)


def _waterfall(ctx: Ctx) -> None:
    places.waterfall(ctx)
    _extras(ctx, _flat(ctx.cv.h * 0.82), ctx.cv.h * 0.82, ctx.x(0.3))


def _canyon(ctx: Ctx) -> None:
    places.canyon(ctx)
    hy = ctx.y(ctx.horizon)
    _extras(ctx, _flat(hy), hy + (ctx.cv.h - hy) * 0.5, ctx.x(0.5))


def _glacier(ctx: Ctx) -> None:
    places.glacier(ctx)
    hy = ctx.y(ctx.horizon)
    _extras(ctx, _flat(hy), hy + (ctx.cv.h - hy) * 0.5, ctx.x(0.55))


def _swamp(ctx: Ctx) -> None:
    places.swamp(ctx)
    hy = ctx.y(ctx.horizon)
    _extras(ctx, _flat(hy), hy + (ctx.cv.h - hy) * 0.6, ctx.x(0.5))


def _jungle(ctx: Ctx) -> None:
    places.jungle(ctx)
    hy = ctx.y(ctx.horizon)
    _extras(ctx, _flat(hy), hy + (ctx.cv.h - hy) * 0.5, ctx.x(0.5))


_TEMPLATES: dict[str, Callable[[Ctx], None]] = {
    "hills": _hills, "meadow": _meadow, "field": _field, "garden": _garden, "forest": _forest,
    "pines": _forest, "mountains": _mountains, "lake": _lake, "river": _river,
    "bridge": _river, "desert": _desert, "dunes": _desert, "village": _village,
    "castle": _castle, "tower": _tower, "sea": _sea, "island": _sea, "beach": _beach,
    "cliffs": _cliffs, "lighthouse": _lighthouse, "harbour": _harbour, "city": _city,
    "skyline": _city, "street": _street, "market": _market, "volcano": _volcano,
    "waterfall": _waterfall, "canyon": _canyon, "glacier": _glacier, "swamp": _swamp,
    "jungle": _jungle,
}


# ---- weather ---------------------------------------------------------------------

def weather(ctx: Ctx) -> None:
    """Rain, snow and mist over the finished landscape."""
    p = ctx.plan
    if "mist" in p.weather:
        ground_fog(ctx, 0.5)
        # Fog veils everything a little, thickest toward the horizon.
        cv = ctx.cv
        rows = np.arange(cv.h, dtype=np.float32)
        hy = ctx.y(ctx.horizon)
        veil = 0.12 + 0.2 * np.exp(-(((rows - hy) / (cv.h * 0.25)) ** 2))
        veil_mask = Mask(np.repeat(veil[:, None], cv.w, axis=1).astype(np.float32), 0, 0)
        cv.fill(veil_mask, mix(p.look.haze, (0.92, 0.92, 0.94), 0.4))
    elif p.haze > 0.25:
        ground_fog(ctx, 0.25)
    if "rain" in p.weather:
        rain(ctx, 1.6 if p.stormy else 1.0)
    if "snow" in p.weather:
        snow(ctx, 1.3 if p.stormy else 1.0)


@tagged("mist")
def ground_fog(ctx: Ctx, strength: float) -> None:
    """Low mist that thickens toward the horizon."""
    cv = ctx.cv
    hy = ctx.y(ctx.horizon)
    land.mist_band(ctx, hy + ctx.u(0.02), ctx.u(0.08), strength, ctx.drng)
    land.mist_band(ctx, hy + (cv.h - hy) * 0.45, ctx.u(0.06), strength * 0.6, ctx.drng)


@tagged("rain")
def rain(ctx: Ctx, amount: float) -> None:
    """Slanting streaks of rain in two depths, and a wet haze."""
    cv = ctx.cv
    rng = ctx.drng
    look = ctx.plan.look
    slant = float(ctx.rng.uniform(-0.25, 0.25))
    cv.fill(Mask(np.full((cv.h, cv.w), 0.12 * amount, dtype=np.float32), 0, 0),
            mix(look.haze, (0.6, 0.65, 0.7), 0.3))
    for depth, n, ln, wd, alpha in ((0, 700, 0.035, 0.0016, 0.36), (1, 260, 0.075, 0.003, 0.45)):
        streaks = cv.shapes()
        count = int(n * amount * cv.aspect)
        xs = rng.uniform(-0.1, 1.1, count) * cv.w
        ys = rng.uniform(-0.05, 1.0, count) * cv.h
        lens = cv.S(ln) * rng.uniform(0.6, 1.3, count)
        for x, y, L in zip(xs, ys, lens, strict=True):
            streaks.line([(float(x), float(y)), (float(x + slant * L), float(y + L))],
                         max(cv.S(wd), 0.35))
        colour = mix(look.horizon, (0.85, 0.88, 0.95), 0.5)
        cv.fill(streaks.mask(), saturate(colour, 0.5), alpha * (1 + 0.5 * depth))


@tagged("snow")
def snow(ctx: Ctx, amount: float) -> None:
    """Falling flakes: small and sharp far away, big and soft near."""
    cv = ctx.cv
    rng = ctx.drng
    colour = mix(ctx.lit((1.0, 1.0, 1.0), 0.0, 1.0), (1.0, 1.0, 1.0), 0.4)
    for n, r0, r1, soft in ((900, 0.0015, 0.003, 0.0), (300, 0.003, 0.006, 0.0008),
                            (60, 0.006, 0.011, 0.002)):
        flakes = cv.shapes()
        count = int(n * amount * cv.aspect / 1.78)
        xs = rng.uniform(0, cv.w, count)
        ys = rng.uniform(0, cv.h, count)
        rs = cv.S(1.0) * rng.uniform(r0, r1, count)
        for x, y, r in zip(xs, ys, rs, strict=True):
            flakes.ellipse(float(x), float(y), max(float(r), 0.35), max(float(r), 0.35))
        m = flakes.mask()
        if m is not None and soft > 0:
            m.a = blur(m.a, cv.S(soft))
        cv.fill(m, colour, 0.9)

