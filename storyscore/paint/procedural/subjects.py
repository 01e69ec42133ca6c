"""Subjects: the characters a prompt names, where they go, and painting them.

The story's characters come with the request (their descriptions appear in
the expanded prompt); a prompt may also name a creature or a made thing on
its own ("an owl on a branch"). Each becomes a subject: its design (the same
on every page), the pose its verbs give it, and where the spatial words put
it. Subjects are painted last, large and in front, lit by the scene's light.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from storyscore.paint.base import CharacterRef
from storyscore.paint.procedural.canvas import RGB, Arr, Mask, box_blur, mix, rgb, scale
from storyscore.paint.procedural.characters import (
    _CARRY_VERBS,
    ITEMS,
    KINDS,
    Design,
    Subject,
    design,
    item_of,
    kind_phrases,
    pose_of,
    tokens,
)
from storyscore.paint.procedural.draw import Ctx
from storyscore.paint.procedural.figures import Drawing, draw

MAX_SUBJECTS = 3
# A subject covers about this share of the frame (before its size words).
SUBJECT_AREA = 0.075
FAR_AREA = 0.012
# Small things stay small beside the creatures: a lantern is not a house.
_AREA = {"lantern": 0.4, "kite": 0.7, "bird": 0.8, "fish": 0.85}
# Kinds the scenery already paints when a prompt names them in passing.
_NOT_AD_HOC = frozenset({"person", "child", "lantern"})
_DETERMINERS = frozenset({"a", "an", "the", "one", "single", "lone", "lonely", "solitary"})
_NOT_ADJECTIVE = frozenset({
    "of", "in", "on", "at", "by", "with", "and", "or", "to", "from", "under", "over", "into",
    "through", "near", "beside", "behind", "above", "below", "across", "along", "between",
    "is", "are", "its", "their",
})
_CLAUSE_END = re.compile(r"[,.;:!?]")


@dataclass
class Placed:
    """A subject's drawing with its scale and where its ground point goes (pixels)."""

    subject: Subject
    drawing: Drawing
    s: float
    x: float
    y: float
    facing: float
    order: float = 0.0
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def box(self) -> tuple[float, float, float, float]:
        """The drawing's box in canvas pixels: (left, top, right, bottom)."""
        x0, y0, x1, y1 = self.bounds
        w = (x1 - x0) * self.s
        return (self.x - w / 2, self.y - y1 * self.s, self.x + w / 2, self.y - y0 * self.s)


@dataclass
class SubjectDrawn:
    """What painting a subject left behind: its coverage, for the layout report."""

    name: str
    what: str
    character: bool
    cover: Mask
    palette: list[RGB] = field(default_factory=list)


def describe_subject(sub: Subject) -> str:
    """A subject in words, for ``explain``: "@boat as a boat, afloat"."""
    d = sub.design
    pose = "afloat" if sub.pose == "swimming" and d.family in ("boat", "ship", "duck") \
        else sub.pose
    if sub.item is not None:
        thing = "some flowers" if sub.item == "flowers" else \
            f"{'an' if sub.item[0] in 'aeiou' else 'a'} {sub.item}"
        pose += f", carrying {thing}"
    if sub.perch:
        pose += " on a branch"
    if sub.distance == "far":
        pose += ", in the distance"
    article = "an" if d.kind[0] in "aeiou" else "a"
    if sub.character:
        return f"@{d.name} as {article} {d.kind}, {pose}"
    return f"{article} {d.kind}, {pose}"


def find_subjects(prompt: str, characters: tuple[CharacterRef, ...],
                  words: tuple[tuple[str, str], ...] = ()) -> tuple[list[Subject], str]:
    """The subjects of ``prompt``, and the prompt with their words blanked (the scenery).

    ``words`` are the story's own words, which may name kinds ("hedgehog": mouse).
    """
    low = prompt.lower()
    spans: list[tuple[int, int, Design, bool]] = []
    taken = [False] * len(prompt)
    for ref in characters:
        desc = ref.description.strip().lower()
        at = low.find(desc) if desc else -1
        if at < 0 or any(taken[at:at + len(desc)]):
            continue
        spans.append((at, at + len(desc), design(ref.name, ref.description, words), True))
        for k in range(at, at + len(desc)):
            taken[k] = True
    spans.extend(_ad_hoc(prompt, taken, words))
    spans.sort(key=lambda s: s[0])
    spans = spans[:MAX_SUBJECTS]
    scenery = list(prompt)
    subjects: list[Subject] = []
    for k, (a, b, d, is_char) in enumerate(spans):
        nxt = spans[k + 1][0] if k + 1 < len(spans) else len(prompt)
        clause = _clause(prompt, b, nxt)
        carried = item_of(d, clause)
        subjects.append(Subject(d, pose_of(d, prompt[a:b] + " " + clause), a, b, is_char,
                                item=carried[0] if carried else None,
                                item_colour=carried[1] if carried else None))
        for i in range(a, b):
            scenery[i] = " "
    _read_places(prompt, subjects)
    return subjects, "".join(scenery)


