"""The ``espeak`` voices: espeak-ng driven through its C library, with word events.

piper-tts links the whole of libespeak-ng (1.52) into its ``espeakbridge``
extension, exports the library's C API from it and ships ``espeak-ng-data``
beside it. So ctypes drives the real espeak-ng API (``espeak_Synth`` with a
synthesis callback and its events) with no system package and no second
download of espeak-ng.

Two instances of the library are used:

- piper's own, loaded as a Python extension: the voice list and text to
  phonemes. It keeps one global voice shared with piper's phonemizer, so
  every use holds ``ESPEAK_LOCK``.
- a private copy, loaded afresh for every synthesis and unloaded after it.
  espeak-ng carries state from one synthesis to the next (the phase of its
  pitch flutter, its echo buffer) that no API resets, so the same sentence
  would come out differently depending on what was said before; a fresh load
  makes each sentence's audio depend on the sentence alone.

Timings come from the synthesis events: word events anchor each word's start,
phoneme events time the phonemes in between, which also splits the words
espeak joins ("in the") and expands ("1984").
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import functools
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from storyscore.audio.voices.base import (
    Narration,
    Sentence,
    SpokenSentence,
    TimedPhoneme,
    align_words,
    excerpt,
    narrate,
)
from storyscore.errors import AudioError, suggest
from storyscore.files import scratch_prefix

DEFAULT_ESPEAK_VOICE = "en-us"
VOICE_VERSION = "2"  # 2: long sentences spoken in bounded pieces
"""Version of this module's synthesis and timing; part of ``EspeakVoice.version``."""

ESPEAK_LOCK = threading.RLock()
"""Serialises calls into piper's espeak-ng instance (one global voice and state)."""

_SYNTH_LOCK = threading.Lock()

_NORMAL_RATE = 175  # espeakRATE_NORMAL, words per minute
_MIN_RATE, _MAX_RATE = 80, 450

# speak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PHONEMES_IPA = 0x02
_PARAM_RATE = 1
_EVENT_WORD = 1
_EVENT_END = 5
_EVENT_PHONEME = 7


