"""A path of scenes to its soundtrack: the score, the music, the mix and the cues.

``compose_path`` turns a path of prepared scenes (see ``prepare``) into one
continuous score and the final timeline; ``music_samples`` has it played
(humanised, through the best SoundFont, in a room whose wetness follows the
scenes), ``story_audio`` and ``music_only`` mix; ``music_track`` and the ``*_track``
mixes do the same a block at a time through files, for a render's bounded
memory; ``subtitle_cues`` places the spoken words on the timeline. Nothing here prints.

A render goes through the cached doors instead: ``scored_path`` (the score),
``cached_music`` (the music as played, a raw float32 file) and ``delivered_mix`` (the mix as the MP4
carries it) keep each result in the cache under a content hash of exactly what
decides it, so a render that changed nothing composes, plays and mixes nothing,
and an edited narration only mixes again. Music that must be played again is
played a scene at a time, each scene's window kept by its own MIDI
(``CachedWindows``), so an edit plays only the scenes whose notes changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import multiprocessing
import os
import shutil
import signal
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from storyscore import vocab
from storyscore.audio.humanise import humanise
from storyscore.audio.mix import (
    MixedTrack,
    MixResult,
    PlacedNarration,
    SceneGain,
    fit_codec_track,
    mix,
    mix_track,
    write_wav_track,
)
from storyscore.audio.room import RoomSpan, WindowStore, render_in_room, room_blocks
from storyscore.audio.soundfonts import SoundfontChoice, choose_soundfont
from storyscore.audio.stream import DiskTrack, NewTrack, Track, disk_tracks
from storyscore.audio.voices import Narration
from storyscore.cache import Cache, cache_key, code_digest, package_versions
from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.leitmotif import characters_in
from storyscore.compose.orchestration import orchestrate
from storyscore.diagnostics import Diagnostic, SourceSpan
from storyscore.export.subtitles import Cue, build_cues, timed_sentences
from storyscore.files import scratch_folder
from storyscore.model import Scene, Story
from storyscore.pipeline.mapping import SceneMusic
from storyscore.pipeline.prepare import Prepared
from storyscore.processes import die_with_parent
from storyscore.render.encode import aac_round_trip_file, audio_encoder_args, ffmpeg_version
from storyscore.render.spec import EncodeSettings
from storyscore.timeline import NARRATION_LEAD, SceneTime, lengthening_warnings, timeline

SCORE_STAGE = "score"
MUSIC_STAGE = "music"
MIX_STAGE = "mix"
MUSIC_WINDOW_STAGE = "music-window"
# Bump when what a stage stores changes form (the code digest covers its engines).
SCORE_STAGE_VERSION = "2"  # 2: MIDI and MusicXML as files of their own
MUSIC_STAGE_VERSION = "3"  # 3: played a scene at a time (was 60 s windows)
MIX_STAGE_VERSION = "2"  # 2: the AAC as delivered (cut to the video), beside the WAV
MUSIC_WINDOW_STAGE_VERSION = "1"


def speech_windows(narration: Narration) -> tuple[tuple[float, float], ...]:
    """Where the voice speaks, in seconds from the narration's start (one window a sentence)."""
    return tuple((s.start, s.end) for s in narration.sentences)


def measured_timeline(prepared: Prepared, path: Sequence[Scene]) -> list[SceneTime]:
    """Scene lengths from the measured narration (before the music's downbeat rounding)."""
    speech = {scene.id: prepared.narration(scene.id).duration for scene in path}
    return timeline(prepared.story, list(path), speech)