def _clause(prompt: str, start: int, stop: int) -> str:
    """The words after a subject up to the end of its clause or the next subject."""
    text = prompt[start:stop]
    m = _CLAUSE_END.search(text)
    return text[: m.start()] if m else text


def _ad_hoc(prompt: str, taken: list[bool], author: tuple[tuple[str, str], ...] = ()
            ) -> list[tuple[int, int, Design, bool]]:
    """Creatures and made things the prompt names with an article: "an owl", "a red kite"."""
    phrases = kind_phrases(author)
    words = [(m.group(0).lower(), m.start(), m.end())
             for m in re.finditer(r"[A-Za-z]+(?:-[A-Za-z]+)*", prompt)]
    out: list[tuple[int, int, Design, bool]] = []
    i = 0
    while i < len(words):
        kind = None
        n = 1
        for size in (3, 2, 1):
            phrase = tuple(w for w, _, _ in words[i:i + size])
            if len(phrase) == size and phrase in phrases:
                kind, n = phrases[phrase], size
                break
        if kind is None or kind in _NOT_AD_HOC or taken[words[i][1]]:
            i += 1
            continue
        # Look back for an article over at most three describing words.
        start = None
        for back in range(1, 5):
            j = i - back
            if j < 0 or words[j][0] in _NOT_ADJECTIVE:
                break
            if words[j][0] in _DETERMINERS:
                start = j
                break
        if start is None or (start > 0 and words[start - 1][0] in _CARRY_VERBS
                             and words[i + n - 1][0] in ITEMS):
            # Not found with an article, or held by someone ("holding a red balloon").
            i += n
            continue
        end_word = i + n - 1
        # "... with a white-tipped tail" belongs to it, up to the end of the clause.
        if end_word + 1 < len(words) and words[end_word + 1][0] == "with":
            stop = _CLAUSE_END.search(prompt, words[end_word][2])
            limit = stop.start() if stop else len(prompt)
            k = end_word + 1
            while k + 1 < len(words) and words[k + 1][2] <= limit and k - end_word < 6:
                k += 1
            end_word = k
        a, b = words[start][1], words[end_word][2]
        if not any(taken[a:b]):
            text = prompt[a:b]
            out.append((a, b, design(words[i + n - 1][0], text, author), False))
            for q in range(a, b):
                taken[q] = True
        i = end_word + 1
    return out


_RELATIONS = (
    ("in front of", "front"), ("on top of", "on"), ("next to", "beside"), ("inside", "in"),
    ("in", "in"),
    ("underneath", "under"), ("beneath", "under"), ("below", "under"), ("under", "under"),
    ("above", "above"), ("over", "above"), ("behind", "behind"), ("beside", "beside"),
    ("riding", "on"), ("upon", "on"), ("on", "on"),
)
_PERCH = re.compile(r"\b(on|from|along) (a|an|the|its|his|her) ([a-z]+ )?"
                    r"(branch|bough|twig|perch)\b"
                    r"|\b(up )?in (a|an|the) ([a-z]+ )?tree\b(?! ?house)")
_PLACE_PHRASES = re.compile(r"\b(on|to|at) (the|its|his|her) (far )?(left|right)( side)?\b"
                            r"|\bin the (distance|foreground|background)\b")
_FAR = ("in the distance", "far away", "far off", "far-off", "distant", "faraway",
        "on the horizon", "far ")
_NEAR = ("in the foreground", "close up", "close-up", "nearby", "near us", "up close")


