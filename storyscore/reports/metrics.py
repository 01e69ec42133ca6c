"""The music's quality checks on a story path: thirteen score checks and the Palmer replication.

The score checks are pure functions of the composer's output and live in
``storyscore.compose.checks`` (one meter, tempo jumps, printed marks, notes on
the staff, downbeats, key agreement, modulations, harmonic vocabulary,
consonance, melody, motif recurrence, contour, leitmotifs); this module adds
the one check that is about the mapping rather than the story's score (14:
the Palmer replication), runs them all on a story path (``story_metrics``,
``measure_story``) and prints them for ``storyscore explain --metrics``
(``format_metrics``).

14. Palmer replication: over 18 synthetic pictures, each composed alone,
    lightness + saturation + yellowness correlates with the written score's
    log tempo + major at r >= 0.7, and each of the three moves the music the
    right way.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from PIL import Image, ImageDraw

from storyscore.compose.checks import (
    Check,
    Consonance,
    Contour,
    Downbeats,
    HarmonicVocabulary,
    KeyAgreement,
    Leitmotifs,
    MelodyShape,
    MeterChanges,
    Modulations,
    MotifRecurrence,
    PrintedMarks,
    StaffFit,
    TempoChanges,
    consonance,
    contour,
    downbeats,
    harmonic_vocabulary,
    key_agreement,
    kk_correlation,
    leitmotifs,
    melody_shape,
    meter_changes,
    modulations,
    motif_recurrence,
    printed_marks,
    skyline_at,
    staff_fit,
    tempo_changes,
)
from storyscore.compose.request import ScenePlan

if TYPE_CHECKING:
    from storyscore.cache import Cache
    from storyscore.compose import ComposedScore
    from storyscore.model import Scene, Story
    from storyscore.pipeline.mapping import SceneMusic
    from storyscore.pipeline.prepare import Prepared
    from storyscore.pipeline.soundtrack import Composition

PALMER_MIN_R = 0.7
PALMER_MIN_PICTURES = 18
PALMER_SECONDS = 8.0  # each picture's music, composed alone




# ----------------------------------------------------------------- 14. Palmer replication


def palmer_picture(rgb: tuple[int, int, int], size: tuple[int, int] = (160, 90)) -> Image.Image:
    """A flat colour with a gentle skyline in a slightly darker shade of it."""
    image = Image.new("RGB", size, rgb)
    draw = ImageDraw.Draw(image)
    shade = tuple(int(c * 0.8) for c in rgb)
    w, h = size
    draw.polygon([(0, 0.78 * h), (0.25 * w, 0.56 * h), (0.5 * w, 0.67 * h),
                  (0.75 * w, 0.44 * h), (w, 0.72 * h), (w, h), (0, h)], fill=shade)
    return image


def palmer_pictures() -> list[Image.Image]:
    """18 pictures over lightness (3) x chroma (3) x yellow–blue (2), as in Palmer et al. 2013."""
    from storyscore.analyse import lab_to_srgb

    out = []
    for lightness in (35.0, 55.0, 75.0):
        for chroma in (5.0, 25.0, 45.0):
            for hue in (85.0, 265.0):  # CIELAB hue angles of yellow and blue
                a = chroma * math.cos(math.radians(hue))
                b = chroma * math.sin(math.radians(hue))
                rgb = np.clip(np.asarray(lab_to_srgb([lightness, a, b])), 0, 255)
                r, g, bl = (round(float(c)) for c in rgb)
                out.append(palmer_picture((r, g, bl)))
    return out


@dataclass(frozen=True)
class PalmerReplication:
    """Check 14: the music written for pictures repeats Palmer et al.'s colour–music
    correspondence."""

    number: ClassVar[int] = 14
    title: ClassVar[str] = "Palmer replication (mapping and score)"
    pictures: int
    r: float  # colour (L* + C* + b*, z-scored) against music (log tempo + major, z-scored)
    effects: tuple[tuple[str, float], ...]  # music response above minus below the mean

    @property
    def passed(self) -> bool:
        return (self.pictures >= PALMER_MIN_PICTURES and self.r >= PALMER_MIN_R
                and all(effect > 0 for _, effect in self.effects))

    @property
    def figure(self) -> str:
        effects = ", ".join(f"{name} {effect:+.2f}" for name, effect in self.effects)
        return f"r {self.r:.2f} over {self.pictures} pictures; {effects}"

    @property
    def threshold(self) -> str:
        return f"r >= {PALMER_MIN_R} over >= {PALMER_MIN_PICTURES} pictures, every effect > 0"

    @property
    def problems(self) -> tuple[str, ...]:
        out = [f"{name} moves the music the wrong way ({effect:+.2f})"
               for name, effect in self.effects if effect <= 0]
        if self.r < PALMER_MIN_R:
            out.insert(0, f"r {self.r:.2f}")
        if self.pictures < PALMER_MIN_PICTURES:
            out.insert(0, f"only {self.pictures} pictures")
        return tuple(out)


def palmer_replication(pictures: Sequence[Image.Image] | None = None) -> PalmerReplication:
    """Check 14: sonify pictures that vary in lightness, chroma and yellow–blue together.

    Each picture is composed as a story of its own (one ``auto`` scene, so its
    tempo is not bent to fit a length), and its tempo and mode are read from
    the written score: the sounding tempo of its first printed metronome mark,
    and the mode Krumhansl–Schmuckler key finding hears in all its notes.
    Colour is the sum of the z-scored L*, C* and b* the analysis measures;
    the music is the sum of the z-scored log tempo and major (1) / minor (0).
    Each dimension's effect is the mean music response of the pictures above
    that dimension's mean minus that of those below it (the pictures cross
    the three dimensions, so the other two roughly cancel out).
    """
    if pictures is None:
        return _default_palmer()
    return _palmer(list(pictures))


@functools.lru_cache(maxsize=1)
def _default_palmer() -> PalmerReplication:
    return _palmer(palmer_pictures())


def _palmer(pictures: list[Image.Image]) -> PalmerReplication:
    from storyscore.analyse import analyse
    from storyscore.model import MusicSettings
    from storyscore.pipeline.mapping import sonify

    features = [analyse(p) for p in pictures]
    music = sonify(features, [MusicSettings()] * len(features))
    written = [_written_tempo_and_mode(m, k) for k, m in enumerate(music)]
    lab = np.array([[f.lightness_mean, f.chroma_mean, f.b_mean] for f in features])
    z = (lab - lab.mean(axis=0)) / np.where(lab.std(axis=0) > 0, lab.std(axis=0), 1.0)
    tempo = np.log([bpm for bpm, _ in written])
    major = np.array([1.0 if mode == "major" else 0.0 for _, mode in written])
    response = _z(tempo) + _z(major)
    colour = z.sum(axis=1)
    r = float(np.corrcoef(colour, response)[0, 1]) if _varies(colour, response) else 0.0
    effects = []
    for column, name in enumerate(("lightness", "saturation", "yellowness")):
        high, low = response[z[:, column] > 0], response[z[:, column] < 0]
        effect = float(high.mean() - low.mean()) if len(high) and len(low) else 0.0
        effects.append((name, effect))
    return PalmerReplication(len(pictures), r, tuple(effects))


def _written_tempo_and_mode(music: SceneMusic, index: int) -> tuple[float, str]:
    """Compose one picture's music alone and read its tempo and mode from the score."""
    from storyscore import vocab
    from storyscore.compose import compose
    from storyscore.compose.checks import ScoreView, find_key

    programs = vocab.INSTRUMENTS
    plan = ScenePlan(
        scene_id=f"picture{index + 1}", duration=PALMER_SECONDS, flexible=True,
        tonic=music.tonic, mode=music.mode, tempo=music.tempo, valence=music.valence,
        arousal=music.arousal, tension=music.tension, melody_program=programs[music.melody],
        accompaniment_program=programs[music.accompaniment],
        bass_program=programs[music.bass] if music.bass else None, register=music.register,
        density=music.density, velocity=music.velocity, staccato=music.staccato,
        texture=music.texture, contour=music.contour, narration=(), volume=1.0, silent=False)
    view = ScoreView(compose([plan], fps=24, seed=index).score)
    tempo = next(m.bpm for m in view.marks if m.printed is not None)
    (_, mode), _, _ = find_key([n for part in view.parts.values() for n in part])
    return tempo, mode


