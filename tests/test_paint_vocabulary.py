"""The painter's vocabulary as data (vocabulary.yaml) and an author's words of their own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from storyscore.cli import app
from storyscore.dsl.load import load_story
from storyscore.paint.base import PaintRequest
from storyscore.paint.procedural import CONCEPTS, ProceduralPainter, props
from storyscore.paint.procedural.concepts import VOCABULARY, parse_vocabulary, read_prompt
from storyscore.paint.procedural.words import parse_words
from storyscore.pipeline.pictures import request_for


def shipped() -> dict[str, object]:
    text = resources.files("storyscore.paint.procedural").joinpath("vocabulary.yaml").read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_the_shipped_vocabulary_is_the_painters() -> None:
    assert parse_vocabulary(shipped()) == VOCABULARY
    assert VOCABULARY.concepts == CONCEPTS
    assert {"volcano", "lava", "mist", "harbour"} <= {c.name for c in CONCEPTS}
    assert VOCABULARY.colours["red"] == "#d3262b"


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["concepts"]["place"].update({"fogbank": ["fog"]}), "'fog' names both"),
    (lambda d: d["concepts"].update({"smell": {"rose": []}}), "unknown category 'smell'"),
    (lambda d: d["colours"].update({"red": "red"}), "not #rrggbb"),
    (lambda d: d["compounds"].update({"ghost ship": ["ghost", "boats"]}), "unknown concepts ghost"),
    (lambda d: d.pop("natural"), "expected the keys"),
    (lambda d: d["concepts"]["place"].update({"moor": "heath"}), "expected a list of words"),
])
def test_a_damaged_vocabulary_says_what_is_wrong(change, message: str) -> None:  # type: ignore[no-untyped-def]
    data = shipped()
    change(data)
    with pytest.raises(ValueError, match=message):
        parse_vocabulary(data)


def test_the_library_holds_at_least_250_concepts_with_the_issues_places() -> None:
    names = {c.name for c in CONCEPTS}
    assert len(names) >= 250
    assert {"volcano", "lava", "mist", "cave", "waterfall", "glacier", "ice", "canyon",
            "jungle", "swamp", "farm", "barn", "windmill", "railway", "station", "school",
            "library", "kitchen", "bedroom", "classroom", "playground", "circus", "underwater",
            "coral", "cloud sea", "fireworks", "aurora"} <= names
    # The words that used to mean a plain room now name their own rooms.
    assert read_prompt("a cosy kitchen").concepts == ["cosy", "kitchen"]
    assert read_prompt("above the clouds").concepts == ["cloud sea"]


@pytest.mark.parametrize(("entry", "message"), [
    ({"unicorn-stable": {"draw": "building"}}, "unknown concepts unicorn-stable"),
    ({"school": {"roof": "gable"}}, "needs `draw: ROUTINE`"),
    ({"school": {"draw": "building", "colours": ["red"]}}, "colours are #rrggbb"),
    ({"school": {"draw": "building", "size": 9}}, "size is a number"),
    ({"school": {"draw": "building", "shape": "round"}}, "unknown keys shape"),
])
def test_a_damaged_drawn_entry_says_what_is_wrong(entry: dict[str, object],
                                                  message: str) -> None:
    data = shipped()
    drawn = data["drawn"]
    assert isinstance(drawn, dict)
    drawn.update(entry)
    with pytest.raises(ValueError, match=message):
        parse_vocabulary(data)


@pytest.mark.parametrize(("spec", "message"), [
    ({"draw": "sculpture"}, "unknown 'sculpture'"),
    ({"draw": "building", "roof": "thatched"}, "has no 'thatched'"),
    ({"draw": "building", "marks": ["gargoyles"]}, "unknown marks"),
    ({"draw": "plant", "roof": "palm", "setting": "moon"}, "no landscape 'moon'"),
])
def test_a_drawing_the_painter_lacks_is_refused(spec: dict[str, object], message: str) -> None:
    data = shipped()
    drawn = data["drawn"]
    assert isinstance(drawn, dict)
    drawn["school"] = spec
    vocabulary = parse_vocabulary(data)
    with pytest.raises(RuntimeError, match=message):
        props.check_specs({"school": props.spec_of("school", vocabulary.drawn["school"])})


def test_a_named_kind_of_room_is_a_room_with_its_own_furniture() -> None:
    painter = ProceduralPainter()
    for room in ("kitchen", "classroom", "library"):
        request = PaintRequest(f"a {room} in the morning", 320, 180, 3, None)
        _, layout = painter.paint_with_layout(request)
        names = [d.name for d in layout]
        assert names[0] == "room"
        assert room in names, names
        x0, y0, x1, y1 = next(d.box for d in layout if d.name == room)
        # Large, on the floor in the middle of the room.
        assert (x1 - x0) * (y1 - y0) > 0.12 * 320 * 180
        assert x0 < 160 < x1
        assert y1 > 150


# ---- an author's own words ------------------------------------------------------------

WORDS = """\
# The author's words for the painter.
synonyms:
  glade: meadow
  brook: river
  hedgehog: mouse
colours:
  mauve: "#b784a7"
