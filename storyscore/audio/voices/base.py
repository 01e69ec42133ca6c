"""Narration voices behind one interface, with sentence and word timings.

A voice turns narration text into mono samples plus the timing of every
sentence and word, measured by the voice itself: piper's phoneme durations for
``joe``, espeak-ng's synthesis events for ``espeak``. This module holds what
every voice shares: the timing types, the ``Voice`` protocol, text
segmentation, the phoneme-to-word aligner and the assembly of per-sentence
audio into one narration with pauses. The registry is ``registry.py``.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from storyscore import vocab
from storyscore.errors import AudioError

MIN_SPEED, MAX_SPEED = vocab.SPEED_RANGE

SENTENCE_PAUSE = 0.3
"""Seconds of silence between sentences at speed 1 (divided by the speed)."""

PARAGRAPH_PAUSE = vocab.PARAGRAPH_PAUSE
"""Seconds of silence between paragraphs at speed 1 (divided by the speed)."""

CLAUSE_PAUSE = 0.15
"""Seconds of silence between the pieces of a sentence too long to speak at once."""

MAX_PIECE_CHARS = 200
"""The longest text a voice is given at once (about 35 words). A voice's memory
and time grow with the square of what it speaks in one go (piper's attention:
10 GiB for 1,000 words without a full stop), so longer sentences are spoken
in pieces, split at commas or other clause marks where they can be, else
between words."""

_EXCERPT_CHARS = 60

PEAK_LEVEL = 0.891
"""Peak of every narration (-1 dBFS), so voices come out at comparable levels."""

_TRIM_FLOOR_DB = -40.0
_TRIM_MARGIN_S = 0.02
_NONE_SAMPLE_RATE = 22050

BASE_VOICES = ("joe", "espeak", "none")


@dataclass(frozen=True)
class WordTiming:
    """One spoken word; times in seconds from the narration's start."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class SentenceTiming:
    """One spoken sentence with its words, in order."""

    text: str
    start: float
    end: float
    words: tuple[WordTiming, ...]


@dataclass(frozen=True, eq=False)
class Narration:
    """Spoken narration: float32 mono samples in [-1, 1] and their timings.

    Equality is identity: compare ``samples`` with numpy when needed.
    """

    samples: np.ndarray
    sample_rate: int
    sentences: tuple[SentenceTiming, ...]

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return len(self.samples) / self.sample_rate

    @property
    def words(self) -> tuple[WordTiming, ...]:
        """Every word of every sentence, in order."""
        return tuple(w for s in self.sentences for w in s.words)


@runtime_checkable
class Voice(Protocol):
    """A narration voice. ``name`` and ``version`` take part in cache keys."""

    name: str
    version: str

    def speak(self, text: str, speed: float = 1.0) -> Narration:
        """Speak ``text`` (paragraphs split by blank lines) at ``speed`` (0.5 to 2.0).

        Raises ``AudioError`` when the text cannot be spoken; callers attach
        the scene's source span.
        """
        ...


class SilentVoice:
    """The ``none`` voice: no audio and no timings."""

    name = "none"
    version = "1"

    def speak(self, text: str, speed: float = 1.0) -> Narration:
        """Return an empty narration (after checking ``speed`` like every voice)."""
        check_speed(speed)
        return Narration(np.zeros(0, dtype=np.float32), _NONE_SAMPLE_RATE, ())


