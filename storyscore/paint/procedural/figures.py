"""Drawings of characters: each family of kinds as parts in its own coordinates.

A drawing is made in local units (x forward, y up from the ground line) as a
list of coloured parts, back to front. Nothing touches the canvas here: the
caller measures the drawing, decides where and how big it goes, and paints
it (``subjects.paint_figure``). Poses change the shapes, never the palette.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from storyscore.paint.procedural.canvas import RGB, Point, mix, rgb, scale
from storyscore.paint.procedural.characters import Design

DARK = rgb("#2a2422")
WOOD = rgb("#6a4a30")
SKIN = (rgb("#f0c8a0"), rgb("#c89066"), rgb("#8a5a3c"), rgb("#e8b890"))
HAIR = (rgb("#3a2a1e"), rgb("#6a4020"), rgb("#1c1a1a"), rgb("#b08040"), rgb("#8a3a1e"))


@dataclass
class Part:
    """One colour of a drawing: polygons and stroked lines in local units."""

    colour: RGB
    side: float = 0.6  # how much it faces the light: shading of the part
    polys: list[list[Point]] = field(default_factory=list)
    lines: list[tuple[list[Point], float]] = field(default_factory=list)
    glow: float = 0.0  # a light source of this strength (lantern glass, robot eyes)
    flat: bool = False  # no shading gradient (eyes, small details)


@dataclass
class Drawing:
    """A character drawn in local units; ``waterline`` is where it floats, if it does."""

    parts: list[Part] = field(default_factory=list)
    waterline: float | None = None

    def part(self, colour: RGB, side: float = 0.6, glow: float = 0.0,
             flat: bool = False) -> Part:
        p = Part(colour, side, glow=glow, flat=flat)
        self.parts.append(p)
        return p

    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of every shape, strokes included."""
        xs: list[float] = []
        ys: list[float] = []
        for p in self.parts:
            for poly in p.polys:
                xs.extend(q[0] for q in poly)
                ys.extend(q[1] for q in poly)
            for pts, w in p.lines:
                xs.extend(q[0] - w / 2 for q in pts)
                xs.extend(q[0] + w / 2 for q in pts)
                ys.extend(q[1] - w / 2 for q in pts)
                ys.extend(q[1] + w / 2 for q in pts)
        return min(xs), min(ys), max(xs), max(ys)

    def turned(self, angle: float, pivot: Point) -> Drawing:
        """The drawing rotated by ``angle`` radians (counter-clockwise) about ``pivot``."""
        c, s = math.cos(angle), math.sin(angle)

        def rot(q: Point) -> Point:
            x, y = q[0] - pivot[0], q[1] - pivot[1]
            return (pivot[0] + x * c - y * s, pivot[1] + x * s + y * c)

        out = Drawing(waterline=self.waterline)
        for p in self.parts:
            np_ = Part(p.colour, p.side, glow=p.glow, flat=p.flat)
            np_.polys = [[rot(q) for q in poly] for poly in p.polys]
            np_.lines = [([rot(q) for q in pts], w) for pts, w in p.lines]
            out.parts.append(np_)
        return out


def ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0,
            n: int = 28) -> list[Point]:
    """An ellipse as a polygon, turned by ``angle`` radians."""
    c, s = math.cos(angle), math.sin(angle)
    out: list[Point] = []
    for k in range(n):
        t = 2 * math.pi * k / n
        x, y = rx * math.cos(t), ry * math.sin(t)
        out.append((cx + x * c - y * s, cy + x * s + y * c))
    return out


def _eye(d: Drawing, design: Design, x: float, y: float, r: float, closed: bool) -> None:
    if closed:
        d.part(DARK, flat=True).lines.append(([(x - r, y), (x, y - r * 0.5), (x + r, y)],
                                              r * 0.45))
        return
    big = design.family in ("owl",)
    if big or design.eyes != rgb("#1a1a1a"):
        d.part(rgb("#f8f4e8"), flat=True).polys.append(ellipse(x, y, r, r))
        d.part(design.eyes, flat=True).polys.append(ellipse(x, y, r * 0.72, r * 0.72))
        d.part(rgb("#101010"), flat=True).polys.append(ellipse(x, y, r * 0.36, r * 0.4))
    else:
        d.part(rgb("#101010"), flat=True).polys.append(ellipse(x, y, r * 0.6, r * 0.7))
    d.part(rgb("#ffffff"), flat=True).polys.append(ellipse(x + r * 0.2, y + r * 0.25,
                                                          r * 0.16, r * 0.16))


# ---- people ------------------------------------------------------------------------

