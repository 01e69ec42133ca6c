"""Concepts drawn from the vocabulary's data (props.py): where they stand, what colour
they take, and the landscape they bring."""

from __future__ import annotations

import numpy as np

from storyscore.paint.base import Drawn, PaintRequest
from storyscore.paint.procedural import ProceduralPainter
from storyscore.paint.procedural.concepts import read_prompt
from storyscore.paint.procedural.design import make_plan

PAINTER = ProceduralPainter()
W, H = 320, 180


def painted(prompt: str, seed: int = 5) -> tuple[np.ndarray, list[Drawn]]:
    image, layout = PAINTER.paint_with_layout(PaintRequest(prompt, W, H, seed))
    return np.asarray(image, dtype=np.float32) / 255.0, layout


def box(layout: list[Drawn], name: str) -> tuple[int, int, int, int]:
    found = [d.box for d in layout if d.name == name]
    assert len(found) == 1, [d.name for d in layout]
    return found[0]


def test_a_building_stands_on_the_ground_in_the_middle() -> None:
    for prompt in ("a school", "a hospital", "a church"):
        _, layout = painted(prompt)
        x0, y0, x1, y1 = box(layout, prompt.split()[1])
        assert x0 < W / 2 < x1
        # Its foot is on the land below the horizon, its roof well above it.
        assert y1 > 0.6 * H
        assert y0 < 0.45 * H
        assert (x1 - x0) * (y1 - y0) > 0.06 * W * H


def test_a_colour_the_prompt_gives_a_drawn_thing_paints_it() -> None:
    def blue_share(prompt: str) -> float:
        pixels, layout = painted(prompt)
        x0, y0, x1, y1 = box(layout, "tractor")
        crop = pixels[y0:y1, x0:x1]
        blue = (crop[..., 2] > crop[..., 0] + 0.15) & (crop[..., 2] > crop[..., 1] + 0.1)
        return float(blue.mean())

    # The red tractor's box holds only its pale blue window.
    assert blue_share("a blue tractor in a field") > blue_share("a tractor in a field") + 0.15


def test_clouds_seen_from_above_fill_the_lower_half_with_white() -> None:
    pixels, layout = painted("above the clouds at noon")
    x0, y0, x1, y1 = box(layout, "cloud sea")
    assert (x0, x1, y1) == (0, W, H)
    assert y0 < 0.55 * H
    lower = pixels[int(0.65 * H):]
    assert float(lower.mean()) > 0.75


def test_a_drawn_thing_brings_its_own_landscape() -> None:
    for prompt, template in (("cacti", "desert"), ("a snowman", "hills"),
                             ("a sandcastle", "beach"), ("an oasis", "desert")):
        plan = make_plan(prompt, 1, read_prompt(prompt))
        assert plan.template == template, prompt
    # What the prompt names wins over the setting; a snowman brings snow.
    plan = make_plan("a snowman in a village", 1, read_prompt("a snowman in a village"))
    assert plan.template == "village"
    assert "snow" in plan.weather


def test_sky_things_are_in_the_sky_and_ground_things_below_them() -> None:
    _, layout = painted("an airship and a comet over a tractor")
    assert box(layout, "airship")[3] < 0.5 * H
    assert box(layout, "comet")[3] < 0.5 * H
    assert box(layout, "tractor")[1] > 0.5 * H