def check_speed(speed: float) -> None:
    """Raise ``AudioError`` unless ``speed`` is within 0.5 to 2.0."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise AudioError(
            f"narration speed {speed:g} is out of range",
            hint=f"use a speed from {MIN_SPEED:g} to {MAX_SPEED:g}",
        )


# ----------------------------------------------------------- segmentation


@dataclass(frozen=True)
class Word:
    """A word of a sentence: its text and character span within the sentence."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """One sentence to speak, with its words."""

    text: str
    words: tuple[Word, ...]


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|$)")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "vs", "etc", "mt", "ft", "no"}
    | {"e.g", "i.e", "approx", "dept", "capt", "gen", "col", "lt", "sgt"}
)


def split_paragraphs(text: str) -> list[list[Sentence]]:
    """Split narration into paragraphs (at blank lines) of sentences with words.

    Sentences without any word (only punctuation) are dropped; so are paragraphs
    left empty.
    """
    paragraphs = []
    for block in _PARAGRAPH_BREAK.split(text):
        sentences = [s for s in split_sentences(block) if s.words]
        if sentences:
            paragraphs.append(sentences)
    return paragraphs


def split_sentences(paragraph: str) -> list[Sentence]:
    """Split one paragraph into sentences; line breaks and runs of spaces fold to one space."""
    flat = " ".join(paragraph.split())
    sentences = []
    start = 0
    for match in _SENTENCE_END.finditer(flat):
        if not _ends_sentence(flat, start, match):
            continue
        piece = flat[start : match.end()].strip()
        if piece:
            sentences.append(Sentence(piece, tuple(split_words(piece))))
        start = match.end()
    rest = flat[start:].strip()
    if rest:
        sentences.append(Sentence(rest, tuple(split_words(rest))))
    return sentences


def _ends_sentence(flat: str, start: int, match: re.Match[str]) -> bool:
    following = flat[match.end() :].lstrip()
    # "he said... and then" continues the sentence after an ellipsis.
    if following and following[0].islower():
        return False
    if match.group().startswith(".") and len(match.group().rstrip("\"'”’»)]")) == 1:
        before = flat[start : match.start()].split()
        last = before[-1].lower().lstrip("\"'“‘«([") if before else ""
        # "Mr. Fox" and initials such as "J. R. Tolkien" do not end a sentence.
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            return False
    return True


_CLAUSE_END = re.compile(r"[,;:—–)\]]+[\"'”’»]*\s")


def bounded(sentence: Sentence, limit: int = MAX_PIECE_CHARS) -> list[Sentence]:
    """``sentence`` as pieces of at most ``limit`` characters, each with its words.

    A piece ends at the last clause mark (a comma, semicolon, colon or dash) in
    its second half, else at the last space, else (a single word that long) at
    the limit itself. Pieces without a word are dropped.
    """
    text = sentence.text
    if len(text) <= limit:
        return [sentence]
    pieces: list[Sentence] = []
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= limit else start + _cut(text, start, limit)
        piece = text[start:end].strip()
        words = tuple(split_words(piece))
        if words:
            pieces.append(Sentence(piece, words))
        start = end
    return pieces


def _cut(text: str, start: int, limit: int) -> int:
    """How many characters from ``start`` the next piece of a long sentence takes."""
    window = text[start : start + limit + 1]
    clauses = [m.end() for m in _CLAUSE_END.finditer(window) if m.end() > limit // 2]
    if clauses:
        return clauses[-1]
    space = window.rfind(" ", 1)
    return space + 1 if space > 0 else limit


def excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    """A short quotation of narration for a message: its start, cut at a word."""
    if len(text) <= limit:
        return repr(text)
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return repr(cut + "…") + f" ({len(text)} characters)"


def split_words(sentence: str) -> list[Word]:
    """The words of a sentence: runs of non-space with outer punctuation removed.

    Tokens without a letter or digit (a lone dash, an ellipsis) are not words.
    """
    words = []
    for match in re.finditer(r"\S+", sentence):
        token = match.group()
        lead = 0
        while lead < len(token) and not token[lead].isalnum():
            lead += 1
        tail = len(token)
        while tail > lead and not token[tail - 1].isalnum():
            tail -= 1
        if tail > lead:
            words.append(Word(token[lead:tail], match.start() + lead, match.start() + tail))
    return words


# -------------------------------------------------------------- alignment


@dataclass(frozen=True)
class TimedPhoneme:
    """A phoneme (or pause, space or punctuation) and its sample span in a sentence's audio."""

    symbol: str
    start: int
    end: int


_ATTACHED = frozenset("ˈˌ")


