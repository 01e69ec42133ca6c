"""The procedural painter's vocabulary: concepts, their words, and prompt reading.

A prompt is read into ``Reading``: the canonical concepts in prompt order, the
colours bound to the thing that follows them ("red scarf", "black rocks") and
the leftover words, which only seed the layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

import yaml


@dataclass(frozen=True)
class Concept:
    """One thing the painter can draw or express, with the words that name it."""

    name: str
    category: str
    words: tuple[str, ...] = ()


CATEGORIES = ("time", "weather", "place", "thing", "colour", "mood", "style", "season")


@dataclass(frozen=True)
class DrawnSpec:
    """How a concept is drawn, as written in the vocabulary's ``drawn:`` section: the
    routine, its variant (``roof``), colours as #rrggbb, size in picture units, how many,
    marks (a clock, a bell, stripes...) and the landscape it stands in when the prompt
    names none."""

    draw: str
    roof: str = "gable"
    colours: tuple[str, ...] = ()
    size: float = 0.3
    count: int = 1
    marks: tuple[str, ...] = ()
    setting: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    """The painter's words as data: concepts, compounds, natural colours, colour values,
    and how the concepts without a drawing routine of their own are drawn."""

    concepts: tuple[Concept, ...]
    compounds: dict[str, tuple[str, ...]]
    natural: dict[str, frozenset[str]]
    colours: dict[str, str]
    drawn: dict[str, DrawnSpec] = field(default_factory=dict)


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise ValueError(f"{where}: expected a list of words")
    return [w.strip() for w in value]


def parse_vocabulary(data: object) -> Vocabulary:
    """Check and convert the painter's vocabulary file; a ValueError names what is wrong."""
    if not isinstance(data, dict) or not (
            {"concepts", "compounds", "natural", "colours"} <= set(data)
            <= {"concepts", "compounds", "natural", "colours", "drawn"}):
        raise ValueError("expected the keys concepts, compounds, natural and colours "
                         "(and drawn)")
    concepts: list[Concept] = []
    owner: dict[str, str] = {}
    for category, entries in data["concepts"].items():
        if category not in CATEGORIES or not isinstance(entries, dict):
            raise ValueError(f"concepts: unknown category {category!r}")
        for name, words in entries.items():
            concept = Concept(str(name), category, tuple(_strings(words, str(name))))
            for w in (concept.name, *concept.words):
                if owner.setdefault(w, concept.name) != concept.name:
                    raise ValueError(f"{w!r} names both {owner[w]} and {concept.name}")
            concepts.append(concept)
    names = {c.name for c in concepts}
    compounds = {str(k): tuple(_strings(v, str(k))) for k, v in data["compounds"].items()}
    natural = {str(k): frozenset(_strings(v, str(k))) for k, v in data["natural"].items()}
    colours = {str(k): str(v) for k, v in data["colours"].items()}
    for where, used in (("compounds", {n for v in compounds.values() for n in v}),
                        ("natural", set(natural) | {n for v in natural.values() for n in v}),
                        ("colours", set(colours))):
        unknown = sorted(used - names)
        if unknown:
            raise ValueError(f"{where}: unknown concepts {', '.join(unknown)}")
    for name, value in colours.items():
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"colours: {name} is {value!r}, not #rrggbb")
    drawn = {str(k): _drawn(str(k), v) for k, v in (data.get("drawn") or {}).items()}
    unknown = sorted(set(drawn) - names)
    if unknown:
        raise ValueError(f"drawn: unknown concepts {', '.join(unknown)}")
    return Vocabulary(tuple(concepts), compounds, natural, colours, drawn)


_DRAWN_KEYS = frozenset({"draw", "roof", "colours", "size", "count", "marks", "setting"})


