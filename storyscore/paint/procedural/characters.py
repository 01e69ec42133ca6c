"""Characters: one design per character, decided once from its description.

A design is a kind (fox, owl, paper boat, child...) with the drawing family
that paints it, its palette (body, belly, parts named with a colour: "red
sail", "white-tipped tail", "amber eyes", "blue coat"), its features
("braided hair", "a hat", "paper") and its proportions. It depends on the
description alone, so a character looks the same in every scene; only the
pose (from the scene's verbs) and the placement change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from storyscore.paint.procedural.canvas import RGB, rgb

# Colours a character's words may name: the painter's scene colours plus the
# browns and greys of fur, feathers and wood.
CHARACTER_COLOURS: dict[str, RGB] = {
    "red": rgb("#d3262b"), "crimson": rgb("#b3102e"), "scarlet": rgb("#ec2c1a"),
    "orange": rgb("#ee7a22"), "ginger": rgb("#d8702a"), "rusty": rgb("#b0522a"),
    "golden": rgb("#f0b332"), "gold": rgb("#f0b332"), "amber": rgb("#f5a21c"),
    "yellow": rgb("#f4d43a"), "green": rgb("#3f9a3c"), "emerald": rgb("#14985a"),
    "blue": rgb("#2b5fcc"), "navy": rgb("#23346e"), "teal": rgb("#16807e"),
    "turquoise": rgb("#2fcfc4"), "violet": rgb("#8a4cd8"), "purple": rgb("#772b9c"),
    "pink": rgb("#f08cb6"), "silver": rgb("#c3cbd6"), "grey": rgb("#8a8c92"),
    "gray": rgb("#8a8c92"), "black": rgb("#232328"), "white": rgb("#f6f5f0"),
    "brown": rgb("#7a5234"), "tawny": rgb("#b07a3e"), "tan": rgb("#c49a6c"),
    "cream": rgb("#efe4c8"), "copper": rgb("#b8703a"), "ivory": rgb("#f3eedc"),
    "snowy": rgb("#f6f5f0"), "sandy": rgb("#d8bb88"), "chestnut": rgb("#8a4a2a"),
}

# Kind -> (family, default body colour, secondary colour, eye colour).
# The family names the drawing routine; the rest are looks a description may override.
KINDS: dict[str, tuple[str, str, str, str]] = {
    "person": ("person", "#4a6a9a", "#c83a32", "#2a2220"),
    "child": ("person", "#5a7ab0", "#d8443a", "#2a2220"),
    "fox": ("quadruped", "#e0702a", "#f6f0e6", "#3a2a1a"),
    "wolf": ("quadruped", "#8a8c92", "#d8d8d2", "#d8a030"),
    "cat": ("quadruped", "#8a8078", "#e8e0d4", "#9ac040"),
    "dog": ("quadruped", "#b88a5a", "#f0e4d0", "#3a2a1a"),
    "rabbit": ("quadruped", "#c8b8a4", "#f4efe8", "#3a2020"),
    "mouse": ("quadruped", "#9a9090", "#f0e0e0", "#1a1a1a"),
    "bear": ("quadruped", "#7a5234", "#a8805a", "#1a1a1a"),
    "deer": ("quadruped", "#a8743e", "#f0e4d0", "#1a1a1a"),
    "horse": ("quadruped", "#8a5a3a", "#5a3a2a", "#1a1a1a"),
    "unicorn": ("quadruped", "#f4f0f4", "#e8a8d8", "#3a2a4a"),
    "lion": ("quadruped", "#d8a04a", "#a8602a", "#3a2a1a"),
    "tiger": ("quadruped", "#e8822a", "#f6f0e6", "#6a8a2a"),
    "cow": ("quadruped", "#f2efe8", "#2a2a2a", "#1a1a1a"),
    "sheep": ("quadruped", "#f0ece0", "#3a3434", "#1a1a1a"),
    "pig": ("quadruped", "#f0b0b0", "#e89898", "#1a1a1a"),
    "owl": ("owl", "#9a7a56", "#e8dcc4", "#f5a21c"),
    "bird": ("bird", "#4a7ac8", "#f0e6d0", "#1a1a1a"),
    "duck": ("duck", "#f4d43a", "#f08424", "#1a1a1a"),
    "fish": ("fish", "#f08424", "#f6f0e6", "#1a1a1a"),
    "whale": ("fish", "#4a6a8a", "#dfe6ea", "#1a1a1a"),
    "dragon": ("dragon", "#3f9a3c", "#e8c860", "#f5a21c"),
    "robot": ("robot", "#a8b4c0", "#d3262b", "#7ae0ff"),
    "boat": ("boat", "#c0643a", "#f3ece0", "#1a1a1a"),
    "ship": ("ship", "#6a3a24", "#f3ece0", "#1a1a1a"),
    "car": ("car", "#d3262b", "#bcd8ee", "#1a1a1a"),
    "train": ("train", "#2a5a3a", "#d3262b", "#1a1a1a"),
    "balloon": ("balloon", "#d3262b", "#f4d43a", "#1a1a1a"),
    "kite": ("kite", "#d3262b", "#f4d43a", "#1a1a1a"),
    "lantern": ("lantern", "#d3262b", "#ffc46a", "#1a1a1a"),
}

# Words naming each kind (singular; plurals are found by stripping an "s").
KIND_WORDS: dict[str, str] = {
    "person": "person, woman, man, lady, gentleman, knight, princess, prince, king, queen, "
              "wizard, witch, sailor, fisherman, fisherwoman, keeper, traveller, traveler, "
              "grandmother, grandfather, granny, grandpa, old woman, old man, hero, heroine, "
              "explorer, farmer, mother, father, pirate, teacher, lighthouse keeper",
    "child": "child, girl, boy, kid, toddler, daughter, son, little girl, little boy",
    "fox": "fox, vixen, cub", "wolf": "wolf", "cat": "cat, kitten, kitty",
    "dog": "dog, puppy, pup, hound", "rabbit": "rabbit, bunny, hare",
    "mouse": "mouse, rat, hamster", "bear": "bear, teddy bear, teddy",
    "deer": "deer, fawn, stag, reindeer", "horse": "horse, pony, foal, mare, stallion",
    "unicorn": "unicorn", "lion": "lion, lioness", "tiger": "tiger", "cow": "cow, calf",
    "sheep": "sheep, lamb", "pig": "pig, piglet",
    "owl": "owl, owlet", "bird": "bird, robin, sparrow, crow, raven, parrot, songbird, "
                                 "blackbird, bluebird, finch, gull, seagull, swallow",
    "duck": "duck, duckling, goose, swan", "fish": "fish, goldfish, salmon, carp",
    "whale": "whale, dolphin", "dragon": "dragon, dinosaur, wyvern",
    "robot": "robot, android, automaton", "boat": "boat, sailboat, rowboat, canoe, dinghy, "
                                                  "paper boat, raft",
    "ship": "ship, galleon, steamer, schooner", "car": "car, automobile, truck, van, bus",
    "train": "train, locomotive, engine", "balloon": "balloon, hot air balloon, hot-air balloon",
    "kite": "kite", "lantern": "lantern, paper lantern",
}


def _parse_words(spec: str) -> dict[tuple[str, ...], str]:
    return {tuple(w.split()): w for w in (x.strip() for x in spec.split(",")) if w}


_KIND_PHRASES: dict[tuple[str, ...], str] = {}
for _kind, _spec in KIND_WORDS.items():
    for _phrase in _parse_words(_spec):
        _KIND_PHRASES[_phrase] = _kind

# Parts a colour word can name ("red sail"), each under the name the drawing uses.
PARTS: dict[str, str] = {
    "sail": "sail", "sails": "sail", "hull": "hull", "coat": "coat", "jacket": "coat",
    "cloak": "coat", "cape": "coat", "dress": "coat", "tunic": "coat", "shirt": "coat",
    "sweater": "coat", "jumper": "coat", "raincoat": "coat", "overalls": "coat",
    "scarf": "scarf", "shawl": "scarf", "ribbon": "scarf", "bow": "scarf", "collar": "scarf",
    "hat": "hat", "cap": "hat", "hood": "hat", "beret": "hat", "crown": "hat",
    "boots": "boots", "shoes": "boots", "eyes": "eyes", "eye": "eyes", "tail": "tail",
    "ears": "ears", "wings": "wings", "wing": "wings", "feathers": "body", "fur": "body",
    "scales": "body", "skin": "body", "coat of fur": "body", "mane": "mane", "hair": "hair",
    "braids": "hair", "plaits": "hair", "belly": "belly", "chest": "belly", "breast": "belly",
    "beak": "beak", "bill": "beak", "spots": "spots", "stripes": "stripes", "roof": "roof",
    "basket": "basket", "wheels": "wheels", "light": "light", "glow": "light",
    "umbrella": "umbrella", "nose": "nose", "paws": "paws", "feet": "paws", "legs": "legs",
    "horn": "horn", "antlers": "horn", "fins": "fins", "fin": "fins", "carriages": "coat",
    "funnel": "roof", "chimney": "roof", "envelope": "body", "bag": "umbrella",
}

# Words that add a feature to the design.
FEATURES: dict[str, str] = {
    "paper": "paper", "origami": "paper", "folded": "paper", "braided": "braids",
    "braids": "braids", "plaits": "braids", "pigtails": "braids", "hat": "hat", "cap": "hat",
    "hood": "hat", "crown": "crown", "scarf": "scarf", "shawl": "scarf", "glasses": "glasses",
    "spectacles": "glasses", "beard": "beard", "bearded": "beard", "wings": "wings",
    "winged": "wings", "horn": "horn", "horned": "horn", "antlers": "antlers",
    "spotted": "spots", "spots": "spots", "striped": "stripes", "stripes": "stripes",
    "stripy": "stripes", "fluffy": "fluffy", "bushy": "fluffy", "umbrella": "umbrella",
    "backpack": "backpack", "satchel": "backpack", "bag": "backpack", "cape": "cape",
    "cloak": "cape", "boots": "boots", "lantern": "lantern", "mane": "mane", "old": "old",
    "long-eared": "long-ears", "floppy": "floppy", "round": "round", "rusty": "rusty",
}

SIZES: dict[str, float] = {
    "tiny": 0.78, "little": 0.88, "small": 0.88, "wee": 0.8, "big": 1.12, "large": 1.12,
    "great": 1.15, "huge": 1.25, "giant": 1.3, "enormous": 1.3, "tall": 1.1,
}

_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*")


@dataclass(frozen=True)
class Design:
    """How a character looks on every page: kind, palette, features, proportions."""

    name: str
    description: str
    kind: str
    family: str
    body: RGB
    second: RGB
    eyes: RGB
    parts: dict[str, RGB] = field(default_factory=dict)
    features: frozenset[str] = frozenset()
    size: float = 1.0
    variation: tuple[float, ...] = (0.5, 0.5, 0.5, 0.5)

    def colour(self, part: str, default: RGB) -> RGB:
        """The colour the description gave ``part``, else ``default``."""
        return self.parts.get(part, default)

    def has(self, feature: str) -> bool:
        return feature in self.features

    @property
    def palette(self) -> list[RGB]:
        """The colours that make the character recognisable, main colour first."""
        out = [self.body, *self.parts.values()]
        seen: list[RGB] = []
        for c in out:
            if c not in seen:
                seen.append(c)
        return seen

    @property
    def afloat(self) -> bool:
        """Whether it belongs on water (boats, ducks, fish)."""
        return self.family in ("boat", "ship", "duck", "fish")

    @property
    def aloft(self) -> bool:
        """Whether it belongs in the sky (balloons, kites)."""
        return self.family in ("balloon", "kite")


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text``; hyphenated words stay whole ("white-tipped")."""
    return _TOKEN.findall(text.lower().replace("’", "'"))


