"""Tests for storyscore.analyse: colour science and every perceptual feature."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFilter

from storyscore.analyse import (
    TEXTURE_BANDS,
    PictureFeatures,
    analyse,
    lab_to_srgb,
    srgb_to_lab,
)
from storyscore.errors import StoryscoreError

W, H = 320, 180  # analysed at 256x144

# --------------------------------------------------------------------------
# Picture makers


def solid(rgb: tuple[int, int, int], size: tuple[int, int] = (W, H)) -> Image.Image:
    return Image.new("RGB", size, rgb)


def from_array(values: np.ndarray) -> Image.Image:
    values = np.clip(np.round(values), 0, 255).astype(np.uint8)
    if values.ndim == 2:
        values = np.repeat(values[..., None], 3, axis=2)
    return Image.fromarray(values, "RGB")


def stripes(direction: str, period: float = 16.0, size: tuple[int, int] = (W, H)) -> Image.Image:
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    # y grows downwards: a "/" line, rising to the right, keeps x + y constant.
    phase = {"vertical": x, "horizontal": y, "diagonal": x + y, "antidiagonal": x - y}[direction]
    return from_array(np.where((phase // (period / 2)) % 2 == 0, 40.0, 215.0))


def gradient(size: tuple[int, int] = (W, H)) -> Image.Image:
    w, h = size
    return from_array(np.tile(np.linspace(30, 220, w), (h, 1)))


def noise(seed: int = 0, size: tuple[int, int] = (W, H)) -> Image.Image:
    w, h = size
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def shapes(kind: str, count: int = 10, radius: float = 26.0, seed: int = 1) -> Image.Image:
    """Dark shapes of similar size and outline length scattered on a light ground."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (512, 288), (230, 230, 225))
    draw = ImageDraw.Draw(image)
    for _ in range(count):
        cx, cy = rng.uniform(40, 472), rng.uniform(40, 248)
        turn = rng.uniform(0, 2 * math.pi)
        if kind == "triangles":
            r = radius * 1.2
            points = [
                (
                    cx + r * math.cos(turn + k * 2 * math.pi / 3),
                    cy + r * math.sin(turn + k * 2 * math.pi / 3),
                )
                for k in range(3)
            ]
            draw.polygon(points, fill=(40, 40, 60))
        elif kind == "circles":
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=(40, 40, 60))
        elif kind == "blobs":
            t = np.linspace(0, 2 * math.pi, 120)
            radii = radius * (1 + 0.25 * np.sin(3 * t + turn))
            outline = zip(cx + radii * np.cos(t), cy + radii * np.sin(t), strict=True)
            draw.polygon(list(outline), fill=(40, 40, 60))
    return image


def waves(kind: str) -> Image.Image:
    image = Image.new("RGB", (512, 288), (230, 230, 225))
    draw = ImageDraw.Draw(image)
    x = np.linspace(0, 512, 2000)
    for base in (70, 150, 230):
        if kind == "zigzag":
            y = base + 25 * (4 * np.abs((x / 40) % 1 - 0.5) - 1)
        else:
            y = base + 25 * np.sin(2 * np.pi * x / 80)
        draw.line(list(zip(x, y, strict=True)), fill=(40, 40, 60), width=4)
    return image


MOUNTAIN = [(0.0, 0.55), (0.2, 0.3), (0.35, 0.5), (0.55, 0.15), (0.75, 0.45), (1.0, 0.35)]


