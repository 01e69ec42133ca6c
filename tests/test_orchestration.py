"""Which instruments play each scene of a path: held through a section, changed with it."""

from __future__ import annotations

import dataclasses

from storyscore.compose import ScenePlan
from storyscore.compose.orchestration import orchestrate, orchestration

FLUTE, CLARINET, OBOE = (73, 46, 42), (71, 48, 43), (68, 44, 43)


def scene(name: str, instruments: tuple[int, int, int], valence: float = 0.5,
          **changes: object) -> ScenePlan:
    melody, accompaniment, bass = instruments
    base = ScenePlan(
        scene_id=name, duration=8.0, flexible=False, tonic="C", mode="major", tempo=100.0,
        valence=valence, arousal=0.2, tension=0.2, melody_program=melody,
        accompaniment_program=accompaniment, bass_program=bass, register=72, density=0.5,
        velocity=80, staccato=0.2, texture="arpeggio", contour=(0.5,), narration=(),
        volume=1.0, silent=False)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def played(plans: list[ScenePlan], chosen: list[bool] | None = None
           ) -> list[tuple[int, int, int | None]]:
    return [orchestration(p) for p in orchestrate(plans, chosen or [False] * len(plans))]


def test_one_scene_in_another_colour_keeps_the_sections_instruments() -> None:
    plans = [scene("a", FLUTE), scene("b", CLARINET, valence=-0.3), scene("c", FLUTE)]
    assert played(plans) == [FLUTE, FLUTE, FLUTE]


def test_a_new_section_changes_instruments_where_the_mood_moves_and_stays() -> None:
    plans = [scene("a", FLUTE), scene("b", FLUTE),
             scene("c", CLARINET, valence=-0.2), scene("d", CLARINET, valence=-0.3)]
    assert played(plans) == [FLUTE, FLUTE, CLARINET, CLARINET]


def test_a_colour_flicker_without_a_change_of_mood_is_no_new_section() -> None:
    # Valence 0.36 to 0.34 crosses the planner's bright/warm line, but the music's
    # character is the same: the flute plays on.
    plans = [scene("a", FLUTE, valence=0.36), scene("b", CLARINET, valence=0.34),
             scene("c", CLARINET, valence=0.34)]
    assert played(plans) == [FLUTE, FLUTE, FLUTE]
    # A change of tension or of mode is a change of character.
    tense = [scene("a", FLUTE), scene("b", OBOE, tension=0.7), scene("c", OBOE, tension=0.7)]
    assert played(tense) == [FLUTE, OBOE, OBOE]
    minor = [scene("a", FLUTE), scene("b", OBOE, mode="minor"), scene("c", OBOE, mode="minor")]
    assert played(minor) == [FLUTE, OBOE, OBOE]


def test_the_last_scene_alone_does_not_start_a_section() -> None:
    plans = [scene("a", FLUTE), scene("b", FLUTE), scene("c", CLARINET, valence=-0.8)]
    assert played(plans) == [FLUTE, FLUTE, FLUTE]


def test_the_scripts_instruments_always_play_and_the_next_scene_takes_its_own() -> None:
    plans = [scene("a", FLUTE), scene("b", CLARINET), scene("c", OBOE), scene("d", FLUTE)]
    assert played(plans, [False, True, False, False]) == [FLUTE,
                                                          CLARINET, OBOE, OBOE]


def test_silent_scenes_neither_start_nor_break_a_section() -> None:
    plans = [scene("a", FLUTE), scene("b", CLARINET, valence=-0.3, silent=True),
             scene("c", CLARINET, valence=-0.3), scene("d", FLUTE)]
    # The silent scene is left as it is; the one sounding clarinet scene is no section.
    assert played(plans) == [FLUTE, CLARINET, FLUTE, FLUTE]
