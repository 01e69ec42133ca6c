"""Subtitles: timed narration words grouped into readable cues, written as SRT or WebVTT.

A cue holds at most two lines of at most 42 characters and lasts 1 to 7
seconds. Sentences are never split across cues unless they are too long;
then they break at the strongest phrase boundary (``;``, ``:``, dashes, then
commas, then before a conjunction), chosen for the whole sentence at once so
the pieces read naturally. Cues too short to read merge with a neighbour when
the pair fits. A cue runs from its first word's start to its last word's end,
lengthened to one second where the next cue leaves room.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storyscore.audio.voices import WordTiming
from storyscore.errors import RenderError
from storyscore.files import write_text

MAX_CHARS = 42
MAX_LINES = 2
MIN_DURATION = 1.0
MAX_DURATION = 7.0
MERGE_GAP = 1.0
"""Longest silence (seconds) a merged cue may span between its two parts."""

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_CLAUSE_END = re.compile(r"([;:]|[—–]|--)[\"'”’»)\]]*$")
_COMMA_END = re.compile(r",[\"'”’»)\]]*$")
_DASH_START = re.compile(r"^([—–]|--)")
_CONJUNCTIONS = frozenset(
    {"and", "but", "or", "nor", "so", "yet", "for", "because", "while", "when", "where"}
    | {"though", "although", "until", "unless", "since", "then", "as", "if", "that"}
    | {"which", "who", "whose", "whom", "before", "after", "once", "till", "whether"}
)
# Cost of breaking before a word, by the boundary's strength (see _strength).
_BREAK_COST = (7.0, 4.0, 2.0, 1.0, 0.0)
_CUE_COST = 6.0
_LINE_BREAK_WEIGHT = 0.5
_SHORT_CUE_COST = 4.0
_FEW_CHARS = 16


SubtitleWord = WordTiming
"""A word as shown (punctuation attached) and when it is spoken, in story seconds."""


@dataclass(frozen=True)
class TimedSentence:
    """One narrated sentence: its words in order, on the story's timeline."""

    words: tuple[SubtitleWord, ...]


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from ``start`` to ``end`` seconds, one or two lines."""

    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The lines joined by line breaks."""
        return "\n".join(self.lines)


