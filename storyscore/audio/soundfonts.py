"""Which SoundFont plays the music: the one asked for, the best installed, or the bundled one.

A script's ``soundfont`` line or ``--soundfont`` always wins. Otherwise the
well-known General MIDI SoundFonts that Linux distributions install are
looked for, best first; a candidate that is missing, unreadable or not a
SoundFont 2 file is passed over (and noted). When none is found the small
``TimGM6mb.sf2`` bundled with pretty-midi plays the music.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from storyscore.audio.synth import HEADER_BYTES, default_soundfont, soundfont_problem

INSTALL_HINT = "sudo apt install fluid-soundfont-gm"
"""The one command that installs a better SoundFont on Debian and Ubuntu."""

KNOWN_SOUNDFONTS: tuple[Path, ...] = (
    # MuseScore's General SoundFont, uncompressed (Debian: musescore-general-soundfont-lossless).
    # Its .sf3 siblings (musescore-general-soundfont-small) are Ogg-compressed SoundFont 3
    # files, which the synthesiser cannot read.
    Path("/usr/share/sounds/sf2/MuseScore_General.sf2"),
    Path("/usr/share/soundfonts/MuseScore_General.sf2"),
    # Fluid R3 GM (Debian and Ubuntu: fluid-soundfont-gm; Fedora and Arch keep it in soundfonts/).
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
)
"""Installed General MIDI SoundFonts worth more than the bundled one, best first."""

Origin = Literal["setting", "installed", "bundled"]


@dataclass(frozen=True)
class SoundfontChoice:
    """The SoundFont that plays the music and why it was chosen.

    ``origin`` is ``setting`` (the script or ``--soundfont``), ``installed``
    (found on the system) or ``bundled`` (pretty-midi's TimGM6mb).
    ``passed_over`` names the candidates found but not usable, with the reason.
    """

    path: Path
    origin: Origin
    passed_over: tuple[tuple[Path, str], ...] = ()

    def describe(self) -> str:
        """One line for the render report, e.g. ``FluidR3_GM.sf2 (installed: /usr/...)``."""
        if self.origin == "bundled":
            return f"{self.path.name} (bundled; for a richer sound: {INSTALL_HINT})"
        return f"{self.path.name} ({self.origin}: {self.path})"


def choose_soundfont(
    setting: Path | None, candidates: Sequence[Path] = KNOWN_SOUNDFONTS
) -> SoundfontChoice:
    """The SoundFont to play with: ``setting`` if given, else the first usable candidate.

    ``setting`` is not checked here: ``render_midi`` reports a bad one at the
    line that set it. Falls back to the bundled SoundFont.
    """
    if setting is not None:
        return SoundfontChoice(setting, "setting")
    passed_over: list[tuple[Path, str]] = []
    for candidate in candidates:
        problem = _unusable(candidate)
        if problem is None:
            return SoundfontChoice(candidate, "installed", tuple(passed_over))
        if problem != "absent":
            passed_over.append((candidate, problem))
    return SoundfontChoice(default_soundfont(), "bundled", tuple(passed_over))


def _unusable(path: Path) -> str | None:
    """Why ``path`` cannot be a SoundFont (absent, unreadable, not one); None if it can."""
    try:
        if not path.exists():
            return "absent"
        if not path.is_file():
            return "not a file"
        with path.open("rb") as stream:
            header = stream.read(HEADER_BYTES)
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    return soundfont_problem(header)