def person(design: Design, pose: str, item: str | None = None,
           item_colour: RGB | None = None) -> Drawing:
    """A storybook person or child, about one unit tall standing, carrying ``item``."""
    d = Drawing()
    v = design.variation
    child = design.kind == "child"
    head_r = 0.11 if child else 0.085
    skin = SKIN[int(v[0] * len(SKIN)) % len(SKIN)]
    hair = design.colour("hair", HAIR[int(v[1] * len(HAIR)) % len(HAIR)])
    coat = design.colour("coat", design.body)
    legs_col = design.colour("legs", rgb("#3a3a48"))
    boots = design.colour("boots", rgb("#4a3228"))
    hip = 0.42 if child else 0.46
    stride = {"walking": 0.1, "running": 0.2, "leaping": 0.16}.get(pose, 0.02)
    lw = 0.07
    sit = pose == "sitting"
    legs = d.part(legs_col, 0.4)
    if sit:
        hip = 0.22
        legs.lines.append(([(-0.02, hip), (0.22, hip), (0.24, 0.03)], lw))
        legs.lines.append(([(0.02, hip - 0.01), (0.26, hip - 0.01), (0.3, 0.03)], lw))
        feet = [(0.27, 0.02), (0.33, 0.02)]
    else:
        knee = 0.06 if pose in ("running", "leaping") else 0.0
        legs.lines.append(([(-0.03, hip), (-0.03 - stride * 0.5 - knee, hip * 0.5),
                            (-0.03 - stride, 0.03)], lw))
        legs.lines.append(([(0.03, hip), (0.03 + stride * 0.5 + knee, hip * 0.5),
                            (0.03 + stride, 0.03)], lw))
        feet = [(-0.03 - stride, 0.02), (0.03 + stride, 0.02)]
    foot = d.part(boots, 0.5)
    for fx, fy in feet:
        foot.polys.append(ellipse(fx + 0.025, fy, 0.05, 0.028))
    top = hip + (0.34 if child else 0.4)
    body = d.part(coat, 0.7)
    hem = hip - 0.08 if sit else hip - 0.06
    flare = 0.15 if design.has("cape") or "coat" in design.parts else 0.12
    body.polys.append([(-0.08, top), (0.08, top), (flare, hem), (-flare, hem)])
    body.polys.append(ellipse(0, top - 0.01, 0.085, 0.035))
    arms = d.part(scale(coat, 0.85), 0.55)
    swing = {"walking": 0.1, "running": 0.2, "leaping": 0.3}.get(pose, 0.03)
    if pose == "leaping":
        arms.lines.append(([(0.06, top - 0.02), (0.14, top + 0.14)], lw * 0.85))
        arms.lines.append(([(-0.06, top - 0.02), (-0.12, top + 0.16)], lw * 0.85))
    else:
        arms.lines.append(([(0.07, top - 0.02), (0.1 + swing, top - 0.2)], lw * 0.85))
        arms.lines.append(([(-0.07, top - 0.02), (-0.1 - swing * 0.6, top - 0.2)], lw * 0.85))
    hand = (0.1 + swing, top - 0.21) if pose != "leaping" else (0.14, top + 0.15)
    if item is not None and pose not in ("sleeping",):
        _carried(d, design, item, hand, item_colour)
    hands = d.part(skin, 0.8)
    if pose == "leaping":
        hands.polys += [ellipse(0.14, top + 0.15, 0.028, 0.028),
                        ellipse(-0.12, top + 0.17, 0.028, 0.028)]
    else:
        hands.polys += [ellipse(0.1 + swing, top - 0.21, 0.028, 0.028),
                        ellipse(-0.1 - swing * 0.6, top - 0.21, 0.028, 0.028)]
    hy = top + head_r * 1.05
    if design.has("braids"):
        braid = d.part(hair, 0.5)
        for sx in (-1, 1):
            braid.lines.append(([(sx * head_r * 0.8, hy), (sx * head_r * 1.05, hy - head_r * 1.4)],
                                head_r * 0.35))
            braid.polys.append(ellipse(sx * head_r * 1.05, hy - head_r * 1.45, head_r * 0.22,
                                       head_r * 0.16))
    d.part(skin, 0.8).polys.append(ellipse(0, hy, head_r, head_r * 1.05))
    hair_p = d.part(hair, 0.55)
    hair_p.polys.append(ellipse(-head_r * 0.1, hy + head_r * 0.45, head_r * 1.05, head_r * 0.62))
    if not design.has("braids"):
        hair_p.polys.append(ellipse(-head_r * 0.75, hy - head_r * 0.1, head_r * 0.35,
                                    head_r * 0.75))
    if design.has("beard"):
        d.part(design.colour("beard", rgb("#d8d4cc")), 0.6).polys.append(
            [(-head_r * 0.8, hy - head_r * 0.3), (head_r * 0.8, hy - head_r * 0.3),
             (0, hy - head_r * 2.0)])
    closed = pose == "sleeping"
    _eye(d, design, head_r * 0.45, hy + head_r * 0.05, head_r * 0.16, closed)
    d.part(rgb("#e88a80"), flat=True).polys.append(ellipse(head_r * 0.55, hy - head_r * 0.35,
                                                          head_r * 0.16, head_r * 0.1))
    if design.has("scarf") or "scarf" in design.parts:
        scarf = d.part(design.colour("scarf", design.second), 0.8)
        scarf.lines.append(([(-0.08, top + 0.005), (0.08, top + 0.005)], 0.05))
        flow = 0.16 if pose in ("walking", "running", "leaping") else 0.06
        scarf.lines.append(([(-0.04, top), (-0.08 - flow, top - 0.1 + flow * 0.4)], 0.045))
    if design.has("hat") or "hat" in design.parts:
        hat = d.part(design.colour("hat", design.second), 0.7)
        hat.polys.append(ellipse(0, hy + head_r * 0.55, head_r * 1.4, head_r * 0.25))
        hat.polys.append(ellipse(0, hy + head_r * 0.85, head_r * 0.85, head_r * 0.55))
    if design.has("crown"):
        d.part(rgb("#f0b332"), 0.9).polys.append(
            [(-head_r * 0.7, hy + head_r * 0.8), (head_r * 0.7, hy + head_r * 0.8),
             (head_r * 0.8, hy + head_r * 1.5), (head_r * 0.35, hy + head_r * 1.15),
             (0, hy + head_r * 1.6), (-head_r * 0.35, hy + head_r * 1.15),
             (-head_r * 0.8, hy + head_r * 1.5)])
    if pose == "sleeping":
        return d.turned(math.pi / 2, (0.0, 0.0))
    if pose == "leaping":
        d = _lifted(d, 0.12)
    if pose == "running":
        return d.turned(-0.12, (0.0, 0.0))
    return d


def _carried(d: Drawing, design: Design, item: str, hand: Point,
             colour_: RGB | None = None) -> None:
    """Something held in the front hand, drawn before the hand closes over it."""
    x, y = hand
    colour = colour_ or design.colour(item, design.second)
    if item == "lantern":
        d.part(DARK, 0.5, flat=True).lines.append(([(x, y), (x, y - 0.06)], 0.012))
        d.part(DARK, 0.5).polys.append([(x - 0.04, y - 0.06), (x + 0.04, y - 0.06),
                                        (x + 0.03, y - 0.08), (x - 0.03, y - 0.08)])
        d.part(rgb("#ffd27a"), 0.95, glow=1.0).polys.append(
            [(x - 0.035, y - 0.08), (x + 0.035, y - 0.08), (x + 0.03, y - 0.17),
             (x - 0.03, y - 0.17)])
        d.part(DARK, 0.5).polys.append([(x - 0.04, y - 0.17), (x + 0.04, y - 0.17),
                                        (x, y - 0.19)])
    elif item == "umbrella":
        d.part(DARK, 0.5, flat=True).lines.append(([(x, y - 0.02), (x - 0.02, y + 0.42)], 0.014))
        canopy = ellipse(x - 0.02, y + 0.42, 0.24, 0.13)
        d.part(colour, 0.75).polys.append([q for q in canopy if q[1] >= y + 0.42])
    elif item == "basket":
        d.part(rgb("#9a6a3a"), 0.6).lines.append(([(x - 0.05, y - 0.02), (x, y + 0.03),
                                                   (x + 0.05, y - 0.02)], 0.012))
        d.part(rgb("#b07a40"), 0.65).polys.append([(x - 0.07, y - 0.03), (x + 0.07, y - 0.03),
                                                   (x + 0.05, y - 0.12), (x - 0.05, y - 0.12)])
    elif item == "book":
        d.part(colour, 0.7).polys.append([(x - 0.02, y + 0.04), (x + 0.07, y + 0.04),
                                          (x + 0.07, y - 0.08), (x - 0.02, y - 0.08)])
    elif item == "flowers":
        d.part(rgb("#4c8a3c"), 0.6).lines.append(([(x, y), (x + 0.03, y + 0.12)], 0.012))
        blooms = d.part(design.colour("flowers", rgb("#e0507a")), 0.85)
        for dx, dy in ((0.0, 0.13), (0.05, 0.12), (0.025, 0.16)):
            blooms.polys.append(ellipse(x + dx, y + dy, 0.025, 0.025))
    elif item == "staff":
        d.part(colour_ or WOOD, 0.6).lines.append(([(x, y - 0.2), (x + 0.02, y + 0.35)], 0.03))
    elif item == "balloon":
        d.part(DARK, 0.5, flat=True).lines.append(([(x, y), (x + 0.04, y + 0.45)], 0.006))
        d.part(colour, 0.8).polys.append(ellipse(x + 0.04, y + 0.52, 0.07, 0.085))


