"""Warm renders and edits (issue 15): what a render takes from the cache instead of
making again (the score, the music, the mix, each picture's features), that the
files are the same bytes either way, and that a damaged entry is made again."""

from __future__ import annotations

import hashlib
import itertools
import pickle
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import storyscore
from conftest import make_midi
from storyscore.audio import room
from storyscore.audio.humanise import humanise
from storyscore.audio.midi import Song, notes
from storyscore.audio.voices import piper
from storyscore.cache import Cache, code_digest, package_versions
from storyscore.compose import ScenePlan
from storyscore.pipeline import prepare, soundtrack
from storyscore.pipeline.soundtrack import CachedScore
from storyscore.pipeline.video import Rendered
from storyscore.render import encode, segments

SCRIPT = '''title  "Warm"
size   96x64
fps    8
voice  joe

scene one 2s
    prompt  "a lighthouse at night"
    narrate "{first}"

scene two 2s
    prompt  "{prompt}"
    narrate "A meadow."

scene three 2s
    prompt  "a quiet lake at dusk"
    narrate "A lake."
'''
SUFFIXES = (".mp4", ".srt", ".musicxml", ".mid")
# The video's segments: each scene's body, and the crossfade (the default) between two scenes.
SEGMENTS = ("0", "0>1", "1", "1>2", "2")
# What a render calls to compose, play, mix and fit the sound, and to read a picture.
ENGINES = {soundtrack: ("compose", "humanise", "room_blocks", "mix_track", "fit_codec_track"),
           prepare: ("analyse",), room: ("play_window",)}
# The joe voice's model loader without its once-a-process cache, so every load counts
# (a load this process made before, in another test, is not hidden).
LOAD_JOE = piper.load_joe.__wrapped__


def write_script(folder: Path, first: str = "A light.", prompt: str = "a sunny meadow") -> Path:
    path = folder / "warm.sco"
    path.write_text(SCRIPT.format(first=first, prompt=prompt))
    return path


def render(script: Path, output: Path) -> Rendered:
    result = storyscore.render(storyscore.load(script), output)
    (rendered,) = result.details.rendered
    return rendered


def files(output: Path) -> dict[str, bytes]:
    return {suffix: output.with_suffix(suffix).read_bytes() for suffix in SUFFIXES}


def count_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count every call of the sound engines and of the picture analysis (each still runs),
    and every load of the joe voice's model."""
    calls: dict[str, int] = {}
    for module, names in ENGINES.items():
        for name in names:
            calls[name] = 0
            monkeypatch.setattr(module, name, _counted(calls, name, getattr(module, name)))
    calls["load_joe"] = 0
    monkeypatch.setattr(piper, "load_joe", _counted(calls, "load_joe", LOAD_JOE))
    return calls


