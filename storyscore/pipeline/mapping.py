"""Picture features to musical choices, with the reasons ``explain`` prints.

The mapping follows the research on music–colour correspondence:

- Palmer, Schloss, Xu & Prado-León (2013, PNAS), "Music–color associations are
  mediated by emotion": faster, major music goes with lighter, more saturated,
  yellower colours; slower, minor music with darker, greyer, bluer ones, and
  the match runs through shared emotion (happy/sad, strong/weak).
- Palmer, Langlois & Schloss (2016) and Whiteford, Schloss, Helwig & Palmer
  (2018): the same correspondences hold across musical features (tempo, mode,
  register, timbre) and are explained by valence and arousal.
- Valdez & Mehrabian (1994): pleasure ≈ .69·brightness + .22·saturation;
  arousal ≈ −.31·brightness + .60·saturation.
- Eerola, Friberg & Bresin (2013): arousal is carried mostly by tempo and
  dynamics, valence by mode and register; articulation (staccato/legato) and
  timbre (sharp/soft) add to both.

Features are read in two ways at once: as they are (a dark picture is dark)
and relative to the rest of the story (this scene is darker than the others),
so a story keeps its contrasts without every scene of a night story becoming
minor and slow. Script settings (``music key/tempo/mood/instrument/volume/
silent``) always win over derived values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from PIL import Image

from storyscore import vocab
from storyscore.analyse import PictureFeatures, analyse
from storyscore.model import MusicSettings, Story

# Mood words as points in (valence, arousal), each in -1..1 (Russell's circumplex).
MOOD_COORDINATES: dict[str, tuple[float, float]] = {
    "calm": (0.45, -0.6),
    "joyful": (0.85, 0.45),
    "lively": (0.6, 0.8),
    "tense": (-0.5, 0.75),
    "sad": (-0.75, -0.5),
    "mysterious": (-0.3, -0.15),
    "triumphant": (0.8, 0.85),
    "dreamy": (0.35, -0.45),
}

MAJOR_THRESHOLD = -0.1

# The circle of fifths, in the spellings the composer writes.
FIFTHS_MAJOR = ("Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#")
FIFTHS_MINOR = ("Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#")
_ENHARMONIC = {"C#": "Db", "D#": "Eb", "G#": "Ab", "A#": "Bb", "Cb": "B", "Fb": "E",
               "E#": "F", "B#": "C", "Gb": "F#"}

# Ensembles: (melody, accompaniment, bass) by name from vocab.INSTRUMENTS.
# Chosen once per story so the timbre stays coherent; scenes pick within it.
ENSEMBLES: dict[str, dict[str, tuple[str, str, str]]] = {
    # soft and rounded pictures
    "chamber": {
        "bright": ("flute", "harp", "cello"),
        "warm": ("clarinet", "strings", "contrabass"),
        "dark": ("english-horn", "slow-strings", "contrabass"),
        "tense": ("oboe", "tremolo-strings", "contrabass"),
    },
    # fine-textured, sparkling pictures
    "sparkle": {
        "bright": ("celesta", "harp", "bass"),
        "warm": ("vibraphone", "warm-pad", "bass"),
        "dark": ("music-box", "pad", "fretless-bass"),
        "tense": ("glockenspiel", "pizzicato", "bass"),
    },
    # angular, busy pictures
    "bold": {
        "bright": ("trumpet", "strings", "tuba"),
        "warm": ("horn", "strings", "tuba"),
        "dark": ("trombone", "tremolo-strings", "contrabass"),
        "tense": ("brass", "pizzicato", "timpani"),
    },
}


@dataclass(frozen=True)
class Reason:
    """One line of ``explain``: a musical choice and the evidence for it."""

    choice: str
    because: str


@dataclass(frozen=True)
class SceneMusic:
    """The musical parameters of one scene, derived or overridden, with reasons."""

    tonic: str
    mode: str
    tempo: float
    valence: float
    arousal: float
    tension: float
    melody: str
    accompaniment: str
    bass: str | None
    register: int
    density: float
    velocity: int
    staccato: float
    texture: str
    contour: tuple[float, ...]
    volume: float
    silent: bool
    reasons: tuple[Reason, ...] = field(default=(), compare=False)

    @property
    def key_name(self) -> str:
        return f"{self.tonic} {self.mode}"


@dataclass(frozen=True)
class _Norms:
    """Story-wide means and spreads of the features that are read relatively."""

    mean: dict[str, float]
    spread: dict[str, float]

    def z(self, name: str, value: float) -> float:
        return (value - self.mean[name]) / self.spread[name]


_RELATIVE = ("lightness", "chroma", "yellowness", "edges", "fineness", "angularity",
             "complexity")


def _raw(features: PictureFeatures) -> dict[str, float]:
    return {
        "lightness": features.lightness_mean,
        "chroma": features.chroma_mean,
        "yellowness": features.b_mean,
        "edges": features.edge_density,
        "fineness": features.texture_fineness,
        "angularity": features.angularity,
        "complexity": features.complexity,
    }


def _norms(all_features: Sequence[PictureFeatures]) -> _Norms:
    rows = [_raw(f) for f in all_features]
    # Floors keep near-identical pictures from turning tiny differences into big swings.
    floors = {"lightness": 8.0, "chroma": 6.0, "yellowness": 6.0, "edges": 0.03,
              "fineness": 0.05, "angularity": 0.08, "complexity": 0.08}
    mean = {k: sum(r[k] for r in rows) / len(rows) for k in _RELATIVE}
    spread = {
        k: max(floors[k], math.sqrt(sum((r[k] - mean[k]) ** 2 for r in rows) / len(rows)))
        for k in _RELATIVE
    }
    return _Norms(mean, spread)


def _clip(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _squash(value: float) -> float:
    """A smooth map of any real number into -1..1."""
    return math.tanh(value)


def emotion(features: PictureFeatures, norms: _Norms) -> tuple[float, float, float]:
    """Valence, arousal (each -1..1) and tension (0..1) of a picture."""
    f = _raw(features)
    # Absolute readings, scaled so typical pictures span about -1..1.
    light_abs = (f["lightness"] - 50.0) / 25.0
    chroma_abs = (f["chroma"] - 25.0) / 20.0
    yellow_abs = f["yellowness"] / 25.0
    # Relative readings: where this scene stands in its story.
    light_rel = norms.z("lightness", f["lightness"])
    chroma_rel = norms.z("chroma", f["chroma"])
    yellow_rel = norms.z("yellowness", f["yellowness"])
    light = 0.6 * light_abs + 0.4 * light_rel
    chroma = 0.6 * chroma_abs + 0.4 * chroma_rel
    yellow = 0.6 * yellow_abs + 0.4 * yellow_rel
    # Valdez & Mehrabian weights for pleasure, plus Palmer's yellow–blue effect;
    # dark saturated red reads as anger, not joy.
    valence = _squash(0.69 * light + 0.22 * chroma + 0.35 * yellow
                      - 1.2 * features.red_tension)
    # Busy pictures (fine texture such as rain or foliage, many edges, high
    # visual complexity) are energetic whatever their colour.
    busy = (0.25 * norms.z("edges", f["edges"]) + 0.25 * norms.z("complexity", f["complexity"])
            + 0.5 * norms.z("fineness", f["fineness"]))
    sharp = norms.z("angularity", f["angularity"])
    arousal = _squash(-0.25 * light + 0.45 * chroma + 0.6 * busy + 0.25 * sharp
                      + 0.8 * features.red_tension)
    tension = _clip(0.6 * features.red_tension + 0.25 * max(0.0, sharp / 2)
                    + 0.15 * max(0.0, -valence) + 0.2 * max(0.0, busy) * max(0.0, -valence),
                    0.0, 1.0)
    return valence, arousal, tension


def _home_key(valence: float, warmth: float, mode: str) -> str:
    """A story's home tonic: warmer, happier stories sit on the sharp side."""
    position = round(6 + 2.0 * warmth + 1.5 * valence)
    circle = FIFTHS_MAJOR if mode == "major" else FIFTHS_MINOR
    return circle[max(3, min(9, position))]


