"""A room for the music: a small-hall reverb fed by per-instrument-family sends.

The score is split by General MIDI program into three families and each is
synthesised on its own: ``bright`` (piano, harp, bells, string and choir
ensembles, pads) sends most to the room, ``middle`` (winds, brass, solo
strings, guitars, organ) less, and ``low`` (basses, cello, timpani, drums)
little, so the bass stays firm and the arpeggios bloom. The dry families are
summed; their sends, scaled over time by how wet each stretch of the story
should be (``RoomSpan``, glided across boundaries), go through one reverb
(pedalboard's, after a short pre-delay) added on top. Narration never enters
the room: it is mixed afterwards.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from storyscore.audio.midi import Event, Song, TempoMap, is_note_off, is_note_on
from storyscore.audio.players import Players
from storyscore.audio.stream import BLOCK, overlap_add
from storyscore.audio.stream import spans as blocks_of
from storyscore.audio.synth import (
    RELEASE_TAIL,
    SAMPLE_RATE,
    WINDOW,
    midi_windows,
    release_soundfont,
    render_midi,
)
from storyscore.errors import AudioError

if TYPE_CHECKING:
    from storyscore.diagnostics import SourceSpan

FAMILIES = ("bright", "middle", "low")

PLAY_APART_SECONDS = 30.0
"""A score at least this long has its families played side by side by default: for a
shorter one, starting a worker process takes longer than it saves."""
DRUM_CHANNEL = 9

_BRIGHT = {*range(16), 46, *range(48, 55), *range(88, 96)}
_LOW = {*range(32, 40), 42, 43, 47, 58}  # basses, cello, contrabass, timpani, tuba


def family(program: int, channel: int = 0) -> str:
    """The send family of a General MIDI ``program`` (0-127) on ``channel``."""
    if channel == DRUM_CHANNEL or program in _LOW:
        return "low"
    return "bright" if program in _BRIGHT else "middle"


@dataclass(frozen=True)
class RoomSpan:
    """How wet one stretch of the music is: ``amount`` 0 (driest) to 1 (wettest)."""

    start: float
    end: float
    amount: float


@dataclass(frozen=True)
class Room:
    """The room's character and how much each family sends to it.

    ``send_db`` is the send level at amount 0 and at amount 1; each family's
    ``family_db`` is added to it. ``glide`` is how long, in seconds, the
    amount takes to move from one span's to the next, centred on the change.
    """

    room_size: float = 0.65  # RT60 about 1.5 s: a small hall
    damping: float = 0.5
    width: float = 0.9
    predelay: float = 0.02
    send_db: tuple[float, float] = (-22.0, -10.0)
    family_db: Mapping[str, float] = field(
        default_factory=lambda: {"bright": 0.0, "middle": -4.0, "low": -14.0})
    glide: float = 3.0


def split_families(midi: bytes, span: SourceSpan | None = None) -> dict[str, bytes]:
    """The score as one MIDI file per family that has notes, each the full length.

    Every file keeps all tempo, program and controller events, so each family
    plays exactly as it did in the whole; only the other families' notes are
    left out. A note belongs to the family of its channel's program when it
    starts.
    """
    song = Song.read(midi, span)
    owners = [_note_families(events) for events in song.tracks]
    stems: dict[str, bytes] = {}
    for name in FAMILIES:
        if not any(name in owner.values() for owner in owners):
            continue
        tracks = [
            [event for index, event in enumerate(events) if owner.get(index, name) == name]
            for events, owner in zip(song.tracks, owners, strict=True)
        ]
        stems[name] = Song(song.ticks_per_beat, tracks).write()
    return stems


def _note_families(events: list[Event]) -> dict[int, str]:
    """The family of each note event (by index) in one track; other events are absent."""
    program = dict.fromkeys(range(16), 0)
    sounding: dict[tuple[int, int], list[str]] = {}
    owner: dict[int, str] = {}
    for index, (_, message) in enumerate(events):
        if message.type == "program_change":
            program[message.channel] = message.program
        elif is_note_on(message):
            name = family(program[message.channel], message.channel)
            sounding.setdefault((message.channel, message.note), []).append(name)
            owner[index] = name
        elif is_note_off(message):
            started = sounding.get((message.channel, message.note))
            owner[index] = (started.pop(0) if started
                            else family(program[message.channel], message.channel))
    return owner


def render_in_room(
    midi: bytes,
    soundfont: Path | None,
    spans: Sequence[RoomSpan],
    room: Room | None = None,
    *,
    tail: float = RELEASE_TAIL,
    span: SourceSpan | None = None,
    window: float = WINDOW,
    workers: int | None = None,
    cuts: Sequence[float] = (),
    store: WindowStore | None = None,
) -> np.ndarray:
    """The score synthesised family by family and played in ``room``: float32 ``(n, 2)``.

    ``spans`` give the wetness over time (outside them the amount is 0.5).
    Deterministic: the same score gives the same samples. The blocks of
    ``room_blocks``, joined.
    """
    blocks = list(room_blocks(midi, soundfont, spans, room, tail=tail, span=span,
                              window=window, workers=workers, cuts=cuts, store=store))
    return np.concatenate(blocks) if blocks else np.zeros((0, 2), dtype=np.float32)


def room_blocks(
    midi: bytes,
    soundfont: Path | None,
    spans: Sequence[RoomSpan],
    room: Room | None = None,
    *,
    tail: float = RELEASE_TAIL,
    span: SourceSpan | None = None,
    window: float = WINDOW,
    workers: int | None = None,
    cuts: Sequence[float] = (),
    store: WindowStore | None = None,
) -> Iterator[np.ndarray]:
    """The score in ``room`` as consecutive float32 ``(m, 2)`` blocks, start to end.

    The score is synthesised ``window`` seconds at a time (see
    ``synth.midi_windows``), each window family by family (the families side
    by side in ``workers`` processes besides this one; default: one fewer than
    the CPUs, none for a score shorter than ``PLAY_APART_SECONDS``); the
    windows' dry sums and sends are overlap-added, and the sends go through the
    room's reverb block by block with its state carried, so only about one
    window of samples is held whatever the length of the piece.

    Windows also start at ``cuts`` (a story's scene changes), and a ``store``
    keeps each window's dry sum and send by what decides them (the window's
    own MIDI, the tail, the families' sends): a window it has is read, not
    played. The reverb runs over the joined sends, never per window, so the
    room's state is the same whichever windows were played, and the samples
    are the same bytes with or without a store.
    """
    room = room or Room()
    reverb = _Reverb(room)
    start = 0
    if workers is None and _seconds(midi, span) < PLAY_APART_SECONDS:
        workers = 0
    windows = midi_windows(midi, window, SAMPLE_RATE, span, cuts)
    stitched = overlap_add(_window_stems(windows, soundfont, room, tail, span, workers, store), 4)
    for window_block in stitched:
        # The reverb's work buffers follow BLOCK, not the window.
        for lo, hi in blocks_of(len(window_block), BLOCK):
            dry, send = window_block[lo:hi, :2], window_block[lo:hi, 2:]
            send *= send_curve(spans, len(send), SAMPLE_RATE, room, start)[:, None]
            dry += reverb.process(send)
            start += hi - lo
            yield np.ascontiguousarray(dry)
    if start == 0:  # no notes at all
        yield render_midi(midi, soundfont, tail=tail, span=span)
    release_soundfont()


class WindowStore(Protocol):
    """Where the played windows of a score are kept between renders (a cache): each
    window's dry sum and send (float32, four channels) under ``identity``, everything
    about the window that decides them; ``found`` and ``played`` count the windows."""

    found: int
    played: int

    def load(self, identity: Mapping[str, Any]) -> np.ndarray | None: ...

    def save(self, identity: Mapping[str, Any], sums: np.ndarray) -> None: ...


def window_identity(part: bytes, room: Room, tail: float) -> dict[str, Any]:
    """What decides a window's dry sum and send besides the SoundFont: its MIDI, the
    release tail and each family's send."""
    return {"midi": hashlib.sha256(part).hexdigest(), "tail": tail,
            "family_db": {name: room.family_db[name] for name in FAMILIES}}


def _window_stems(windows: Iterator[tuple[int, bytes]], soundfont: Path | None, room: Room,
                  tail: float, span: SourceSpan | None, workers: int | None,
                  store: WindowStore | None) -> Iterator[tuple[int, np.ndarray]]:
    """Per window of the score, its offset and its dry sum and send (four channels),
    read from ``store`` when it has them, else played (``play_window``) and kept there."""
    with Players(soundfont, tail=tail, span=span, workers=workers) as players:
        for offset, part in windows:
            identity = window_identity(part, room, tail) if store is not None else {}
            sums = store.load(identity) if store is not None else None
            if sums is None:
                sums = play_window(part, players, room, span)
                if store is not None and sums is not None:
                    store.played += 1
                    store.save(identity, sums)
            elif store is not None:
                store.found += 1
            if sums is not None:
                yield offset, sums


def play_window(part: bytes, players: Players, room: Room, span: SourceSpan | None
                ) -> np.ndarray | None:
    """One window's dry sum and send (four channels), None when it has no notes.

    Its families are played side by side (``Players``: one a CPU) and summed in
    the same order as one after another, so the sums are the same bytes.
    """
    stems = split_families(part, span)
    sums: np.ndarray | None = None  # dry left, right, send left, right
    for name, audio in zip(stems, players.play(list(stems.values())), strict=True):
        if sums is None:
            sums = np.zeros((len(audio), 4), dtype=np.float32)
        length = min(len(audio), len(sums))
        sums[:length, :2] += audio[:length]
        audio *= np.float32(_gain(room.family_db[name]))
        sums[:length, 2:] += audio[:length]
        del audio
    return sums


def _seconds(midi: bytes, span: SourceSpan | None) -> float:
    """How long the score plays, to its last event."""
    song = Song.read(midi, span)
    return TempoMap(song).seconds(song.end())


def send_curve(spans: Sequence[RoomSpan], n: int, rate: int, room: Room,
               start: int = 0) -> np.ndarray:
    """The linear send gain (float32) of samples ``[start, start + n)``: each span's
    amount, gliding across boundaries.

    Each change of amount is a raised-cosine step ``room.glide`` seconds wide,
    centred on the boundary; only the samples inside a glide are computed apart.
    """
    for room_span in spans:
        if not 0.0 <= room_span.amount <= 1.0:
            raise AudioError(f"a room amount is between 0 and 1, not {room_span.amount}")
    ordered = sorted(spans, key=lambda s: s.start)
    amount = np.full(n, ordered[0].amount if ordered else 0.5, dtype=np.float64)
    stop = start + n
    for before, after in itertools.pairwise(ordered):
        change = after.amount - before.amount
        lo = max(start, math.floor((after.start - room.glide / 2) * rate))
        hi = min(stop, math.ceil((after.start + room.glide / 2) * rate) + 1)
        if hi > lo:
            position = np.clip((np.arange(lo, hi) / rate - after.start) / room.glide + 0.5,
                               0.0, 1.0)
            amount[lo - start : hi - start] += change * (0.5 - 0.5 * np.cos(np.pi * position))
        amount[max(hi, start) - start :] += change
    low, high = room.send_db
    amount *= (high - low) / 20.0
    amount += low / 20.0
    return np.power(10.0, amount, out=amount).astype(np.float32)


def reverberate(send: np.ndarray, room: Room) -> np.ndarray:
    """The room's answer to ``send`` (fully wet, the same length): float32 ``(n, 2)``."""
    return _Reverb(room).process(send)


class _Reverb:
    """The room's reverb (pedalboard's, after a pre-delay) fed block by block.

    Its state and the pre-delay's last samples carry from one block to the
    next, so the answer does not depend on how the send is cut.
    """

    def __init__(self, room: Room) -> None:
        try:
            import pedalboard  # type: ignore[import-untyped, unused-ignore]
        except ImportError as exc:
            raise AudioError("the music's room needs pedalboard",
                             hint="install it with: pip install pedalboard") from exc
        self._reverb = pedalboard.Reverb(room_size=room.room_size, damping=room.damping,
                                         wet_level=1.0, dry_level=0.0, width=room.width)
        self._reverb.reset()
        # pedalboard wants (channels, samples); the pre-delay is a shift of the input.
        self._delay = np.zeros((2, round(room.predelay * SAMPLE_RATE)), dtype=np.float32)

    def process(self, send: np.ndarray) -> np.ndarray:
        """The wet answer to the next ``(m, 2)`` block of the send."""
        line = np.concatenate([self._delay, send.T], axis=1)
        delayed = np.ascontiguousarray(line[:, : len(send)])
        self._delay = np.ascontiguousarray(line[:, len(send) :])
        wet = self._reverb.process(delayed, SAMPLE_RATE, reset=False)
        return np.asarray(wet, dtype=np.float32).T


def _gain(db: float) -> float:
    return math.pow(10.0, db / 20.0)
