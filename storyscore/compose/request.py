"""The composer's input: one musical plan per scene of a story path.

The planner (picture features → plans) builds these; the composer only reads
them. ``check_plans`` rejects values the composer cannot honour, with a message
that names the scene and the field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from storyscore import vocab

TEXTURES = ("pad", "arpeggio", "alberti", "block", "ostinato")
METERS = vocab.METERS
MODES = vocab.MODES
_TONIC_LETTERS = "ABCDEFG"


@dataclass(frozen=True)
class ScenePlan:
    """What one scene's music should be like, and how long it lasts."""

    scene_id: str
    duration: float  # target seconds of the scene on the timeline
    flexible: bool  # an `auto` scene: may round its length UP to the next downbeat
    tonic: str  # "F#", "Bb", "C"
    mode: str  # "major" | "minor"
    tempo: float  # target BPM (20..240)
    valence: float  # -1..1
    arousal: float  # -1..1
    tension: float  # 0..1
    melody_program: int  # General MIDI program (0-based)
    accompaniment_program: int
    bass_program: int | None
    register: int  # MIDI note around which the melody sits
    density: float  # 0..1 note density
    velocity: int  # base MIDI velocity 30..110
    staccato: float  # 0 legato .. 1 staccato
    texture: str  # "pad" | "arpeggio" | "alberti" | "block" | "ostinato"
    contour: tuple[float, ...]  # the picture's skyline left->right, 0..1
    narration: tuple[tuple[float, float], ...]  # speech windows, seconds from scene start
    volume: float  # 0..1, per-scene gain, applied to velocities (see compose docs)
    silent: bool  # no music in this scene
    title: str = ""  # the scene's title, for the score's rehearsal marks
    characters: tuple[str, ...] = ()  # ids of the characters its prompt or narration names
    lead_in: float = 0.0  # seconds the opening downbeat may miss the scene's start (0: a cut)


def tonic_to_m21(tonic: str) -> str:
    """Spell a tonic the way music21 wants it: ``Bb`` → ``B-``, ``F#`` stays."""
    if not tonic or tonic[0].upper() not in _TONIC_LETTERS:
        raise ValueError(f"not a note name: {tonic!r}")
    rest = tonic[1:]
    if rest not in ("", "#", "##", "b", "bb", "-", "--"):
        raise ValueError(f"not a note name: {tonic!r}")
    return tonic[0].upper() + rest.replace("b", "-")


def _in_range(plan: ScenePlan, name: str, low: float, high: float) -> None:
    value = getattr(plan, name)
    if not (isinstance(value, int | float) and math.isfinite(value) and low <= value <= high):
        raise ValueError(
            f"scene {plan.scene_id!r}: {name} must be between {low} and {high}, got {value!r}"
        )


def check_plans(plans: Sequence[ScenePlan], fps: int) -> None:
    """Raise ``ValueError`` naming the scene and field of the first impossible value."""
    if not plans:
        raise ValueError("compose needs at least one scene plan")
    if not (isinstance(fps, int) and fps > 0):
        raise ValueError(f"fps must be a positive integer, got {fps!r}")
    for plan in plans:
        _in_range(plan, "duration", 0.25, 24 * 3600)
        _in_range(plan, "tempo", 20, 240)
        _in_range(plan, "valence", -1, 1)
        _in_range(plan, "arousal", -1, 1)
        _in_range(plan, "tension", 0, 1)
        _in_range(plan, "melody_program", 0, 127)
        _in_range(plan, "accompaniment_program", 0, 127)
        if plan.bass_program is not None:
            _in_range(plan, "bass_program", 0, 127)
        _in_range(plan, "register", 36, 96)
        _in_range(plan, "density", 0, 1)
        _in_range(plan, "velocity", 1, 127)
        _in_range(plan, "staccato", 0, 1)
        _in_range(plan, "volume", 0, 1)
        _in_range(plan, "lead_in", 0, 60)
        if plan.mode not in MODES:
            raise ValueError(f"scene {plan.scene_id!r}: mode must be major or minor")
        if plan.texture not in TEXTURES:
            raise ValueError(
                f"scene {plan.scene_id!r}: texture must be one of {', '.join(TEXTURES)}"
            )
        try:
            tonic_to_m21(plan.tonic)
        except ValueError as exc:
            raise ValueError(f"scene {plan.scene_id!r}: {exc}") from None
        if any(not (math.isfinite(c) and 0 <= c <= 1) for c in plan.contour):
            raise ValueError(f"scene {plan.scene_id!r}: contour values must lie in 0..1")
        for start, end in plan.narration:
            if not (math.isfinite(start) and math.isfinite(end) and end >= start):
                raise ValueError(f"scene {plan.scene_id!r}: bad narration window {start}..{end}")


# Practical sounding ranges (MIDI) of the General MIDI instruments that carry a tune, as
# orchestration texts give them (a flute's lowest note is C4, a violin's G3); programs not
# listed keep a wide keyboard-like range.
_INSTRUMENT_RANGES: dict[int, tuple[int, int]] = {
    21: (53, 93), 22: (60, 96), 24: (40, 84), 25: (40, 84), 26: (40, 84), 27: (40, 86),
    40: (55, 100), 41: (48, 88), 42: (36, 76), 43: (28, 60), 44: (36, 96), 45: (36, 96),
    46: (24, 103), 48: (36, 96), 49: (36, 96), 50: (36, 96), 52: (48, 81), 53: (48, 81),
    56: (54, 82), 57: (40, 72), 58: (28, 58), 59: (54, 82), 60: (41, 77), 61: (40, 82),
    64: (56, 87), 65: (49, 80), 66: (44, 75), 67: (36, 68), 68: (58, 91), 69: (52, 81),
    70: (34, 75), 71: (50, 91), 72: (74, 108), 73: (60, 96), 74: (65, 93), 75: (60, 96),
    78: (60, 96), 79: (60, 84), 104: (48, 84), 105: (48, 86), 107: (48, 86), 108: (60, 88),
    109: (58, 82), 110: (55, 100), 114: (55, 88),
    # The bass instruments of the ensembles: bass guitars from E1, timpani D2..C4.
    **dict.fromkeys(range(32, 40), (28, 55)), 47: (38, 60),
}
_WIDE_RANGE = (36, 96)


def instrument_range(program: int) -> tuple[int, int]:
    """The lowest and highest sounding MIDI pitch an instrument plays well."""
    return _INSTRUMENT_RANGES.get(program, _WIDE_RANGE)
