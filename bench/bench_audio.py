"""Speed of the audio stages per minute of story: humanising, synthesis, the room,
mixing, fitting to AAC, subtitles; and the peak memory of doing them all.

Run: ``python bench/bench_audio.py [MINUTES]``. Builds a MIDI score of the
given length (default 1) for five instruments, fake narration (shaped noise
bursts, one sentence every few seconds, at a voice's 22.05 kHz), renders the
score with the best installed SoundFont (plainly, then in three family stems
through the room), mixes, codes the mix to AAC and back until its true peak
holds, and prints each stage's best of three runs with its ratio to real
time (above 1: faster than real time). The last line is the process's peak
resident memory, which is the audio stage's own: run it in a fresh process.
"""

from __future__ import annotations

import io
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import mido  # type: ignore[import-untyped, unused-ignore]
import numpy as np

from storyscore.audio.humanise import humanise
from storyscore.audio.mix import PlacedNarration, SceneGain, fit_codec, mix, write_wav
from storyscore.audio.room import RoomSpan, render_in_room
from storyscore.audio.soundfonts import choose_soundfont
from storyscore.audio.synth import render_midi
from storyscore.export.subtitles import SubtitleWord, TimedSentence, build_cues, to_srt
from storyscore.render import EncodeSettings
from storyscore.render.encode import aac_round_trip

REPEATS = 3
BPM = 96
VOICE_RATE = 22050
# (channel, General MIDI program, lowest pitch, beats per note, velocity)
PARTS = [(0, 0, 60, 0.5, 80), (1, 48, 48, 4.0, 60), (2, 73, 72, 1.0, 70), (3, 32, 36, 1.0, 90)]


def score(minutes: float) -> bytes:
    """A type-1 MIDI file: melody, string pads, flute, bass and a drum kit."""
    rng = np.random.default_rng(7)
    beats = minutes * BPM
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    song = mido.MidiFile(type=1, ticks_per_beat=480)
    song.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM))]))
    for channel, program, low, length, velocity in [*PARTS, (9, 0, 36, 0.5, 100)]:
        track = mido.MidiTrack([mido.Message("program_change", channel=channel, program=program)])
        ticks = round(length * 480)
        for _ in range(int(beats / length)):
            step = 0 if channel == 9 else scale[int(rng.integers(len(scale)))]
            pitch = low + step + (6 * int(rng.integers(2)) if channel == 9 else 0)
            track.append(mido.Message("note_on", channel=channel, note=pitch, velocity=velocity))
            track.append(mido.Message("note_off", channel=channel, note=pitch, time=ticks))
        song.tracks.append(track)
    out = io.BytesIO()
    song.save(file=out)
    return out.getvalue()


def spoken(minutes: float) -> Iterator[tuple[float, np.ndarray]]:
    """Sentences of shaped noise, one at a time: ``(start, samples)``; 3 s spoken,
    1.5 s pause."""
    rng = np.random.default_rng(3)
    start = 1.0
    while start + 3.0 < minutes * 60 - 1.5:
        t = np.arange(3 * VOICE_RATE) / VOICE_RATE
        syllables = np.abs(np.sin(np.pi * 4 * t)) ** 0.5
        yield start, (0.3 * rng.standard_normal(len(t)) * syllables).astype(np.float32)
        start += 4.5


def narration(minutes: float) -> tuple[list[PlacedNarration], list[TimedSentence]]:
    """``spoken``'s sentences placed in memory, 2.5 words a second."""
    placed, sentences = [], []
    for start, samples in spoken(minutes):
        placed.append(PlacedNarration(start, samples, VOICE_RATE, ((0.0, 3.0),)))
        words = tuple(
            SubtitleWord(f"word{i}," if i % 4 == 3 else f"word{i}", at, at + 0.35)
            for i, at in enumerate(start + 0.4 * np.arange(7))
        )
        sentences.append(TimedSentence(words))
    return placed, sentences


def best(run: Callable[[], object]) -> float:
    """Best wall time of ``REPEATS`` runs."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main(minutes: float) -> None:
    """Time each stage on ``minutes`` of story and print the ratios to real time."""
    seconds = minutes * 60
    midi = score(minutes)
    placed, sentences = narration(minutes)
    scenes = [
        SceneGain(i * 10.0, (i + 1) * 10.0, volume=0.6 if i % 3 == 1 else 1.0, silent=i % 3 == 2)
        for i in range(int(seconds // 10))
    ]
    rooms = [RoomSpan(i * 10.0, (i + 1) * 10.0, (i % 4) / 3) for i in range(int(seconds // 10))]
    boundaries = [i * 10.0 for i in range(1, int(seconds // 10))]
    soundfont = choose_soundfont(None)
    played = humanise(midi, 1, boundaries)
    render_midi(midi, soundfont.path)  # warm the lazy imports and the SoundFont's page cache
    music = render_in_room(played, soundfont.path, rooms)
    result = mix(music, placed, seconds, scenes)
    scratch = Path(tempfile.mkdtemp(prefix="bench-audio-"))

    def round_trip(audio: np.ndarray) -> np.ndarray:
        write_wav(scratch / "mix.wav", audio)
        return aac_round_trip(scratch / "mix.wav", EncodeSettings())

    fitted = fit_codec(result, round_trip)
    timings = {
        "humanise": best(lambda: humanise(midi, 1, boundaries)),
        "synthesis": best(lambda: render_midi(played, soundfont.path)),
        "in a room": best(lambda: render_in_room(played, soundfont.path, rooms)),
        "mix": best(lambda: mix(music, placed, seconds, scenes)),
        "fit to AAC": best(lambda: fit_codec(result, round_trip)),
        "subtitles": best(lambda: to_srt(build_cues(sentences))),
    }
    print(f"{minutes:g} min of story, {len(placed)} sentences, best of {REPEATS}; "
          f"SoundFont {soundfont.path.name}")
    for stage, taken in timings.items():
        print(f"{stage:10} {taken:7.3f} s   {seconds / taken:8.1f}x real time")
    # Plain synthesis is a baseline for the room, not a stage of its own.
    total = sum(taken for stage, taken in timings.items() if stage != "synthesis")
    print(f"{'total':10} {total:7.3f} s   {seconds / total:8.1f}x real time")
    print(
        f"mix: {result.loudness_lufs:.2f} LUFS, {result.true_peak_dbtp:.2f} dBTP, "
        f"gain {result.gain_db:+.1f} dB, limiter {result.limiter_db:.2f} dB; after AAC "
        f"{fitted.delivered_peak_dbtp:.2f} dBTP, {fitted.loudness_lufs:.2f} LUFS"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