def _read_places(prompt: str, subjects: list[Subject]) -> None:
    """Spatial words: between two subjects ("X above Y"), and in a subject's own clause."""
    low = prompt.lower()
    for k, s in enumerate(subjects):
        nxt = subjects[k + 1].start if k + 1 < len(subjects) else len(prompt)
        own = " " + _clause(low, s.end, nxt) + " "
        before = low[subjects[k - 1].end if k else 0:s.start]
        before = before[_last_clause_start(before):]
        near_words = own + " " + before
        if "left" in tokens(near_words):
            s.side = "left"
        elif "right" in tokens(near_words):
            s.side = "right"
        if _PERCH.search(own) and s.design.family in ("owl", "bird", "quadruped"):
            s.perch = True
        if any(w in near_words for w in _FAR):
            s.distance = "far"
        elif any(w in near_words for w in _NEAR):
            s.distance = "near"
        if k + 1 < len(subjects):
            between = " " + low[s.end:subjects[k + 1].start] + " "
            # "on the left", "in the distance" place one subject; they relate none.
            between = _PLACE_PHRASES.sub(" ", between)
            for phrase, rel in _RELATIONS:
                if f" {phrase} " in between:
                    s.relation = (rel, k + 1)
                    break


def _last_clause_start(text: str) -> int:
    found = list(_CLAUSE_END.finditer(text))
    return found[-1].end() if found else 0


# ---- placing ---------------------------------------------------------------------

def place(ctx: Ctx, subjects: list[Subject]) -> list[Placed]:
    """Decide each subject's size and position, so that the words hold and none overlap."""
    cv = ctx.cv
    placed: list[Placed] = []
    for sub in subjects:
        drawing = draw(sub.design, sub.pose, sub.item, sub.item_colour)
        bounds = drawing.bounds()
        lw, lh = bounds[2] - bounds[0], bounds[3] - bounds[1]
        area = SUBJECT_AREA * min(1.5, sub.design.size ** 2) * _AREA.get(sub.design.family, 1.0)
        if sub.distance == "far":
            area = FAR_AREA
        elif sub.distance == "near":
            area *= 1.35
        if len(subjects) > 1:
            area *= 0.8
        s = math.sqrt(area * cv.w * cv.h / max(lw * lh, 1e-6))
        s = min(s, 0.62 * cv.h / lh, (0.44 if len(subjects) == 1 else 0.3) * cv.w / lw)
        placed.append(Placed(sub, drawing, s, cv.w / 2, cv.h * 0.94, 1.0, bounds=bounds))
    _arrange_x(ctx, placed)
    for p in placed:
        _set_height(ctx, p)
    _apply_relations(ctx, placed)
    _face(ctx, placed)
    return sorted(placed, key=lambda p: p.order)


def _arrange_x(ctx: Ctx, placed: list[Placed]) -> None:
    """Side by side, left to right in the prompt's order unless "left"/"right" say otherwise."""
    cv = ctx.cv
    rng = np.random.default_rng(ctx.plan.layout_seed ^ 0x5B1EC7)
    free = [p for p in placed if p.subject.relation is None or p.subject.relation[0] in (
        "beside",)]
    free += [p for p in placed if p not in free and not _is_dependent(p, placed)]
    order = sorted(free, key=lambda p: {"left": -1, None: 0, "right": 1}[p.subject.side])
    widths = [(p.bounds[2] - p.bounds[0]) * p.s for p in order]
    gap = cv.w * 0.06
    total = sum(widths) + gap * max(0, len(order) - 1)
    if total > cv.w * 0.92:
        k = cv.w * 0.92 / total
        for p in order:
            p.s *= k
        widths = [w * k for w in widths]
        total = cv.w * 0.92
    if len(order) == 1:
        p = order[0]
        centre = {"left": 0.3, "right": 0.7}.get(p.subject.side or "",
                                                  float(rng.uniform(0.4, 0.6)))
        half = widths[0] / 2 / cv.w
        p.x = cv.w * min(max(centre, half + 0.03), 1 - half - 0.03)
        return
    x = (cv.w - total) / 2
    for p, w in zip(order, widths, strict=True):
        p.x = x + w / 2
        x += w + gap


def _is_dependent(p: Placed, placed: list[Placed]) -> bool:
    """Whether another subject's relation places ``p`` (its x follows the other's)."""
    return p.subject.relation is not None and p.subject.relation[0] != "beside"


