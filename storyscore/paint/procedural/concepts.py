"""The procedural painter's vocabulary: concepts, their words, and prompt reading.

A prompt is read into ``Reading``: the canonical concepts in prompt order, the
colours bound to the thing that follows them ("red scarf", "black rocks") and
the leftover words, which only seed the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Concept:
    """One thing the painter can draw or express, with the words that name it."""

    name: str
    category: str
    words: tuple[str, ...] = ()


def _c(name: str, category: str, words: str = "") -> Concept:
    return Concept(name, category, tuple(w.strip() for w in words.split(",") if w.strip()))


# Categories: time, weather, place, thing, colour, mood, style, season.
CONCEPTS: tuple[Concept, ...] = (
    # time of day
    _c("dawn", "time", "daybreak, first light, break of day, early morning"),
    _c("sunrise", "time", "sun rise, sunup"),
    _c("morning", "time", "mornings, forenoon"),
    _c("noon", "time", "midday, noontime, high noon, noonday, daytime, day"),
    _c("afternoon", "time", "afternoons, golden hour"),
    _c("sunset", "time", "sundown, sun set, setting sun"),
    _c("dusk", "time", "evening, evenings, nightfall, eventide"),
    _c("twilight", "time", "gloaming, blue hour"),
    _c("night", "time", "nights, nighttime, night time, nocturnal, tonight"),
    _c("midnight", "time", "dead of night, small hours"),
    # weather and light
    _c("clear", "weather", "sunny, cloudless, fair weather, blue sky"),
    _c("clouds", "weather", "cloud, cloudy, overcast, clouded"),
    _c("mist", "weather", "misty, fog, foggy, haze, hazy, mists, fogs, vapour, vapor"),
    _c("rain", "weather", "rainy, raining, rainfall, drizzle, downpour, showers, rains"),
    _c("storm", "weather", "stormy, storms, tempest, thunderstorm, gale, squall, hurricane"),
    _c("lightning", "weather", "thunder, thunderbolt, lightning bolt, lightnings"),
    _c("snow", "weather", "snowy, snowing, snowfall, snowflakes, snowflake, blizzard, snowstorm"),
    _c("rainbow", "weather", "rainbows"),
    _c("lantern", "weather", "lanterns, lantern light, lamplight, lamp, lamps, torch, torches, "
       "streetlamp, streetlamps, lamppost, lampposts, lamplit"),
    _c("candle", "weather", "candles, candlelight, candlelit, candle light"),
    _c("sunbeams", "weather", "sunbeam, sun rays, light rays, rays, god rays, shafts of light, "
       "beams of light"),
    _c("aurora", "weather", "northern lights, aurora borealis, auroras"),
    _c("fire", "weather", "campfire, bonfire, fireplace, hearth, flames, embers"),
    # places and landforms
    _c("forest", "place", "woods, woodland, woodlands, forests, jungle, thicket, grove"),
    _c("pines", "place", "pine, pine trees, conifers, conifer, fir, firs, spruce, "
       "evergreen, evergreens"),
    _c("meadow", "place", "meadows, grassland, prairie, pasture, grass, lawn"),
    _c("field", "place", "fields, farmland, wheat, crops, farm, cornfield, wheatfield"),
    _c("hills", "place", "hill, hillside, hillsides, rolling hills, slopes, valley"),
    _c("mountains", "place", "mountain, peaks, peak, summit, summits, alps, mountain range, ridge"),
    _c("desert", "place", "deserts, wasteland, sahara, badlands"),
    _c("dunes", "place", "dune, sand dunes"),
    _c("sea", "place", "ocean, oceans, seas, open sea, seascape, waters"),
    _c("lake", "place", "lakes, pond, ponds, lagoon, loch, mere"),
    _c("river", "place", "rivers, stream, streams, creek, brook, canal, canals"),
    _c("beach", "place", "beaches, shore, shores, seashore, seaside, coast, coastline, sand, "
       "sandy"),
    _c("island", "place", "islands, isle, isles, islet"),
    _c("harbour", "place", "harbor, harbours, harbors, port, docks, dock, pier, quay, wharf, "
       "marina, jetty"),
    _c("city", "place", "cities, metropolis, downtown, urban, cityscape"),
    _c("skyline", "place", "skyscraper, skyscrapers, high-rise, rooftops"),
    _c("village", "place", "villages, hamlet, town, towns, settlement"),
    _c("market", "place", "markets, marketplace, bazaar, stalls, stall, fair, souk"),
    _c("street", "place", "streets, alley, alleys, road, avenue, lane, cobblestones, "
       "cobblestone, boulevard"),
    _c("castle", "place", "castles, palace, fortress, citadel, fort, keep"),
    _c("lighthouse", "place", "lighthouses, beacon"),
    _c("tower", "place", "towers, turret, turrets, belfry, spire"),
    _c("bridge", "place", "bridges, footbridge, viaduct"),
    _c("cave", "place", "caves, cavern, caverns, grotto"),
    _c("room", "place", "rooms, bedroom, kitchen, library, study, parlour, parlor, chamber, "
       "attic, hall, cottage interior, living room"),
    _c("interior", "place", "indoors, inside, interiors"),
    _c("staircase", "place", "stairs, stairway, stairwell, stone steps, spiral staircase, "
       "spiral stairs, staircases"),
    _c("garden", "place", "gardens, park, orchard, flowerbed, flowerbeds"),
    _c("space", "place", "outer space, cosmos, galaxy, galaxies, nebula, universe, planets, "
       "planet"),
    _c("cliffs", "place", "cliff, clifftop, crag, crags, bluff"),
    _c("volcano", "place", "volcanoes, volcanic, eruption, erupting, erupts, crater"),
    # things
    _c("sun", "thing", "sunshine, sunlight, sunlit, sunny sky"),
    _c("moon", "thing", "moons, moonlight, moonlit, full moon, crescent, crescent moon"),
    _c("stars", "thing", "star, starry, starlight, starlit, constellations, starry sky"),
    _c("trees", "thing", "tree, oak, oaks, birch, birches, willow, willows, maple, elm"),
    _c("houses", "thing", "house, cottage, cottages, cabin, cabins, hut, huts, home, homes, "
       "buildings, building"),
    _c("boats", "thing", "boat, ship, ships, sailboat, sailboats, yacht, yachts, vessel, "
       "vessels, ferry, fishing boats, fishing boat, sails, sail"),
    _c("birds", "thing", "bird, gulls, seagulls, seagull, gull, crows, crow, swallows, flock"),
    _c("flowers", "thing", "flower, blossoms, blossom, bloom, blooms, roses, tulips, daisies, "
       "poppies, wildflowers, petals"),
    _c("waves", "thing", "wave, surf, breakers, swell, swells, spray"),
    _c("rocks", "thing", "rock, rocky, boulders, boulder, stones, pebbles, reef"),
    _c("awnings", "thing", "awning, canopy, canopies, tents, tent, parasols"),
    _c("windows", "thing", "window, windowsill, panes"),
    _c("figure", "thing", "girl, boy, child, woman, man, person, figure, traveller, traveler, "
       "wanderer, keeper, fisherman, knight, princess, prince, king, queen, hero, mira, she, he"),
    _c("crowd", "thing", "crowds, people, townsfolk, villagers, shoppers, children, merchants, "
       "fishermen"),
    _c("sky", "thing", "skies, heavens"),
    _c("flags", "thing", "flag, banners, banner, bunting, pennants, pennant"),
    _c("path", "thing", "paths, trail, trails, track, footpath"),
    _c("lava", "thing", "magma, molten rock, lava flow, lava flows, rivers of lava, "
       "river of lava"),
    # colours
    _c("red", "colour", "reds, reddish"),
    _c("crimson", "colour", ""),
    _c("scarlet", "colour", ""),
    _c("orange", "colour", "orangey, tangerine"),
    _c("golden", "colour", "gold, gilded"),
    _c("amber", "colour", "honey"),
    _c("yellow", "colour", "yellows, lemon"),
    _c("green", "colour", "greens, verdant, lush"),
    _c("emerald", "colour", "jade"),
    _c("blue", "colour", "blues, azure, sapphire, cobalt, navy"),
    _c("teal", "colour", ""),
    _c("turquoise", "colour", "aqua, cyan"),
    _c("violet", "colour", "lilac, lavender, indigo"),
    _c("purple", "colour", "purples, magenta, plum"),
    _c("pink", "colour", "rosy, rose-coloured, blush"),
    _c("silver", "colour", "silvery, grey, gray, pewter"),
    _c("black", "colour", "jet, ebony, inky, pitch-black"),
    _c("white", "colour", "snow-white, ivory, pale"),
    # moods
    _c("tranquil", "mood", "calm, peaceful, quiet, still, restful, placid"),
    _c("serene", "mood", "serenity, idyllic, gentle breeze"),
    _c("eerie", "mood", "creepy, spooky, haunted, ghostly, uncanny, sinister, ominous"),
    _c("gloomy", "mood", "grim, dreary, bleak, sombre, somber, dismal, desolate, dark"),
    _c("joyful", "mood", "happy, cheerful, merry, festive, jolly, joyous, celebration, "
       "delighted"),
    _c("bustling", "mood", "busy, lively, crowded, teeming, noisy, loud"),
    _c("mysterious", "mood", "mystery, mystical, enigmatic, magical, enchanted, mystic"),
    _c("melancholy", "mood", "sad, melancholic, lonely, forlorn, wistful, sorrowful"),
    _c("bright", "mood", "vivid, vibrant, colourful, colorful, radiant, brilliant"),
    # styles
    _c("watercolor", "style", "watercolour, watercolors, watercolours, aquarelle"),
    _c("ink", "style", "pen and ink, inked, ink drawing, line art, sketch, etching"),
    _c("pastel", "style", "pastels, chalk, chalky"),
    _c("oil", "style", "oil painting, oils, impasto, oil paint, painterly"),
    _c("storybook", "style", "fairy tale, fairytale, picture book, illustration, "
       "children's book, illustrated"),
    _c("soft", "style", "soft light, gentle, dreamy, soft focus, diffuse"),
    # seasons
    _c("spring", "season", "springtime"),
    _c("summer", "season", "summertime, summery"),
    _c("autumn", "season", "autumnal, autumn leaves, fall leaves"),
    _c("winter", "season", "wintry, wintertime, frosty, frost, icy, ice"),
)

CONCEPT_NAMES: frozenset[str] = frozenset(c.name for c in CONCEPTS)
CATEGORY: dict[str, str] = {c.name: c.category for c in CONCEPTS}

# Places one can be inside of: "inside a lighthouse" is an interior, "inside the forest" is not.
_ENCLOSURES = frozenset({"lighthouse", "tower", "castle", "houses", "room", "cave", "staircase"})

# What a person wears or carries; a colour on it binds to "clothes" or to "accent".
_ATTIRE: dict[str, str] = {
    "scarf": "accent", "hat": "accent", "hood": "accent", "umbrella": "accent",
    "shawl": "accent", "kite": "accent", "balloon": "accent", "ribbon": "accent",
    "cloak": "clothes", "coat": "clothes", "dress": "clothes", "jacket": "clothes",
    "cape": "clothes", "gown": "clothes", "tunic": "clothes",
}

_STOP = frozenset({
    "a", "an", "the", "of", "and", "or", "in", "into", "on", "at", "by", "with", "between", "to",
    "from", "under", "over", "through", "near", "across", "along", "beside", "behind", "above",
    "below", "is", "are", "was", "were", "be", "its", "it", "his", "her", "their", "this", "that",
    "these", "those", "there", "here", "very", "some", "many", "few", "much", "all", "as", "for",
    "up", "down",
})


# Phrases that name two concepts at once.
_COMPOUNDS: dict[str, tuple[str, ...]] = {
    "pine forest": ("pines", "forest"),
    "pine woods": ("pines", "forest"),
    "starry sky": ("stars", "sky"),
    "night sky": ("night", "sky"),
    "sunny sky": ("sun", "sky"),
    "harbour market": ("harbour", "market"),
    "harbor market": ("harbour", "market"),
    "fish market": ("harbour", "market"),
    "market square": ("market", "village"),
    "market street": ("market", "street"),
    "city street": ("city", "street"),
    "village street": ("village", "street"),
    "castle hall": ("castle", "room", "interior"),
    "lighthouse keeper": ("lighthouse", "figure"),
    "snowy mountains": ("snow", "mountains"),
    "thunderstorm": ("storm", "lightning"),
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z']+", text.lower().replace("-", " ")))


# Multi-word phrases are tried first, so "oil painting" wins over "oil" and "painting".
_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {}
for _concept in CONCEPTS:
    for _w in (_concept.name, *_concept.words):
        _PHRASES[_words(_w)] = (_concept.name,)
for _w, _names in _COMPOUNDS.items():
    _PHRASES[_words(_w)] = _names
_MAX_PHRASE = max(len(k) for k in _PHRASES)


# Colours a place or weather already has: "green hills" colour only the hills,
# while "crimson hills" colour the whole scene.
NATURAL: dict[str, frozenset[str]] = {
    name: frozenset(colours.split())
    for name, colours in {
        "hills": "green emerald golden", "meadow": "green emerald golden yellow",
        "field": "golden yellow amber green", "forest": "green emerald black",
        "pines": "green emerald black", "desert": "golden yellow amber orange",
        "dunes": "golden yellow amber orange", "beach": "golden white yellow",
        "sea": "blue teal turquoise silver green", "lake": "blue teal turquoise silver green",
        "river": "blue teal turquoise silver", "mountains": "blue silver white purple violet",
        "city": "silver black white", "skyline": "silver black white", "cliffs": "white",
        "clouds": "white silver black", "snow": "white silver", "mist": "white silver",
        "rain": "silver", "lantern": "golden amber yellow orange",
        "candle": "golden amber yellow", "fire": "orange red golden amber",
        "lightning": "white silver violet", "space": "black",
        "lava": "red orange golden amber yellow crimson scarlet", "volcano": "black red orange",
    }.items()
}


@dataclass
class Reading:
    """What the painter made of a prompt.

    ``bindings`` maps a concept (or "clothes"/"accent" for what a person wears)
    to the colours the prompt gave it.
    """

    concepts: list[str] = field(default_factory=list)
    bindings: dict[str, list[str]] = field(default_factory=dict)
    free_colours: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def has(self, *names: str) -> bool:
        """True when any of ``names`` was recognised."""
        return any(n in self.concepts for n in names)


def _tokens(prompt: str) -> list[str]:
    text = prompt.lower().replace("-", " ").replace("’", "'")
    return [t.strip("'") for t in re.findall(r"[a-z']+", text) if t.strip("'")]


def _candidates(word: str) -> list[str]:
    """The word and its likely dictionary forms (plural, -y, -ing, -ed stripped)."""
    out = [word]
    if word.endswith("'s"):
        out.append(word[:-2])
    for suffix, repl in (
        ("ies", "y"), ("ves", "f"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"),
        ("ed", ""), ("ed", "e"), ("y", ""), ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: len(word) - len(suffix)] + repl
            out.append(stem)
            # "foggy" -> "fogg" -> "fog", "starry" -> "star"
            if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                out.append(stem[:-1])
    return out


def _lookup(words: tuple[str, ...]) -> tuple[str, ...] | None:
    if words in _PHRASES:
        return _PHRASES[words]
    if len(words) == 1:
        for cand in _candidates(words[0]):
            if (cand,) in _PHRASES:
                return _PHRASES[(cand,)]
        return None
    # Inflect only the last word of a phrase: "fishing boats", "sand dunes".
    for cand in _candidates(words[-1])[1:]:
        key = (*words[:-1], cand)
        if key in _PHRASES:
            return _PHRASES[key]
    return None


def read_prompt(prompt: str) -> Reading:
    """Read a prompt into concepts, colour bindings and leftover words."""
    toks = _tokens(prompt)
    hits: list[tuple[int, str]] = []
    worn: dict[int, str] = {}  # token position -> "clothes" or "accent"
    unknown: list[str] = []
    i = 0
    while i < len(toks):
        for n in range(min(_MAX_PHRASE, len(toks) - i), 0, -1):
            names = _lookup(tuple(toks[i : i + n]))
            if names is not None:
                hits.extend((i + n - 1, name) for name in names)
                i += n
                break
        else:
            role = _ATTIRE.get(toks[i]) or _ATTIRE.get(toks[i].rstrip("s"))
            if role is not None:
                # A scarf or a cloak is worn by someone.
                hits.append((i, "figure"))
                worn[i] = role
            elif toks[i] not in _STOP:
                unknown.append(toks[i])
            i += 1

    reading = Reading(unknown=unknown)
    for k, (pos, name) in enumerate(hits):
        if name == "interior":
            # "inside the forest" is deep in a forest, not a room.
            following = [n for p, n in hits[k + 1 :] if p - pos <= 4 and CATEGORY[n] == "place"]
            if following and not any(n in _ENCLOSURES for n in following):
                continue
        if name not in reading.concepts:
            reading.concepts.append(name)
        if CATEGORY[name] == "colour":
            found = next(
                ((p, n) for p, n in hits[k + 1 :]
                 if p - pos <= 2 and CATEGORY[n] in ("thing", "place", "weather")),
                None,
            )
            target = found[1] if found else None
            if found is not None:
                key = worn.get(found[0], found[1])
                reading.bindings.setdefault(key, []).append(name)
            # A place or weather in an unusual colour ("a crimson village") colours the
            # whole scene; things ("a red scarf") and natural colours stay local.
            scene_wide = target is None or (
                CATEGORY[target] != "thing" and name not in NATURAL.get(target, frozenset()))
            if scene_wide and name not in reading.free_colours:
                reading.free_colours.append(name)
    return reading


def understand(prompt: str) -> list[str]:
    """The concepts the procedural painter recognised in ``prompt``, in prompt order."""
    return list(read_prompt(prompt).concepts)