def _z(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def _varies(*arrays: np.ndarray) -> bool:
    return all(float(np.ptp(a)) > 0 for a in arrays)


# ----------------------------------------------------------------- all together


@dataclass(frozen=True)
class StoryMetrics:
    """All fourteen checks for one composed path."""

    scene_ids: tuple[str, ...]
    meter: MeterChanges
    tempo: TempoChanges
    marks: PrintedMarks
    staff: StaffFit
    downbeats: Downbeats
    key: KeyAgreement
    modulation: Modulations
    vocabulary: HarmonicVocabulary
    consonance: Consonance
    melody: MelodyShape
    recurrence: MotifRecurrence
    contour: Contour
    leitmotifs: Leitmotifs
    palmer: PalmerReplication

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.meter, self.tempo, self.marks, self.staff, self.downbeats, self.key,
                self.modulation, self.vocabulary, self.consonance, self.melody, self.recurrence,
                self.contour, self.leitmotifs, self.palmer)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{c.number}. {c.title}: {p}" for c in self.checks for p in c.problems)


def story_metrics(plans: Sequence[ScenePlan], composed: ComposedScore, fps: int, *,
                  palmer: PalmerReplication | None = None) -> StoryMetrics:
    """Run every check on a score composed from ``plans`` at ``fps``."""
    return StoryMetrics(
        scene_ids=tuple(p.scene_id for p in plans),
        meter=meter_changes(composed),
        tempo=tempo_changes(composed),
        marks=printed_marks(composed),
        staff=staff_fit(composed),
        downbeats=downbeats(plans, composed, fps),
        key=key_agreement(plans, composed),
        modulation=modulations(plans, composed),
        vocabulary=harmonic_vocabulary(composed),
        consonance=consonance(plans, composed),
        melody=melody_shape(plans, composed),
        recurrence=motif_recurrence(composed),
        contour=contour(plans, composed),
        leitmotifs=leitmotifs(plans, composed),
        palmer=palmer if palmer is not None else palmer_replication(),
    )


