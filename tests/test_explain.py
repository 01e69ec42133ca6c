"""``storyscore explain``: the plan per scene with the evidence behind it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from storyscore.cli import app
from storyscore.compose.harmony import HarmonySpan
from storyscore.compose.request import ScenePlan
from storyscore.compose.theory import Key, realise
from storyscore.dsl.load import parse_story
from storyscore.pipeline.mapping import SceneMusic
from storyscore.reports.explain import _key_change, played_instruments


def test_explain_lists_every_scene_with_key_tempo_instruments_and_reasons(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path))
    result = CliRunner().invoke(app, ["explain", str(ROOT / "stories" / "lighthouse.sco"),
                                      "--size", "160x90", "--quiet"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    blocks = out.split("\n\n")[1:]
    leitmotifs = blocks.pop()
    assert [b.split(" ")[0] for b in blocks] == ["dawn", "market", "storm", "tower", "village"]
    # Mira's leitmotif, and the scenes that name her (by @mira or by her name).
    assert leitmotifs.startswith("Leitmotifs, one per character\nleitmotif mira: ")
    assert [line.split()[3].rstrip(":") for line in leitmotifs.splitlines()
            if "sounds in" in line] == ["dawn", "tower"]
    # Script settings win and say so.
    assert "market (market): " in out
    assert "126 BPM, strings with flute" in out
    assert "village (village): D major" in out
    assert "- key D major: set by the script" in out
    assert "  picture: the author's image pictures/village.png" in out
    storm = next(b for b in blocks if b.startswith("storm "))
    understood = storm.split("understood: ")[1].split("\n")[0].split(", ")
    assert {"lighthouse", "rocks", "night", "storm", "waves", "lightning"} <= set(understood)
    for block in blocks:
        assert " BPM, " in block
        assert "valence" in block
        assert "arousal" in block
        assert "- melody follows the skyline" in block
    again = CliRunner().invoke(app, ["explain", str(ROOT / "stories" / "lighthouse.sco"),
                                     "--size", "160x90", "--quiet"])
    assert again.stdout == out


def test_explain_names_the_instruments_that_play_held_through_a_section(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path))
    result = CliRunner().invoke(app, ["explain", str(ROOT / "stories" / "fox-and-owl.sco"),
                                      "--size", "96x64", "--quiet"])
    assert result.exit_code == 0, result.stderr
    wood = next(b for b in result.stdout.split("\n\n") if b.startswith("wood "))
    # The wood's own colour voices flute, harp and cello; the meadow's section holds on,
    # and the composer is given (and the score plays) the meadow's clarinet.
    assert ", clarinet with strings and contrabass, " in wood.splitlines()[0]
    assert wood.splitlines()[-1] == ("  - instruments held through the section: its own "
                                     "colour would give flute with harp and cello")
    meadow = next(b for b in result.stdout.split("\n\n") if b.startswith("meadow "))
    assert "held through the section" not in meadow


def _music(melody: str, valence: float) -> SceneMusic:
    return SceneMusic(
        tonic="C", mode="major", tempo=90.0, valence=valence, arousal=0.0, tension=0.1,
        melody=melody, accompaniment="harp", bass="cello", register=67, density=0.5,
        velocity=70, staccato=0.2, texture="arpeggio", contour=(0.5,), volume=1.0,
        silent=False)


def test_played_instruments_follow_each_path_through_a_scene() -> None:
    story = parse_story('title "Two ways"\n'
                        'scene a\n    prompt "a meadow"\n'
                        '    choice "left" -> b\n    choice "right" -> c\n'
                        'scene b 4s\n    prompt "a wood"\n    next d\n'
                        'scene c 4s\n    prompt "a field"\n    next d\n'
                        'scene d 4s\n    prompt "a hill"\n').story
    music = {"a": _music("flute", 0.5), "b": _music("clarinet", -0.3),
             "c": _music("flute", 0.5), "d": _music("clarinet", -0.3)}
    played = played_instruments(story, music)
    # Through b, the clarinet holds for two scenes and the mood has moved: a new section.
    # Through c, d is the last scene alone in its colour: the flute's section holds.
    assert played["d"] == [(("clarinet", "harp", "cello"), ("a", "b", "d")),
                           (("flute", "harp", "cello"), ("a", "c", "d"))]
    assert played["b"] == [(("clarinet", "harp", "cello"), ("a", "b", "d"))]
    assert played["a"] == [(("flute", "harp", "cello"), ("a", "b", "d"))]


@pytest.mark.parametrize(("tonics", "room"), [
    (("D", "G"), "no room for a pivot chord)"),
    (("C", "F#"), "no room for the route through "),
])
def test_a_phrase_modulation_names_what_had_no_room(tonics: tuple[str, str], room: str) -> None:
    # A quarter-second scene in D major before one in G major: the text once read
    # "no room for the route through  at two bars a step", naming no key.
    plans = [cast(ScenePlan, SimpleNamespace(tonic=tonic, mode="major")) for tonic in tonics]
    old, new = (Key(tonic.replace("b", "-"), "major") for tonic in tonics)
    spans = [HarmonySpan(0.0, 1.0, realise("I", old), 0, 0, "final"),
             HarmonySpan(4.0, 4.0, realise("I", new), 1, 1, None)]
    text = _key_change(0, plans, spans, 4.0, 2)
    assert text.startswith(f"{old} closes on its tonic and rests a beat, and {new} begins afresh")
    assert room in text
    assert "through  " not in text
    assert "through , " not in text
