"""From a read prompt to a plan: scene kind, time, weather, mood, style and light.

The plan holds every decision that is not geometry, so the drawing modules
only ask it questions ("what colour is grass here?").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from storyscore.paint.procedural.canvas import RGB, luma, mix, mul, rgb, saturate, scale
from storyscore.paint.procedural.concepts import VOCABULARY, Reading

COLOURS: dict[str, RGB] = {name: rgb(value) for name, value in VOCABULARY.colours.items()}

# Accents that look festive when the prompt names no colour.
DEFAULT_ACCENTS: tuple[RGB, ...] = (
    rgb("#c8443a"), rgb("#e8a93a"), rgb("#3d7cc0"), rgb("#e7e0cf"), rgb("#3f8f5a"),
    rgb("#d06a9a"), rgb("#e07a30"),
)


@dataclass(frozen=True)
class TimeLook:
    """Sky and light of one time of day in clear weather."""

    zenith: RGB
    horizon: RGB
    glow: RGB
    sun: RGB
    light: RGB
    sun_height: float  # 0 at the horizon, 1 at the top of the sky
    body: str  # "sun" or "moon"
    stars: float
    windows: float  # how brightly windows and lamps glow


TIMES: dict[str, TimeLook] = {
    "dawn": TimeLook(rgb("#39497e"), rgb("#f3b9a2"), rgb("#ffd6b8"), rgb("#fff2dc"),
                     (0.80, 0.73, 0.78), 0.06, "sun", 0.15, 0.45),
    "sunrise": TimeLook(rgb("#4d6ca6"), rgb("#ffb374"), rgb("#ffc47a"), rgb("#fff4cf"),
                        (0.98, 0.80, 0.62), 0.14, "sun", 0.0, 0.2),
    "morning": TimeLook(rgb("#5a8fd6"), rgb("#d2e6f4"), rgb("#fff6dc"), rgb("#fffbee"),
                        (0.98, 0.96, 0.90), 0.50, "sun", 0.0, 0.0),
    "noon": TimeLook(rgb("#3d7ee2"), rgb("#bedcf7"), rgb("#fffef4"), rgb("#fffff4"),
                     (1.04, 1.02, 0.97), 0.85, "sun", 0.0, 0.0),
    "afternoon": TimeLook(rgb("#4e86d2"), rgb("#efdcb4"), rgb("#ffe8b6"), rgb("#fff3d4"),
                          (1.00, 0.92, 0.79), 0.40, "sun", 0.0, 0.0),
    "sunset": TimeLook(rgb("#3d3472"), rgb("#ff8a3e"), rgb("#ff6d33"), rgb("#ffd27e"),
                       (0.95, 0.60, 0.42), 0.13, "sun", 0.05, 0.55),
    "dusk": TimeLook(rgb("#1f2352"), rgb("#c76b6c"), rgb("#e07c62"), rgb("#ff9a5a"),
                     (0.54, 0.44, 0.60), -0.05, "sun", 0.3, 0.85),
    "twilight": TimeLook(rgb("#0f1639"), rgb("#4c5c96"), rgb("#7484c4"), rgb("#eef2ff"),
                         (0.34, 0.38, 0.60), 0.55, "moon", 0.55, 1.0),
    "night": TimeLook(rgb("#050a1f"), rgb("#1c2b52"), rgb("#2c3d6c"), rgb("#f4f1e2"),
                      (0.22, 0.28, 0.48), 0.62, "moon", 1.0, 1.0),
    "midnight": TimeLook(rgb("#02040f"), rgb("#0d1532"), rgb("#1c2850"), rgb("#f1efe6"),
                         (0.16, 0.2, 0.38), 0.75, "moon", 1.2, 1.0),
}

OUTDOOR_TEMPLATES = (
    "hills", "mountains", "sea", "forest", "meadow", "village", "desert", "lake", "field",
    "beach", "island", "garden",
)
SNOW_TEMPLATES = ("hills", "mountains", "forest", "village", "lake", "field")


@dataclass(frozen=True)
class Look:
    """The light of a scene after time, weather, mood and colours are applied."""

    zenith: RGB
    horizon: RGB
    glow: RGB
    sun: RGB
    light: RGB
    fill: RGB
    haze: RGB
    water: RGB
    sun_x: float
    sun_height: float
    body: str
    body_visible: bool
    stars: float
    windows: float
    night: float  # 0 in daylight, 1 at midnight

    def lit(self, albedo: RGB, fade: float = 0.0, side: float = 0.7) -> RGB:
        """A surface colour under this light; ``side`` 1 faces the light, 0 turns away."""
        k = 0.30 + 0.70 * side
        c = (
            albedo[0] * (self.light[0] * k + self.fill[0] * 0.28),
            albedo[1] * (self.light[1] * k + self.fill[1] * 0.28),
            albedo[2] * (self.light[2] * k + self.fill[2] * 0.28),
        )
        c = (min(c[0], 1.0), min(c[1], 1.0), min(c[2], 1.0))
        return mix(c, self.haze, min(1.0, max(0.0, fade)))


@dataclass
class Plan:
    """Every non-geometric decision for one picture."""

    reading: Reading
    kind: str
    template: str
    time: str
    weather: set[str]
    moods: list[str]
    style: str
    soft: bool
    season: str | None
    look: Look
    free_colours: list[RGB]
    bound: dict[str, RGB]
    accents: list[RGB]
    saturation: float
    contrast: float
    tint: RGB | None
    tint_amount: float
    haze: float
    layout_seed: int
    detail_seed: int
    places: set[str] = field(default_factory=set)

    def has(self, *names: str) -> bool:
        """True when the prompt named any of ``names`` or the plan implied it."""
        return any(n in self.places for n in names)

    def colour_of(self, thing: str, default: RGB) -> RGB:
        """The colour the prompt gave ``thing`` ("red scarf"), else ``default``."""
        return self.bound.get(thing, default)

    def clothes(self, default: RGB) -> RGB:
        """What the main figure wears: "a red cloak", else ``default``."""
        return self.bound.get("clothes") or self.bound.get("figure") or default

    def worn_accent(self) -> RGB | None:
        """The figure's scarf or hat colour, if the prompt gives one or a scene colour."""
        return self.bound.get("accent") or (self.free_colours[0] if self.free_colours else None)

    def accent(self, rng: np.random.Generator) -> RGB:
        """A colour for an accent object (awning, flag, roof, flower, boat)."""
        if self.free_colours and rng.random() < 0.7:
            return self.free_colours[int(rng.integers(len(self.free_colours)))]
        return self.accents[int(rng.integers(len(self.accents)))]

    @property
    def stormy(self) -> bool:
        return "storm" in self.weather

    @property
    def overcast(self) -> float:
        """0 for a clear sky, up to 1 for a storm."""
        if "storm" in self.weather:
            return 1.0
        if "rain" in self.weather or "snow" in self.weather:
            return 0.7
        if "clouds" in self.weather:
            return 0.35
        return 0.0