def _set_height(ctx: Ctx, p: Placed) -> None:
    """The ground line of a subject: on the ground in front, on water, or up in the sky."""
    cv = ctx.cv
    _, y0, _, y1 = p.bounds
    h = (y1 - y0) * p.s
    sub = p.subject
    horizon = ctx.y(ctx.horizon)
    if sub.distance == "far":
        p.y = horizon + cv.h * 0.02
        p.order = -1.0
        if sub.design.aloft or sub.pose == "flying":
            p.y = horizon - cv.h * 0.12
        return
    if sub.design.aloft or sub.pose == "flying":
        p.y = cv.h * 0.08 + y1 * p.s
        p.order = 0.5
        return
    if sub.perch:
        p.y = cv.h * 0.66
        p.order = 1.0
        return
    waterline = p.drawing.waterline
    if sub.design.afloat or sub.pose == "swimming":
        spot = _water_spot(ctx, p.x, h)
        if spot is not None:
            wx, wy = spot
            if wx is not None:
                p.x = wx
            p.y = wy + (waterline or 0.0) * p.s
            p.order = 1.0
            return
    bottom = cv.h * (0.95 if ctx.plan.kind == "outdoor" else 0.93)
    p.y = min(bottom, cv.h * 0.99 + y0 * p.s)
    p.order = 1.0


def _water_spot(ctx: Ctx, x: float, h: float) -> tuple[float | None, float] | None:
    """Where a floating subject rides: low on the nearest stretch of water the scene has."""
    best: tuple[float | None, float] | None = None
    for top, bottom, centre in ctx.water:
        depth = bottom - top
        if depth < ctx.cv.h * 0.08:
            continue
        y = top + depth * (0.78 if bottom < ctx.cv.h * 0.99 else 0.7)
        y = max(y, top + min(depth * 0.5, h * 0.6))
        if bottom < ctx.cv.h * 0.99:
            # Afloat, not aground: the hull stays clear of the far shore's edge.
            y = min(y, bottom - h * 0.15)
        cx = centre(y) if centre is not None else None
        if best is None or y > best[1]:
            best = (cx, y)
    return best


def _apply_relations(ctx: Ctx, placed: list[Placed]) -> None:
    """"X above Y", "X on Y", "X under Y", "X behind Y", "X in front of Y"."""
    cv = ctx.cv
    for p in placed:
        if p.subject.relation is None:
            continue
        rel, other_index = p.subject.relation
        other = next((q for q in placed if q.subject is not p.subject and
                      q.subject.start == _start_of(placed, other_index)), None)
        if other is None or rel == "beside":
            continue
        _, oy0, _, oy1 = other.box()
        if rel in ("above", "under"):
            top_p, low_p = (p, other) if rel == "above" else (other, p)
            low_box = low_p.box()
            top_h = (top_p.bounds[3] - top_p.bounds[1]) * top_p.s
            room = low_box[1] - cv.h * 0.04
            if top_h > room * 0.9:
                top_p.s *= max(0.3, room * 0.9 / top_h)
                top_h = (top_p.bounds[3] - top_p.bounds[1]) * top_p.s
            top_p.x = low_p.x
            top_p.y = low_box[1] - cv.h * 0.03 + top_p.bounds[1] * top_p.s
            top_p.y = min(top_p.y, low_box[1] - cv.h * 0.02 + top_p.bounds[1] * top_p.s)
            top_p.order = low_p.order + 0.1
        elif rel == "on":
            p.x = other.x
            p.s = min(p.s, other.s * 0.8)
            p.y = oy0 + (oy1 - oy0) * 0.12 + p.bounds[1] * p.s
            p.order = other.order + 0.1
        elif rel == "in":
            # Inside the other: smaller, its base low in the other's body (a fox in a boat).
            p.x = other.x
            p.s = min(p.s, other.s * 0.55)
            p.y = oy1 - (oy1 - oy0) * 0.3 + p.bounds[1] * p.s
            p.order = other.order + 0.1
        elif rel in ("behind", "front"):
            back, front = (p, other) if rel == "behind" else (other, p)
            back.s *= 0.7
            fb = front.box()
            back.x = front.x + (fb[2] - fb[0]) * 0.45 * (1 if front.x < cv.w / 2 else -1)
            back.y = front.y - cv.h * 0.08
            back.order = front.order - 0.1