def _lifted(d: Drawing, dy: float) -> Drawing:
    """The drawing raised ``dy`` units above the ground (a leap, a flight)."""
    return _moved(d, 0.0, dy)


def _moved(d: Drawing, dx: float, dy: float) -> Drawing:
    out = Drawing(waterline=d.waterline)
    for p in d.parts:
        q = Part(p.colour, p.side, glow=p.glow, flat=p.flat)
        q.polys = [[(x + dx, y + dy) for x, y in poly] for poly in p.polys]
        q.lines = [([(x + dx, y + dy) for x, y in pts], w) for pts, w in p.lines]
        out.parts.append(q)
    return out


# ---- four-legged animals ---------------------------------------------------------------

# body length, body height, leg length, neck, head radius, snout, ears, tail
BUILDS: dict[str, tuple[float, float, float, float, float, float, str, str]] = {
    "fox": (0.9, 0.3, 0.28, 0.1, 0.17, 0.17, "pointed", "bushy"),
    "wolf": (1.0, 0.34, 0.34, 0.12, 0.18, 0.17, "pointed", "bushy"),
    "cat": (0.78, 0.28, 0.26, 0.06, 0.17, 0.04, "pointed", "thin"),
    "dog": (0.85, 0.32, 0.3, 0.1, 0.18, 0.12, "floppy", "thin"),
    "rabbit": (0.58, 0.36, 0.12, 0.04, 0.17, 0.05, "long", "puff"),
    "mouse": (0.62, 0.26, 0.08, 0.02, 0.15, 0.1, "round", "thin"),
    "bear": (1.0, 0.5, 0.26, 0.06, 0.2, 0.08, "round", "short"),
    "deer": (0.82, 0.3, 0.5, 0.3, 0.15, 0.12, "pointed", "short"),
    "horse": (1.0, 0.36, 0.52, 0.34, 0.16, 0.18, "small", "long"),
    "unicorn": (1.0, 0.36, 0.52, 0.34, 0.16, 0.18, "small", "long"),
    "lion": (1.0, 0.38, 0.34, 0.06, 0.2, 0.08, "round", "tuft"),
    "tiger": (1.08, 0.34, 0.32, 0.06, 0.19, 0.08, "round", "thin"),
    "cow": (1.1, 0.46, 0.34, 0.06, 0.17, 0.1, "small", "tuft"),
    "sheep": (0.9, 0.44, 0.24, 0.04, 0.15, 0.06, "floppy", "short"),
    "pig": (0.9, 0.4, 0.16, 0.02, 0.18, 0.06, "floppy", "curl"),
    "dragon": (1.1, 0.36, 0.3, 0.36, 0.16, 0.16, "horn", "long-spiked"),
}


@dataclass(frozen=True)
class _Quad:
    """The proportions and pose of a four-legged animal, shared by its drawing steps."""

    design: Design
    pose: str
    kind: str
    blen: float
    bh: float
    leg: float
    neck: float
    hr: float
    snout: float
    ears: str
    tail: str
    v: tuple[float, ...]
    body_c: RGB
    belly_c: RGB
    leg_c: RGB
    sleeping: bool
    sitting: bool
    stretch: float
    by: float
    bx: float
    lw: float
    back_x: float
    front_x: float


def quadruped(design: Design, pose: str) -> Drawing:
    """A four-legged animal in side view, facing +x: tail, legs, body, then head."""
    d = Drawing()
    q = _quad_frame(design, pose)
    _quad_tail(d, q)
    near = _quad_far_legs(d, q)
    hx, hy, chest_y = _quad_body(d, q, near)
    _quad_head(d, q, hx, hy, chest_y)
    kind, blen, bh, by, bx = q.kind, q.blen, q.bh, q.by, q.bx
    if kind == "dragon" or design.has("wings"):
        _wings(d, design, bx, by + bh * 0.3, blen, pose)
    if kind == "dragon":
        spikes = d.part(design.second, 0.7)
        for k in range(5):
            sx = bx - blen * 0.3 + blen * 0.14 * k
            sy = by + bh * 0.48
            spikes.polys.append([(sx - 0.03, sy - 0.02), (sx + 0.03, sy - 0.02), (sx, sy + 0.07)])
    if pose == "leaping":
        return _moved(d.turned(0.2, (bx, by)), 0.0, 0.15)
    if pose == "flying":
        return _moved(d.turned(0.12, (bx, by)), 0.0, 0.1)
    if pose == "running":
        return d.turned(0.05, (bx, 0.0))
    return d


def _quad_frame(design: Design, pose: str) -> _Quad:
    """The animal's build from its kind and description, and what the pose does to it."""
    kind = design.kind if design.kind in BUILDS else "dog"
    blen, bh, leg, neck, hr, snout, ears, tail = BUILDS[kind]
    v = design.variation
    # The character's own proportions: fixed by its description.
    blen *= 0.94 + 0.12 * v[2]
    snout *= 0.9 + 0.2 * v[3]
    if design.has("fluffy"):
        bh *= 1.08
    body_c = design.body
    belly_c = design.second
    leg_c = design.colour("legs", design.colour("paws", mix(body_c, DARK, 0.15)))
    sleeping = pose == "sleeping"
    sitting = pose == "sitting"
    stretch = {"walking": 0.25, "running": 0.55, "leaping": 0.8}.get(pose, 0.05)
    by = leg + bh / 2  # body centre height
    bx = 0.0
    if sleeping:
        by, leg = bh * 0.45, 0.0
    lw = max(0.05, min(0.1, blen * 0.09))
    back_x, front_x = bx - blen * 0.32, bx + blen * 0.32
    return _Quad(
        design=design, pose=pose, kind=kind, blen=blen, bh=bh, leg=leg, neck=neck, hr=hr,
        snout=snout, ears=ears, tail=tail, v=v, body_c=body_c, belly_c=belly_c, leg_c=leg_c,
        sleeping=sleeping, sitting=sitting, stretch=stretch, by=by, bx=bx, lw=lw,
        back_x=back_x, front_x=front_x)


