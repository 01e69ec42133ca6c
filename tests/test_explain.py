"""``storyscore explain``: the plan per scene with the evidence behind it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from storyscore.cli import app


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
