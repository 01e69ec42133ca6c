"""The procedural painter: storyscore's default, dependency-free picture maker.

It reads the prompt for about a hundred concepts (times of day, weather and
light, places, things, colours, moods, media), plans a scene and paints it in
layers: sky, far land, middle and near objects, water with reflections,
weather, light and the texture of the medium. Everything derives from the
request, so the same request gives a byte-identical picture.

Pictures are painted on a working canvas of at most about a megapixel and
upscaled, so a 4096x4096 picture costs little more time or memory than a 720p
one; geometry is in units of the picture size, so every size shows the same
composition.
"""

from __future__ import annotations

import functools
import hashlib
import math
from importlib import resources

import numpy as np
from PIL import Image

from storyscore.errors import PaintError
from storyscore.paint.base import Drawn, PaintRequest
from storyscore.paint.procedural import lexicon
from storyscore.paint.procedural.canvas import Canvas
from storyscore.paint.procedural.concepts import CONCEPTS, read_prompt
from storyscore.paint.procedural.concepts import understand as understand
from storyscore.paint.procedural.design import make_plan
from storyscore.paint.procedural.draw import Ctx
from storyscore.paint.procedural.finish import finish, to_image
from storyscore.paint.procedural.interior import (
    paint_cave,
    paint_room,
    paint_space,
    paint_staircase,
)
from storyscore.paint.procedural.layout import layout_of
from storyscore.paint.procedural.lexicon import explain_words, with_lexical_words
from storyscore.paint.procedural.outdoor import horizon_for, paint_outdoor
from storyscore.paint.procedural.places import paint_underwater
from storyscore.paint.procedural.props import paint_props
from storyscore.paint.procedural.subjects import (
    describe_subject,
    find_subjects,
    paint_subjects,
)

__all__ = ["CONCEPTS", "MAX_SIDE", "ProceduralPainter", "understand"]

MAX_SIDE = 16384
MIN_WORK_SIDE = 24


@functools.cache
def code_version() -> str:
    """A digest of the painter's source and its ``vocabulary.yaml``."""
    from storyscore.cache import code_digest

    vocabulary = resources.files(__package__).joinpath("vocabulary.yaml").read_bytes()
    digest = hashlib.sha256(code_digest("storyscore.paint.procedural").encode())
    digest.update(vocabulary)
    return digest.hexdigest()


class ProceduralPainter:
    """Paints a storybook picture from a prompt with numpy and Pillow only."""

    name = "procedural"
    version = "4"

    def __init__(self, max_work_pixels: int = 520_000) -> None:
        self.max_work_pixels = max_work_pixels

    def cache_inputs(self) -> dict[str, str | None]:
        """What decides a picture besides the request: with WordNet, unknown words
        paint differently, so the cache tells the two apart; and the painter's own code
        and vocabulary, so an edited painter never serves a picture the old one made."""
        return {"lexicon": "wordnet-3.0" if lexicon.data_folder() is not None else None,
                "code": code_version()}

    def understood(self, request: PaintRequest) -> list[str]:
        """The concepts of the prompt that the picture shows (for ``explain``), then
        each subject it draws: "@boat as a boat, afloat", "an owl, sitting on a branch"."""
        request = with_lexical_words(request)
        unwanted = set(read_prompt(request.negative).concepts) if request.negative else set()
        concepts = [c for c in read_prompt(request.prompt, request.words).concepts
                    if c not in unwanted]
        subjects, _ = find_subjects(request.prompt, request.characters, request.words)
        return concepts + [describe_subject(s) for s in subjects]

    def word_notes(self, request: PaintRequest) -> list[str]:
        """Which words of the prompt meant what to the painter, and why (for ``explain``):
        "woods → forest (a synonym)", "spaniel → dog (WordNet: a kind of sporting dog)",
        "curious (unknown)"."""
        return explain_words(request)

    def paint(self, request: PaintRequest) -> Image.Image:
        """Return an RGB picture of exactly ``request.width`` x ``request.height``."""
        return self.paint_with_layout(request)[0]

    def paint_with_layout(self, request: PaintRequest) -> tuple[Image.Image, list[Drawn]]:
        """The picture, and what it shows where (characters and concepts), back to front."""
        width, height = request.width, request.height
        if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
            raise PaintError(
                f"cannot paint a {width}x{height} picture",
                hint=f"width and height must be between 1 and {MAX_SIDE} pixels",
            )
        request = with_lexical_words(request)
        subjects, scenery = find_subjects(request.prompt, request.characters, request.words)
        reading = read_prompt(scenery, request.words)
        if request.negative:
            # What the negative prompt names is left out of the picture.
            unwanted = set(read_prompt(request.negative).concepts)
            reading.concepts = [c for c in reading.concepts if c not in unwanted]
            reading.bindings = {k: v for k, v in reading.bindings.items() if k not in unwanted}
            reading.free_colours = [c for c in reading.free_colours if c not in unwanted]
        plan = make_plan(request.prompt, request.seed, reading)
        k = min(1.0, math.sqrt(self.max_work_pixels / (width * height)))
        # Tiny pictures are painted a little bigger and shrunk, so every layer has room.
        k = max(k, MIN_WORK_SIDE / min(width, height))
        ww, wh = max(MIN_WORK_SIDE, round(width * k)), max(MIN_WORK_SIDE, round(height * k))
        canvas = Canvas(ww, wh, ss=4 if ww * wh <= 400_000 else 3)
        look = plan.look
        ctx = Ctx(
            cv=canvas,
            plan=plan,
            rng=np.random.default_rng(plan.layout_seed),
            drng=np.random.default_rng(plan.detail_seed),
            horizon=horizon_for(plan.template),
            light_dir=1.0 if look.sun_x >= 0.5 else -1.0,
            subjects=subjects,
        )
        if plan.kind == "staircase":
            paint_staircase(ctx)
        elif plan.kind == "room":
            paint_room(ctx)
        elif plan.kind == "cave":
            paint_cave(ctx)
        elif plan.kind == "space":
            paint_space(ctx)
        elif plan.kind == "underwater":
            paint_underwater(ctx)
        else:
            paint_outdoor(ctx)
        paint_props(ctx)
        drawn = paint_subjects(ctx)
        img = finish(ctx)
        grain = 0.006 if plan.style in ("watercolor", "pastel", "ink") else 0.004
        picture = to_image(img, width, height,
                           np.random.default_rng(plan.detail_seed ^ 0x5EED), grain)
        return picture, layout_of(ctx, img, drawn, width, height)
