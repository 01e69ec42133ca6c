"""Picture analysis: one scene's picture in, perceptual features out.

The features describe what a viewer sees, in units that later stages can map
to music: CIELAB colour statistics and dominant colours, warmth, edges and
their orientation, texture by spatial frequency, angularity, complexity,
salient regions, the skyline of the main shapes, and the share of dark
saturated red.

Every picture is resampled to the same working size (longest side
``WORK_SIZE``) before analysis, so the features describe the picture as a
whole frame and do not depend on its resolution. Everything is deterministic.
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from storyscore.errors import StoryscoreError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Bump when any feature's definition changes; part of the analysis cache key.
ANALYSE_VERSION = "1"

#: Longest side, in pixels, of the working copy every picture is analysed at.
WORK_SIZE = 256

#: Upper edges of the texture bands in cycles per pixel of the working copy;
#: the last band runs to the highest frequency. Octaves, low to high.
TEXTURE_BANDS = (1 / 32, 1 / 16, 1 / 8, 1 / 4)
# Each band's centre frequency (geometric; the open-ended bands are taken as
# the octave next to their one edge).
_BAND_CENTRES = tuple(
    math.sqrt(lo * hi)
    for lo, hi in itertools.pairwise((TEXTURE_BANDS[0] / 2, *TEXTURE_BANDS, TEXTURE_BANDS[-1] * 2))
)

# Colour-gradient magnitude (CIELAB ΔE per working pixel) above which a
# thinned gradient maximum is an edge: after the σ=1.5 blur a step of about
# 12 ΔE, a clearly visible boundary, just passes.
_EDGE_THRESHOLD = 3.0

# sRGB primaries to CIE XYZ (D65), IEC 61966-2-1. The white point is the
# matrix's row sums, so sRGB white maps to a* = b* = 0 exactly.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_WHITE = _RGB_TO_XYZ.sum(axis=1)
_DELTA = 6 / 29


@dataclass(frozen=True)
class DominantColour:
    """One cluster of the picture's colours: its centre and its share of the frame."""

    rgb: tuple[int, int, int]
    lab: tuple[float, float, float]
    share: float