def _fifths_index(tonic: str, mode: str) -> int:
    circle = FIFTHS_MAJOR if mode == "major" else FIFTHS_MINOR
    if tonic in circle:
        return circle.index(tonic)
    return circle.index(_ENHARMONIC.get(tonic, tonic))


def _relative_major(tonic: str, mode: str) -> int:
    """Position on the major circle of the key's relative major (shared key signature)."""
    return _fifths_index(tonic, mode)


@dataclass(frozen=True)
class _Frame:
    """What the whole story decides before any scene: its home key and its ensemble."""

    norms: _Norms
    mean_valence: float
    mean_warmth: float
    mean_fine: float
    mean_angular: float
    ensemble_name: str
    home: str
    home_mode: str
    home_position: int

    @property
    def ensemble(self) -> dict[str, tuple[str, str, str]]:
        return ENSEMBLES[self.ensemble_name]


def _emotions(features: Sequence[PictureFeatures], settings: Sequence[MusicSettings],
              norms: _Norms) -> list[tuple[float, float, float]]:
    """Each scene's (valence, arousal, tension): from its picture, or its mood word."""
    emotions = [emotion(f, norms) for f in features]
    for index, setting in enumerate(settings):
        if setting.mood is not None:
            v, a = MOOD_COORDINATES[setting.mood]
            emotions[index] = (v, a, max(0.0, a * -v) if v < 0 else 0.0)
    return emotions


