"""Music synthesis: SoundFont rendering of MIDI to 48 kHz stereo, tails, errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import mido  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pytest

from conftest import PIANO, ROOT, make_midi
from storyscore.audio.fontsubset import FontLayoutError, Programs, cut_font, programs_of
from storyscore.audio.synth import (
    SAMPLE_RATE,
    default_soundfont,
    font_for,
    load_soundfont,
    render_midi,
)
from storyscore.diagnostics import SourceSpan
from storyscore.errors import AudioError

STRINGS = 48
SPAN = SourceSpan("story.sco", 3, 11, 3, 30)


def midi_seconds(midi: bytes) -> float:
    return float(mido.MidiFile(file=io.BytesIO(midi)).length)


CHORD = [(0, 60, 0.0, 2.0), (0, 64, 0.0, 2.0), (0, 67, 0.0, 2.0)]
DUET = [(0, 60, 0.0, 1.0), (0, 62, 1.0, 1.0), (1, 48, 0.0, 2.0), (1, 55, 0.0, 2.0)]


def spectrum(audio: np.ndarray) -> np.ndarray:
    """Normalised magnitude spectrum of the mono sum, in 64 bands."""
    mono = audio.mean(axis=1)
    magnitude = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    bands = np.array([band.sum() for band in np.array_split(magnitude[: len(magnitude) // 4], 64)])
    normalised: np.ndarray = bands / bands.sum()
    return normalised


def test_renders_stereo_48k_with_release_tail() -> None:
    midi = make_midi(DUET, programs={0: PIANO, 1: STRINGS})
    audio = render_midi(midi, tail=1.0)
    assert audio.dtype == np.float32
    assert audio.ndim == 2
    assert audio.shape[1] == 2
    expected = (midi_seconds(midi) + 1.0) * SAMPLE_RATE
    assert abs(len(audio) - expected) <= SAMPLE_RATE * 0.005
    assert np.all(np.isfinite(audio))
    assert np.abs(audio).max() <= 1.0
    end = midi_seconds(midi)
    rms = float(np.sqrt(np.mean(audio[: int(end * SAMPLE_RATE)] ** 2)))
    assert rms > 1e-3, "the notes are not audible"
    # Strings ring past the note-off: the tail is not silence.
    after = audio[int((end + 0.05) * SAMPLE_RATE) : int((end + 0.3) * SAMPLE_RATE)]
    assert np.abs(after).max() > 1e-3


def test_tail_lengthens_by_the_tail_at_the_final_tempo() -> None:
    midi = make_midi(CHORD, bpm=90)
    short = render_midi(midi, tail=0.0)
    long = render_midi(midi, tail=1.5)
    assert abs(len(short) - midi_seconds(midi) * SAMPLE_RATE) <= SAMPLE_RATE * 0.005
    assert abs((len(long) - len(short)) - 1.5 * SAMPLE_RATE) <= SAMPLE_RATE * 0.005
    # Without a tail the sound is cut at the end; the tail lets it decay.
    np.testing.assert_array_equal(long[: len(short) // 2], short[: len(short) // 2])
    assert np.abs(long[-SAMPLE_RATE // 10 :]).max() < 0.1 * np.abs(long).max()


def test_deterministic() -> None:
    midi = make_midi(DUET, programs={0: PIANO, 1: STRINGS})
    np.testing.assert_array_equal(render_midi(midi), render_midi(midi))


def test_programs_sound_different() -> None:
    piano = render_midi(make_midi(CHORD, programs={0: PIANO}), tail=0.5)
    strings = render_midi(make_midi(CHORD, programs={0: STRINGS}), tail=0.5)
    difference = np.abs(spectrum(piano) - spectrum(strings)).sum()
    assert difference > 0.2
    # Same program, same notes: the same spectrum.
    again = render_midi(make_midi(CHORD, programs={0: PIANO}), tail=0.5)
    assert np.abs(spectrum(piano) - spectrum(again)).sum() < 1e-9


def test_accepts_a_path_and_other_rates(tmp_path: Path) -> None:
    path = tmp_path / "song.mid"
    path.write_bytes(make_midi(CHORD))
    at_48k = render_midi(path, tail=0.5)
    at_44k = render_midi(path, sample_rate=44100, tail=0.5)
    assert abs(len(at_44k) - len(at_48k) * 44100 / 48000) <= 2
    assert at_44k.shape[1] == 2
    assert at_44k.dtype == np.float32


def test_default_soundfont_is_a_soundfont() -> None:
    path = default_soundfont()
    assert path.name == "TimGM6mb.sf2"
    assert load_soundfont(path)[8:12] == b"sfbk"


def test_missing_soundfont_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sf2"
    with pytest.raises(AudioError) as info:
        render_midi(make_midi(CHORD), soundfont=missing, span=SPAN)
    assert info.value.message == f"SoundFont file '{missing}' does not exist"
    assert info.value.span == SPAN


def test_a_soundfont_3_is_refused_before_the_synthesiser_sees_it(tmp_path: Path) -> None:
    compressed = tmp_path / "general.sf3"
    compressed.write_bytes(b"RIFF\x00\x10\x00\x00sfbkLIST\x00\x01\x00\x00INFOifil"
                           b"\x04\x00\x00\x00\x03\x00\x01\x00")
    with pytest.raises(AudioError) as info:
        load_soundfont(compressed, SPAN)
    assert info.value.message == (
        f"'{compressed}' is a SoundFont 3 file (compressed), which the synthesiser cannot play")
    assert info.value.span == SPAN
    assert info.value.hint is not None
    assert ".sf2" in info.value.hint


def test_not_a_soundfont_names_the_file(tmp_path: Path) -> None:
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    with pytest.raises(AudioError) as info:
        load_soundfont(fake, SPAN)
    assert info.value.message == (
        f"'{fake}' is not a SoundFont 2 file (expected a RIFF 'sfbk' header)"
    )
    assert info.value.span == SPAN
    with pytest.raises(AudioError, match="is a folder"):
        load_soundfont(tmp_path)


def test_bad_midi_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not a readable MIDI file"):
        render_midi(b"this is not midi")
    with pytest.raises(AudioError, match="cannot read MIDI file"):
        render_midi(tmp_path / "absent.mid")


def test_single_track_midi_gets_its_tail_too() -> None:
    song = mido.MidiFile(file=io.BytesIO(make_midi(DUET, programs={0: PIANO, 1: STRINGS})))
    single = mido.MidiFile(type=0, ticks_per_beat=song.ticks_per_beat)
    single.tracks.append(mido.merge_tracks(song.tracks))
    out = io.BytesIO()
    single.save(file=out)
    audio = render_midi(out.getvalue(), tail=0.5)
    expected = (midi_seconds(out.getvalue()) + 0.5) * SAMPLE_RATE
    assert abs(len(audio) - expected) <= SAMPLE_RATE * 0.005


# ------------------------------------------------------------ the cut SoundFont

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
FONTS = [pytest.param(None, id="bundled"),
         pytest.param(FLUID, id="fluid", marks=pytest.mark.skipif(
             not FLUID.is_file(), reason="fluid-soundfont-gm is not installed"))]


def _band(events: list[tuple[int, mido.Message]]) -> bytes:
    """A type-1 file of one track per list of ``(tick, message)``, 480 ticks a beat."""
    song = mido.MidiFile(type=1, ticks_per_beat=480)
    by_channel: dict[int, list[tuple[int, mido.Message]]] = {}
    for tick, message in events:
        by_channel.setdefault(message.channel, []).append((tick, message))
    for channel_events in by_channel.values():
        track, now = mido.MidiTrack(), 0
        for tick, message in sorted(channel_events, key=lambda event: event[0]):
            track.append(message.copy(time=tick - now))
            now = tick
        song.tracks.append(track)
    out = io.BytesIO()
    song.save(file=out)
    return out.getvalue()


def _notes(channel: int, pitches: list[int], start: int = 0) -> list[tuple[int, mido.Message]]:
    out = []
    for n, pitch in enumerate(pitches):
        on = start + n * 240
        out += [(on, mido.Message("note_on", channel=channel, note=pitch, velocity=90)),
                (on + 600, mido.Message("note_off", channel=channel, note=pitch, velocity=0))]
    return out


# Piano that never chooses a program, strings and a bass chosen, a bank select the font
# does not have (so the synthesiser falls back), a harp whose program comes a beat after
# its first note, drums, and a flute on a channel that plays nothing.
BAND = _band([
    *_notes(0, [60, 64, 67, 72, 76]),
    (0, mido.Message("program_change", channel=1, program=STRINGS)),
    *_notes(1, [55, 59, 62, 67]),
    (0, mido.Message("control_change", channel=2, control=0, value=5)),
    (0, mido.Message("program_change", channel=2, program=33)),
    *_notes(2, [36, 43, 31]),
    *_notes(3, [79, 83, 86]),
    (480, mido.Message("program_change", channel=3, program=46)),
    *_notes(9, [36, 38, 42, 42, 36]),
    (0, mido.Message("program_change", channel=4, program=73)),
])


def test_the_programs_a_piece_can_sound() -> None:
    programs = programs_of(BAND)
    # The flute's channel plays nothing; the harp's first note sounds before its program.
    assert programs.melodic == {0, STRINGS, 33, 46}
    assert programs.drums == {0}
    chosen_first = make_midi(DUET, programs={0: PIANO + 1, 1: STRINGS})
    assert programs_of(chosen_first) == Programs(frozenset({PIANO + 1, STRINGS}), frozenset())


@pytest.mark.parametrize("font", FONTS)
def test_a_cut_font_plays_the_same_samples(font: Path | None) -> None:
    import midirenderer

    path = font or default_soundfont()
    whole = path.read_bytes()
    cut = cut_font(path, programs_of(BAND))
    assert len(cut) < len(whole) / 2
    # Byte for byte what the whole font plays (the synthesiser's own 16-bit output).
    assert midirenderer.render_wave_from(cut, BAND) == midirenderer.render_wave_from(whole, BAND)
    # And what render_midi plays is the same as with the whole font.
    assert font_for(path, BAND) == cut


def test_a_font_that_cannot_be_cut_is_played_whole(tmp_path: Path) -> None:
    odd = tmp_path / "odd.sf2"
    # A SoundFont 2 header, but no preset tables where the cut looks for them.
    odd.write_bytes(b"RIFF\x1c\x00\x00\x00sfbkLIST\x10\x00\x00\x00INFOifil\x04\x00\x00\x00"
                    b"\x02\x00\x01\x00")
    with pytest.raises(FontLayoutError):
        cut_font(odd, programs_of(BAND))
    assert font_for(odd, BAND) == odd.read_bytes()


def test_a_file_without_notes_is_silence_as_long_as_the_file() -> None:
    # A silent scene's music has no notes, and midirenderer crashed the whole process
    # (SIGSEGV) on it, so the sound is made in a child process that may die.
    midi = make_midi([], bpm=60, programs={0: PIANO})
    script = ("import sys; from storyscore.audio.synth import render_midi; "
              "audio = render_midi(sys.stdin.buffer.read(), tail=1.5); "
              "print(audio.shape, audio.dtype, float(abs(audio).max()))")
    done = subprocess.run([sys.executable, "-c", script], input=midi, capture_output=True,
                          timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert done.stdout.decode().split() == [f"({int(1.5 * SAMPLE_RATE)},", "2)", "float32", "0.0"]