def _drawn(name: str, value: object) -> DrawnSpec:
    """One entry of the ``drawn:`` section, checked."""
    if not isinstance(value, dict) or not isinstance(value.get("draw"), str):
        raise ValueError(f"drawn: {name} needs `draw: ROUTINE`")
    extra = sorted(set(value) - _DRAWN_KEYS)
    if extra:
        raise ValueError(f"drawn: {name}: unknown keys {', '.join(extra)}")
    colours = tuple(_strings(value.get("colours", []), f"drawn: {name}: colours"))
    if not all(re.fullmatch(r"#[0-9a-fA-F]{6}", c) for c in colours):
        raise ValueError(f"drawn: {name}: colours are #rrggbb")
    size, count = value.get("size", 0.3), value.get("count", 1)
    if not isinstance(size, (int, float)) or not 0 < size <= 2:
        raise ValueError(f"drawn: {name}: size is a number of picture units in (0, 2]")
    if not isinstance(count, int) or not 1 <= count <= 6:
        raise ValueError(f"drawn: {name}: count is 1 to 6")
    setting = value.get("setting")
    return DrawnSpec(value["draw"], str(value.get("roof", "gable")), colours, float(size),
                     count, tuple(_strings(value.get("marks", []), f"drawn: {name}: marks")),
                     str(setting) if setting is not None else None)


def _builtin() -> Vocabulary:
    """The vocabulary shipped with the package (vocabulary.yaml beside this module)."""
    text = resources.files(__package__).joinpath("vocabulary.yaml").read_text("utf-8")
    try:
        return parse_vocabulary(yaml.safe_load(text))
    except ValueError as exc:
        # A broken vocabulary file is a broken installation, not a user mistake.
        raise RuntimeError(f"storyscore's vocabulary.yaml is damaged: {exc}") from exc


VOCABULARY = _builtin()
# Categories: time, weather, place, thing, colour, mood, style, season.
CONCEPTS: tuple[Concept, ...] = VOCABULARY.concepts

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
_COMPOUNDS: dict[str, tuple[str, ...]] = VOCABULARY.compounds


