"""A tiny third-party plugin, as a distribution would ship it: one painter and one voice.

Its entry points (written by ``tests/test_plugins.py`` into a ``*.dist-info``
folder, as pip would) are::

    [storyscore.painters]
    flat = storyscore_example_plugin:make_painter

    [storyscore.voices]
    beep = storyscore_example_plugin:make_voice
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageColor

from storyscore.audio.voices.base import Narration, Sentence, SpokenSentence, narrate
from storyscore.errors import AudioError
from storyscore.paint.base import PaintRequest

RATE = 16000
WORD = 0.15  # seconds of tone per word
GAP = 0.05


class FlatPainter:
    """Paints the whole picture in one colour: the model names it (default grey)."""

    name = "flat"
    version = "1"

    def __init__(self, model: str | None) -> None:
        self.model = model
        self.colour = ImageColor.getrgb(model or "#808080")

    def paint(self, request: PaintRequest) -> Image.Image:
        return Image.new("RGB", (request.width, request.height), self.colour)


def make_painter(model: str | None) -> FlatPainter:
    return FlatPainter(model)


class BeepVoice:
    """Says every word as a short tone; ``beep:PITCH`` sets the tone in Hz."""

    version = "1"

    def __init__(self, pitch: float) -> None:
        self.pitch = pitch
        self.name = "beep" if pitch == 440 else f"beep:{pitch:g}"

    def speak(self, text: str, speed: float = 1.0) -> Narration:
        return narrate(text, speed, RATE, self._sentence)

    def _sentence(self, sentence: Sentence, speed: float) -> SpokenSentence:
        word, gap = round(WORD / speed * RATE), round(GAP / speed * RATE)
        tone = np.sin(2 * np.pi * self.pitch * np.arange(word) / RATE).astype(np.float32)
        pieces, spans, cursor = [], [], 0
        for _ in sentence.words:
            pieces += [tone, np.zeros(gap, dtype=np.float32)]
            spans.append((cursor, cursor + word))
            cursor += word + gap
        return SpokenSentence(np.concatenate(pieces), spans)


def make_voice(variant: str | None) -> BeepVoice:
    if variant is None:
        return BeepVoice(440)
    try:
        return BeepVoice(float(variant))
    except ValueError:
        raise AudioError(f"beep:{variant}: the pitch is a number of Hz") from None
