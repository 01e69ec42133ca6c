"""A path of scenes to its soundtrack: the score, the music, the mix and the cues.

``compose_path`` turns a path of prepared scenes (see ``prepare``) into one
continuous score and the final timeline; ``music_samples`` has it played
(humanised, through the best SoundFont, in a room whose wetness follows the
scenes), ``story_audio`` and ``music_only`` mix; ``subtitle_cues`` places the spoken
words on the timeline. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyscore import vocab
from storyscore.audio.humanise import humanise
from storyscore.audio.mix import MixedTrack, MixResult, PlacedNarration, SceneGain, mix, mix_track
from storyscore.audio.room import RoomSpan, render_in_room, room_blocks
from storyscore.audio.soundfonts import SoundfontChoice, choose_soundfont
from storyscore.audio.stream import DiskTrack, NewTrack, Track
from storyscore.audio.voices import Narration
from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.leitmotif import characters_in
from storyscore.diagnostics import Diagnostic
from storyscore.export.subtitles import Cue, build_cues, timed_sentences
from storyscore.model import Scene, Story
from storyscore.pipeline.mapping import SceneMusic
from storyscore.pipeline.prepare import Prepared
from storyscore.timeline import NARRATION_LEAD, SceneTime, lengthening_warnings, timeline


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


@dataclass(frozen=True)
class Composition:
    """A path's score and its final timeline (scenes start on the music's downbeats)."""

    score: ComposedScore
    times: tuple[SceneTime, ...]
    warnings: tuple[Diagnostic, ...]  # scenes lengthened to fit their narration
    plans: tuple[ScenePlan, ...]  # what the composer was asked for

    @property
    def duration(self) -> float:
        return self.times[-1].end


def compose_path(prepared: Prepared, path: Sequence[Scene]) -> Composition:
    """One continuous score for ``path``; ``auto`` scenes may grow to the next downbeat."""
    story = prepared.story
    measured = measured_timeline(prepared, path)
    plans = [scene_plan(t.scene, t, prepared.music[t.scene.id], prepared.narration(t.scene.id),
                        story, measured[n - 1].scene if n else None)
             for n, t in enumerate(measured)]
    score = compose(plans, fps=story.fps, seed=story.seed, title=story.title,
                    meter=story.music.meter,
                    characters=[(c.id, c.description) for c in story.characters])
    times = tuple(
        SceneTime(t.scene, start, duration, t.speech, False, t.lengthened)
        for t, start, duration in zip(measured, score.scene_starts, score.scene_durations,
                                      strict=True)
    )
    return Composition(score, times, tuple(lengthening_warnings(measured)), tuple(plans))


def story_soundfont(story: Story) -> SoundfontChoice:
    """The story's ``soundfont`` (script or ``--soundfont``), else the best one installed."""
    return choose_soundfont(story.base_dir / story.soundfont if story.soundfont else None)


def music_samples(story: Story, composition: Composition,
                  soundfont: SoundfontChoice | None = None) -> np.ndarray:
    """The score synthesised with ``soundfont`` (default: ``story_soundfont``): 48 kHz stereo."""
    choice = soundfont or story_soundfont(story)
    # The synthesiser checks the soundfont and reports a bad one at the script's line.
    span = story.soundfont_span if choice.origin == "setting" and story.soundfont_span.line \
        else None
    return render_in_room(performed_midi(story, composition), choice.path,
                          room_spans(composition), span=span)


def music_track(story: Story, composition: Composition, path: Path,
                soundfont: SoundfontChoice | None = None) -> DiskTrack:
    """``music_samples`` written block by block to a raw float32 file at ``path``: an
    hour of music never in memory at once."""
    choice = soundfont or story_soundfont(story)
    span = story.soundfont_span if choice.origin == "setting" and story.soundfont_span.line \
        else None
    track = DiskTrack(path, 2)
    for block in room_blocks(performed_midi(story, composition), choice.path,
                             room_spans(composition), span=span):
        track.append(block)
    return track


def performed_midi(story: Story, composition: Composition) -> bytes:
    """The score as the players play it: humanised from the story's seed, scene changes exact."""
    boundaries = [time.start for time in composition.times[1:]]
    return humanise(composition.score.midi_bytes(), story.seed, boundaries)


def room_spans(composition: Composition) -> list[RoomSpan]:
    """How wet the room is in each scene (see ``room_amount``)."""
    return [RoomSpan(time.start, time.end, room_amount(plan))
            for time, plan in zip(composition.times, composition.plans, strict=True)]


def room_amount(plan: ScenePlan) -> float:
    """A scene's wetness, 0 to 1: still, legato scenes (a misty night) wetter;
    aroused, detached ones (a bright market) drier, where echoes would blur the rhythm."""
    amount = 0.5 - 0.4 * plan.arousal - 0.2 * (plan.staccato - 0.3)
    return round(min(0.95, max(0.05, amount)), 4)


def story_audio(prepared: Prepared, composition: Composition,
                music: np.ndarray | None = None,
                soundfont: SoundfontChoice | None = None) -> MixResult:
    """The final mix: music ducked under the narration, faded, at -16 LUFS."""
    story = prepared.story
    if music is None:
        music = music_samples(story, composition, soundfont)
    placed = []
    for time in composition.times:
        narration = prepared.narration(time.scene.id)
        if len(narration.samples):
            placed.append(PlacedNarration.from_narration(time.start + NARRATION_LEAD,
                                                         narration))
    # The composer already scaled each scene's velocities by its volume.
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return mix(music, placed, composition.duration, gains)


def story_audio_track(prepared: Prepared, composition: Composition, music: Track,
                      new_track: NewTrack) -> MixedTrack:
    """``story_audio`` block by block: ``music`` read from a track (``music_track``), each
    pass of the mix written to a track that ``new_track`` makes."""
    placed = []
    for time in composition.times:
        narration = prepared.narration(time.scene.id)
        if len(narration.samples):
            placed.append(PlacedNarration.from_narration(time.start + NARRATION_LEAD,
                                                         narration))
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return mix_track(music, placed, composition.duration, gains, new_track=new_track)


def music_only(prepared: Prepared, composition: Composition) -> MixResult:
    """The music alone, faded and loudness-normalised like the full mix."""
    music = music_samples(prepared.story, composition)
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return mix(music, [], composition.duration, gains)


def music_only_track(prepared: Prepared, composition: Composition, music: Track,
                     new_track: NewTrack) -> MixedTrack:
    """``music_only`` block by block, from ``music`` read from a track."""
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return mix_track(music, [], composition.duration, gains, new_track=new_track)


def subtitle_cues(prepared: Prepared, composition: Composition) -> list[Cue]:
    """Subtitle cues from the voices' word timings, placed on the story's timeline."""
    sentences = []
    for time in composition.times:
        narration = prepared.narration(time.scene.id)
        sentences += timed_sentences(narration.sentences, time.start + NARRATION_LEAD)
    return build_cues(sentences)


__all__ = [
    "Composition",
    "compose_path",
    "music_only",
    "music_only_track",
    "music_track",
    "performed_midi",
    "room_amount",
    "room_spans",
    "scene_plan",
    "story_audio",
    "story_audio_track",
    "story_soundfont",
    "subtitle_cues",
]