# A word is a run of letters, accented ones included ("café", not "caf"), and apostrophes.
_WORD = re.compile(r"(?:[^\W\d_]|')+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower().replace("-", " ")))


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
NATURAL: dict[str, frozenset[str]] = VOCABULARY.natural


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
    # The author's own colour words (palette variants) and their #rrggbb.
    palette: dict[str, str] = field(default_factory=dict)

    def has(self, *names: str) -> bool:
        """True when any of ``names`` was recognised."""
        return any(n in self.concepts for n in names)

    def category(self, name: str) -> str:
        """The category of a concept the prompt named (an author's colour is a colour)."""
        return CATEGORY.get(name) or "colour"


def _author_phrases(words: tuple[tuple[str, str], ...]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """An author's synonyms of concepts (and colour words) as phrases to look up."""
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for word, meaning in words:
        if meaning in CATEGORY:
            out[_words(word)] = (meaning,)
        elif meaning.startswith("#"):
            out[_words(word)] = (word,)
    return out


def _tokens(prompt: str) -> list[str]:
    text = prompt.lower().replace("-", " ").replace("’", "'")
    return [t.strip("'") for t in _WORD.findall(text) if t.strip("'")]


def candidates(word: str) -> list[str]:
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


def lookup(words: tuple[str, ...],
            extra: dict[tuple[str, ...], tuple[str, ...]] | None = None) -> tuple[str, ...] | None:
    table = {**_PHRASES, **extra} if extra else _PHRASES
    if words in table:
        return table[words]
    if len(words) == 1:
        for cand in candidates(words[0]):
            if (cand,) in table:
                return table[(cand,)]
        return None
    # Inflect only the last word of a phrase: "fishing boats", "sand dunes".
    for cand in candidates(words[-1])[1:]:
        key = (*words[:-1], cand)
        if key in table:
            return table[key]
    return None


def read_prompt(prompt: str, words: tuple[tuple[str, str], ...] = ()) -> Reading:
    """Read a prompt into concepts, colour bindings and leftover words.

    ``words`` are the author's own (word, meaning) pairs: synonyms of concepts,
    and colour words with their ``#rrggbb``.
    """
    extra = _author_phrases(words)
    palette = {w: m for w, m in words if m.startswith("#")}
    longest = max([_MAX_PHRASE, *(len(k) for k in extra)])
    toks = _tokens(prompt)
    hits: list[tuple[int, str]] = []
    worn: dict[int, str] = {}  # token position -> "clothes" or "accent"
    unknown: list[str] = []
    i = 0
    while i < len(toks):
        for n in range(min(longest, len(toks) - i), 0, -1):
            names = lookup(tuple(toks[i : i + n]), extra)
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

    reading = Reading(unknown=unknown, palette=palette)
    category = reading.category
    for k, (pos, name) in enumerate(hits):
        if name == "interior":
            # "inside the forest" is deep in a forest, not a room.
            following = [n for p, n in hits[k + 1 :] if p - pos <= 4 and category(n) == "place"]
            if following and not any(n in _ENCLOSURES for n in following):
                continue
        if name not in reading.concepts:
            reading.concepts.append(name)
        if category(name) == "colour":
            found = next(
                ((p, n) for p, n in hits[k + 1 :]
                 if p - pos <= 2 and category(n) in ("thing", "place", "weather")),
                None,
            )
            target = found[1] if found else None
            if found is not None:
                key = worn.get(found[0], found[1])
                reading.bindings.setdefault(key, []).append(name)
            # A place or weather in an unusual colour ("a crimson village") colours the
            # whole scene; things ("a red scarf") and natural colours stay local.
            scene_wide = target is None or (
                category(target) != "thing" and name not in NATURAL.get(target, frozenset()))
            if scene_wide and name not in reading.free_colours:
                reading.free_colours.append(name)
    return reading


@dataclass(frozen=True)
class WordMatch:
    """A word or phrase of a prompt and what the painter made of it: the concepts it
    names and how it was found (``name``, ``synonym``, ``compound``, ``form``,
    ``author``, ``worn`` or ``unknown``); ``stem`` is the form that was found."""

    phrase: str
    names: tuple[str, ...]
    how: str
    stem: str = ""


def _how(key: tuple[str, ...], extra: dict[tuple[str, ...], tuple[str, ...]]
         ) -> tuple[tuple[str, ...], str, str] | None:
    """The concepts ``key`` names, how it was found, and the form found."""
    if key in extra:
        return extra[key], "author", ""
    if key in _PHRASES:
        names = _PHRASES[key]
        if len(names) > 1:
            return names, "compound", ""
        return names, ("name" if key == _words(names[0]) else "synonym"), ""
    last = candidates(key[-1])[1:]
    for cand in last:
        stem = (*key[:-1], cand)
        found = extra.get(stem) or _PHRASES.get(stem)
        if found:
            return found, "form", " ".join(stem)
    return None


def match_words(prompt: str, words: tuple[tuple[str, str], ...] = ()) -> list[WordMatch]:
    """Each word or phrase of ``prompt`` with what it meant to the painter and why, in
    prompt order (the words ``read_prompt`` reads, with the reason for each)."""
    extra = _author_phrases(words)
    longest = max([_MAX_PHRASE, *(len(k) for k in extra)])
    toks = _tokens(prompt)
    out: list[WordMatch] = []
    i = 0
    while i < len(toks):
        for n in range(min(longest, len(toks) - i), 0, -1):
            found = _how(tuple(toks[i : i + n]), extra)
            if found is not None:
                out.append(WordMatch(" ".join(toks[i : i + n]), *found))
                i += n
                break
        else:
            if _ATTIRE.get(toks[i]) or _ATTIRE.get(toks[i].rstrip("s")):
                out.append(WordMatch(toks[i], ("figure",), "worn"))
            elif toks[i] not in _STOP:
                out.append(WordMatch(toks[i], (), "unknown"))
            i += 1
    return out


def exact_meaning(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """The concepts a phrase names as written, without trying other forms of it
    ("clearing" is not "clear")."""
    return _PHRASES.get(words)


def meaning_of(phrase: str) -> str | None:
    """The concept (or concepts) a word or phrase already names, if any."""
    names = lookup(_words(phrase))
    return ", ".join(names) if names else None


def understand(prompt: str) -> list[str]:
    """The concepts the procedural painter recognised in ``prompt``, in prompt order."""
    return list(read_prompt(prompt).concepts)