def _frame(features: Sequence[PictureFeatures], emotions: Sequence[tuple[float, float, float]],
           norms: _Norms) -> _Frame:
    mean_valence = sum(e[0] for e in emotions) / len(emotions)
    mean_warmth = sum(f.warmth for f in features) / len(features)
    mean_fine = sum(f.texture_fineness for f in features) / len(features)
    mean_angular = sum(f.angularity for f in features) / len(features)
    ensemble_name = ("bold" if mean_angular > 0.55 else
                     "sparkle" if mean_fine > 0.45 else "chamber")
    home_mode = "major" if mean_valence >= -0.1 else "minor"
    home = _home_key(mean_valence, mean_warmth, home_mode)
    return _Frame(norms, mean_valence, mean_warmth, mean_fine, mean_angular, ensemble_name,
                  home, home_mode, _relative_major(home, home_mode))


def _key(feature: PictureFeatures, setting: MusicSettings, valence: float, frame: _Frame,
         evidence: str, reasons: list[Reason]) -> tuple[str, str]:
    """Valence chooses the mode; the key sits near the story's home key, nudged
    around the circle of fifths by the scene's warmth and valence."""
    if setting.key is not None:
        tonic, mode = setting.key.tonic, setting.key.mode
        reasons.append(Reason(f"key {tonic} {mode}", "set by the script"))
        return tonic, mode
    # Slightly below zero still reads as major: a neutral picture is not sad.
    mode = "major" if valence >= MAJOR_THRESHOLD else "minor"
    shift = round(1.2 * (feature.warmth - frame.mean_warmth)
                  + 1.0 * (valence - frame.mean_valence))
    position = max(0, min(12, frame.home_position + max(-2, min(2, shift))))
    # A minor scene takes the relative minor of the chosen signature.
    tonic = FIFTHS_MAJOR[position] if mode == "major" else FIFTHS_MINOR[position]
    reasons.append(Reason(
        f"key {tonic} {mode}",
        f"valence {valence:+.2f} from {evidence} → {mode}; warmth "
        f"{feature.warmth:+.2f} places it {shift:+d} fifths from the home key "
        f"{frame.home} {frame.home_mode}"))
    return tonic, mode


def _tempo(feature: PictureFeatures, setting: MusicSettings, valence: float, arousal: float,
           reasons: list[Reason]) -> float:
    if setting.tempo is not None:
        tempo = float(setting.tempo)
        reasons.append(Reason(f"tempo {tempo:g} BPM", "set by the script"))
        return tempo
    tempo = round(88 + 40 * arousal + 8 * valence)
    reasons.append(Reason(
        f"tempo {tempo:g} BPM",
        f"arousal {arousal:+.2f} (chroma, edges {feature.edge_density:.2f}, texture, "
        f"angularity {feature.angularity:.2f}) sets the pace"))
    return tempo


def _register(feature: PictureFeatures, reasons: list[Reason]) -> int:
    """Finer texture and lighter pictures sit higher."""
    register = round(64 + 7 * (feature.texture_fineness - 0.4) * 2
                     + 5 * (feature.lightness_mean - 50) / 50)
    register = max(55, min(79, register))
    reasons.append(Reason(
        f"melody around MIDI {register}",
        f"texture fineness {feature.texture_fineness:.2f} and lightness raise the register"))
    return register


def _playing(feature: PictureFeatures, arousal: float, tension: float,
             reasons: list[Reason]) -> tuple[float, float, int]:
    """How busily, how detached and how loud: (density, staccato, velocity)."""
    density = _clip(0.45 + 0.35 * arousal + 0.2 * (feature.complexity - 0.5), 0.1, 1.0)
    staccato = _clip(0.15 + 0.9 * (feature.angularity - 0.35) + 0.2 * arousal, 0.0, 1.0)
    velocity = round(_clip(62 + 22 * arousal + 18 * tension, 35, 110))
    articulation = "staccato" if staccato > 0.55 else "legato" if staccato < 0.3 else \
        "detached"
    reasons.append(Reason(
        f"{articulation} articulation, velocity {velocity}",
        f"angularity {feature.angularity:.2f} (corners against curves) and tension "
        f"{tension:.2f} (dark saturated red {feature.red_tension:.2f})"))
    return density, staccato, velocity


