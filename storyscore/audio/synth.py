"""Music synthesis: a score's MIDI rendered through a SoundFont to stereo samples.

The renderer is ``midirenderer`` (a Rust SoundFont synthesiser, no other
dependencies), which writes 16-bit stereo WAV at 48 kHz and stops at the MIDI
file's end-of-track. So that the last notes ring out instead of being cut, the
MIDI's end is pushed back by a release tail before rendering. The default
SoundFont is ``TimGM6mb.sf2``, the small General MIDI font shipped inside the
``pretty-midi`` package.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import itertools
import math
import wave
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from storyscore.audio.fontsubset import FontLayoutError, cut_font, programs_of
from storyscore.audio.midi import Event, Song, TempoMap, is_note_off, is_note_on, notes
from storyscore.errors import AudioError

if TYPE_CHECKING:
    from storyscore.diagnostics import SourceSpan

SAMPLE_RATE = 48000
"""Sample rate of every audio buffer the mixer works with."""

RELEASE_TAIL = 2.0
"""Seconds rendered past the MIDI's end so the last notes decay naturally."""

WINDOW = 60.0
"""Seconds of score a long piece is synthesised in at a time (see ``midi_windows``)."""

DEFAULT_SOUNDFONT_NAME = "TimGM6mb.sf2"
_PEDAL_GRACE = 1.0  # seconds of controller events kept after a window's last note ends

_INSTALL_HINT = "install the audio extra: pip install midirenderer mido pretty-midi"
_DEFAULT_TEMPO = 500_000  # microseconds per beat: MIDI's 120 bpm when no tempo is set


def default_soundfont() -> Path:
    """The bundled General MIDI SoundFont (``TimGM6mb.sf2`` from pretty-midi).

    Found through the package's import spec, so pretty-midi itself is never
    imported. Raises ``AudioError`` when pretty-midi is not installed.
    """
    spec = importlib.util.find_spec("pretty_midi")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        candidate = Path(folder) / DEFAULT_SOUNDFONT_NAME
        if candidate.is_file():
            return candidate
    raise AudioError(
        f"the bundled SoundFont {DEFAULT_SOUNDFONT_NAME} was not found",
        hint="install it with: pip install pretty-midi, or set `soundfont` to a .sf2 file",
    )


HEADER_BYTES = 36
"""How much of a file ``soundfont_problem`` reads: the RIFF header and the version."""


def soundfont_problem(header: bytes) -> str | None:
    """Why a file whose first ``HEADER_BYTES`` are ``header`` is no SoundFont the
    synthesiser can play; None when it is a SoundFont 2 (a RIFF ``sfbk`` file whose
    ``ifil`` version is 2). A SoundFont 3 has the same header but Ogg-compressed
    samples, which the synthesiser cannot read."""
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        return "not a SoundFont 2 file"
    if header[24:28] == b"ifil" and len(header) >= 34:
        major = int.from_bytes(header[32:34], "little")
        if major != 2:
            return f"a SoundFont {major} file (compressed), which the synthesiser cannot play"
    return None


def load_soundfont(path: Path, span: SourceSpan | None = None) -> bytes:
    """Read a SoundFont file after checking that it is one (a RIFF ``sfbk`` file).

    Raises ``AudioError`` naming the file, with ``span`` attached, when the
    file is missing, unreadable or not a SoundFont 2. The last file read is
    kept while it is unchanged: an installed General MIDI font is 150 MB and
    a story's music is synthesised in several parts.
    """
    check_soundfont(path, span)
    try:
        stat = path.stat()
        return _read_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)
    except OSError as exc:
        raise _unreadable(path, exc, span) from None


def check_soundfont(path: Path, span: SourceSpan | None = None) -> None:
    """Raise ``AudioError`` naming the file, with ``span`` attached, unless ``path``
    is a readable SoundFont 2 (only its header is read)."""
    try:
        with path.open("rb") as stream:
            header = stream.read(HEADER_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc, span) from None
    problem = soundfont_problem(header)
    if problem == "not a SoundFont 2 file":
        raise AudioError(
            f"'{path}' is not a SoundFont 2 file (expected a RIFF 'sfbk' header)",
            span,
            hint="give a .sf2 file",
        )
    if problem is not None:
        raise AudioError(f"'{path}' is {problem}", span,
                         hint="give a .sf2 file (Debian and Ubuntu: sudo apt install "
                              "fluid-soundfont-gm)")


