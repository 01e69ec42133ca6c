"""The music played a scene at a time: windows cut at the scene changes, each kept by
its own MIDI, so an edit plays only the scenes whose notes changed, and the room's
reverb runs over the joined windows, so the samples are the same bytes whichever
windows came from the store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from conftest import make_midi
from storyscore.audio import room
from storyscore.audio.midi import Song
from storyscore.audio.room import RoomSpan, render_in_room
from storyscore.audio.synth import SAMPLE_RATE, midi_windows

HARP, FLUTE, BASS = 46, 73, 32
PROGRAMS = {0: FLUTE, 1: HARP, 2: BASS}
CUTS = (2.0, 4.0)  # seconds: three scenes of a 4/4 bar each at 120 bpm
SPANS = [RoomSpan(0.0, 2.0, 0.2), RoomSpan(2.0, 4.0, 0.8), RoomSpan(4.0, 6.0, 0.4)]


def trio(middle_pitch: int = 76) -> list[tuple[int, int, float, float]]:
    """Three bars: a flute line (its second bar's first note ``middle_pitch``), harp
    chords on every beat, moving between two positions, and a held bass note in each bar.

    The harp moves: the synthesiser handles a key struck again while its last
    stroke still rings (a voice in release) by voices it holds, which a window
    does not hold from the window before, so the same chord struck on every beat
    across a cut sounds up to 5 dB apart from the whole for a second (the bench
    story's music, the composer's, differs by 0.2 dB at most a second).
    """
    notes = [(0, 72 + (i % 4), i / 2, 0.5) for i in range(24)]
    notes[8] = (0, middle_pitch, 4.0, 0.5)
    notes += [(1, pitch + 2 * (beat % 2), float(beat), 1.0) for beat in range(12)
              for pitch in (60, 64)]
    notes += [(2, 36 + bar, 4.0 * bar, 4.0) for bar in range(3)]
    return notes


class MemoryStore:
    """A ``room.WindowStore`` in a dictionary, counting what it gives and takes."""

    def __init__(self) -> None:
        self.kept: dict[str, np.ndarray] = {}
        self.found = self.played = 0

    def load(self, identity: Mapping[str, Any]) -> np.ndarray | None:
        sums = self.kept.get(json.dumps(identity, sort_keys=True))
        return None if sums is None else sums.copy()

    def save(self, identity: Mapping[str, Any], sums: np.ndarray) -> None:
        self.kept[json.dumps(identity, sort_keys=True)] = sums.copy()


def test_windows_start_at_the_cuts_and_every_window_after_them() -> None:
    midi = make_midi(trio(), programs=PROGRAMS)
    offsets = [offset for offset, _ in midi_windows(midi, cuts=CUTS)]
    assert offsets == [0, 2 * SAMPLE_RATE, 4 * SAMPLE_RATE]
    # A scene longer than the window is cut again a window after its start.
    offsets = [offset for offset, _ in midi_windows(midi, window=1.5, cuts=(2.0,))]
    assert offsets == [0, round(1.5 * SAMPLE_RATE), 2 * SAMPLE_RATE,
                       round(3.5 * SAMPLE_RATE), 5 * SAMPLE_RATE]
    # Without cuts a short score is one window: the file itself.
    assert list(midi_windows(midi)) == [(0, midi)]


def test_a_window_carries_what_sounds_and_nothing_its_neighbours_set_unheard() -> None:
    midi = make_midi(trio(), programs=PROGRAMS)
    parts = [part for _, part in midi_windows(midi, cuts=CUTS)]
    for part in parts:
        song = Song.read(part)
        kinds = {message.type for events in song.tracks for _, message in events}
        assert {"set_tempo", "program_change", "note_on"} <= kinds
    # The second and third bars differ only in their notes' pitches (the same
    # rhythm), so apart from the notes their windows are the same events.
    changed = [part for _, part in midi_windows(make_midi(trio(77), programs=PROGRAMS),
                                                 cuts=CUTS)]
    assert changed[0] == parts[0]
    assert changed[2] == parts[2]
    assert changed[1] != parts[1]


@pytest.fixture(scope="module")
def whole() -> np.ndarray:
    """The trio played as one window (no cuts), as a score without scenes is."""
    return render_in_room(make_midi(trio(), programs=PROGRAMS), None, SPANS, workers=0)


def test_a_stored_window_is_read_not_played_and_the_music_is_the_same_bytes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    midi = make_midi(trio(), programs=PROGRAMS)
    played: list[bytes] = []
    play_window = room.play_window

    def counted(part: bytes, *args: Any) -> Any:
        played.append(part)
        return play_window(part, *args)

    monkeypatch.setattr(room, "play_window", counted)
    store = MemoryStore()
    cold = render_in_room(midi, None, SPANS, workers=0, cuts=CUTS, store=store)
    assert (store.played, store.found, len(played)) == (3, 0, 3)
    warm = render_in_room(midi, None, SPANS, workers=0, cuts=CUTS, store=store)
    assert (store.played, store.found, len(played)) == (3, 3, 3)
    assert warm.tobytes() == cold.tobytes()
    # One scene's notes changed: that window alone is played; the room's reverb,
    # run over the joined windows, answers as it does with nothing stored.
    edited_midi = make_midi(trio(77), programs=PROGRAMS)
    edited = render_in_room(edited_midi, None, SPANS, workers=0, cuts=CUTS, store=store)
    assert (store.played, store.found, len(played)) == (4, 5, 4)
    unstored = render_in_room(edited_midi, None, SPANS, workers=0, cuts=CUTS)
    assert edited.tobytes() == unstored.tobytes()
    assert edited.tobytes() != cold.tobytes()


def frame_levels(audio: np.ndarray, seconds: float = 0.1) -> np.ndarray:
    """The level in dB of each ``seconds`` of ``audio``."""
    frame = round(seconds * SAMPLE_RATE)
    count = len(audio) // frame
    energy = (audio[: count * frame].astype(np.float64) ** 2).sum(axis=1)
    return np.asarray(10 * np.log10(energy.reshape(count, frame).mean(axis=1) + 1e-12))


def test_scene_windows_sound_as_the_whole_score_does(whole: np.ndarray) -> None:
    midi = make_midi(trio(), programs=PROGRAMS)
    cut = render_in_room(midi, None, SPANS, workers=0, cuts=CUTS)
    assert abs(len(cut) - len(whole)) < SAMPLE_RATE // 10
    length = min(len(cut), len(whole))
    # The same notes at the same times (a note ringing past its window's end is
    # played whole by that window, and the reverb runs over the joined windows);
    # the waveforms differ only in the synthesiser's phases, the level follows.
    a, b = frame_levels(whole[:length]), frame_levels(cut[:length])
    sounding = a > a.max() - 50
    assert np.abs(a - b)[sounding].max() < 1.5
    assert np.median(np.abs(a - b)[sounding]) < 0.3
