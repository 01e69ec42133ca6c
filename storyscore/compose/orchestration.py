"""Which instruments play each scene of a path: the orchestration held through a section.

The planner voices each scene's ensemble by its colour (bright, warm, dark,
tense), one scene at a time, so read along a path the melody would change
instrument at nearly every scene, and a player would read "to Celesta",
"to Vibraphone", "to Celesta" again. A composer keeps the orchestration
through a section and changes it where the music's character changes.
``orchestrate`` keeps the instruments in force unless a scene starts a new
section: its own instruments then hold for at least ``MIN_RUN`` scenes (never
one scene and back) and its mood has moved from the mood the section began
with (valence or tension, which choose the colour, or the mode). Instruments
the script sets are the author's and always play; after them the next scene
takes its own (a change is written there either way). Silent scenes neither
start nor end a section.

The planner applies it to a path's plans; ``compose`` plays whatever
instruments its plans name. ``explain`` applies the same rule (``held``) to the
planner's instrument names, so that it reports what plays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import Protocol, TypeVar

from storyscore.compose.request import ScenePlan

MIN_RUN = 2  # scenes a new orchestration must hold for
SECTION_VALENCE = 0.3  # a valence this far from the section's start is a new character
SECTION_TENSION = 0.25  # likewise for tension

Orchestration = tuple[int, int, int | None]  # melody, accompaniment, bass programs


class Mood(Protocol):
    """What decides whether a scene's own instruments start a section: its mood, and
    whether it sounds at all (a ``ScenePlan``, or the planner's scene music)."""

    @property
    def valence(self) -> float: ...
    @property
    def tension(self) -> float: ...
    @property
    def mode(self) -> str: ...
    @property
    def silent(self) -> bool: ...
    @property
    def volume(self) -> float: ...


S = TypeVar("S", bound=Mood)
T = TypeVar("T", bound=Hashable)


def orchestration(plan: ScenePlan) -> Orchestration:
    """A scene's (melody, accompaniment, bass) programs."""
    return plan.melody_program, plan.accompaniment_program, plan.bass_program


def orchestrate(plans: Sequence[ScenePlan], set_by_script: Sequence[bool]) -> list[ScenePlan]:
    """The plans with each scene's instruments held from the section it belongs to;
    ``set_by_script`` says, per scene, whether the author chose its instruments."""
    out = []
    for plan, (melody, accompaniment, bass) in zip(
            plans, held(plans, orchestration, set_by_script), strict=True):
        out.append(plan if orchestration(plan) == (melody, accompaniment, bass)
                   else dataclasses.replace(plan, melody_program=melody,
                                            accompaniment_program=accompaniment,
                                            bass_program=bass))
    return out


def held(scenes: Sequence[S], own: Callable[[S], T], set_by_script: Sequence[bool]
         ) -> list[T]:
    """The instruments each scene of a path plays: ``own(scene)`` where it starts a
    section (or the script sets them, or is silent), else those of the section in force.
    ``own`` reads a scene's instruments in any form (programs, or names as
    ``explain`` prints them)."""
    out: list[T] = []
    current: T | None = None
    start: S | None = None  # the scene whose mood began the current section
    after_set = False  # the scene before played the script's own instruments
    for i, (scene, chosen) in enumerate(zip(scenes, set_by_script, strict=True)):
        if _silent(scene):
            out.append(own(scene))
            continue
        mine = own(scene)
        if (current is None or start is None or mine == current or chosen or after_set
                or _new_section(scenes, own, set_by_script, i, start)):
            current, start = mine, scene
        after_set = chosen
        out.append(current)
    return out


def _silent(scene: Mood) -> bool:
    return scene.silent or scene.volume <= 0


def _new_section(scenes: Sequence[S], own: Callable[[S], T], set_by_script: Sequence[bool],
                 i: int, start: S) -> bool:
    """Whether scene ``i``'s own instruments begin a section: they hold for ``MIN_RUN``
    sounding scenes and the mood has moved since the current section began."""
    mine = own(scenes[i])
    run = 0
    for scene, chosen in zip(scenes[i:], set_by_script[i:], strict=True):
        if _silent(scene):
            continue
        if chosen or own(scene) != mine:
            break
        run += 1
    moved = (abs(scenes[i].valence - start.valence) >= SECTION_VALENCE
             or abs(scenes[i].tension - start.tension) >= SECTION_TENSION
             or scenes[i].mode != start.mode)
    return run >= MIN_RUN and moved
