"""The melody read back for its recurring shapes: a theme bar's passing close, and the
statements sung again knowing the rest of the run (``melody._echo_statements``)."""

from __future__ import annotations

import dataclasses

import pytest

from storyscore.compose import ScenePlan, compose, melody
from storyscore.compose.checks import motif_recurrence
from storyscore.compose.theory import Key, realise

FPS = 24


def plan(**changes: object) -> ScenePlan:
    base = ScenePlan(
        scene_id="s", duration=6.0, flexible=False, tonic="A", mode="minor", tempo=78.0,
        valence=-0.2, arousal=-0.2, tension=0.1, melody_program=71, accompaniment_program=48,
        bass_program=43, register=66, density=0.4, velocity=70, staccato=0.1,
        texture="pad", contour=(0.0, 0.2, 0.5, 0.9, 0.7, 0.5, 0.2, 0.2, 0.6, 0.6, 0.6, 0.7),
        narration=((0.5, 4.5),), volume=1.0, silent=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# Four short scenes, a statement of two bars each, like the lighthouse's dawn, market,
# storm and tower: the motif's bars sit over chords that bend it, and skylines that rise
# inside a bar.
SHORT_SCENES = [
    plan(scene_id="dawn"),
    plan(scene_id="market", tonic="C", mode="major", tempo=126.0, valence=0.4, arousal=0.7,
         contour=(0.6,) * 8, texture="ostinato", duration=4.0, density=0.7),
    plan(scene_id="storm", tonic="D", valence=-0.8, tempo=73.0, texture="block", tension=0.5,
         contour=(0.3, 0.4, 0.4, 0.99, 0.9, 0.9, 0.9, 0.95)),
    plan(scene_id="tower", tempo=65.0, arousal=-0.5,
         contour=(0.85, 0.9, 0.95, 0.9, 0.3, 0.25, 0.2, 0.3)),
]


def _slot(chord_figure: str, key: Key) -> melody._Slot:
    """A note on the bar's fourth beat (a beat, not a strong one) over ``chord_figure``."""
    return melody._Slot(offset=3.0, length=1.0, sound=1.0, strong=False, beat=True,
                        chord=realise(chord_figure, key), target=0.0, velocity=70.0,
                        cadence=None, scene=0, quiet=False)


def test_a_bars_last_note_on_a_weak_beat_passes_on_by_step_only_where_the_tune_goes_on(
) -> None:
    a_minor = Key("A", "minor")
    over_vi = _slot("VI", a_minor)  # F A C under the G of A-C-B-A-G
    bar = [69, 72, 71, 69, 67]
    g = 67 % 12
    # Sung alone to its end, the G must sit on its chord; with a bar after it, it may
    # pass on (the join then asks for a step), but only if a step led into it.
    assert g not in melody._theme_allowed(over_vi, bar, 4)
    assert g in melody._theme_allowed(over_vi, bar, 4, open_end=True)
    assert g not in melody._theme_allowed(over_vi, [69, 72, 71, 64, 67], 4, open_end=True)
    # A strong beat never passes.
    strong = dataclasses.replace(over_vi, strong=True)
    assert g not in melody._theme_allowed(strong, bar, 4, open_end=True)


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float, bool]]:
    """Each run's recurring share before and after it is read back, and whether the reader
    found nothing new wrong, for the compositions made while the fixture is in use."""
    seen: list[tuple[float, float, bool]] = []
    echo = melody._echo_statements

    def read_back(run: list[melody._Slot], pitches: list[int], plans: list[ScenePlan],
                  backdrop: melody.Backdrop) -> list[int]:
        faults = melody._faults(run, pitches, plans, backdrop)
        before = melody._recurrence(melody._heard_windows(run, pitches, plans))
        out = echo(run, pitches, plans, backdrop)
        after = melody._recurrence(melody._heard_windows(run, out, plans))
        seen.append((before, after, melody._faults(run, out, plans, backdrop) <= faults))
        return out

    monkeypatch.setattr(melody, "_echo_statements", read_back)
    return seen


@pytest.mark.parametrize("seed", [1, 8, 9])
def test_reading_back_makes_more_shapes_recur_and_nothing_else_worse(
        readings: list[tuple[float, float, bool]], seed: int) -> None:
    composed = compose(SHORT_SCENES, fps=FPS, seed=seed)
    [(before, after, nothing_worse)] = readings
    assert after >= before
    assert nothing_worse
    # The composer reads its shapes as check 11 does.
    assert motif_recurrence(composed).shape_share == pytest.approx(after)


def test_reading_back_revises_a_tune_that_hardly_comes_back_to_itself(
        readings: list[tuple[float, float, bool]]) -> None:
    compose(SHORT_SCENES, fps=FPS, seed=8)
    [(before, after, _)] = readings
    # Measured: 17 % of its shapes recur as first sung, 48 % once read back.
    assert before < melody._LEAST_RECURRING
    assert after >= melody._LEAST_RECURRING


def test_a_tune_that_comes_back_to_itself_is_left_as_it_is(
        readings: list[tuple[float, float, bool]]) -> None:
    tune = [plan(scene_id="long", duration=24.0, narration=(), contour=())]
    compose(tune, fps=FPS, seed=3)
    [(before, after, _)] = readings
    assert before >= melody._LEAST_RECURRING
    assert after == before