def count_media_work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the probes of cached video segments and the ffmpeg runs that encode AAC
    (the fit's round trips, and a join that encodes instead of copying)."""
    work = {"probes": 0, "aac_encodes": 0}
    monkeypatch.setattr(segments, "segment_intact",
                        _counted(work, "probes", segments.segment_intact))
    run_ffmpeg = encode.run_ffmpeg

    def counted(args: Sequence[str], *rest: Any, **kwargs: Any) -> str:
        if any(a == "aac" and b == "-c:a" for b, a in itertools.pairwise(args)):
            work["aac_encodes"] += 1
        return run_ffmpeg(args, *rest, **kwargs)

    monkeypatch.setattr(encode, "run_ffmpeg", counted)
    return work


def stored_segments(cache: Path) -> set[Path]:
    """The video segments in the cache folder ``cache``."""
    return set((cache / "video-segment").rglob("*.mkv"))


def _counted(calls: dict[str, int], name: str, engine: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return engine(*args, **kwargs)
    return counted


@pytest.fixture(scope="module")
def first_render(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Rendered]:
    """One first render of the script into an empty cache, for the whole module."""
    folder = tmp_path_factory.mktemp("cold")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STORYSCORE_CACHE", str(folder / "cache"))
        output = folder / "cold.mp4"
        return output, render(write_script(folder), output)


@pytest.fixture
def cold(first_render: tuple[Path, Rendered], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Rendered]:
    """The first render, with a copy of the cache it filled as this test's cache."""
    output, rendered = first_render
    shutil.copytree(output.parent / "cache", tmp_path / "cache")
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    return output, rendered


@pytest.mark.slow
def test_a_second_render_calls_no_sound_engine_and_gives_the_same_bytes(
        cold: tuple[Path, Rendered], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first_output, first = cold
    assert isinstance(first.composition, CachedScore)
    assert not first.composition.hit
    calls = count_calls(monkeypatch)
    work = count_media_work(monkeypatch)
    output = tmp_path / "warm.mp4"
    again = render(write_script(tmp_path), output)
    assert calls == dict.fromkeys(calls, 0)
    # The segments were checked when they were made, and their digests say they are
    # those bytes; the join copies the AAC the mix entry keeps.
    assert work == {"probes": 0, "aac_encodes": 0}
    assert isinstance(again.composition, CachedScore)
    assert again.composition.hit
    assert again.report.cached == SEGMENTS
    assert files(output) == files(first_output)
    assert (again.loudness_lufs, again.true_peak_dbtp) == (first.loudness_lufs,
                                                           first.true_peak_dbtp)
    # The first render wrote its MusicXML beside the sound (a future); a score that
    # travels (a Ray task's result) carries the bytes.
    travelled = pickle.loads(pickle.dumps(first.composition))
    assert travelled.musicxml == files(first_output)[".musicxml"]


@pytest.mark.slow
def test_a_narration_edit_mixes_again_and_encodes_no_video(
        cold: tuple[Path, Rendered], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_calls(monkeypatch)
    work = count_media_work(monkeypatch)
    result = storyscore.render(storyscore.load(write_script(tmp_path, first="A light, late.")),
                               tmp_path / "edited.mp4")
    assert result.details.narrations == (2, 3)  # only the edited line is spoken
    (edited,) = result.details.rendered
    assert edited.report.encoded == ()
    assert edited.report.cached == SEGMENTS
    assert calls["load_joe"] == 1  # for the edited line alone
    assert calls["mix_track"] == 1
    assert calls["fit_codec_track"] == 1
    assert work["probes"] == 0
    # Each round trip of the fit codes once (at most two here), and the join copies.
    assert 1 <= work["aac_encodes"] <= 2
    assert calls["analyse"] == 0  # the pictures did not change
    subtitles = edited.files[1].read_text()
    assert "A light, late." in subtitles
    # The melody thins under the longer sentence of scene one alone: its window is
    # played, the other two scenes' windows are read from the cache, and the music
    # is the same bytes as an edited render that played every window.
    assert calls["play_window"] == 1
    uncached = tmp_path / "uncached.mp4"
    storyscore.render(storyscore.load(write_script(tmp_path, first="A light, late.")), uncached,
                      cache=False)
    assert files(uncached) == files(tmp_path / "edited.mp4")


@pytest.mark.slow
def test_a_narration_edit_the_composer_cannot_hear_composes_and_mixes_nothing(
        cold: tuple[Path, Rendered], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first_output, _first = cold
    calls = count_calls(monkeypatch)
    # The voice says "a light." exactly as "A light.": the same samples and sentence
    # timings, so the composer's plans, the music and the mix are those stored.
    output = tmp_path / "edited.mp4"
    result = storyscore.render(storyscore.load(write_script(tmp_path, first="a light.")), output)
    assert result.details.narrations == (2, 3)  # the edited line is spoken again
    (edited,) = result.details.rendered
    assert isinstance(edited.composition, CachedScore)
    assert edited.composition.hit
    assert edited.report.encoded == ()
    assert calls == {**dict.fromkeys(calls, 0), "load_joe": 1}
    assert "a light." in output.with_suffix(".srt").read_text()
    assert files(output)[".mid"] == files(first_output)[".mid"]


@pytest.mark.slow
def test_a_prompt_edit_encodes_only_that_scene_and_its_transitions(
        cold: tuple[Path, Rendered], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first_output, _first = cold
    stored = stored_segments(tmp_path / "cache")
    calls = count_calls(monkeypatch)
    edited_script = write_script(tmp_path, prompt="a sunny meadow, golden light")
    edited = render(edited_script, tmp_path / "edited.mp4")
    # Scene 1's body and the crossfades into and out of it; the bodies of scenes 0
    # and 2 come from the cache.
    assert edited.report.encoded == ("0>1", "1", "1>2")
    assert edited.report.cached == ("0", "2")
    assert len(stored_segments(tmp_path / "cache") - stored) == 3  # three misses, stored
    assert calls["analyse"] == 1
    assert calls["load_joe"] == 0  # every narration was in the cache
    # Back to the first prompt: everything is in the cache, and the files are the
    # first render's, byte for byte.
    calls = count_calls(monkeypatch)
    output = tmp_path / "reverted.mp4"
    reverted = render(write_script(tmp_path), output)
    assert reverted.report.encoded == ()
    assert calls == dict.fromkeys(calls, 0)
    assert files(output) == files(first_output)


# A damaged music entry is read only when the mix must be made again.
@pytest.mark.slow
@pytest.mark.parametrize(("stages", "engine"), [
    (("score",), "compose"), (("music", "mix"), "room_blocks"), (("mix",), "mix_track"),
    (("music", "mix", "music-window"), "play_window"), (("features",), "analyse")])
def test_a_damaged_entry_is_made_again(cold: tuple[Path, Rendered], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       stages: tuple[str, ...], engine: str) -> None:
    first_output, _first = cold
    damaged = [p for stage in stages for p in (tmp_path / "cache" / stage).glob("*/*")
               if not p.name.endswith(".sha256")]
    assert len(damaged) >= len(stages)
    for path in damaged:
        path.write_bytes(b"not what was stored")
    calls = count_calls(monkeypatch)
    output = tmp_path / "again.mp4"
    render(write_script(tmp_path), output)
    assert files(output) == files(first_output)
    assert calls[engine] >= 1
    # The rebuilt entries are whole again: a third render makes nothing.
    calls = count_calls(monkeypatch)
    render(write_script(tmp_path), tmp_path / "third.mp4")
    assert calls == dict.fromkeys(calls, 0)


@pytest.mark.slow
def test_a_segment_whose_bytes_were_not_checked_is_probed_and_made_again(
        cold: tuple[Path, Rendered], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first_output, _first = cold
    stored = sorted(stored_segments(tmp_path / "cache"))
    # Other bytes, stored with their own digest: the cache's checksum passes, the
    # record of the checked bytes does not, so the file is probed and fails.
    swapped = stored[0]
    swapped.write_bytes(b"not a video segment" * 64)
    swapped.with_name(swapped.name + ".sha256").write_text(
        hashlib.sha256(swapped.read_bytes()).hexdigest() + "\n")
    work = count_media_work(monkeypatch)
    output = tmp_path / "again.mp4"
    again = render(write_script(tmp_path), output)
    assert work["probes"] == 1
    assert len(again.report.encoded) == 1
    assert files(output) == files(first_output)
    # Made again, it counts as checked: the next render probes nothing.
    work = count_media_work(monkeypatch)
    render(write_script(tmp_path), tmp_path / "third.mp4")
    assert work["probes"] == 0


@pytest.mark.slow
def test_without_the_cache_the_same_bytes_and_nothing_stored(
        first_render: tuple[Path, Rendered], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first_output, _ = first_render
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "unused"))
    output = tmp_path / "uncached.mp4"
    storyscore.render(storyscore.load(write_script(tmp_path)), output, cache=False)
    assert files(output) == files(first_output)
    assert not (tmp_path / "unused").exists()


def test_the_code_digest_follows_the_source(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "digested"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "engine.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = code_digest("digested")
    assert code_digest("digested") == before
    (package / "engine.py").write_text("VALUE = 2\n")
    code_digest.cache_clear()
    assert code_digest("digested") != before
    assert "digested" not in sys.modules  # found, never imported
    assert code_digest("digested.engine") != code_digest("digested")
    with pytest.raises(ValueError, match="no source"):
        code_digest("digested.absent")
    assert package_versions("numpy", "no-such-distribution-here") == {
        "numpy": __import__("numpy").__version__, "no-such-distribution-here": "absent"}


@pytest.mark.slow
def test_a_long_path_composed_in_a_process_of_its_own_gives_the_same_bytes(
        first_render: tuple[Path, Rendered], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first_output, _ = first_render
    monkeypatch.setattr(soundtrack, "COMPOSE_APART_SECONDS", 0.0)
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    calls = count_calls(monkeypatch)
    output = tmp_path / "apart.mp4"
    render(write_script(tmp_path), output)
    assert calls["compose"] == 0  # composed by the other process, not here
    assert files(output) == files(first_output)
    stored = {p.suffix for p in (tmp_path / "cache" / soundtrack.SCORE_STAGE).rglob("*.*")}
    assert {".mid", ".musicxml", ".json"} <= stored


def test_a_composer_that_fails_apart_fails_here_as_it_would_have(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    story = storyscore.load(write_script(tmp_path))
    impossible = [ScenePlan(
        scene_id="one", duration=2.0, flexible=False, tonic="C", mode="major", tempo=500.0,
        valence=0.5, arousal=0.2, tension=0.2, melody_program=73, accompaniment_program=0,
        bass_program=32, register=72, density=0.5, velocity=80, staccato=0.2,
        texture="arpeggio", contour=(0.3, 0.7, 0.5), narration=(), volume=1.0, silent=False)]
    monkeypatch.setattr(soundtrack, "COMPOSE_APART_SECONDS", 0.0)
    calls = count_calls(monkeypatch)
    cache = Cache(tmp_path / "cache")
    with pytest.raises(ValueError, match="tempo"):
        soundtrack._composed_score(story, impossible, cache, "impossible")
    assert calls["compose"] == 1  # the other process failed; composed here, which raised


def played_notes(midi: bytes, start_tick: int) -> list[tuple[int, int, int, int, int]]:
    """(track, on tick, off tick, pitch, velocity) of every note from ``start_tick`` on."""
    song = Song.read(midi)
    return [(index, events[on][0], events[off][0], events[on][1].note, events[on][1].velocity)
            for index, events in enumerate(song.tracks) for on, off in notes(events)
            if events[on][0] >= start_tick]


def test_a_scene_is_humanised_the_same_whatever_changed_before_it() -> None:
    # Three scenes of two 4/4 bars at 120 bpm (4 s each): a flute line and piano
    # chords; the first scene's flute is rewritten, with one note more.
    flute = [(0, 72 + (i % 5), i / 2, 0.5) for i in range(48)]
    chords = [(1, pitch, float(beat), 1.0) for beat in range(24) for pitch in (48, 55)]
    rewritten = [(0, 60 + (i % 3), i / 2, 0.5) for i in range(16)] + flute[16:]
    rewritten.append((0, 79, 7.25, 0.25))
    programs = {0: 73, 1: 0}
    boundaries = [4.0, 8.0]
    before = humanise(make_midi(flute + chords, programs=programs), 5, boundaries)
    after = humanise(make_midi(rewritten + chords, programs=programs), 5, boundaries)
    second_scene = 8 * 480  # ticks: the downbeat of bar 3
    assert played_notes(after, second_scene) == played_notes(before, second_scene)
    assert played_notes(after, 0) != played_notes(before, 0)