class _SpokenWord(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


class SpokenSentence(Protocol):
    """What ``timed_sentences`` reads from a voice's sentence timing."""

    @property
    def text(self) -> str: ...

    @property
    def words(self) -> Sequence[_SpokenWord]: ...


def timed_sentences(sentences: Sequence[SpokenSentence], offset: float) -> list[TimedSentence]:
    """A narration's sentences on the story's timeline, starting ``offset`` seconds in.

    Words keep the punctuation around them in the sentence's text
    (``"woke,"``); a token without letters or digits, such as a dash, joins
    the word before it.
    """
    timed = []
    for sentence in sentences:
        shown = _display_words(sentence.text, [word.text for word in sentence.words])
        timed.append(
            TimedSentence(
                tuple(
                    SubtitleWord(text, offset + word.start, offset + word.end)
                    for text, word in zip(shown, sentence.words, strict=True)
                )
            )
        )
    return timed


def _display_words(text: str, words: list[str]) -> list[str]:
    """Each word as written in ``text``, with its punctuation; the bare words if they disagree."""
    tokens = text.split()
    shown: list[str] = []
    pending = ""
    for token in tokens:
        if any(ch.isalnum() for ch in token):
            shown.append(f"{pending} {token}".strip() if pending else token)
            pending = ""
        elif shown:
            shown[-1] = f"{shown[-1]} {token}"
        else:
            pending = f"{pending} {token}".strip()
    cores = [_core(token) for token in shown]
    if len(shown) != len(words) or any(
        core.casefold() != word.casefold() for core, word in zip(cores, words, strict=True)
    ):
        return list(words)
    return shown


def _core(token: str) -> str:
    """A token without the punctuation around its first and last letter or digit."""
    alnum = [i for i, ch in enumerate(token) if ch.isalnum()]
    return token[alnum[0] : alnum[-1] + 1] if alnum else ""


# ------------------------------------------------------------------ cues


def build_cues(
    sentences: Sequence[TimedSentence],
    *,
    max_chars: int = MAX_CHARS,
    max_lines: int = MAX_LINES,
    min_duration: float = MIN_DURATION,
    max_duration: float = MAX_DURATION,
) -> list[Cue]:
    """Group the sentences' words into cues (``max_lines`` is 1 or 2).

    Cues come out in time order and never overlap. A single word longer than
    ``max_chars`` gets a line of its own.
    """
    if max_lines not in (1, 2):
        raise ValueError("subtitle cues have one or two lines")
    layout = _Layout(max_chars, max_lines, min_duration, max_duration)
    chunks: list[list[SubtitleWord]] = []
    ordered = sorted((s for s in sentences if s.words), key=lambda s: s.words[0].start)
    for sentence in ordered:
        chunks.extend(layout.split(list(sentence.words)))
    chunks = layout.merge_short(chunks)

    cues: list[Cue] = []
    for index, chunk in enumerate(chunks):
        start, end = chunk[0].start, max(chunk[-1].end, chunk[0].start)
        following = chunks[index + 1][0].start if index + 1 < len(chunks) else None
        if end - start < min_duration:
            end = start + min_duration
        if following is not None:
            end = min(end, following)
        cues.append(Cue(start, end, layout.lines(chunk)))
    return cues


class _Layout:
    """Line and cue limits, and the choices made under them."""

    def __init__(self, max_chars: int, max_lines: int, min_duration: float, max_duration: float):
        self.max_chars = max_chars
        self.max_lines = max_lines
        self.min_duration = min_duration
        self.max_duration = max_duration

    def fits(self, words: Sequence[SubtitleWord]) -> bool:
        """Whether the words make one cue: short enough to read and to lay out."""
        if len(words) > 1 and words[-1].end - words[0].start > self.max_duration:
            return False
        return len(words) == 1 or self._break(words) is not None

    def split(self, words: list[SubtitleWord]) -> list[list[SubtitleWord]]:
        """The sentence cut into the cheapest sequence of cues that each fit.

        Dynamic programming over cut positions: every cue costs the same,
        weak boundaries cost more than strong ones, and cues too short to
        read cost extra.
        """
        n = len(words)
        best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * n
        for end in range(1, n + 1):
            for start in range(end - 1, -1, -1):
                chunk = words[start:end]
                if not self.fits(chunk):
                    break  # a chunk that does not fit only grows worse leftwards
                cost = best[start][0] + self._chunk_cost(chunk)
                if start > 0:
                    cost += _BREAK_COST[_strength(words, start)]
                if cost < best[end][0]:
                    best[end] = (cost, start)
        pieces = []
        end = n
        while end > 0:
            start = best[end][1]
            pieces.append(words[start:end])
            end = start
        return pieces[::-1]

    def _chunk_cost(self, chunk: Sequence[SubtitleWord]) -> float:
        cost = _CUE_COST
        split = self._break(chunk)
        if split:  # a two-line cue reads best broken at a phrase boundary
            cost += _LINE_BREAK_WEIGHT * _BREAK_COST[_strength(chunk, split)]
        if chunk[-1].end - chunk[0].start < self.min_duration:
            cost += _SHORT_CUE_COST
        chars = len(_join(chunk))
        if chars < _FEW_CHARS:
            cost += (_FEW_CHARS - chars) / 4
        return cost

    def merge_short(self, chunks: list[list[SubtitleWord]]) -> list[list[SubtitleWord]]:
        """Join each cue too short to read with the next or previous one, where they fit."""
        merged = list(chunks)
        i = 0
        while i < len(merged):
            chunk = merged[i]
            if chunk[-1].end - chunk[0].start >= self.min_duration:
                i += 1
                continue
            if i + 1 < len(merged) and self._joinable(chunk, merged[i + 1]):
                merged[i : i + 2] = [chunk + merged[i + 1]]
            elif i > 0 and self._joinable(merged[i - 1], chunk):
                merged[i - 1 : i + 1] = [merged[i - 1] + chunk]
                i -= 1
            else:
                i += 1
        return merged

    def _joinable(self, first: list[SubtitleWord], second: list[SubtitleWord]) -> bool:
        return second[0].start - first[-1].end <= MERGE_GAP and self.fits(first + second)

    def lines(self, words: Sequence[SubtitleWord]) -> tuple[str, ...]:
        """The cue's text in lines: one if it fits, else the best two-line break."""
        split = self._break(words)
        if split is None:  # only a word too long for any line
            return tuple(_wrap([w.text for w in words], self.max_chars))
        if split == 0:
            return (_join(words),)
        return (_join(words[:split]), _join(words[split:]))

    def _break(self, words: Sequence[SubtitleWord]) -> int | None:
        """0 for one line, else where the second line starts; ``None`` if nothing fits."""
        if len(_join(words)) <= self.max_chars:
            return 0
        if self.max_lines < 2:
            return None
        total = len(_join(words))
        best: tuple[float, int] | None = None
        for split in range(1, len(words)):
            top, bottom = len(_join(words[:split])), len(_join(words[split:]))
            if top > self.max_chars or bottom > self.max_chars:
                continue
            balance = 1.0 - abs(top - bottom) / total
            score = _strength(words, split) + 3.0 * balance
            if best is None or score > best[0]:
                best = (score, split)
        return best[1] if best else None


def _strength(words: Sequence[SubtitleWord], index: int) -> int:
    """How natural a break before ``words[index]`` is: 4 (a sentence ends) to 0 (mid-phrase)."""
    before, after = words[index - 1].text, words[index].text
    if _SENTENCE_END.search(before):
        return 4
    if _CLAUSE_END.search(before) or _DASH_START.match(after):
        return 3
    if _COMMA_END.search(before):
        return 2
    if _core(after).casefold() in _CONJUNCTIONS:
        return 1
    return 0


def _join(words: Sequence[SubtitleWord]) -> str:
    return " ".join(word.text for word in words)


def _wrap(texts: list[str], width: int) -> list[str]:
    """Greedy line filling, for cues holding a word wider than a line."""
    lines: list[str] = []
    for text in texts:
        if lines and len(lines[-1]) + 1 + len(text) <= width:
            lines[-1] += " " + text
        else:
            lines.append(text)
    return lines


# --------------------------------------------------------------- formats


def to_srt(cues: Sequence[Cue]) -> str:
    """The cues as a SubRip (.srt) document."""
    blocks = [
        f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{cue.text}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def to_webvtt(cues: Sequence[Cue]) -> str:
    """The cues as a WebVTT (.vtt) document, text escaped for cue syntax."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        text = cue.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{text}\n")
    return "\n".join(blocks)


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def write_srt(path: Path, cues: Sequence[Cue]) -> None:
    """Write the cues as SubRip to ``path``, atomically."""
    _write_text(Path(path), to_srt(cues))


def write_webvtt(path: Path, cues: Sequence[Cue]) -> None:
    """Write the cues as WebVTT to ``path``, atomically."""
    _write_text(Path(path), to_webvtt(cues))


def _write_text(path: Path, text: str) -> None:
    try:
        write_text(path, text)
    except OSError as exc:
        raise RenderError(f"cannot write subtitles '{path}': {exc.strerror or exc}") from exc
