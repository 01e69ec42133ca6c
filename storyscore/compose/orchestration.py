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
instruments its plans name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from storyscore.compose.request import ScenePlan

MIN_RUN = 2  # scenes a new orchestration must hold for
SECTION_VALENCE = 0.3  # a valence this far from the section's start is a new character
SECTION_TENSION = 0.25  # likewise for tension

Orchestration = tuple[int, int, int | None]  # melody, accompaniment, bass programs


def orchestration(plan: ScenePlan) -> Orchestration:
    """A scene's (melody, accompaniment, bass) programs."""
    return plan.melody_program, plan.accompaniment_program, plan.bass_program


def orchestrate(plans: Sequence[ScenePlan], set_by_script: Sequence[bool]) -> list[ScenePlan]:
    """The plans with each scene's instruments held from the section it belongs to;
    ``set_by_script`` says, per scene, whether the author chose its instruments."""
    out: list[ScenePlan] = []
    current: Orchestration | None = None
    start: ScenePlan | None = None  # the scene whose mood began the current section
    after_set = False  # the scene before played the script's own instruments
    for i, (plan, chosen) in enumerate(zip(plans, set_by_script, strict=True)):
        if _silent(plan):
            out.append(plan)
            continue
        own = orchestration(plan)
        if (current is None or start is None or own == current or chosen or after_set
                or _new_section(plans, set_by_script, i, start)):
            current, start = own, plan
        else:
            melody, accompaniment, bass = current
            plan = dataclasses.replace(plan, melody_program=melody,
                                       accompaniment_program=accompaniment, bass_program=bass)
        after_set = chosen
        out.append(plan)
    return out


def _silent(plan: ScenePlan) -> bool:
    return plan.silent or plan.volume <= 0


def _new_section(plans: Sequence[ScenePlan], set_by_script: Sequence[bool], i: int,
                 start: ScenePlan) -> bool:
    """Whether scene ``i``'s own instruments begin a section: they hold for ``MIN_RUN``
    sounding scenes and the mood has moved since the current section began."""
    own = orchestration(plans[i])
    run = 0
    for plan, chosen in zip(plans[i:], set_by_script[i:], strict=True):
        if _silent(plan):
            continue
        if chosen or orchestration(plan) != own:
            break
        run += 1
    moved = (abs(plans[i].valence - start.valence) >= SECTION_VALENCE
             or abs(plans[i].tension - start.tension) >= SECTION_TENSION
             or plans[i].mode != start.mode)
    return run >= MIN_RUN and moved