@dataclass(frozen=True)
class PictureFeatures:
    """Perceptual features of one picture; every number is a plain float.

    Colour statistics are over CIELAB (D65): ``lightness`` is L* (0..100),
    ``chroma`` is C*ab, ``a``/``b`` are a*/b*. ``dominant_colours`` are
    sorted by share, largest first; the shares sum to 1. ``warmth`` is
    warm (+1) to cool (-1). ``edge_orientation`` is the share of edge energy
    along horizontal, vertical, diagonal ("/", rising to the right) and
    antidiagonal ("\\") lines; uniform for a featureless picture.
    ``texture_energy`` is the lightness-gradient energy per octave band
    (``TEXTURE_BANDS``, low to high), summing to 1, or all zero for a
    featureless picture; ``texture_fineness`` is the share in the two highest
    bands. ``salient_height`` runs 0 (bottom) to 1 (top), 0.5 when nothing
    stands out. ``skyline`` holds the top of the main shapes, 0 (bottom) to
    1 (top), left to right. ``sky_share`` is the share of the frame above the
    skyline when a distinct sky was found, else 0.
    """

    lightness_mean: float
    lightness_std: float
    chroma_mean: float
    chroma_std: float
    a_mean: float
    a_std: float
    b_mean: float
    b_std: float
    dominant_colours: tuple[DominantColour, ...]
    warmth: float
    edge_density: float
    edge_orientation: tuple[float, float, float, float]
    texture_energy: tuple[float, ...]
    texture_fineness: float
    angularity: float
    complexity: float
    salient_height: float
    salient_size: float
    skyline: tuple[float, ...]
    sky_share: float
    red_tension: float

    def to_dict(self) -> dict[str, Any]:
        """Return the features as JSON-ready builtins (tuples become lists)."""
        data: dict[str, Any] = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        data["dominant_colours"] = [
            {"rgb": list(c.rgb), "lab": list(c.lab), "share": c.share}
            for c in self.dominant_colours
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PictureFeatures:
        """Rebuild features from ``to_dict`` output (e.g. read back from a cache)."""
        values = dict(data)
        values["dominant_colours"] = tuple(
            DominantColour(
                rgb=(int(c["rgb"][0]), int(c["rgb"][1]), int(c["rgb"][2])),
                lab=(float(c["lab"][0]), float(c["lab"][1]), float(c["lab"][2])),
                share=float(c["share"]),
            )
            for c in data["dominant_colours"]
        )
        orientation = [float(v) for v in data["edge_orientation"]]
        values["edge_orientation"] = (
            orientation[0],
            orientation[1],
            orientation[2],
            orientation[3],
        )
        values["texture_energy"] = tuple(float(v) for v in data["texture_energy"])
        values["skyline"] = tuple(float(v) for v in data["skyline"])
        return cls(**values)


# --------------------------------------------------------------------------
# Colour science


def srgb_to_lab(rgb: npt.ArrayLike) -> FloatArray:
    """Convert sRGB values (0..255, last axis R, G, B) to CIELAB under D65."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T
    return _xyz_to_lab(xyz)


def lab_to_srgb(lab: npt.ArrayLike) -> FloatArray:
    """Convert CIELAB (D65) to sRGB values (0..255, clipped to the gamut's box)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    t = np.where(f > _DELTA, f**3, 3 * _DELTA**2 * (f - 4 / 29))
    linear = np.clip((t * _WHITE) @ _XYZ_TO_RGB.T, 0.0, 1.0)
    c = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.asarray(c * 255.0, dtype=np.float64)


def _xyz_to_lab(xyz: FloatArray) -> FloatArray:
    t = xyz / _WHITE
    f = np.where(t > _DELTA**3, np.cbrt(t), t / (3 * _DELTA**2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


_LEVELS = np.arange(256.0)
_LINEAR = np.where(
    _LEVELS / 255.0 <= 0.04045,
    _LEVELS / 255.0 / 12.92,
    ((_LEVELS / 255.0 + 0.055) / 1.055) ** 2.4,
)


def _lab_of_uint8(rgb: npt.NDArray[np.uint8]) -> FloatArray:
    """CIELAB of 8-bit sRGB: a table lookup is exact and beats the power law."""
    linear = [_LINEAR[rgb[..., c]] for c in range(3)]
    m = _RGB_TO_XYZ
    xyz = np.stack(
        [m[i, 0] * linear[0] + m[i, 1] * linear[1] + m[i, 2] * linear[2] for i in range(3)],
        axis=-1,
    )
    return _xyz_to_lab(xyz)


# --------------------------------------------------------------------------
# Entry point


def analyse(image: Image.Image, *, colours: int = 5, skyline_samples: int = 32) -> PictureFeatures:
    """Describe a picture's perceptual features.

    ``colours`` is the most dominant colours to report (fewer if the picture
    has fewer distinct colours); ``skyline_samples`` is the skyline's length.
    """
    if image.width < 1 or image.height < 1:
        raise StoryscoreError(f"cannot analyse an empty picture ({image.width}x{image.height})")
    if colours < 1 or skyline_samples < 1:
        raise StoryscoreError("colours and skyline_samples must be at least 1")

    rgb = _working_rgb(image)
    lab = _lab_of_uint8(rgb)
    lightness, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)

    # σ = 1.5 working pixels keeps fine texture from reading as edges and
    # corners, while outlines of shapes a few percent of the frame survive.
    smooth = _blur(lab, 1.5)
    jxx, jyy, jxy = _colour_tensor(smooth)
    magnitude, normal = _tensor_magnitude(jxx, jyy, jxy)
    edges = _thin_edges(magnitude, normal) & (magnitude > _EDGE_THRESHOLD)
    energy, fineness = _texture(lightness)
    height, size = _salience(lab)
    # The skyline reads a barely blurred picture: enough blur to calm grain
    # in the sky, too little to spread steep flanks into the sky's columns.
    sharp, _ = _tensor_magnitude(*_colour_tensor(_blur(lab, 0.8)))
    skyline, sky_share = _skyline(lab, sharp, magnitude, skyline_samples)

    return PictureFeatures(
        lightness_mean=_r(lightness.mean()),
        lightness_std=_r(lightness.std()),
        chroma_mean=_r(chroma.mean()),
        chroma_std=_r(chroma.std()),
        a_mean=_r(a.mean()),
        a_std=_r(a.std()),
        b_mean=_r(b.mean()),
        b_std=_r(b.std()),
        dominant_colours=_dominant_colours(lab, colours),
        warmth=_r(_warmth(a, b, chroma)),
        edge_density=_r(edges.mean()),
        edge_orientation=_orientation_shares(magnitude, normal),
        texture_energy=energy,
        texture_fineness=fineness,
        angularity=_r(_angularity(jxx, jyy, jxy, edges)),
        complexity=_r(_complexity(rgb)),
        salient_height=_r(height),
        salient_size=_r(size),
        skyline=skyline,
        sky_share=_r(sky_share),
        red_tension=_r(_red_tension(lightness, chroma, a, b)),
    )


def _r(value: float | np.floating[Any]) -> float:
    # Six decimals are far below any perceptual difference and keep the JSON
    # stable against last-bit differences between numpy builds.
    return round(float(value), 6)


def _working_rgb(image: Image.Image) -> npt.NDArray[np.uint8]:
    """Return an 8-bit RGB copy at the working size as an (h, w, 3) array."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # Pillow's own conversion clips 16-bit and float pixels at 255.
        values = np.asarray(image, dtype=np.float64)
        if image.mode != "F" and values.max() > 255:
            values = values / 257.0
        image = Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent parts are seen against a white page.
        page = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(page, image.convert("RGBA"))
    image = image.convert("RGB")
    scale = WORK_SIZE / max(image.width, image.height)
    size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
    if size != image.size:
        # reducing_gap=1 first averages whole pixel blocks (a fair area
        # average, and fast), then Lanczos covers the remaining ratio.
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)
    return np.asarray(image, dtype=np.uint8)


# --------------------------------------------------------------------------
# Filters


def _blur(values: FloatArray, sigma: float) -> FloatArray:
    """Gaussian blur over the first two axes, replicating the border."""
    radius = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    h, w = values.shape[:2]
    rest = [(0, 0)] * (values.ndim - 2)
    padded = np.pad(values, [(radius, radius), (0, 0), *rest], mode="edge")
    acc = kernel[0] * padded[:h]
    for i in range(1, len(kernel)):
        acc += kernel[i] * padded[i : i + h]
    padded = np.pad(acc, [(0, 0), (radius, radius), *rest], mode="edge")
    out = kernel[0] * padded[:, :w]
    for i in range(1, len(kernel)):
        out += kernel[i] * padded[:, i : i + w]
    return np.asarray(out, dtype=np.float64)


def _sobel(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Derivatives along x (right) and y (down) per pixel, in units per pixel."""
    p = np.pad(values, [(1, 1), (1, 1)] + [(0, 0)] * (values.ndim - 2), mode="edge")
    right = p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]
    left = p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2]
    down = p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]
    up = p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:]
    return (right - left) / 8, (down - up) / 8