def kind_phrases(words: tuple[tuple[str, str], ...] = ()) -> dict[tuple[str, ...], str]:
    """The phrases that name each kind, with an author's own ("hedgehog" -> mouse)."""
    extra = {tuple(w.split()): m for w, m in words if m in KINDS}
    return {**_KIND_PHRASES, **extra} if extra else _KIND_PHRASES


def find_kind(words: list[str], phrases: dict[tuple[str, ...], str] | None = None
              ) -> tuple[str, int] | None:
    """The first kind named in ``words`` and the index of its last word."""
    table = phrases if phrases is not None else _KIND_PHRASES
    for i in range(len(words)):
        for n in (3, 2, 1):
            phrase = tuple(words[i:i + n])
            if len(phrase) < n:
                continue
            kind = table.get(phrase)
            if kind is None and n == 1 and phrase[0].endswith("s"):
                kind = table.get((phrase[0][:-1],))
            if kind is None and n == 1 and "-" in phrase[0]:
                kind = table.get(tuple(phrase[0].split("-")))
            if kind is not None:
                return kind, i + n - 1
    return None


def _colour_word(word: str) -> RGB | None:
    if word in CHARACTER_COLOURS:
        return CHARACTER_COLOURS[word]
    if word.endswith("ish") and word[:-3] in CHARACTER_COLOURS:
        return CHARACTER_COLOURS[word[:-3]]
    return None