def _texture(feature: PictureFeatures, arousal: float, tension: float,
             reasons: list[Reason]) -> str:
    if tension > 0.45:
        texture = "block"
    elif arousal < -0.35:
        texture = "pad"
    elif arousal < 0.05:
        texture = "arpeggio"
    elif feature.texture_fineness > 0.5 or feature.complexity > 0.6:
        texture = "ostinato"
    else:
        texture = "alberti"
    reasons.append(Reason(f"{texture} accompaniment",
                          f"arousal {arousal:+.2f}, texture fineness "
                          f"{feature.texture_fineness:.2f}, complexity "
                          f"{feature.complexity:.2f}"))
    return texture


def _instruments(setting: MusicSettings, valence: float, tension: float, frame: _Frame,
                 reasons: list[Reason]) -> tuple[str, str, str | None]:
    """(melody, accompaniment, bass): the script's, or the story's ensemble voiced by colour."""
    if setting.instruments:
        melody = setting.instruments[0]
        accompaniment = setting.instruments[1] if len(setting.instruments) > 1 else melody
        bass = setting.instruments[2] if len(setting.instruments) > 2 else None
        reasons.append(Reason(f"instruments {'+'.join(setting.instruments)}",
                              "set by the script"))
        return melody, accompaniment, bass
    colour = ("tense" if tension > 0.45 else "bright" if valence > 0.35 else
              "warm" if valence > -0.2 else "dark")
    melody, accompaniment, bass = frame.ensemble[colour]
    reasons.append(Reason(
        f"melody {melody}, accompaniment {accompaniment}, bass {bass}",
        f"the story's '{frame.ensemble_name}' ensemble (mean angularity "
        f"{frame.mean_angular:.2f}, texture {frame.mean_fine:.2f}), its '{colour}' voicing "
        f"for this scene"))
    return melody, accompaniment, bass


def _scene_music(feature: PictureFeatures, setting: MusicSettings,
                 emotions: tuple[float, float, float], frame: _Frame) -> SceneMusic:
    """One scene's music, each choice with the evidence for it."""
    valence, arousal, tension = emotions
    reasons: list[Reason] = []
    lightness, chroma = feature.lightness_mean, feature.chroma_mean
    evidence = (f"lightness L*={lightness:.0f} ({frame.norms.z('lightness', lightness):+.1f}σ "
                f"in the story), chroma C*={chroma:.0f}, "
                f"yellow–blue b*={feature.b_mean:+.0f}")
    if setting.mood is not None:
        evidence = f"the script's mood '{setting.mood}'"
    tonic, mode = _key(feature, setting, valence, frame, evidence, reasons)
    tempo = _tempo(feature, setting, valence, arousal, reasons)
    register = _register(feature, reasons)
    density, staccato, velocity = _playing(feature, arousal, tension, reasons)
    texture = _texture(feature, arousal, tension, reasons)
    melody, accompaniment, bass = _instruments(setting, valence, tension, frame, reasons)
    reasons.append(Reason("melody follows the skyline",
                          "contour " + " ".join(f"{h:.1f}" for h in feature.skyline[::8])))
    return SceneMusic(
        tonic=tonic, mode=mode, tempo=max(vocab.TEMPO_RANGE[0],
                                          min(vocab.TEMPO_RANGE[1], tempo)),
        valence=round(valence, 4), arousal=round(arousal, 4), tension=round(tension, 4),
        melody=melody, accompaniment=accompaniment, bass=bass, register=register,
        density=round(density, 4), velocity=velocity, staccato=round(staccato, 4),
        texture=texture, contour=feature.skyline,
        volume=setting.volume if setting.volume is not None else 1.0,
        silent=setting.silent, reasons=tuple(reasons),
    )


def sonify(features: Sequence[PictureFeatures], settings: Sequence[MusicSettings]
           ) -> list[SceneMusic]:
    """The music of every scene of a story path, from its pictures and its settings."""
    if not features:
        return []
    norms = _norms(features)
    emotions = _emotions(features, settings, norms)
    frame = _frame(features, emotions, norms)
    return [_scene_music(feature, setting, emotions[index], frame)
            for index, (feature, setting) in enumerate(zip(features, settings, strict=True))]


def story_music(story: Story, pictures: Mapping[str, Image.Image]
                ) -> tuple[dict[str, PictureFeatures], dict[str, SceneMusic]]:
    """Features and music of every scene, read across the whole story.

    Every scene of every branch takes part in the story-wide normalisation, so
    a scene gets the same music whichever path leads to it.
    """
    features = {scene.id: analyse(pictures[scene.id]) for scene in story.scenes}
    return features, music_of(story, features)


def music_of(story: Story, features: Mapping[str, PictureFeatures]) -> dict[str, SceneMusic]:
    """Every scene's music from its picture features and its settings."""
    music = sonify([features[s.id] for s in story.scenes],
                   [story.music_of(s) for s in story.scenes])
    return {scene.id: m for scene, m in zip(story.scenes, music, strict=True)}
