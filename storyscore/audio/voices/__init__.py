"""Narration voices: ``make_voice`` builds one by name; every voice returns a
``Narration`` with its sentence and word timings (see ``base``)."""

from storyscore.audio.voices.base import (
    BASE_VOICES,
    PARAGRAPH_PAUSE,
    SENTENCE_PAUSE,
    Narration,
    SentenceTiming,
    SilentVoice,
    Voice,
    WordTiming,
    check_speed,
    split_paragraphs,
    split_sentences,
    split_words,
)
from storyscore.audio.voices.cached import speak_cached
from storyscore.audio.voices.registry import available_voices, make_voice

__all__ = [
    "BASE_VOICES",
    "PARAGRAPH_PAUSE",
    "SENTENCE_PAUSE",
    "Narration",
    "SentenceTiming",
    "SilentVoice",
    "Voice",
    "WordTiming",
    "available_voices",
    "check_speed",
    "make_voice",
    "speak_cached",
    "split_paragraphs",
    "split_sentences",
    "split_words",
]