def _unreadable(path: Path, exc: OSError, span: SourceSpan | None) -> AudioError:
    """The error for a SoundFont file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return AudioError(f"SoundFont file '{path}' does not exist", span)
    if isinstance(exc, IsADirectoryError):
        return AudioError(f"SoundFont '{path}' is a folder, not a .sf2 file", span)
    return AudioError(f"cannot read SoundFont file '{path}': {exc.strerror}", span)


def font_for(path: Path, midi: bytes, span: SourceSpan | None = None) -> bytes:
    """The SoundFont bytes to play ``midi`` with: the file cut down to the presets the
    MIDI can reach (``fontsubset``), which plays the same samples in a fraction of
    the memory; the whole file when it cannot be cut."""
    check_soundfont(path, span)
    try:
        return cut_font(path, programs_of(midi))
    except FontLayoutError:
        return load_soundfont(path, span)
    except OSError as exc:
        raise _unreadable(path, exc, span) from None


@functools.lru_cache(maxsize=1)
def _read_cached(path: Path, mtime_ns: int, size: int) -> bytes:
    """The bytes of ``path``; the modification time and size make a changed file read anew."""
    return path.read_bytes()


def release_soundfont() -> None:
    """Let go of the SoundFont kept by ``load_soundfont`` (150 MB for Fluid R3) once the
    music is played, so the rest of a render does not carry it."""
    _read_cached.cache_clear()


def render_midi(
    midi: bytes | Path,
    soundfont: Path | None = None,
    sample_rate: int = SAMPLE_RATE,
    *,
    tail: float = RELEASE_TAIL,
    span: SourceSpan | None = None,
) -> np.ndarray:
    """Render a Standard MIDI File to float32 stereo samples of shape ``(n, 2)``.

    ``midi`` is the file's bytes or its path; ``soundfont`` defaults to
    ``default_soundfont()``. The result lasts the MIDI's duration plus
    ``tail`` seconds of release. Rendering is deterministic. Raises
    ``AudioError`` (with ``span``) for a bad SoundFont or MIDI file.
    """
    if sample_rate <= 0:
        raise AudioError(f"sample rate must be positive, not {sample_rate}", span)
    if tail < 0:
        raise AudioError(f"release tail must not be negative, not {tail}", span)
    try:
        import midirenderer
    except ImportError as exc:
        raise AudioError("music synthesis needs midirenderer", span, hint=_INSTALL_HINT) from exc
    font_path = soundfont or default_soundfont()
    check_soundfont(font_path, span)
    if isinstance(midi, Path):
        try:
            data = midi.read_bytes()
        except OSError as exc:
            raise AudioError(f"cannot read MIDI file '{midi}': {exc.strerror}", span) from exc
    else:
        data = midi
    extended = _with_tail(data, tail, span)
    song = Song.read(extended, span)
    if not any(is_note_on(message) for events in song.tracks for _, message in events):
        # midirenderer crashes the process (SIGSEGV) on a file without notes, such as a
        # silent scene's; its sound is silence as long as the file.
        return np.zeros((int(TempoMap(song).seconds(song.end()) * sample_rate), 2), np.float32)
    font = font_for(font_path, extended, span)
    try:
        wav = midirenderer.render_wave_from(font, extended)
    except (RuntimeError, ValueError) as exc:
        raise AudioError(f"cannot render the music: {exc}", span) from exc
    audio, rate = _decode_wav(wav)
    if rate != sample_rate:
        audio = _resample(audio, rate, sample_rate)
    return audio


def midi_windows(midi: bytes, window: float = WINDOW, sample_rate: int = SAMPLE_RATE,
                 span: SourceSpan | None = None, cuts: Sequence[float] = ()
                 ) -> Iterator[tuple[int, bytes]]:
    """The score cut into time windows to synthesise one at a time: ``(offset, midi)`` pairs.

    ``offset`` is the sample at which the window's rendering starts in the
    whole. A window starts at each of ``cuts`` (seconds: a story's scene
    changes, so that a scene whose notes did not change is the same window
    after an edit) and every ``window`` seconds after it. Each window holds
    the notes that start in it (with their ends, however late), the tempo,
    program and controller state in force at its start (moved to its first
    tick) and the tempo and controller events up to a second after its last
    note, so a note sounds as in the whole score; rendered with their release
    tails and overlap-added (``stream.overlap_add``) the windows make the
    piece, while the synthesiser holds one window at a time. A score no
    longer than ``window`` and not cut is one window, the file itself.
    Windows without notes are left out.
    """
    song = Song.read(midi, span)
    tempo = TempoMap(song)
    end = song.end()
    bounds = _window_bounds(tempo, end, window, cuts)
    if len(bounds) == 2 or (tempo.seconds(end) <= window and not cuts):
        yield 0, midi
        return
    pairs = [notes(events) for events in song.tracks]
    for first, last in itertools.pairwise(bounds):
        kept: list[set[int]] = []
        stop = first
        for events, track_pairs in zip(song.tracks, pairs, strict=True):
            chosen = {i for on, off in track_pairs if first <= events[on][0] < last
                      for i in (on, off)}
            stop = max([stop, *(events[i][0] for i in chosen)])
            kept.append(chosen)
        if not any(kept):
            continue
        # The last window runs to the song's end, as the whole would; the others a
        # little past their last note, for the pedal lifted after it.
        stop = end if last > end else stop + math.ceil(
            tempo.ticks_per_second(stop) * _PEDAL_GRACE)
        tracks = [_window_events(events, chosen, first, last, stop)
                  for events, chosen in zip(song.tracks, kept, strict=True)]
        yield round(tempo.seconds(first) * sample_rate), Song(song.ticks_per_beat, tracks).write()


def _window_bounds(tempo: TempoMap, end: int, window: float, cuts: Sequence[float]
                   ) -> list[int]:
    """The ticks where windows start, then ``end + 1``: each cut (on the tick where
    the humaniser keeps a scene change) and every ``window`` seconds after it."""
    cut_ticks = {round(tempo.ticks(cut)) for cut in cuts}
    starts = sorted({0} | {tick for tick in cut_ticks if 0 < tick <= end})
    bounds: list[int] = []
    for piece, following in itertools.pairwise([*starts, end + 1]):
        origin, count, tick = tempo.seconds(piece), 0, piece
        while tick < following:
            bounds.append(tick)
            count += 1
            tick = math.ceil(tempo.ticks(origin + count * window))
    return [*bounds, end + 1]


def _window_events(events: list[Event], chosen: set[int], first: int, last: int,
                   stop: int) -> list[Event]:
    """One track's events for the window ``[first, last)``: the ``chosen`` notes, the
    sounding state in force at ``first`` (at tick 0), the other events up to ``last``
    and the tempo and controller events up to ``stop``, shifted.

    Only what changes the sound is carried from before ``first`` and after
    ``last`` (not a program change that no note of the window hears, nor names
    and signatures), and a setting the window sets again on its first tick is
    not carried: a window then depends on its neighbours only where they are heard.
    """
    import mido  # type: ignore[import-untyped, unused-ignore]

    state: dict[tuple[Any, ...], tuple[int, Any]] = {}
    body: list[Event] = []
    for index, (tick, message) in enumerate(events):
        if is_note_on(message) or is_note_off(message):
            if index in chosen:
                body.append((tick - first, message))
        elif message.type == "end_of_track":
            continue
        elif not _sounding(message):
            if first <= tick < last:
                body.append((tick - first, message))
        elif tick < first:
            # Only the latest value of each setting matters at the window's start.
            state[_setting(message)] = (index, message)
        elif tick < last or (tick <= stop and message.type != "program_change"):
            body.append((tick - first, message))
    again = {_setting(message) for tick, message in body if tick == 0 and _sounding(message)}
    before = [(0, message) for _, message in sorted(state.values(), key=lambda item: item[0])
              if _setting(message) not in again]
    return [*before, *body, (stop - first, mido.MetaMessage("end_of_track"))]


def _sounding(message: Any) -> bool:
    """Whether an event other than a note changes how the music sounds (a channel
    message or a tempo; not a name, a signature or a marker)."""
    return hasattr(message, "channel") or message.type == "set_tempo"


def _setting(message: Any) -> tuple[Any, ...]:
    """What a non-note event sets: a later event with the same key replaces it."""
    if message.type == "control_change":
        return (message.type, message.channel, message.control)
    if hasattr(message, "channel"):
        return (message.type, message.channel)
    return (message.type,)


def _with_tail(midi: bytes, tail: float, span: SourceSpan | None) -> bytes:
    """The MIDI file with its end-of-track moved ``tail`` seconds later."""
    try:
        import mido  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise AudioError("music synthesis needs mido", span, hint=_INSTALL_HINT) from exc
    try:
        song = mido.MidiFile(file=io.BytesIO(midi))
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise AudioError(f"not a readable MIDI file: {exc}", span) from exc
    if song.type == 2:
        raise AudioError("MIDI files of type 2 (independent songs) cannot be rendered", span)
    if not song.tracks or tail == 0:
        return midi
    # The tail is measured in the tempo in force at the end of the song.
    tempo_changes = []
    for track in song.tracks:
        ticks = 0
        for message in track:
            ticks += message.time
            if message.type == "set_tempo":
                tempo_changes.append((ticks, message.tempo))
    tempo = max(tempo_changes, key=lambda change: change[0])[1] if tempo_changes else _DEFAULT_TEMPO
    tail_ticks = math.ceil(tail * 1e6 / tempo * song.ticks_per_beat)
    longest = max(song.tracks, key=lambda track: sum(message.time for message in track))
    if longest and longest[-1].type == "end_of_track":
        longest[-1] = longest[-1].copy(time=longest[-1].time + tail_ticks)
    else:
        longest.append(mido.MetaMessage("end_of_track", time=tail_ticks))
    out = io.BytesIO()
    song.save(file=out)
    return out.getvalue()


def _decode_wav(wav: bytes) -> tuple[np.ndarray, int]:
    """Float32 stereo samples and the rate of the renderer's 16-bit PCM WAV."""
    try:
        with wave.open(io.BytesIO(wav)) as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"the synthesiser returned unreadable audio: {exc}") from exc
    if width != 2 or channels not in (1, 2):
        raise AudioError(f"the synthesiser returned {channels}-channel {8 * width}-bit audio")
    samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels)
    audio = samples.astype(np.float32)
    audio /= np.float32(32768.0)
    if channels == 1:
        audio = np.repeat(audio, 2, axis=1)
    return np.ascontiguousarray(audio), rate


def _resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling of ``(n, channels)`` audio between integer rates."""
    from scipy.signal import resample_poly  # type: ignore[import-untyped, unused-ignore]

    divisor = math.gcd(rate, target)
    out = resample_poly(audio, target // divisor, rate // divisor, axis=0)
    return np.ascontiguousarray(out, dtype=np.float32)