def scene_plan(scene: Scene, time: SceneTime, music: SceneMusic,
               narration: Narration, story: Story | None = None,
               previous: Scene | None = None) -> ScenePlan:
    """The composer's input for one scene; ``story`` names its characters, and the
    transition from ``previous`` gives its downbeat's slack (half a crossfade)."""
    programs = vocab.INSTRUMENTS
    windows = tuple((NARRATION_LEAD + start, NARRATION_LEAD + end)
                    for start, end in speech_windows(narration))
    return ScenePlan(
        scene_id=scene.id, duration=time.duration, flexible=scene.duration is None,
        tonic=music.tonic, mode=music.mode, tempo=music.tempo, valence=music.valence,
        arousal=music.arousal, tension=music.tension,
        melody_program=programs[music.melody],
        accompaniment_program=programs[music.accompaniment],
        bass_program=programs[music.bass] if music.bass else None,
        register=music.register, density=music.density, velocity=music.velocity,
        staccato=music.staccato, texture=music.texture, contour=music.contour,
        narration=windows, volume=music.volume, silent=music.silent, title=scene.title,
        characters=() if story is None else characters_in(
            [scene.prompt or "", scene.narration_text], [c.id for c in story.characters]),
        lead_in=0.0 if story is None or previous is None
        else story.transition_after(previous).duration / 2,
    )


class ScoredPath(ABC):
    """A path's music on its final timeline (scenes start on the music's downbeats),
    freshly composed (``Composition``) or read back from the cache (``CachedScore``)."""

    times: tuple[SceneTime, ...]
    warnings: tuple[Diagnostic, ...]  # scenes lengthened to fit their narration
    plans: tuple[ScenePlan, ...]  # what the composer was asked for

    @property
    def duration(self) -> float:
        return self.times[-1].end

    @abstractmethod
    def midi_bytes(self) -> bytes:
        """The score as a standard MIDI file."""

    @abstractmethod
    def musicxml_bytes(self) -> bytes:
        """The score as MusicXML."""


@dataclass(frozen=True)
class Composition(ScoredPath):
    """A path's score (music21, for the reports that read it) and its final timeline."""

    score: ComposedScore
    times: tuple[SceneTime, ...]
    warnings: tuple[Diagnostic, ...]
    plans: tuple[ScenePlan, ...]

    def midi_bytes(self) -> bytes:
        return self.score.midi_bytes()

    def musicxml_bytes(self) -> bytes:
        return self.score.musicxml_bytes()


@dataclass(frozen=True)
class CachedScore(ScoredPath):
    """What a render needs of a path's score, kept in the cache: the timeline and the
    score's MIDI and MusicXML bytes; ``hit`` says whether it was composed before.

    A score composed just now is still being written as MusicXML (``musicxml`` is
    then the future bytes, see ``_composed_score``): the sound is made meanwhile.
    """

    times: tuple[SceneTime, ...]
    warnings: tuple[Diagnostic, ...]
    plans: tuple[ScenePlan, ...]
    key: str  # the score's cache key
    midi: bytes
    musicxml: bytes | Future[bytes]
    hit: bool

    def midi_bytes(self) -> bytes:
        return self.midi

    def musicxml_bytes(self) -> bytes:
        """The MusicXML, waiting for it when it is still being written."""
        return self.musicxml if isinstance(self.musicxml, bytes) else self.musicxml.result()

    def __getstate__(self) -> dict[str, Any]:
        # A future does not travel (a Ray task returns its score): its bytes do.
        return {**self.__dict__, "musicxml": self.musicxml_bytes()}


def path_plans(prepared: Prepared, path: Sequence[Scene]
               ) -> tuple[list[SceneTime], list[ScenePlan]]:
    """The measured timeline of ``path`` and what the composer is asked for each scene."""
    story = prepared.story
    measured = measured_timeline(prepared, path)
    plans = [scene_plan(t.scene, t, prepared.music[t.scene.id], prepared.narration(t.scene.id),
                        story, measured[n - 1].scene if n else None)
             for n, t in enumerate(measured)]
    # The instruments held through each section of the path, not changed every scene.
    return measured, orchestrate(plans, [story.music_of(t.scene).instruments is not None
                                         for t in measured])


def _compose(story: Story, plans: Sequence[ScenePlan]) -> ComposedScore:
    return compose(plans, fps=story.fps, seed=story.seed, title=story.title,
                   meter=story.music.meter,
                   characters=[(c.id, c.description) for c in story.characters])