def phoneme_keys(phonemes: str) -> str:
    """The comparable core of an IPA string: no stress marks, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFD", phonemes)
    return "".join(
        ch
        for ch in decomposed
        if ch not in _ATTACHED
        and ch not in "^$_"
        and not ch.isspace()
        and not unicodedata.category(ch).startswith("P")
    )


def align_words(
    word_phonemes: Sequence[str],
    stream: Sequence[TimedPhoneme],
    anchors: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int] | None]:
    """Give each word the sample span of the spoken phonemes that belong to it.

    ``word_phonemes`` is each word phonemized alone; ``stream`` is what the
    voice actually spoke, in order, with its timing. Words and stream are
    matched by sequence alignment of their phoneme characters, which absorbs
    the differences context makes (espeak joins "in the" into one word, turns
    "1984" into three). ``anchors`` are known starts, ``(word index, stream
    index)``, such as espeak's word events: alignment runs between them.
    Returns one span per word, or ``None`` for a word that got no phoneme.
    """
    chars: list[tuple[str, int, int]] = []
    char_index_of_stream: list[int] = []
    pending_start: int | None = None
    for phoneme in stream:
        char_index_of_stream.append(len(chars))
        keys = phoneme_keys(phoneme.symbol)
        if not keys:
            # A stress mark belongs to the syllable it precedes.
            if any(ch in _ATTACHED for ch in phoneme.symbol) and pending_start is None:
                pending_start = phoneme.start
            continue
        start = phoneme.start if pending_start is None else pending_start
        pending_start = None
        for ch in keys:
            chars.append((ch, start, phoneme.end))
    char_index_of_stream.append(len(chars))

    bounds = [(0, 0)]
    for word_index, stream_index in anchors:
        char_index = char_index_of_stream[min(stream_index, len(stream))]
        last_word, last_char = bounds[-1]
        if word_index > last_word and char_index > last_char and word_index < len(word_phonemes):
            bounds.append((word_index, char_index))
    bounds.append((len(word_phonemes), len(chars)))

    labels: list[int] = []
    for (w0, c0), (w1, c1) in itertools.pairwise(bounds):
        labels += _label_segment(
            [phoneme_keys(p) for p in word_phonemes[w0:w1]], [c[0] for c in chars[c0:c1]], w0
        )

    spans: list[tuple[int, int] | None] = [None] * len(word_phonemes)
    for (_, start, end), label in zip(chars, labels, strict=True):
        span = spans[label]
        spans[label] = (start, end) if span is None else (span[0], max(span[1], end))
    return spans


def _label_segment(word_keys: list[str], stream_keys: list[str], first_word: int) -> list[int]:
    """Label each stream character of a segment with the index of its word."""
    if not stream_keys:
        return []
    if len(word_keys) <= 1:
        return [first_word] * len(stream_keys)
    word_of_char = [first_word + i for i, keys in enumerate(word_keys) for _ in keys]
    if not word_of_char:
        return [first_word] * len(stream_keys)
    matcher = difflib.SequenceMatcher(
        None, "".join(word_keys), "".join(stream_keys), autojunk=False
    )
    labels: list[int | None] = [None] * len(stream_keys)
    matched: list[tuple[int, int]] = []
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            labels[b + k] = word_of_char[a + k]
            matched.append((a + k, b + k))
    # Unmatched stream characters between two matches take the words of the
    # unmatched word characters between them, spread in order; with none,
    # they belong to the word before.
    edges = [(-1, -1), *matched, (len(word_of_char), len(stream_keys))]
    for (a0, b0), (a1, b1) in itertools.pairwise(edges):
        gap_words = word_of_char[a0 + 1 : a1]
        gap = range(b0 + 1, b1)
        for j, b in enumerate(gap):
            if gap_words:
                labels[b] = gap_words[j * len(gap_words) // len(gap)]
            elif a0 >= 0:
                labels[b] = word_of_char[a0]
            else:
                labels[b] = word_of_char[min(a1, len(word_of_char) - 1)]
    return [label if label is not None else first_word for label in labels]


# --------------------------------------------------------------- assembly


@dataclass(frozen=True)
class SpokenSentence:
    """A voice's audio for one sentence and each word's sample span in it."""

    samples: np.ndarray
    word_spans: Sequence[tuple[int, int] | None]


SentenceSpeaker = Callable[[Sentence, float], SpokenSentence]


def narrate(text: str, speed: float, sample_rate: int, speak: SentenceSpeaker) -> Narration:
    """Speak ``text`` sentence by sentence with ``speak`` and join the pieces.

    Sentences longer than ``MAX_PIECE_CHARS`` are spoken in pieces (see
    ``bounded``), so the memory a voice needs does not grow with the text.
    Each piece's audio is trimmed of edge silence, then pieces of one sentence
    are separated by ``CLAUSE_PAUSE``, sentences by ``SENTENCE_PAUSE`` and
    paragraphs by ``PARAGRAPH_PAUSE`` (all divided by ``speed``); the whole is
    peak-normalised.
    """
    check_speed(speed)
    pieces: list[np.ndarray] = []
    sentences: list[SentenceTiming] = []
    cursor = 0
    for p_index, paragraph in enumerate(split_paragraphs(text)):
        for s_index, whole in enumerate(paragraph):
            for c_index, sentence in enumerate(bounded(whole)):
                if pieces:
                    pause = (CLAUSE_PAUSE if c_index > 0 else
                             PARAGRAPH_PAUSE if s_index == 0 and p_index > 0 else SENTENCE_PAUSE)
                    gap = np.zeros(round(pause / speed * sample_rate), dtype=np.float32)
                    pieces.append(gap)
                    cursor += len(gap)
                audio, timing = _spoken(sentence, speed, sample_rate, speak, cursor)
                sentences.append(timing)
                pieces.append(audio)
                cursor += len(audio)
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    del pieces
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak > 0:
        samples *= np.float32(PEAK_LEVEL / peak)  # in place: no second copy of the audio
    return Narration(samples.astype(np.float32, copy=False), sample_rate, tuple(sentences))


def _spoken(sentence: Sentence, speed: float, sample_rate: int, speak: SentenceSpeaker,
            cursor: int) -> tuple[np.ndarray, SentenceTiming]:
    """One sentence spoken and trimmed, and its timing from ``cursor`` (in samples) on."""
    spoken = speak(sentence, speed)
    audio, offset = _trim(np.asarray(spoken.samples, dtype=np.float32), sample_rate)
    if not len(audio):
        raise AudioError(f"the voice produced no sound for {excerpt(sentence.text)}")
    words = _word_timings(sentence, spoken.word_spans, offset, len(audio))
    timing = SentenceTiming(
        sentence.text,
        cursor / sample_rate,
        (cursor + len(audio)) / sample_rate,
        tuple(
            WordTiming(w.text, (cursor + a) / sample_rate, (cursor + b) / sample_rate)
            for w, (a, b) in zip(sentence.words, words, strict=True)
        ),
    )
    return audio, timing


def _trim(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """Cut edge silence (below -40 dB of the peak) but keep a 20 ms margin."""
    level = np.abs(audio)
    if not len(audio) or float(level.max()) <= 0:
        return audio[:0], 0
    loud = np.flatnonzero(level > level.max() * 10 ** (_TRIM_FLOOR_DB / 20))
    margin = round(_TRIM_MARGIN_S * sample_rate)
    start = max(0, int(loud[0]) - margin)
    end = min(len(audio), int(loud[-1]) + 1 + margin)
    return audio[start:end], start


def _word_timings(
    sentence: Sentence, spans: Sequence[tuple[int, int] | None], offset: int, length: int
) -> list[tuple[int, int]]:
    """Shift word spans into the trimmed audio, keeping them ordered and inside it.

    A word the voice gave no phonemes gets a zero-length span where it falls.
    """
    if len(spans) != len(sentence.words):
        raise AudioError(f"word timing failed for {excerpt(sentence.text)}")
    result = []
    previous_end = 0
    for span in spans:
        if span is None:
            start = end = previous_end
        else:
            start = min(max(span[0] - offset, previous_end), length)
            end = min(max(span[1] - offset, start), length)
        result.append((start, end))
        previous_end = end
    return result