"""


def script(tmp_path: Path, words: str, prompt: str = "a hedgehog in a glade by a brook") -> Path:
    (tmp_path / "my-words.yaml").write_text(words)
    path = tmp_path / "story.sco"
    path.write_text(f'title "Words"\nconcepts "my-words.yaml"\n\nscene one\n'
                    f'    prompt "{prompt}"\n')
    return path


def test_a_words_file_adds_synonyms_kinds_and_colours() -> None:
    words, problems = parse_words(WORDS, "my-words.yaml")
    assert problems == []
    assert words == (("glade", "meadow"), ("brook", "river"), ("hedgehog", "mouse"),
                     ("mauve", "#b784a7"))
    reading = read_prompt("a mauve sky over a glade by a brook", words)
    assert reading.concepts == ["mauve", "sky", "meadow", "river"]
    assert reading.bindings == {"sky": ["mauve"]}
    painter = ProceduralPainter()
    request = PaintRequest("a hedgehog in a glade", 160, 90, 1, words=words)
    assert painter.understood(request) == ["meadow", "a mouse, standing"]
    # Without the words, neither is known.
    assert painter.understood(PaintRequest("a hedgehog in a glade", 160, 90, 1)) == []


def test_accented_words_stay_whole() -> None:
    # Letters outside a-z once split words: "café" read as "caf", "crème" as "cr" and "me".
    reading = read_prompt("a café by the sea, crème brûlée")
    assert reading.concepts == ["cafe", "sea"]
    assert reading.unknown == ["crème", "brûlée"]
    notes = ProceduralPainter().word_notes(PaintRequest("a café by the sea", 64, 64))
    assert "café → cafe (a synonym)" in notes


@pytest.mark.parametrize("prompt", ["a girl on a muddy riverbank", "the river bank at dawn"])
def test_a_riverbank_is_a_river_not_a_bank_building(prompt: str) -> None:
    # "bank" names a building (a museum); the riverbank was painted as a temple of columns.
    concepts = read_prompt(prompt).concepts
    assert "river" in concepts
    assert "museum" not in concepts


def test_the_country_is_countryside_not_a_crowd() -> None:
    # WordNet's "country" (a kind of people) drew a crowd on "a country road".
    concepts = read_prompt("a country road leading over green hills").concepts
    assert "meadow" in concepts
    assert "crowd" not in concepts
    assert read_prompt("the open countryside").concepts == ["meadow"]
    assert "crowd" not in ProceduralPainter().understood(PaintRequest("a country road", 64, 64))


def test_an_authors_colour_colours_the_picture() -> None:
    words, _ = parse_words(WORDS, "my-words.yaml")
    painter = ProceduralPainter()
    plain = np.asarray(painter.paint(PaintRequest("a meadow at noon", 96, 64, 2, words=words)),
                       dtype=float)
    mauve = np.asarray(painter.paint(PaintRequest("a mauve meadow at noon", 96, 64, 2,
                                                  words=words)), dtype=float)
    # Mauve is red and blue over green.
    def purple(a: np.ndarray) -> float:
        return float((a[..., 0] + a[..., 2] - 2 * a[..., 1]).mean())
    assert purple(mauve) > purple(plain) + 10


def test_the_story_passes_its_words_to_the_painter(tmp_path: Path) -> None:
    story = load_story(script(tmp_path, WORDS)).story
    request = request_for(story, story.scenes[0])
    assert ("hedgehog", "mouse") in request.words
    _, layout = ProceduralPainter().paint_with_layout(
        PaintRequest(request.prompt, 160, 90, 1, words=request.words))
    assert [d.what for d in layout if d.kind == "subject"] == ["mouse"]
    assert {"meadow", "river"} <= {d.name for d in layout}


def test_check_reports_every_problem_of_a_words_file_where_it_is(tmp_path: Path) -> None:
    bad = """\
synonyms:
  fog: lake
  brook: rivr
colors:
  mauve: "#b784a7"
colours:
  teal2: "#00ffff"
  plum-ish: purple
"""
    path = script(tmp_path, bad)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    words = tmp_path / "my-words.yaml"
    assert result.stderr.startswith(f"""\
{words}:2:3: error: 'fog' already means mist
   2 |   fog: lake
     |   ^~~
     = a words file adds words; it does not change the painter's own
{words}:3:10: error: unknown concept or kind 'rivr'
   3 |   brook: rivr
     |          ^~~~
     = did you mean 'river'?
{words}:4:1: error: unknown section 'colors'
   4 | colors:
     | ^~~~~~
     = did you mean 'colours'?
{words}:7:3: error: 'teal2' is not a word
   7 |   teal2: "#00ffff"
     |   ^~~~~
     = words are letters, with spaces, hyphens or apostrophes inside
{words}:8:13: error: 'purple' is not a colour
   8 |   plum-ish: purple
     |             ^~~~~~
     = write it as "#rrggbb" in quotes, for example "#b784a7"
""")


def test_a_missing_or_broken_words_file_is_an_error_at_the_script(tmp_path: Path) -> None:
    path = tmp_path / "story.sco"
    path.write_text('concepts "nowhere.yaml"\n\nscene one\n    prompt "a glade"\n')
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{path}:1:10: error: words file 'nowhere.yaml' does not exist\n")
    path = script(tmp_path, "synonyms: [glade\n")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "my-words.yaml:2:1: error: the words file is not valid YAML" in result.stderr


def test_an_empty_words_file_is_fine(tmp_path: Path) -> None:
    assert parse_words("", "w.yaml") == ((), [])
    assert parse_words("synonyms:\ncolours:\n", "w.yaml") == ((), [])