def _colour_tensor(lab: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Di Zenzo colour structure tensor of a CIELAB image (y pointing down)."""
    gx, gy = _sobel(lab)
    return (gx * gx).sum(axis=2), (gy * gy).sum(axis=2), (gx * gy).sum(axis=2)


def _tensor_magnitude(
    jxx: FloatArray, jyy: FloatArray, jxy: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Colour-gradient magnitude (ΔE per pixel) and normal angle (radians, y down)."""
    root = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
    magnitude = np.sqrt(np.maximum(0.5 * (jxx + jyy + root), 0.0))
    return magnitude, 0.5 * np.arctan2(2 * jxy, jxx - jyy)


def _thin_edges(magnitude: FloatArray, normal: FloatArray) -> BoolArray:
    """Non-maximum suppression across the edge, as in Canny's detector."""
    p = np.pad(magnitude, 1)
    h, w = magnitude.shape
    sector = np.round(normal / (np.pi / 4)).astype(np.int64) % 4
    keep = np.zeros((h, w), dtype=bool)
    # Neighbour offsets (dy, dx) along the normal for each 45° sector.
    for s, (dy, dx) in enumerate(((0, 1), (1, 1), (1, 0), (1, -1))):
        ahead = p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        behind = p[1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]
        # ">=" on one side and ">" on the other keeps one pixel of a plateau.
        keep |= (sector == s) & (magnitude >= ahead) & (magnitude > behind)
    return keep


def _smoothstep(x: FloatArray, lo: float, hi: float) -> FloatArray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return np.asarray(t * t * (3 - 2 * t), dtype=np.float64)


# --------------------------------------------------------------------------
# Colour features


def _dominant_colours(lab: FloatArray, k: int) -> tuple[DominantColour, ...]:
    """k-means in CIELAB (k-means++ seeding, fixed seed) on a pixel subsample."""
    pixels = lab.reshape(-1, 3)
    step = max(1, round(math.sqrt(pixels.shape[0] / 4000)))
    sample = lab[::step, ::step].reshape(-1, 3)
    centres = _kmeans_pp(sample, k, np.random.default_rng(0))
    for _ in range(20):
        labels = _nearest(sample, centres)
        updated = _cluster_means(sample, labels, centres)
        # A hundredth of a ΔE is far below what anyone could see.
        converged = bool(np.abs(updated - centres).max() < 0.01)
        centres = updated
        if converged:
            break
    # One last pass over every pixel makes the shares and centres exact.
    labels = _nearest(pixels, centres)
    centres = _cluster_means(pixels, labels, centres)
    counts = np.bincount(labels, minlength=len(centres))
    order = sorted((i for i in range(len(centres)) if counts[i] > 0), key=lambda i: -counts[i])
    rgb = np.round(lab_to_srgb(centres)).astype(int)
    return tuple(
        DominantColour(
            rgb=(int(rgb[i, 0]), int(rgb[i, 1]), int(rgb[i, 2])),
            lab=(_r(centres[i, 0]), _r(centres[i, 1]), _r(centres[i, 2])),
            share=_r(counts[i] / pixels.shape[0]),
        )
        for i in order
    )


def _kmeans_pp(points: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    centres = [points[rng.integers(points.shape[0])]]
    dist = ((points - centres[0]) ** 2).sum(axis=1)
    while len(centres) < k:
        total = dist.sum()
        if total <= 1e-9:
            break  # fewer distinct colours than k
        chosen = points[rng.choice(points.shape[0], p=dist / total)]
        centres.append(chosen)
        dist = np.minimum(dist, ((points - chosen) ** 2).sum(axis=1))
    return np.array(centres)


def _nearest(points: FloatArray, centres: FloatArray) -> npt.NDArray[np.intp]:
    # Written out per channel: a BLAS product of this thin shape is slower
    # and may spin up threads.
    x0, x1, x2 = points[:, 0], points[:, 1], points[:, 2]
    d = np.stack([(c**2).sum() - 2 * (x0 * c[0] + x1 * c[1] + x2 * c[2]) for c in centres], axis=1)
    return np.asarray(np.argmin(d, axis=1), dtype=np.intp)


def _cluster_means(
    points: FloatArray, labels: npt.NDArray[np.intp], centres: FloatArray
) -> FloatArray:
    counts = np.bincount(labels, minlength=len(centres)).astype(np.float64)
    sums = np.stack(
        [np.bincount(labels, weights=points[:, c], minlength=len(centres)) for c in range(3)],
        axis=1,
    )
    # An empty cluster keeps its centre; it is dropped from the result later.
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)


def _warmth(a: FloatArray, b: FloatArray, chroma: FloatArray) -> float:
    """Mean warm-cool index after Ou et al. (2004), squashed into [-1, 1].

    Ou's index is ``-0.5 + 0.02 C*^1.07 cos(h - 50°)``: warmest at orange-red
    (h = 50°), coolest at cyan-blue (230°), growing with chroma. The constant
    is dropped so that neutral grey is 0.
    """
    # C^1.07 cos(h - 50°) = C^0.07 (a cos 50° + b sin 50°), without any angle.
    along = a * math.cos(math.radians(50.0)) + b * math.sin(math.radians(50.0))
    index = 0.02 * np.power(chroma, 0.07, where=chroma > 0, out=np.zeros_like(chroma)) * along
    return float(np.tanh(index).mean())


def _red_tension(lightness: FloatArray, chroma: FloatArray, a: FloatArray, b: FloatArray) -> float:
    """Share of dark, saturated red, as a fuzzy membership averaged over pixels.

    People match angry, tense music with dark, saturated, red colours
    (Palmer, Schloss et al. 2013, music–colour associations). A pixel
    belongs fully when its hue is within 20° of 30° (crimson to brick red;
    sRGB red is 40°), its chroma is above 50 and its L* below 35; membership
    fades out by 50° off hue, chroma 25 and L* 60.
    """
    # Cosine of the hue's distance from 30°, without computing the angle.
    along = (a * math.cos(math.radians(30.0)) + b * math.sin(math.radians(30.0))) / np.maximum(
        chroma, 1e-9
    )
    member = (
        _smoothstep(along, math.cos(math.radians(50.0)), math.cos(math.radians(20.0)))
        * _smoothstep(chroma, 25.0, 50.0)
        * (1 - _smoothstep(lightness, 35.0, 60.0))
    )
    return float(member.mean())


# --------------------------------------------------------------------------
# Structure features


def _orientation_shares(
    magnitude: FloatArray, normal: FloatArray
) -> tuple[float, float, float, float]:
    """Gradient energy by edge orientation: horizontal, vertical, "/", "\\"."""
    energy = (magnitude**2).ravel()
    total = energy.sum()
    if total <= 1e-9:
        return (0.25, 0.25, 0.25, 0.25)
    # The edge runs across its normal; flip y so angles count anticlockwise
    # as a viewer sees them (0° horizontal, 45° rising to the right).
    position = ((np.degrees(-normal) + 90.0) % 180.0).ravel() / 45.0
    lower = np.floor(position)
    upper_weight = position - lower
    lower_bin = lower.astype(np.int64) % 4
    # Each pixel is split linearly between the two nearest of the bins at
    # 0°, 45°, 90° and 135°.
    bins = np.bincount(lower_bin, weights=energy * (1 - upper_weight), minlength=4)
    bins += np.bincount((lower_bin + 1) % 4, weights=energy * upper_weight, minlength=4)
    shares = bins / total
    return (_r(shares[0]), _r(shares[2]), _r(shares[1]), _r(shares[3]))


def _texture(lightness: FloatArray) -> tuple[tuple[float, ...], float]:
    """Lightness-gradient energy per octave band and the share of the top two.

    Each octave of the (windowed) lightness is turned back into a picture,
    and contrast under half an L* there, invisible, is cored away (8-bit
    rounding lays such a faint staircase over every smooth gradient).
    Each band's energy is then weighted by its centre frequency squared,
    giving the energy of the gradient, which flattens the 1/f² fall-off of
    natural pictures so the bands compare coarse and fine structure as the
    eye sees them.
    """
    h, w = lightness.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    spectrum = np.fft.rfft2((lightness - lightness.mean()) * window)
    freq = np.hypot(np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None, :])
    edges = (0.0, *TEXTURE_BANDS, math.inf)
    energies = []
    for (lo, hi), centre in zip(itertools.pairwise(edges), _BAND_CENTRES, strict=True):
        band = np.fft.irfft2(np.where((freq > lo) & (freq <= hi), spectrum, 0), s=(h, w))
        cored = np.maximum(np.abs(band) - 0.5, 0.0)
        energies.append(float((cored**2).sum()) * centre**2)
    bands = np.array(energies)
    total = bands.sum()
    if total <= 0.0:
        return tuple(0.0 for _ in bands), 0.0
    shares = bands / total
    return tuple(_r(s) for s in shares), _r(shares[-2:].sum())