def design(name: str, description: str, author: tuple[tuple[str, str], ...] = ()) -> Design:
    """The one design of the character ``name`` described by ``description``
    (``author``: the story's own words, which may name kinds)."""
    words = tokens(description)
    found = find_kind(words, kind_phrases(author))
    kind, head = found if found is not None else ("person", len(words))
    family, body_hex, second_hex, eyes_hex = KINDS[kind]
    body, second, eyes = rgb(body_hex), rgb(second_hex), rgb(eyes_hex)
    parts: dict[str, RGB] = {}
    features: set[str] = set()
    size = 1.0
    for i, w in enumerate(words):
        if w in SIZES:
            size *= SIZES[w]
        feature = FEATURES.get(w) or FEATURES.get(w.rstrip("s"))
        if feature is not None:
            features.add(feature)
        if w.endswith(("-tipped", "-tip")):
            # "white-tipped tail": the tip of the next part.
            colour = _colour_word(w.split("-")[0])
            tipped = next((PARTS[x] for x in words[i + 1:i + 3] if x in PARTS), "tail")
            if colour is not None:
                parts[f"{tipped}_tip"] = colour
            continue
        colour = _colour_word(w.split("-")[0]) if "-" in w else _colour_word(w)
        if colour is None:
            continue
        # The colour belongs to the part that follows it ("red sail"), else to the
        # character itself ("a curious orange fox").
        part: str | None = None
        for j in range(i + 1, min(len(words), i + 4)):
            if words[j] in PARTS:
                part = PARTS[words[j]]
                break
            if _colour_word(words[j]) is None and j >= head:
                break
        if part is None and i < head:
            body = colour
        elif part is not None:
            parts.setdefault(part, colour)
    if "eyes" in parts:
        eyes = parts["eyes"]
    if "body" in parts:
        body = parts["body"]
    if kind == "boat" and "paper" in features:
        # A paper boat is folded from white paper unless the words colour its hull.
        body = parts.get("hull", rgb("#f4f1e8") if body == rgb(body_hex) else body)
    if "belly" in parts:
        second = parts["belly"]
    digest = hashlib.sha256(description.strip().lower().encode("utf-8")).digest()
    variation = tuple(b / 255.0 for b in digest[:6])
    return Design(name=name, description=description, kind=kind, family=family, body=body,
                  second=second, eyes=eyes, parts=parts, features=frozenset(features),
                  size=size, variation=variation)