def _quad_tail(d: Drawing, q: _Quad) -> None:
    """The tail, drawn first: behind the body."""
    design, kind, blen, bh = q.design, q.kind, q.blen, q.bh
    tail, body_c, sleeping, sitting = q.tail, q.body_c, q.sleeping, q.sitting
    stretch, by, bx = q.stretch, q.by, q.bx
    tail_c = design.colour("tail", body_c)
    tip_c = design.parts.get("tail_tip")
    if kind == "fox" and tip_c is None and "tail" not in design.parts:
        tip_c = rgb("#f6f0e6")
    tx, ty = bx - blen * 0.5, by + bh * 0.15
    if sitting:
        tx, ty = bx - blen * 0.2, bh * 0.2
    if tail in ("bushy", "long-spiked", "long"):
        if sleeping:
            pts = [(tx, ty), (tx - 0.05, ty - 0.12), (bx + blen * 0.1, 0.05),
                   (bx + blen * 0.55, 0.08)]
        elif sitting:
            pts = [(tx, ty), (tx + 0.1, 0.05), (bx + blen * 0.45, 0.04)]
        else:
            lift = 0.1 + 0.15 * stretch
            pts = [(tx, ty), (tx - 0.18, ty - 0.05 + lift * 0.5), (tx - 0.38, ty + lift)]
        if tail == "bushy":
            width = 0.16 if not design.has("fluffy") else 0.2
            part = d.part(tail_c, 0.6)
            part.lines.append((pts, width))
            if tip_c is not None:
                ex, ey = pts[-1]
                px, py = pts[-2]
                ln = math.hypot(ex - px, ey - py) or 1.0
                d.part(tip_c, 0.8).lines.append((
                    [(ex - (ex - px) / ln * 0.08, ey - (ey - py) / ln * 0.08), (ex, ey)],
                    width * 0.95))
        elif tail == "long":
            d.part(design.colour("mane", design.colour("tail", mix(body_c, DARK, 0.4))),
                   0.5).lines.append((pts, 0.07))
        else:
            part = d.part(tail_c, 0.6)
            part.lines.append((pts, 0.09))
            ex, ey = pts[-1]
            d.part(design.colour("tail_tip", design.second), 0.7).polys.append(
                [(ex - 0.02, ey + 0.07), (ex - 0.14, ey), (ex - 0.02, ey - 0.07)])
    elif tail == "thin":
        if sleeping:
            pts = [(tx, ty), (tx - 0.04, 0.05), (bx + blen * 0.5, 0.04)]
        elif sitting:
            pts = [(tx, ty), (tx + 0.05, 0.03), (bx + blen * 0.4, 0.03)]
        else:
            pts = [(tx, ty), (tx - 0.12, ty + 0.06), (tx - 0.16, ty + 0.22)]
        d.part(tail_c, 0.6).lines.append((pts, 0.045))
        if tip_c is not None:
            d.part(tip_c, 0.8).polys.append(ellipse(pts[-1][0], pts[-1][1], 0.03, 0.03))
    elif tail == "puff":
        d.part(design.colour("tail", rgb("#f6f2ea")), 0.8).polys.append(
            ellipse(tx + 0.02, ty, 0.07, 0.07))
    elif tail == "tuft":
        pts = [(tx, ty + 0.05), (tx - 0.06, ty - 0.1), (tx - 0.08, ty - 0.28 + (0.15 if sitting
                                                                              else 0))]
        d.part(tail_c, 0.6).lines.append((pts, 0.035))
        d.part(mix(body_c, DARK, 0.4), 0.5).polys.append(ellipse(pts[-1][0], pts[-1][1] - 0.03,
                                                                0.04, 0.06))
    elif tail == "curl":
        d.part(tail_c, 0.6).lines.append((
            [(tx, ty), (tx - 0.08, ty + 0.04), (tx - 0.06, ty + 0.1), (tx - 0.02, ty + 0.06)],
            0.03))


def _quad_far_legs(d: Drawing, q: _Quad) -> list[tuple[list[Point], float]]:
    """The far legs, drawn now; the near ones are returned, drawn over the body."""
    bh, leg, leg_c, sleeping = q.bh, q.leg, q.leg_c, q.sleeping
    sitting, stretch, by, lw = q.sitting, q.stretch, q.by, q.lw
    back_x, front_x = q.back_x, q.front_x
    near: list[tuple[list[Point], float]] = []
    if not sleeping:
        far = d.part(mix(leg_c, DARK, 0.25), 0.35)
        for k, (lx, phase) in enumerate(((back_x, -1.0), (front_x, 1.0))):
            if sitting and k == 0:
                continue
            for s in (1.0, -1.0):
                swing = stretch * leg * 0.8 * phase * s
                top = (lx + (0.04 if s > 0 else -0.04), by - bh * 0.2)
                foot = (lx + swing + (0.03 if s > 0 else -0.03), 0.02)
                knee = ((top[0] + foot[0]) / 2 + 0.03 * phase, (top[1] + foot[1]) / 2)
                if s > 0:
                    far.lines.append(([top, knee, foot], lw))
                else:
                    near.append(([top, knee, foot], lw))
    return near


def _quad_body(d: Drawing, q: _Quad, near: list[tuple[list[Point], float]]
               ) -> tuple[float, float, float]:
    """Body, belly, neck, mane and markings, then the near legs; returns where the head
    goes (x, y) and the chest's height."""
    design, kind, blen, bh = q.design, q.kind, q.blen, q.bh
    neck, hr, v, body_c = q.neck, q.hr, q.v, q.body_c
    belly_c, leg_c, sleeping, sitting = q.belly_c, q.leg_c, q.sleeping, q.sitting
    by, bx, lw = q.by, q.bx, q.lw
    chest_y = 0.0
    body = d.part(body_c, 0.65)
    if sitting:
        body.polys.append(ellipse(bx - blen * 0.1, bh * 0.7 + 0.02, blen * 0.33, bh * 0.95,
                                  angle=1.15))
        haunch = ellipse(bx - blen * 0.22, bh * 0.45, blen * 0.28, bh * 0.5)
        body.polys.append(haunch)
        front = d.part(leg_c, 0.45)
        front.lines.append(([(bx + blen * 0.06, bh * 1.1), (bx + blen * 0.1, 0.03)], lw))
        front.lines.append(([(bx + blen * 0.16, bh * 1.0), (bx + blen * 0.2, 0.03)], lw))
        chest_y = bh * 1.45
        hx, hy = bx + blen * 0.14, chest_y + neck * 0.6 + hr * 0.9
    else:
        body.polys.append(ellipse(bx, by, blen / 2, bh / 2))
        if design.has("fluffy") or kind == "sheep":
            for k in range(7):
                t = k / 6
                body.polys.append(ellipse(bx - blen * 0.42 + blen * 0.84 * t,
                                          by + bh * 0.38 * math.sin(math.pi * t) ** 0.5,
                                          bh * 0.22, bh * 0.22))
        hx = bx + blen * 0.48 + neck * 0.35
        hy = by + bh * 0.35 + neck * 0.85 + hr * 0.2
        if sleeping:
            hx, hy = bx + blen * 0.52, hr * 0.95
    if not sleeping and not sitting:
        belly = d.part(belly_c, 0.75)
        belly.polys.append(ellipse(bx + blen * 0.08, by - bh * 0.25, blen * 0.34, bh * 0.2))
    if neck > 0.05 and not sleeping:
        d.part(body_c, 0.62).polys.append([
            (bx + blen * 0.3, by + bh * 0.1), (bx + blen * 0.4, by + bh * 0.45),
            (hx + hr * 0.2, hy + hr * 0.3), (hx - hr * 0.3, hy - hr * 0.6),
            (bx + blen * 0.45, by - bh * 0.2)] if not sitting else [
            (hx - hr * 0.7, chest_y - bh * 0.4), (hx + hr * 0.6, chest_y - bh * 0.3),
            (hx + hr * 0.3, hy), (hx - hr * 0.5, hy)])
    if kind in ("horse", "unicorn", "lion") or design.has("mane"):
        mane_c = design.colour("mane", mix(body_c, DARK, 0.45) if kind != "lion"
                               else rgb("#8a4a1e"))
        mane = d.part(mane_c, 0.5)
        if kind == "lion":
            mane.polys.append(ellipse(hx - hr * 0.25, hy, hr * 1.55, hr * 1.6))
        else:
            mane.lines.append(([(bx + blen * 0.32, by + bh * 0.45), (hx - hr * 0.6, hy + hr * 0.6)],
                               0.06))
    if kind == "tiger" or design.has("stripes"):
        stripes = d.part(design.colour("stripes", rgb("#2a1e18")), 0.4)
        for k in range(5):
            sx = bx - blen * 0.3 + blen * 0.15 * k
            stripes.lines.append((
                [(sx, by + bh * 0.42), (sx + 0.03, by), (sx - 0.01, by - bh * 0.2)], 0.035))
    if kind == "cow" or design.has("spots"):
        spots = d.part(design.colour("spots", design.second if kind == "cow" else
                                     mix(body_c, DARK, 0.5)), 0.4)
        for k in range(4):
            a = v[k % len(v)]
            spots.polys.append(ellipse(bx - blen * 0.3 + blen * 0.2 * k, by + bh * (a - 0.4) * 0.5,
                                       bh * 0.16, bh * 0.12, angle=a * 3))
    if not sleeping and near:
        nl = d.part(leg_c, 0.5)
        nl.lines.extend(near)
    return hx, hy, chest_y


