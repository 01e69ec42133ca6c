"""Choosing the SoundFont: the setting wins, else the best installed one, else the bundled one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import make_midi
from storyscore.audio.soundfonts import INSTALL_HINT, KNOWN_SOUNDFONTS, choose_soundfont
from storyscore.audio.synth import default_soundfont, render_midi

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def fake_soundfont(path: Path) -> Path:
    """A file with a SoundFont 2 header (enough for detection, not for synthesis)."""
    path.write_bytes(b"RIFF\x04\x00\x00\x00sfbkLIST")
    return path


def sf_header(major: int) -> bytes:
    """The first bytes of a SoundFont whose ``ifil`` version is ``major``.1."""
    return (b"RIFF\x00\x10\x00\x00sfbkLIST\x00\x01\x00\x00INFOifil\x04\x00\x00\x00"
            + major.to_bytes(2, "little") + b"\x01\x00")


def test_a_compressed_soundfont_3_is_passed_over(tmp_path: Path) -> None:
    # MuseScore's General SoundFont as Debian's musescore-general-soundfont-small ships it.
    compressed = tmp_path / "MuseScore_General_Lite.sf3"
    compressed.write_bytes(sf_header(3))
    plain = tmp_path / "FluidR3_GM.sf2"
    plain.write_bytes(sf_header(2))
    choice = choose_soundfont(None, [compressed, plain])
    assert choice.path == plain
    assert choice.passed_over == ((compressed, "a SoundFont 3 file (compressed), which the "
                                               "synthesiser cannot play"),)


def test_the_first_usable_candidate_is_chosen(tmp_path: Path) -> None:
    better, good = fake_soundfont(tmp_path / "better.sf2"), fake_soundfont(tmp_path / "good.sf2")
    choice = choose_soundfont(None, [tmp_path / "absent.sf2", better, good])
    assert (choice.path, choice.origin, choice.passed_over) == (better, "installed", ())
    assert choice.describe() == f"better.sf2 (installed: {better})"


def test_none_found_falls_back_to_the_bundled_soundfont(tmp_path: Path) -> None:
    choice = choose_soundfont(None, [tmp_path / "absent.sf2", tmp_path / "nor-this.sf2"])
    assert (choice.path, choice.origin, choice.passed_over) == (default_soundfont(), "bundled", ())
    assert choice.describe() == f"TimGM6mb.sf2 (bundled; for a richer sound: {INSTALL_HINT})"


def test_unreadable_candidates_are_passed_over_and_noted(tmp_path: Path) -> None:
    not_a_font = tmp_path / "broken.sf2"
    not_a_font.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    folder = tmp_path / "folder.sf2"
    folder.mkdir()
    good = fake_soundfont(tmp_path / "good.sf2")
    choice = choose_soundfont(None, [not_a_font, folder, good])
    assert choice.path == good
    assert choice.passed_over == ((not_a_font, "not a SoundFont 2 file"),
                                  (folder, "not a file"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_passed_over(tmp_path: Path) -> None:
    locked = fake_soundfont(tmp_path / "locked.sf2")
    locked.chmod(0)
    try:
        choice = choose_soundfont(None, [locked])
    finally:
        locked.chmod(0o644)
    assert choice.origin == "bundled"
    assert choice.passed_over[0][0] == locked
    assert choice.passed_over[0][1].startswith("unreadable: ")


def test_the_setting_wins_over_an_installed_soundfont(tmp_path: Path) -> None:
    installed = fake_soundfont(tmp_path / "installed.sf2")
    mine = tmp_path / "mine.sf2"  # not checked here: the synthesiser reports it at its line
    choice = choose_soundfont(mine, [installed])
    assert (choice.path, choice.origin) == (mine, "setting")
    assert choice.describe() == f"mine.sf2 (setting: {mine})"


def test_fluid_r3_is_a_known_soundfont_ranked_after_musescore() -> None:
    names = [path.name for path in KNOWN_SOUNDFONTS]
    assert names.index("MuseScore_General.sf2") < names.index("FluidR3_GM.sf2")
    assert all(path.suffix == ".sf2" for path in KNOWN_SOUNDFONTS)


@pytest.mark.skipif(not FLUID.is_file(), reason="fluid-soundfont-gm is not installed "
                    "(CI installs it: apt-get install fluid-soundfont-gm)")
def test_installed_fluid_r3_is_found_and_plays() -> None:
    choice = choose_soundfont(None)
    assert choice.origin == "installed"
    assert choice.path.name in {"FluidR3_GM.sf2", "MuseScore_General.sf2"}
    midi = make_midi([(0, 60, 0.0, 2.0), (0, 64, 0.0, 2.0), (0, 67, 0.0, 2.0)])
    fluid, bundled = render_midi(midi, choice.path, tail=0.5), render_midi(midi, tail=0.5)
    assert fluid.shape == bundled.shape
    assert abs(fluid).max() > 0.01
    assert not (fluid == bundled).all()