def _angularity(jxx: FloatArray, jyy: FloatArray, jxy: FloatArray, edges: BoolArray) -> float:
    """The share of the outlines' turning done in sharp corners, not curves.

    The turning rate of the edge direction along each edge (the isophote
    curvature, from the colour tensor's doubled-angle orientation field) is
    1/r on a curve of radius r and peaks at a corner. Turning faster than
    about 0.3 rad per working pixel (a radius under ~3 pixels) is a corner,
    slower than 0.12 (a radius over ~8) a curve. Every edge pixel also adds
    a little gentle turning (0.02 rad), so that a few corners on long
    straight edges count for less than a shape made of corners.
    """
    if not edges.any():
        return 0.0
    c2, s2 = jxx - jyy, 2 * jxy
    norm = np.hypot(c2, s2)
    safe = np.where(norm > 1e-9, norm, 1.0)
    c2, s2 = np.where(norm > 1e-9, c2 / safe, 0.0), np.where(norm > 1e-9, s2 / safe, 0.0)
    dc_dy, dc_dx = (np.asarray(d)[edges] for d in np.gradient(c2))
    ds_dy, ds_dx = (np.asarray(d)[edges] for d in np.gradient(s2))
    c2, s2 = c2[edges], s2[edges]
    # Tangent (y down) from the doubled angle: the normal is (cos θ, sin θ).
    tx = -np.sign(s2) * np.sqrt(np.clip((1 - c2) / 2, 0, 1))
    ty = np.sqrt(np.clip((1 + c2) / 2, 0, 1))
    turning = 0.5 * np.hypot(dc_dx * tx + dc_dy * ty, ds_dx * tx + ds_dy * ty)
    sharp = (turning * _smoothstep(turning, 0.12, 0.3)).sum()
    return float(sharp / (turning.sum() + 0.02 * turning.size))