def _quad_head(d: Drawing, q: _Quad, hx: float, hy: float, chest_y: float) -> None:
    """Ears behind the head, then the head, face, eye, and what it wears on it."""
    design, kind, leg, hr = q.design, q.kind, q.leg, q.hr
    snout, ears, body_c, belly_c = q.snout, q.ears, q.body_c, q.belly_c
    sleeping, stretch, back_x, front_x = q.sleeping, q.stretch, q.back_x, q.front_x
    ear_c = design.colour("ears", body_c)
    ears_p = d.part(ear_c, 0.6)
    ear_in = d.part(mix(ear_c, rgb("#3a2a2a"), 0.5), 0.5)
    if ears == "pointed":
        for dx in (-0.05, 0.05):
            base_x = hx + dx - hr * 0.1
            ears_p.polys.append([(base_x - hr * 0.35, hy + hr * 0.5),
                                 (base_x + hr * 0.35, hy + hr * 0.5),
                                 (base_x + hr * 0.05, hy + hr * 1.55)])
        ear_in.polys.append([(hx - hr * 0.25, hy + hr * 0.6), (hx + hr * 0.2, hy + hr * 0.6),
                             (hx, hy + hr * 1.25)])
    elif ears == "long":
        for dx, ang in ((-0.04, 0.25), (0.03, -0.1)):
            ears_p.polys.append(ellipse(hx + dx, hy + hr * 1.5, hr * 0.28, hr * 0.95, angle=ang))
        ear_in.polys.append(ellipse(hx + 0.03, hy + hr * 1.5, hr * 0.13, hr * 0.7, angle=-0.1))
    elif ears == "floppy":
        ears_p.polys.append(ellipse(hx - hr * 0.55, hy + hr * 0.05, hr * 0.3, hr * 0.65, angle=0.4))
    elif ears == "round":
        ears_p.polys.append(ellipse(hx - hr * 0.45, hy + hr * 0.8, hr * 0.35, hr * 0.35))
        ears_p.polys.append(ellipse(hx + hr * 0.35, hy + hr * 0.85, hr * 0.35, hr * 0.35))
    elif ears == "small":
        ears_p.polys.append([(hx - hr * 0.4, hy + hr * 0.6), (hx - hr * 0.05, hy + hr * 0.6),
                             (hx - hr * 0.3, hy + hr * 1.3)])
    elif ears == "horn":
        ears_p.polys.append([(hx - hr * 0.5, hy + hr * 0.5), (hx - hr * 0.1, hy + hr * 0.6),
                             (hx - hr * 0.9, hy + hr * 1.5)])
    head = d.part(design.colour("head", body_c), 0.7)
    head.polys.append(ellipse(hx, hy, hr, hr * 0.92))
    long_face = kind in ("horse", "unicorn", "deer") and not sleeping
    if long_face:
        # A long face sloping down to the muzzle.
        head.polys.append(ellipse(hx + hr * 0.9, hy - hr * 0.75, hr * 1.25, hr * 0.55,
                                  angle=-0.75))
        d.part(mix(body_c, DARK, 0.3), 0.6).polys.append(
            ellipse(hx + hr * 1.55, hy - hr * 1.45, hr * 0.42, hr * 0.36, angle=-0.75))
        if kind != "deer":
            hooves = d.part(DARK, 0.4)
            for lx in (back_x, front_x):
                for dx in (-0.04, 0.04):
                    hooves.polys.append(ellipse(lx + dx + stretch * leg * 0.1, 0.02, 0.045,
                                                0.03))
    elif snout > 0.02:
        head.polys.append([(hx + hr * 0.3, hy + hr * 0.55),
                           (hx + hr * 0.4 + snout, hy - hr * 0.05),
                           (hx + hr * 0.35 + snout, hy - hr * 0.35),
                           (hx + hr * 0.2, hy - hr * 0.7)])
    if (kind in ("fox", "wolf", "cat", "tiger") or "belly" in design.parts) and not long_face:
        d.part(belly_c, 0.8).polys.append(
            [(hx - hr * 0.1, hy - hr * 0.2), (hx + hr * 0.35 + snout, hy - hr * 0.25),
             (hx + hr * 0.25 + snout * 0.8, hy - hr * 0.42), (hx, hy - hr * 0.85)])
    if not long_face:
        nose = d.part(design.colour("nose", rgb("#1e1a1a") if kind != "pig"
                                    else rgb("#e07a86")), flat=True)
        nose.polys.append(ellipse(hx + hr * 0.38 + snout, hy - hr * 0.12, hr * 0.16,
                                  hr * 0.13))
    _eye(d, design, hx + hr * 0.35, hy + hr * 0.22, hr * 0.2, sleeping)
    if kind == "unicorn" or design.has("horn"):
        d.part(design.colour("horn", rgb("#f0d070")), 0.9).polys.append(
            [(hx + hr * 0.1, hy + hr * 0.7), (hx + hr * 0.45, hy + hr * 0.6),
             (hx + hr * 0.5, hy + hr * 2.2)])
    if design.has("antlers"):
        d.part(rgb("#8a6a48"), 0.6).lines.extend([
            ([(hx - hr * 0.1, hy + hr * 0.7), (hx - hr * 0.4, hy + hr * 1.8),
              (hx - hr * 0.9, hy + hr * 2.2)], 0.025),
            ([(hx - hr * 0.3, hy + hr * 1.4), (hx + hr * 0.2, hy + hr * 2.0)], 0.02)])
    if design.has("scarf") or "scarf" in design.parts:
        sc = d.part(design.colour("scarf", rgb("#d3262b")), 0.8)
        sc.lines.append(([(hx - hr * 0.9, hy - hr * 0.9), (hx + hr * 0.1, hy - hr * 1.1)], 0.06))
        sc.lines.append(([(hx - hr * 0.7, hy - hr * 1.0), (hx - hr * 1.4, hy - hr * 1.7)], 0.05))