class _Event(ctypes.Structure):
    """``espeak_EVENT``; the ``id`` union is read as its 8-byte string member."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


class _VoiceInfo(ctypes.Structure):
    """``espeak_VOICE`` as returned by ``espeak_ListVoices``."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Declare the C signatures of the espeak-ng functions used here."""
    signatures: dict[str, tuple[list[type], type | None]] = {
        "espeak_Initialize": (
            [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int],
            ctypes.c_int,
        ),
        "espeak_SetSynthCallback": ([_SynthCallback], None),
        "espeak_SetVoiceByName": ([ctypes.c_char_p], ctypes.c_int),
        "espeak_SetParameter": ([ctypes.c_int, ctypes.c_int, ctypes.c_int], ctypes.c_int),
        "espeak_Synth": (
            [
                ctypes.c_char_p,
                ctypes.c_size_t,
                ctypes.c_uint,
                ctypes.c_int,
                ctypes.c_uint,
                ctypes.c_uint,
                ctypes.c_void_p,
                ctypes.c_void_p,
            ],
            ctypes.c_int,
        ),
        "espeak_Terminate": ([], ctypes.c_int),
        "espeak_TextToPhonemes": (
            [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int],
            ctypes.c_char_p,
        ),
        "espeak_ListVoices": ([ctypes.c_void_p], ctypes.POINTER(ctypes.POINTER(_VoiceInfo))),
        "espeak_Info": ([ctypes.c_void_p], ctypes.c_char_p),
        "espeak_ng_GetSampleRate": ([], ctypes.c_int),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
    return lib


@dataclass(frozen=True)
class _SynthEvent:
    kind: int
    text_position: int
    audio_ms: int
    phoneme: str


@dataclass
class _Collector:
    """Gathers the samples and events espeak-ng hands to the synthesis callback."""

    chunks: list[np.ndarray] = field(default_factory=list)
    events: list[_SynthEvent] = field(default_factory=list)

    def __call__(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if wav and count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events[i].type != 0:
            event = events[i]
            phoneme = ""
            if event.type == _EVENT_PHONEME:
                phoneme = bytes(event.id).split(b"\0", 1)[0].decode("utf-8", "replace")
            self.events.append(
                _SynthEvent(event.type, event.text_position, event.audio_position, phoneme)
            )
            i += 1
        return 0


class Espeak:
    """espeak-ng as shipped by piper-tts: voice list, phonemes and synthesis."""

    def __init__(self) -> None:
        try:
            from piper import espeakbridge
            from piper.phonemize_espeak import ESPEAK_DATA_DIR
        except ImportError as exc:
            raise AudioError(
                "the espeak voices need piper-tts, which ships espeak-ng",
                hint="pip install 'piper-tts>=1.8,<2'",
            ) from exc
        self._data_dir = str(ESPEAK_DATA_DIR)
        self._library = Path(espeakbridge.__file__)
        self._private: Path | None = None
        with ESPEAK_LOCK:
            # The same data path piper uses, so piper's phonemizer will not
            # initialise the shared instance a second time.
            espeakbridge.initialize(self._data_dir)
            self._lib = _bind(ctypes.CDLL(str(self._library)))
            info = self._lib.espeak_Info(None)
            self.sample_rate = int(self._lib.espeak_ng_GetSampleRate())
        self.version = info.decode() if info else "unknown"
        self.voices = self._list_voices()

    def _list_voices(self) -> dict[str, str]:
        """Map each language code and voice file name (lower case) to a voice identifier.

        A language goes to the voice that lists it with the best priority.
        """
        best: dict[str, tuple[int, str]] = {}
        with ESPEAK_LOCK:
            listing = self._lib.espeak_ListVoices(None)
            i = 0
            while listing[i]:
                info = listing[i].contents
                identifier = (info.identifier or b"").decode()
                names = [(0, identifier.rsplit("/", 1)[-1].lower())]
                address = info.languages
                while address:
                    priority = ctypes.c_ubyte.from_address(address).value
                    if priority == 0:
                        break
                    language = ctypes.string_at(address + 1)
                    names.append((priority, language.decode().lower()))
                    address += len(language) + 2
                for priority, name in names:
                    if name not in best or priority < best[name][0]:
                        best[name] = (priority, identifier)
                i += 1
        return {name: identifier for name, (_, identifier) in sorted(best.items())}

    def resolve(self, voice: str) -> str:
        """The identifier of an espeak-ng voice given by language code or file name."""
        key = voice.strip().lower()
        if key in self.voices:
            return self.voices[key]
        close = suggest(key, self.voices, shown="espeak:{}")
        raise AudioError(
            f"unknown espeak-ng voice '{voice}'",
            hint=(f"{close} " if close else "")
            + "use a language code such as en, en-gb, en-us, fr, de",
        )

    def phonemize(self, identifier: str, text: str) -> str:
        """IPA phonemes of ``text`` in the given voice, clauses joined by spaces."""
        with ESPEAK_LOCK:
            if self._lib.espeak_SetVoiceByName(identifier.encode()) != 0:
                raise AudioError(f"espeak-ng could not load voice '{identifier}'")
            buffer = ctypes.create_string_buffer(text.encode())
            pointer = ctypes.c_void_p(ctypes.addressof(buffer))
            clauses = []
            while pointer.value:
                result = self._lib.espeak_TextToPhonemes(
                    ctypes.byref(pointer), _CHARS_UTF8, _PHONEMES_IPA
                )
                if result:
                    clauses.append(result.decode("utf-8", "replace"))
        return " ".join(clauses)

    def _private_copy(self) -> Path:
        # Python never unloads piper's instance, so a fresh load needs a file
        # of its own; it lives as long as the process.
        if self._private is None:
            folder = tempfile.mkdtemp(prefix=scratch_prefix("espeak"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            self._private = Path(folder) / self._library.name
            shutil.copyfile(self._library, self._private)
        return self._private

    def synthesize(
        self, identifier: str, text: str, rate: int
    ) -> tuple[np.ndarray, int, list[_SynthEvent]]:
        """Speak ``text`` with a freshly loaded espeak-ng.

        Returns int16 samples, their sample rate and the word, phoneme and
        clause-end events.
        """
        data = text.encode()
        collector = _Collector()
        callback = _SynthCallback(collector)
        with _SYNTH_LOCK:
            try:
                lib = _bind(ctypes.CDLL(str(self._private_copy())))
            except OSError as exc:
                raise AudioError(f"espeak-ng could not be loaded: {exc}") from exc
            try:
                sample_rate = lib.espeak_Initialize(
                    _AUDIO_OUTPUT_SYNCHRONOUS,
                    0,
                    self._data_dir.encode(),
                    _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA,
                )
                if sample_rate <= 0:
                    raise AudioError(f"espeak-ng could not start with its data in {self._data_dir}")
                lib.espeak_SetSynthCallback(callback)
                if lib.espeak_SetVoiceByName(identifier.encode()) != 0:
                    raise AudioError(f"espeak-ng could not load voice '{identifier}'")
                lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
                status = lib.espeak_Synth(
                    data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
                lib.espeak_Terminate()
            finally:
                _ctypes.dlclose(lib._handle)
        if status != 0:
            raise AudioError(f"espeak-ng failed (status {status}) on {excerpt(text)}")
        chunks = collector.chunks
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return samples, int(sample_rate), collector.events


@functools.cache
def espeak() -> Espeak:
    """The shared espeak-ng library (loaded on first use)."""
    return Espeak()


def espeak_languages() -> list[str]:
    """Every language code and voice name the ``espeak:VOICE`` form accepts."""
    return list(espeak().voices)


class EspeakVoice:
    """An espeak-ng voice, e.g. ``espeak`` (American English) or ``espeak:en-gb``."""

    def __init__(self, voice: str = DEFAULT_ESPEAK_VOICE) -> None:
        self._espeak = espeak()
        self._identifier = self._espeak.resolve(voice)
        key = voice.strip().lower()
        self.name = "espeak" if key == DEFAULT_ESPEAK_VOICE else f"espeak:{key}"
        self.version = (
            f"espeak-ng {self._espeak.version} ({self._identifier}); "
            f"piper-tts {metadata.version('piper-tts')}; voice {VOICE_VERSION}"
        )
        self.sample_rate = self._espeak.sample_rate

    def speak(self, text: str, speed: float = 1.0) -> Narration:
        """Speak ``text``; see ``Voice.speak``."""
        return narrate(text, speed, self.sample_rate, self._speak_sentence)

    def _speak_sentence(self, sentence: Sentence, speed: float) -> SpokenSentence:
        rate = min(_MAX_RATE, max(_MIN_RATE, round(_NORMAL_RATE * speed)))
        samples, sample_rate, events = self._espeak.synthesize(
            self._identifier, sentence.text, rate
        )
        if sample_rate != self.sample_rate:
            raise AudioError(f"espeak-ng spoke at {sample_rate} Hz, not {self.sample_rate} Hz")
        stream: list[TimedPhoneme] = []
        anchors: list[tuple[int, int]] = []
        for event in events:
            if event.kind == _EVENT_WORD:
                word = _word_at(sentence, event.text_position - 1)
                if word is not None:
                    anchors.append((word, len(stream)))
            elif event.kind == _EVENT_PHONEME:
                stream.append(TimedPhoneme(event.phoneme, self._sample(event.audio_ms), 0))
        # A phoneme lasts until the next one or the end of its clause.
        last = len(samples)
        ends = sorted({self._sample(e.audio_ms) for e in events if e.kind == _EVENT_END} | {last})
        timed = []
        for i, phoneme in enumerate(stream):
            next_start = stream[i + 1].start if i + 1 < len(stream) else last
            clause_end = next((b for b in ends if b > phoneme.start), last)
            end = max(min(next_start, clause_end), phoneme.start)
            timed.append(TimedPhoneme(phoneme.symbol, phoneme.start, end))
        word_phonemes = [self._espeak.phonemize(self._identifier, w.text) for w in sentence.words]
        spans = align_words(word_phonemes, timed, anchors)
        audio = samples.astype(np.float32) / 32768.0
        return SpokenSentence(audio, spans)

    def _sample(self, ms: int) -> int:
        return ms * self.sample_rate // 1000


def _word_at(sentence: Sentence, char_index: int) -> int | None:
    """Index of the word at or after a character position of the sentence."""
    for index, word in enumerate(sentence.words):
        if char_index < word.end:
            return index
    return None