def mountain_scene(
    size: tuple[int, int] = (640, 360),
    ridge: list[tuple[float, float]] = MOUNTAIN,
    sky_top: tuple[int, int, int] = (150, 190, 235),
    sky_bottom: tuple[int, int, int] = (235, 225, 210),
    ground: tuple[int, int, int] = (40, 45, 60),
    texture: float = 0.0,
    grain: float = 0.0,
) -> Image.Image:
    """A dark mountain polygon (``ridge``: x, y from the top, as shares) under a graded sky.

    ``texture`` is the RGB noise level on the mountain, ``grain`` over the whole picture.
    """
    w, h = size
    t = np.linspace(0, 1, h)[:, None, None]
    sky = (np.array(sky_top) * (1 - t) + np.array(sky_bottom) * t) * np.ones((1, w, 1))
    image = from_array(sky)
    polygon = [(x * w, y * h) for x, y in ridge] + [(w, h), (0, h)]
    ImageDraw.Draw(image).polygon(polygon, fill=ground)
    if texture:
        mask = Image.new("L", size, 0)
        ImageDraw.Draw(mask).polygon(polygon, fill=255)
        inside = np.asarray(mask) > 0
        values = np.asarray(image).astype(np.float64)
        rng = np.random.default_rng(5)
        values[inside] += rng.normal(0, texture, (int(inside.sum()), 3))
        image = from_array(values)
    if grain:
        rng = np.random.default_rng(6)
        image = from_array(np.asarray(image) + rng.normal(0, grain, (h, w, 3)))
    return image


def ridge_heights(ridge: list[tuple[float, float]], samples: int = 32) -> np.ndarray:
    """Mean height (0 bottom, 1 top) of a ridge line over each of ``samples`` equal strips."""
    x = (np.arange(samples * 200) + 0.5) / (samples * 200)
    height = 1 - np.interp(x, [p[0] for p in ridge], [p[1] for p in ridge])
    return np.asarray(height.reshape(samples, -1).mean(axis=1))


# --------------------------------------------------------------------------
# Colour science


@pytest.mark.parametrize(
    ("rgb", "lab"),
    [
        ((255, 255, 255), (100.0, 0.0, 0.0)),
        ((0, 0, 0), (0.0, 0.0, 0.0)),
        ((255, 0, 0), (53.2408, 80.0925, 67.2032)),
        ((0, 255, 0), (87.7347, -86.1827, 83.1793)),
        ((0, 0, 255), (32.2970, 79.1875, -107.8602)),
        ((128, 128, 128), (53.5850, 0.0, 0.0)),
        ((255, 255, 0), (97.1393, -21.5537, 94.4780)),
    ],
)
def test_srgb_to_lab_matches_reference_values(
    rgb: tuple[int, int, int], lab: tuple[float, float, float]
) -> None:
    assert srgb_to_lab(rgb) == pytest.approx(lab, abs=2e-3)


def test_lab_to_srgb_inverts_srgb_to_lab() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (200, 3))
    assert lab_to_srgb(srgb_to_lab(rgb)) == pytest.approx(rgb, abs=1e-6)


def test_lab_to_srgb_clips_out_of_gamut_colours() -> None:
    out = lab_to_srgb([[50.0, 120.0, -120.0], [120.0, 0.0, 0.0]])
    assert out.min() >= 0.0
    assert out.max() <= 255.0


# --------------------------------------------------------------------------
# Colour features


def test_grey_picture_has_no_chroma_and_mid_lightness() -> None:
    f = analyse(solid((128, 128, 128)))
    assert f.lightness_mean == pytest.approx(53.585, abs=0.01)
    assert f.lightness_std == pytest.approx(0.0, abs=1e-6)
    assert f.chroma_mean == pytest.approx(0.0, abs=1e-4)
    assert f.a_mean == pytest.approx(0.0, abs=1e-4)
    assert f.b_mean == pytest.approx(0.0, abs=1e-4)
    assert f.warmth == pytest.approx(0.0, abs=1e-4)
    assert f.red_tension == 0.0
    assert len(f.dominant_colours) == 1
    assert f.dominant_colours[0].rgb == (128, 128, 128)
    assert f.dominant_colours[0].share == 1.0


def test_yellow_is_warmer_and_lighter_than_navy() -> None:
    yellow, navy = analyse(solid((250, 215, 40))), analyse(solid((20, 30, 110)))
    assert yellow.warmth > 0.5
    assert navy.warmth < 0.0
    assert yellow.lightness_mean > navy.lightness_mean + 50
    assert yellow.b_mean > 50 > navy.b_mean