def _complexity(rgb: npt.NDArray[np.uint8]) -> float:
    """Visual complexity from JPEG-compressed size (Machado et al. 2015).

    The bits per pixel above those of a flat picture of the same size, mapped
    to [0, 1): about 0.1 for a smooth gradient, 0.2–0.7 for drawn scenes,
    towards 0.9 for noise.
    """
    h, w = rgb.shape[:2]
    bpp = _jpeg_bits(rgb) / (h * w)
    excess = max(0.0, bpp - _flat_jpeg_bits(w, h) / (h * w))
    return float(1 - math.exp(-excess / 1.5))


def _jpeg_bits(rgb: npt.NDArray[np.uint8]) -> int:
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="JPEG", quality=75)
    return 8 * buffer.tell()


@lru_cache(maxsize=16)
def _flat_jpeg_bits(width: int, height: int) -> int:
    return _jpeg_bits(np.full((height, width, 3), 128, dtype=np.uint8))


def _salience(lab: FloatArray) -> tuple[float, float]:
    """Height and size of the salient regions (frequency-tuned, Achanta 2009).

    Salience is the ΔE between the blurred picture and its mean colour; a
    pixel is salient above twice the mean salience (and 8 ΔE), so regions
    larger than about half the frame read as background, not as subject.
    """
    # Salience is coarse: work on 2x2 block means, blurred by 1 (2 full pixels).
    h2, w2 = lab.shape[0] // 2 * 2, lab.shape[1] // 2 * 2
    blocks = lab[:h2, :w2].reshape(h2 // 2, 2, w2 // 2, 2, 3).mean(axis=(1, 3))
    salience = np.linalg.norm(_blur(blocks, 1.0) - lab.mean(axis=(0, 1)), axis=2)
    mask = salience > max(2 * salience.mean(), 8.0)
    if not mask.any():
        return 0.5, 0.0
    h = salience.shape[0]
    up = 1 - (np.arange(h)[:, None] + 0.5) / h
    weight = salience * mask
    height = float((weight * up).sum() / weight.sum())
    return height, float(mask.mean())


# --------------------------------------------------------------------------
# Skyline


def _skyline(
    lab: FloatArray, sharp: FloatArray, smooth: FloatArray, samples: int
) -> tuple[tuple[float, ...], float]:
    """Top contour of the main shapes, and the share of the frame that is sky.

    1. Split (after Shen & Wang 2013): for a colour-gradient threshold t,
       each column's sky runs down from the top to the first pixel whose
       gradient exceeds t; of a range of thresholds, one whose sky and
       ground are each most uniform in colour wins.
    2. Sky: pixels of the sky's colour (a smooth function of height) that
       can be reached from that sky, so the sky continues beneath a sun,
       moon, bird or cloud floating in it.
    3. Shapes: what is not sky, less the parts floating in it; each
       column's shape starts at the first such pixel from the top, and its
       outline runs where the colour has changed halfway from the sky's to
       the shape's.
    If no split gives a sizeable, even sky of a distinct colour or texture,
    the skyline falls back to where each column's edge energy begins.
    ``sharp`` and ``smooth`` are the colour-gradient magnitudes of the
    picture barely blurred (σ = 0.8) and after the main blur.
    """
    h, w = sharp.shape
    found = _sky_boundary(lab, sharp)
    if found is None:
        rows = _energy_boundary(smooth)
        sky_share = 0.0
    else:
        rows = found
        sky_share = float(np.minimum(rows / h, 1.0).mean())
    heights = np.clip(1 - rows / h, 0.0, 1.0)
    # A median over 3 columns drops single-column spikes (a wire, a mast)
    # without blunting narrow peaks such as treetops.
    padded = np.pad(heights, 1, mode="edge")
    heights = np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)
    # Each sample is the mean height over its share of the width; column x
    # covers [x, x + 1), so the running integral is exact at any bound.
    bounds = np.linspace(0, w, samples + 1)
    integral = np.interp(bounds, np.arange(w + 1), np.concatenate(([0.0], np.cumsum(heights))))
    means = np.diff(integral) / np.diff(bounds)
    return tuple(_r(m) for m in means), sky_share


