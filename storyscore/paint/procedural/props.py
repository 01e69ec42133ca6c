"""Drawings named by data: the concepts whose vocabulary entry says how to draw them.

``vocabulary.yaml``'s ``drawn:`` section gives a concept a drawing routine and its
parameters (colours, size, how many, roof shape, marks); the routines here turn
them into shapes. A school and a hospital are the same routine, a front-facing
building, with a bell tower and a clock for one and a red cross for the other.

Each routine draws under the concept's own name, so the layout report lists it.
A routine works on one of four layers: ``ground`` (standing on the land),
``sky``, ``room`` (furniture, which makes the scene a room) or ``scene`` (a whole
layer: a sea of clouds, wind, a frozen lake).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from storyscore.paint.procedural.canvas import RGB, Shapes, mix, rgb, scale
from storyscore.paint.procedural.concepts import VOCABULARY, DrawnSpec
from storyscore.paint.procedural.draw import Ctx, bare_tree, palm, pine, round_tree
from storyscore.paint.procedural.outdoor import HORIZONS

DARK = rgb("#2e2824")
WOOD = rgb("#8a5e3c")
METAL = rgb("#6a6e76")
WHITE = rgb("#f2efe6")


@dataclass(frozen=True)
class Spec:
    """A concept's drawing parameters, as colours and numbers."""

    name: str
    draw: str
    colours: tuple[RGB, ...]
    size: float
    count: int
    roof: str
    marks: frozenset[str]
    setting: str | None

    def colour(self, k: int, default: RGB) -> RGB:
        """The ``k``-th colour of the spec, else ``default``."""
        return self.colours[k] if k < len(self.colours) else default


def spec_of(name: str, d: DrawnSpec) -> Spec:
    """The drawing parameters of concept ``name`` from its vocabulary entry."""
    return Spec(
        name,
        d.draw,
        tuple(rgb(c) for c in d.colours),
        d.size,
        d.count,
        d.roof,
        frozenset(d.marks),
        d.setting,
    )


# ---- helpers -------------------------------------------------------------------------


def _lit(ctx: Ctx, colour: RGB, side: float = 0.75) -> RGB:
    """A prop's colour in the scene's light; indoors the lamplight keeps it readable."""
    c = ctx.lit(colour, 0.0, side)
    if ctx.plan.kind == "room":
        return mix(c, scale(colour, 0.75 + 0.2 * side), 0.6)
    # Props are the picture's subject matter: night dims them but they still read.
    return mix(c, scale(colour, 0.45 + 0.2 * side), 0.3 * ctx.plan.look.night)


def _paint(ctx: Ctx, shapes: Shapes, colour: RGB, side: float = 0.75) -> None:
    ctx.cv.fill(shapes.mask(), _lit(ctx, colour, side))


def _glow(ctx: Ctx, shapes: Shapes, colour: RGB, strength: float = 1.0) -> None:
    m = shapes.mask()
    ctx.cv.fill(m, colour)
    ctx.cv.emit(m, colour, strength)


# ---- ground: buildings ----------------------------------------------------------------