def _wings(d: Drawing, design: Design, x: float, y: float, span: float, pose: str) -> None:
    up = pose in ("flying", "leaping")
    col = design.colour("wings", mix(design.body, DARK, 0.25))
    wing = d.part(col, 0.5)
    h = span * (0.95 if up else 0.7)
    pts = [(x - span * 0.1, y), (x + span * 0.2, y), (x + span * 0.15, y + h),
           (x - span * 0.05, y + h * 0.7), (x - span * 0.25, y + h * 0.85),
           (x - span * 0.3, y + h * 0.45), (x - span * 0.45, y + h * 0.5)]
    wing.polys.append(pts)


# ---- birds and fish ---------------------------------------------------------------

def owl(design: Design, pose: str) -> Drawing:
    """An owl seen from the front: round body, ear tufts, big eyes."""
    d = Drawing()
    body_c = design.body
    belly = design.second
    flying = pose == "flying"
    if flying:
        wing = d.part(design.colour("wings", mix(body_c, DARK, 0.2)), 0.5)
        for s in (-1, 1):
            wing.polys.append([(s * 0.15, 0.55), (s * 0.75, 0.85), (s * 0.7, 0.65),
                               (s * 0.6, 0.55), (s * 0.5, 0.42), (s * 0.2, 0.35)])
    else:
        feet = d.part(rgb("#d8a040"), 0.6)
        for s in (-1, 1):
            feet.lines.append(([(s * 0.08, 0.08), (s * 0.1, 0.0)], 0.04))
    d.part(body_c, 0.65).polys.append(ellipse(0, 0.42, 0.3, 0.4))
    d.part(belly, 0.8).polys.append(ellipse(0, 0.32, 0.2, 0.27))
    marks = d.part(mix(belly, body_c, 0.6), 0.6)
    for k in range(3):
        for j in range(3 - k % 2):
            marks.polys.append(ellipse(-0.1 + 0.1 * j + 0.05 * (k % 2), 0.4 - 0.1 * k,
                                       0.025, 0.018))
    head = d.part(body_c, 0.7)
    head.polys.append(ellipse(0, 0.78, 0.27, 0.22))
    head.polys.append([(-0.26, 0.8), (-0.2, 1.02), (-0.08, 0.9)])
    head.polys.append([(0.26, 0.8), (0.2, 1.02), (0.08, 0.9)])
    if not flying:
        wings = d.part(design.colour("wings", mix(body_c, DARK, 0.25)), 0.45)
        for s in (-1, 1):
            wings.polys.append(ellipse(s * 0.25, 0.4, 0.09, 0.26, angle=-s * 0.2))
    d.part(mix(belly, rgb("#ffffff"), 0.4), 0.9).polys.extend(
        [ellipse(-0.1, 0.79, 0.11, 0.11), ellipse(0.1, 0.79, 0.11, 0.11)])
    closed = pose == "sleeping"
    for s in (-1, 1):
        _eye(d, design, s * 0.1, 0.79, 0.08, closed)
    d.part(rgb("#d8a040"), 0.7).polys.append([(-0.03, 0.72), (0.03, 0.72), (0, 0.64)])
    return _moved(d, 0.0, 0.25) if flying else d


def bird(design: Design, pose: str) -> Drawing:
    """A small bird in side view; wings up when it flies."""
    d = Drawing()
    body_c = design.body
    flying = pose == "flying"
    lift = 0.3 if flying else 0.0
    if not flying:
        legs = d.part(rgb("#c89050"), 0.5)
        legs.lines += [([(-0.02, 0.2), (-0.04, 0.0)], 0.03), ([(0.06, 0.2), (0.06, 0.0)], 0.03)]
    tail = d.part(mix(body_c, DARK, 0.2), 0.5)
    tail.polys.append([(-0.25, 0.38 + lift), (-0.62, 0.5 + lift), (-0.58, 0.3 + lift)])
    d.part(body_c, 0.65).polys.append(ellipse(0, 0.38 + lift, 0.32, 0.2, angle=0.15))
    d.part(design.second, 0.8).polys.append(ellipse(0.08, 0.3 + lift, 0.2, 0.11, angle=0.2))
    d.part(body_c, 0.7).polys.append(ellipse(0.27, 0.55 + lift, 0.14, 0.13))
    d.part(design.colour("beak", rgb("#e8a030")), 0.8).polys.append(
        [(0.38, 0.58 + lift), (0.52, 0.53 + lift), (0.38, 0.5 + lift)])
    _eye(d, design, 0.3, 0.58 + lift, 0.03, pose == "sleeping")
    wing = d.part(design.colour("wings", mix(body_c, DARK, 0.3)), 0.5)
    if flying:
        wing.polys.append([(-0.1, 0.45 + lift), (0.15, 0.45 + lift), (-0.05, 1.0 + lift),
                           (-0.25, 0.95 + lift)])
    else:
        wing.polys.append(ellipse(-0.05, 0.42, 0.2, 0.1, angle=0.25))
    return d


def duck(design: Design, pose: str) -> Drawing:
    """A duck (or goose or swan) floating on the water line."""
    d = Drawing(waterline=0.08)
    body_c = design.body
    swan = "swan" in design.description.lower()
    d.part(body_c, 0.65).polys.append([
        (-0.5, 0.38), (-0.3, 0.3), (0.1, 0.3), (0.35, 0.25), (0.38, 0.12), (0.2, 0.02),
        (-0.3, 0.02), (-0.45, 0.12)])
    d.part(design.colour("wings", mix(body_c, DARK, 0.15)), 0.5).polys.append(
        ellipse(-0.05, 0.2, 0.26, 0.09, angle=0.1))
    neck_h = 0.5 if swan else 0.3
    d.part(body_c, 0.65).lines.append(([(0.22, 0.2), (0.28, 0.2 + neck_h * 0.6),
                                        (0.3, 0.2 + neck_h)], 0.1))
    hx, hy = 0.32, 0.24 + neck_h
    d.part(design.colour("head", body_c), 0.7).polys.append(ellipse(hx, hy, 0.11, 0.1))
    d.part(design.colour("beak", design.second), 0.8).polys.append(
        ellipse(hx + 0.14, hy - 0.03, 0.08, 0.035))
    _eye(d, design, hx + 0.03, hy + 0.02, 0.025, pose == "sleeping")
    return d