def _sky_boundary(lab: FloatArray, magnitude: FloatArray) -> FloatArray | None:
    """Per-column first ground row of the best sky/ground split, or None."""
    h = magnitude.shape[0]
    thresholds = np.geomspace(1.0, 24.0, 18)
    # The sky in a column ends where the running maximum of the gradient,
    # read from the top, first exceeds the threshold, or where the picture
    # turns busy (most pixels around have some gradient): low-contrast
    # texture never passes a single large gradient, while a lone edge,
    # however strong, covers only a sliver of its surroundings.
    busy = _blur((magnitude > 2.5).astype(np.float64), 1.5) > 0.5
    running = np.maximum.accumulate(np.where(busy, np.inf, magnitude), axis=0)
    rows = (running[None] <= thresholds[:, None, None]).sum(axis=1)  # (thresholds, w)

    # Per-column prefix sums of colour and its products give every split's
    # mean and covariance without touching the pixels again. Every second
    # row and column is plenty for statistics and four times cheaper.
    sub = lab[::2, ::2]
    lt, a, b = sub[..., 0], sub[..., 1], sub[..., 2]
    channels = np.stack(
        [lt, a, b, lt * lt, lt * a, lt * b, a * a, a * b, b * b, magnitude[::2, ::2]], axis=-1
    )
    sub_h, sub_w = lt.shape
    prefix = np.empty((sub_h + 1, sub_w, 10))
    prefix[0] = 0.0
    # Row by row: numpy's cumsum down the first axis is ten times slower.
    for y in range(sub_h):
        np.add(prefix[y], channels[y], out=prefix[y + 1])
    # Sampled rows 0, 2, 4… lie above row r: (r + 1) // 2 of them.
    sub_rows = (rows[:, ::2] + 1) // 2
    sky = prefix[sub_rows, np.arange(sub_w)[None, :]].sum(axis=1)  # (thresholds, 10)
    total = prefix[sub_h].sum(axis=0)
    n = sub_h * sub_w
    n_sky = sub_rows.sum(axis=1).astype(np.float64)
    n_ground = n - n_sky
    valid = (n_sky >= 0.03 * n) & (n_ground >= 0.03 * n)
    # A sky is smooth; a high threshold that lets the split run down
    # through busy ground is no candidate, nor one so low that the sky's
    # own gentle gradient stops it.
    sky_gradient = sky[:, 9] / np.maximum(n_sky, 1)
    valid &= (sky_gradient <= 2.0) & (thresholds >= 3 * sky_gradient)
    if not valid.any():
        return None
    sky_mean, sky_cov = _moments(sky[valid], n_sky[valid])
    ground_mean, ground_cov = _moments(total - sky[valid], n_ground[valid])
    # Shen & Wang's energy weights the sky's uniformity twice the ground's;
    # the ridge keeps perfectly flat synthetic regions finite.
    ridge = np.eye(3)
    cost = 2 * _det3(sky_cov + ridge) + _det3(ground_cov + ridge)
    # The energy also falls when faint distant hills (aerial perspective)
    # join the sky and leave the ground more even; of the thresholds within
    # a factor of three of the best, the lowest keeps them on the ground.
    best = int(np.argmax(cost <= 3 * cost.min()))
    separation = float(np.linalg.norm(sky_mean[best] - ground_mean[best]))
    ground_gradient = float((total[9] - sky[valid][best, 9]) / n_ground[valid][best])
    # A real sky is clearly different from what stands beneath it, in
    # colour or in texture ...
    smoothness = float(sky_gradient[valid][best])
    if separation < 10.0 and ground_gradient < 3 * smoothness + 1.0:
        return None
    # ... and most of the split follows one smooth colour gradient (a shape
    # running out of the top of the frame can make up the rest).
    split = np.arange(h)[:, None] < rows[valid][best][None, :]
    model, spread, share = _sky_colour(lab, split)
    if spread > 12.0 or share < 0.5:
        return None
    distance = np.linalg.norm(lab - model, axis=2)
    tolerance = max(3 * spread + 3.0, 8.0)
    reach = _open_sky(split, distance, tolerance, magnitude)
    # The split often stops at the first faint streak; refitting the sky's
    # colour to all the sky found so far follows it down to the horizon.
    for _ in range(2):
        if not reach.any():
            return None
        model, spread, _ = _sky_colour(lab, reach)
        distance = np.linalg.norm(lab - model, axis=2)
        tolerance = max(3 * spread + 3.0, 8.0)
        grown = _open_sky(split, distance, tolerance, magnitude)
        settled = np.count_nonzero(grown != reach) < 0.005 * reach.size
        reach = grown
        if settled:
            break
    first = _first_shape_row(reach)
    return np.where(first < h, _colour_boundary(first, distance, tolerance) + 0.5, float(h))