def building(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """A building seen from the front: walls, a roof of the spec's shape, windows, a door,
    and marks that say what it is (a clock, a bell, a cross, columns, a sign...)."""
    cv = ctx.cv
    w = s
    h = s * (0.55 if "low" in sp.marks else 0.8 if "tall" not in sp.marks else 1.3)
    wall, roof = sp.colour(0, rgb("#d8c8a8")), sp.colour(1, rgb("#7a3a30"))
    x0, x1, top = x - w / 2, x + w / 2, base - h
    _paint(ctx, cv.shapes().rect(x0, top, x1, base), wall, 0.8)
    if "timber" in sp.marks:
        beams = cv.shapes()
        for k in range(5):
            bx = x0 + w * k / 4
            beams.line([(bx, top), (bx, base)], max(0.6, w * 0.02))
        beams.line([(x0, top + h * 0.5), (x1, top + h * 0.5)], max(0.6, w * 0.02))
        _paint(ctx, beams, rgb("#4a3020"), 0.5)
    if "stripes" in sp.marks:
        stripes = cv.shapes()
        for k in range(0, 8, 2):
            stripes.rect(x0 + w * k / 8, top, x0 + w * (k + 1) / 8, base)
        _paint(ctx, stripes, sp.colour(2, WHITE), 0.85)
    _roof(ctx, sp, x, w, top, roof)
    if "columns" in sp.marks:
        cols = cv.shapes()
        for k in range(6):
            cx = x0 + w * (0.08 + 0.84 * k / 5)
            cols.rect(cx - w * 0.03, top + h * 0.08, cx + w * 0.03, base - h * 0.06)
        _paint(ctx, cols, WHITE, 0.95)
        steps = cv.shapes().rect(x0 - w * 0.04, base - h * 0.06, x1 + w * 0.04, base)
        _paint(ctx, steps, scale(wall, 0.85), 0.9)
    else:
        _windows(ctx, sp, x0, x1, top, base)
    door_w = w * (0.3 if "bigdoor" in sp.marks else 0.14)
    door_h = h * (0.55 if "bigdoor" in sp.marks else 0.4)
    door = cv.shapes().rect(x - door_w / 2, base - door_h, x + door_w / 2, base)
    if "arch" in sp.marks:
        door.ellipse(x, base - door_h, door_w / 2, door_w / 2)
    _paint(
        ctx, door, sp.colour(2, rgb("#5a3a2a")) if "bigdoor" in sp.marks else rgb("#5a3a2a"), 0.5
    )
    for mark in sorted(sp.marks):
        fn = _MARKS.get(mark)
        if fn is not None:
            fn(ctx, sp, x, w, top, base)


def _roof(ctx: Ctx, sp: Spec, x: float, w: float, top: float, colour: RGB) -> None:
    """The roof over a building ``w`` wide whose walls end at ``top``."""
    cv = ctx.cv
    r = cv.shapes()
    if sp.roof == "gable":
        r.poly(
            [(x - w * 0.58, top + w * 0.02), (x, top - w * 0.32), (x + w * 0.58, top + w * 0.02)]
        )
    elif sp.roof == "flat":
        r.rect(x - w * 0.54, top - w * 0.05, x + w * 0.54, top + w * 0.01)
    elif sp.roof == "dome":
        r.ellipse(x, top, w * 0.3, w * 0.3)
        r.rect(x - w * 0.5, top - w * 0.03, x + w * 0.5, top + w * 0.01)
    elif sp.roof == "spire":
        r.poly(
            [(x - w * 0.55, top + w * 0.02), (x, top - w * 0.25), (x + w * 0.55, top + w * 0.02)]
        )
        r.rect(x - w * 0.1, top - w * 0.55, x + w * 0.1, top)
        r.poly(
            [(x - w * 0.13, top - w * 0.55), (x, top - w * 1.05), (x + w * 0.13, top - w * 0.55)]
        )
    elif sp.roof == "pediment":
        r.poly([(x - w * 0.56, top + w * 0.01), (x, top - w * 0.2), (x + w * 0.56, top + w * 0.01)])
    elif sp.roof == "pagoda":
        for k in range(3):
            ty = top - w * 0.22 * k
            ww = w * (0.62 - 0.12 * k)
            r.poly(
                [
                    (x - ww, ty + w * 0.04),
                    (x - ww * 0.7, ty - w * 0.1),
                    (x + ww * 0.7, ty - w * 0.1),
                    (x + ww, ty + w * 0.04),
                ]
            )
            if k < 2:
                r.rect(x - ww * 0.55, ty - w * 0.22, x + ww * 0.55, ty - w * 0.08)
        r.line([(x, top - w * 0.54), (x, top - w * 0.75)], max(0.6, w * 0.02))
    elif sp.roof == "saw":
        for k in range(4):
            a = x - w / 2 + w * k / 4
            r.poly([(a, top + w * 0.01), (a, top - w * 0.15), (a + w / 4, top + w * 0.01)])
    elif sp.roof == "onion":
        r.ellipse(x, top - w * 0.12, w * 0.22, w * 0.2)
        r.poly(
            [(x - w * 0.12, top - w * 0.25), (x, top - w * 0.48), (x + w * 0.12, top - w * 0.25)]
        )
        r.rect(x - w * 0.5, top - w * 0.03, x + w * 0.5, top + w * 0.01)
    _paint(ctx, r, colour, 0.7)


def _windows(ctx: Ctx, sp: Spec, x0: float, x1: float, top: float, base: float) -> None:
    """Rows of windows, lit at night."""
    cv = ctx.cv
    w, h = x1 - x0, base - top
    rows = 1 if "low" in sp.marks else 3 if "tall" in sp.marks else 2
    cols = 6 if "glass" in sp.marks else 4
    wins = cv.shapes()
    for r in range(rows):
        wy0 = top + h * (0.12 + 0.5 * r / rows)
        for c in range(cols):
            if rows > 1 and r == rows - 1 and c in (cols // 2 - 1, cols // 2) and cols == 4:
                continue  # the door stands here
            wx = x0 + w * (0.12 + 0.76 * c / (cols - 1))
            wins.rect(wx - w * 0.05, wy0, wx + w * 0.05, wy0 + h * 0.42 / rows)
    night = ctx.plan.look.windows
    glass = mix(rgb("#3a4a5c"), rgb("#ffd27a"), min(1.0, night * 1.2))
    if "glass" in sp.marks:
        glass = mix(rgb("#a8d8e0"), glass, 0.5 * night)
    m = wins.mask()
    cv.fill(m, _lit(ctx, glass, 0.9) if night < 0.3 else glass)
    if night > 0.3:
        cv.emit(m, rgb("#ffc46a"), 0.8 * night)


def _clock(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    cy = top + (base - top) * 0.15 if sp.roof != "spire" else top - w * 0.38
    r = w * 0.09
    _paint(ctx, cv.shapes().ellipse(x, cy, r, r), WHITE, 0.95)
    hands = cv.shapes().line([(x, cy - r * 0.75), (x, cy), (x + r * 0.55, cy)], max(0.5, r * 0.15))
    _paint(ctx, hands, DARK, 0.4)


def _bell(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    t = cv.shapes().rect(x - w * 0.12, top - w * 0.5, x + w * 0.12, top)
    _paint(ctx, t, sp.colour(0, WHITE), 0.8)
    cap = cv.shapes().poly(
        [(x - w * 0.17, top - w * 0.5), (x, top - w * 0.72), (x + w * 0.17, top - w * 0.5)]
    )
    _paint(ctx, cap, sp.colour(1, DARK), 0.7)
    hole = cv.shapes().rect(x - w * 0.07, top - w * 0.44, x + w * 0.07, top - w * 0.26)
    _paint(ctx, hole, DARK, 0.3)
    bell = cv.shapes().poly(
        [
            (x - w * 0.05, top - w * 0.28),
            (x - w * 0.03, top - w * 0.4),
            (x + w * 0.03, top - w * 0.4),
            (x + w * 0.05, top - w * 0.28),
        ]
    )
    _paint(ctx, bell, rgb("#e0b040"), 0.9)


def _cross(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    y = top - (w * 1.05 if sp.roof == "spire" else w * 0.32)
    c = ctx.cv.shapes()
    c.line([(x, y), (x, y - w * 0.16)], max(0.6, w * 0.025))
    c.line([(x - w * 0.05, y - w * 0.11), (x + w * 0.05, y - w * 0.11)], max(0.6, w * 0.025))
    _paint(ctx, c, rgb("#d8b040"), 0.9)


def _redcross(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    cy = top + (base - top) * 0.2
    plate = cv.shapes().rect(x - w * 0.1, cy - w * 0.1, x + w * 0.1, cy + w * 0.1)
    _paint(ctx, plate, WHITE, 0.95)
    c = cv.shapes().rect(x - w * 0.075, cy - w * 0.025, x + w * 0.075, cy + w * 0.025)
    c.rect(x - w * 0.025, cy - w * 0.075, x + w * 0.025, cy + w * 0.075)
    _paint(ctx, c, rgb("#d82a2a"), 0.95)


def _sign(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    y = top + (base - top) * 0.05
    board = cv.shapes().rect(x - w * 0.3, y, x + w * 0.3, y + (base - top) * 0.14)
    _paint(ctx, board, sp.colour(3, rgb("#f0d070")), 0.9)
    letters = cv.shapes()
    for k in range(5):
        lx = x - w * 0.22 + w * 0.11 * k
        letters.rect(lx, y + (base - top) * 0.04, lx + w * 0.06, y + (base - top) * 0.1)
    _paint(ctx, letters, DARK, 0.4)


def _awning(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    y = top + (base - top) * 0.42
    for k in range(8):
        a = x - w * 0.5 + w * k / 8
        stripe = cv.shapes().poly(
            [
                (a, y),
                (a + w / 8, y),
                (a + w / 8 + w * 0.02, y + w * 0.12),
                (a + w * 0.02, y + w * 0.12),
            ]
        )
        _paint(ctx, stripe, sp.colour(3, rgb("#d84a3a")) if k % 2 else WHITE, 0.85)


def _chimney(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    stacks = cv.shapes()
    n = 2 if "smoke" in sp.marks else 1
    for k in range(n):
        cx = x + w * (0.3 - 0.2 * k)
        stacks.rect(cx - w * 0.04, top - w * (0.5 + 0.1 * k), cx + w * 0.04, top)
        if "smoke" in sp.marks:
            puffs = cv.shapes()
            for j in range(4):
                puffs.ellipse(
                    cx + w * 0.05 * j,
                    top - w * (0.58 + 0.1 * k + 0.09 * j),
                    w * (0.05 + 0.02 * j),
                    w * (0.04 + 0.015 * j),
                )
            _paint(ctx, puffs, rgb("#b8b4ae"), 0.9)
    _paint(ctx, stacks, rgb("#8a4a3a"), 0.6)


def _flag(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    px = x + w * 0.38
    pole = cv.shapes().line([(px, top), (px, top - w * 0.4)], max(0.5, w * 0.012))
    _paint(ctx, pole, DARK, 0.5)
    flag = cv.shapes().poly(
        [(px, top - w * 0.4), (px + w * 0.16, top - w * 0.35), (px, top - w * 0.3)]
    )
    _paint(ctx, flag, sp.colour(3, rgb("#d83a3a")), 0.9)


def _minaret(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    for side in (-1, 1):
        mx = x + side * w * 0.62
        t = cv.shapes().rect(mx - w * 0.04, base - w * 1.3, mx + w * 0.04, base)
        t.poly(
            [
                (mx - w * 0.05, base - w * 1.3),
                (mx, base - w * 1.45),
                (mx + w * 0.05, base - w * 1.3),
            ]
        )
        _paint(ctx, t, sp.colour(0, WHITE), 0.85)


def _slit(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    slit = ctx.cv.shapes().rect(x - w * 0.03, top - w * 0.28, x + w * 0.03, top)
    _paint(ctx, slit, DARK, 0.3)
    tube = ctx.cv.shapes().line([(x, top - w * 0.1), (x + w * 0.2, top - w * 0.4)], w * 0.05)
    _paint(ctx, tube, METAL, 0.8)


def _wheel(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    cv = ctx.cv
    cx, cy, r = x + w * 0.55, base - w * 0.3, w * 0.32
    rim = cv.shapes().ellipse(cx, cy, r, r).ellipse(cx, cy, r * 0.85, r * 0.85, erase=True)
    spokes = cv.shapes()
    for k in range(8):
        a = k * math.pi / 8
        spokes.line(
            [
                (cx - math.cos(a) * r, cy - math.sin(a) * r),
                (cx + math.cos(a) * r, cy + math.sin(a) * r),
            ],
            max(0.5, w * 0.02),
        )
    _paint(ctx, rim, WOOD, 0.7)
    _paint(ctx, spokes, WOOD, 0.6)
    water = cv.shapes().rect(cx - r * 1.2, base - w * 0.05, cx + r * 1.4, base + w * 0.04)
    _paint(ctx, water, rgb("#4a7aa8"), 0.9)


def _platform(ctx: Ctx, sp: Spec, x: float, w: float, top: float, base: float) -> None:
    """A station's platform canopy and the rails in front of it."""
    cv = ctx.cv
    canopy = cv.shapes().poly(
        [
            (x - w * 1.0, top + (base - top) * 0.3),
            (x + w * 1.0, top + (base - top) * 0.3),
            (x + w * 1.05, top + (base - top) * 0.42),
            (x - w * 1.05, top + (base - top) * 0.42),
        ]
    )
    posts = cv.shapes()
    for k in range(5):
        px = x - w * 0.95 + w * 1.9 * k / 4
        posts.line([(px, top + (base - top) * 0.4), (px, base)], max(0.6, w * 0.015))
    _paint(ctx, posts, DARK, 0.5)
    _paint(ctx, canopy, sp.colour(1, rgb("#3a5a4a")), 0.7)
    _rails(ctx, x - w * 1.6, x + w * 1.6, base + w * 0.08, w * 0.08)


def _rails(ctx: Ctx, x0: float, x1: float, y: float, gauge: float) -> None:
    cv = ctx.cv
    sleepers = cv.shapes()
    n = max(4, int((x1 - x0) / (gauge * 0.9)))
    for k in range(n + 1):
        sx = x0 + (x1 - x0) * k / n
        sleepers.rect(sx - gauge * 0.15, y - gauge * 0.3, sx + gauge * 0.15, y + gauge * 0.7)
    _paint(ctx, sleepers, rgb("#6a4a30"), 0.6)
    steel = cv.shapes()
    steel.line([(x0, y - gauge * 0.1), (x1, y - gauge * 0.1)], max(0.6, gauge * 0.18))
    steel.line([(x0, y + gauge * 0.5), (x1, y + gauge * 0.5)], max(0.6, gauge * 0.18))
    _paint(ctx, steel, rgb("#9aa0a8"), 0.9)


Mark = Callable[[Ctx, Spec, float, float, float, float], None]
_MARKS: dict[str, Mark] = {
    "clock": _clock,
    "bell": _bell,
    "cross": _cross,
    "redcross": _redcross,
    "sign": _sign,
    "awning": _awning,
    "chimney": _chimney,
    "flag": _flag,
    "minaret": _minaret,
    "slit": _slit,
    "wheel": _wheel,
    "platform": _platform,
}
MARKS = frozenset(
    {
        *_MARKS,
        "low",
        "tall",
        "timber",
        "stripes",
        "columns",
        "bigdoor",
        "arch",
        "glass",
        "smoke",
        "wintry",
        "poles",
        "pool",
    }
)


def tent(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """A tent: a big striped circus top with flags, or small camping tents."""
    cv = ctx.cv
    n = sp.count
    for k in range(n):
        tx = x + (k - (n - 1) / 2) * s * 1.1
        big = "stripes" in sp.marks
        h = s * (0.75 if big else 0.55)
        body = cv.shapes().poly(
            [
                (tx - s / 2, base),
                (tx - s * 0.45, base - h * 0.45),
                (tx, base - h),
                (tx + s * 0.45, base - h * 0.45),
                (tx + s / 2, base),
            ]
        )
        _paint(ctx, body, sp.colour(0, rgb("#e8a03a")), 0.8)
        if big:
            stripes = cv.shapes()
            for j in range(-3, 4, 2):
                stripes.poly(
                    [(tx, base - h), (tx + s * 0.07 * j, base), (tx + s * 0.07 * (j + 1), base)]
                )
            _paint(ctx, stripes, sp.colour(1, WHITE), 0.9)
            flag = cv.shapes().line([(tx, base - h), (tx, base - h - s * 0.15)], max(0.5, s * 0.01))
            flag.poly(
                [
                    (tx, base - h - s * 0.15),
                    (tx + s * 0.1, base - h - s * 0.12),
                    (tx, base - h - s * 0.09),
                ]
            )
            _paint(ctx, flag, sp.colour(2, rgb("#3a6ad8")), 0.9)
        if "poles" in sp.marks:
            poles = cv.shapes()
            for d in (-1, 1):
                poles.line(
                    [(tx, base - h), (tx + d * s * 0.12, base - h - s * 0.15)], max(0.5, s * 0.015)
                )
            _paint(ctx, poles, WOOD, 0.6)
        door = cv.shapes().poly([(tx - s * 0.1, base), (tx, base - h * 0.5), (tx + s * 0.1, base)])
        _paint(ctx, door, DARK, 0.3)


def pyramid(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """Pyramids of stone, the nearest largest, lit on one side."""
    cv = ctx.cv
    for k in range(sp.count):
        px = x + (k - (sp.count - 1) / 2) * s * 0.9
        ps = s * (1.0 - 0.3 * k)
        pb = base - s * 0.05 * k
        d = ctx.light_dir
        _paint(
            ctx,
            cv.shapes().poly([(px - ps / 2, pb), (px, pb - ps * 0.6), (px + ps / 2, pb)]),
            sp.colour(0, rgb("#d8b070")),
            0.35,
        )
        _paint(
            ctx,
            cv.shapes().poly([(px, pb), (px, pb - ps * 0.6), (px + d * ps / 2, pb)]),
            sp.colour(0, rgb("#d8b070")),
            0.95,
        )


def ruins(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """Broken columns of different heights on an old floor, and fallen stones."""
    cv = ctx.cv
    stone = sp.colour(0, rgb("#c8bea8"))
    floor = cv.shapes().rect(x - s * 0.6, base - s * 0.05, x + s * 0.6, base)
    _paint(ctx, floor, scale(stone, 0.85), 0.8)
    cols = cv.shapes()
    for k, hk in enumerate((0.8, 0.5, 0.95, 0.3, 0.65)):
        cx = x - s * 0.5 + s * 0.25 * k
        cols.rect(cx - s * 0.04, base - s * hk, cx + s * 0.04, base - s * 0.05)
        cols.poly(
            [
                (cx - s * 0.06, base - s * hk),
                (cx + s * 0.06, base - s * hk),
                (cx + s * 0.05, base - s * hk - s * 0.04 * (k % 2)),
                (cx - s * 0.02, base - s * hk),
            ]
        )
    top = cv.shapes().rect(x + s * 0.0 - s * 0.32, base - s * 0.98, x + s * 0.08, base - s * 0.9)
    _paint(ctx, cols, stone, 0.85)
    _paint(ctx, top, stone, 0.9)
    fallen = cv.shapes().ellipse(x + s * 0.4, base - s * 0.03, s * 0.08, s * 0.04)
    _paint(ctx, fallen, scale(stone, 0.8), 0.7)


def igloo(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """A dome of snow blocks with a low round entrance."""
    cv = ctx.cv
    dome = (
        cv.shapes()
        .ellipse(x, base, s * 0.5, s * 0.42)
        .rect(x - s, base, x + s, base + s, erase=True)
    )
    _paint(ctx, dome, rgb("#eef4fa"), 0.9)
    joints = cv.shapes()
    for k in range(1, 4):
        y = base - s * 0.42 * k / 4
        half = s * 0.5 * math.sqrt(max(0.0, 1 - (k / 4) ** 2))
        joints.line([(x - half, y), (x + half, y)], max(0.5, s * 0.01))
    _paint(ctx, joints, rgb("#9ab0c8"), 0.7)
    door = cv.shapes().ellipse(x + s * 0.2, base, s * 0.12, s * 0.14)
    _paint(ctx, door, rgb("#3a4a5a"), 0.3)


def treehouse(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """A big tree holding a little wooden house in its crown, with a ladder."""
    cv = ctx.cv
    body, lit, trunk = cv.shapes(), cv.shapes(), cv.shapes()
    round_tree(body, lit, trunk, x, base, s * 1.4, ctx.rng, ctx.light_dir)
    _paint(ctx, trunk, rgb("#5a3e2a"), 0.6)
    _paint(ctx, body, ctx.foliage(), 0.6)
    _paint(ctx, lit, ctx.foliage(), 0.95)
    hy = base - s * 0.75
    house = cv.shapes().rect(x - s * 0.22, hy - s * 0.22, x + s * 0.22, hy)
    _paint(ctx, house, rgb("#b07a48"), 0.8)
    roof = cv.shapes().poly(
        [(x - s * 0.28, hy - s * 0.2), (x, hy - s * 0.38), (x + s * 0.28, hy - s * 0.2)]
    )
    _paint(ctx, roof, rgb("#8a3a2a"), 0.7)
    win = cv.shapes().rect(x - s * 0.06, hy - s * 0.16, x + s * 0.06, hy - s * 0.06)
    _paint(ctx, win, DARK, 0.3)
    ladder = cv.shapes()
    lx = x + s * 0.3
    ladder.line([(lx, hy), (lx, base)], max(0.5, s * 0.012))
    ladder.line([(lx + s * 0.08, hy), (lx + s * 0.08, base)], max(0.5, s * 0.012))
    for k in range(6):
        ly = hy + (base - hy) * (k + 0.5) / 6
        ladder.line([(lx, ly), (lx + s * 0.08, ly)], max(0.5, s * 0.01))
    _paint(ctx, ladder, rgb("#6a4a2a"), 0.6)


# ---- ground: plants -------------------------------------------------------------------


def plant(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """Trees and plants of one kind (the spec's ``roof`` names it): palms, cacti, bamboo,
    mushrooms, blossoming or fruiting trees, bare trees, bushes, sunflowers, reeds."""
    cv = ctx.cv
    rng = np.random.default_rng(len(sp.name) * 7919 + int(x))
    n = sp.count
    if "pool" in sp.marks:
        # An oasis: a pool of water among the palms.
        pool = cv.shapes().ellipse(x, base + s * 0.05, s * 0.55, s * 0.09)
        cv.fill(pool.mask(), mix(ctx.plan.look.water, rgb("#3aa0c8"), 0.5))
        shine = cv.shapes().ellipse(x - s * 0.15, base + s * 0.03, s * 0.2, s * 0.02)
        cv.fill(shine.mask(), mix(ctx.plan.look.horizon, WHITE, 0.5), 0.7)
    for k in range(n):
        tx = x + (k - (n - 1) / 2) * s * 0.7 + float(rng.uniform(-0.1, 0.1)) * s
        th = s * float(rng.uniform(0.8, 1.1))
        _PLANTS[sp.roof](ctx, sp, tx, base + (k % 2) * s * 0.04, th, rng)
    del cv


def _palm(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    body, trunk = ctx.cv.shapes(), ctx.cv.shapes()
    palm(body, trunk, x, base, h, rng)
    _paint(ctx, trunk, rgb("#8a6a48"), 0.7)
    _paint(ctx, body, sp.colour(0, rgb("#3a8a3a")), 0.8)


def _cactus(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    c = ctx.cv.shapes()
    w = h * 0.09
    c.rect(x - w, base - h * 0.85, x + w, base).ellipse(x, base - h * 0.85, w, w)
    for side, at, up in ((-1, 0.45, 0.28), (1, 0.6, 0.22)):
        ax = x + side * h * 0.22
        c.rect(min(x, ax), base - h * at - w * 0.7, max(x, ax), base - h * at + w * 0.7)
        c.rect(ax - w * 0.8, base - h * (at + up), ax + w * 0.8, base - h * at + w * 0.7)
        c.ellipse(ax, base - h * (at + up), w * 0.8, w * 0.8)
    _paint(ctx, c, sp.colour(0, rgb("#4a8a4a")), 0.8)
    ribs = ctx.cv.shapes().line([(x, base - h * 0.85), (x, base)], max(0.5, w * 0.2))
    _paint(ctx, ribs, rgb("#2a5a2a"), 0.5)


def _bamboo(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    stems, joints, leaves = ctx.cv.shapes(), ctx.cv.shapes(), ctx.cv.shapes()
    for j in range(5):
        sx = x + (j - 2) * h * 0.07
        sh = h * float(rng.uniform(0.8, 1.1))
        stems.line([(sx, base), (sx + h * 0.02, base - sh)], max(0.6, h * 0.025))
        for k in range(1, 6):
            jy = base - sh * k / 6
            joints.line([(sx - h * 0.02, jy), (sx + h * 0.025, jy)], max(0.5, h * 0.012))
            if k % 2 == j % 2:
                d = 1 if k % 3 else -1
                leaves.poly(
                    [
                        (sx, jy),
                        (sx + d * h * 0.14, jy - h * 0.05),
                        (sx + d * h * 0.16, jy - h * 0.02),
                    ]
                )
    _paint(ctx, stems, sp.colour(0, rgb("#8ab84a")), 0.85)
    _paint(ctx, joints, rgb("#4a6a2a"), 0.5)
    _paint(ctx, leaves, rgb("#3a8a3a"), 0.8)


def _mushroom(
    ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator
) -> None:
    h *= 0.5
    stem = ctx.cv.shapes().rect(x - h * 0.12, base - h * 0.7, x + h * 0.12, base)
    _paint(ctx, stem, rgb("#f0e6d0"), 0.9)
    cap = ctx.cv.shapes().ellipse(x, base - h * 0.7, h * 0.45, h * 0.35)
    cap.rect(x - h, base - h * 0.7, x + h, base, erase=True)
    _paint(ctx, cap, sp.colour(0, rgb("#d83a2a")), 0.85)
    dots = ctx.cv.shapes()
    for dx, dy in ((-0.2, 0.82), (0.05, 0.95), (0.25, 0.8), (-0.05, 0.78)):
        dots.ellipse(x + dx * h, base - dy * h, h * 0.05, h * 0.04)
    _paint(ctx, dots, WHITE, 0.95)


def _crowned(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    """A round tree with blossom, fruit or lights in its crown."""
    body, lit, trunk = ctx.cv.shapes(), ctx.cv.shapes(), ctx.cv.shapes()
    round_tree(body, lit, trunk, x, base, h, rng, ctx.light_dir)
    _paint(ctx, trunk, rgb("#5a3e2a"), 0.6)
    crown = sp.colour(0, rgb("#3f8a3c"))
    _paint(ctx, body, crown, 0.6)
    _paint(ctx, lit, crown, 0.95)
    dots = ctx.cv.shapes()
    r = h * 0.3
    cy = base - h + r * 1.05
    for _ in range(14):
        a, d = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0, 0.85)) * r
        dots.ellipse(x + math.cos(a) * d, cy + math.sin(a) * d * 0.8, h * 0.03, h * 0.03)
    _paint(ctx, dots, sp.colour(1, rgb("#d8302a")), 0.95)


def _xmas(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    body, lit = ctx.cv.shapes(), ctx.cv.shapes()
    pine(body, lit, x, base, h, h * 0.3, rng, ctx.light_dir)
    _paint(ctx, body, rgb("#1f5a32"), 0.6)
    _paint(ctx, lit, rgb("#2a7a42"), 0.9)
    lights = ctx.cv.shapes()
    for k in range(12):
        t = (k + 0.5) / 12
        lights.ellipse(
            x + (rng.uniform(-0.8, 0.8)) * h * 0.3 * t, base - h + h * 0.9 * t, h * 0.02, h * 0.02
        )
    _glow(ctx, lights, rgb("#ffd050"), 1.2)
    star = ctx.cv.shapes().poly(
        [
            (x, base - h * 1.08),
            (x + h * 0.04, base - h * 0.98),
            (x, base - h * 0.95),
            (x - h * 0.04, base - h * 0.98),
        ]
    )
    _glow(ctx, star, rgb("#ffe07a"), 1.5)


def _bare(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    lines = ctx.cv.shapes()
    bare_tree(lines, x, base, h, rng)
    _paint(ctx, lines, sp.colour(0, rgb("#3a2e28")), 0.5)


def _bush(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    b, lit = ctx.cv.shapes(), ctx.cv.shapes()
    h *= 0.45
    for k in range(4):
        bx = x + (k - 1.5) * h * 0.45
        b.ellipse(bx, base - h * 0.45, h * 0.45, h * 0.45)
        lit.ellipse(bx + ctx.light_dir * h * 0.12, base - h * 0.6, h * 0.25, h * 0.22)
    b.rect(x - h * 2, base, x + h * 2, base + h, erase=True)
    _paint(ctx, b, sp.colour(0, rgb("#3a7a3a")), 0.6)
    _paint(ctx, lit, sp.colour(0, rgb("#3a7a3a")), 0.95)


def _sunflower(
    ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator
) -> None:
    for j in range(3):
        sx = x + (j - 1) * h * 0.22
        sh = h * (0.8 + 0.1 * j)
        stem = ctx.cv.shapes().line([(sx, base), (sx, base - sh)], max(0.6, h * 0.02))
        stem.poly([(sx, base - sh * 0.5), (sx + h * 0.1, base - sh * 0.58), (sx, base - sh * 0.42)])
        _paint(ctx, stem, rgb("#3a7a2a"), 0.7)
        petals = ctx.cv.shapes()
        for k in range(12):
            a = 2 * math.pi * k / 12
            petals.ellipse(
                sx + math.cos(a) * h * 0.08, base - sh + math.sin(a) * h * 0.08, h * 0.05, h * 0.05
            )
        _paint(ctx, petals, sp.colour(0, rgb("#f4c82a")), 0.95)
        _paint(ctx, ctx.cv.shapes().ellipse(sx, base - sh, h * 0.06, h * 0.06), rgb("#5a3a1a"), 0.6)


def _reeds(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    stems, heads = ctx.cv.shapes(), ctx.cv.shapes()
    for j in range(9):
        sx = x + (j - 4) * h * 0.06
        lean = float(rng.uniform(-0.08, 0.08)) * h
        sh = h * float(rng.uniform(0.6, 1.0))
        stems.line([(sx, base), (sx + lean, base - sh)], max(0.5, h * 0.012))
        if j % 2 == 0:
            heads.ellipse(sx + lean * 0.95, base - sh * 0.92, h * 0.022, h * 0.08)
    _paint(ctx, stems, sp.colour(0, rgb("#7a8a3a")), 0.7)
    _paint(ctx, heads, rgb("#6a4026"), 0.6)


def _pumpkin(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    h *= 0.3
    for j in range(3):
        px = x + (j - 1) * h * 1.3
        ph = h * (1.0 - 0.2 * (j % 2))
        body = ctx.cv.shapes()
        for k in (-1, 0, 1):
            body.ellipse(px + k * ph * 0.25, base - ph * 0.4, ph * 0.35, ph * 0.4)
        _paint(ctx, body, sp.colour(0, rgb("#ec7a1c")), 0.85)
        ribs = ctx.cv.shapes()
        for k in (-1, 1):
            ribs.line(
                [(px + k * ph * 0.15, base - ph * 0.75), (px + k * ph * 0.17, base - ph * 0.05)],
                max(0.5, ph * 0.03),
            )
        ribs.line([(px, base - ph * 0.78), (px + ph * 0.05, base - ph * 0.95)], max(0.5, ph * 0.08))
        _paint(ctx, ribs, rgb("#6a4a1a"), 0.5)


def _acacia(ctx: Ctx, sp: Spec, x: float, base: float, h: float, rng: np.random.Generator) -> None:
    trunk = ctx.cv.shapes()
    trunk.line([(x, base), (x, base - h * 0.5), (x - h * 0.25, base - h * 0.8)], max(0.6, h * 0.04))
    trunk.line([(x, base - h * 0.5), (x + h * 0.28, base - h * 0.78)], max(0.6, h * 0.035))
    _paint(ctx, trunk, rgb("#4a3424"), 0.5)
    crown = ctx.cv.shapes()
    crown.ellipse(x, base - h * 0.84, h * 0.55, h * 0.1)
    crown.ellipse(x - h * 0.2, base - h * 0.9, h * 0.3, h * 0.08)
    _paint(ctx, crown, sp.colour(0, rgb("#4a7a2a")), 0.75)


Plant = Callable[[Ctx, Spec, float, float, float, np.random.Generator], None]
_PLANTS: dict[str, Plant] = {
    "palm": _palm,
    "cactus": _cactus,
    "bamboo": _bamboo,
    "mushroom": _mushroom,
    "crowned": _crowned,
    "xmas": _xmas,
    "bare": _bare,
    "bush": _bush,
    "sunflower": _sunflower,
    "reeds": _reeds,
    "pumpkin": _pumpkin,
    "acacia": _acacia,
}


# ---- ground: things -------------------------------------------------------------------


def thing(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """A made thing standing on the ground (the spec's ``roof`` names which)."""
    _THINGS[sp.roof](ctx, sp, x, base, s)


def _fence(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    f = ctx.cv.shapes()
    x0, x1 = x - s * 1.5, x + s * 1.5
    for k in range(13):
        px = x0 + (x1 - x0) * k / 12
        f.poly(
            [
                (px - s * 0.04, base),
                (px - s * 0.04, base - s * 0.3),
                (px, base - s * 0.36),
                (px + s * 0.04, base - s * 0.3),
                (px + s * 0.04, base),
            ]
        )
    f.rect(x0, base - s * 0.25, x1, base - s * 0.2).rect(x0, base - s * 0.11, x1, base - s * 0.06)
    _paint(ctx, f, sp.colour(0, WHITE), 0.85)


def _well(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    wall = cv.shapes().rect(x - s * 0.3, base - s * 0.3, x + s * 0.3, base)
    wall.ellipse(x, base - s * 0.3, s * 0.3, s * 0.06)
    _paint(ctx, wall, rgb("#9a9286"), 0.8)
    bricks = cv.shapes()
    for k in range(1, 3):
        bricks.line(
            [(x - s * 0.3, base - s * 0.1 * k), (x + s * 0.3, base - s * 0.1 * k)],
            max(0.5, s * 0.01),
        )
    _paint(ctx, bricks, rgb("#5a544c"), 0.5)
    frame = cv.shapes()
    frame.line([(x - s * 0.26, base - s * 0.3), (x - s * 0.26, base - s * 0.75)], s * 0.03)
    frame.line([(x + s * 0.26, base - s * 0.3), (x + s * 0.26, base - s * 0.75)], s * 0.03)
    frame.line([(x - s * 0.3, base - s * 0.7), (x + s * 0.3, base - s * 0.7)], s * 0.02)
    _paint(ctx, frame, WOOD, 0.6)
    roof = cv.shapes().poly(
        [(x - s * 0.4, base - s * 0.72), (x, base - s * 0.95), (x + s * 0.4, base - s * 0.72)]
    )
    _paint(ctx, roof, rgb("#8a3a2a"), 0.7)
    bucket = cv.shapes().rect(x - s * 0.06, base - s * 0.55, x + s * 0.06, base - s * 0.45)
    bucket.line([(x, base - s * 0.7), (x, base - s * 0.55)], max(0.5, s * 0.008))
    _paint(ctx, bucket, METAL, 0.7)


def _signpost(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    _paint(ctx, cv.shapes().line([(x, base), (x, base - s * 0.9)], s * 0.04), WOOD, 0.6)
    arms = cv.shapes()
    for k, d in enumerate((1, -1, 1)):
        y = base - s * (0.82 - 0.16 * k)
        tip = x + d * s * 0.45
        arms.poly(
            [
                (x, y - s * 0.05),
                (tip - d * s * 0.08, y - s * 0.05),
                (tip, y),
                (tip - d * s * 0.08, y + s * 0.05),
                (x, y + s * 0.05),
            ]
        )
    _paint(ctx, arms, rgb("#c8a06a"), 0.85)


def _bench(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    b = ctx.cv.shapes()
    b.rect(x - s * 0.5, base - s * 0.22, x + s * 0.5, base - s * 0.18)
    b.rect(x - s * 0.5, base - s * 0.42, x + s * 0.5, base - s * 0.36)
    b.rect(x - s * 0.5, base - s * 0.33, x + s * 0.5, base - s * 0.28)
    _paint(ctx, b, sp.colour(0, rgb("#8a5a34")), 0.8)
    legs = ctx.cv.shapes()
    for lx in (-0.42, 0.42):
        legs.rect(x + s * lx - s * 0.03, base - s * 0.42, x + s * lx + s * 0.03, base)
    _paint(ctx, legs, DARK, 0.4)


def _statue(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    stone = sp.colour(0, rgb("#b8b4a8"))
    plinth = cv.shapes().rect(x - s * 0.2, base - s * 0.35, x + s * 0.2, base)
    plinth.rect(x - s * 0.24, base - s * 0.38, x + s * 0.24, base - s * 0.33)
    _paint(ctx, plinth, scale(stone, 0.85), 0.8)
    body = cv.shapes()
    body.poly(
        [
            (x - s * 0.1, base - s * 0.38),
            (x - s * 0.08, base - s * 0.85),
            (x + s * 0.08, base - s * 0.85),
            (x + s * 0.1, base - s * 0.38),
        ]
    )
    body.ellipse(x, base - s * 0.93, s * 0.07, s * 0.08)
    body.line([(x + s * 0.07, base - s * 0.8), (x + s * 0.2, base - s * 1.05)], s * 0.04)
    _paint(ctx, body, stone, 0.85)


def _fountain(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    basin = cv.shapes().rect(x - s * 0.5, base - s * 0.18, x + s * 0.5, base)
    basin.ellipse(x, base - s * 0.18, s * 0.5, s * 0.07)
    _paint(ctx, basin, rgb("#c8c0b0"), 0.8)
    _paint(ctx, cv.shapes().ellipse(x, base - s * 0.19, s * 0.44, s * 0.05), rgb("#5a9ac8"), 0.9)
    _paint(
        ctx,
        cv.shapes()
        .rect(x - s * 0.05, base - s * 0.55, x + s * 0.05, base - s * 0.18)
        .ellipse(x, base - s * 0.55, s * 0.2, s * 0.04),
        rgb("#c8c0b0"),
        0.85,
    )
    jets = cv.shapes()
    for d in (-1, 1):
        jets.line(
            [
                (x, base - s * 0.62),
                (x + d * s * 0.15, base - s * 0.75),
                (x + d * s * 0.3, base - s * 0.5),
                (x + d * s * 0.38, base - s * 0.22),
            ],
            max(0.6, s * 0.025),
        )
    jets.line([(x, base - s * 0.55), (x, base - s * 0.8)], max(0.6, s * 0.03))
    _paint(ctx, jets, rgb("#cfe8f6"), 1.0)


def _graves(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    g = ctx.cv.shapes()
    crosses = ctx.cv.shapes()
    for k in range(5):
        gx = x + (k - 2) * s * 0.42
        gb = base - (k % 2) * s * 0.12
        gs = s * (0.3 if k % 2 else 0.4)
        if k == 2:
            crosses.line([(gx, gb), (gx, gb - gs * 1.2)], gs * 0.14)
            crosses.line(
                [(gx - gs * 0.3, gb - gs * 0.85), (gx + gs * 0.3, gb - gs * 0.85)], gs * 0.14
            )
        else:
            g.rect(gx - gs * 0.3, gb - gs * 0.7, gx + gs * 0.3, gb)
            g.ellipse(gx, gb - gs * 0.7, gs * 0.3, gs * 0.3)
    _paint(ctx, g, sp.colour(0, rgb("#9a9a98")), 0.8)
    _paint(ctx, crosses, sp.colour(0, rgb("#9a9a98")), 0.7)


def _scarecrow(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    pole = cv.shapes().line([(x, base), (x, base - s * 0.9)], s * 0.03)
    pole.line([(x - s * 0.35, base - s * 0.65), (x + s * 0.35, base - s * 0.65)], s * 0.03)
    _paint(ctx, pole, WOOD, 0.6)
    coat = cv.shapes().poly(
        [
            (x - s * 0.3, base - s * 0.68),
            (x + s * 0.3, base - s * 0.68),
            (x + s * 0.16, base - s * 0.35),
            (x - s * 0.16, base - s * 0.35),
        ]
    )
    _paint(ctx, coat, sp.colour(0, rgb("#4a6a9a")), 0.8)
    _paint(ctx, cv.shapes().ellipse(x, base - s * 0.76, s * 0.08, s * 0.08), rgb("#e8c878"), 0.9)
    hat = cv.shapes().rect(x - s * 0.14, base - s * 0.84, x + s * 0.14, base - s * 0.81)
    hat.poly(
        [
            (x - s * 0.08, base - s * 0.82),
            (x - s * 0.06, base - s * 0.97),
            (x + s * 0.06, base - s * 0.97),
            (x + s * 0.08, base - s * 0.82),
        ]
    )
    _paint(ctx, hat, rgb("#5a4a30"), 0.6)
    straw = cv.shapes()
    for d in (-1, 1):
        for k in range(3):
            straw.line(
                [
                    (x + d * s * 0.33, base - s * 0.65),
                    (x + d * s * 0.42, base - s * (0.6 - 0.04 * k)),
                ],
                max(0.5, s * 0.01),
            )
    _paint(ctx, straw, rgb("#e8c878"), 0.9)


def _snowman(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    body = cv.shapes().ellipse(x, base - s * 0.22, s * 0.24, s * 0.22)
    body.ellipse(x, base - s * 0.56, s * 0.17, s * 0.16).ellipse(
        x, base - s * 0.8, s * 0.12, s * 0.11
    )
    _paint(ctx, body, rgb("#f6f8fc"), 0.9)
    nose = cv.shapes().poly(
        [(x, base - s * 0.82), (x + s * 0.14, base - s * 0.79), (x, base - s * 0.77)]
    )
    _paint(ctx, nose, rgb("#f07a1c"), 0.9)
    dots = cv.shapes()
    for dx, dy in ((-0.04, 0.84), (0.04, 0.84), (0, 0.6), (0, 0.52)):
        dots.ellipse(x + dx * s, base - dy * s, s * 0.015, s * 0.015)
    dots.rect(x - s * 0.1, base - s * 0.93, x + s * 0.1, base - s * 0.9)
    dots.rect(x - s * 0.07, base - s * 1.05, x + s * 0.07, base - s * 0.9)
    _paint(ctx, dots, DARK, 0.4)
    scarf = cv.shapes().rect(x - s * 0.12, base - s * 0.7, x + s * 0.12, base - s * 0.66)
    scarf.rect(x + s * 0.05, base - s * 0.7, x + s * 0.1, base - s * 0.55)
    _paint(ctx, scarf, sp.colour(0, rgb("#d83a3a")), 0.9)


def _playground(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """A swing, a slide and a see-saw."""
    cv = ctx.cv
    red, blue, yellow = rgb("#d8402a"), rgb("#3a6ad8"), rgb("#f0c02a")
    sx = x - s * 0.8
    frame = cv.shapes()
    for d in (-1, 1):
        frame.line([(sx + d * s * 0.35, base), (sx + d * s * 0.28, base - s * 0.7)], s * 0.03)
    frame.line([(sx - s * 0.3, base - s * 0.7), (sx + s * 0.3, base - s * 0.7)], s * 0.03)
    _paint(ctx, frame, red, 0.8)
    ropes = cv.shapes()
    for d in (-1, 1):
        ropes.line(
            [(sx + d * s * 0.08, base - s * 0.7), (sx + d * s * 0.08, base - s * 0.25)],
            max(0.5, s * 0.008),
        )
    ropes.rect(sx - s * 0.1, base - s * 0.26, sx + s * 0.1, base - s * 0.22)
    _paint(ctx, ropes, DARK, 0.5)
    lx = x + s * 0.1
    ladder = cv.shapes().line([(lx, base), (lx, base - s * 0.6)], s * 0.025)
    for k in range(4):
        ladder.line(
            [(lx, base - s * 0.15 * (k + 1)), (lx + s * 0.08, base - s * 0.15 * (k + 1))],
            max(0.5, s * 0.015),
        )
    ladder.line([(lx + s * 0.08, base), (lx + s * 0.08, base - s * 0.6)], s * 0.025)
    _paint(ctx, ladder, blue, 0.8)
    slide = cv.shapes().poly(
        [
            (lx + s * 0.08, base - s * 0.62),
            (lx + s * 0.1, base - s * 0.55),
            (lx + s * 0.6, base - s * 0.02),
            (lx + s * 0.66, base - s * 0.08),
        ]
    )
    _paint(ctx, slide, yellow, 0.9)
    qx = x + s * 1.2
    saw = cv.shapes().poly([(qx - s * 0.05, base), (qx, base - s * 0.15), (qx + s * 0.05, base)])
    saw.line([(qx - s * 0.4, base - s * 0.05), (qx + s * 0.4, base - s * 0.25)], s * 0.035)
    _paint(ctx, saw, sp.colour(0, rgb("#3aa85a")), 0.85)


def _carousel(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    floor = cv.shapes().rect(x - s * 0.5, base - s * 0.1, x + s * 0.5, base)
    _paint(ctx, floor, rgb("#c8a050"), 0.8)
    poles = cv.shapes()
    horses = cv.shapes()
    for k in range(5):
        px = x - s * 0.4 + s * 0.2 * k
        poles.line([(px, base - s * 0.1), (px, base - s * 0.7)], max(0.5, s * 0.012))
        hy = base - s * (0.3 + 0.08 * (k % 2))
        horses.ellipse(px, hy, s * 0.07, s * 0.04).ellipse(
            px + s * 0.06, hy - s * 0.05, s * 0.025, s * 0.035
        )
    _paint(ctx, poles, rgb("#e0c060"), 0.9)
    _paint(ctx, horses, WHITE, 0.9)
    top = cv.shapes().poly(
        [(x - s * 0.55, base - s * 0.7), (x, base - s * 0.95), (x + s * 0.55, base - s * 0.7)]
    )
    _paint(ctx, top, sp.colour(0, rgb("#d83a5a")), 0.85)
    stripes = cv.shapes()
    for k in range(-2, 3, 2):
        stripes.poly(
            [
                (x, base - s * 0.95),
                (x + s * 0.11 * k, base - s * 0.7),
                (x + s * 0.11 * (k + 1), base - s * 0.7),
            ]
        )
    _paint(ctx, stripes, WHITE, 0.9)


def _ferris(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    r = s * 0.5
    cy = base - r * 1.15
    legs = cv.shapes().line([(x - r * 0.5, base), (x, cy), (x + r * 0.5, base)], s * 0.025)
    _paint(ctx, legs, METAL, 0.7)
    wheel = cv.shapes().ellipse(x, cy, r, r).ellipse(x, cy, r * 0.94, r * 0.94, erase=True)
    cars = cv.shapes()
    for k in range(12):
        a = 2 * math.pi * k / 12
        wheel.line([(x, cy), (x + math.cos(a) * r, cy + math.sin(a) * r)], max(0.5, s * 0.008))
        cars.rect(
            x + math.cos(a) * r - s * 0.04,
            cy + math.sin(a) * r,
            x + math.cos(a) * r + s * 0.04,
            cy + math.sin(a) * r + s * 0.07,
        )
    _paint(ctx, wheel, sp.colour(0, rgb("#e8e0d0")), 0.9)
    _paint(ctx, cars, sp.colour(1, rgb("#d8402a")), 0.85)


def _totem(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    cols = (rgb("#b8402a"), rgb("#3a6a8a"), rgb("#e0b040"), rgb("#3a8a5a"))
    for k in range(4):
        y1 = base - s * 0.22 * k
        block = cv.shapes().rect(x - s * 0.1, y1 - s * 0.22, x + s * 0.1, y1)
        _paint(ctx, block, cols[k], 0.8)
        eyes = cv.shapes().ellipse(x - s * 0.045, y1 - s * 0.14, s * 0.025, s * 0.02)
        eyes.ellipse(x + s * 0.045, y1 - s * 0.14, s * 0.025, s * 0.02)
        _paint(ctx, eyes, WHITE, 0.9)
    wings = cv.shapes().poly(
        [
            (x - s * 0.1, base - s * 0.8),
            (x - s * 0.35, base - s * 0.85),
            (x - s * 0.1, base - s * 0.72),
        ]
    )
    wings.poly(
        [
            (x + s * 0.1, base - s * 0.8),
            (x + s * 0.35, base - s * 0.85),
            (x + s * 0.1, base - s * 0.72),
        ]
    )
    _paint(ctx, wings, cols[3], 0.8)


def _haybales(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    for k in range(3):
        bx = x + (k - 1) * s * 0.5
        bb = base - (k % 2) * s * 0.08
        bale = cv.shapes().rect(bx - s * 0.18, bb - s * 0.3, bx + s * 0.08, bb)
        _paint(ctx, bale, rgb("#d8b04a"), 0.75)
        end = cv.shapes().ellipse(bx + s * 0.08, bb - s * 0.15, s * 0.08, s * 0.15)
        _paint(ctx, end, rgb("#e8c860"), 0.95)
        swirl = cv.shapes().ellipse(bx + s * 0.08, bb - s * 0.15, s * 0.04, s * 0.08)
        swirl.ellipse(bx + s * 0.08, bb - s * 0.15, s * 0.03, s * 0.06, erase=True)
        _paint(ctx, swirl, rgb("#a88a3a"), 0.7)


def _beehive(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    hive = cv.shapes()
    for k in range(4):
        rw = s * (0.28 - 0.05 * k)
        hive.ellipse(x, base - s * (0.1 + 0.15 * k), rw, s * 0.09)
    _paint(ctx, hive, sp.colour(0, rgb("#e0a83a")), 0.85)
    _paint(ctx, cv.shapes().ellipse(x, base - s * 0.12, s * 0.05, s * 0.04), DARK, 0.3)
    bees = cv.shapes()
    for k in range(5):
        bx, by = x + s * (0.3 + 0.08 * k) * (1 if k % 2 else -1), base - s * (0.45 + 0.06 * k)
        bees.ellipse(bx, by, s * 0.025, s * 0.018)
    _paint(ctx, bees, rgb("#f0c020"), 0.95)


def _barrels(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    for k, (dx, dy) in enumerate(((-0.2, 0.0), (0.2, 0.0), (0.0, 0.36))):
        bx, bb = x + dx * s, base - dy * s
        body = cv.shapes().ellipse(bx, bb - s * 0.18, s * 0.16, s * 0.19)
        body.rect(bx - s * 0.2, bb, bx + s * 0.2, bb + s * 0.1, erase=True)
        _paint(ctx, body, sp.colour(0, WOOD), 0.6 + 0.15 * k)
        hoops = cv.shapes()
        for hy in (0.08, 0.28):
            hoops.line(
                [(bx - s * 0.15, bb - s * hy), (bx + s * 0.15, bb - s * hy)], max(0.5, s * 0.02)
            )
        _paint(ctx, hoops, METAL, 0.6)


def _chest(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    box = cv.shapes().rect(x - s * 0.3, base - s * 0.3, x + s * 0.3, base)
    _paint(ctx, box, WOOD, 0.7)
    lid = cv.shapes().poly(
        [
            (x - s * 0.3, base - s * 0.3),
            (x - s * 0.34, base - s * 0.62),
            (x + s * 0.26, base - s * 0.62),
            (x + s * 0.3, base - s * 0.3),
        ]
    )
    _paint(ctx, lid, scale(WOOD, 0.85), 0.6)
    gold = cv.shapes()
    for k in range(7):
        gold.ellipse(x - s * 0.24 + s * 0.08 * k, base - s * 0.31, s * 0.05, s * 0.04)
    gold.rect(x - s * 0.04, base - s * 0.24, x + s * 0.04, base - s * 0.14)
    _glow(ctx, gold, rgb("#ffd040"), 0.6)


Thing = Callable[[Ctx, Spec, float, float, float], None]
_THINGS: dict[str, Thing] = {
    "fence": _fence,
    "well": _well,
    "signpost": _signpost,
    "bench": _bench,
    "statue": _statue,
    "fountain": _fountain,
    "graves": _graves,
    "scarecrow": _scarecrow,
    "snowman": _snowman,
    "playground": _playground,
    "carousel": _carousel,
    "ferris": _ferris,
    "totem": _totem,
    "haybales": _haybales,
    "beehive": _beehive,
    "barrels": _barrels,
    "chest": _chest,
}


# ---- ground: vehicles -----------------------------------------------------------------


def vehicle(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """A vehicle side on, on its wheels: a tram, a tractor, a cart, a carriage, a bicycle
    or a sled (``roof`` names which)."""
    _VEHICLES[sp.roof](ctx, sp, x, base, s)


def _wheels(ctx: Ctx, base: float, wheels: list[tuple[float, float]]) -> None:
    """Tyres with pale hubs at (x, radius) each, standing on ``base``."""
    tyres, hubs = ctx.cv.shapes(), ctx.cv.shapes()
    for wx, r in wheels:
        tyres.ellipse(wx, base - r, r, r)
        hubs.ellipse(wx, base - r, r * 0.4, r * 0.4)
    _paint(ctx, tyres, DARK, 0.4)
    _paint(ctx, hubs, rgb("#b8b8b8"), 0.8)


def _tram(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    h = s * 0.4
    body = cv.shapes().rect(x - s / 2, base - h - s * 0.06, x + s / 2, base - s * 0.06)
    _paint(ctx, body, sp.colour(0, rgb("#d8402a")), 0.8)
    wins = cv.shapes()
    for k in range(6):
        wx = x - s * 0.45 + s * 0.15 * k
        wins.rect(wx, base - h * 0.95, wx + s * 0.1, base - h * 0.55)
    _paint(ctx, wins, rgb("#a8c8e0"), 0.95)
    # The trolley pole and its overhead wire, and the rails it runs on.
    pole = cv.shapes().line(
        [(x, base - h - s * 0.06), (x + s * 0.2, base - h - s * 0.3)], max(0.5, s * 0.012)
    )
    pole.line([(x - s, base - h - s * 0.3), (x + s, base - h - s * 0.3)], max(0.5, s * 0.006))
    _paint(ctx, pole, DARK, 0.4)
    _rails(ctx, x - s * 0.7, x + s * 0.7, base + s * 0.02, s * 0.04)
    _wheels(ctx, base, [(x - s * 0.32, s * 0.08), (x + s * 0.32, s * 0.08)])


def _tractor(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    h = s * 0.4
    body = cv.shapes().rect(x - s * 0.3, base - h * 0.8, x + s * 0.35, base - s * 0.12)
    body.rect(x - s * 0.3, base - h * 1.6, x, base - h * 0.8)
    _paint(ctx, body, sp.colour(0, rgb("#c8302a")), 0.8)
    cab = cv.shapes().rect(x - s * 0.26, base - h * 1.5, x - s * 0.04, base - h * 0.95)
    _paint(ctx, cab, rgb("#a8c8e0"), 0.95)
    exhaust = cv.shapes().rect(x + s * 0.2, base - h * 1.3, x + s * 0.24, base - h * 0.8)
    _paint(ctx, exhaust, DARK, 0.4)
    # The big back wheel and the small front one.
    _wheels(ctx, base, [(x - s * 0.2, s * 0.2), (x + s * 0.28, s * 0.1)])


def _cart(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    h = s * 0.4
    body = ctx.cv.shapes().poly(
        [
            (x - s * 0.45, base - h * 0.9),
            (x + s * 0.35, base - h * 0.9),
            (x + s * 0.3, base - s * 0.15),
            (x - s * 0.4, base - s * 0.15),
        ]
    )
    body.line([(x + s * 0.35, base - h * 0.5), (x + s * 0.7, base - h * 0.4)], s * 0.025)
    _paint(ctx, body, sp.colour(0, WOOD), 0.75)
    _wheels(ctx, base, [(x - s * 0.25, s * 0.15), (x + s * 0.2, s * 0.15)])


def _carriage(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    h = s * 0.4
    body = cv.shapes().rect(x - s * 0.3, base - h * 1.5, x + s * 0.3, base - s * 0.15)
    body.ellipse(x, base - h * 1.5, s * 0.3, s * 0.08)
    _paint(ctx, body, sp.colour(0, WOOD), 0.75)
    window = cv.shapes().rect(x - s * 0.18, base - h * 1.3, x + s * 0.05, base - h * 0.8)
    _paint(ctx, window, rgb("#a8c8e0"), 0.95)
    _wheels(ctx, base, [(x - s * 0.25, s * 0.15), (x + s * 0.2, s * 0.15)])


def _bicycle(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    r = s * 0.2
    width = max(0.6, s * 0.02)
    a, b = (x - s * 0.3, base - r), (x + s * 0.3, base - r)
    frame = cv.shapes()
    frame.line([a, (x, base - r), (x - s * 0.08, base - s * 0.48), a], width)
    frame.line([(x - s * 0.08, base - s * 0.48), (x + s * 0.22, base - s * 0.48), b], width)
    frame.line(
        [
            (x + s * 0.22, base - s * 0.48),
            (x + s * 0.2, base - s * 0.58),
            (x + s * 0.3, base - s * 0.6),
        ],
        width,
    )
    frame.line([(x - s * 0.14, base - s * 0.52), (x - s * 0.02, base - s * 0.52)], s * 0.03)
    _paint(ctx, frame, sp.colour(0, rgb("#2a7ad8")), 0.85)
    rims = cv.shapes()
    for cx, cy in (a, b):
        rims.ellipse(cx, cy, r, r).ellipse(cx, cy, r * 0.85, r * 0.85, erase=True)
    _paint(ctx, rims, DARK, 0.4)


def _sled(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    seat = cv.shapes().rect(x - s * 0.35, base - s * 0.2, x + s * 0.3, base - s * 0.12)
    _paint(ctx, seat, sp.colour(0, rgb("#b8402a")), 0.8)
    runner = cv.shapes().line(
        [(x - s * 0.4, base), (x + s * 0.35, base), (x + s * 0.45, base - s * 0.1)],
        max(0.6, s * 0.025),
    )
    runner.line([(x - s * 0.25, base), (x - s * 0.25, base - s * 0.12)], s * 0.02)
    runner.line([(x + s * 0.15, base), (x + s * 0.15, base - s * 0.12)], s * 0.02)
    _paint(ctx, runner, METAL, 0.7)


_VEHICLES: dict[str, Thing] = {
    "tram": _tram,
    "tractor": _tractor,
    "cart": _cart,
    "carriage": _carriage,
    "bicycle": _bicycle,
    "sled": _sled,
}


# ---- sky ------------------------------------------------------------------------------


def flyer(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    """Something in the sky (``roof`` names which): an aeroplane, a helicopter, hot-air
    balloons, an airship, a rocket, kites, a comet, shooting stars, an eclipse, a ringed
    planet."""
    _FLYERS[sp.roof](ctx, sp, x, y, s)


def _plane(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    body = cv.shapes().ellipse(x, y, s * 0.5, s * 0.07)
    body.poly(
        [
            (x - s * 0.1, y),
            (x + s * 0.05, y),
            (x - s * 0.15, y + s * 0.4),
            (x - s * 0.25, y + s * 0.4),
        ]
    )
    body.poly(
        [
            (x - s * 0.1, y),
            (x + s * 0.05, y),
            (x - s * 0.12, y - s * 0.3),
            (x - s * 0.2, y - s * 0.3),
        ]
    )
    body.poly(
        [
            (x - s * 0.42, y),
            (x - s * 0.5, y - s * 0.2),
            (x - s * 0.4, y - s * 0.2),
            (x - s * 0.32, y),
        ]
    )
    _paint(ctx, body, sp.colour(0, WHITE), 0.9)
    wins = cv.shapes()
    for k in range(6):
        wins.ellipse(x + s * (0.3 - 0.08 * k), y - s * 0.015, s * 0.015, s * 0.015)
    _paint(ctx, wins, rgb("#3a5a8a"), 0.7)
    trail = cv.shapes().line(
        [(x - s * 0.55, y + s * 0.02), (x - s * 1.8, y + s * 0.2)], max(0.6, s * 0.03)
    )
    cv.fill(trail.mask(), mix(ctx.plan.look.zenith, WHITE, 0.6), 0.6)


def _helicopter(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    body = cv.shapes().ellipse(x, y, s * 0.22, s * 0.14)
    body.line([(x - s * 0.2, y - s * 0.02), (x - s * 0.6, y - s * 0.06)], s * 0.05)
    _paint(ctx, body, sp.colour(0, rgb("#d8402a")), 0.85)
    _paint(
        ctx,
        cv.shapes().ellipse(x + s * 0.1, y - s * 0.03, s * 0.09, s * 0.07),
        rgb("#a8d0e8"),
        0.95,
    )
    blades = cv.shapes().line(
        [(x - s * 0.5, y - s * 0.2), (x + s * 0.5, y - s * 0.2)], max(0.6, s * 0.02)
    )
    blades.line([(x, y - s * 0.2), (x, y - s * 0.12)], s * 0.03)
    blades.line([(x - s * 0.6, y - s * 0.16), (x - s * 0.6, y + s * 0.04)], max(0.5, s * 0.015))
    blades.line([(x - s * 0.15, y + s * 0.2), (x + s * 0.2, y + s * 0.2)], max(0.6, s * 0.02))
    blades.line([(x - s * 0.08, y + s * 0.12), (x - s * 0.1, y + s * 0.2)], max(0.5, s * 0.015))
    blades.line([(x + s * 0.1, y + s * 0.12), (x + s * 0.12, y + s * 0.2)], max(0.5, s * 0.015))
    _paint(ctx, blades, DARK, 0.4)


def _balloons(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    cols = (rgb("#e84a3a"), rgb("#f0b82a"), rgb("#3a8ad8"), rgb("#4ab86a"))
    for k in range(sp.count):
        bx = x + (k - (sp.count - 1) / 2) * s * 0.9
        by = y + (k % 2) * s * 0.35
        bs = s * (0.5 if k % 2 else 0.6)
        env = cv.shapes().ellipse(bx, by, bs * 0.42, bs * 0.5)
        env.poly(
            [(bx - bs * 0.38, by + bs * 0.2), (bx, by + bs * 0.72), (bx + bs * 0.38, by + bs * 0.2)]
        )
        _paint(ctx, env, cols[k % 4], 0.85)
        gores = cv.shapes()
        for j in (-1, 1):
            gores.ellipse(bx + j * bs * 0.2, by, bs * 0.07, bs * 0.48)
        _paint(ctx, gores, WHITE, 0.9)
        basket = cv.shapes().rect(bx - bs * 0.09, by + bs * 0.8, bx + bs * 0.09, by + bs * 0.95)
        basket.line(
            [(bx - bs * 0.08, by + bs * 0.8), (bx - bs * 0.12, by + bs * 0.62)], max(0.5, bs * 0.01)
        )
        basket.line(
            [(bx + bs * 0.08, by + bs * 0.8), (bx + bs * 0.12, by + bs * 0.62)], max(0.5, bs * 0.01)
        )
        _paint(ctx, basket, WOOD, 0.6)


def _airship(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    hull = cv.shapes().ellipse(x, y, s * 0.6, s * 0.16)
    hull.poly([(x - s * 0.5, y), (x - s * 0.7, y - s * 0.18), (x - s * 0.62, y)])
    hull.poly([(x - s * 0.5, y), (x - s * 0.7, y + s * 0.18), (x - s * 0.62, y)])
    _paint(ctx, hull, sp.colour(0, rgb("#b8b0a0")), 0.85)
    gondola = cv.shapes().rect(x - s * 0.12, y + s * 0.16, x + s * 0.12, y + s * 0.24)
    _paint(ctx, gondola, WOOD, 0.6)


def _rocket(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    body = cv.shapes().rect(x - s * 0.08, y - s * 0.3, x + s * 0.08, y + s * 0.2)
    body.poly([(x - s * 0.08, y - s * 0.3), (x, y - s * 0.5), (x + s * 0.08, y - s * 0.3)])
    _paint(ctx, body, WHITE, 0.9)
    fins = cv.shapes().poly(
        [(x - s * 0.08, y + s * 0.05), (x - s * 0.18, y + s * 0.25), (x - s * 0.08, y + s * 0.2)]
    )
    fins.poly(
        [(x + s * 0.08, y + s * 0.05), (x + s * 0.18, y + s * 0.25), (x + s * 0.08, y + s * 0.2)]
    )
    _paint(ctx, fins, sp.colour(0, rgb("#d8302a")), 0.85)
    _paint(ctx, cv.shapes().ellipse(x, y - s * 0.12, s * 0.04, s * 0.04), rgb("#3a6ad8"), 0.8)
    flame = cv.shapes().poly(
        [(x - s * 0.06, y + s * 0.2), (x, y + s * 0.5), (x + s * 0.06, y + s * 0.2)]
    )
    _glow(ctx, flame, rgb("#ffa030"), 1.5)


def _kites(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    cols = (rgb("#e83a3a"), rgb("#f0c02a"), rgb("#3a8ad8"))
    for k in range(sp.count):
        kx, ky = x + (k - 1) * s * 0.8, y + (k % 2) * s * 0.3
        kite = cv.shapes().poly(
            [(kx, ky - s * 0.25), (kx + s * 0.16, ky), (kx, ky + s * 0.3), (kx - s * 0.16, ky)]
        )
        _paint(ctx, kite, cols[k % 3], 0.9)
        tail = cv.shapes().line(
            [
                (kx, ky + s * 0.3),
                (kx + s * 0.1, ky + s * 0.5),
                (kx - s * 0.05, ky + s * 0.7),
                (kx + s * 0.2, cv.h),
            ],
            max(0.5, s * 0.012),
        )
        _paint(ctx, tail, DARK, 0.5)


def _comet(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    tail = cv.shapes().poly(
        [
            (x, y - s * 0.05),
            (x - s * 1.2, y - s * 0.45),
            (x - s * 1.3, y - s * 0.3),
            (x, y + s * 0.05),
        ]
    )
    m = tail.mask()
    cv.fill(m, mix(ctx.plan.look.zenith, rgb("#d8f0ff"), 0.6), 0.8)
    cv.emit(m, rgb("#a8d8ff"), 0.6)
    _glow(ctx, cv.shapes().ellipse(x, y, s * 0.07, s * 0.07), rgb("#ffffff"), 2.0)


def _shooting(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    for k in range(sp.count):
        sx, sy = x + (k - 1) * s * 0.9, y + (k % 2) * s * 0.3
        streak = cv.shapes().line([(sx, sy), (sx - s * 0.7, sy - s * 0.3)], max(0.6, s * 0.02))
        m = streak.mask()
        cv.fill(m, rgb("#fff8d8"), 0.9)
        cv.emit(m, rgb("#fff0a0"), 1.0)
        star = cv.shapes().poly(
            [(sx, sy - s * 0.08), (sx + s * 0.03, sy), (sx, sy + s * 0.08), (sx - s * 0.03, sy)]
        )
        _glow(ctx, star, rgb("#ffffff"), 1.5)


def _eclipse(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    r = s * 0.3
    ring = cv.shapes().ellipse(x, y, r * 1.12, r * 1.12)
    _glow(ctx, ring, rgb("#fff4d0"), 2.0)
    cv.add(cv.radial(x, y, r * 2.4, "inverse"), rgb("#ffe8b0"), 0.3)
    _paint(ctx, cv.shapes().ellipse(x, y, r, r), rgb("#0a0a10"), 0.2)


def _planet(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    r = s * 0.3
    back = cv.shapes().ellipse(x, y, r * 1.9, r * 0.45).ellipse(x, y, r * 1.5, r * 0.3, erase=True)
    back.rect(x - r * 2, y, x + r * 2, y + r, erase=True)
    _paint(ctx, back, rgb("#e8d0a0"), 0.9)
    ball = cv.shapes().ellipse(x, y, r, r)
    _paint(ctx, ball, sp.colour(0, rgb("#d8a060")), 0.9)
    bands = cv.shapes()
    for k in (-1, 1):
        bands.ellipse(x, y + k * r * 0.35, r * 0.9, r * 0.08)
    _paint(ctx, bands, rgb("#b87a40"), 0.8)
    front = cv.shapes().ellipse(x, y, r * 1.9, r * 0.45).ellipse(x, y, r * 1.5, r * 0.3, erase=True)
    front.rect(x - r * 2, y - r, x + r * 2, y, erase=True)
    _paint(ctx, front, rgb("#f0dcb0"), 0.95)


_FLYERS: dict[str, Thing] = {
    "plane": _plane,
    "helicopter": _helicopter,
    "balloons": _balloons,
    "airship": _airship,
    "rocket": _rocket,
    "kites": _kites,
    "comet": _comet,
    "shooting": _shooting,
    "eclipse": _eclipse,
    "planet": _planet,
}


# ---- whole layers -----------------------------------------------------------------------


def layer(ctx: Ctx, sp: Spec) -> None:
    """A layer over the whole scene (``roof`` names which): a sea of clouds seen from
    above, wind, a sandstorm, hail, smoke, a frozen lake, a railway, a vineyard."""
    _LAYERS[sp.roof](ctx, sp)


def _cloudsea(ctx: Ctx, sp: Spec) -> None:
    """Cloud tops below the viewer, rolling to the horizon, lit from above."""
    cv = ctx.cv
    hy = ctx.y(0.5)
    lit = _lit(ctx, rgb("#fbfbff"), 1.0)
    shade = _lit(ctx, rgb("#b8c4dc"), 0.3)
    rng = np.random.default_rng(4242)
    for row in range(6):
        t = row / 5
        y = hy + (cv.h - hy) * t * 0.95
        r = ctx.u(0.03 + 0.09 * t)
        puffs = cv.shapes()
        tops = cv.shapes()
        n = int(cv.w / r * 0.9) + 2
        for k in range(n):
            px = cv.w * (k / max(1, n - 1)) + float(rng.uniform(-0.3, 0.3)) * r
            py = y + float(rng.uniform(-0.3, 0.3)) * r
            puffs.ellipse(px, py, r * 1.1, r * 0.75)
            tops.ellipse(px - r * 0.2 * ctx.light_dir, py - r * 0.3, r * 0.8, r * 0.45)
        puffs.rect(0, y, cv.w, cv.h + 1)
        cv.fill(puffs.mask(), mix(shade, ctx.plan.look.haze, 0.4 * (1 - t)))
        cv.fill(tops.mask(), mix(lit, ctx.plan.look.haze, 0.4 * (1 - t)))


def _wind(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    rng = np.random.default_rng(77)
    gusts = cv.shapes()
    leaves = cv.shapes()
    for k in range(9):
        y = cv.h * (0.12 + 0.09 * k)
        x0 = cv.w * float(rng.uniform(-0.1, 0.5))
        ln = cv.w * float(rng.uniform(0.25, 0.5))
        pts = [(x0 + ln * t, y + math.sin(t * 5 + k) * ctx.u(0.02)) for t in np.linspace(0, 1, 10)]
        end = pts[-1]
        pts.extend([(end[0] + ctx.u(0.03), end[1] - ctx.u(0.03)), (end[0], end[1] - ctx.u(0.05))])
        gusts.line(pts, max(0.6, ctx.u(0.004)))
        lx, ly = x0 + ln * float(rng.uniform(0.2, 1.0)), y + ctx.u(0.03)
        leaves.poly(
            [(lx, ly), (lx + ctx.u(0.02), ly - ctx.u(0.01)), (lx + ctx.u(0.03), ly + ctx.u(0.008))]
        )
    cv.fill(gusts.mask(), mix(ctx.plan.look.horizon, WHITE, 0.7), 0.8)
    _paint(ctx, leaves, rgb("#c87a2a"), 0.9)


def _sandstorm(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    ys = np.linspace(0, 1, cv.h, dtype=np.float32)[:, None]
    rng = np.random.default_rng(5)
    streak = rng.random((cv.h, 1)).astype(np.float32)
    a = (0.45 + 0.3 * ys) * (0.8 + 0.2 * streak)
    from storyscore.paint.procedural.canvas import Mask

    cv.fill(
        Mask(np.repeat(a, cv.w, axis=1).astype(np.float32), 0, 0),
        _lit(ctx, sp.colour(0, rgb("#d8a060")), 0.8),
    )


def _hail(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    rng = np.random.default_rng(9)
    stones = cv.shapes()
    for _ in range(int(260 * cv.aspect)):
        x, y = float(rng.uniform(0, cv.w)), float(rng.uniform(0, cv.h))
        r = ctx.u(float(rng.uniform(0.003, 0.007)))
        stones.ellipse(x, y, max(r, 0.5), max(r, 0.5))
        stones.line([(x, y), (x - ctx.u(0.005), y - ctx.u(0.03))], max(0.4, r * 0.5))
    cv.fill(stones.mask(), rgb("#eef4ff"), 0.9)


def _smoke(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    rng = np.random.default_rng(13)
    x = cv.w * 0.6
    for k in range(12):
        t = k / 11
        px = x + ctx.u(0.3) * t + float(rng.uniform(-0.03, 0.03)) * cv.w
        py = cv.h * (0.8 - 0.7 * t)
        r = ctx.u(0.05 + 0.1 * t)
        puff = cv.shapes().ellipse(px, py, r, r * 0.8)
        cv.fill(puff.mask(), _lit(ctx, sp.colour(0, rgb("#8a8680")), 0.7), 0.75 - 0.35 * t)
    stack = cv.shapes().rect(x - ctx.u(0.03), cv.h * 0.8, x + ctx.u(0.03), cv.h)
    _paint(ctx, stack, rgb("#6a4a3a"), 0.6)


def _ice(ctx: Ctx, sp: Spec) -> None:
    """A frozen lake in the foreground: pale blue ice with cracks and a shine."""
    cv = ctx.cv
    cx, cy = cv.w * 0.5, cv.h * 0.86
    ice = cv.shapes().ellipse(cx, cy, cv.w * 0.55, cv.h * 0.16)
    _paint(ctx, ice, sp.colour(0, rgb("#cfe6f4")), 0.9)
    shine = cv.shapes().ellipse(cx - cv.w * 0.1, cy - cv.h * 0.04, cv.w * 0.25, cv.h * 0.03)
    _paint(ctx, shine, WHITE, 1.0)
    cracks = cv.shapes()
    rng = np.random.default_rng(21)
    for _ in range(7):
        x, y = cx + float(rng.uniform(-0.4, 0.4)) * cv.w, cy + float(rng.uniform(-0.08, 0.1)) * cv.h
        pts = [(x, y)]
        for _ in range(4):
            x += float(rng.uniform(-0.05, 0.05)) * cv.w
            y += float(rng.uniform(-0.02, 0.02)) * cv.h
            pts.append((x, y))
        cracks.line(pts, max(0.5, ctx.u(0.002)))
    _paint(ctx, cracks, rgb("#7aa0c0"), 0.7)


def _railway(ctx: Ctx, sp: Spec) -> None:
    """Railway tracks running from the viewer toward the horizon."""
    cv = ctx.cv
    hy = ctx.y(ctx.horizon)
    cx = cv.w * 0.5
    sleepers = cv.shapes()
    for k in range(14):
        t = (k / 13) ** 2
        y = hy + (cv.h - hy) * t
        half = ctx.u(0.02 + 0.28 * t)
        sleepers.rect(cx - half * 1.3, y, cx + half * 1.3, y + ctx.u(0.004 + 0.02 * t))
    _paint(ctx, sleepers, rgb("#6a4a30"), 0.6)
    steel = cv.shapes()
    for side in (-1, 1):
        steel.poly(
            [
                (cx + side * ctx.u(0.02), hy),
                (cx + side * ctx.u(0.024), hy),
                (cx + side * ctx.u(0.33), cv.h),
                (cx + side * ctx.u(0.29), cv.h),
            ]
        )
    _paint(ctx, steel, rgb("#b8bcc4"), 0.95)


def _vineyard(ctx: Ctx, sp: Spec) -> None:
    """Rows of vines on posts, converging toward the horizon, with bunches of grapes."""
    cv = ctx.cv
    hy = ctx.y(ctx.horizon) + ctx.u(0.02)
    rows = cv.shapes()
    grapes = cv.shapes()
    for k in range(-6, 7):
        x_far, x_near = cv.w * 0.5 + k * cv.w * 0.03, cv.w * 0.5 + k * cv.w * 0.22
        rows.line([(x_far, hy), (x_near, cv.h)], max(0.6, ctx.u(0.02)))
        for t in (0.5, 0.7, 0.9):
            gx, gy = x_far + (x_near - x_far) * t, hy + (cv.h - hy) * t
            grapes.ellipse(gx, gy - ctx.u(0.02), ctx.u(0.008 * t + 0.004), ctx.u(0.012 * t + 0.004))
    _paint(ctx, rows, rgb("#3a7a2a"), 0.8)
    _paint(ctx, grapes, sp.colour(0, rgb("#5a2a6a")), 0.8)


Layer = Callable[[Ctx, Spec], None]
_LAYERS: dict[str, Layer] = {
    "cloudsea": _cloudsea,
    "wind": _wind,
    "sandstorm": _sandstorm,
    "hail": _hail,
    "smoke": _smoke,
    "ice": _ice,
    "railway": _railway,
    "vineyard": _vineyard,
}


# ---- rooms ----------------------------------------------------------------------------


def furniture(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """What makes a room a kitchen, a bedroom, a library... (``roof`` names which), standing
    on the floor in front of the back wall; ``s`` is the room's width in pixels."""
    _ROOMS[sp.roof](ctx, sp, x, base, s)


def _kitchen(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    top = base - s * 0.3
    tiles = cv.shapes()
    for k in range(12):
        for j in range(3):
            tx, ty = x - s * 0.45 + s * 0.075 * k, top - s * 0.2 + s * 0.065 * j
            tiles.rect(tx, ty, tx + s * 0.07, ty + s * 0.06)
    _paint(ctx, tiles, rgb("#e8f0f0"), 0.9)
    units = cv.shapes().rect(x - s * 0.45, top, x + s * 0.45, base)
    _paint(ctx, units, sp.colour(0, rgb("#6a9ac0")), 0.8)
    doors = cv.shapes()
    for k in range(6):
        dx = x - s * 0.43 + s * 0.15 * k
        doors.rect(dx + s * 0.01, top + s * 0.05, dx + s * 0.12, base - s * 0.02)
    _paint(ctx, doors, scale(sp.colour(0, rgb("#6a9ac0")), 0.85), 0.7)
    counter = cv.shapes().rect(x - s * 0.47, top - s * 0.02, x + s * 0.47, top + s * 0.02)
    _paint(ctx, counter, rgb("#d8d0c0"), 0.95)
    stove = cv.shapes().rect(x + s * 0.05, top, x + s * 0.3, base)
    _paint(ctx, stove, rgb("#3a3a3e"), 0.6)
    oven = cv.shapes().rect(x + s * 0.08, top + s * 0.1, x + s * 0.27, base - s * 0.04)
    _paint(ctx, oven, rgb("#1a1a1e"), 0.4)
    pot = cv.shapes().rect(x + s * 0.1, top - s * 0.1, x + s * 0.2, top - s * 0.02)
    pot.rect(x + s * 0.08, top - s * 0.1, x + s * 0.22, top - s * 0.09)
    _paint(ctx, pot, rgb("#b8482a"), 0.8)
    steam = cv.shapes()
    for k in range(3):
        steam.ellipse(x + s * (0.14 + 0.02 * k), top - s * (0.14 + 0.05 * k), s * 0.02, s * 0.015)
    _paint(ctx, steam, WHITE, 1.0)
    pans = cv.shapes()
    for k in range(3):
        px = x - s * 0.35 + s * 0.12 * k
        pans.line([(px, top - s * 0.3), (px, top - s * 0.24)], max(0.5, s * 0.006))
        pans.ellipse(px, top - s * 0.2, s * 0.04, s * 0.04)
    _paint(ctx, pans, rgb("#8a5a3a"), 0.7)


def _bedroom(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    bx = x - s * 0.12
    head = cv.shapes().rect(bx - s * 0.32, base - s * 0.42, bx - s * 0.26, base)
    head.ellipse(bx - s * 0.29, base - s * 0.42, s * 0.03, s * 0.03)
    _paint(ctx, head, WOOD, 0.6)
    frame = cv.shapes().rect(bx - s * 0.28, base - s * 0.2, bx + s * 0.32, base - s * 0.04)
    frame.rect(bx + s * 0.28, base - s * 0.25, bx + s * 0.32, base)
    _paint(ctx, frame, WOOD, 0.7)
    blanket = cv.shapes().poly(
        [
            (bx - s * 0.14, base - s * 0.24),
            (bx + s * 0.3, base - s * 0.24),
            (bx + s * 0.31, base - s * 0.1),
            (bx - s * 0.14, base - s * 0.1),
        ]
    )
    _paint(ctx, blanket, sp.colour(0, rgb("#4a7ac8")), 0.85)
    check = cv.shapes()
    for k in range(4):
        check.rect(
            bx - s * 0.1 + s * 0.1 * k,
            base - s * 0.22,
            bx - s * 0.06 + s * 0.1 * k,
            base - s * 0.12,
        )
    _paint(ctx, check, WHITE, 0.9)
    pillow = cv.shapes().ellipse(bx - s * 0.2, base - s * 0.26, s * 0.06, s * 0.035)
    _paint(ctx, pillow, WHITE, 0.95)
    stand = cv.shapes().rect(bx + s * 0.38, base - s * 0.18, bx + s * 0.5, base)
    _paint(ctx, stand, WOOD, 0.7)
    lamp = cv.shapes().poly(
        [
            (bx + s * 0.4, base - s * 0.26),
            (bx + s * 0.48, base - s * 0.26),
            (bx + s * 0.46, base - s * 0.32),
            (bx + s * 0.42, base - s * 0.32),
        ]
    )
    _glow(ctx, lamp, rgb("#ffd890"), 0.6 * ctx.plan.look.windows + 0.2)


def _library(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    cols = (rgb("#8a2a2a"), rgb("#2a4a7a"), rgb("#3a6a3a"), rgb("#c8a050"), rgb("#5a3a6a"))
    rng = np.random.default_rng(31)
    for side in (-1, 1):
        x0 = x + side * s * 0.12 if side > 0 else x - s * 0.5
        x1 = x0 + s * 0.38
        case = cv.shapes().rect(x0, base - s * 0.62, x1, base)
        _paint(ctx, case, rgb("#5a3c26"), 0.6)
        for r in range(5):
            y1 = base - s * 0.02 - s * 0.12 * r
            books = [cv.shapes() for _ in cols]
            bxp = x0 + s * 0.01
            while bxp < x1 - s * 0.03:
                bw = s * float(rng.uniform(0.012, 0.022))
                bh = s * float(rng.uniform(0.07, 0.1))
                books[int(rng.integers(len(cols)))].rect(bxp, y1 - bh, bxp + bw, y1)
                bxp += bw + s * 0.002
            for b, c in zip(books, cols, strict=True):
                _paint(ctx, b, c, 0.8)
    ladder = cv.shapes()
    lx = x + s * 0.2
    ladder.line([(lx, base), (lx + s * 0.06, base - s * 0.62)], max(0.6, s * 0.008))
    ladder.line([(lx + s * 0.06, base), (lx + s * 0.12, base - s * 0.62)], max(0.6, s * 0.008))
    for k in range(7):
        t = (k + 0.5) / 7
        ladder.line(
            [
                (lx + s * 0.06 * t, base - s * 0.62 * t),
                (lx + s * 0.06 * (1 + t), base - s * 0.62 * t),
            ],
            max(0.5, s * 0.006),
        )
    _paint(ctx, ladder, rgb("#a87a4a"), 0.8)


def _classroom(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    by = base - s * 0.62
    board = cv.shapes().rect(x - s * 0.3, by, x + s * 0.3, by + s * 0.2)
    _paint(ctx, board, sp.colour(0, rgb("#2a4a3a")), 0.7)
    chalk = cv.shapes()
    chalk.line([(x - s * 0.25, by + s * 0.05), (x - s * 0.1, by + s * 0.05)], max(0.5, s * 0.004))
    chalk.line([(x - s * 0.25, by + s * 0.1), (x + s * 0.05, by + s * 0.1)], max(0.5, s * 0.004))
    chalk.line(
        [
            (x + s * 0.08, by + s * 0.15),
            (x + s * 0.12, by + s * 0.06),
            (x + s * 0.16, by + s * 0.15),
        ],
        max(0.5, s * 0.004),
    )
    chalk.line([(x + s * 0.18, by + s * 0.1), (x + s * 0.25, by + s * 0.1)], max(0.5, s * 0.004))
    _paint(ctx, chalk, WHITE, 1.0)
    frame = cv.shapes().rect(x - s * 0.31, by + s * 0.2, x + s * 0.31, by + s * 0.215)
    _paint(ctx, frame, WOOD, 0.7)
    desks = cv.shapes()
    chairs = cv.shapes()
    for r, (dy, ds) in enumerate(((0.3, 0.7), (0.16, 0.85), (0.0, 1.0))):
        for c in range(-1, 2):
            dx = x + c * s * 0.3 * ds
            dyb = base - s * dy
            w2 = s * 0.1 * ds
            desks.rect(dx - w2, dyb - s * 0.12 * ds, dx + w2, dyb - s * 0.1 * ds)
            desks.rect(dx - w2 * 0.9, dyb - s * 0.1 * ds, dx - w2 * 0.8, dyb)
            desks.rect(dx + w2 * 0.8, dyb - s * 0.1 * ds, dx + w2 * 0.9, dyb)
            chairs.rect(dx - w2 * 0.4, dyb - s * 0.16 * ds, dx + w2 * 0.4, dyb - s * 0.13 * ds)
        del r
    _paint(ctx, chairs, rgb("#3a6ab8"), 0.8)
    _paint(ctx, desks, rgb("#c89a5a"), 0.85)


def _bathroom(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    tiles = cv.shapes()
    for k in range(14):
        tiles.line(
            [(x - s * 0.5 + s * 0.07 * k, base - s * 0.4), (x - s * 0.5 + s * 0.07 * k, base)],
            max(0.5, s * 0.003),
        )
    _paint(ctx, tiles, rgb("#a8c8d0"), 0.8)
    tub = cv.shapes().rect(x - s * 0.4, base - s * 0.2, x + s * 0.1, base - s * 0.05)
    tub.ellipse(x - s * 0.4, base - s * 0.125, s * 0.05, s * 0.075)
    tub.ellipse(x + s * 0.1, base - s * 0.125, s * 0.05, s * 0.075)
    _paint(ctx, tub, WHITE, 0.95)
    feet = cv.shapes().rect(x - s * 0.36, base - s * 0.05, x - s * 0.33, base)
    feet.rect(x + s * 0.05, base - s * 0.05, x + s * 0.08, base)
    _paint(ctx, feet, rgb("#c8a040"), 0.8)
    bubbles = cv.shapes()
    for k in range(9):
        bubbles.ellipse(
            x - s * 0.35 + s * 0.05 * k, base - s * (0.21 + 0.02 * (k % 3)), s * 0.025, s * 0.02
        )
    _paint(ctx, bubbles, rgb("#eef6ff"), 1.0)
    tap = cv.shapes().line(
        [
            (x + s * 0.12, base - s * 0.2),
            (x + s * 0.12, base - s * 0.3),
            (x + s * 0.07, base - s * 0.3),
        ],
        max(0.6, s * 0.01),
    )
    _paint(ctx, tap, rgb("#c8c8d0"), 0.9)
    mirror = cv.shapes().ellipse(x + s * 0.3, base - s * 0.45, s * 0.07, s * 0.1)
    _paint(ctx, mirror, rgb("#c8e0ec"), 1.0)
    sink = cv.shapes().rect(x + s * 0.22, base - s * 0.27, x + s * 0.38, base - s * 0.22)
    sink.rect(x + s * 0.28, base - s * 0.22, x + s * 0.32, base)
    _paint(ctx, sink, WHITE, 0.95)


def _workshop(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    board = cv.shapes().rect(x - s * 0.4, base - s * 0.55, x + s * 0.4, base - s * 0.3)
    _paint(ctx, board, rgb("#b89a6a"), 0.8)
    tools = cv.shapes()
    for k in range(7):
        tx = x - s * 0.34 + s * 0.11 * k
        tools.line([(tx, base - s * 0.52), (tx, base - s * 0.38)], max(0.6, s * 0.01))
        if k % 2:
            tools.rect(tx - s * 0.025, base - s * 0.53, tx + s * 0.025, base - s * 0.5)
        else:
            tools.ellipse(tx, base - s * 0.36, s * 0.018, s * 0.018)
    _paint(ctx, tools, rgb("#4a4e56"), 0.6)
    bench = cv.shapes().rect(x - s * 0.45, base - s * 0.25, x + s * 0.45, base - s * 0.2)
    for lx in (-0.42, 0.38):
        bench.rect(x + s * lx, base - s * 0.2, x + s * (lx + 0.04), base)
    _paint(ctx, bench, WOOD, 0.7)
    vice = cv.shapes().rect(x + s * 0.2, base - s * 0.3, x + s * 0.28, base - s * 0.25)
    _paint(ctx, vice, rgb("#3a6a9a"), 0.8)
    saw = cv.shapes().poly(
        [
            (x - s * 0.2, base - s * 0.26),
            (x + s * 0.05, base - s * 0.26),
            (x + s * 0.05, base - s * 0.3),
        ]
    )
    _paint(ctx, saw, rgb("#c8ccd4"), 0.95)


def _throne(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    carpet = cv.shapes().poly(
        [
            (x - s * 0.08, base - s * 0.3),
            (x + s * 0.08, base - s * 0.3),
            (x + s * 0.25, cv.h + 1),
            (x - s * 0.25, cv.h + 1),
        ]
    )
    _paint(ctx, carpet, sp.colour(0, rgb("#b81a2a")), 0.8)
    dais = cv.shapes().rect(x - s * 0.2, base - s * 0.36, x + s * 0.2, base - s * 0.28)
    _paint(ctx, dais, rgb("#b8b0a0"), 0.8)
    back = cv.shapes().rect(x - s * 0.1, base - s * 0.75, x + s * 0.1, base - s * 0.4)
    back.poly(
        [(x - s * 0.1, base - s * 0.75), (x, base - s * 0.85), (x + s * 0.1, base - s * 0.75)]
    )
    back.rect(x - s * 0.14, base - s * 0.5, x + s * 0.14, base - s * 0.36)
    _paint(ctx, back, rgb("#d8a830"), 0.9)
    cushion = cv.shapes().rect(x - s * 0.07, base - s * 0.7, x + s * 0.07, base - s * 0.46)
    _paint(ctx, cushion, sp.colour(0, rgb("#b81a2a")), 0.7)
    banners = cv.shapes()
    for d in (-1, 1):
        bx = x + d * s * 0.35
        banners.poly(
            [
                (bx - s * 0.05, base - s * 0.85),
                (bx + s * 0.05, base - s * 0.85),
                (bx + s * 0.05, base - s * 0.45),
                (bx, base - s * 0.5),
                (bx - s * 0.05, base - s * 0.45),
            ]
        )
    _paint(ctx, banners, sp.colour(0, rgb("#b81a2a")), 0.75)


def _ballroom(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    floor = cv.shapes()
    fy = base - s * 0.25
    for r in range(6):
        for c in range(-8, 8):
            if (r + c) % 2:
                y0 = fy + (cv.h - fy) * r / 6
                y1 = fy + (cv.h - fy) * (r + 1) / 6
                k0, k1 = 0.6 + 0.4 * r / 6, 0.6 + 0.4 * (r + 1) / 6
                floor.poly(
                    [
                        (x + c * s * 0.08 * k0, y0),
                        (x + (c + 1) * s * 0.08 * k0, y0),
                        (x + (c + 1) * s * 0.08 * k1, y1),
                        (x + c * s * 0.08 * k1, y1),
                    ]
                )
    _paint(ctx, floor, rgb("#2a2a30"), 0.8)
    cy = base - s * 0.72
    chain = cv.shapes().line([(x, 0), (x, cy)], max(0.6, s * 0.006))
    _paint(ctx, chain, rgb("#a88a3a"), 0.7)
    arms = (
        cv.shapes()
        .ellipse(x, cy, s * 0.2, s * 0.04)
        .ellipse(x, cy, s * 0.17, s * 0.025, erase=True)
    )
    _paint(ctx, arms, rgb("#d8b040"), 0.9)
    lights = cv.shapes()
    for k in range(9):
        a = 2 * math.pi * k / 9
        lights.ellipse(
            x + math.cos(a) * s * 0.19,
            cy + math.sin(a) * s * 0.035 - s * 0.02,
            s * 0.012,
            s * 0.018,
        )
    _glow(ctx, lights, rgb("#fff0b0"), 1.5)


def _dining(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    cloth = cv.shapes().poly(
        [
            (x - s * 0.3, base - s * 0.28),
            (x + s * 0.3, base - s * 0.28),
            (x + s * 0.4, base - s * 0.15),
            (x - s * 0.4, base - s * 0.15),
        ]
    )
    cloth.rect(x - s * 0.4, base - s * 0.15, x + s * 0.4, base - s * 0.08)
    _paint(ctx, cloth, sp.colour(0, WHITE), 0.95)
    chairs = cv.shapes()
    for k in range(-2, 3):
        cx = x + k * s * 0.16
        chairs.rect(cx - s * 0.04, base - s * 0.4, cx + s * 0.04, base - s * 0.28)
    for d in (-1, 1):
        chairs.rect(x + d * s * 0.45 - s * 0.03, base - s * 0.25, x + d * s * 0.45 + s * 0.03, base)
    _paint(ctx, chairs, WOOD, 0.7)
    plates = cv.shapes()
    for k in range(-2, 3):
        plates.ellipse(x + k * s * 0.14, base - s * 0.2, s * 0.04, s * 0.015)
    _paint(ctx, plates, rgb("#e8e4dc"), 1.0)
    food = cv.shapes().ellipse(x, base - s * 0.23, s * 0.06, s * 0.03)
    _paint(ctx, food, rgb("#c8702a"), 0.9)
    cand = cv.shapes()
    for d in (-1, 1):
        cand.rect(
            x + d * s * 0.15 - s * 0.008,
            base - s * 0.32,
            x + d * s * 0.15 + s * 0.008,
            base - s * 0.22,
        )
    _paint(ctx, cand, WHITE, 0.95)
    flames = cv.shapes()
    for d in (-1, 1):
        flames.ellipse(x + d * s * 0.15, base - s * 0.335, s * 0.008, s * 0.015)
    _glow(ctx, flames, rgb("#ffc060"), 1.5)


def _lab(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    bench = cv.shapes().rect(x - s * 0.45, base - s * 0.25, x + s * 0.45, base)
    _paint(ctx, bench, rgb("#5a5e66"), 0.7)
    top = cv.shapes().rect(x - s * 0.47, base - s * 0.27, x + s * 0.47, base - s * 0.24)
    _paint(ctx, top, rgb("#2a2a2e"), 0.5)
    cols = (rgb("#3ae07a"), rgb("#e03a8a"), rgb("#3aa0e0"), rgb("#f0c02a"))
    for k in range(4):
        fx = x - s * 0.3 + s * 0.2 * k
        glass = cv.shapes().poly(
            [
                (fx - s * 0.015, base - s * 0.4),
                (fx + s * 0.015, base - s * 0.4),
                (fx + s * 0.015, base - s * 0.34),
                (fx + s * 0.06, base - s * 0.27),
                (fx - s * 0.06, base - s * 0.27),
                (fx - s * 0.015, base - s * 0.34),
            ]
        )
        _paint(ctx, glass, rgb("#d8e8ec"), 1.0)
        liquid = cv.shapes().poly(
            [
                (fx - s * 0.035, base - s * 0.31),
                (fx + s * 0.035, base - s * 0.31),
                (fx + s * 0.055, base - s * 0.275),
                (fx - s * 0.055, base - s * 0.275),
            ]
        )
        _glow(ctx, liquid, cols[k], 0.7)
        bubbles = cv.shapes()
        for j in range(3):
            bubbles.ellipse(
                fx + s * 0.01 * (j - 1), base - s * (0.44 + 0.04 * j), s * 0.008, s * 0.008
            )
        _paint(ctx, bubbles, cols[k], 1.0)


def _music(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    body = cv.shapes().rect(x - s * 0.3, base - s * 0.4, x + s * 0.3, base - s * 0.18)
    body.rect(x - s * 0.28, base - s * 0.18, x - s * 0.24, base)
    body.rect(x + s * 0.24, base - s * 0.18, x + s * 0.28, base)
    _paint(ctx, body, sp.colour(0, rgb("#1a1a1e")), 0.6)
    keys = cv.shapes().rect(x - s * 0.27, base - s * 0.22, x + s * 0.27, base - s * 0.18)
    _paint(ctx, keys, WHITE, 1.0)
    black = cv.shapes()
    for k in range(18):
        if k % 7 not in (2, 6):
            kx = x - s * 0.26 + s * 0.03 * k
            black.rect(kx, base - s * 0.22, kx + s * 0.012, base - s * 0.2)
    _paint(ctx, black, DARK, 0.3)
    notes = cv.shapes()
    for k in range(3):
        nx, ny = x + s * (0.1 + 0.1 * k), base - s * (0.55 + 0.05 * k)
        notes.ellipse(nx, ny, s * 0.02, s * 0.015)
        notes.line([(nx + s * 0.018, ny), (nx + s * 0.018, ny - s * 0.08)], max(0.5, s * 0.005))
    _paint(ctx, notes, rgb("#3a3a5a"), 0.6)


_ROOMS: dict[str, Thing] = {
    "kitchen": _kitchen,
    "bedroom": _bedroom,
    "library": _library,
    "classroom": _classroom,
    "bathroom": _bathroom,
    "workshop": _workshop,
    "throne": _throne,
    "ballroom": _ballroom,
    "dining": _dining,
    "lab": _lab,
    "music": _music,
}


# ---- more things and layers -------------------------------------------------------------


def _postbox(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    box = cv.shapes().rect(x - s * 0.1, base - s * 0.5, x + s * 0.1, base)
    box.ellipse(x, base - s * 0.5, s * 0.1, s * 0.06)
    _paint(ctx, box, sp.colour(0, rgb("#c8201a")), 0.85)
    slot = cv.shapes().rect(x - s * 0.06, base - s * 0.4, x + s * 0.06, base - s * 0.37)
    slot.rect(x - s * 0.11, base - s * 0.05, x + s * 0.11, base)
    _paint(ctx, slot, DARK, 0.3)


def _picnic(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    cloth = cv.shapes().poly(
        [
            (x - s * 0.45, base),
            (x + s * 0.5, base),
            (x + s * 0.35, base - s * 0.2),
            (x - s * 0.32, base - s * 0.2),
        ]
    )
    _paint(ctx, cloth, WHITE, 0.95)
    checks = cv.shapes()
    for r in range(2):
        for c in range(-4, 5):
            if (r + c) % 2:
                y0, y1 = base - s * 0.1 * (r + 1), base - s * 0.1 * r
                checks.rect(x + c * s * 0.09, y0, x + (c + 1) * s * 0.09, y1)
    checks.rect(x - s * 2, base, x + s * 2, base + s, erase=True)
    _paint(ctx, checks, sp.colour(0, rgb("#d83a3a")), 0.85)
    basket = cv.shapes().rect(x + s * 0.05, base - s * 0.3, x + s * 0.3, base - s * 0.1)
    basket.ellipse(x + s * 0.175, base - s * 0.3, s * 0.1, s * 0.1)
    basket.ellipse(x + s * 0.175, base - s * 0.3, s * 0.08, s * 0.08, erase=True)
    _paint(ctx, basket, rgb("#b8864a"), 0.8)
    fruit = cv.shapes().ellipse(x - s * 0.15, base - s * 0.13, s * 0.04, s * 0.04)
    fruit.ellipse(x - s * 0.07, base - s * 0.12, s * 0.04, s * 0.04)
    _paint(ctx, fruit, rgb("#c8302a"), 0.9)


def _logs(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    for row, n in enumerate((4, 3, 2)):
        for k in range(n):
            lx = x + (k - (n - 1) / 2) * s * 0.2
            ly = base - s * 0.09 - row * s * 0.16
            end = cv.shapes().ellipse(lx, ly, s * 0.09, s * 0.09)
            _paint(ctx, end, rgb("#d8a870"), 0.9)
            ring = cv.shapes().ellipse(lx, ly, s * 0.05, s * 0.05)
            ring.ellipse(lx, ly, s * 0.035, s * 0.035, erase=True)
            _paint(ctx, ring, rgb("#8a5a34"), 0.6)
    bark = cv.shapes().rect(x - s * 0.42, base - s * 0.02, x + s * 0.42, base)
    _paint(ctx, bark, rgb("#5a3a24"), 0.5)


def _silo(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    body = cv.shapes().rect(x - s * 0.15, base - s * 0.9, x + s * 0.15, base)
    _paint(ctx, body, sp.colour(0, rgb("#c8ccd0")), 0.8)
    lit = cv.shapes().rect(
        x + ctx.light_dir * s * 0.02, base - s * 0.9, x + ctx.light_dir * s * 0.13, base
    )
    _paint(ctx, lit, sp.colour(0, rgb("#c8ccd0")), 1.0)
    dome = cv.shapes().ellipse(x, base - s * 0.9, s * 0.15, s * 0.12)
    _paint(ctx, dome, rgb("#9aa0a8"), 0.8)
    rings = cv.shapes()
    for k in range(1, 6):
        rings.line(
            [(x - s * 0.15, base - s * 0.15 * k), (x + s * 0.15, base - s * 0.15 * k)],
            max(0.5, s * 0.008),
        )
    _paint(ctx, rings, rgb("#7a8088"), 0.6)


def _water_tower(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    legs = cv.shapes()
    for d in (-1, 1):
        legs.line([(x + d * s * 0.25, base), (x + d * s * 0.15, base - s * 0.6)], s * 0.025)
    legs.line([(x - s * 0.22, base - s * 0.2), (x + s * 0.18, base - s * 0.45)], s * 0.015)
    legs.line([(x + s * 0.22, base - s * 0.2), (x - s * 0.18, base - s * 0.45)], s * 0.015)
    _paint(ctx, legs, DARK, 0.5)
    tank = cv.shapes().rect(x - s * 0.22, base - s * 0.9, x + s * 0.22, base - s * 0.6)
    tank.poly(
        [(x - s * 0.25, base - s * 0.9), (x, base - s * 1.02), (x + s * 0.25, base - s * 0.9)]
    )
    _paint(ctx, tank, sp.colour(0, rgb("#8a5a3a")), 0.8)


def _turbine(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    for k in range(sp.count):
        tx = x + (k - (sp.count - 1) / 2) * s * 0.9
        ts = s * (1.0 - 0.25 * k)
        tb = base - ts * 0.1 * k
        hub = (tx, tb - ts)
        mast = cv.shapes().poly(
            [
                (tx - ts * 0.025, tb),
                (tx + ts * 0.025, tb),
                (tx + ts * 0.012, hub[1]),
                (tx - ts * 0.012, hub[1]),
            ]
        )
        _paint(ctx, mast, WHITE, 0.9)
        blades = cv.shapes()
        a0 = 0.4 + k
        for j in range(3):
            a = a0 + j * 2 * math.pi / 3
            tip = (hub[0] + math.cos(a) * ts * 0.45, hub[1] + math.sin(a) * ts * 0.45)
            side = (
                hub[0] + math.cos(a + 0.25) * ts * 0.08,
                hub[1] + math.sin(a + 0.25) * ts * 0.08,
            )
            blades.poly([hub, side, tip])
        blades.ellipse(hub[0], hub[1], ts * 0.03, ts * 0.03)
        _paint(ctx, blades, WHITE, 1.0)


def _stones(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    """Standing stones in a ring, lintels on the nearest pairs."""
    cv = ctx.cv
    stone = sp.colour(0, rgb("#8a8a84"))
    back, front = cv.shapes(), cv.shapes()
    for k in range(10):
        a = 2 * math.pi * k / 10
        sx, sy = x + math.cos(a) * s * 0.7, base - s * 0.15 + math.sin(a) * s * 0.18
        near = math.sin(a) > 0
        h = s * (0.5 if near else 0.4)
        w = s * (0.09 if near else 0.07)
        (front if near else back).rect(sx - w, sy - h, sx + w, sy)
    back.rect(x - s * 0.35, base - s * 0.62, x + s * 0.1, base - s * 0.54)
    _paint(ctx, back, scale(stone, 0.85), 0.6)
    _paint(ctx, front, stone, 0.85)


def _torii(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    red = sp.colour(0, rgb("#d8382a"))
    g = cv.shapes()
    for d in (-1, 1):
        g.rect(x + d * s * 0.3 - s * 0.035, base - s * 0.75, x + d * s * 0.3 + s * 0.035, base)
    g.rect(x - s * 0.42, base - s * 0.62, x + s * 0.42, base - s * 0.57)
    g.rect(x - s * 0.03, base - s * 0.75, x + s * 0.03, base - s * 0.6)
    _paint(ctx, g, red, 0.85)
    top = cv.shapes().poly(
        [
            (x - s * 0.55, base - s * 0.84),
            (x + s * 0.55, base - s * 0.84),
            (x + s * 0.5, base - s * 0.76),
            (x - s * 0.5, base - s * 0.76),
        ]
    )
    _paint(ctx, top, DARK, 0.4)


def _arch(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    a = cv.shapes().rect(x - s * 0.45, base - s * 0.8, x + s * 0.45, base)
    a.rect(x - s * 0.2, base - s * 0.45, x + s * 0.2, base, erase=True)
    a.ellipse(x, base - s * 0.45, s * 0.2, s * 0.2, erase=True)
    _paint(ctx, a, sp.colour(0, rgb("#c8b89a")), 0.8)
    cap = cv.shapes().rect(x - s * 0.5, base - s * 0.88, x + s * 0.5, base - s * 0.8)
    _paint(ctx, cap, sp.colour(0, rgb("#c8b89a")), 0.95)


def _sandcastle(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    sand = sp.colour(0, rgb("#e0c080"))
    c = cv.shapes().rect(x - s * 0.35, base - s * 0.25, x + s * 0.35, base)
    for k, (dx, h) in enumerate(((-0.3, 0.5), (0.0, 0.65), (0.3, 0.5))):
        c.rect(x + dx * s - s * 0.08, base - s * h, x + dx * s + s * 0.08, base)
        for j in range(3):
            mx = x + dx * s - s * 0.08 + s * 0.064 * j
            c.rect(mx, base - s * (h + 0.05), mx + s * 0.032, base - s * h)
        del k
    _paint(ctx, c, sand, 0.8)
    flag = cv.shapes().line([(x, base - s * 0.7), (x, base - s * 0.9)], max(0.5, s * 0.01))
    flag.poly([(x, base - s * 0.9), (x + s * 0.12, base - s * 0.85), (x, base - s * 0.8)])
    _paint(ctx, flag, rgb("#d83a3a"), 0.9)
    door = cv.shapes().ellipse(x, base, s * 0.06, s * 0.12)
    _paint(ctx, door, scale(sand, 0.6), 0.5)


def _geyser(ctx: Ctx, sp: Spec, x: float, base: float, s: float) -> None:
    cv = ctx.cv
    pool = cv.shapes().ellipse(x, base, s * 0.4, s * 0.08)
    _paint(ctx, pool, rgb("#5ac0d0"), 0.9)
    jet = cv.shapes().poly(
        [
            (x - s * 0.06, base),
            (x - s * 0.12, base - s * 1.0),
            (x + s * 0.12, base - s * 1.0),
            (x + s * 0.06, base),
        ]
    )
    for k in range(5):
        jet.ellipse(x + s * 0.1 * (k - 2), base - s * (1.0 + 0.05 * (k % 2)), s * 0.14, s * 0.1)
    _paint(ctx, jet, rgb("#f4f8fa"), 0.95)


_THINGS.update(
    {
        "postbox": _postbox,
        "picnic": _picnic,
        "logs": _logs,
        "silo": _silo,
        "water tower": _water_tower,
        "turbine": _turbine,
        "stones": _stones,
        "torii": _torii,
        "arch": _arch,
        "sandcastle": _sandcastle,
        "geyser": _geyser,
    }
)


def _butterflies(ctx: Ctx, sp: Spec, x: float, y: float, s: float) -> None:
    cv = ctx.cv
    cols = (rgb("#f08a2a"), rgb("#3a8ae8"), rgb("#e84a9a"), rgb("#f0d02a"), rgb("#8a4ad8"))
    rng = np.random.default_rng(61)
    for k in range(sp.count):
        bx = x + float(rng.uniform(-1.2, 1.2)) * s
        by = y + float(rng.uniform(0.3, 1.8)) * s
        w = s * float(rng.uniform(0.12, 0.2))
        wings = cv.shapes()
        for d in (-1, 1):
            wings.ellipse(bx + d * w * 0.5, by - w * 0.25, w * 0.5, w * 0.4)
            wings.ellipse(bx + d * w * 0.4, by + w * 0.3, w * 0.35, w * 0.3)
        _paint(ctx, wings, cols[k % len(cols)], 0.95)
        _paint(
            ctx,
            cv.shapes().line([(bx, by - w * 0.5), (bx, by + w * 0.5)], max(0.5, w * 0.1)),
            DARK,
            0.4,
        )


_FLYERS["butterflies"] = _butterflies


def _puddles(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    look = ctx.plan.look
    for k, (fx, fy, rw) in enumerate(((0.25, 0.86, 0.16), (0.62, 0.92, 0.22), (0.8, 0.8, 0.1))):
        p = cv.shapes().ellipse(cv.w * fx, cv.h * fy, ctx.u(rw), ctx.u(rw * 0.18))
        cv.fill(p.mask(), mix(look.zenith, look.horizon, 0.5))
        shine = cv.shapes().ellipse(
            cv.w * fx - ctx.u(rw * 0.3),
            cv.h * fy - ctx.u(rw * 0.04),
            ctx.u(rw * 0.35),
            ctx.u(rw * 0.04),
        )
        cv.fill(shine.mask(), mix(look.horizon, WHITE, 0.5), 0.8)
        ripple = cv.shapes().ellipse(
            cv.w * fx + ctx.u(rw * 0.3), cv.h * fy, ctx.u(rw * 0.15), ctx.u(rw * 0.04)
        )
        ripple.ellipse(
            cv.w * fx + ctx.u(rw * 0.3), cv.h * fy, ctx.u(rw * 0.12), ctx.u(rw * 0.025), erase=True
        )
        cv.fill(ripple.mask(), WHITE, 0.7)
        del k


def _tornado(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    hy = ctx.y(ctx.horizon)
    x = cv.w * 0.6
    funnel = cv.shapes()
    for k in range(16):
        t = k / 15
        y = hy * 0.1 + (hy + ctx.u(0.05) - hy * 0.1) * t
        r = ctx.u(0.3 * (1 - t) ** 1.6 + 0.015)
        cx = x + math.sin(t * 3.5) * ctx.u(0.05)
        funnel.ellipse(cx, y, r, ctx.u(0.03 + 0.02 * (1 - t)))
    _paint(ctx, funnel, sp.colour(0, rgb("#6a6a70")), 0.6)
    dust = cv.shapes().ellipse(x, hy + ctx.u(0.05), ctx.u(0.12), ctx.u(0.04))
    _paint(ctx, dust, rgb("#8a7a60"), 0.6)


def _bubbles(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    rng = np.random.default_rng(71)
    ring, shine = cv.shapes(), cv.shapes()
    for _ in range(18):
        bx, by = float(rng.uniform(0.05, 0.95)) * cv.w, float(rng.uniform(0.1, 0.8)) * cv.h
        r = ctx.u(float(rng.uniform(0.02, 0.06)))
        ring.ellipse(bx, by, r, r).ellipse(bx, by, r * 0.88, r * 0.88, erase=True)
        shine.ellipse(bx - r * 0.4, by - r * 0.4, r * 0.2, r * 0.14)
    cv.fill(ring.mask(), rgb("#e8f4ff"), 0.85)
    cv.fill(shine.mask(), WHITE, 0.95)


def _confetti(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    rng = np.random.default_rng(81)
    cols = (rgb("#e83a3a"), rgb("#f0c02a"), rgb("#3a8ae8"), rgb("#3ab86a"), rgb("#e84ab8"))
    bits = [cv.shapes() for _ in cols]
    for k in range(int(220 * cv.aspect)):
        bx, by = float(rng.uniform(0, cv.w)), float(rng.uniform(0, cv.h))
        a = float(rng.uniform(0, math.pi))
        ln = ctx.u(0.008)
        bits[k % len(cols)].line(
            [(bx, by), (bx + math.cos(a) * ln, by + math.sin(a) * ln)], max(0.6, ctx.u(0.006))
        )
    for b, c in zip(bits, cols, strict=True):
        cv.fill(b.mask(), c, 0.95)


def _fireflies(ctx: Ctx, sp: Spec) -> None:
    cv = ctx.cv
    rng = np.random.default_rng(91)
    dots = cv.shapes()
    for _ in range(40):
        dots.ellipse(
            float(rng.uniform(0, cv.w)),
            float(rng.uniform(0.4, 0.95)) * cv.h,
            max(0.7, ctx.u(0.004)),
            max(0.7, ctx.u(0.004)),
        )
    _glow(ctx, dots, sp.colour(0, rgb("#d8ff6a")), 2.0)


def _web(ctx: Ctx, sp: Spec) -> None:
    """A spider's web in the top corner, and its spider."""
    cv = ctx.cv
    cx, cy = cv.w * 0.97, cv.h * 0.03
    r = ctx.u(0.4)
    web = cv.shapes()
    spokes = [math.pi * (0.5 + 0.5 * k / 6) for k in range(7)]
    for a in spokes:
        web.line([(cx, cy), (cx + math.cos(a) * r, cy + math.sin(a) * r)], max(0.5, ctx.u(0.002)))
    for j in range(1, 7):
        rr = r * j / 7
        web.line(
            [(cx + math.cos(a) * rr, cy + math.sin(a) * rr) for a in spokes],
            max(0.5, ctx.u(0.0015)),
        )
    cv.fill(web.mask(), mix(ctx.plan.look.horizon, WHITE, 0.7), 0.85)
    sx, sy = cx - r * 0.45, cy + r * 0.35
    spider = cv.shapes().ellipse(sx, sy, ctx.u(0.015), ctx.u(0.02))
    for d in (-1, 1):
        for k in range(4):
            spider.line(
                [
                    (sx, sy),
                    (sx + d * ctx.u(0.03), sy - ctx.u(0.02) + k * ctx.u(0.013)),
                    (sx + d * ctx.u(0.04), sy + k * ctx.u(0.015)),
                ],
                max(0.5, ctx.u(0.003)),
            )
    _paint(ctx, spider, DARK, 0.3)


_LAYERS.update(
    {
        "puddles": _puddles,
        "tornado": _tornado,
        "bubbles": _bubbles,
        "confetti": _confetti,
        "fireflies": _fireflies,
        "web": _web,
    }
)


# ---- the stage: every drawn concept the prompt names --------------------------------------

Ground = Callable[[Ctx, Spec, float, float, float], None]
GROUND: dict[str, Ground] = {
    "building": building,
    "tent": tent,
    "pyramid": pyramid,
    "ruins": ruins,
    "igloo": igloo,
    "treehouse": treehouse,
    "plant": plant,
    "thing": thing,
    "vehicle": vehicle,
}
# The variants a routine knows, for checking the vocabulary.
VARIANTS: dict[str, frozenset[str]] = {
    "building": frozenset(
        {"gable", "flat", "dome", "spire", "pediment", "pagoda", "saw", "onion", "none"}
    ),
    "plant": frozenset(_PLANTS),
    "thing": frozenset(_THINGS),
    "vehicle": frozenset(_VEHICLES),
    "flyer": frozenset(_FLYERS),
    "layer": frozenset(_LAYERS),
    "furniture": frozenset(_ROOMS),
}
ROUTINES = frozenset({*GROUND, "flyer", "layer", "furniture"})

SPECS: dict[str, Spec] = {name: spec_of(name, d) for name, d in VOCABULARY.drawn.items()}


def check_specs(specs: dict[str, Spec]) -> None:
    """A drawn concept names a routine, a variant and marks that exist."""
    for sp in specs.values():
        if sp.draw not in ROUTINES:
            raise RuntimeError(f"vocabulary.yaml: {sp.name} is drawn by unknown {sp.draw!r}")
        allowed = VARIANTS.get(sp.draw)
        if allowed is not None and sp.roof not in allowed:
            raise RuntimeError(f"vocabulary.yaml: {sp.name}: {sp.draw} has no {sp.roof!r}")
        if sp.setting is not None and sp.setting not in HORIZONS:
            raise RuntimeError(f"vocabulary.yaml: {sp.name}: no landscape {sp.setting!r}")
        unknown = sp.marks - MARKS
        if unknown:
            raise RuntimeError(f"vocabulary.yaml: {sp.name}: unknown marks {sorted(unknown)}")


check_specs(SPECS)


def furnished(concepts: list[str]) -> bool:
    """Whether the prompt names a kind of room (a kitchen, a classroom...)."""
    return any(c in SPECS and SPECS[c].draw == "furniture" for c in concepts)


def _coloured(sp: Spec, colour: RGB | None) -> Spec:
    """The spec in the colour the prompt gives the thing ("a blue tractor")."""
    if colour is None:
        return sp
    return replace(sp, colours=(colour, *sp.colours[1:]))


def paint_props(ctx: Ctx) -> None:
    """Draw every concept of the prompt that ``vocabulary.yaml`` says how to draw:
    whole layers and furniture first, then what flies, then what stands on the ground."""
    p = ctx.plan
    named = [c for c in p.reading.concepts if c in SPECS and c not in ctx.cv.boxes]
    if not named:
        return
    specs = [(c, _coloured(SPECS[c], p.bound.get(c))) for c in named]
    # Their own random source, so adding a drawn concept never moves the rest of a picture.
    rng = np.random.default_rng(p.layout_seed ^ 0x5A11)
    _paint_layers(ctx, [(c, sp) for c, sp in specs if sp.draw in ("layer", "furniture")])
    _paint_flyers(ctx, [(c, sp) for c, sp in specs if sp.draw == "flyer"], rng)
    _paint_grounded(ctx, [(c, sp) for c, sp in specs if sp.draw in GROUND], rng)


def _paint_layers(ctx: Ctx, specs: list[tuple[str, Spec]]) -> None:
    """Layers over the whole scene, and a room's furniture in the middle of its floor."""
    cv = ctx.cv
    for c, sp in specs:
        with cv.tagged(c):
            if sp.draw == "layer":
                layer(ctx, sp)
            else:
                furniture(ctx, sp, cv.w * 0.5, cv.h * 0.94, min(cv.w * 0.62, ctx.u(1.05)))


def _paint_flyers(ctx: Ctx, specs: list[tuple[str, Spec]], rng: np.random.Generator) -> None:
    """What flies, spread across the upper sky."""
    cv = ctx.cv
    hy = ctx.y(ctx.horizon)
    for k, (c, sp) in enumerate(specs):
        fx = (k + 0.5) / len(specs) * 0.7 + 0.15 + float(rng.uniform(-0.05, 0.05))
        fy = float(rng.uniform(0.15, 0.35)) * max(hy, cv.h * 0.4)
        with cv.tagged(c):
            flyer(ctx, sp, cv.w * fx, fy, ctx.u(sp.size))


def _paint_grounded(ctx: Ctx, specs: list[tuple[str, Spec]], rng: np.random.Generator) -> None:
    """What stands on the ground, side by side across the picture (on the floor, and
    smaller, indoors)."""
    cv = ctx.cv
    hy = ctx.y(ctx.horizon)
    indoors = ctx.plan.kind not in ("outdoor", "underwater")
    n = len(specs)
    for k, (c, sp) in enumerate(specs):
        fx = (0.5 if n == 1 else 0.2 + 0.6 * k / (n - 1)) + float(rng.uniform(-0.06, 0.06))
        # Between the horizon and the viewer; every other one a little nearer.
        depth = 0.55 + 0.12 * (k % 2)
        base = cv.h * 0.92 if indoors else hy + (cv.h - hy) * depth
        size = ctx.u(sp.size * (0.6 if indoors else 1.0))
        with cv.tagged(c):
            GROUND[sp.draw](ctx, sp, cv.w * fx, base, size)