def test_warmth_ranks_hues_around_the_wheel() -> None:
    warmth = {
        name: analyse(solid(rgb)).warmth
        for name, rgb in {
            "orange": (240, 120, 30),
            "green": (60, 170, 70),
            "cyan": (40, 180, 200),
        }.items()
    }
    assert warmth["orange"] > warmth["green"] > warmth["cyan"]
    assert -1.0 <= warmth["cyan"] < -0.3


def test_chroma_statistics_follow_the_colours() -> None:
    half = np.zeros((H, W, 3))
    half[:, : W // 2] = (128, 128, 128)
    half[:, W // 2 :] = (255, 0, 0)
    f = analyse(from_array(half))
    red_chroma = math.hypot(80.0925, 67.2032)
    assert f.chroma_mean == pytest.approx(red_chroma / 2, rel=0.03)
    assert f.chroma_std == pytest.approx(red_chroma / 2, rel=0.03)
    assert f.a_mean == pytest.approx(80.09 / 2, rel=0.03)


def test_dominant_colours_find_blocks_and_their_shares() -> None:
    blocks = np.zeros((H, W, 3))
    blocks[:, : W // 2] = (200, 40, 40)  # 50 %
    blocks[:, W // 2 : W * 8 // 10] = (40, 160, 60)  # 30 %
    blocks[:, W * 8 // 10 :] = (30, 60, 200)  # 20 %
    colours = analyse(from_array(blocks)).dominant_colours
    assert sum(c.share for c in colours) == pytest.approx(1.0, abs=1e-5)
    assert [c.share for c in colours] == sorted((c.share for c in colours), reverse=True)
    for colour, (rgb, share) in zip(
        colours,
        [((200, 40, 40), 0.5), ((40, 160, 60), 0.3), ((30, 60, 200), 0.2)],
        strict=False,
    ):
        assert colour.share == pytest.approx(share, abs=0.03)
        assert colour.rgb == pytest.approx(rgb, abs=4)
        assert colour.lab == pytest.approx(tuple(srgb_to_lab(rgb)), abs=1.5)


def test_dominant_colours_respect_the_requested_count() -> None:
    f = analyse(noise(), colours=3)
    assert len(f.dominant_colours) == 3


def test_red_tension_is_high_for_dark_saturated_red_and_low_for_pink() -> None:
    dark_red = analyse(solid((130, 10, 20))).red_tension
    pure_red = analyse(solid((255, 0, 0))).red_tension
    pink = analyse(solid((255, 182, 193))).red_tension
    pastel = analyse(solid((200, 220, 240))).red_tension
    navy = analyse(solid((20, 30, 110))).red_tension
    assert dark_red > 0.9
    assert 0.1 < pure_red < dark_red
    assert pink < 0.02
    assert pastel < 0.02
    assert navy < 0.02


def test_red_tension_is_the_share_of_red_in_the_frame() -> None:
    quarter = np.full((H, W, 3), 200.0)
    quarter[:, : W // 4] = (130, 10, 20)
    assert analyse(from_array(quarter)).red_tension == pytest.approx(0.25, abs=0.03)


# --------------------------------------------------------------------------
# Edges and orientation


@pytest.mark.parametrize(
    ("direction", "index"),
    [("horizontal", 0), ("vertical", 1), ("diagonal", 2), ("antidiagonal", 3)],
)
def test_stripes_put_their_edge_energy_in_their_own_orientation(direction: str, index: int) -> None:
    f = analyse(stripes(direction))
    assert sum(f.edge_orientation) == pytest.approx(1.0, abs=1e-5)
    assert f.edge_orientation[index] > 0.75
    assert f.edge_orientation[index] == max(f.edge_orientation)


def test_edge_density_counts_outlines() -> None:
    flat = analyse(solid((90, 140, 200)))
    smooth = analyse(gradient())
    coarse = analyse(stripes("vertical", period=64))
    fine = analyse(stripes("vertical", period=16))
    assert flat.edge_density == 0.0
    assert smooth.edge_density == 0.0
    assert 0.0 < coarse.edge_density < fine.edge_density < 0.5
    # Period 16 at 320 px is 12.8 working pixels: two thin edges per period.
    assert fine.edge_density == pytest.approx(2 / 12.8, rel=0.2)


def test_featureless_picture_has_neutral_structure() -> None:
    f = analyse(solid((90, 140, 200)))
    assert f.edge_orientation == (0.25, 0.25, 0.25, 0.25)
    assert f.texture_energy == tuple(0.0 for _ in range(len(TEXTURE_BANDS) + 1))
    assert f.texture_fineness == 0.0
    assert f.angularity == 0.0
    assert f.complexity == pytest.approx(0.0, abs=0.01)
    assert (f.salient_height, f.salient_size) == (0.5, 0.0)
    assert f.skyline == tuple(0.0 for _ in range(32))
    assert f.sky_share == 0.0


# --------------------------------------------------------------------------
# Texture, angularity, complexity


def test_fine_texture_is_finer_than_a_smooth_gradient() -> None:
    smooth, fine_noise = analyse(gradient()), analyse(noise(size=(256, 144)))
    fine_stripes = analyse(stripes("vertical", period=4, size=(256, 144)))
    assert smooth.texture_fineness < 0.05
    assert fine_noise.texture_fineness > 0.7
    assert fine_stripes.texture_fineness > 0.9
    for f in (smooth, fine_noise, fine_stripes):
        assert len(f.texture_energy) == len(TEXTURE_BANDS) + 1
        assert sum(f.texture_energy) == pytest.approx(1.0, abs=1e-5)
        assert f.texture_fineness == pytest.approx(sum(f.texture_energy[-2:]), abs=1e-5)
    assert smooth.texture_energy[0] == max(smooth.texture_energy)


def grating(period: float, size: tuple[int, int] = (256, 144)) -> Image.Image:
    """Soft (sinusoidal) vertical stripes: one spatial frequency, no harmonics."""
    x = np.arange(size[0])
    return from_array(np.tile(128 + 80 * np.sin(2 * np.pi * x / period), (size[1], 1)))


@pytest.mark.parametrize(("period", "band"), [(48, 0), (24, 1), (12, 2), (6, 3), (3, 4)])
def test_texture_energy_sits_in_the_band_of_a_grating(period: float, band: int) -> None:
    energy = analyse(grating(period)).texture_energy
    assert int(np.argmax(energy)) == band
    assert energy[band] > 0.8


def test_sharp_edges_carry_fine_structure() -> None:
    # A square wave's edges put energy in every band, a sine's in one.
    soft = analyse(grating(48)).texture_fineness
    sharp = analyse(stripes("vertical", period=48, size=(256, 144))).texture_fineness
    assert soft < 0.01
    assert sharp > 0.3


def test_triangles_are_more_angular_than_circles_of_similar_edge_amount() -> None:
    triangles, circles, blobs = (analyse(shapes(k)) for k in ("triangles", "circles", "blobs"))
    assert triangles.edge_density == pytest.approx(circles.edge_density, rel=0.25)
    assert triangles.edge_density == pytest.approx(blobs.edge_density, rel=0.25)
    assert triangles.angularity > 0.45
    assert circles.angularity < 0.2
    assert blobs.angularity < 0.2


def test_zigzag_is_more_angular_than_a_sine_wave() -> None:
    zigzag, sine = analyse(waves("zigzag")), analyse(waves("sine"))
    assert zigzag.edge_density == pytest.approx(sine.edge_density, rel=0.25)
    assert zigzag.angularity > sine.angularity + 0.3


def test_complexity_orders_flat_shapes_and_noise() -> None:
    flat = analyse(solid((120, 120, 120))).complexity
    smooth = analyse(gradient()).complexity
    few = analyse(shapes("circles", count=3)).complexity
    many = analyse(shapes("circles", count=40, radius=10)).complexity
    busy = analyse(noise()).complexity
    assert flat < 0.01
    assert flat <= smooth < few < many < busy < 1.0


# --------------------------------------------------------------------------
# Salience


def disc_on_dark(centre: tuple[float, float]) -> Image.Image:
    image = Image.new("RGB", (W, H), (25, 25, 35))
    cx, cy, r = centre[0] * W, centre[1] * H, 0.12 * H
    ImageDraw.Draw(image).ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 240, 200))
    return image


def test_salient_height_follows_a_bright_disc() -> None:
    top_left = analyse(disc_on_dark((0.2, 0.2)))
    bottom_right = analyse(disc_on_dark((0.8, 0.8)))
    assert top_left.salient_height == pytest.approx(0.8, abs=0.05)
    assert bottom_right.salient_height == pytest.approx(0.2, abs=0.05)
    disc_share = math.pi * (0.12 * H) ** 2 / (W * H)
    for f in (top_left, bottom_right):
        assert f.salient_size == pytest.approx(disc_share, rel=0.35)


# --------------------------------------------------------------------------
# Skyline


def assert_tracks_ridge(
    f: PictureFeatures, ridge: list[tuple[float, float]], tolerance: float = 0.03
) -> None:
    expected = ridge_heights(ridge, len(f.skyline))
    assert np.abs(np.array(f.skyline) - expected).max() < tolerance
    assert f.sky_share == pytest.approx(1 - expected.mean(), abs=0.02)


def test_skyline_tracks_a_dark_mountain_on_a_light_sky() -> None:
    f = analyse(mountain_scene())
    assert len(f.skyline) == 32
    assert_tracks_ridge(f, MOUNTAIN)


def test_skyline_tracks_a_textured_mountain_under_a_sunset() -> None:
    scene = mountain_scene(
        sky_top=(250, 120, 60), sky_bottom=(120, 60, 140), ground=(20, 20, 20), texture=40
    )
    assert_tracks_ridge(analyse(scene), MOUNTAIN)


def test_skyline_tracks_a_low_contrast_soft_painting() -> None:
    scene = mountain_scene(
        sky_top=(90, 110, 160), sky_bottom=(100, 130, 150), ground=(70, 90, 80), texture=30
    )
    assert_tracks_ridge(analyse(scene.filter(ImageFilter.GaussianBlur(4))), MOUNTAIN)


def test_skyline_tracks_a_grainy_photo() -> None:
    assert_tracks_ridge(analyse(mountain_scene(texture=20, grain=15)), MOUNTAIN)


def test_skyline_ignores_a_sun_and_birds_in_the_sky() -> None:
    scene = mountain_scene()
    draw = ImageDraw.Draw(scene)
    draw.ellipse([100, 20, 150, 70], fill=(255, 240, 150))  # sun above the left peak
    draw.ellipse([-20, 10, 30, 60], fill=(60, 60, 80))  # moon cut by the frame
    for x in range(200, 400, 40):
        draw.line([(x, 60), (x + 6, 66), (x + 12, 60)], fill=(30, 30, 30), width=2)
    for cx, cy in [(80, 50), (500, 30)]:  # outlined cartoon clouds
        draw.ellipse(
            [cx - 50, cy - 15, cx + 50, cy + 15], fill="white", outline=(60, 60, 60), width=3
        )
    assert_tracks_ridge(analyse(scene), MOUNTAIN)


def test_skyline_keeps_trees_that_stand_in_mist() -> None:
    # Two dark leafy woods run out of the top of the frame; a sky-coloured
    # mist hides their feet and joins the open sky between them, down to a
    # meadow.
    w, h = 640, 360
    t = np.linspace(0, 1, h)[:, None, None]
    image = from_array(
        (np.array([170, 190, 230]) * (1 - t) + np.array([225, 225, 235]) * t) * np.ones((1, w, 1))
    )
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, int(0.8 * h), w, h], fill=(60, 90, 50))
    values = np.asarray(image).astype(np.float64)
    leaves = np.array([30.0, 70.0, 45.0]) + np.random.default_rng(4).normal(
        0, 25, (int(0.6 * h), int(0.2 * w), 3)
    )
    values[: int(0.6 * h), : int(0.2 * w)] = leaves
    values[: int(0.6 * h), int(0.8 * w) :] = leaves
    f = analyse(from_array(values))
    assert f.skyline[:6] == pytest.approx([1.0] * 6, abs=0.02)
    assert f.skyline[26:] == pytest.approx([1.0] * 6, abs=0.02)
    assert f.skyline[8:24] == pytest.approx([0.2] * 16, abs=0.02)


def test_skyline_keeps_faint_distant_hills() -> None:
    # Aerial perspective: pale far hills (about 11 ΔE off the sky) in front
    # of which a dark near hill rises; the skyline is the far hills' top.
    near = [(0.0, 0.62), (0.3, 0.5), (0.6, 0.58), (1.0, 0.52)]
    scene = mountain_scene(
        sky_top=(150, 190, 235), sky_bottom=(215, 225, 240), ground=(160, 175, 205)
    )
    polygon = [(x * 640, y * 360) for x, y in near] + [(640, 360), (0, 360)]
    ImageDraw.Draw(scene).polygon(polygon, fill=(40, 70, 50))
    assert_tracks_ridge(analyse(scene), MOUNTAIN)


def test_skyline_tracks_steep_treetops() -> None:
    image = Image.new("RGB", (640, 360), (200, 220, 240))
    draw = ImageDraw.Draw(image)
    for i, x in enumerate(range(-20, 680, 40)):
        draw.polygon([(x, 60 + (i * 37) % 80), (x - 30, 360), (x + 30, 360)], fill=(30, 80, 40))
    trees = np.abs(np.asarray(image).astype(int) - (200, 220, 240)).sum(axis=2) > 30
    heights = 1 - np.argmax(trees, axis=0) / 360
    expected = heights.reshape(32, -1).mean(axis=1)
    f = analyse(image)
    assert np.abs(np.array(f.skyline) - expected).max() < 0.04


def test_skyline_of_a_sea_horizon_is_flat() -> None:
    sea = np.zeros((H, W, 3))
    sea[: int(H * 0.6)] = (150, 190, 235)
    sea[int(H * 0.6) :] = (120, 160, 200)
    f = analyse(from_array(sea))
    assert f.skyline == pytest.approx([0.4] * 32, abs=0.01)
    assert f.sky_share == pytest.approx(0.6, abs=0.01)


def test_skyline_without_sky_falls_back_to_where_structure_begins() -> None:
    everywhere = analyse(noise())
    assert everywhere.sky_share == 0.0
    assert min(everywhere.skyline) > 0.9
    # Texture only in the left half, from the middle down: no sky above the
    # right half's flat grey either, as it is the same grey on both sides.
    values = np.full((H, W), 128.0)
    values[H // 2 :, : W // 2] = np.random.default_rng(2).integers(60, 200, (H - H // 2, W // 2))
    left = analyse(from_array(values))
    assert left.skyline[:14] == pytest.approx([0.5] * 14, abs=0.05)
    assert left.skyline[18:] == pytest.approx([0.0] * 14, abs=1e-6)


def test_skyline_sample_count_is_configurable() -> None:
    f = analyse(mountain_scene(), skyline_samples=8)
    assert len(f.skyline) == 8
    assert_tracks_ridge(f, MOUNTAIN)


# --------------------------------------------------------------------------
# Whole-picture behaviour


def test_features_are_deterministic_and_round_trip_through_json() -> None:
    image = mountain_scene(texture=25)
    first, second = analyse(image), analyse(image.copy())
    assert first == second
    data = json.loads(json.dumps(first.to_dict()))
    assert PictureFeatures.from_dict(data) == first
    assert isinstance(data["dominant_colours"][0]["rgb"], list)


def test_features_stay_within_their_ranges() -> None:
    for image in (noise(3), mountain_scene(texture=40), shapes("triangles"), stripes("diagonal")):
        f = analyse(image)
        for value in (
            f.edge_density,
            f.texture_fineness,
            f.angularity,
            f.complexity,
            f.salient_height,
            f.salient_size,
            f.sky_share,
            f.red_tension,
            *f.skyline,
            *f.edge_orientation,
            *f.texture_energy,
        ):
            assert 0.0 <= value <= 1.0
        assert -1.0 <= f.warmth <= 1.0
        assert 0.0 <= f.lightness_mean <= 100.0


@settings(max_examples=12, deadline=None)
@given(
    width=st.integers(1, 48),
    height=st.integers(1, 48),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["noise", "blocks", "flat"]),
)
def test_any_picture_gives_valid_features(width: int, height: int, seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    if kind == "noise":
        values = rng.integers(0, 256, (height, width, 3))
    elif kind == "blocks":
        values = rng.integers(0, 256, (4, 4, 3))[np.arange(height) * 4 // height][
            :, np.arange(width) * 4 // width
        ]
    else:
        values = np.broadcast_to(rng.integers(0, 256, 3), (height, width, 3))
    f = analyse(from_array(np.asarray(values, dtype=np.float64)))
    assert len(f.skyline) == 32
    assert 1 <= len(f.dominant_colours) <= 5
    assert sum(c.share for c in f.dominant_colours) == pytest.approx(1.0, abs=1e-4)
    assert sum(f.edge_orientation) == pytest.approx(1.0, abs=1e-4)
    assert sum(f.texture_energy) == pytest.approx(1.0, abs=1e-4) or sum(f.texture_energy) == 0
    for value in (f.angularity, f.complexity, f.salient_size, f.sky_share, *f.skyline):
        assert 0.0 <= value <= 1.0
    assert PictureFeatures.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_full_hd_picture_matches_its_small_copy() -> None:
    large = mountain_scene(size=(1280, 720), texture=20)
    small = large.resize((320, 180), Image.Resampling.LANCZOS)
    big_f, small_f = analyse(large), analyse(small)
    assert big_f.lightness_mean == pytest.approx(small_f.lightness_mean, abs=0.5)
    assert big_f.chroma_mean == pytest.approx(small_f.chroma_mean, abs=0.5)
    assert np.abs(np.array(big_f.skyline) - np.array(small_f.skyline)).max() < 0.03
    assert big_f.sky_share == pytest.approx(small_f.sky_share, abs=0.02)
    assert big_f.edge_orientation == pytest.approx(small_f.edge_orientation, abs=0.05)
    assert_tracks_ridge(big_f, MOUNTAIN)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "CMYK", "I;16"])
def test_other_picture_modes_are_accepted(mode: str) -> None:
    grey = solid((128, 128, 128))
    if mode == "I;16":
        image = Image.fromarray(np.full((H, W), 128 * 257, dtype=np.uint16))
        assert image.mode == "I;16"
    else:
        image = grey.convert(mode)
    assert analyse(image).lightness_mean == pytest.approx(53.585, abs=0.6)


def test_transparent_parts_are_seen_against_white() -> None:
    clear = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    assert analyse(clear).lightness_mean == pytest.approx(100.0, abs=1e-3)


def test_tiny_and_thin_pictures_are_analysed() -> None:
    assert analyse(solid((255, 0, 0), (1, 1))).a_mean == pytest.approx(80.09, abs=0.01)
    assert len(analyse(noise(size=(1000, 3))).skyline) == 32


def test_empty_picture_is_an_error() -> None:
    with pytest.raises(StoryscoreError, match=r"cannot analyse an empty picture \(0x5\)"):
        analyse(Image.new("RGB", (0, 5)))


def test_nonsense_counts_are_an_error() -> None:
    with pytest.raises(StoryscoreError, match="must be at least 1"):
        analyse(solid((1, 2, 3)), colours=0)