@dataclass
class Subject:
    """One thing the picture is about: a design in a pose, with where the words put it."""

    design: Design
    pose: str
    start: int  # where its words begin in the prompt
    end: int
    character: bool  # a story character (else a thing the prompt named)
    side: str | None = None  # "left" or "right"
    distance: str | None = None  # "far" or "near"
    relation: tuple[str, int] | None = None  # ("above", index of the other subject)
    perch: bool = False  # on a branch: drawn up in a tree, on a bough
    item: str | None = None  # what it carries: "lantern", "umbrella", "basket"...
    item_colour: RGB | None = None  # the colour the words give it ("a yellow umbrella")


POSES: dict[str, str] = {}
for _pose, _spec in {
    "sleeping": "sleep, sleeps, sleeping, asleep, sleepy, curled, dozing, dozes, napping, "
                "naps, lying, lies, slumbering, dreaming",
    "sitting": "sit, sits, sitting, seated, perched, perches, perching, resting, rests, "
               "waiting, waits",
    "walking": "walk, walks, walking, strolling, wandering, wanders, trotting, trots, "
               "stepping, exploring, explores, heading, heads, going, goes",
    "running": "run, runs, running, racing, races, dashing, dashes, chasing, chases, "
               "hurrying, hurries, galloping, gallops, fleeing",
    "leaping": "leap, leaps, leaping, jump, jumps, jumping, bounding, bounds, pouncing, "
               "pounces, hopping, hops, springing",
    "flying": "fly, flies, flying, soaring, soars, gliding, glides, flapping, hovering, "
              "hovers, swooping, rising, drifting up, floating up",
    "swimming": "swim, swims, swimming, floating, floats, drifting, drifts, bobbing, "
                "paddling, paddles, sailing, sails, afloat, diving",
}.items():
    for _w in _spec.split(","):
        POSES[_w.strip()] = _pose


