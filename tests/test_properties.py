"""Property tests: any text gives a Story or a located ScriptError, never another
exception; generated valid stories survive ``fmt`` unchanged in meaning."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, STORIES
from storyscore import vocab
from storyscore.diagnostics import render_all
from storyscore.dsl.format import format_script
from storyscore.dsl.load import parse_story
from storyscore.errors import ScriptError

SEEDS = [path.read_text(encoding="utf-8") for path in [*STORIES, DATA / "everything.sco"]]

# Characters the language gives meaning to, so random text hits real paths often.
ALPHABET = st.sampled_from([*' \n\n    "#@,->_:+.0123456789abcdefmnopsxz\t\\',
    "scene ", "prompt ", "narrate ", '"""', "choice ", "next ", "end", "music ", "key ",
    "transition ", "camera ", "zoom-in ", "1s ", "2.5s", "720p", "F# ", "tempo ", "mood ",
    "\n    ", "voice ", "title ", "character ", "size ", "fps ", "auto", "cut", "x",
])


def _outcome(text: str) -> None:
    """The property: a checked story, or a ScriptError whose every problem is located."""
    try:
        parse_story(text, "prop.sco")
        return
    except ScriptError as error:
        diagnostics = error.diagnostics
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert diagnostics
    for diagnostic in diagnostics:
        span = diagnostic.span
        assert span.file == "prop.sco"
        assert 1 <= span.line <= len(lines) + 1, diagnostic
        assert span.column >= 1, diagnostic
    assert render_all(diagnostics, text)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=80).map("".join))
def test_language_like_text_never_crashes(text: str) -> None:
    _outcome(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_crashes(text: str) -> None:
    _outcome(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "dup-line", "drop-line"]))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif kind == "insert":
            text = text[:at] + draw(ALPHABET) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(ALPHABET) + text[at + 1:]
        else:
            lines = text.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            if kind == "dup-line":
                lines.insert(index, lines[index])
            else:
                del lines[index]
            text = "\n".join(lines)
    return text


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scripts_never_crash(text: str) -> None:
    _outcome(text)


# -- generated valid stories -------------------------------------------------

WORDS = st.sampled_from(["forest", "sea", "night", "golden", "a", "fox", "lantern", "storm",
                         "quiet", "the", "moon", "Mira's", "\"old\"", "back\\slash", "été"])
SENTENCE = st.lists(WORDS, min_size=1, max_size=8).map(" ".join)


@st.composite
def string_literal(draw: st.DrawFn, multiline: bool = True) -> str:
    if multiline and draw(st.booleans()):
        paragraphs = draw(st.lists(st.lists(SENTENCE, min_size=1, max_size=3), min_size=1,
                                   max_size=3))
        indent = " " * draw(st.sampled_from([4, 8, 10]))
        body = "\n\n".join("\n".join(indent + line.replace("\\", "\\\\") for line in para)
                           for para in paragraphs)
        return '"""\n' + body + "\n" + indent + '"""'
    text = draw(SENTENCE)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def valid_story(draw: st.DrawFn) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("# " + draw(SENTENCE).replace("\\", ""))
    header = draw(st.sets(st.sampled_from(
        ["title", "author", "size", "fps", "seed", "style", "voice", "music", "transition"])))
    for name in sorted(header):
        value = {
            "title": draw(string_literal(False)), "author": draw(string_literal(False)),
            "style": draw(string_literal()),
            "size": draw(st.sampled_from([*vocab.SIZE_PRESETS, "640x480", "64x4096"])),
            "fps": str(draw(st.integers(1, 60))), "seed": str(draw(st.integers(0, 10**9))),
            "voice": draw(st.sampled_from(["joe", "espeak", "espeak:en-gb speed 1.5", "none"])),
            "music": draw(st.sampled_from(["tempo 90", "key Bb major, mood calm",
                                           "instrument harp+strings,volume 0.5"])),
            "transition": draw(st.sampled_from(["cut", "fade", "wipe-left 500ms", "zoom 2s"])),
        }[name]
        spaces = " " * draw(st.integers(1, 3))
        comment = "  # note" if draw(st.booleans()) else ""
        lines.append(f"{name}{spaces}{value}{comment}")
    count = draw(st.integers(1, 5))
    ids = [f"s{i}" for i in range(count)]
    indent = " " * draw(st.sampled_from([2, 4, 6]))
    for index, scene_id in enumerate(ids):
        lines.append("" if draw(st.booleans()) else "\n")
        duration = draw(st.sampled_from(["", " 5s", " 1m", " 4500ms", " auto", " 1m30s"]))
        title = f' "Scene {index}"' if draw(st.booleans()) else ""
        lines.append(f"scene {scene_id}{title}{duration}")
        body = [f"prompt {draw(string_literal())}"]
        for _ in range(draw(st.integers(0, 2))):
            body.append(f"narrate {draw(string_literal())}")
        if draw(st.booleans()):
            body.append("camera " + draw(st.sampled_from(
                ["still", "zoom-in", "zoom-out 1.5", "pan-left 0.2", "pan-down"])))
        if draw(st.booleans()):
            body.append("music " + draw(st.sampled_from(
                ["silent", "key F# minor, tempo 120", "mood dreamy", "volume 0"])))
        if draw(st.booleans()):
            body.append("transition " + draw(st.sampled_from(vocab.TRANSITIONS)))
        later = ids[index + 1:]
        if later and draw(st.booleans()):
            targets = draw(st.lists(st.sampled_from(later), min_size=1, max_size=3))
            body += [f'choice "Go to {t}" -> {t}' for t in targets]
            if targets[0] != ids[index + 1]:
                # Keep every scene reachable: the next one in the file is a choice too.
                body.append(f'choice "Onward" -> {ids[index + 1]}')
        elif later and draw(st.booleans()):
            body.append(f"next {ids[index + 1]}")
        elif draw(st.booleans()) and not later:
            body.append("end")
        if draw(st.booleans()):
            body.insert(draw(st.integers(0, len(body))), "# a comment")
        lines += [indent + statement for statement in body]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_story())
def test_generated_stories_round_trip_through_fmt(text: str) -> None:
    story = parse_story(text, "gen.sco").story
    formatted = format_script(text, "gen.sco")
    assert parse_story(formatted, "gen.sco").story == story
    assert format_script(formatted, "gen.sco") == formatted
    assert formatted.count("#") >= text.count("# ")


def test_examples_round_trip_through_fmt() -> None:
    for text, path in zip(SEEDS, [*STORIES, DATA / "everything.sco"], strict=True):
        filename = str(path)
        story = parse_story(text, filename).story
        formatted = format_script(text, filename)
        assert parse_story(formatted, filename).story == story, Path(filename).name
        assert format_script(formatted, filename) == formatted
