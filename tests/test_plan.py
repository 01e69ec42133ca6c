"""Durations and paths: the timeline rules of the spec."""

from __future__ import annotations

import pytest

from storyscore.dsl.load import parse_story
from storyscore.errors import StoryscoreError
from storyscore.model import Story
from storyscore.timeline import (
    all_paths,
    choose_path,
    default_path,
    estimate_speech,
    lengthening_warnings,
    scene_duration,
    timeline,
)


def story(text: str) -> Story:
    return parse_story(text, "t.sco").story


BRANCHING = ('scene a\n    prompt "x"\n    choice "B" -> b\n    choice "C" -> c\n\n'
             'scene b\n    prompt "x"\n    end\n\nscene c\n    prompt "x"\n    next d\n\n'
             'scene d\n    prompt "x"\n')


@pytest.mark.parametrize(("duration", "speech", "expected"), [
    (None, 0.0, (5.0, False)),     # no narration, no duration: 5 s
    (None, 1.0, (4.0, False)),     # auto: at least 4 s
    (None, 6.0, (7.0, False)),     # auto: narration plus one second
    (8.0, 3.0, (8.0, False)),      # explicit: kept when long enough
    (8.0, 7.5, (8.5, True)),       # explicit is a minimum: half a second either side
    (3.0, 0.0, (3.0, False)),
])
def test_scene_duration_rules(duration: float | None, speech: float,
                              expected: tuple[float, bool]) -> None:
    scene = story(f'scene a {"auto" if duration is None else f"{duration}s"}\n'
                  '    prompt "x"\n').scenes[0]
    assert scene_duration(scene, speech) == expected


def test_speech_estimate_uses_words_speed_and_paragraph_pauses() -> None:
    s = story('voice joe speed 2\n\nscene a\n    prompt "x"\n'
              '    narrate "one two three four five"\n    narrate "six seven eight nine ten"\n')
    assert estimate_speech(s.scenes[0], s) == pytest.approx(10 / 5 + 0.6)
    silent = story('voice none\n\nscene a\n    prompt "x"\n    narrate "words here"\n')
    assert estimate_speech(silent.scenes[0], silent) == 0


def test_paths() -> None:
    s = story(BRANCHING)
    assert [x.id for x in default_path(s)] == ["a", "b"]
    assert [x.id for x in choose_path(s, ["c"])] == ["a", "c", "d"]
    assert [x.id for x in choose_path(s, ["a", "c", "d"])] == ["a", "c", "d"]


def test_timeline_is_contiguous_and_uses_measured_speech() -> None:
    s = story(BRANCHING)
    times = timeline(s, choose_path(s, ["c"]), speech={"c": 9.0})
    assert [t.start for t in times] == [0.0, 5.0, 15.0]
    assert times[1].duration == 10.0
    assert not times[1].estimated
    assert times[0].estimated


def test_lengthening_warning_names_scene_and_both_lengths() -> None:
    s = story('scene a 2s\n    prompt "x"\n    narrate "a b c d e f g h i j"\n')
    (warning,) = lengthening_warnings(timeline(s, list(s.scenes)))
    assert warning.severity == "warning"
    assert warning.message == ("scene 'a' is 2s but its narration needs about 5.0s; "
                               "it is lengthened to 5.0s")


def test_path_errors_are_clear() -> None:
    s = story(BRANCHING)
    with pytest.raises(StoryscoreError, match="there is no scene 'cc'") as caught:
        choose_path(s, ["cc"])
    assert caught.value.hint == "did you mean 'c'?"
    with pytest.raises(StoryscoreError, match="the choices lead to b, c, not 'd'"):
        choose_path(s, ["d"])
    with pytest.raises(StoryscoreError, match="ends at 'b' before reaching 'c'"):
        choose_path(s, ["b", "c"])


def test_all_paths_reach_every_ending_once() -> None:
    s = story(BRANCHING)
    assert [[x.id for x in p] for p in all_paths(s)] == [["a", "b"], ["a", "c", "d"]]
    looping = story('scene a\n    prompt "x"\n    choice "On" -> b\n    choice "Back" -> a\n\n'
                    'scene b\n    prompt "y"\n')
    assert [[x.id for x in p] for p in all_paths(looping)] == [["a", "b"]]