def _final_times(measured: Sequence[SceneTime], starts: Sequence[float],
                 durations: Sequence[float]) -> tuple[SceneTime, ...]:
    """The measured scenes moved onto the music's downbeats."""
    return tuple(SceneTime(t.scene, start, duration, t.speech, False, t.lengthened)
                 for t, start, duration in zip(measured, starts, durations, strict=True))


def compose_path(prepared: Prepared, path: Sequence[Scene]) -> Composition:
    """One continuous score for ``path``; ``auto`` scenes may grow to the next downbeat."""
    measured, plans = path_plans(prepared, path)
    score = _compose(prepared.story, plans)
    times = _final_times(measured, score.scene_starts, score.scene_durations)
    return Composition(score=score, times=times,
                       warnings=tuple(lengthening_warnings(measured)), plans=tuple(plans))


def score_key(story: Story, plans: Sequence[ScenePlan]) -> str:
    """The cache key of a path's score: everything ``compose`` is given, and its code."""
    return cache_key(SCORE_STAGE, SCORE_STAGE_VERSION, {
        "plans": [dataclasses.asdict(plan) for plan in plans],
        "fps": story.fps, "seed": story.seed, "title": story.title, "meter": story.music.meter,
        "characters": [[c.id, c.description] for c in story.characters],
        "code": code_digest("storyscore.compose"),
        "libraries": package_versions("music21"),
    })


def scored_path(prepared: Prepared, path: Sequence[Scene], cache: Cache) -> CachedScore:
    """``compose_path`` for a render: the score is composed only when its key is new."""
    measured, plans = path_plans(prepared, path)
    key = score_key(prepared.story, plans)
    data = _cached_score(cache, key)
    hit = data is not None
    if data is None:
        data = _composed_score(prepared.story, plans, cache, key)
    return CachedScore(
        times=_final_times(measured, data["scene_starts"], data["scene_durations"]),
        warnings=tuple(lengthening_warnings(measured)), plans=tuple(plans), key=key,
        midi=data["midi"], musicxml=data["musicxml"], hit=hit)


# A score is three entries under one key: the MIDI and MusicXML files as they are (an
# hour's MusicXML is megabytes, not worth coding into JSON) and the scenes' timing, which
# is written last and so stands for all three.
_SCORE_FILES = (".mid", ".musicxml")


def _composed_score(story: Story, plans: Sequence[ScenePlan], cache: Cache, key: str
                    ) -> dict[str, Any]:
    """Compose the score and keep its files and timing in the cache.

    A short path is composed here, and its MusicXML (a deliverable, not an
    input to the sound) is written by a thread while the caller plays and
    mixes the music: ``musicxml`` is then the future bytes. A long path is
    composed in a process of its own (``_composed_apart``).
    """
    if sum(plan.duration for plan in plans) >= COMPOSE_APART_SECONDS:
        apart = _composed_apart(story, plans, cache, key)
        if apart is not None:
            return apart
    score = _compose(story, plans)
    data: dict[str, Any] = {"scene_starts": list(score.scene_starts),
                            "scene_durations": list(score.scene_durations),
                            "midi": score.midi_bytes()}
    data["musicxml"] = _MUSICXML_WRITER.submit(
        lambda: _stored_musicxml(score, data, cache, key))
    return data


def _stored_musicxml(score: ComposedScore, data: dict[str, Any], cache: Cache, key: str
                     ) -> bytes:
    """``score``'s MusicXML, kept in the cache with its MIDI and (last) its timing."""
    musicxml = score.musicxml_bytes()
    if cache.enabled:
        timing = json.dumps({"scene_starts": data["scene_starts"],
                             "scene_durations": data["scene_durations"]}).encode("utf-8")
        payloads = (data["midi"], musicxml, timing)
        for suffix, payload in zip((*_SCORE_FILES, ".json"), payloads, strict=True):
            cache.get_or_create(SCORE_STAGE, key, suffix, _writer(payload))
    return musicxml