def _first_shape_row(sky: BoolArray) -> npt.NDArray[np.intp]:
    """Per column, the top row of the first main shape below the sky (h if none).

    Floating parts (see ``_anchored``) are skipped, and so is any stretch of
    a column under a quarter of the frame tall with open sky (a sixteenth
    of the frame or more) right below it: a cloud that happens to touch a
    peak is still a cloud where sky shows beneath it, while the small gaps
    between a fir's branches do not cut its branch tips off.
    """
    h, w = sky.shape
    solid = _anchored(~sky)
    # Lengths of the solid and sky runs starting at each pixel, going down.
    run = np.zeros((h + 1, w), dtype=np.intp)
    gap = np.zeros((h + 1, w), dtype=np.intp)
    for y in range(h - 1, -1, -1):
        run[y] = (run[y + 1] + 1) * solid[y]
        gap[y] = (gap[y + 1] + 1) * sky[y]
    rows = np.arange(h)[:, None]
    below = gap[np.minimum(rows + run[:h], h), np.arange(w)[None, :]]
    starts = solid & ~np.vstack([np.zeros((1, w), dtype=bool), solid[:-1]])
    shape_top = starts & ~((run[:h] < h // 4) & (below >= h // 16))
    return np.asarray(np.where(shape_top.any(axis=0), np.argmax(shape_top, axis=0), h))


def _anchored(solid: BoolArray) -> BoolArray:
    """The parts of ``solid`` that do not float in the sky.

    A connected part that stays clear of the bottom of the frame and spans
    less than a third of its height (a sun, moon, cloud or bird, or a
    fleck of grain) floats; anything else (the ground, a tall tree or tower
    standing in mist) is a main shape.
    """
    h, w = solid.shape
    labels = _label(solid)
    if labels is None:
        return solid
    count = int(labels.max()) + 1
    rows = np.broadcast_to(np.arange(h)[:, None], (h, w))[solid]
    top = np.full(count, h)
    bottom = np.full(count, -1)
    np.minimum.at(top, labels[solid], rows)
    np.maximum.at(bottom, labels[solid], rows)
    floating = (bottom < h - 1) & (bottom - top < h // 3)
    floating[0] = False
    return np.asarray(solid & ~floating[labels], dtype=bool)


def _label(mask: BoolArray, limit: int = 20000) -> npt.NDArray[np.intp] | None:
    """4-connected component labels (1, 2, …; 0 outside), or None past ``limit`` runs.

    Works on horizontal runs, joined with the overlapping runs of the row
    above by union-find: few runs in the pictures that have a sky, and no
    image library needed.
    """
    h, w = mask.shape
    labels = np.zeros((h, w), dtype=np.intp)
    parent = [0]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    previous: list[tuple[int, int, int]] = []
    runs_seen = 0
    for y in range(h):
        edges = np.diff(np.concatenate(([0], mask[y].astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        runs_seen += len(starts)
        if runs_seen > limit:
            return None
        current = []
        j = 0
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            while j < len(previous) and previous[j][1] <= start:
                j += 1
            label = 0
            k = j
            while k < len(previous) and previous[k][0] < end:
                root = find(previous[k][2])
                if label == 0:
                    label = root
                elif root != label:
                    parent[root] = label
                k += 1
            if label == 0:
                label = len(parent)
                parent.append(label)
            current.append((start, end, label))
            labels[y, start:end] = label
        previous = current
    roots = np.array([find(i) for i in range(len(parent))], dtype=np.intp)
    return np.asarray(roots[labels], dtype=np.intp)


def _colour_boundary(
    first: npt.NDArray[np.intp], distance: FloatArray, tolerance: float
) -> FloatArray:
    """Per column, the row where the colour crosses halfway from sky to shape.

    The gradient rises before the boundary, most of all beside steep flanks
    and in soft paintings; the halfway point of the colour change below
    ``first`` is where the shape's outline actually runs.
    """
    h, w = distance.shape
    window = first[None, :] + np.arange(-1, 24)[:, None]
    columns = np.arange(w)
    values = distance[np.clip(window, 0, h - 1), columns[None, :]]
    values = np.where(window < h, values, values[np.argmax(window >= h - 1, axis=0), columns])
    steps = np.arange(window.shape[0])[:, None]
    # The change starts where the colour leaves the sky's for three rows in
    # a row (a lone off-colour pixel, such as resampling ringing, does not
    # count) ...
    above = values > tolerance
    above[:-2] &= above[1:-1] & above[2:]
    start = np.where(above.any(axis=0), np.argmax(above, axis=0), 0)
    # ... and the shape's own colour is where it levels off, staying within
    # 10 % (and 0.5 ΔE) for three more rows. Taking the first such level keeps a pale
    # distant hill from being skipped for a darker one below it; in texture
    # that never levels, the strongest change stands in.
    stable = np.zeros_like(above)
    stable[:-3] = np.all(
        [
            np.abs(values[j : len(values) - 3 + j] - values[:-3]) <= 0.1 * values[:-3] + 0.5
            for j in (1, 2, 3)
        ],
        axis=0,
    )
    level = (steps >= start[None, :]) & stable & (values > tolerance)
    strongest = np.where(steps >= start[None, :], values, 0.0).max(axis=0)
    plateau = np.where(level.any(axis=0), values[np.argmax(level, axis=0), columns], strongest)
    crossed = values >= np.maximum(tolerance, 0.5 * plateau)[None, :]
    found = crossed.any(axis=0)
    row = np.maximum(window[np.argmax(crossed, axis=0), columns], 0)
    return np.where(found, row, first).astype(np.float64)


def _open_sky(
    split: BoolArray, distance: FloatArray, tolerance: float, magnitude: FloatArray
) -> BoolArray:
    """The sky: smooth, sky-coloured pixels connected to the top of the split.

    The split from the top stops at the first edge, so it ends above a sun
    or cloud; and it may run through a faint distant hill. The sky is
    therefore the pixels that match the sky's colour where they are and can
    be reached from the top moving only down and sideways: sky beneath a
    floating sun is reached around it, while a sea below a horizon or a
    lake among hills cannot be reached without crossing an edge.
    ``distance`` is each pixel's ΔE from the sky's colour there, and
    ``tolerance`` the ΔE within which it is sky-coloured.
    """
    h, w = magnitude.shape
    count = split.sum(axis=1)
    # Inside the split, haze and faint clouds are sky too; only what is far
    # off the sky's colour (a tree running out of the frame) is not.
    coloured = split & (distance <= max(3 * tolerance, 20.0))
    # Sky is smooth: a mild cap keeps the search out of busy ground whose
    # colour happens to pass near the sky's.
    skylike = (distance <= tolerance) & (magnitude <= 2.5)
    # Only rows that hold sky somewhere, and pixels whose four neighbours are
    # sky-like too, so that stray smooth pixels cannot lead into the ground.
    skylike &= (count >= 3)[:, None]
    padded = np.pad(skylike, 1, mode="edge")
    skylike &= padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    reach = np.zeros((h, w), dtype=bool)
    previous = coloured[0]
    reach[0] = previous
    # Below the split's lowest row nothing is sky-like any more.
    rows_with_sky = np.nonzero(count >= 3)[0]
    for y in range(1, int(rows_with_sky.max()) + 1 if rows_with_sky.size else 1):
        row = skylike[y]
        # Label the runs of sky-like pixels in this row; a run is reached if
        # any of its pixels has reached sky directly above it.
        starts = row & ~np.concatenate(([False], row[:-1]))
        label = np.cumsum(starts) * row
        seeded = np.bincount(label[row & previous], minlength=int(label.max()) + 1) > 0
        seeded[0] = False
        previous = seeded[label] | coloured[y]
        reach[y] = previous
    # The split's own sky-coloured pixels count whatever their gradient:
    # beside steep flanks the gradient spreads into the sky's columns.
    return np.asarray(reach | coloured, dtype=bool)


def _sky_colour(lab: FloatArray, split: BoolArray) -> tuple[FloatArray, float, float]:
    """Sky colour at every pixel, the ΔE spread around it, and the share it fits.

    Skies change colour smoothly, mostly from top to horizon and a little
    across (a glow around the sun), so each CIELAB channel is a quadratic
    in height and width, fitted to the split's pixels. The fit is made
    robust by refitting to the better-fitting half, then to the pixels
    within 2.5 spreads, so that a cloud, a faint hill or a tree running out
    of the frame inside the split does not bend it.
    """
    h, w = split.shape
    rows, cols = np.nonzero(split)
    step = max(1, rows.size // 2000)
    rows, cols = rows[::step], cols[::step]
    colours = lab[rows, cols]

    def terms(y: FloatArray, x: FloatArray) -> FloatArray:
        return np.stack([np.ones_like(y), y, y * y, x, x * x, x * y], axis=-1)

    design = terms(rows / h, cols / w - 0.5)
    keep = np.ones(rows.size, dtype=bool)
    spread = 0.0
    for attempt in range(3):
        coef = _least_squares(design[keep], colours[keep])
        residual = np.linalg.norm(colours - np.einsum("nt,tc->nc", design, coef), axis=1)
        if attempt == 0:
            keep = residual <= np.median(residual)
            continue
        spread = math.sqrt(float((residual[keep] ** 2).mean()))
        keep = residual <= max(2.5 * spread, 3.0)
    # Below the split's lowest row the fit would extrapolate; hold it.
    y = (np.minimum(np.arange(h), rows.max()) / h)[:, None, None]
    x = (np.arange(w) / w - 0.5)[None, :, None]
    # The terms of ``terms`` laid out over the frame, by broadcasting.
    model = (coef[0] + y * coef[1] + y * y * coef[2]) + (x * coef[3] + x * x * coef[4])
    model = model + (x * y) * coef[5]
    return np.asarray(model, dtype=np.float64), spread, float(keep.mean())


def _least_squares(design: FloatArray, values: FloatArray) -> FloatArray:
    """Least-squares coefficients through the normal equations.

    einsum keeps these thin products off BLAS, whose threads cost more
    than the sums themselves (and stall on a busy machine).
    """
    gram = np.einsum("ni,nj->ij", design, design)
    rhs = np.einsum("ni,nc->ic", design, values)
    # A whisker of ridge keeps a degenerate design (one row of sky) solvable.
    ridge = 1e-9 * (np.trace(gram) + 1.0) * np.eye(gram.shape[0])
    return np.asarray(np.linalg.solve(gram + ridge, rhs), dtype=np.float64)


def _det3(m: FloatArray) -> FloatArray:
    """Determinants of a stack of 3x3 matrices, written out."""
    return np.asarray(
        m[:, 0, 0] * (m[:, 1, 1] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 1])
        - m[:, 0, 1] * (m[:, 1, 0] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 0])
        + m[:, 0, 2] * (m[:, 1, 0] * m[:, 2, 1] - m[:, 1, 1] * m[:, 2, 0]),
        dtype=np.float64,
    )


def _moments(sums: FloatArray, counts: FloatArray) -> tuple[FloatArray, FloatArray]:
    mean = sums[:, :3] / counts[:, None]
    second = sums[:, 3:9] / counts[:, None]
    ll, la, lb, aa, ab, bb = (second[:, i] for i in range(6))
    cov = (
        np.stack(
            [
                np.stack([ll, la, lb], axis=-1),
                np.stack([la, aa, ab], axis=-1),
                np.stack([lb, ab, bb], axis=-1),
            ],
            axis=-2,
        )
        - mean[:, :, None] * mean[:, None, :]
    )
    return mean, cov


def _energy_boundary(magnitude: FloatArray) -> FloatArray:
    """Per column, the first row where edge energy reaches half the column's mean."""
    h, w = magnitude.shape
    energy = np.where(magnitude > _EDGE_THRESHOLD, magnitude**2, 0.0)
    # Pool neighbouring pixels so the profile follows shapes, not single edges.
    half = max(1, w // 64)
    padded = np.pad(energy, [(0, 0), (half + 1, half)], mode="edge")
    running = np.cumsum(padded, axis=1)
    pooled = (running[:, 2 * half + 1 :] - running[:, : -2 * half - 1]) / (2 * half + 1)
    pooled = _blur(pooled, 2.0)
    column_mean = pooled.mean(axis=0)
    busy = pooled >= 0.5 * column_mean[None, :]
    rows = np.argmax(busy, axis=0).astype(np.float64)
    # Columns with (almost) no structure have no shape in them: height 0.
    quiet = column_mean <= 1e-3 * max(float(column_mean.max()), 1e-9)
    return np.where(quiet, float(h), rows)
