"""Author pictures: sniffing, loading, colour conversion and cover-crop fitting."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from storyscore.errors import PaintError
from storyscore.paint.image_file import BACKGROUND, fit_cover, image_kind, load_picture, to_rgb

RED, BLUE, GREEN = (220, 20, 30), (20, 40, 210), (30, 200, 40)


def save(image: Image.Image, path: Path, **options: Any) -> Path:
    image.save(path, **options)
    return path


def halves(
    size: tuple[int, int], first: tuple[int, int, int], second: tuple[int, int, int]
) -> Image.Image:
    """Left half ``first``, right half ``second``."""
    image = Image.new("RGB", size, first)
    image.paste(second, (size[0] // 2, 0, size[0], size[1]))
    return image


def near(pixel: object, colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


# --- image_kind -----------------------------------------------------------------------


def test_image_kind_sniffs_magic_bytes_not_extensions(tmp_path: Path) -> None:
    picture = Image.new("RGB", (4, 4), RED)
    assert image_kind(save(picture, tmp_path / "a.jpg", format="PNG")) == "png"
    assert image_kind(save(picture, tmp_path / "b.png", format="JPEG")) == "jpeg"
    assert image_kind(save(picture, tmp_path / "c.png", format="GIF")) is None
    (tmp_path / "empty.png").write_bytes(b"")
    assert image_kind(tmp_path / "empty.png") is None
    assert image_kind(tmp_path / "missing.png") is None
    assert image_kind(tmp_path) is None


# --- errors ---------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PaintError) as caught:
        load_picture(tmp_path / "village.png", 8, 8)
    assert caught.value.message == f"image file not found: {tmp_path / 'village.png'}"


def test_folder_is_not_a_picture(tmp_path: Path) -> None:
    with pytest.raises(PaintError, match=r"image path is not a file: "):
        load_picture(tmp_path, 8, 8)


def test_other_formats_are_refused_by_name(tmp_path: Path) -> None:
    gif = save(Image.new("RGB", (4, 4)), tmp_path / "village.gif", format="GIF")
    with pytest.raises(PaintError) as caught:
        load_picture(gif, 8, 8)
    assert caught.value.message == f"{gif} is not a PNG or JPEG image"
    text = tmp_path / "notes.png"
    text.write_text("not a picture at all")
    with pytest.raises(PaintError, match=r"notes\.png is not a PNG or JPEG image"):
        load_picture(text, 8, 8)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file_is_a_paint_error(tmp_path: Path, fmt: str) -> None:
    noisy = Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8))
    data = io.BytesIO()
    noisy.save(data, format=fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    with pytest.raises(PaintError, match=re.escape(f"cannot read the image {path}: ")):
        load_picture(path, 16, 16)


# --- conversion to RGB ----------------------------------------------------------------


def test_alpha_is_composited_onto_white(tmp_path: Path) -> None:
    assert BACKGROUND == (255, 255, 255)
    rgba = Image.new("RGBA", (8, 8), (200, 0, 0, 128))
    rgba.paste((0, 0, 0, 0), (0, 0, 4, 8))
    picture = load_picture(save(rgba, tmp_path / "cut.png"), 8, 8)
    assert picture.mode == "RGB"
    assert picture.getpixel((1, 4)) == (255, 255, 255)
    assert near(picture.getpixel((6, 4)), (227, 127, 127), 2)


def test_palette_with_transparency(tmp_path: Path) -> None:
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    palette.paste(0, (0, 0, 4, 8))
    path = save(palette, tmp_path / "p.png", transparency=0)
    picture = load_picture(path, 8, 8)
    assert picture.getpixel((1, 1)) == (255, 255, 255)
    assert picture.getpixel((6, 6)) == (10, 200, 30)


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 257 * 64, 257 * 128, 65535]], dtype=np.uint16).repeat(4, axis=0)
    path = save(Image.fromarray(values), tmp_path / "deep.png")
    with Image.open(path) as stored:
        assert stored.mode.startswith("I")
    picture = load_picture(path, 4, 4)
    row = [picture.getpixel((x, 1)) for x in range(4)]
    assert row == [(0, 0, 0), (64, 64, 64), (128, 128, 128), (255, 255, 255)]


@pytest.mark.parametrize("mode", ["L", "LA", "1", "CMYK", "P"])
def test_every_mode_becomes_rgb(tmp_path: Path, mode: str) -> None:
    light = Image.new("RGB", (6, 6), (250, 250, 250))
    source = light.quantize() if mode == "P" else light.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    picture = load_picture(save(source, tmp_path / f"m.{fmt.lower()}", format=fmt), 6, 6)
    assert picture.mode == "RGB"
    assert picture.size == (6, 6)
    assert near(picture.getpixel((3, 3)), (250, 250, 250), 6)


def test_cmyk_jpeg_colours_survive(tmp_path: Path) -> None:
    cmyk = Image.new("RGB", (16, 16), RED).convert("CMYK")
    picture = load_picture(save(cmyk, tmp_path / "print.jpg", quality=95), 16, 16)
    assert near(picture.getpixel((8, 8)), RED, 16)


def test_to_rgb_returns_a_new_rgb_image() -> None:
    original = Image.new("RGB", (2, 2), RED)
    copy = to_rgb(original)
    assert copy is not original
    assert copy.tobytes() == original.tobytes()
    assert to_rgb(Image.new("LA", (2, 2), (0, 0)), background=(0, 0, 0)).getpixel((0, 0)) == (
        0,
        0,
        0,
    )


# --- orientation ----------------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    stored = halves((40, 20), RED, BLUE)  # as the camera stored it: red left, blue right
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    path = save(stored, tmp_path / "phone.jpg", exif=exif, quality=95)
    picture = load_picture(path, 20, 40)
    assert picture.size == (20, 40)
    assert near(picture.getpixel((10, 5)), RED, 20)  # red on top once upright
    assert near(picture.getpixel((10, 34)), BLUE, 20)


# --- cover-crop fitting ---------------------------------------------------------------


def test_wide_picture_is_centre_cropped_not_squashed(tmp_path: Path) -> None:
    wide = Image.new("RGB", (300, 100), GREEN)
    wide.paste(RED, (100, 0, 200, 100))  # the middle third
    wide.paste(BLUE, (200, 0, 300, 100))
    picture = load_picture(save(wide, tmp_path / "wide.png"), 50, 50)
    assert picture.size == (50, 50)
    for x in range(3, 47):
        assert near(picture.getpixel((x, 25)), RED, 2), x


def test_tall_picture_is_centre_cropped(tmp_path: Path) -> None:
    tall = Image.new("RGB", (40, 160), GREEN)
    tall.paste(RED, (0, 70, 40, 90))
    picture = fit_cover(tall, 80, 80)  # upscales: the 40x40 centre, twice as big
    assert picture.size == (80, 80)
    assert near(picture.getpixel((40, 40)), RED, 2)
    assert near(picture.getpixel((40, 2)), GREEN, 2)
    assert near(picture.getpixel((40, 77)), GREEN, 2)


def test_shapes_keep_their_proportions() -> None:
    # A centred square must come out square whatever the frame's aspect.
    square = Image.new("L", (200, 100), 0)
    square.paste(255, (75, 25, 125, 75))
    fitted = np.asarray(fit_cover(square.convert("RGB"), 64, 48))[..., 0] > 127
    rows, cols = np.nonzero(fitted)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert abs(height - width) <= 1
    assert (height, width) == (24, 24)  # 100 -> 48 rows scales by 0.48


def test_fit_cover_of_the_same_size_is_an_exact_copy() -> None:
    noisy = Image.fromarray(np.random.default_rng(2).integers(0, 255, (9, 7, 3), np.uint8))
    assert fit_cover(noisy, 7, 9).tobytes() == noisy.tobytes()


def test_fit_cover_rejects_empty_sizes() -> None:
    with pytest.raises(ValueError, match="bad picture size"):
        fit_cover(Image.new("RGB", (4, 4)), 0, 4)


def test_embedded_icc_profile_is_honoured(tmp_path: Path) -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(Image.new("RGB", (4, 4), RED), tmp_path / "tagged.png", icc_profile=srgb)
    assert near(load_picture(path, 4, 4).getpixel((2, 2)), RED, 3)
    broken = save(Image.new("RGB", (4, 4), RED), tmp_path / "broken.png", icc_profile=b"junk")
    assert load_picture(broken, 4, 4).getpixel((2, 2)) == RED
