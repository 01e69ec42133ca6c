"""The sound of a real story: loudness, ducking under narration, subtitles that
match the voice, and located errors for what cannot be voiced or synthesised."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import srt

from conftest import ComposedExample, PreparedExample
from storyscore.audio.midi import Song, TempoMap, notes
from storyscore.audio.mix import true_peak
from storyscore.cache import Cache
from storyscore.dsl.load import load_story, parse_story
from storyscore.errors import AudioError, ScriptError, StoryscoreError
from storyscore.export.subtitles import to_srt
from storyscore.model import Story
from storyscore.pipeline.prepare import Prepared, prepare
from storyscore.pipeline.soundtrack import (
    Composition,
    compose_path,
    music_samples,
    performed_midi,
    room_spans,
    story_audio,
    subtitle_cues,
)
from storyscore.timeline import NARRATION_LEAD, default_path


@pytest.fixture(scope="module")
def demo(prepared_example: PreparedExample,
         composed_example: ComposedExample) -> tuple[Prepared, Composition]:
    prepared = prepared_example("demo")
    return prepared, composed_example("demo", default_path(prepared.story))


def windows(prepared: Prepared, composition: Composition) -> list[tuple[float, float]]:
    out = []
    for time in composition.times:
        for sentence in prepared.narration(time.scene.id).sentences:
            start = time.start + NARRATION_LEAD
            out.append((start + sentence.start, start + sentence.end))
    return out


def test_the_mix_is_at_minus_16_lufs_with_true_peak_under_minus_1(
        demo: tuple[Prepared, Composition]) -> None:
    prepared, composition = demo
    result = story_audio(prepared, composition)
    assert result.sample_rate == 48000
    assert result.audio.shape[1] == 2
    assert len(result.audio) == round(composition.duration * 48000)
    assert abs(result.loudness_lufs - -16.0) <= 1.0
    assert true_peak(result.audio) <= -1.0 + 1e-3
    assert np.abs(result.audio).max() < 1.0


def test_music_is_at_least_6_db_quieter_under_the_narration(
        demo: tuple[Prepared, Composition]) -> None:
    prepared, composition = demo
    music = music_samples(prepared.story, composition)
    result = story_audio(prepared, composition, music)
    n = len(result.music_gain_curve)
    rate = result.sample_rate
    bed = np.zeros((n, 2), np.float32)
    bed[:min(n, len(music))] = music[:n]
    ducked = (bed * result.music_gain_curve[:, None]).mean(axis=1)
    inside = np.zeros(n, bool)
    for start, end in windows(prepared, composition):
        inside[int(start * rate):int(end * rate)] = True
    settled = np.zeros(n, bool)
    settled[rate:n - rate] = True  # away from the fades
    outside = settled & ~inside
    # Half a second either side of speech is the ducking's attack and release.
    for start, end in windows(prepared, composition):
        outside[int((start - 0.6) * rate):int((end + 0.6) * rate)] = False
    assert outside.sum() > rate // 2
    level_in = 10 * np.log10(np.mean(ducked[inside & settled] ** 2) + 1e-12)
    level_out = 10 * np.log10(np.mean(ducked[outside] ** 2) + 1e-12)
    assert level_out - level_in >= 6.0


def test_the_room_is_wetter_at_night_than_on_the_lively_river(
        demo: tuple[Prepared, Composition]) -> None:
    _, composition = demo
    spans = room_spans(composition)
    amount = {time.scene.id: span.amount for time, span in zip(composition.times, spans,
                                                                strict=True)}
    assert amount["night"] > amount["river"] + 0.2
    assert all(0.05 <= value <= 0.95 for value in amount.values())
    assert [(span.start, span.end) for span in spans] == [(t.start, t.end)
                                                          for t in composition.times]


def note_starts(midi: bytes) -> list[tuple[int, int, float]]:
    """(channel, pitch, start in seconds) of every note, sorted."""
    song = Song.read(midi)
    tempo = TempoMap(song)
    return sorted((events[on][1].channel, events[on][1].note, tempo.seconds(events[on][0]))
                  for events in song.tracks for on, _ in notes(events))


def test_the_players_breathe_but_keep_the_scene_changes_exact(
        demo: tuple[Prepared, Composition]) -> None:
    prepared, composition = demo
    played = performed_midi(prepared.story, composition)
    assert played == performed_midi(prepared.story, composition)
    written, moved = note_starts(composition.score.midi_bytes()), note_starts(played)
    assert len(written) == len(moved)
    boundaries = [time.start for time in composition.times]
    at_boundaries = shifted = 0
    for (_, _, was), (_, _, now) in zip(written, moved, strict=True):
        assert abs(now - was) <= 0.016
        if any(abs(was - boundary) < 1e-3 for boundary in boundaries):
            assert now == pytest.approx(was, abs=1e-4)
            at_boundaries += 1
        shifted += abs(now - was) > 5e-4
    assert at_boundaries >= len(boundaries)
    assert shifted > len(written) / 2


def test_subtitles_parse_and_match_the_narration(demo: tuple[Prepared, Composition]) -> None:
    prepared, composition = demo
    cues = list(srt.parse(to_srt(subtitle_cues(prepared, composition))))
    spoken = windows(prepared, composition)
    text = " ".join(c.content.replace("\n", " ") for c in cues)
    expected = " ".join(p for t in composition.times for p in t.scene.paragraphs)
    assert text.split() == expected.split()
    for cue in cues:
        lines = cue.content.split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= 42 for line in lines)
        assert 1.0 <= (cue.end - cue.start).total_seconds() <= 7.0
        # Each cue starts with a sentence or inside one, within 100 ms of the voice.
        start = cue.start.total_seconds()
        assert any(s - 0.1 <= start <= e for s, e in spoken), start
    assert abs(cues[0].start.total_seconds() - spoken[0][0]) <= 0.1


def story(text: str, folder: Path) -> Story:
    path = folder / "s.sco"
    path.write_text(text)
    return load_story(path).story


def test_an_unknown_voice_is_a_script_error_with_a_suggestion() -> None:
    with pytest.raises(ScriptError) as caught:
        parse_story('voice joey\n\nscene a\n    prompt "x"\n', "s.sco")
    assert str(caught.value).startswith("s.sco:1:7: error: unknown voice 'joey'")
    assert caught.value.hint == "did you mean 'joe'?"


def test_a_missing_or_invalid_soundfont_is_located(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as caught:
        story('soundfont "missing.sf2"\n\nscene a\n    prompt "x"\n', tmp_path)
    assert "soundfont file 'missing.sf2' does not exist" in str(caught.value)
    (tmp_path / "bad.sf2").write_bytes(b"not a soundfont")
    bad = story('soundfont "bad.sf2"\nvoice none\n\nscene a 2s\n    prompt "x"\n', tmp_path)
    with Cache(tmp_path / "cache") as cache:
        prepared = prepare(bad, list(bad.scenes), cache)
        with pytest.raises(AudioError) as error:
            music_samples(bad, compose_path(prepared, list(bad.scenes)))
    assert error.value.span is not None
    assert (error.value.span.line, error.value.span.column) == (1, 11)
    assert "bad.sf2" in error.value.message


def test_a_narration_that_cannot_be_spoken_points_at_its_scene(tmp_path: Path) -> None:
    s = story('voice espeak:xx-nowhere\n\nscene a\n    prompt "x"\n    narrate "Hello."\n',
              tmp_path)
    with Cache(tmp_path / "cache") as cache, pytest.raises(StoryscoreError) as error:
        prepare(s, list(s.scenes), cache)
    assert error.value.span is not None
    assert error.value.span.line in (1, 5)
    assert "xx-nowhere" in error.value.message + (error.value.hint or "")