def fish(design: Design, pose: str) -> Drawing:
    """A fish (or whale) swimming, tail and fins, stripes if it has them."""
    d = Drawing(waterline=0.75 if design.kind == "whale" else None)
    body_c = design.body
    whale = design.kind == "whale"
    fin_c = design.colour("fins", mix(body_c, DARK, 0.15))
    d.part(fin_c, 0.5).polys.append([(-0.38, 0.45), (-0.7, 0.75 if not whale else 0.62),
                                     (-0.62, 0.45), (-0.7, 0.15 if not whale else 0.3)])
    d.part(fin_c, 0.5).polys.append([(-0.1, 0.68), (0.12, 0.7), (-0.05, 0.9)])
    ry = 0.22 if whale else 0.27
    d.part(body_c, 0.65).polys.append(ellipse(0, 0.45, 0.48, ry))
    d.part(design.second, 0.8).polys.append(ellipse(0.05, 0.36, 0.36, ry * 0.45))
    if design.has("stripes") or "stripes" in design.parts:
        st = d.part(design.colour("stripes", rgb("#f6f0e6")), 0.6)
        for k in range(3):
            sx = -0.15 + 0.15 * k
            st.lines.append(([(sx, 0.65), (sx - 0.03, 0.25)], 0.05))
    _eye(d, design, 0.3, 0.5, 0.05, pose == "sleeping")
    return d


# ---- made things -------------------------------------------------------------------

def boat(design: Design, pose: str) -> Drawing:
    """A boat: a folded paper boat when the words say paper, else a sailing dinghy."""
    d = Drawing(waterline=0.1)
    sail_c = design.colour("sail", design.second)
    hull_c = design.colour("hull", design.body)
    if design.has("paper"):
        crease = mix(hull_c, rgb("#8a8478"), 0.35)
        d.part(hull_c, 0.85).polys.append([(-0.62, 0.4), (-0.42, 0.02), (0.42, 0.02), (0.62, 0.4)])
        d.part(crease, 0.4).polys.append([(-0.62, 0.4), (-0.3, 0.4), (-0.38, 0.1), (-0.42, 0.02)])
        d.part(sail_c, 0.75).polys.append([(-0.32, 0.4), (0.0, 0.98), (0.32, 0.4)])
        d.part(mix(sail_c, DARK, 0.3), 0.4).polys.append([(0.0, 0.98), (0.32, 0.4), (0.08, 0.4)])
        d.part(crease, 0.4, flat=True).lines += [([(-0.42, 0.02), (-0.3, 0.4)], 0.015),
                                                 ([(0.42, 0.02), (0.3, 0.4)], 0.015)]
        return d
    d.part(WOOD, 0.5).lines.append(([(0.0, 0.3), (0.0, 1.2)], 0.035))
    d.part(sail_c, 0.8).polys.append([(0.03, 1.15), (0.52, 0.4), (0.03, 0.38)])
    d.part(mix(sail_c, DARK, 0.1), 0.6).polys.append([(-0.03, 1.05), (-0.38, 0.42), (-0.03, 0.4)])
    d.part(hull_c, 0.7).polys.append([(-0.62, 0.34), (0.66, 0.38), (0.48, 0.02), (-0.46, 0.02)])
    d.part(design.colour("stripe", rgb("#f0ece4")), 0.8).polys.append(
        [(-0.6, 0.34), (0.64, 0.38), (0.62, 0.32), (-0.58, 0.28)])
    return d


def ship(design: Design, pose: str) -> Drawing:
    """A tall ship: a long hull with portholes, three masts of square sails and a flag."""
    d = Drawing(waterline=0.08)
    sail_c = design.colour("sail", design.second)
    masts = d.part(WOOD, 0.5)
    for mx, mh in ((-0.45, 0.95), (0.0, 1.15), (0.42, 0.9)):
        masts.lines.append(([(mx, 0.3), (mx, mh)], 0.03))
    sails = d.part(sail_c, 0.8)
    for mx, mh in ((-0.45, 0.95), (0.0, 1.15), (0.42, 0.9)):
        for k in range(2):
            y0 = 0.38 + (mh - 0.38) * k / 2 + 0.03
            y1 = 0.38 + (mh - 0.38) * (k + 1) / 2 - 0.02
            w = 0.2 - 0.04 * k
            sails.polys.append([(mx - w, y1), (mx + w, y1), (mx + w * 1.1, y0), (mx - w * 1.1, y0)])
    d.part(design.colour("flag", rgb("#d3262b")), 0.8).polys.append(
        [(0.0, 1.15), (0.16, 1.1), (0.0, 1.05)])
    d.part(design.colour("hull", design.body), 0.6).polys.append(
        [(-0.85, 0.4), (0.9, 0.42), (0.7, 0.02), (-0.7, 0.02)])
    d.part(rgb("#e8d8a0"), 0.8).polys.extend(
        [ellipse(-0.55 + 0.22 * k, 0.25, 0.03, 0.03) for k in range(6)])
    return d


def car(design: Design, pose: str) -> Drawing:
    """A small round car with windows and wheels."""
    d = Drawing()
    body_c = design.body
    d.part(body_c, 0.7).polys.append([(-0.7, 0.12), (-0.72, 0.38), (-0.4, 0.42), (-0.22, 0.68),
                                      (0.3, 0.68), (0.48, 0.42), (0.72, 0.36), (0.72, 0.12)])
    glass = d.part(design.colour("windows", design.second), 0.9)
    glass.polys.append([(-0.18, 0.44), (-0.18, 0.62), (0.02, 0.62), (0.02, 0.44)])
    glass.polys.append([(0.08, 0.44), (0.08, 0.62), (0.26, 0.62), (0.4, 0.44)])
    wheels = d.part(rgb("#222226"), 0.4)
    hubs = d.part(rgb("#c8ccd0"), 0.9)
    for wx in (-0.42, 0.44):
        wheels.polys.append(ellipse(wx, 0.13, 0.14, 0.14))
        hubs.polys.append(ellipse(wx, 0.13, 0.06, 0.06))
    d.part(rgb("#fff0b0"), 0.9, glow=0.4 if pose != "sleeping" else 0.0).polys.append(
        ellipse(0.69, 0.3, 0.03, 0.05))
    return d