def _start_of(placed: list[Placed], index: int) -> int:
    starts = sorted(p.subject.start for p in placed)
    return starts[index] if index < len(starts) else -1


def _face(ctx: Ctx, placed: list[Placed]) -> None:
    """Subjects face the middle of the picture, toward each other when there are two."""
    cv = ctx.cv
    for p in placed:
        p.facing = 1.0 if p.x < cv.w * 0.5 else -1.0
        if len(placed) == 1:
            p.facing = 1.0 if ctx.plan.layout_seed % 2 == 0 else -1.0
            if p.x < cv.w * 0.4:
                p.facing = 1.0
            elif p.x > cv.w * 0.6:
                p.facing = -1.0


# ---- painting --------------------------------------------------------------------

def subject_lit(ctx: Ctx, albedo: RGB, side: float) -> RGB:
    """A subject's colour in the scene's light, kept readable: the way an illustrator
    lights the hero, the scene's light tints it but never drowns it."""
    look = ctx.plan.look
    base = look.lit(albedo, 0.0, side)
    key = scale(albedo, (0.5 + 0.5 * side) * (1.0 - 0.3 * look.night))
    return mix(base, key, 0.3 + 0.35 * look.night)


def paint_figure(ctx: Ctx, p: Placed) -> SubjectDrawn | None:
    """Paint one placed subject; returns its coverage for the layout report."""
    cv = ctx.cv
    bx0, by0, bx1, by1 = p.box()
    pad = 3
    x0, y0 = max(0, int(bx0) - pad), max(0, int(by0) - pad)
    x1, y1 = min(cv.w, math.ceil(bx1) + pad), min(cv.h, math.ceil(by1) + pad)
    if x1 <= x0 or y1 <= y0:
        return None
    cover = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    lx0, _, lx1, _ = p.bounds
    cx = (lx0 + lx1) / 2

    def to_px(q: tuple[float, float]) -> tuple[float, float]:
        return (p.x + p.facing * (q[0] - cx) * p.s, p.y - q[1] * p.s)

    light_dir = ctx.light_dir
    for part in p.drawing.parts:
        shapes = cv.shapes()
        for poly in part.polys:
            shapes.poly([to_px(q) for q in poly])
        for pts, width in part.lines:
            shapes.line([to_px(q) for q in pts], max(0.6, width * p.s))
        m = shapes.mask()
        if m is None:
            continue
        _fill_part(ctx, m, part.colour, part.side, part.flat, light_dir)
        if part.glow > 0:
            cv.emit(m, part.colour, part.glow * (0.4 + ctx.plan.look.night))
        _union(cover, m, x0, y0)
    if not cover.any():
        return None
    _outline(ctx, cover, x0, y0)
    if p.drawing.waterline is not None or p.subject.design.afloat:
        _reflect(ctx, cover, x0, y0, p.y - (p.drawing.waterline or 0.0) * p.s)
    palette = [p.subject.design.body, *p.subject.design.parts.values()]
    d = p.subject.design
    return SubjectDrawn(d.name, d.kind, p.subject.character, Mask(cover, x0, y0), palette)


def _fill_part(ctx: Ctx, m: Mask, colour: RGB, side: float, flat: bool, light_dir: float) -> None:
    """Fill a part with round shading: lighter toward the light and the top."""
    if flat:
        ctx.cv.fill(m, subject_lit(ctx, colour, max(side, 0.8)))
        return
    h, w = m.a.shape
    xs = (np.arange(w, dtype=np.float32) + 0.5) / max(w, 1) - 0.5
    ys = (np.arange(h, dtype=np.float32) + 0.5) / max(h, 1) - 0.5
    t = np.clip(side + 0.5 * light_dir * xs[None, :] - 0.45 * ys[:, None], 0.0, 1.0)
    lo = np.asarray(subject_lit(ctx, colour, max(0.0, side - 0.35)), dtype=np.float32)
    hi = np.asarray(subject_lit(ctx, colour, min(1.0, side + 0.3)), dtype=np.float32)
    arr: Arr = lo + (hi - lo) * t[..., None]
    ctx.cv.fill(m, arr.astype(np.float32))


