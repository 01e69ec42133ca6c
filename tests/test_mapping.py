"""Picture → music mapping: the research's directions hold, script settings win."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from storyscore.analyse import analyse
from storyscore.model import Key, MusicSettings
from storyscore.pipeline.mapping import ENSEMBLES, MOOD_COORDINATES, sonify
from storyscore.reports.metrics import palmer_replication


def flat(rgb: tuple[int, int, int], size: tuple[int, int] = (160, 90)) -> Image.Image:
    image = Image.new("RGB", size, rgb)
    # A gentle skyline so every picture has shapes to read.
    draw = ImageDraw.Draw(image)
    shade = tuple(int(c * 0.8) for c in rgb)
    draw.polygon([(0, 70), (40, 50), (80, 60), (120, 40), (160, 65), (160, 90), (0, 90)],
                 fill=shade)
    return image


def jagged(rgb: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (160, 90), rgb)
    draw = ImageDraw.Draw(image)
    for x in range(0, 160, 16):
        draw.polygon([(x, 90), (x + 8, 20), (x + 16, 90)], fill=(20, 20, 20))
    return image


def rounded(rgb: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (160, 90), rgb)
    draw = ImageDraw.Draw(image)
    for x in range(0, 160, 32):
        draw.ellipse([x, 30, x + 30, 60], fill=(20, 20, 20))
    return image


SUNNY = flat((250, 215, 90))      # light, saturated, yellow
GLOOMY = flat((40, 50, 75))       # dark, greyish, blue
NONE = MusicSettings()


def test_light_saturated_yellow_is_major_faster_higher_than_dark_grey_blue() -> None:
    sunny, gloomy = sonify([analyse(SUNNY), analyse(GLOOMY)], [NONE, NONE])
    assert sunny.mode == "major"
    assert gloomy.mode == "minor"
    assert sunny.valence > gloomy.valence
    assert sunny.tempo > gloomy.tempo
    assert sunny.register > gloomy.register


def test_angular_pictures_are_more_staccato_than_rounded_ones() -> None:
    sharp, soft = sonify([analyse(jagged((200, 200, 210))), analyse(rounded((200, 200, 210)))],
                         [NONE, NONE])
    assert sharp.staccato > soft.staccato


def test_dark_saturated_red_brings_tension() -> None:
    red, blue = sonify([analyse(flat((120, 10, 15))), analyse(flat((60, 90, 160)))],
                       [NONE, NONE])
    assert red.tension > blue.tension
    assert red.velocity > blue.velocity


def test_script_settings_win() -> None:
    settings = MusicSettings(key=Key("F#", "minor"), tempo=126, mood="joyful",
                             instruments=("harp", "strings"), volume=0.5, silent=True)
    (music,) = sonify([analyse(GLOOMY)], [settings])
    assert (music.tonic, music.mode, music.tempo) == ("F#", "minor", 126)
    assert (music.melody, music.accompaniment) == ("harp", "strings")
    assert (music.volume, music.silent) == (0.5, True)
    assert (music.valence, music.arousal) == MOOD_COORDINATES["joyful"]


def test_mood_words_move_valence_and_arousal() -> None:
    calm, tense = sonify([analyse(SUNNY), analyse(SUNNY)],
                         [MusicSettings(mood="calm"), MusicSettings(mood="tense")])
    assert tense.arousal > calm.arousal
    assert tense.tempo > calm.tempo
    assert calm.mode == "major"
    assert tense.mode == "minor"


def test_instruments_stay_in_one_ensemble_across_the_story() -> None:
    pictures = [SUNNY, GLOOMY, flat((120, 10, 15)), jagged((90, 160, 90))]
    music = sonify([analyse(p) for p in pictures], [NONE] * 4)
    ensembles = [name for name, voicings in ENSEMBLES.items()
                 if all((m.melody, m.accompaniment, m.bass) in voicings.values() for m in music)]
    assert ensembles


def test_the_melody_contour_is_the_skyline_and_keys_stay_close() -> None:
    pictures = [SUNNY, GLOOMY, flat((90, 180, 120))]
    features = [analyse(p) for p in pictures]
    music = sonify(features, [NONE] * 3)
    for m, f in zip(music, features, strict=True):
        assert m.contour == f.skyline
        assert m.reasons
    assert len({m.key_name for m in music}) >= 2


def test_deterministic() -> None:
    features = [analyse(SUNNY), analyse(GLOOMY)]
    assert sonify(features, [NONE, NONE]) == sonify(features, [NONE, NONE])
    assert np.isfinite([m.valence for m in sonify(features, [NONE, NONE])]).all()


def test_palmer_replication_lighter_more_saturated_yellower_is_faster_and_major() -> None:
    result = palmer_replication()
    assert result.passed, result
