"""Flash cuts: a scene too short for a bar inside the tempo band plays its neighbour's music.

A 250 ms scene once got a bar of its own (924 BPM, then a 912 % jump); now the music
plays through it, the flash starting mid-bar, with every tempo inside the band and
checks 1-5 passing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.checks import (
    TEMPO_BAND_MAX,
    downbeats,
    meter_changes,
    printed_marks,
    staff_fit,
    tempo_changes,
)

BAR = 2.4  # seconds of a 4/4 bar at 100 BPM


def plan(scene_id: str, **changes: object) -> ScenePlan:
    base = ScenePlan(
        scene_id=scene_id, duration=4 * BAR, flexible=False, tonic="C", mode="major",
        tempo=100.0, valence=0.0, arousal=0.0, tension=0.2, melody_program=73,
        accompaniment_program=0, bass_program=32, register=72, density=0.5, velocity=80,
        staccato=0.3, texture="block", contour=(0.3, 0.7, 0.5), narration=(), volume=1.0,
        silent=False, title=scene_id,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _flash(lead_in: float) -> list[ScenePlan]:
    return [plan("before"),
            plan("flash", duration=0.25, tonic="F#", mode="minor", tempo=180.0,
                 melody_program=40, lead_in=lead_in),
            plan("after", tonic="G", lead_in=lead_in)]


def _checks_pass(plans: list[ScenePlan], composed: ComposedScore, fps: int) -> None:
    results = [meter_changes(composed), tempo_changes(composed), printed_marks(composed),
               staff_fit(composed), downbeats(plans, composed, fps)]
    for result in results:
        assert result.passed, (result.title, result.figure, result.problems)


def _marks_in_band(composed: ComposedScore) -> None:
    home = composed.timeline.home_tempo
    for mark in composed.timeline.marks:
        assert max(mark.bpm / home, home / mark.bpm) - 1 <= TEMPO_BAND_MAX, mark


def _video_times(plans: list[ScenePlan], composed: ComposedScore) -> None:
    """Every scene keeps its own start and length on the video's timeline."""
    at = 0.0
    for p, start, length in zip(plans, composed.scene_starts, composed.scene_durations,
                                strict=True):
        assert start == pytest.approx(at, abs=1e-9)
        assert length == pytest.approx(p.duration, abs=1e-9)
        at += length


def _rehearsal_offsets(composed: ComposedScore) -> list[tuple[str, float]]:
    from music21 import expressions

    top = composed.score.parts[0]
    return [(m.content, float(m.getOffsetInHierarchy(top)))
            for m in top.recurse().getElementsByClass(expressions.RehearsalMark)]


@pytest.mark.parametrize("lead_in", [0.0, 0.125])  # cuts; quarter-second crossfades
def test_a_flash_between_two_scenes_is_played_through(lead_in: float) -> None:
    plans = _flash(lead_in)
    composed = compose(plans, fps=24, seed=3)
    _marks_in_band(composed)
    _checks_pass(plans, composed, 24)
    _video_times(plans, composed)
    timeline = composed.timeline
    assert [timeline.host(i) for i in range(3)] == [0, 0, 2]
    assert timeline.through(1)
    assert not timeline.through(2)
    # The flash starts mid-bar, where the video cuts to it; the scene after it on a downbeat.
    assert all(abs(bar.offset - timeline.scene_offsets[1]) > 1e-6 for bar in timeline.bars)
    assert timeline.seconds_at(timeline.scene_offsets[1]) == pytest.approx(4 * BAR)
    assert any(bar.offset == timeline.scene_offsets[2] for bar in timeline.bars)
    # Its music is its neighbour's: no instrument of its own, one rehearsal mark each scene.
    assert composed.programs["melody"] == (73, 73, 73)
    marks = _rehearsal_offsets(composed)
    assert [letter for letter, _ in marks] == ["A", "B", "C"]
    assert marks[1][1] == pytest.approx(timeline.scene_offsets[1], abs=1 / 48)  # the print grid
    five = downbeats(plans, composed, 24)
    assert "played through" in five.figure
    assert "flash" in five.figure