def _union(cover: Arr, m: Mask, x0: int, y0: int) -> None:
    h, w = cover.shape
    ax0, ay0 = max(m.x0, x0), max(m.y0, y0)
    ax1, ay1 = min(m.x1, x0 + w), min(m.y1, y0 + h)
    if ax1 <= ax0 or ay1 <= ay0:
        return
    region = cover[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0]
    np.maximum(region, m.a[ay0 - m.y0:ay1 - m.y0, ax0 - m.x0:ax1 - m.x0], out=region)


def _outline(ctx: Ctx, cover: Arr, x0: int, y0: int) -> None:
    """A soft dark line around the whole silhouette, so the subject reads on any ground."""
    r = max(0.6, ctx.u(0.0025))
    ring = np.clip(box_blur(cover, r) * 1.6 - cover, 0.0, 1.0) * (1.0 - cover)
    ink = mix(rgb("#1e1a24"), ctx.plan.look.zenith, 0.2)
    ctx.cv.multiply(Mask(ring.astype(np.float32), x0, y0), ink, 0.75)


def _reflect(ctx: Ctx, cover: Arr, x0: int, y0: int, water_y: float) -> None:
    """Mirror the subject in the water below its waterline, within the water's extent."""
    cv = ctx.cv
    wl = round(water_y)
    bottom = cv.h
    for top, bot, _ in ctx.water:
        if top - 2 <= wl <= bot:
            bottom = int(bot)
    rows_above = wl - y0
    n = min(rows_above, bottom - wl, cv.h - wl)
    if n <= 2:
        return
    src_rows = np.arange(wl - 1, wl - 1 - n, -1)
    w = cover.shape[1]
    colour = cv.rgb[src_rows, x0:x0 + w]
    inside = src_rows - y0 < cover.shape[0]
    a = cover[np.clip(src_rows - y0, 0, cover.shape[0] - 1)] * inside[:, None]
    fall = np.linspace(0.55, 0.1, n, dtype=np.float32)[:, None]
    water = np.asarray(ctx.plan.look.water, dtype=np.float32)
    tint = colour * 0.6 + water * 0.4
    alpha = box_blur(a * fall, max(0.5, ctx.u(0.002)))
    cv.fill(Mask(alpha.astype(np.float32), x0, wl), tint.astype(np.float32))


def _branch(ctx: Ctx, p: Placed) -> None:
    """A bough reaching in from the nearer side of the frame, under a perched subject."""
    cv = ctx.cv
    x0, _, x1, _ = p.box()
    from_left = p.x < cv.w / 2
    edge = -cv.w * 0.02 if from_left else cv.w * 1.02
    tip = x1 + (x1 - x0) * 0.4 if from_left else x0 - (x1 - x0) * 0.4
    y = p.y + ctx.u(0.01)
    sag = ctx.u(0.03)
    bark = cv.shapes()
    pts = [(edge, y - sag), ((edge + tip) / 2, y + sag * 0.3), (tip, y + sag * 0.2)]
    bark.line(pts[:2], ctx.u(0.035))
    bark.line(pts[1:], ctx.u(0.02))
    twig_x = (edge + tip) / 2 + (tip - edge) * 0.2
    bark.line([(twig_x, y), (twig_x + (tip - edge) * 0.15, y - ctx.u(0.08))], ctx.u(0.01))
    with cv.tagged("branch"):
        cv.fill(bark.mask(), subject_lit(ctx, rgb("#5a4030"), 0.5))
        leaves = cv.shapes()
        for k in range(7):
            t = 0.35 + 0.09 * k
            lx = edge + (tip - edge) * t
            leaves.ellipse(lx, y - ctx.u(0.02) * (1 if k % 2 else -1.2), ctx.u(0.025),
                           ctx.u(0.012))
        cv.fill(leaves.mask(), subject_lit(ctx, ctx.foliage(), 0.6))


def paint_subjects(ctx: Ctx) -> list[SubjectDrawn]:
    """Place and paint every subject of the plan, back to front."""
    if not ctx.subjects:
        return []
    out: list[SubjectDrawn] = []
    for p in place(ctx, ctx.subjects):
        if p.subject.perch:
            _branch(ctx, p)
        drawn = paint_figure(ctx, p)
        if drawn is not None:
            out.append(drawn)
    return out


def kind_colour(kind: str) -> RGB:
    """The default body colour of a kind (for tests and the docs)."""
    return rgb(KINDS[kind][1])