def _hash(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def make_plan(prompt: str, seed: int, reading: Reading) -> Plan:
    """Decide scene kind, time, weather, mood, style and light for a prompt."""
    c = set(reading.concepts)
    layout_seed, detail_seed = _seeds(prompt, seed, reading)
    # One generator serves every layout decision, in a fixed order (template, time,
    # weather, accents, light): reordering the steps below would change every picture.
    rng = np.random.default_rng(layout_seed)
    kind = _kind(c)
    template, places = _setting(reading, c, rng)
    moods = [n for n in reading.concepts if reading.category(n) == "mood"]
    style = _style(reading)
    season = next((n for n in reading.concepts if reading.category(n) == "season"), None)
    time = next((n for n in reading.concepts if reading.category(n) == "time"), "")
    if not time:
        time = _default_time(c, moods, rng)
    weather = _weather(reading, c, moods, season, kind, rng)

    free = [_colour(reading, n) for n in reading.free_colours]
    bound = {thing: _colour(reading, names[0]) for thing, names in reading.bindings.items()}
    accents = list(DEFAULT_ACCENTS)
    rng.shuffle(accents)
    grade = _grade(reading, moods, weather, soft="soft" in c or style == "pastel", free=free)

    look = _look(time, weather, grade.brightness, free, bound, rng)
    return Plan(
        reading=reading, kind=kind, template=template, time=time, weather=weather,
        moods=moods, style=style, soft="soft" in c, season=season, look=look,
        free_colours=free, bound=bound, accents=accents, saturation=grade.saturation,
        contrast=grade.contrast, tint=grade.tint, tint_amount=grade.tint_amount,
        haze=min(grade.haze, 0.8), layout_seed=layout_seed, detail_seed=detail_seed,
        places=places,
    )


def _seeds(prompt: str, seed: int, reading: Reading) -> tuple[int, int]:
    """The layout seed and the detail seed of a prompt."""
    # The layout depends on what is in the scene, not on when or how it is seen,
    # so "the village at dawn" and "the village at night" are the same village.
    layout_words = sorted(
        {n for n in reading.concepts if reading.category(n) in ("place", "thing")}
        | set(reading.unknown)
    )
    layout_seed = _hash("layout", str(seed), *layout_words)
    detail_seed = _hash("detail", str(seed), prompt.strip().lower())
    return layout_seed, detail_seed


def _kind(c: set[str]) -> str:
    """The kind of scene the concepts ``c`` describe: outdoor, staircase, cave, room,
    space or underwater."""
    if "staircase" in c:
        return "staircase"
    if "cave" in c:
        return "cave"
    if c & {"room", "interior"} or any(
            n in VOCABULARY.drawn and VOCABULARY.drawn[n].draw == "furniture" for n in c):
        return "room"
    if "space" in c and not c & {"sea", "forest", "city", "village", "mountains", "desert"}:
        return "space"
    if "underwater" in c or ("coral" in c and not c & {"beach", "island", "harbour"}):
        return "underwater"
    return "outdoor"


def _setting(reading: Reading, c: set[str], rng: np.random.Generator
             ) -> tuple[str, set[str]]:
    """The outdoor template and the places and things in the picture, named or implied."""
    places = {n for n in c if reading.category(n) in ("place", "thing")}
    if "lava" in places:
        # "Rivers of lava" burn; they hold no water.
        places.discard("river")
    template = _template(places, rng, snowy=bool(c & {"snow", "winter"}))
    places |= _implied(template, places)
    return template, places


def _style(reading: Reading) -> str:
    """The drawing style the prompt names, storybook unless another is named."""
    styles = [n for n in reading.concepts if reading.category(n) == "style" and n != "soft"]
    return next((s for s in styles if s != "storybook"), styles[0] if styles else "storybook")


def _weather(reading: Reading, c: set[str], moods: list[str], season: str | None,
             kind: str, rng: np.random.Generator) -> set[str]:
    """The weather named, with what it brings (lightning a storm, a storm rain) and what
    the season and moods suggest; sometimes clouds where none is named."""
    weather = {n for n in c if reading.category(n) == "weather"} & {
        "clear", "clouds", "mist", "rain", "storm", "lightning", "snow", "rainbow"}
    if "lightning" in weather:
        weather.add("storm")
    if "storm" in weather and "snow" not in weather:
        weather.add("rain")
    if any(n in VOCABULARY.drawn and "wintry" in VOCABULARY.drawn[n].marks for n in c):
        # A snowman, an igloo or a sled stands in snow.
        weather.add("snow")
    if season == "winter" and "rain" not in weather:
        weather.add("snow" if rng.random() < 0.5 else "clear")
    if "gloomy" in moods and not weather & {"rain", "storm", "snow"}:
        weather.add("clouds")
    if ("eerie" in moods or "mysterious" in moods) and "clear" not in weather:
        weather.add("mist")
    if not weather and rng.random() < 0.55 and kind != "space":
        weather.add("clouds")
    return weather


@dataclass
class _Grade:
    """The colour grade of a picture: what its moods, mist, softness and named colours
    do to saturation, contrast, tint, haze and brightness."""

    saturation: float = 1.0
    contrast: float = 1.0
    tint: RGB | None = None
    tint_amount: float = 0.0
    haze: float = 0.12
    brightness: float = 1.0

    def feel(self, mood: str) -> None:
        """Grade the picture for one mood."""
        if mood in ("tranquil", "serene"):
            self.contrast *= 0.9
            self.haze += 0.08
        elif mood == "eerie":
            self.saturation *= 0.55
            self.brightness *= 0.62
            self.tint, self.tint_amount = rgb("#7fbfa8"), 0.22
            self.haze += 0.15
        elif mood == "gloomy":
            self.saturation *= 0.45
            self.brightness *= 0.62
            self.tint, self.tint_amount = rgb("#7d8aa0"), 0.15
        elif mood == "joyful":
            self.saturation *= 1.25
            self.brightness *= 1.08
            self.tint, self.tint_amount = rgb("#ffd890"), 0.08
        elif mood == "bustling":
            self.saturation *= 1.08
        elif mood == "mysterious":
            self.saturation *= 0.8
            self.brightness *= 0.78
            self.tint, self.tint_amount = rgb("#9a86d8"), 0.18
            self.haze += 0.12
        elif mood == "melancholy":
            self.saturation *= 0.7
            self.brightness *= 0.85
            self.tint, self.tint_amount = rgb("#8ea2c0"), 0.12
        elif mood == "bright":
            self.saturation *= 1.25
            self.brightness *= 1.06
        else:
            self._feel_more(mood)

    def _feel_more(self, mood: str) -> None:
        """Grade the picture for the gentler and the theatrical moods."""
        if mood == "cosy":
            self.tint, self.tint_amount = rgb("#ffb870"), 0.16
            self.contrast *= 0.92
        elif mood == "dramatic":
            self.contrast *= 1.25
            self.saturation *= 1.1
            self.brightness *= 0.9
        elif mood == "whimsical":
            self.saturation *= 1.2
            self.tint, self.tint_amount = rgb("#f0b8e8"), 0.1
        elif mood == "romantic":
            self.tint, self.tint_amount = rgb("#f890a8"), 0.16
            self.haze += 0.08
        elif mood == "nostalgic":
            self.saturation *= 0.6
            self.tint, self.tint_amount = rgb("#c8a070"), 0.25
        elif mood == "sleepy":
            self.brightness *= 0.8
            self.contrast *= 0.85
            self.tint, self.tint_amount = rgb("#8a90c8"), 0.15

    def wash(self, free: list[RGB], names: list[str]) -> None:
        """Tint the picture with the colours ``free`` the prompt names (``names``)."""
        # Named colours wash over the whole picture, not just the accents.
        avg = tuple(float(np.mean([f[i] for f in free])) for i in range(3))
        named: RGB = (avg[0], avg[1], avg[2])
        if self.tint is None:
            self.tint, self.tint_amount = named, 0.0
        else:
            self.tint = mix(self.tint, named, 0.6)
        self.tint_amount = min(0.42, self.tint_amount + 0.22 + 0.06 * len(free))
        if names == ["black"]:
            self.brightness *= 0.7
        elif names == ["white"]:
            self.saturation *= 0.8


def _grade(reading: Reading, moods: list[str], weather: set[str], soft: bool,
           free: list[RGB]) -> _Grade:
    """The colour grade of a picture, mood by mood, then mist, softness and named colours."""
    grade = _Grade()
    for m in moods:
        grade.feel(m)
    if "mist" in weather:
        grade.haze += 0.35
    if soft:
        grade.contrast *= 0.9
    if free:
        grade.wash(free, reading.free_colours)
    return grade


def _colour(reading: Reading, name: str) -> RGB:
    """A colour concept's value, or the author's own colour word's."""
    return COLOURS.get(name) or rgb(reading.palette[name])


def _template(places: set[str], rng: np.random.Generator, snowy: bool = False) -> str:
    """The base landscape: from the prompt's places, else a seeded choice
    (a land that can lie under snow when the prompt says it snows)."""
    order = (
        "volcano", "waterfall", "canyon", "glacier", "swamp", "jungle", "street", "harbour",
        "market", "lighthouse", "city", "skyline", "castle", "village", "island", "beach",
        "cliffs", "sea", "lake", "pines", "forest", "bridge", "river", "desert", "dunes",
        "mountains", "garden", "field", "meadow", "hills", "tower",
    )
    for name in order:
        if name in places:
            return name
    if "lava" in places:
        return "volcano"
    if places & {"farm", "barn", "windmill"}:
        return "field"
    if "path" in places:
        return "forest"
    if "boats" in places or "waves" in places:
        return "sea"
    if "houses" in places or "windows" in places or "awnings" in places:
        return "village"
    if "trees" in places:
        return "forest" if rng.random() < 0.5 else "meadow"
    if "flowers" in places:
        return "garden" if rng.random() < 0.4 else "meadow"
    if "rocks" in places:
        return "beach" if rng.random() < 0.5 else "mountains"
    # A drawn concept stands in its own landscape: a school in a meadow, cacti in a desert.
    setting = next((VOCABULARY.drawn[n].setting for n in sorted(places)
                    if n in VOCABULARY.drawn and VOCABULARY.drawn[n].setting), None)
    if setting is not None:
        return setting
    choices = SNOW_TEMPLATES if snowy else OUTDOOR_TEMPLATES
    return str(choices[int(rng.integers(len(choices)))])


def _implied(template: str, places: set[str]) -> set[str]:
    extra: dict[str, set[str]] = {
        "harbour": {"sea", "boats"},
        "lighthouse": {"sea", "rocks"},
        "island": {"sea"},
        "beach": {"sea"},
        "cliffs": {"sea"},
        "pines": {"forest"},
        "dunes": {"desert"},
        "desert": {"dunes"},
        "skyline": {"city"},
        "village": {"houses", "hills"},
        "market": {"awnings", "crowd"},
        "garden": {"flowers"},
        "volcano": {"lava"},
        "farm": {"barn"},
        "jungle": {"trees"},
    }
    out = set(extra.get(template, set()))
    for p in places & set(extra):
        out |= extra[p]
    if "waves" in places and not places & {"lake", "river"}:
        out.add("sea")
    return out


def _default_time(c: set[str], moods: list[str], rng: np.random.Generator) -> str:
    if "fireworks" in c:
        return "night" if rng.random() < 0.7 else "dusk"
    if c & {"volcano", "lava"}:
        # Lava glows best against a dark sky.
        return ("dusk", "night", "twilight")[int(rng.integers(3))]
    if "mist" in c and not moods:
        # Fog is the pale, flat light of the early day, not a sunset.
        return ("dawn", "morning", "morning", "noon")[int(rng.integers(4))]
    if c & {"stars", "aurora", "space", "comet", "shooting stars"} or "eerie" in moods:
        return "night" if rng.random() < 0.7 else "twilight"
    if "moon" in c or "mysterious" in moods:
        return "twilight" if rng.random() < 0.5 else "night"
    if c & {"lantern", "candle", "fire"}:
        return "dusk" if rng.random() < 0.4 else "night"
    if "gloomy" in moods or "melancholy" in moods:
        return "dusk" if rng.random() < 0.5 else "afternoon"
    if c & {"snow", "winter"}:
        # Snow is seen by day unless the prompt says otherwise: a white land.
        return ("morning", "noon", "afternoon", "morning")[int(rng.integers(4))]
    if "joyful" in moods or "bustling" in moods or "bright" in moods:
        return "noon" if rng.random() < 0.6 else "morning"
    if "sun" in c:
        return ("morning", "noon", "afternoon")[int(rng.integers(3))]
    choices = ("morning", "noon", "afternoon", "noon", "sunset", "dawn", "dusk", "morning")
    return choices[int(rng.integers(len(choices)))]


def _look(
    time: str,
    weather: set[str],
    brightness: float,
    free: list[RGB],
    bound: dict[str, RGB],
    rng: np.random.Generator,
) -> Look:
    t = TIMES[time]
    zenith, horizon, glow, sun, light = t.zenith, t.horizon, t.glow, t.sun, t.light
    night = {"dusk": 0.5, "twilight": 0.75, "night": 0.95, "midnight": 1.0}.get(time, 0.0)
    body_visible = t.sun_height > -0.01
    stars = t.stars
    if "clouds" in weather:
        zenith = mix(zenith, scale(saturate(zenith, 0.5), 1.05), 0.35)
        horizon = mix(horizon, saturate(horizon, 0.6), 0.3)
        light = scale(light, 0.92)
        stars *= 0.6
    overcast = 0.0
    if "storm" in weather:
        overcast = 1.0
    elif "rain" in weather or "snow" in weather:
        overcast = 0.65
    if overcast:
        grey_z = (luma(zenith),) * 3
        grey_h = (luma(horizon),) * 3
        dim = 1.0 - 0.5 * overcast if "snow" not in weather else 0.95
        cool = rgb("#5c6878") if "snow" not in weather else rgb("#b7bfcc")
        zenith = mix(mix(zenith, (grey_z[0], grey_z[1], grey_z[2]), 0.75 * overcast),
                     scale(mul(cool, (1.0, 1.0, 1.0)), max(0.25, 1 - night)), 0.35 * overcast)
        zenith = scale(zenith, dim)
        horizon = scale(mix(horizon, (grey_h[0] * 1.05, grey_h[1] * 1.05, grey_h[2] * 1.1),
                            0.7 * overcast), dim)
        light = scale(saturate(light, 1 - 0.55 * overcast), 1 - 0.42 * overcast)
        body_visible = body_visible and overcast < 0.9 and rng.random() < 0.5
        stars *= 1 - overcast
    if "mist" in weather:
        pale = mix(horizon, (luma(horizon) * 1.1 + 0.08,) * 3, 0.5)
        horizon = (min(1.0, pale[0]), min(1.0, pale[1]), min(1.0, pale[2]))
        zenith = mix(zenith, horizon, 0.25)
        stars *= 0.5
    if "sky" in bound:
        zenith = mix(zenith, bound["sky"], 0.45)
        horizon = mix(horizon, bound["sky"], 0.35)
    for colour in free[:2]:
        zenith = mix(zenith, scale(colour, 0.7 + 0.3 * (1 - night)), 0.18)
        horizon = mix(horizon, colour, 0.22)
        glow = mix(glow, colour, 0.3)
    light = scale(light, brightness)
    zenith = scale(zenith, 0.4 + 0.6 * brightness)
    horizon = scale(horizon, 0.4 + 0.6 * brightness)
    fill = mix(zenith, horizon, 0.5)
    haze_col = mix(horizon, zenith, 0.25)
    water_albedo = next((bound[k] for k in ("sea", "lake", "river", "waves") if k in bound),
                        rgb("#2f6a8a"))
    water = mix(mul(water_albedo, light), mix(zenith, horizon, 0.3), 0.45)
    if "storm" in weather:
        water = mix(water, rgb("#1c2a30"), 0.4)
    sun_x = float(rng.uniform(0.22, 0.78))
    return Look(
        zenith=zenith, horizon=horizon, glow=glow, sun=sun, light=light, fill=fill,
        haze=haze_col, water=water, sun_x=sun_x, sun_height=t.sun_height, body=t.body,
        body_visible=body_visible, stars=stars, windows=t.windows, night=night,
    )