def path_metrics(prepared: Prepared, path: Sequence[Scene]) -> StoryMetrics:
    """Compose ``path`` as the renderer does and measure it."""
    from storyscore.pipeline.soundtrack import compose_path

    composition = compose_path(prepared, path)
    return story_metrics(composition.plans, composition.score, prepared.story.fps)


def measure_story(story: Story, cache: Cache, path: Sequence[Scene] | None = None,
                  tick: Callable[[str, str], None] | None = None
                  ) -> tuple[StoryMetrics, Composition]:
    """Paint, narrate, compose and measure a path (default: the story's default path);
    the measured figures and the composition they were measured on."""
    from storyscore.pipeline.prepare import prepare
    from storyscore.pipeline.soundtrack import compose_path
    from storyscore.timeline import default_path

    scenes = list(path) if path is not None else default_path(story)
    composition = compose_path(prepare(story, scenes, cache, tick), scenes)
    return story_metrics(composition.plans, composition.score, story.fps), composition


def format_metrics(metrics: StoryMetrics) -> str:
    """The checks as text: each one's verdict, what was measured, what is wanted, problems."""
    lines = [f"Quality checks for the path {' -> '.join(metrics.scene_ids)}"]
    for check in metrics.checks:
        lines.append(f"{check.number}. {check.title}: {'PASS' if check.passed else 'FAIL'}")
        lines.append(f"   measured: {check.figure}")
        lines.append(f"   wanted:   {check.threshold}")
        lines += [f"   - {p}" for p in check.problems]
    passed = sum(c.passed for c in metrics.checks)
    lines.append(f"{passed} of {len(metrics.checks)} checks pass")
    return "\n".join(lines) + "\n"


__all__ = [
    "Check",
    "Consonance",
    "Contour",
    "Downbeats",
    "HarmonicVocabulary",
    "KeyAgreement",
    "Leitmotifs",
    "MelodyShape",
    "MeterChanges",
    "Modulations",
    "MotifRecurrence",
    "PalmerReplication",
    "PrintedMarks",
    "StaffFit",
    "StoryMetrics",
    "TempoChanges",
    "consonance",
    "contour",
    "downbeats",
    "format_metrics",
    "harmonic_vocabulary",
    "key_agreement",
    "kk_correlation",
    "leitmotifs",
    "measure_story",
    "melody_shape",
    "meter_changes",
    "modulations",
    "motif_recurrence",
    "palmer_replication",
    "path_metrics",
    "printed_marks",
    "skyline_at",
    "staff_fit",
    "story_metrics",
    "tempo_changes",
]
