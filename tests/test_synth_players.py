"""Synthesis on every CPU: the families played side by side give the same samples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conftest import make_midi
from storyscore.audio import room
from storyscore.audio.players import Players
from storyscore.audio.room import RoomSpan, render_in_room, split_families
from storyscore.audio.synth import render_midi
from storyscore.errors import AudioError

HARP, FLUTE, BASS = 46, 73, 32
TRIO = [(0, 72, 0.0, 2.0), (1, 60, 0.0, 2.0), (1, 64, 1.0, 1.0), (2, 36, 0.0, 2.0)]
TRIO_PROGRAMS = {0: FLUTE, 1: HARP, 2: BASS}


def test_the_room_is_the_same_bytes_with_workers_and_without() -> None:
    midi = make_midi(TRIO, programs=TRIO_PROGRAMS)
    spans = [RoomSpan(0.0, 1.0, 0.2), RoomSpan(1.0, 3.0, 0.9)]
    alone = render_in_room(midi, None, spans, workers=0)
    side_by_side = render_in_room(midi, None, spans, workers=2)
    assert alone.tobytes() == side_by_side.tobytes()


def test_workers_play_every_part_after_the_first_in_order() -> None:
    stems = list(split_families(make_midi(TRIO, programs=TRIO_PROGRAMS)).values())
    assert len(stems) == 3
    with Players(None, tail=0.5, workers=2) as players:
        played = list(players.play(stems))
        assert players.played_apart == 2
    for audio, stem in zip(played, stems, strict=True):
        assert audio.tobytes() == render_midi(stem, tail=0.5).tobytes()


def test_a_part_a_worker_cannot_play_fails_as_it_would_here() -> None:
    good = make_midi(TRIO, programs=TRIO_PROGRAMS)
    with pytest.raises(AudioError) as here:
        render_midi(b"not a MIDI file", tail=0.5)
    with Players(None, tail=0.5, workers=1) as players, pytest.raises(AudioError) as apart:
        list(players.play([good, b"not a MIDI file"]))
    assert str(apart.value) == str(here.value)
    assert players.played_apart == 0


def test_without_workers_everything_is_played_here() -> None:
    stems = list(split_families(make_midi(TRIO, programs=TRIO_PROGRAMS)).values())
    with Players(None, tail=0.5, workers=0) as players:
        played = list(players.play(stems))
    assert players.played_apart == 0
    assert np.array_equal(played[1], render_midi(stems[1], tail=0.5))


def test_by_default_a_short_score_is_played_here_and_a_long_one_side_by_side(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int | None] = []

    class Asked(Players):
        def __init__(self, *args: Any, workers: int | None = None, **kwargs: Any) -> None:
            asked.append(workers)
            super().__init__(*args, workers=workers, **kwargs)

    monkeypatch.setattr(room, "Players", Asked)
    midi = make_midi(TRIO, programs=TRIO_PROGRAMS)  # two seconds
    spans = [RoomSpan(0.0, 3.0, 0.5)]
    here = render_in_room(midi, None, spans)
    monkeypatch.setattr(room, "PLAY_APART_SECONDS", 1.0)
    apart = render_in_room(midi, None, spans)
    assert asked == [0, None]  # None: one worker a CPU, after this process's own
    assert here.tobytes() == apart.tobytes()
