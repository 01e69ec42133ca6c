"""Finishing: bloom, colour grade, the medium's look, vignette, and paper grain.

The working canvas may be smaller than the requested picture (to bound time
and memory); it is upscaled here and the grain is added at full size, so big
pictures still have fine texture.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from storyscore.paint.procedural.canvas import Arr, blur, fbm, noise
from storyscore.paint.procedural.design import Plan
from storyscore.paint.procedural.draw import Ctx

PAPER = np.asarray((0.975, 0.955, 0.915), dtype=np.float32)
_LUMA = np.asarray((0.2126, 0.7152, 0.0722), dtype=np.float32)


def lum(a: Arr) -> Arr:
    """Luma of an (H, W, 3) picture."""
    return (a @ _LUMA).astype(np.float32)


def finish(ctx: Ctx) -> Arr:
    """Bloom, grade and stylise the working canvas in place; returns it clipped to [0, 1]."""
    cv = ctx.cv
    p = ctx.plan
    cv.finish_light(1.0)
    img = cv.rgb
    np.maximum(img, 0.0, out=img)
    # A soft shoulder instead of a hard clip keeps glows from flattening into white.
    over = img > 0.85
    img[over] = 0.85 + 0.15 * (1.0 - np.exp(-(img[over] - 0.85) / 0.15))
    img = _grade(img, p)
    img = _style(ctx, img)
    img = _vignette(ctx, img)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def _grade(img: Arr, p: Plan) -> Arr:
    if p.tint is not None and p.tint_amount > 0:
        t = np.asarray(p.tint, dtype=np.float32)
        tl = float(t @ _LUMA)
        # Keep brightness: the tint colour is scaled to the pixel's luma.
        washed = lum(img)[..., None] * (t / max(tl, 0.05))
        img = img * (1 - p.tint_amount) + np.minimum(washed, 1.2) * p.tint_amount
    if abs(p.saturation - 1.0) > 1e-3:
        g = lum(img)[..., None]
        img = g + (img - g) * p.saturation
    if abs(p.contrast - 1.0) > 1e-3:
        img = (img - 0.45) * p.contrast + 0.45
    return np.maximum(img, 0.0).astype(np.float32)


def _warp(ctx: Ctx, img: Arr, amount: float, cell: float) -> Arr:
    """Displace the picture by smooth noise, so edges waver like a hand-painted line."""
    cv = ctx.cv
    if amount < 0.3:
        return img
    dx = (noise(ctx.drng, cv.w, cv.h, cell) - 0.5) * 2 * amount
    dy = (noise(ctx.drng, cv.w, cv.h, cell) - 0.5) * 2 * amount
    ys = np.clip(np.arange(cv.h, dtype=np.float32)[:, None] + dy, 0, cv.h - 1.001)
    xs = np.clip(np.arange(cv.w, dtype=np.float32)[None, :] + dx, 0, cv.w - 1.001)
    y0 = ys.astype(np.int32)
    x0 = xs.astype(np.int32)
    fy = (ys - y0)[..., None]
    fx = (xs - x0)[..., None]
    flat = img.reshape(-1, 3)
    idx = (y0 * cv.w + x0).ravel()
    shape = img.shape

    def at(offset: int) -> Arr:
        return np.take(flat, idx + offset, axis=0).reshape(shape)

    top = at(0)
    top += (at(1) - top) * fx
    bot = at(cv.w)
    bot += (at(cv.w + 1) - bot) * fx
    top += (bot - top) * fy
    return top.astype(np.float32, copy=False)


def _outlines(ctx: Ctx, img: Arr, strength: float, width: float) -> Arr:
    """Darken along edges of brightness, as an ink line would."""
    L = blur(lum(img), max(0.5, ctx.u(width)))
    gy, gx = np.gradient(L)
    mag = np.sqrt(gx * gx + gy * gy) * ctx.u(0.01)
    line = np.clip((mag - 0.05) / 0.12, 0, 1)
    out: Arr = img * (1 - strength * line)[..., None]
    return out.astype(np.float32)


def _style(ctx: Ctx, img: Arr) -> Arr:
    cv = ctx.cv
    p = ctx.plan
    style = p.style
    if p.soft:
        img = img * 0.65 + blur(img, ctx.u(0.004)) * 0.35
        bright = np.clip(lum(img) - 0.6, 0, 1)[..., None] * img
        img = img + blur(bright, ctx.u(0.03)) * 0.5
    if style == "watercolor":
        img = _warp(ctx, img, ctx.u(0.005), ctx.u(0.04))
        img = img * 0.45 + blur(img, ctx.u(0.002)) * 0.55
        L = lum(img)
        # Pigment gathers at the edges of each wash.
        edge = L - blur(L, ctx.u(0.008))
        img = img + np.minimum(edge, 0.0)[..., None] * 1.6
        # Uneven washes: each channel mottles on its own, with tide marks where
        # the wash dried.
        mottle = fbm(ctx.drng, cv.w, cv.h, ctx.u(0.12), 2)
        shift = max(1, int(ctx.u(0.1)))
        for c, (dy, dx) in enumerate(((0, 0), (shift, 0), (0, shift))):
            img[..., c] *= 0.95 + 0.09 * np.roll(mottle, (dy, dx), axis=(0, 1))
        blot = fbm(ctx.drng, cv.w, cv.h, ctx.u(0.07), 3)
        tide = np.exp(-(((blot - 0.5) / 0.05) ** 2))
        img = img * (1 - 0.03 * tide[..., None])
        # Granulation settles in the paper's tooth, more in dark pigment.
        gran = noise(ctx.drng, cv.w, cv.h, max(1.0, ctx.u(0.003)))
        img = img * (1 - 0.16 * (1 - L[..., None]) * gran[..., None])
        # The paper shows through light washes; dark pigment stays dark.
        img = img + (PAPER - img) * (0.16 * np.clip(L, 0, 1))[..., None]
        img = img * _paper_relief(ctx, 0.022)[..., None]
    elif style == "oil":
        img = _warp(ctx, img, ctx.u(0.003), ctx.u(0.02))
        strokes = _strokes(ctx)
        gy, gx = np.gradient(strokes)
        relief = np.clip((gx - gy) * ctx.u(0.02), -1, 1)
        img = img * (0.96 + 0.08 * strokes[..., None]) + relief[..., None] * 0.03
        g = lum(img)[..., None]
        img = g + (img - g) * 1.12
    elif style == "ink":
        g = lum(img)[..., None]
        img = (g + (img - g) * 0.35) * 0.85 + PAPER * 0.15 * g
        img = _outlines(ctx, img, 0.85, 0.002)
        L = lum(img)
        xs = np.arange(cv.w, dtype=np.float32)[None, :]
        ys = np.arange(cv.h, dtype=np.float32)[:, None]
        period = max(2.5, ctx.u(0.008))
        hatch = (np.sin((xs + ys) / period * 2 * math.pi) > 0.55).astype(np.float32)
        dark = np.clip((0.4 - L) / 0.4, 0, 1)
        img = img * (1 - 0.45 * hatch * dark)[..., None]
        img = img * PAPER
    elif style == "pastel":
        g = lum(img)[..., None]
        img = g + (img - g) * 0.7
        img = img * 0.68 + 0.32
        img = img * 0.6 + blur(img, ctx.u(0.003)) * 0.4
        # Chalk skips over the paper's tooth in streaks, letting the paper show.
        tooth = _strokes(ctx)
        img = img + (PAPER - img) * (0.22 * np.clip((tooth - 0.55) * 3.0, 0, 1))[..., None]
    else:  # storybook: gentle outlines and a warm paper
        img = _warp(ctx, img, ctx.u(0.0015), ctx.u(0.04))
        img = _outlines(ctx, img, 0.22, 0.0015)
        mottle = fbm(ctx.drng, cv.w, cv.h, ctx.u(0.15), 3)
        img = img * (0.96 + 0.08 * mottle[..., None])
        img = img * 0.95 + PAPER * 0.05
    return img.astype(np.float32)


def _paper_relief(ctx: Ctx, depth: float) -> Arr:
    """Light and shade of a rough paper surface, lit from the upper left."""
    cv = ctx.cv
    tooth = fbm(ctx.drng, cv.w, cv.h, max(1.0, ctx.u(0.008)), 2)
    gy, gx = np.gradient(tooth)
    out: Arr = 1.0 + (gx + gy) * ctx.u(0.008) * depth
    return out.astype(np.float32)


def _strokes(ctx: Ctx) -> Arr:
    """A field of short brush marks in [0, 1] whose direction changes from patch to patch."""
    cv = ctx.cv
    rng = ctx.drng
    long_, short = max(2.0, ctx.u(0.025)), max(1.0, ctx.u(0.005))
    side = int(math.hypot(cv.w, cv.h)) + 2
    gw, gh = max(2, int(side / long_) + 2), max(2, int(side / short) + 2)
    angles = (0.0, 35.0, -35.0, 80.0)
    which = fbm(rng, cv.w, cv.h, ctx.u(0.18), 2)
    which = np.clip((which - which.min()) / max(1e-6, float(np.ptp(which))) * 4, 0, 3.999)
    out = np.zeros((cv.h, cv.w), dtype=np.float32)
    for k, angle in enumerate(angles):
        grid = rng.random((gh, gw), dtype=np.float32)
        layer = Image.fromarray(grid, "F").resize((side, side), Image.Resampling.BICUBIC)
        layer = layer.rotate(angle, Image.Resampling.BILINEAR)
        left, top = (side - cv.w) // 2, (side - cv.h) // 2
        arr = np.asarray(layer, dtype=np.float32)[top : top + cv.h, left : left + cv.w]
        weight = np.clip(1.0 - np.abs(which - (k + 0.5)), 0, 1)
        out += arr * weight
    return np.clip(out, 0, 1).astype(np.float32)


def _vignette(ctx: Ctx, img: Arr) -> Arr:
    cv = ctx.cv
    p = ctx.plan
    k = 0.2
    if p.look.night > 0.4 or {"eerie", "gloomy", "mysterious"} & set(p.moods):
        k = 0.34
    elif "joyful" in p.moods or p.time == "noon":
        k = 0.12
    ys = (np.arange(cv.h, dtype=np.float32) + 0.5) / cv.h - 0.5
    xs = (np.arange(cv.w, dtype=np.float32) + 0.5) / cv.w - 0.5
    r2 = ys[:, None] ** 2 * 1.3 + xs[None, :] ** 2
    f = 1.0 - k * np.clip(r2 / 0.5, 0, 1) ** 1.4
    return (img * f[..., None]).astype(np.float32)


def to_image(img: Arr, width: int, height: int, rng: np.random.Generator,
             grain: float) -> Image.Image:
    """Quantise, upscale if needed, and add fine paper grain at the final size."""
    h, w = img.shape[:2]
    dither = rng.random((h, w, 1), dtype=np.float32) - 0.5
    u8 = np.clip(img * 255.0 + dither, 0, 255).astype(np.uint8)
    pic = Image.fromarray(u8, "RGB")
    if (w, h) != (width, height):
        pic = pic.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if grain <= 0:
        return pic
    arr = np.asarray(pic).copy()
    # Grain in row chunks keeps memory small for very large pictures.
    fibre = noise(rng, max(2, width // 8), max(2, height // 8), 3.0)
    fibre_img = Image.fromarray(fibre.astype(np.float32), "F").resize((width, height),
                                                                      Image.Resampling.BILINEAR)
    fibre_full = np.asarray(fibre_img, dtype=np.float32)
    step = 256
    for y0 in range(0, height, step):
        y1 = min(height, y0 + step)
        g = rng.standard_normal((y1 - y0, width), dtype=np.float32) * grain
        g += (fibre_full[y0:y1] - 0.5) * grain * 1.5
        block = arr[y0:y1].astype(np.float32)
        # Grain is stronger in the mid-tones, as on real paper.
        mid = 0.5 + block.mean(axis=2) * (1 / 255.0) * (1 - block.mean(axis=2) / 255.0) * 2
        block += (g * mid * 255.0)[..., None]
        arr[y0:y1] = np.clip(block, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")