def test_a_flash_at_one_frame_a_second() -> None:
    # f1.sco of the audit: 105 -> 619.6 BPM at the 250 ms scene.
    plans = [plan("a", duration=2.0, tempo=105.0),
             plan("b", duration=0.25, tempo=140.0, lead_in=0.125),
             plan("c", duration=1.0, tempo=90.0, lead_in=0.125)]
    composed = compose(plans, fps=1, seed=0)
    _checks_pass(plans, composed, 1)
    _video_times(plans, composed)
    assert max(m.bpm for m in composed.timeline.marks) < 120
    assert composed.timeline.through(1)


def test_a_story_that_opens_with_a_flash() -> None:
    plans = [plan("flash", duration=0.25, tempo=200.0), plan("one"), plan("two", tonic="F")]
    composed = compose(plans, fps=24, seed=5)
    _marks_in_band(composed)
    _checks_pass(plans, composed, 24)
    _video_times(plans, composed)
    timeline = composed.timeline
    # The music starts with the flash, on the first downbeat, and plays on into the next
    # scene mid-bar; the scene after that starts on a downbeat.
    assert [timeline.host(i) for i in range(3)] == [1, 1, 2]
    assert timeline.through(1)
    assert not timeline.through(2)
    assert timeline.music_starts[1] == pytest.approx(0.25)
    assert [letter for letter, _ in _rehearsal_offsets(composed)] == ["A", "B", "C"]


def test_a_story_of_one_flash_is_one_bar_at_its_tempo() -> None:
    plans = [plan("only", duration=0.25)]
    composed = compose(plans, fps=24, seed=1)
    timeline = composed.timeline
    assert len(timeline.bars) == 1
    assert [round(m.bpm) for m in timeline.marks] == [100]
    assert composed.total_seconds == pytest.approx(0.25)
    assert timeline.overhang == pytest.approx(BAR - 0.25)
    assert composed.part_events["melody"]
    _checks_pass(plans, composed, 24)
    assert "rings past the end" in downbeats(plans, composed, 24).figure


def test_flash_cuts_compose_the_same_bytes_twice() -> None:
    plans = _flash(0.0)
    first, second = compose(plans, fps=24, seed=7), compose(plans, fps=24, seed=7)
    assert first.midi_bytes() == second.midi_bytes()
    assert first.musicxml_bytes() == second.musicxml_bytes()


def test_a_short_scene_that_holds_a_bar_keeps_its_own() -> None:
    # Three quarters of a second under a bar at the home tempo: one bar, 8 % faster at most.
    plans = [plan("a"), plan("b", duration=0.95 * BAR), plan("c")]
    composed = compose(plans, fps=24, seed=2)
    assert [composed.timeline.host(i) for i in range(3)] == [0, 1, 2]
    assert len(composed.timeline.scene_bars(1)) == 1
    _checks_pass(plans, composed, 24)


def test_a_character_named_only_in_a_flash_is_heard_in_the_music_through_it() -> None:
    from storyscore.compose.checks import leitmotifs

    plans = [plan("cat", duration=0.25, characters=("cat",)), plan("town"), plan("hill")]
    composed = compose(plans, fps=12, seed=4, characters=[("cat", "a round orange cat")])
    found = leitmotifs(plans, composed)
    assert found.passed, found.problems
    assert found.characters[0].heard == ("cat",)
    # A flash whose host is silent is silent too: its character is not wanted there.
    hushed = [plans[0], dataclasses.replace(plans[1], silent=True), plans[2]]
    quiet = compose(hushed, fps=12, seed=4, characters=[("cat", "a round orange cat")])
    assert leitmotifs(hushed, quiet).passed
    assert not quiet.leitmotifs


def test_explain_says_the_music_plays_through_a_flash() -> None:
    from storyscore.reports.explain import path_notes

    plans = _flash(0.0)
    text = path_notes(plans, compose(plans, fps=24, seed=3))
    lines = text.splitlines()
    assert lines[1].startswith("- before -> flash: a flash cut (flash lasts 0.25 s")
    assert "the music of before plays through it, mid-bar 4" in lines[1]
    # Out of the flash, the music moves on from the key it played (C major, not F# minor).
    assert lines[2].startswith("- flash -> after: ")
    assert "C major" in lines[2]
    assert "F# minor" not in lines[2]

    opening = [plan("flash", duration=0.25), plan("one"), plan("two")]
    text = path_notes(opening, compose(opening, fps=24, seed=5))
    assert "flash was a flash (0.25 s, too short for a bar), the opening of one's music" in text


