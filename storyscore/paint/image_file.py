"""Author-supplied pictures: ``image "file"`` scenes.

A PNG or JPEG is loaded with its EXIF orientation applied, turned into 8-bit
RGB, and fitted to the story's size by cover-crop: scaled to cover the frame
and centre-cropped, never distorted. Transparent pixels are composited onto
white, like a cut-out laid on the page of a picture book.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageCms, ImageOps

from storyscore.errors import PaintError

__all__ = ["BACKGROUND", "fit_cover", "image_kind", "load_picture", "to_rgb"]

ImageKind = Literal["png", "jpeg"]

BACKGROUND: tuple[int, int, int] = (255, 255, 255)
"""What transparent pixels are composited onto."""

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_FORMATS = {"png": "PNG", "jpeg": "JPEG"}
_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


def image_kind(path: Path) -> ImageKind | None:
    """``"png"`` or ``"jpeg"`` from the file's first bytes; None when it is
    neither or cannot be read."""
    try:
        with Path(path).open("rb") as stream:
            head = stream.read(len(_PNG_MAGIC))
    except OSError:
        return None
    if head.startswith(_PNG_MAGIC):
        return "png"
    if head.startswith(_JPEG_MAGIC):
        return "jpeg"
    return None


def load_picture(path: Path, width: int, height: int) -> Image.Image:
    """The picture at ``path`` as RGB, exactly ``width`` x ``height``."""
    path = Path(path)
    if not path.exists():
        raise PaintError(f"image file not found: {path}")
    if not path.is_file():
        raise PaintError(f"image path is not a file: {path}")
    kind = image_kind(path)
    if kind is None:
        raise PaintError(
            f"{path} is not a PNG or JPEG image",
            hint="convert it to PNG or JPEG, or paint the scene with a prompt",
        )
    try:
        # Pillow warns (before it refuses) about decompression-bomb sizes;
        # the refusal is reported below, the warning is noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[_FORMATS[kind]]) as opened:
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                picture = to_rgb(upright)
    except Image.DecompressionBombError as exc:
        raise PaintError(f"{path} is too large to load: {exc}") from exc
    except Exception as exc:
        # Pillow's decoders report truncated and malformed files with many
        # exception types (OSError, SyntaxError, struct.error, …).
        raise PaintError(f"cannot read the image {path}: {exc}") from exc
    return fit_cover(picture, width, height)


def to_rgb(image: Image.Image, background: tuple[int, int, int] = BACKGROUND) -> Image.Image:
    """8-bit RGB from any Pillow mode: palette, alpha, CMYK, greyscale, 16-bit.

    Alpha is composited onto ``background``; an embedded ICC profile is
    honoured by converting to sRGB.
    """
    if image.mode in _SIXTEEN_BIT_MODES:
        # Pillow clips 16-bit greyscale to 0..255 instead of scaling it.
        image = _sixteen_bit_to_l(image)
    elif image.mode in {"PA", "La", "RGBa"} or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    image = _to_srgb(image)
    if image.mode in {"RGBA", "LA"}:
        rgba = image.convert("RGBA")
        page = Image.new("RGBA", rgba.size, (*background, 255))
        page.alpha_composite(rgba)
        return page.convert("RGB")
    if image.mode != "RGB":
        return image.convert("RGB")
    return image.copy()


def fit_cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale ``image`` to cover ``width`` x ``height`` and centre-crop it,
    keeping its aspect ratio, in one high-quality (Lanczos) resampling."""
    if width < 1 or height < 1:
        raise ValueError(f"bad picture size {width}x{height}")
    src_w, src_h = image.size
    if (src_w, src_h) == (width, height):
        return image.copy()
    target_aspect = width / height
    if src_w / src_h > target_aspect:
        crop_w = src_h * target_aspect
        left = (src_w - crop_w) / 2
        box = (left, 0.0, left + crop_w, float(src_h))
    else:
        crop_h = src_w / target_aspect
        top = (src_h - crop_h) / 2
        box = (0.0, top, float(src_w), top + crop_h)
    # Resampling with a fractional source box crops and scales at once, so a
    # crop never loses sub-pixel alignment; reducing_gap keeps big downscales fast.
    return image.resize((width, height), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def _sixteen_bit_to_l(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    scaled = np.clip(np.rint(values / 257.0), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled)


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return image
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    # A broken or unusual profile is not worth failing over: the plain
    # conversion below is what most viewers would show anyway.
    with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
        if converted is not None:
            return converted
    return image
