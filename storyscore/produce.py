"""From a checked story to its media: the stages in order, one door per product.

``prepare`` paints, analyses and narrates (each cached per scene);
``compose_path`` turns a path of scenes into one continuous score and the final
timeline; ``music_audio`` and ``story_audio`` synthesise and mix;
``subtitle_cues`` places the spoken words on the timeline. The CLI calls
these and reports; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from storyscore import vocab
from storyscore.analyse import PictureFeatures, analyse
from storyscore.audio.mix import MixResult, PlacedNarration, SceneGain, mix
from storyscore.audio.synth import default_soundfont, render_midi
from storyscore.audio.voices import Narration
from storyscore.cache import Cache
from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.leitmotif import characters_in
from storyscore.diagnostics import Diagnostic
from storyscore.explain import music_of
from storyscore.export.subtitles import Cue, build_cues, timed_sentences
from storyscore.mapping import SceneMusic
from storyscore.model import Scene, Story
from storyscore.narration import SceneNarration, scene_narrations
from storyscore.pictures import ScenePicture, scene_pictures
from storyscore.plan import NARRATION_LEAD, SceneTime, lengthening_warnings, timeline

Tick = Callable[[str, str], None]  # (stage, scene id) after each unit of work


@dataclass(frozen=True)
class Prepared:
    """Everything per scene that does not depend on the path taken."""

    story: Story
    pictures: dict[str, ScenePicture]
    narrations: dict[str, SceneNarration]
    features: dict[str, PictureFeatures]
    music: dict[str, SceneMusic]

    def narration(self, scene_id: str) -> Narration:
        return self.narrations[scene_id].narration


def prepare(story: Story, scenes: Sequence[Scene], cache: Cache,
            tick: Tick | None = None) -> Prepared:
    """Pictures and narration for ``scenes``; the music plan for every scene of the story.

    The music is read across the whole story (all branches), so pictures of
    scenes off ``scenes`` are painted too: a scene sounds the same whichever
    path leads to it.
    """
    def done(stage: str) -> Callable[[ScenePicture | SceneNarration], None]:
        return lambda item: tick(stage, item.scene_id) if tick is not None else None

    features: dict[str, PictureFeatures] = {}

    def painted(picture: ScenePicture) -> None:
        # Analysed as soon as it exists: one picture in memory at a time.
        features[picture.scene_id] = analyse(picture.image)
        done("pictures")(picture)

    pictures = scene_pictures(story, story.scenes, cache, on_done=painted)
    narrations = scene_narrations(story, scenes, cache, on_done=done("narration"))
    return Prepared(story, pictures, narrations, features, music_of(story, features))


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


def music_samples(story: Story, composition: Composition) -> np.ndarray:
    """The score synthesised with the story's soundfont: 48 kHz stereo float32."""
    # render_midi checks the soundfont and reports a bad one at the script's line.
    path = (story.base_dir / story.soundfont) if story.soundfont else default_soundfont()
    span = story.soundfont_span if story.soundfont and story.soundfont_span.line else None
    return render_midi(composition.score.midi_bytes(), path, span=span)


def story_audio(prepared: Prepared, composition: Composition,
                music: np.ndarray | None = None) -> MixResult:
    """The final mix: music ducked under the narration, faded, at -16 LUFS."""
    story = prepared.story
    if music is None:
        music = music_samples(story, composition)
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


def music_only(prepared: Prepared, composition: Composition) -> MixResult:
    """The music alone, faded and loudness-normalised like the full mix."""
    music = music_samples(prepared.story, composition)
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    return mix(music, [], composition.duration, gains)


def subtitle_cues(prepared: Prepared, composition: Composition) -> list[Cue]:
    """Subtitle cues from the voices' word timings, placed on the story's timeline."""
    sentences = []
    for time in composition.times:
        narration = prepared.narration(time.scene.id)
        sentences += timed_sentences(narration.sentences, time.start + NARRATION_LEAD)
    return build_cues(sentences)


__all__ = [
    "Composition",
    "Prepared",
    "compose_path",
    "music_only",
    "prepare",
    "scene_plan",
    "story_audio",
    "subtitle_cues",
]