def train(design: Design, pose: str) -> Drawing:
    """A steam engine and one carriage on a track."""
    d = Drawing()
    body_c = design.body
    trim = design.second
    d.part(rgb("#5a4a3a"), 0.4).lines.append(([(-1.2, 0.02), (0.8, 0.02)], 0.03))
    d.part(body_c, 0.6).polys.append([(-1.15, 0.14), (-1.15, 0.6), (-0.45, 0.6), (-0.45, 0.14)])
    d.part(design.colour("windows", rgb("#f0e0a0")), 0.9).polys.extend(
        [[(-1.08 + 0.22 * k, 0.36), (-1.08 + 0.22 * k, 0.52), (-0.94 + 0.22 * k, 0.52),
          (-0.94 + 0.22 * k, 0.36)] for k in range(3)])
    d.part(body_c, 0.65).polys.append([(-0.35, 0.14), (-0.35, 0.78), (0.05, 0.78), (0.05, 0.14)])
    d.part(body_c, 0.7).polys.append([(0.05, 0.14), (0.05, 0.52), (0.7, 0.52), (0.7, 0.14)])
    d.part(trim, 0.7).polys.append([(-0.4, 0.78), (0.1, 0.78), (0.1, 0.86), (-0.4, 0.86)])
    d.part(design.colour("roof", DARK), 0.5).polys.append(
        [(0.45, 0.52), (0.45, 0.8), (0.6, 0.8), (0.6, 0.52)])
    d.part(trim, 0.7).polys.append([(0.66, 0.14), (0.66, 0.5), (0.74, 0.5), (0.74, 0.14)])
    wheels = d.part(rgb("#222226"), 0.4)
    for wx in (-1.0, -0.6, -0.2, 0.2, 0.5):
        wheels.polys.append(ellipse(wx, 0.14, 0.12, 0.12))
    d.part(trim, 0.8).polys.extend([ellipse(wx, 0.14, 0.05, 0.05) for wx in (-0.2, 0.2, 0.5)])
    return d


def balloon(design: Design, pose: str) -> Drawing:
    """A hot-air balloon: striped envelope, ropes and a basket."""
    d = Drawing()
    body_c = design.body
    second = design.second
    env = ellipse(0, 0.72, 0.34, 0.3)
    d.part(body_c, 0.7).polys.append([*env, (0.12, 0.36), (-0.12, 0.36)])
    d.part(body_c, 0.7).polys.append([(-0.3, 0.6), (0.3, 0.6), (0.12, 0.36), (-0.12, 0.36)])
    gores = d.part(second, 0.75)
    for k in (-1, 1):
        gores.polys.append(ellipse(k * 0.14, 0.72, 0.06, 0.28))
    ropes = d.part(rgb("#5a4030"), 0.5)
    ropes.lines += [([(-0.12, 0.36), (-0.07, 0.14)], 0.012), ([(0.12, 0.36), (0.07, 0.14)], 0.012)]
    d.part(design.colour("basket", rgb("#9a6a3a")), 0.6).polys.append(
        [(-0.09, 0.14), (0.09, 0.14), (0.07, 0.0), (-0.07, 0.0)])
    return d


def kite(design: Design, pose: str) -> Drawing:
    """A diamond kite with its bowed tail."""
    d = Drawing()
    body_c = design.body
    d.part(body_c, 0.7).polys.append([(0.0, 1.0), (0.3, 0.68), (0.0, 0.2), (-0.3, 0.68)])
    d.part(design.second, 0.8).polys.append([(0.0, 1.0), (0.3, 0.68), (0.0, 0.68)])
    d.part(design.second, 0.8).polys.append([(0.0, 0.2), (-0.3, 0.68), (0.0, 0.68)])
    d.part(WOOD, 0.5, flat=True).lines += [([(0.0, 1.0), (0.0, 0.2)], 0.015),
                                           ([(-0.3, 0.68), (0.3, 0.68)], 0.015)]
    tail = [(0.0, 0.2), (-0.08, 0.1), (0.02, 0.0), (-0.06, -0.12)]
    d.part(DARK, 0.5, flat=True).lines.append((tail, 0.012))
    bows = d.part(design.colour("tail", design.second), 0.8)
    for x, y in tail[1:]:
        bows.polys.append([(x - 0.05, y + 0.03), (x + 0.05, y - 0.03), (x + 0.05, y + 0.03),
                           (x - 0.05, y - 0.03)])
    return d


def lantern(design: Design, pose: str) -> Drawing:
    """A round paper lantern that glows."""
    d = Drawing()
    d.part(DARK, 0.5, flat=True).lines.append(([(0.0, 1.0), (0.0, 0.82)], 0.015))
    d.part(DARK, 0.5).polys.append([(-0.12, 0.84), (0.12, 0.84), (0.1, 0.78), (-0.1, 0.78)])
    d.part(design.colour("light", design.body), 0.95, glow=1.2).polys.append(
        ellipse(0.0, 0.5, 0.3, 0.3))
    d.part(mix(design.body, DARK, 0.3), 0.5, flat=True).lines += [
        ([(x, 0.76), (x * 1.1, 0.5), (x, 0.24)], 0.012) for x in (-0.15, 0.0, 0.15)]
    d.part(DARK, 0.5).polys.append([(-0.1, 0.22), (0.1, 0.22), (0.12, 0.16), (-0.12, 0.16)])
    return d


def robot(design: Design, pose: str) -> Drawing:
    """A friendly robot: box body and head, antenna, glowing eyes."""
    d = Drawing()
    body_c = design.body
    step = 0.06 if pose in ("walking", "running") else 0.0
    legs = d.part(mix(body_c, DARK, 0.3), 0.4)
    legs.lines += [([(-0.1, 0.35), (-0.1 - step, 0.02)], 0.08),
                   ([(0.1, 0.35), (0.1 + step, 0.02)], 0.08)]
    d.part(body_c, 0.65).polys.append([(-0.22, 0.32), (0.22, 0.32), (0.22, 0.72), (-0.22, 0.72)])
    d.part(design.second, 0.8).polys.append(ellipse(0.0, 0.52, 0.08, 0.08))
    d.part(mix(body_c, DARK, 0.2), 0.5).lines += [([(0.22, 0.68), (0.34, 0.45)], 0.06),
                                                  ([(-0.22, 0.68), (-0.34, 0.45)], 0.06)]
    d.part(body_c, 0.7).polys.append([(-0.17, 0.76), (0.17, 0.76), (0.17, 1.0), (-0.17, 1.0)])
    d.part(DARK, 0.5, flat=True).lines.append(([(0.0, 1.0), (0.0, 1.1)], 0.02))
    d.part(design.second, 0.8).polys.append(ellipse(0.0, 1.12, 0.035, 0.035))
    eyes = d.part(design.eyes, 0.95, glow=0.5, flat=True)
    eyes.polys += [ellipse(-0.07, 0.88, 0.04, 0.04), ellipse(0.07, 0.88, 0.04, 0.04)]
    return d


FAMILIES = {
    "person": person, "quadruped": quadruped, "dragon": quadruped, "owl": owl, "bird": bird,
    "duck": duck, "fish": fish, "boat": boat, "ship": ship, "car": car, "train": train,
    "balloon": balloon, "kite": kite, "lantern": lantern, "robot": robot,
}


def draw(design: Design, pose: str, item: str | None = None,
         item_colour: RGB | None = None) -> Drawing:
    """The character in ``pose``, in local units, carrying ``item`` if it can."""
    if design.family == "person":
        return person(design, pose, item, item_colour)
    return FAMILIES[design.family](design, pose)
