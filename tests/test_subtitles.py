"""Subtitles: cue building rules, SRT and WebVTT output read back by real parsers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import srt  # type: ignore[import-untyped, unused-ignore]
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from storyscore.errors import RenderError
from storyscore.export.subtitles import (
    Cue,
    SubtitleWord,
    TimedSentence,
    build_cues,
    timed_sentences,
    to_srt,
    to_webvtt,
    write_srt,
    write_webvtt,
)

STORY = [
    "Every morning, before the village woke, Mira walked into the forest.",
    "Yes.",
    "No.",
    "The pines stood silent in the mist, and somewhere far below the cliffs "
    "the sea was breathing slowly; she counted her steps to the old lighthouse, "
    "as her father had taught her, and wondered whether the keeper would let her "
    "climb the tower today.",
    "Then, one night, the light went out.",
]


def sentence(text: str, start: float, per_word: float = 0.32, gap: float = 0.06) -> TimedSentence:
    """Words spoken one after another from ``start``."""
    words = []
    now = start
    for token in text.split():
        words.append(SubtitleWord(token, now, now + per_word))
        now += per_word + gap
    return TimedSentence(tuple(words))


def story(texts: list[str] = STORY, pause: float = 0.5) -> list[TimedSentence]:
    sentences = []
    now = 0.5
    for text in texts:
        timed = sentence(text, now)
        sentences.append(timed)
        now = timed.words[-1].end + pause
    return sentences


def all_words(sentences: list[TimedSentence]) -> list[SubtitleWord]:
    return [word for s in sentences for word in s.words]


def check_cues(
    cues: list[tuple[float, float, str]], words: list[SubtitleWord], *, strict_min: bool = True
) -> None:
    """The rules every cue list must keep, on (start, end, text) read back from a file."""
    shown = [token for _, _, text in cues for token in text.split()]
    assert shown == [word.text for word in words]
    position = 0
    for index, (start, end, text) in enumerate(cues):
        lines = text.split("\n")
        assert 1 <= len(lines) <= 2
        assert all(len(line) <= 42 for line in lines), lines
        count = len(text.split())
        first, last = words[position], words[position + count - 1]
        position += count
        assert abs(start - first.start) <= 0.1
        assert end >= last.end - 0.1
        assert end - start <= 7.0 + 1e-3
        following = cues[index + 1][0] if index + 1 < len(cues) else None
        if following is not None:
            assert end <= following + 1e-9
            assert start < following
        if end - start < 1.0 - 1e-3:
            # Only cut short where the next cue begins.
            assert following is not None
            assert end == pytest.approx(following, abs=1e-3)
            assert not strict_min
        else:
            assert end - last.end <= 0.1 or end - start == pytest.approx(1.0, abs=1e-3)


def read_srt(text: str) -> list[tuple[float, float, str]]:
    return [
        (sub.start.total_seconds(), sub.end.total_seconds(), sub.content)
        for sub in srt.parse(text)
    ]


def read_vtt(text: str) -> list[tuple[float, float, str]]:
    return [
        (c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000, c.text)
        for c in webvtt.from_string(text, strict=True).captions
    ]


def test_srt_round_trip_keeps_every_rule() -> None:
    sentences = story()
    cues = build_cues(sentences)
    text = to_srt(cues)
    parsed = read_srt(text)
    assert len(parsed) == len(cues)
    check_cues(parsed, all_words(sentences))
    assert text.startswith("1\n00:00:00,500 --> ")


def test_webvtt_round_trip_keeps_every_rule() -> None:
    sentences = story()
    text = to_webvtt(build_cues(sentences))
    assert text.startswith("WEBVTT\n\n00:00:00.500 --> ")
    check_cues(read_vtt(text), all_words(sentences))


def test_sentences_start_new_cues_and_long_ones_break_at_phrases() -> None:
    cues = build_cues(story())
    texts = [cue.text.replace("\n", " ") for cue in cues]
    assert texts[0] == "Every morning, before the village woke, Mira walked into the forest."
    assert texts[1] == "Yes. No."  # two short sentences merged
    long_cues = texts[2:-1]
    assert len(long_cues) >= 3
    for text in long_cues[:-1]:
        # Each piece of the long sentence ends at a phrase boundary.
        assert text.endswith((",", ";")), text
    assert texts[-1] == "Then, one night, the light went out."
    # Two lines break at the sentence or phrase boundary.
    assert cues[0].lines == (
        "Every morning, before the village woke,",
        "Mira walked into the forest.",
    )


def test_conjunction_is_a_break_when_there_is_no_punctuation() -> None:
    text = (
        "The old keeper climbed the winding stair every single night "
        "because the ships out on the dark water needed the lamp to find the harbour"
    )
    cues = build_cues([sentence(text, 0.0, per_word=0.25, gap=0.02)])
    assert [cue.text.split()[0] for cue in cues][1] == "because"


def test_long_sentences_split_by_time_too() -> None:
    slow = sentence("One two three four five six seven eight nine ten", 0.0, per_word=0.9)
    cues = build_cues([slow])
    assert len(cues) >= 2
    assert all(cue.end - cue.start <= 7.0 for cue in cues)
    check_cues([(c.start, c.end, c.text) for c in cues], list(slow.words))


def test_short_cue_lengthens_to_one_second_without_overlap() -> None:
    alone = [sentence("Hush.", 1.0, per_word=0.3), sentence("Listen.", 5.0, per_word=0.3)]
    cues = build_cues(alone)
    assert [(c.start, c.end) for c in cues] == [(1.0, 2.0), (5.0, 6.0)]
    crowded = [
        sentence("Hush.", 1.0, per_word=0.3),
        # Two full lines: no room to take "Hush." in as well.
        sentence(
            "The whole forest went quiet while the lantern swung slowly past the stone well.", 1.5
        ),
    ]
    cues = build_cues(crowded)
    assert cues[0].text == "Hush."
    assert cues[0].end == pytest.approx(1.5)


def test_word_too_long_for_a_line_gets_its_own() -> None:
    giant = "Pneumonoultramicroscopicsilicovolcanoconiosisisms"
    cues = build_cues([sentence(f"She said {giant} twice.", 0.0)])
    lines = [line for cue in cues for line in cue.lines]
    assert giant in lines
    assert " ".join(lines).split() == ["She", "said", giant, "twice."]


def test_timed_sentences_keep_punctuation_and_offset() -> None:
    @dataclass(frozen=True)
    class Word:
        text: str
        start: float
        end: float

    @dataclass(frozen=True)
    class Sentence:
        text: str
        words: tuple[Word, ...]

    spoken = Sentence(
        '"Wait," she said — and ran… to the well-known tower!',
        tuple(
            Word(text, 0.5 * i, 0.5 * i + 0.4)
            for i, text in enumerate(["Wait", "she", "said", "and", "ran", "to", "the",
                                      "well-known", "tower"])
        ),
    )
    (timed,) = timed_sentences([spoken], offset=10.0)
    assert [w.text for w in timed.words] == [
        '"Wait,"', "she", "said —", "and", "ran…", "to", "the", "well-known", "tower!",
    ]
    assert timed.words[0].start == 10.0
    assert timed.words[-1].end == pytest.approx(14.4)
    # Words that do not match the text fall back to the voice's own words.
    odd = Sentence("In 1984 it rained.", (Word("In", 0, 1), Word("nineteen", 1, 2)))
    assert [w.text for w in timed_sentences([odd], 0.0)[0].words] == ["In", "nineteen"]


def test_webvtt_escapes_markup() -> None:
    cues = [Cue(0.0, 1.5, ("Tom & Jerry <3 -->",))]
    text = to_webvtt(cues)
    assert "Tom &amp; Jerry &lt;3 --&gt;" in text
    assert len(read_vtt(text)) == 1


def test_empty_input_gives_empty_documents() -> None:
    assert build_cues([]) == []
    assert to_srt([]) == ""
    assert read_vtt(to_webvtt([])) == []


def test_writers_are_atomic(tmp_path: Path) -> None:
    cues = build_cues(story())
    write_srt(tmp_path / "story.srt", cues)
    write_webvtt(tmp_path / "story.vtt", cues)
    assert (tmp_path / "story.srt").read_text("utf-8") == to_srt(cues)
    assert (tmp_path / "story.vtt").read_text("utf-8") == to_webvtt(cues)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.srt", "story.vtt"]
    with pytest.raises(RenderError, match="cannot write subtitles"):
        write_srt(tmp_path / "absent" / "story.srt", cues)


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=14)
PUNCTUATION = st.sampled_from(["", "", "", ",", ";", ":", "."])
TOKEN = st.tuples(WORD, PUNCTUATION).map("".join)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(TOKEN, min_size=1, max_size=30),
            st.floats(min_value=0.1, max_value=0.9),
            st.floats(min_value=0.2, max_value=3.0),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_narration_keeps_the_rules(
    spec: list[tuple[list[str], float, float]],
) -> None:
    sentences = []
    now = 0.0
    for tokens, per_word, pause in spec:
        timed = sentence(" ".join(tokens), now, per_word=per_word)
        sentences.append(timed)
        now = timed.words[-1].end + pause
    words = all_words(sentences)
    check_cues(read_srt(to_srt(build_cues(sentences))), words, strict_min=False)