# One thread writes MusicXML beside the sound chain: music21 is pure Python, and the
# synthesis and the AAC coding leave the interpreter free while they wait on their
# workers and on ffmpeg.
_MUSICXML_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="musicxml")

# A path at least this long (seconds of plans) is composed in a process of its own.
# music21's score of an hour holds about 500 MiB, which a process rarely gives back to
# the system once freed, and a render goes on to play, mix and encode beside it; a
# process's start (about a second) is not worth it for a short path.
COMPOSE_APART_SECONDS = 600.0


def _composed_apart(story: Story, plans: Sequence[ScenePlan], cache: Cache, key: str
                    ) -> dict[str, Any] | None:
    """``_composed_score`` in a process of its own, which sends the timing and MIDI,
    then the MusicXML, and exits (its memory with it) before the music is played.

    The MusicXML is waited for, not written beside the sound as a short path's
    is: an hour's notated score (hundreds of MiB) beside the synthesis and the
    encoders took the render over 1.5 GB. None when the process could not
    compose: the caller then composes here, so a composer error is reported as
    it would be without the process.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_composer_process, daemon=True,
                              args=(story, plans, cache, key, sender, os.getpid()))
    process.start()
    sender.close()
    with receiver:
        try:
            data: dict[str, Any] = receiver.recv()
        except EOFError:
            process.join()
            return None
        try:
            data["musicxml"] = receiver.recv_bytes()
        except EOFError:  # it died writing: written here instead (slowly, but whole)
            data["musicxml"] = _stored_musicxml(_compose(story, plans), data, cache, key)
    process.join()
    return data


def _composer_process(story: Story, plans: Sequence[ScenePlan], cache: Cache, key: str,
                      sender: Connection, parent: int) -> None:
    """The composing process: the timing and MIDI, then the stored MusicXML, sent on
    ``sender``; on any failure the pipe just closes (see ``_composed_apart``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the render handles a Ctrl-C
    die_with_parent(parent)
    with sender:
        try:
            score = _compose(story, plans)
            data = {"scene_starts": list(score.scene_starts),
                    "scene_durations": list(score.scene_durations), "midi": score.midi_bytes()}
            sender.send(data)
            sender.send_bytes(_stored_musicxml(score, data, cache, key))
        except Exception:  # the parent composes again, and reports the error as usual
            return


def _writer(payload: bytes) -> Callable[[Path], None]:
    """A cache builder that writes ``payload``."""
    def write(target: Path) -> None:
        target.write_bytes(payload)
    return write


def _cached_score(cache: Cache, key: str) -> dict[str, Any] | None:
    """A stored score (timing, MIDI and MusicXML), or None when any part of it is missing
    or damaged (then it is composed again)."""
    timing: list[dict[str, Any]] = []

    def readable(target: Path) -> bool:
        loaded = _read_timing(target)
        if loaded is not None:
            timing.append(loaded)
        return loaded is not None

    if cache.get(SCORE_STAGE, key, ".json", readable) is None:
        return None
    files = [cache.get(SCORE_STAGE, key, suffix) for suffix in _SCORE_FILES]
    try:
        midi, musicxml = (None if f is None else f.read_bytes() for f in files)
    except OSError:
        midi = musicxml = None
    if midi is None or musicxml is None:
        cache.discard(SCORE_STAGE, key, ".json")
        return None
    return {**timing[-1], "midi": midi, "musicxml": musicxml}


def _read_timing(path: Path) -> dict[str, Any] | None:
    """A stored score's scene starts and lengths, or None when the file is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        starts = [float(x) for x in data["scene_starts"]]
        durations = [float(x) for x in data["scene_durations"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(starts) != len(durations):
        return None
    return {"scene_starts": starts, "scene_durations": durations}


def story_soundfont(story: Story) -> SoundfontChoice:
    """The story's ``soundfont`` (script or ``--soundfont``), else the best one installed."""
    return choose_soundfont(story.base_dir / story.soundfont if story.soundfont else None)


def music_samples(story: Story, composition: ScoredPath,
                  soundfont: SoundfontChoice | None = None) -> np.ndarray:
    """The score synthesised with ``soundfont`` (default: ``story_soundfont``): 48 kHz stereo."""
    choice = soundfont or story_soundfont(story)
    return render_in_room(performed_midi(story, composition), choice.path,
                          room_spans(composition), span=_font_span(story, choice),
                          cuts=_boundaries(composition))


def music_track(story: Story, composition: ScoredPath, path: Path,
                soundfont: SoundfontChoice | None = None,
                windows: WindowStore | None = None) -> DiskTrack:
    """``music_samples`` written block by block to a raw float32 file at ``path``: an
    hour of music never in memory at once. The score is played a scene at a time
    (longer scenes a window at a time), and ``windows`` (``CachedWindows``) keeps
    each played window, so an edit plays only the scenes whose notes changed."""
    choice = soundfont or story_soundfont(story)
    track = DiskTrack(path, 2)
    for block in room_blocks(performed_midi(story, composition), choice.path,
                             room_spans(composition), span=_font_span(story, choice),
                             cuts=_boundaries(composition), store=windows):
        track.append(block)
    return track


def _font_span(story: Story, choice: SoundfontChoice) -> SourceSpan | None:
    """Where the script sets the SoundFont: the synthesiser reports a bad one there."""
    return story.soundfont_span if choice.origin == "setting" and story.soundfont_span.line \
        else None


class CachedWindows:
    """A ``room.WindowStore`` in the cache: each played window of the music (its dry
    sum and send, raw float32) under a hash of the window's own MIDI and everything
    else that decides it (the release tail and sends, the SoundFont, the playing
    code), whatever the score around it. ``found`` and ``played`` count the windows."""

    def __init__(self, cache: Cache, soundfont: SoundfontChoice) -> None:
        self.cache = cache
        self.found = self.played = 0
        self._common = {
            "soundfont": file_identity(soundfont.path),
            "code": code_digest(*_PLAYING_CODE),
            "libraries": package_versions("midirenderer", "mido", "numpy"),
        }

    def _key(self, identity: Mapping[str, Any]) -> str:
        return cache_key(MUSIC_WINDOW_STAGE, MUSIC_WINDOW_STAGE_VERSION,
                         {**identity, **self._common})

    def load(self, identity: Mapping[str, Any]) -> np.ndarray | None:
        """The window's four channels, or None when the cache has no intact copy."""
        path = self.cache.get(MUSIC_WINDOW_STAGE, self._key(identity), ".f32", _whole_frames(4))
        if path is None:
            return None
        try:
            return np.fromfile(path, dtype="<f4").astype(np.float32).reshape(-1, 4)
        except (OSError, ValueError):
            return None

    def save(self, identity: Mapping[str, Any], sums: np.ndarray) -> None:
        """Keep the window's four channels."""
        data = np.ascontiguousarray(sums, dtype="<f4")
        self.cache.get_or_create(MUSIC_WINDOW_STAGE, self._key(identity), ".f32",
                                 lambda target: data.tofile(target))


# The modules that play a window (its key's code): the mixer and the rest of audio/
# may change without playing any window again.
_PLAYING_CODE = ("storyscore.audio.synth", "storyscore.audio.fontsubset",
                 "storyscore.audio.midi", "storyscore.audio.players", "storyscore.audio.room")


def performed_midi(story: Story, composition: ScoredPath) -> bytes:
    """The score as the players play it: humanised from the story's seed, scene changes exact."""
    return humanise(composition.midi_bytes(), story.seed, _boundaries(composition))


def _boundaries(composition: ScoredPath) -> list[float]:
    return [time.start for time in composition.times[1:]]


def music_key(story: Story, composition: ScoredPath, soundfont: SoundfontChoice) -> str:
    """The cache key of the music as played: the score's events, how they are played
    (seed, scene changes, the room), the SoundFont file, and the playing code."""
    return cache_key(MUSIC_STAGE, MUSIC_STAGE_VERSION, {
        "midi": hashlib.sha256(composition.midi_bytes()).hexdigest(),
        "seed": story.seed,
        "boundaries": _boundaries(composition),
        "rooms": [[span.start, span.end, span.amount] for span in room_spans(composition)],
        "soundfont": file_identity(soundfont.path),
        "code": code_digest("storyscore.audio"),
        "libraries": package_versions("midirenderer", "pedalboard", "mido", "numpy"),
    })


def file_identity(path: Path) -> dict[str, Any]:
    """A file named by where it is, its size and when it changed (a SoundFont is too
    large to read through on every render)."""
    try:
        stat = path.stat()
    except OSError:
        return {"path": str(path), "missing": True}
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def cached_music(story: Story, composition: ScoredPath, cache: Cache, folder: Path,
                 soundfont: SoundfontChoice | None = None) -> tuple[DiskTrack, bool]:
    """``music_track`` kept in the cache as a raw float32 file, and whether it was there.

    With the cache off the music streams into ``folder`` instead (nothing would
    read it back), and goes with that folder.
    """
    choice = soundfont or story_soundfont(story)
    if not cache.enabled:
        return music_track(story, composition, folder / "music.f32", choice), False

    def build(target: Path) -> None:
        music_track(story, composition, target, choice, CachedWindows(cache, choice))

    path, hit = cache.get_or_create(MUSIC_STAGE, music_key(story, composition, choice), ".f32",
                                    build, _whole_frames(2))
    return DiskTrack.existing(path, 2), hit


def _whole_frames(channels: int) -> Callable[[Path], bool]:
    """Whether a file can be float32 frames of ``channels`` (a whole number of them)."""
    def readable(path: Path) -> bool:
        try:
            return path.stat().st_size % (4 * channels) == 0
        except OSError:
            return False
    return readable


def room_spans(composition: ScoredPath) -> list[RoomSpan]:
    """How wet the room is in each scene (see ``room_amount``)."""
    return [RoomSpan(time.start, time.end, room_amount(plan))
            for time, plan in zip(composition.times, composition.plans, strict=True)]


def room_amount(plan: ScenePlan) -> float:
    """A scene's wetness, 0 to 1: still, legato scenes (a misty night) wetter;
    aroused, detached ones (a bright market) drier, where echoes would blur the rhythm."""
    amount = 0.5 - 0.4 * plan.arousal - 0.2 * (plan.staccato - 0.3)
    return round(min(0.95, max(0.05, amount)), 4)


def story_audio(prepared: Prepared, composition: ScoredPath,
                music: np.ndarray | None = None,
                soundfont: SoundfontChoice | None = None) -> MixResult:
    """The final mix: music ducked under the narration, faded, at -16 LUFS."""
    if music is None:
        music = music_samples(prepared.story, composition, soundfont)
    placed, gains = mix_parts(prepared, composition)
    return mix(music, placed, composition.duration, gains)


def mix_parts(prepared: Prepared, composition: ScoredPath
              ) -> tuple[list[PlacedNarration], list[SceneGain]]:
    """What the mixer lays over the music: each narration at its place, and each
    scene's level (the composer already scaled each scene's velocities by its volume)."""
    placed = []
    for time in composition.times:
        narration = prepared.narration(time.scene.id)
        if narration.duration > 0:
            placed.append(PlacedNarration.from_narration(time.start + NARRATION_LEAD,
                                                         narration))
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return placed, gains


def story_audio_track(prepared: Prepared, composition: ScoredPath, music: Track,
                      new_track: NewTrack) -> MixedTrack:
    """``story_audio`` block by block: ``music`` read from a track (``music_track``), each
    pass of the mix written to a track that ``new_track`` makes."""
    placed, gains = mix_parts(prepared, composition)
    return mix_track(music, placed, composition.duration, gains, new_track=new_track)


@dataclass(frozen=True)
class DeliveredMix:
    """The story's sound as the MP4 carries it: a WAV and its AAC (cut to the video's
    length, copied into the MP4 as it is) in the cache, and their measurements."""

    path: Path
    coded: Path  # the AAC whose decoded peak was measured
    loudness_lufs: float
    true_peak_dbtp: float  # as decoded from the MP4's AAC
    hit: bool  # the whole mix came from the cache
    music_hit: bool  # the music came from the cache (true when the mix did)


def mix_key(prepared: Prepared, composition: ScoredPath, music: str,
            settings: EncodeSettings, video_seconds: float | None = None) -> str:
    """The cache key of the delivered mix: the music's key, every narration's sound and
    place, the scenes' levels, the length (and the video's, which cuts the AAC), the
    delivery codec and the mixing code."""
    placed, gains = mix_parts(prepared, composition)
    return cache_key(MIX_STAGE, MIX_STAGE_VERSION, {
        "video_seconds": video_seconds,
        "music": music,
        "narration": [{"start": p.start_s, "rate": p.sample_rate, "speech": p.speech,
                       "samples": _samples_digest(p.read())} for p in placed],
        "gains": [dataclasses.asdict(gain) for gain in gains],
        "duration": composition.duration,
        "codec": audio_encoder_args(settings),
        "ffmpeg": ffmpeg_version(),
        "code": code_digest("storyscore.audio", "storyscore.render.encode",
                            "storyscore.pipeline.soundtrack"),
        "libraries": package_versions("numpy", "scipy"),
    })


def _samples_digest(samples: np.ndarray) -> str:
    data = np.ascontiguousarray(samples, dtype=np.float32)
    return hashlib.sha256(f"{data.shape}".encode() + data.tobytes()).hexdigest()


def delivered_mix(prepared: Prepared, composition: ScoredPath, cache: Cache,
                  settings: EncodeSettings, soundfont: SoundfontChoice | None = None,
                  video_seconds: float | None = None) -> DeliveredMix:
    """The mix fitted to the MP4's AAC (``deliverable_audio``), from the cache when its
    key is known: then nothing is played, mixed or coded. The AAC is cut to
    ``video_seconds`` (default: the music's length), as the MP4 carries it.

    An entry is three files: the WAV, its AAC, and the figures, written last, which
    stand for the other two.
    """
    story = prepared.story
    choice = soundfont or story_soundfont(story)
    key = mix_key(prepared, composition, music_key(story, composition, choice), settings,
                  video_seconds)
    figures = _stored_figures(cache, key)
    if figures is not None:
        wav, coded = (cache.get(MIX_STAGE, key, suffix) for suffix in _MIX_FILES)
        if wav is not None and coded is not None:
            return DeliveredMix(wav, coded, *figures, hit=True, music_hit=True)
    # Part of an entry (a writer stopped between the files) is rebuilt whole.
    for suffix in (*_MIX_FILES, ".json"):
        cache.discard(MIX_STAGE, key, suffix)
    made: list[tuple[float, float]] = []
    music_hit: list[bool] = []
    with scratch_folder("mix") as folder:
        aac = folder / "delivered.m4a"

        def build_wav(target: Path) -> None:
            # Every pass of the mix streams through files in the scratch folder.
            music, hit = cached_music(story, composition, cache, folder, choice)
            music_hit.append(hit)
            fitted = deliverable_audio(
                story_audio_track(prepared, composition, music, disk_tracks(folder)),
                target, settings, folder, coded=aac, seconds=video_seconds)
            peak = fitted.delivered_peak_dbtp
            made.append((fitted.loudness_lufs,
                         fitted.true_peak_dbtp if peak is None else peak))

        wav = cache.get_or_create(MIX_STAGE, key, ".wav", build_wav).path
        coded = cache.get_or_create(MIX_STAGE, key, ".m4a", _mover(aac)).path
    cache.get_or_create(MIX_STAGE, key, ".json", _figures_writer(made[-1]))
    return DeliveredMix(wav, coded, *made[-1], hit=False, music_hit=music_hit[-1])


# The files of a mix entry besides its figures: the WAV and the AAC made from it.
_MIX_FILES = (".wav", ".m4a")


def _mover(source: Path) -> Callable[[Path], None]:
    """A cache builder that moves the file ``source`` into place."""
    def move(target: Path) -> None:
        shutil.move(source, target)
    return move


def _figures_writer(figures: tuple[float, float]) -> Callable[[Path], None]:
    def write(target: Path) -> None:
        target.write_text(json.dumps({"loudness_lufs": figures[0],
                                      "true_peak_dbtp": figures[1]}), encoding="utf-8")
    return write


def _stored_figures(cache: Cache, key: str) -> tuple[float, float] | None:
    """A stored mix's loudness and true peak, or None when there are none to trust."""
    path = cache.get(MIX_STAGE, key, ".json")
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return float(data["loudness_lufs"]), float(data["true_peak_dbtp"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def deliverable_audio(mixed: MixedTrack, wav: Path, settings: EncodeSettings,
                      folder: Path, *, coded: Path | None = None,
                      seconds: float | None = None) -> MixedTrack:
    """The mix fitted to the MP4's AAC (true peak at most -1 dBTP as decoded), written to ``wav``.

    The WAV written last is the one the MP4 encodes, so what was measured is
    what is delivered; ``coded`` keeps that WAV's AAC (cut to ``seconds``), the
    very stream that was decoded and measured. Every pass streams through files
    in ``folder``.
    """
    passes = itertools.count()
    last: list[tuple[Track, Path]] = []

    def round_trip(track: Track) -> Track:
        write_wav_track(wav, track, mixed.sample_rate)
        n = next(passes)
        aac = folder / f"coded-{n}.m4a"
        raw = aac_round_trip_file(wav, folder / f"decoded-{n}.f32", settings, coded=aac,
                                  seconds=seconds)
        last.append((track, aac))
        return DiskTrack.existing(raw, 2)

    fitted = fit_codec_track(mixed, round_trip, new_track=disk_tracks(folder))
    # The fit's last round trip is of the track it returns: ``wav`` and ``aac`` hold it.
    track, aac = last[-1]
    assert track is fitted.track
    if coded is not None:
        shutil.move(aac, coded)
    return fitted


def music_only(prepared: Prepared, composition: ScoredPath) -> MixResult:
    """The music alone, faded and loudness-normalised like the full mix."""
    music = music_samples(prepared.story, composition)
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return mix(music, [], composition.duration, gains)


def music_only_track(prepared: Prepared, composition: ScoredPath, music: Track,
                     new_track: NewTrack) -> MixedTrack:
    """``music_only`` block by block, from ``music`` read from a track."""
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return mix_track(music, [], composition.duration, gains, new_track=new_track)


def subtitle_cues(prepared: Prepared, composition: ScoredPath) -> list[Cue]:
    """Subtitle cues from the voices' word timings, placed on the story's timeline."""
    sentences = []
    for time in composition.times:
        narration = prepared.narration(time.scene.id)
        sentences += timed_sentences(narration.sentences, time.start + NARRATION_LEAD)
    return build_cues(sentences)


__all__ = [
    "CachedScore",
    "CachedWindows",
    "Composition",
    "DeliveredMix",
    "ScoredPath",
    "cached_music",
    "compose_path",
    "deliverable_audio",
    "delivered_mix",
    "mix_key",
    "music_key",
    "music_only",
    "music_only_track",
    "music_track",
    "performed_midi",
    "room_amount",
    "room_spans",
    "scene_plan",
    "score_key",
    "scored_path",
    "story_audio",
    "story_audio_track",
    "story_soundfont",
    "subtitle_cues",
]