# Things a person can be drawn carrying, by the words that name them.
ITEMS: dict[str, str] = {
    "lantern": "lantern", "lamp": "lantern", "torch": "lantern", "candle": "lantern",
    "umbrella": "umbrella", "parasol": "umbrella", "basket": "basket", "bag": "basket",
    "book": "book", "books": "book", "letter": "book", "flower": "flowers",
    "flowers": "flowers", "bouquet": "flowers", "stick": "staff", "staff": "staff",
    "sword": "staff", "wand": "staff", "fishing rod": "staff", "balloon": "balloon",
}
_CARRY_VERBS = frozenset({"carrying", "carries", "carry", "holding", "holds", "hold", "with"})


def item_of(design_: Design, clause: str) -> tuple[str, RGB | None] | None:
    """What a person carries and its colour, from "carrying a lantern", "holding a
    yellow umbrella"."""
    if design_.family != "person":
        return None
    words = tokens(clause)
    for i, w in enumerate(words):
        if w not in _CARRY_VERBS:
            continue
        for j in range(i + 1, min(len(words), i + 5)):
            item = ITEMS.get(" ".join(words[j:j + 2])) or ITEMS.get(words[j])
            if item is not None:
                colour = next((c for c in (_colour_word(x) for x in words[i + 1:j])
                               if c is not None), None)
                return item, colour
    return None


def pose_of(design_: Design, clause: str) -> str:
    """The pose the scene's words give the character (``standing`` when none fits)."""
    for w in tokens(clause):
        pose = POSES.get(w)
        if pose is None:
            continue
        if pose == "flying" and design_.family in ("person", "boat", "ship", "car", "train",
                                                   "fish") and not design_.has("wings"):
            continue
        if pose == "swimming" and design_.family in ("balloon", "kite", "lantern", "robot",
                                                     "car", "train"):
            continue
        return pose
    if design_.afloat:
        return "swimming"
    if design_.aloft:
        return "flying"
    return "standing"
