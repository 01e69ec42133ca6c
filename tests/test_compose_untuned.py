"""A story nobody tuned the composer for: a long, calm bedtime story with one character
and narration over almost every bar, whose plans are those the pipeline made for it
(`/work/briefs/bedtime.sco` at 256x144, rounded). It used to miss key agreement (its
first scene heard at r 0.73) and motif recurrence (24 % of its four-note shapes)."""

from __future__ import annotations

import dataclasses

import pytest

from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.checks import (
    KEY_MIN_R,
    SHAPE_MIN_SHARE,
    key_agreement,
    motif_recurrence,
)
from storyscore.compose.harmony import mood_of
from storyscore.compose.theme import plan_statements

FPS = 24
PIP = ("pip", "a small brown bear cub in striped blue pyjamas")


def _bedtime_scene(**fields: object) -> ScenePlan:
    base = ScenePlan(
        scene_id="s", duration=12.0, flexible=True, tonic="C", mode="major", tempo=62.0,
        valence=0.2, arousal=-0.6, tension=0.0, melody_program=60, accompaniment_program=48,
        bass_program=58, register=67, density=0.2, velocity=47, staccato=0.13,
        texture="pad", contour=(), narration=(), volume=1.0, silent=False,
        characters=("pip",),
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


BEDTIME = [
    _bedtime_scene(
        scene_id="bed", duration=21.903, tempo=62.0, valence=0.17, arousal=-0.69,
        register=67, density=0.204, velocity=47, staccato=0.132,
        contour=(0, 0, 0, 0, 0, 0, 0, 0, 0, 0.04, 0.25, 0.19, 0.31, 0.55, 0.59, 0.38, 0.72,
                 0.78, 0.77, 0.76, 0.76, 0.75, 0.8, 0.77, 0.76, 0.61, 0.14, 0, 0, 0, 0, 0),
        narration=((0.5, 2.668), (2.968, 7.445), (7.745, 9.435), (10.035, 11.762),
                   (12.062, 14.061), (14.361, 21.403))),
    _bedtime_scene(
        scene_id="window", duration=16.319, tempo=73.0, valence=0.35, arousal=-0.45,
        register=69, density=0.292, velocity=52, staccato=0.25, lead_in=0.5,
        contour=(0, 0, 0, 0, 0.1, 0.4, 0.4, 0.39, 0, 0, 0, 0, 0, 0, 0.73, 0.75, 0.76, 0.74,
                 0.66, 0.21, 0, 0, 0, 0.05, 0.4, 0.4, 0.4, 0.1, 0, 0, 0, 0),
        narration=((0.5, 3.932), (4.232, 6.438), (6.738, 7.841), (8.141, 11.382),
                   (11.982, 15.819))),
    _bedtime_scene(
        scene_id="lullaby", duration=12.93, tempo=68.0, valence=0.45, arousal=-0.6,
        register=70, density=0.231, velocity=49, staccato=0.339, volume=0.6, lead_in=0.5,
        contour=(0, 0, 0, 0, 0.1, 0.39, 0.4, 0.39, 0, 0, 0, 0, 0.77, 0.78, 0.78, 0.71, 0, 0,
                 0, 0, 0, 0, 0, 0, 0.39, 0.4, 0.39, 0.1, 0, 0, 0, 0),
        narration=((0.5, 3.443), (3.743, 7.186), (7.486, 11.308), (11.608, 12.43))),
]


@pytest.fixture(scope="module")
def bedtime() -> ComposedScore:
    return compose(BEDTIME, fps=FPS, seed=3, characters=[PIP])


def test_a_bedtime_story_says_each_scenes_key(bedtime: ComposedScore) -> None:
    agreement = key_agreement(BEDTIME, bedtime)
    assert agreement.passed, agreement.problems
    # Every scene is long enough to tell, and its own key leads at r 0.75 or more.
    assert [s.scene_id for s in agreement.scenes] == ["bed", "window", "lullaby"]
    assert min(s.r_intended for s in agreement.scenes) >= KEY_MIN_R


def test_a_bedtime_story_comes_back_to_its_shapes(bedtime: ComposedScore) -> None:
    recurrence = motif_recurrence(bedtime)
    assert recurrence.bars >= 8
    assert recurrence.shape_share >= SHAPE_MIN_SHARE, recurrence.figure


def test_a_quiet_untroubled_picture_is_calm_not_mysterious() -> None:
    # Neutral valence: quiet and untroubled is calm; troubled, dark or stirring is not.
    assert mood_of(BEDTIME[0]) == "calm"
    assert mood_of(dataclasses.replace(BEDTIME[0], tension=0.4)) == "mysterious"
    assert mood_of(dataclasses.replace(BEDTIME[0], valence=-0.1)) == "mysterious"
    assert mood_of(dataclasses.replace(BEDTIME[0], arousal=-0.2)) == "mysterious"
    assert mood_of(dataclasses.replace(BEDTIME[0], arousal=0.4)) == "bright"


@pytest.mark.parametrize(("own", "scale", "theme_bars"), [
    (4, 2.0, (0, 1)),  # a fragment, slowed to fill the scene
    (6, 2.0, (0, 1, 2)),
    (8, 1.0, tuple(range(8))),  # the whole period: stated and answered
    (12, 1.0, (*range(8), 0, 1, 2, 3)),  # the period, then its antecedent again
    (16, 2.0, (0, 1, 2, 3)),  # the antecedent slowed, free bars after it
])
def test_a_calm_scene_states_the_period_whole_where_it_fits_but_not_augmented(
        own: int, scale: float, theme_bars: tuple[int, ...]) -> None:
    calm = _bedtime_scene(scene_id="calm")
    lively = _bedtime_scene(scene_id="next")
    stated = plan_statements([calm, lively], [(0, own), (0, 4)], [1, 2], [1.0, 0.0],
                             [0.0, 3.0 * own], 3.0)
    assert stated[0].scale == scale
    assert stated[0].theme_bars == theme_bars
