"""``storyscore paint``: one PNG per scene of every branch, cached, with clear errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from conftest import ROOT
from storyscore.cli import app


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("STORYSCORE_CACHE", str(folder))
    return folder


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_paint_counts_one_picture_in_the_singular(tmp_path: Path) -> None:
    (tmp_path / "one.sco").write_text('scene a\n    prompt "a red barn"\n', encoding="utf-8")
    out = tmp_path / "pictures"
    code, _, err = run("paint", str(tmp_path / "one.sco"), "-o", str(out), "--size", "64x64")
    assert code == 0, err
    assert err.endswith(f"wrote 1 picture to {out}/ (0 from the cache)\n")


def test_paint_writes_every_scene_of_every_branch_then_reads_the_cache(tmp_path: Path) -> None:
    out = tmp_path / "pictures"
    story = str(ROOT / "stories" / "lighthouse.sco")
    code, _, err = run("paint", story, "-o", str(out), "--size", "96x64")
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["01-dawn.png", "02-market.png", "03-storm.png", "04-tower.png",
                     "05-village.png"]
    for path in out.iterdir():
        with Image.open(path) as image:
            assert image.size == (96, 64)
            assert image.mode == "RGB"
    assert err.endswith("wrote 5 pictures to " + str(out) + "/ (0 from the cache)\n")
    first = (out / "03-storm.png").read_bytes()
    code, _, err = run("paint", story, "-o", str(out), "--size", "96x64")
    assert code == 0
    assert "(5 from the cache)" in err  # the village image, fitted, is cached too
    assert (out / "03-storm.png").read_bytes() == first


def test_no_cache_writes_nothing_to_the_cache(tmp_path: Path, cache: Path) -> None:
    code, _, err = run("paint", str(ROOT / "stories" / "demo.sco"), "-o", str(tmp_path / "p"),
                       "--size", "64x64", "--no-cache", "--quiet")
    assert (code, err) == (0, "")
    assert len(list((tmp_path / "p").iterdir())) == 3
    assert not cache.exists() or not any(cache.rglob("*.png"))


def test_unknown_painter_lists_the_installed_ones(tmp_path: Path) -> None:
    code, _, err = run("paint", str(ROOT / "stories" / "demo.sco"), "-o", str(tmp_path),
                       "--painter", "procedual")
    assert code == 2
    assert err.startswith("error: unknown painter 'procedual' (installed painters: procedural")
    assert "did you mean 'procedural'?" in err


def test_a_missing_model_fails_fast_at_the_script_line(tmp_path: Path) -> None:
    script = tmp_path / "m.sco"
    script.write_text('painter diffusers "no-such-org/no-such-model"\n\n'
                      'scene a\n    prompt "a forest"\n')
    started = time.monotonic()
    code, _, err = run("paint", str(script), "-o", str(tmp_path / "out"))
    assert time.monotonic() - started < 5
    assert code == 2
    assert err.startswith(f"{script}:1:9: error: ")
    assert "no-such-org/no-such-model" in err


def test_a_missing_soundfont_on_the_command_line_is_named(tmp_path: Path) -> None:
    script = tmp_path / "s.sco"
    script.write_text('voice none\n\nscene a 2s\n    prompt "a forest"\n')
    code, _, err = run("score", str(script), "-o", str(tmp_path / "music.wav"), "--size",
                       "64x64", "--soundfont", str(tmp_path / "nope.sf2"), "-q")
    assert code == 2
    assert err.startswith("error: ")
    assert "nope.sf2" in err
    assert not (tmp_path / "music.wav").exists()
