"""The language, construct by construct, down to the typed model."""

from __future__ import annotations

import pytest

from storyscore.dsl.build import parse_duration
from storyscore.dsl.load import parse_story
from storyscore.errors import ScriptError
from storyscore.model import Camera, Key, MusicSettings, Size, Story, Transition, Voice


def story(text: str) -> Story:
    return parse_story(text, "t.sco").story


def one_scene(body: str, header: str = "") -> Story:
    return story(header + "scene a\n" + "".join(f"    {line}\n" for line in body.split("\n")))


@pytest.mark.parametrize(("text", "seconds"), [
    ("8s", 8.0), ("2.5s", 2.5), ("750ms", 0.75), ("1m", 60.0), ("1m30s", 90.0),
    ("0s", 0.0), ("1m0.5s", 60.5),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("form", "seconds"), [("8s", 8.0), ("750ms", 0.75), ("1m30s", 90.0),
                                               ("auto", None), ("", None)])
def test_scene_duration_forms(form: str, seconds: float | None) -> None:
    s = story(f'scene a "Title" {form}\n    prompt "x"\n')
    assert s.scenes[0].duration == seconds
    assert s.scenes[0].title == "Title"


def test_defaults() -> None:
    s = story('scene a\n    prompt "x"\n')
    assert s.title == "t"
    assert (s.size, s.fps, s.seed, s.style, s.author) == (Size(1280, 720), 24, 0, None, None)
    assert s.voice == Voice("joe", 1.0)
    assert s.transition == Transition("crossfade", 1.0)
    assert s.painter.name == "procedural"
    assert s.scenes[0].title == "a"
    assert s.camera_of(s.scenes[0]) == Camera("still", 0.0)


@pytest.mark.parametrize("seed", [9007199254740993, 2**63 - 1])
def test_a_large_seed_is_kept_exactly(seed: int) -> None:
    # Read through a float, 2**53 + 1 became 2**53 and the largest seed failed its own range.
    assert one_scene('prompt "x"', f"seed {seed}\n").seed == seed


@pytest.mark.parametrize(("preset", "size"), [
    ("480p", (854, 480)), ("720p", (1280, 720)), ("1080p", (1920, 1080)),
    ("square", (1080, 1080)), ("portrait", (1080, 1920)), ("64x4096", (64, 4096)),
])
def test_size_presets(preset: str, size: tuple[int, int]) -> None:
    s = one_scene('prompt "x"', f"size {preset}\n")
    assert (s.size.width, s.size.height) == size


def test_string_escapes_and_folding() -> None:
    s = one_scene(r'prompt "a \"quoted\" word, a \\ and\ta tab"', 'title "T\\nx"\n')
    assert s.scenes[0].prompt == 'a "quoted" word, a \\ and a tab'
    assert s.title == "T x"


def test_triple_quoted_narration_dedents_folds_and_splits_paragraphs() -> None:
    s = story('scene a\n    prompt "x"\n    narrate """\n        One line\n        folded.\n\n'
              '        Second   paragraph.\n        """\n    narrate "Third."\n')
    assert s.scenes[0].paragraphs == ("One line folded.", "Second paragraph.", "Third.")
    assert s.scenes[0].narration_text == "One line folded.\n\nSecond paragraph.\n\nThird."


def test_triple_quoted_text_on_the_opening_line() -> None:
    s = story('scene a\n    prompt """a forest\n        at dawn"""\n')
    assert s.scenes[0].prompt == "a forest at dawn"


def test_characters_and_style_expand_in_prompts() -> None:
    s = story('style "ink"\ncharacter mira "a girl"\ncharacter old-tom "an old man"\n\n'
              'scene a\n    prompt "@mira meets @old-tom, and @mira waves"\n')
    assert s.expand_prompt(s.scenes[0]) == "a girl meets an old man, and a girl waves, ink"


def test_music_settings_merge_over_the_story_defaults() -> None:
    s = story('music key Bb major, tempo 90, instrument harp+strings\n\n'
              'scene a\n    prompt "x"\n    music tempo 120, mood tense\n\n'
              'scene b\n    prompt "y"\n')
    a, b = s.scenes
    assert s.music_of(a) == MusicSettings(Key("Bb", "major"), 120.0, "tense", ("harp", "strings"))
    assert s.music_of(b) == s.music


@pytest.mark.parametrize(("written", "tonic"), [("F#", "F#"), ("f#", "F#"), ("Bb", "Bb"),
                                                ("E♭", "Eb"), ("C", "C")])
def test_key_spellings(written: str, tonic: str) -> None:
    s = one_scene(f'prompt "x"\nmusic key {written} minor')
    assert s.music_of(s.scenes[0]).key == Key(tonic, "minor")


def test_camera_amount_defaults() -> None:
    for move, amount in [("zoom-in", 1.15), ("zoom-out", 1.15), ("pan-left", 0.1),
                         ("pan-up", 0.1), ("still", 0.0)]:
        s = one_scene(f'prompt "x"\ncamera {move}')
        assert s.scenes[0].camera == Camera(move, amount)


def test_a_zero_transition_is_a_cut() -> None:
    s = story('scene a\n    prompt "x"\n    transition wipe-left 0s\n\nscene b\n    prompt "y"\n')
    assert s.scenes[0].transition == Transition("cut", 0.0)


def test_voice_and_speed() -> None:
    s = one_scene('prompt "x"\nvoice espeak:en-gb speed 1.5', "voice none\n")
    assert s.voice == Voice("none")
    assert s.voice_of(s.scenes[0]) == Voice("espeak:en-gb", 1.5)


def test_successors_follow_choice_next_end_and_file_order() -> None:
    s = story('scene a\n    prompt "x"\n    choice "B" -> b\n    choice "C" -> c\n\n'
              'scene b\n    prompt "x"\n    next d\n\n'
              'scene c\n    prompt "x"\n    end\n\n'
              'scene d\n    prompt "x"\n')
    assert [s.successors(scene) for scene in s.scenes] == [("b", "c"), ("d",), (), ()]


def test_loops_with_an_exit_are_allowed() -> None:
    s = story('scene a\n    prompt "x"\n\nscene b\n    prompt "y"\n'
              '    choice "On" -> c\n    choice "Again" -> a\n\nscene c\n    prompt "z"\n')
    assert s.successors(s.scenes[1]) == ("c", "a")


def test_comments_crlf_and_bom_are_accepted() -> None:
    text = '\ufeff# comment\r\ntitle "X" # trailing\r\n\r\nscene a # here\r\n    prompt "x" # c\r\n'
    assert story(text).title == "X"


def test_spans_point_at_the_source() -> None:
    s = story('\n\nscene  dawn "Dawn" 8s\n    prompt "x"\n    camera pan-left\n')
    scene = s.scenes[0]
    assert (scene.id_span.line, scene.id_span.column) == (3, 8)
    assert (scene.duration_span.line, scene.duration_span.column) == (3, 20)
    assert scene.camera is not None
    assert (scene.camera.span.line, scene.camera.span.column) == (5, 12)


def test_spans_do_not_affect_equality() -> None:
    assert story('scene a\n    prompt "x"\n') == story('\n\n# c\nscene   a\n  prompt   "x"\n')


def test_a_transition_may_not_outlast_an_auto_scene() -> None:
    with pytest.raises(ScriptError) as caught:
        story('scene a\n    prompt "x"\n    transition fade 5.5s\n\nscene b\n    prompt "y"\n')
    assert "longer than a scene that lasts 5s" in caught.value.message


def test_the_meter_is_a_story_setting_and_scenes_inherit_it() -> None:
    story = parse_story('music  meter 6/8, mood calm\n\nscene a\n    prompt "x"\n'
                        '    music   tempo 80\n', "m.sco").story
    assert story.music.meter == "6/8"
    assert story.music_of(story.scenes[0]).meter == "6/8"
    assert story.music_of(story.scenes[0]).tempo == 80