def test_check_two_fails_a_tempo_twice_the_home_tempo() -> None:
    import copy

    from music21 import stream, tempo

    plans = _flash(0.0)
    composed = compose(plans, fps=24, seed=3)
    assert tempo_changes(composed).runaway is None
    score = copy.deepcopy(composed.score)
    home = composed.timeline.home_tempo
    # What a flash with a bar of its own did: a bar at ten times the home tempo.
    bar = score.parts[0].getElementsByClass(stream.Measure)[4]
    bar.insert(0, tempo.MetronomeMark(number=round(10 * home), referent=1.0))
    result = tempo_changes(dataclasses.replace(composed, score=score))
    assert not result.passed
    assert result.runaway is not None
    assert result.runaway[0] == 5
    assert f"bar 5: {round(10 * home):.1f} BPM" in result.problems[-1]


def test_a_story_with_a_flash_cut_explains_and_passes_its_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from storyscore.cli import app

    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    script = tmp_path / "flash.sco"
    script.write_text(
        'title "Flash"\nvoice none\ncharacter cat "a round orange cat"\n\n'
        'scene street "Street" 10s\n    prompt "a quiet street at dusk"\n'
        '    transition cut\n\n'
        'scene glimpse "Glimpse" 250ms\n    prompt "@cat on a red doorstep"\n'
        '    transition cut\n\n'
        'scene hill "Hill" 10s\n    prompt "a green hill under a blue sky"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["explain", str(script), "--size", "96x64", "--quiet",
                                      "--metrics"])
    assert result.exit_code == 0, result.stderr
    assert "- street -> glimpse: a flash cut (glimpse lasts 0.25 s" in result.stdout
    assert "2 played through" not in result.stdout
    assert "1 played through mid-bar beside a flash scene too short for a bar: glimpse" \
        in result.stdout
    assert "cat heard in 1 of 1 scenes naming it" in result.stdout
    assert "14 of 14 checks pass" in result.stdout


def test_a_flash_sounds_as_its_host_made_longer() -> None:
    # The composer's rule in one line: the music of a story with a flash cut is the music
    # of the same story whose scene before the flash lasts the flash longer.
    plans = _flash(0.0)
    longer = [dataclasses.replace(plans[0], duration=plans[0].duration + 0.25), plans[2]]
    flashed, plain = compose(plans, fps=24, seed=3), compose(longer, fps=24, seed=3)
    assert flashed.part_events == plain.part_events
    assert flashed.timeline.marks == plain.timeline.marks
    assert [b.offset for b in flashed.timeline.bars] == [b.offset for b in plain.timeline.bars]


def test_a_story_of_short_scenes_with_a_glimpse_among_them_plays_through_it() -> None:
    # Every scene is under a bar, and one is under half of one: given bars of their own
    # (the exception below) the 250 ms scene's would be at 797 BPM (f1.sco at 87).
    plans = [plan("a", duration=0.6 * BAR), plan("b", duration=0.25), plan("c", duration=0.6 * BAR)]
    composed = compose(plans, fps=24, seed=3)
    _marks_in_band(composed)
    _checks_pass(plans, composed, 24)
    _video_times(plans, composed)
    assert composed.timeline.through(1)


def test_a_story_whose_scenes_each_hold_half_a_bar_keeps_their_own_bars() -> None:
    # Not glimpses between longer scenes: the story's tempo is too slow for them all, so
    # each keeps a bar of its own at the pace they share (no scene is played through).
    plans = [plan("a", duration=0.6 * BAR), plan("b", duration=0.6 * BAR)]
    composed = compose(plans, fps=24, seed=3)
    assert [composed.timeline.host(i) for i in range(2)] == [0, 1]
    assert not composed.timeline.through(1)
    assert [len(composed.timeline.scene_bars(i)) for i in range(2)] == [1, 1]
