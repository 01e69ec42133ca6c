"""The composer: time grid, harmony, melody and textures of composed scores."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator

import numpy as np
import pytest

from storyscore.compose import ComposedScore, ScenePlan, compose
from storyscore.compose.harmony import HarmonySpan, scene_key

FPS = 24

# Published Krumhansl–Kessler probe-tone profiles (C major, C minor), kept here
# independently of the composer so the test checks its key routes, not itself.
KK_MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
KK_MINOR = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR_HARMONIC = (0, 2, 3, 5, 7, 8, 10, 11)


def plan(**changes: object) -> ScenePlan:
    base = ScenePlan(
        scene_id="s", duration=10.0, flexible=False, tonic="C", mode="major", tempo=100.0,
        valence=0.5, arousal=0.2, tension=0.2, melody_program=73, accompaniment_program=0,
        bass_program=32, register=72, density=0.5, velocity=80, staccato=0.2,
        texture="arpeggio", contour=(0.3, 0.7, 0.5), narration=(), volume=1.0, silent=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def notes(cs: ComposedScore, part: str) -> Iterator[tuple[float, float, list[int], int]]:
    """(offset, length, midi pitches, velocity) of every event the composer wrote in a part."""
    for event in sorted(cs.part_events.get(part, ()), key=lambda e: (e.offset, e.pitches)):
        yield event.offset, event.length, list(event.pitches), event.velocity


def onsets(cs: ComposedScore, part: str) -> list[tuple[float, float, list[int], int]]:
    """Like ``notes`` but without tie continuations (only real attacks)."""
    return [(e.offset, e.length, list(e.pitches), e.velocity)
            for e in sorted(cs.part_events.get(part, ()), key=lambda e: (e.offset, e.pitches))
            if not e.tie_stop]


def chord_at(cs: ComposedScore, offset: float) -> HarmonySpan:
    return next(s for s in cs.harmony if s.offset <= offset + 1e-9 < s.end)


def measure_seconds(cs: ComposedScore) -> dict[float, float]:
    """Quarter-note offset → seconds of every bar line, from the tempo map."""
    return {bar.offset: cs.timeline.seconds_at(bar.offset) for bar in cs.timeline.bars}


def kk_r(a: tuple[int, str], b: tuple[int, str]) -> float:
    pa = np.roll(KK_MAJOR if a[1] == "major" else KK_MINOR, a[0])
    pb = np.roll(KK_MAJOR if b[1] == "major" else KK_MINOR, b[0])
    return float(np.corrcoef(pa, pb)[0, 1])


def scale(pc: int, mode: str) -> set[int]:
    return {(pc + s) % 12 for s in (MAJOR if mode == "major" else MINOR_HARMONIC)}


# ---------------------------------------------------------------- time grid

AWKWARD = [
    plan(scene_id="a", duration=7.3, tempo=97),
    plan(scene_id="b", duration=4.0, tempo=133, tonic="G"),
    plan(scene_id="c", duration=11.1, tempo=80, tonic="E", mode="minor", valence=-0.5),
    plan(scene_id="d", duration=5.0, tempo=60, flexible=True, tonic="A", mode="minor"),
    plan(scene_id="e", duration=6.2, tempo=150, tonic="F", arousal=0.8),
]


@pytest.fixture(scope="module")
def awkward() -> ComposedScore:
    return compose(AWKWARD, fps=FPS, seed=3)


def test_every_boundary_is_a_downbeat_within_one_frame(awkward: ComposedScore) -> None:
    # Every boundary here is a cut: the downbeat falls on it within a frame.
    seconds = measure_seconds(awkward)
    target = 0.0
    for i, p in enumerate(AWKWARD):
        offset = awkward.timeline.scene_offsets[i]
        assert offset in seconds, f"scene {p.scene_id} does not start on a downbeat"
        assert abs(seconds[offset] - target) <= 1 / FPS, p.scene_id
        assert abs(awkward.scene_starts[i] - target) < 1e-6
        if p.flexible:
            assert awkward.scene_durations[i] >= p.duration - 1e-9
            target += awkward.scene_durations[i]
        else:
            assert awkward.scene_durations[i] == pytest.approx(p.duration, abs=1e-6)
            target += p.duration
    assert awkward.total_seconds == pytest.approx(target, abs=1e-6)


def test_one_meter_and_no_odd_bars(awkward: ComposedScore) -> None:
    assert {b.time_signature for b in awkward.timeline.bars} == {"4/4"}
    assert all(b.length == 4 for b in awkward.timeline.bars)
    waltz = compose(AWKWARD, fps=FPS, seed=3, meter="3/4")
    assert {b.time_signature for b in waltz.timeline.bars} == {"3/4"}
    with pytest.raises(ValueError, match="meter"):
        compose(AWKWARD, fps=FPS, seed=3, meter="5/4")


def test_scenes_keep_near_the_home_tempo(awkward: ComposedScore) -> None:
    # The targets run from 60 to 150 BPM; the music keeps one pulse, the scenes differing
    # by their surface and by rubato where whole bars must fit a cut.
    tempos = awkward.timeline.tempos
    assert max(tempos) / min(tempos) < 1.45
    home = awkward.timeline.home_tempo
    assert 80 < home < 120
    assert all(abs(t / home - 1) < 0.25 for t in tempos)


def test_a_crossfade_lets_the_downbeat_fall_inside_it() -> None:
    plans = [plan(duration=7.0, tempo=100), plan(duration=7.0, tempo=100, lead_in=0.5),
             plan(duration=7.0, tempo=100, lead_in=0.5)]
    cs = compose(plans, fps=FPS, seed=1)
    for i in (1, 2):
        assert abs(cs.timeline.music_starts[i] - cs.scene_starts[i]) <= 0.5 + 1e-6
        assert cs.scene_starts[i] == pytest.approx(7.0 * i)
    tempos = cs.timeline.tempos
    assert max(tempos) / min(tempos) < 1.1


def test_flexible_scene_rounds_up_to_a_downbeat_at_its_tempo() -> None:
    cs = compose([plan(duration=4.0, tempo=133, flexible=True), plan(duration=6.0, tempo=133)],
                 fps=FPS, seed=1)
    bars = cs.timeline.scene_bars(0)
    assert all(b.time_signature == "4/4" for b in bars)
    assert cs.scene_durations[0] >= 4.0
    tempo = cs.timeline.tempos[0]
    assert cs.scene_durations[0] < 4.0 + 4 * 60 / tempo + 1e-6  # at most one bar longer
    assert cs.timeline.music_starts[1] == pytest.approx(cs.scene_starts[1])


def _ramp_violations(cs: ComposedScore) -> list[tuple[float, float, float]]:
    bad = []
    for a, b in itertools.pairwise(cs.timeline.marks):
        if abs(math.log(b.bpm / a.bpm)) > math.log(1.03) + 1e-9 and not b.breath:
            bad.append((b.offset, a.bpm, b.bpm))
    return bad


def test_tempo_ramps_at_most_three_percent_per_beat() -> None:
    plans = [plan(duration=12, tempo=70), plan(duration=12, tempo=88),
             plan(duration=12, tempo=72), plan(duration=4.2, tempo=120),
             plan(duration=12, tempo=60)]
    cs = compose(plans, fps=FPS, seed=2)
    assert _ramp_violations(cs) == []
    marks = cs.timeline.marks
    # The one-bar scene must run slower than its neighbours to fit its cut: the tempo
    # ramps into it and out of it beat by beat across each boundary (a written rit., then
    # an accel.), each ramp beat marked as one.
    assert [r.kind for r in cs.timeline.ramps] == ["rit.", "accel."]
    for ramp, boundary in zip(cs.timeline.ramps, cs.timeline.scene_offsets[3:], strict=True):
        assert ramp.start < boundary < ramp.end
        inside = [m for m in marks if ramp.start < m.offset < ramp.end]
        assert inside
        assert all(m.ramp for m in inside)
        assert all(b.offset - a.offset == 1 for a, b in itertools.pairwise(inside))
    # Elsewhere one pulse: the steady tempos differ by rubato only.
    assert max(cs.timeline.tempos) / min(cs.timeline.tempos) < 1.1


def test_silent_scene_keeps_time_and_music_resumes_on_the_downbeat() -> None:
    plans = [plan(duration=8), plan(duration=6.5, silent=True, tempo=90),
             plan(duration=8, tonic="D")]
    cs = compose(plans, fps=FPS, seed=1)
    start, end = cs.timeline.scene_offsets[1], cs.timeline.scene_offsets[2]
    for part in ("melody", "accompaniment", "bass"):
        sounding = [n for n in notes(cs, part) if n[0] < end - 1e-9 and n[0] + n[1] > start + 1e-9]
        assert sounding == [], part
        first_after = min(n[0] for n in notes(cs, part) if n[0] >= end - 1e-9)
        assert first_after == end
    assert cs.scene_durations[1] == pytest.approx(6.5, abs=1 / FPS)
    assert measure_seconds(cs)[end] == pytest.approx(14.5, abs=1 / FPS)


# ---------------------------------------------------------------- harmony


def _keys_between(cs: ComposedScore, scene: int) -> list[tuple[int, str]]:
    """Distinct keys of the chords from scene ``scene``'s last tonic to the next scene's."""
    out: list[tuple[int, str]] = []
    for span in cs.harmony:
        if span.scene in (scene, scene + 1):
            key = (span.chord.key.pc, span.chord.key.mode)
            if not out or out[-1] != key:
                out.append(key)
    return out


def test_close_keys_modulate_through_a_pivot_chord() -> None:
    keys = [("C", "major"), ("G", "major"), ("E", "minor"), ("D", "major"), ("B", "minor")]
    plans = [plan(duration=12, tonic=t, mode=m) for t, m in keys]
    cs = compose(plans, fps=FPS, seed=5)
    for i in range(len(plans) - 1):
        old = next(s.chord.key for s in cs.harmony if s.scene == i)
        new = next(s.chord.key for s in cs.harmony if s.scene == i + 1)
        boundary = cs.timeline.scene_offsets[i + 1]
        bars = cs.timeline.scene_bars(i)[-3:]
        around = [s for s in cs.harmony if bars[0].offset <= s.offset < boundary]
        assert any(set(s.chord.pcs) <= scale(old.pc, old.mode)
                   and set(s.chord.pcs) <= scale(new.pc, new.mode) for s in around), i
        last, arrival = around[-1], chord_at(cs, boundary)
        assert last.chord.key == new
        assert last.chord.figure in ("V", "V7")
        assert arrival.offset == boundary
        assert arrival.chord.key == new
        assert arrival.chord.figure in ("I", "i")
        assert (last.chord.root - new.pc) % 12 == 7


def test_distant_keys_step_through_related_keys_two_bars_each() -> None:
    plans = [plan(duration=30, tonic="C"), plan(duration=20, tonic="F#")]
    cs = compose(plans, fps=FPS, seed=1)
    route = _keys_between(cs, 0)
    assert route[0] == (0, "major")
    assert route[-1] == (6, "major")
    assert len(route) >= 3
    for a, b in itertools.pairwise(route):
        assert kk_r(a, b) >= 0.5, (a, b)
    # Each intermediate key is heard for at least two bars.
    for key in route[1:-1]:
        spans = [s for s in cs.harmony if (s.chord.key.pc, s.chord.key.mode) == key]
        assert max(s.end for s in spans) - min(s.offset for s in spans) >= 8
    # The new key's tonic arrives on the boundary's downbeat, with its signature.
    arrival = chord_at(cs, cs.timeline.scene_offsets[1])
    assert arrival.chord.figure == "I"
    assert arrival.chord.key.pc == 6
    from music21 import key as m21key

    signatures = [(k.sharps, float(k.getOffsetBySite(k.activeSite) + k.activeSite.offset))
                  for k in cs.score.parts[0].recurse().getElementsByClass(m21key.Key)]
    assert (6, cs.timeline.scene_offsets[1]) in signatures
    # A signature wherever the accidentals change (C minor and E-flat major share one).
    assert len(signatures) >= len({s.chord.key.sharps for s in cs.harmony
                                   if (s.chord.key.pc, s.chord.key.mode) in route})


def test_a_route_with_no_room_becomes_a_phrase_modulation_after_a_full_close() -> None:
    # A minor to D minor needs a route of two steps (their KK profiles correlate at only
    # 0.34): four bars, and two short scenes have five between them.
    plans = [plan(scene_id="a", duration=6, tempo=80, tonic="A", mode="minor"),
             plan(scene_id="b", duration=6, tempo=80, tonic="D", mode="minor")]
    cs = compose(plans, fps=FPS, seed=3)
    boundary = cs.timeline.scene_offsets[1]
    before = max((s for s in cs.harmony if s.scene == 0), key=lambda s: s.offset)
    after = chord_at(cs, boundary)
    # The old key closes on its tonic, gives up a beat for a breath, and the new key
    # starts on the boundary's downbeat; nothing sounds in the breath.
    assert (before.chord.key.tonic, before.chord.figure) == ("A", "i")
    assert before.end == pytest.approx(boundary - 1.0)
    assert (after.chord.key.tonic, after.chord.key.mode, after.chord.figure) == (
        "D", "minor", "i")
    for part in ("melody", "accompaniment", "bass"):
        assert not [n for n in notes(cs, part) if n[0] < boundary and n[0] + n[1] > before.end
                    + 1e-9], part
    assert {s.chord.key.tonic for s in cs.harmony} == {"A", "D"}


def test_a_route_that_fits_is_preferred_to_a_phrase_modulation() -> None:
    plans = [plan(scene_id="a", duration=16, tempo=80, tonic="A", mode="minor"),
             plan(scene_id="b", duration=16, tempo=80, tonic="D", mode="minor")]
    cs = compose(plans, fps=FPS, seed=3)
    assert len(_keys_between(cs, 0)) == 3
    spans = sorted(cs.harmony, key=lambda s: s.offset)
    assert all(a.end == pytest.approx(b.offset) for a, b in itertools.pairwise(spans))


def test_phrases_end_in_cadences_and_the_piece_ends_on_v_i() -> None:
    cs = compose([plan(duration=40, tempo=96), plan(duration=30, tonic="A", mode="minor",
                                                    valence=-0.5)], fps=FPS, seed=7)
    spans = list(cs.harmony)
    halves = [s for s in spans if s.cadence == "half"]
    authentic = [s for s in spans if s.cadence in ("authentic", "final")]
    assert halves
    assert authentic
    for s in halves:
        assert s.chord.figure == "V"
        assert s.end == cs.timeline.bars[s.bar].end  # the phrase's last chord
    for s in authentic:
        before = spans[spans.index(s) - 1]
        assert s.chord.figure in ("I", "i")
        assert before.chord.figure in ("V", "V7")
        assert s.offset == cs.timeline.bars[s.bar].offset  # on a downbeat
    final = spans[-1]
    assert final.cadence == "final"
    assert final.chord.figure == "i"
    assert final.offset == cs.timeline.bars[-1].offset
    assert spans[-2].chord.figure in ("V", "V7")
    assert spans[-2].chord.key == final.chord.key
    # Phrases are four bars: half cadences close bars 4, 12, ... of a scene.
    first_scene = [s for s in halves if s.scene == 0]
    assert [s.bar % 8 for s in first_scene] == [3] * len(first_scene)


@pytest.mark.parametrize(
    ("mood", "mode", "expected"),
    [
        ({"valence": 0.8, "arousal": 0.6, "tension": 0.1}, "major", {"vi", "IV"}),
        ({"valence": -0.7, "arousal": -0.3, "tension": 0.2}, "minor", {"VI", "iv"}),
        ({"valence": -0.2, "arousal": 0.4, "tension": 0.9}, "minor", {"bII", "bII6", "iio6",
                                                                 "viio7"}),
        ({"valence": 0.05, "arousal": -0.5, "tension": 0.3}, "major", {"bVI", "bVII", "iv"}),
    ],
)
def test_mood_chooses_the_progression(mood: dict[str, float], mode: str,
                                      expected: set[str]) -> None:
    cs = compose([plan(duration=30, mode=mode, **mood)], fps=FPS, seed=11)
    figures = {s.chord.figure for s in cs.harmony}
    assert figures & expected, figures


# ---------------------------------------------------------------- melody

VARIED = [
    plan(scene_id="a", duration=12, texture="arpeggio", density=0.7),
    plan(scene_id="b", duration=10, tonic="A", mode="minor", valence=-0.6, texture="alberti",
         density=0.9, arousal=0.7),
    plan(scene_id="c", duration=9, tonic="F", valence=0.6, arousal=-0.6, texture="pad"),
    plan(scene_id="d", duration=9, tonic="D", mode="minor", tension=0.8, texture="ostinato",
         staccato=0.7),
    plan(scene_id="e", duration=9.7, tonic="D", texture="block", bass_program=None),
]


@pytest.fixture(scope="module")
def varied() -> ComposedScore:
    return compose(VARIED, fps=FPS, seed=9)


def test_the_melody_keeps_to_its_instruments_range() -> None:
    from storyscore.compose.request import instrument_range

    # A flute asked for a low register, a piccolo and a bassoon at the edges of theirs:
    # each scene's tune moves whole into what its instrument plays (a flute from C4 up).
    plans = [plan(scene_id="flute", duration=12, register=55, melody_program=73),
             plan(scene_id="piccolo", duration=12, register=70, melody_program=72, tonic="G"),
             plan(scene_id="bassoon", duration=12, register=79, melody_program=70, tonic="F")]
    cs = compose(plans, fps=FPS, seed=3)
    for i, p in enumerate(plans):
        start, end = cs.timeline.scene_offsets[i], cs.timeline.scene_offsets[i] + \
            cs.timeline.scene_lengths[i]
        low, high = instrument_range(p.melody_program)
        sung = [n[2][0] for n in onsets(cs, "melody") if start <= n[0] < end]
        assert len(sung) >= 8, p.scene_id
        assert low <= min(sung), (p.scene_id, min(sung))
        assert max(sung) <= high, (p.scene_id, max(sung))
    assert instrument_range(73) == (60, 96)


@pytest.mark.parametrize(("tonic", "mode"), [("C", "major"), ("F#", "minor"), ("A", "major")])
def test_leitmotifs_keep_to_their_instruments_range(tonic: str, mode: str) -> None:
    from storyscore.compose.leitmotif import cast_of, plan_leitmotifs
    from storyscore.compose.request import instrument_range

    # Four large creatures share the low register: the fourth's instrument is an acoustic
    # bass (E1..G3), whose rising motif from the low register's own octave would climb
    # over its top; it starts an octave lower instead.
    characters = [("bear", "a huge slow sad bear"), ("giant", "a big slow grand giant"),
                  ("wolf", "a big proud quick wolf"), ("whale", "a large quick whale")]
    plans = [plan(scene_id="a", duration=12.0, tonic=tonic, mode=mode,
                  characters=tuple(c for c, _ in characters))]
    cs = compose(plans, fps=FPS, seed=1, characters=characters)
    motifs = plan_leitmotifs(characters, cast_of(plans))
    assert 32 in {m.program for m in motifs}
    for motif in motifs:
        low, high = instrument_range(motif.program)
        played = [p for e in cs.part_events[motif.part] for p in e.pitches]
        assert played, motif.character
        assert low <= min(played), (motif.character, motif.program, min(played))
        assert max(played) <= high, (motif.character, motif.program, max(played))
    assert {s.character for s in cs.leitmotifs} == {c for c, _ in characters}


def test_the_melody_ranks_ties_as_spearman_does() -> None:
    from scipy.stats import rankdata, spearmanr

    from storyscore.compose.melody import _rank_correlation, _ranks

    rng = np.random.default_rng(4)
    for _ in range(200):
        a = rng.integers(0, 5, 12).astype(float)
        b = rng.random(12)
        assert np.allclose(_ranks(a), rankdata(a))
        if np.ptp(a) > 0:
            assert _rank_correlation(a, b) == pytest.approx(spearmanr(a, b).statistic)


def test_strong_beat_melody_notes_are_chord_tones(varied: ComposedScore) -> None:
    checked = 0
    for offset, _, pitches, _ in onsets(varied, "melody"):
        bar = next(b for b in varied.timeline.bars if b.offset <= offset < b.end)
        beat = offset - bar.offset
        strong = beat == 0 or (bar.time_signature == "4/4" and beat == 2)
        if strong:
            assert pitches[0] % 12 in chord_at(varied, offset).chord.pcs, (offset, pitches)
            checked += 1
    assert checked > 20


def test_accompaniment_and_bass_sound_the_written_chords(varied: ComposedScore) -> None:
    for part in ("accompaniment", "bass"):
        for offset, _, pitches, _ in notes(varied, part):
            chord = chord_at(varied, offset).chord
            # A 4-3 suspension leans on the fourth above the root before the third.
            allowed = set(chord.pcs) | {(chord.root + 5) % 12}
            assert {p % 12 for p in pitches} <= allowed, (part, offset, chord.label())
    roots = pedals = 0
    for span in varied.harmony:
        attack = [n for n in notes(varied, "bass") if n[0] == span.offset]
        if attack:
            # The bass note of the chord, or a tonic pedal under a chord that holds the tonic.
            pedal = attack[0][2][0] % 12 == span.chord.key.pc != span.chord.bass
            assert attack[0][2][0] % 12 == span.chord.bass or pedal
            assert not pedal or span.chord.key.pc in span.chord.pcs
            roots += 1
            pedals += int(pedal)
    assert roots > 10
    # The calm scene (c) opens over a tonic pedal while its chords hold the tonic as root
    # or third.
    calm = [s for s in varied.harmony if s.scene == 2]
    opening = list(itertools.takewhile(
        lambda s: s.chord.key == calm[0].chord.key and s.chord.key.pc in s.chord.pcs[:2], calm))
    assert opening
    for span in opening:
        attack = [n for n in notes(varied, "bass") if n[0] == span.offset]
        assert attack[0][2][0] % 12 == span.chord.key.pc
    assert pedals <= len(opening)


def _mean_pitch(cs: ComposedScore, lo: float, hi: float) -> float:
    pitches = [n[2][0] for n in notes(cs, "melody") if lo <= n[0] < hi]
    return float(np.mean(pitches))


def test_melody_follows_the_skyline() -> None:
    # The theme's phrases keep their own shape (and close on the tonic); the skyline moves
    # its bars up or down as a sequence, so the same theme sits higher where the picture
    # is higher. Each seed draws another motif: every one rises over a rising skyline and
    # falls over a falling one, and on average the thirds lie well apart.
    gaps = []
    for seed in range(6):
        thirds = []
        for contour in ((0.0, 0.25, 0.5, 0.75, 1.0), (1.0, 0.75, 0.5, 0.25, 0.0)):
            cs = compose([plan(duration=24, contour=contour)], fps=FPS, seed=seed)
            length = cs.timeline.total_quarters
            thirds.append((_mean_pitch(cs, 0, length / 3),
                           _mean_pitch(cs, 2 * length / 3, length - 4)))
        (rise_first, rise_last), (fall_first, fall_last) = thirds
        assert rise_last > rise_first, (seed, thirds)
        assert fall_last < fall_first, (seed, thirds)
        gaps.append((fall_first - rise_first, rise_last - fall_last,
                     (rise_last - rise_first) - (fall_last - fall_first)))
    first, last, moved = np.mean(gaps, axis=0)
    assert first > 2
    assert last > 2
    assert moved >= 6


def test_melody_moves_by_step_and_resolves_leaps(varied: ComposedScore) -> None:
    melody = onsets(varied, "melody")
    pitches = [n[2][0] for n in melody]
    intervals = np.diff(pitches)
    assert np.mean(np.abs(intervals) <= 2) >= 0.5
    leaps = turned = by_step = 0
    for k in range(len(melody) - 2):
        first, second = pitches[k + 1] - pitches[k], pitches[k + 2] - pitches[k + 1]
        gap = melody[k + 2][0] - (melody[k + 1][0] + melody[k + 1][1])
        if abs(first) >= 5 and gap < 1:
            leaps += 1
            turned += int(np.sign(second) == -np.sign(first))
            by_step += int(np.sign(second) == -np.sign(first) and 1 <= abs(second) <= 2)
    # Most leaps turn back (folk songs and chorales: a third of them at the lower
    # quartile), many by step; the theme's own leaps and the jump to a new scene's
    # register account for the rest.
    assert leaps == 0 or (turned / leaps >= 0.5 and by_step / leaps >= 0.25), (turned, leaps)
    assert max(abs(int(i)) for i in intervals) <= 12


def test_density_and_arousal_drive_the_rhythm() -> None:
    calm = compose([plan(duration=20, density=0.1, arousal=-0.8)], fps=FPS, seed=1)
    busy = compose([plan(duration=20, density=0.9, arousal=0.8)], fps=FPS, seed=1)
    rate = [len(onsets(cs, "melody")) / cs.total_seconds for cs in (calm, busy)]
    assert rate[1] > 2 * rate[0]


def test_staccato_leaves_rests_and_legato_fills() -> None:
    def filled(cs: ComposedScore) -> float:
        melody = list(notes(cs, "melody"))
        return sum(n[1] for n in melody) / (melody[-1][0] + melody[-1][1] - melody[0][0])

    legato = compose([plan(duration=16, staccato=0.0)], fps=FPS, seed=1)
    staccato = compose([plan(duration=16, staccato=1.0)], fps=FPS, seed=1)
    assert filled(legato) == pytest.approx(1.0)
    assert filled(staccato) < 0.75


def test_melody_keeps_its_line_under_narration() -> None:
    # Under speech the melody thins but does not sink or fall silent: it keeps its
    # register and goes on following the skyline.
    p = plan(duration=30, density=0.7, arousal=0.5, narration=((0.5, 29.0),),
             contour=(0.0, 0.5, 1.0))
    rises = []
    for contour in ((0.0, 0.5, 1.0), (1.0, 0.5, 0.0)):
        cs = compose([dataclasses.replace(p, contour=contour)], fps=FPS, seed=1)
        melody = onsets(cs, "melody")
        assert len(melody) >= 12
        pitches = [n[2][0] for n in melody]
        # The theme sits where its mean lands nearest the register, give or take a fourth.
        assert abs(np.mean(pitches) - p.register) <= 6
        half = len(pitches) // 2
        rises.append(np.mean(pitches[half:]) - np.mean(pitches[:half]))
    assert rises[0] > rises[1] + 3


def test_each_scene_states_its_key_to_key_finding() -> None:
    from music21 import analysis, stream
    from music21 import note as m21note

    keys = [("D", "major"), ("B", "minor"), ("Bb", "major"), ("E", "minor")]
    plans = [plan(scene_id=f"s{k}", duration=14, tonic=t, mode=m, valence=-0.4,
                  arousal=-0.3, tension=0.7 if k % 2 else 0.1) for k, (t, m) in enumerate(keys)]
    cs = compose(plans, fps=FPS, seed=11)
    for i, (tonic, mode) in enumerate(keys):
        # The scene's own chords: not the route that leads on to the next key.
        own = [s for s in cs.harmony
               if s.scene == i and s.chord.key.same_as == scene_key(plans[i]).same_as]
        excerpt: stream.Stream[m21note.Note] = stream.Stream()
        for part in ("melody", "accompaniment", "bass"):
            for offset, length, pitches, _ in notes(cs, part):
                if any(s.offset <= offset < s.end for s in own):
                    for midi in pitches:
                        excerpt.insert(offset, m21note.Note(midi, quarterLength=length))
        found = analysis.discrete.KrumhanslSchmuckler().getSolution(excerpt)
        assert (found.tonic.name.replace("-", "b"), found.mode) == (tonic, mode), i


def test_narration_thins_the_melody_and_the_texture() -> None:
    p = plan(duration=30, density=0.7, arousal=0.5, narration=((8.0, 20.0),))
    cs = compose([p], fps=FPS, seed=1)
    lo, hi = cs.timeline.offset_at(8.0), cs.timeline.offset_at(20.0)
    for part in ("melody", "accompaniment"):
        inside = [n for n in onsets(cs, part) if lo <= n[0] < hi]
        outside = [n for n in onsets(cs, part) if not lo <= n[0] < hi]
        rate_in = len(inside) / 12.0
        rate_out = len(outside) / (cs.total_seconds - 12.0)
        assert rate_in < rate_out * 0.7, part
        assert np.mean([n[3] for n in inside]) < np.mean([n[3] for n in outside]), part


# ---------------------------------------------------------------- textures


def _texture(texture: str, **changes: object) -> ComposedScore:
    return compose([plan(duration=12, tempo=90, texture=texture, density=0.5, arousal=0.0,
                         **changes)], fps=FPS, seed=1)


def test_pad_sustains_chords() -> None:
    acc = list(notes(_texture("pad"), "accompaniment"))
    assert all(len(n[2]) >= 3 and n[1] >= 2 for n in acc)


def test_arpeggio_breaks_chords_up_and_down() -> None:
    acc = list(notes(_texture("arpeggio"), "accompaniment"))
    assert all(len(n[2]) == 1 and n[1] == 0.5 for n in acc[:-1])
    first_bar = [n[2][0] for n in acc if n[0] < 4]
    assert first_bar[:4] == sorted(first_bar[:4])
    assert first_bar[4] < first_bar[3]


def test_alberti_plays_low_high_middle_high() -> None:
    acc = list(notes(_texture("alberti"), "accompaniment"))
    low, high, mid, high2 = (n[2][0] for n in acc[:4])
    assert low < mid < high == high2
    assert all(n[1] == 0.5 for n in acc[:8])


def test_block_chords_on_the_beats() -> None:
    acc = list(notes(_texture("block", staccato=0.0), "accompaniment"))
    assert all(len(n[2]) >= 3 and n[0] == int(n[0]) for n in acc)


def test_ostinato_repeats_one_figure() -> None:
    cs = _texture("ostinato", staccato=0.0)
    # (The final chord is held; the rest keeps the eighth-note figure.)
    acc = [n for n in notes(cs, "accompaniment") if n[0] < cs.timeline.bars[-1].offset]
    assert all(n[1] == 0.5 for n in acc)

    def contour(bar: int) -> list[int]:
        pitches = [n[2][0] for n in acc if bar * 4 <= n[0] < bar * 4 + 4]
        return [int(np.sign(b - a)) for a, b in itertools.pairwise(pitches)]

    assert contour(0) == contour(1) == contour(2)


def test_scene_without_bass_instrument_keeps_the_root_in_the_accompaniment() -> None:
    cs = _texture("pad", bass_program=None)
    assert not cs.part_events.get("bass")
    for offset, _, pitches, _ in notes(cs, "accompaniment"):
        assert min(pitches) % 12 == chord_at(cs, offset).chord.bass


def test_plans_are_checked() -> None:
    with pytest.raises(ValueError, match="scene 'x': tempo"):
        compose([plan(scene_id="x", tempo=300)], fps=FPS, seed=1)
    with pytest.raises(ValueError, match="texture"):
        compose([plan(texture="waltz")], fps=FPS, seed=1)
    with pytest.raises(ValueError, match="not a note name"):
        compose([plan(tonic="H")], fps=FPS, seed=1)


def test_outer_voices_avoid_parallel_fifths_and_octaves(varied: ComposedScore) -> None:
    from storyscore.compose.melody import _lowest

    line = _lowest([varied.part_events["accompaniment"], varied.part_events["bass"]])

    def bass(offset: float) -> int | None:
        found = [p for start, end, p in line if start <= offset + 1e-9 < end]
        return found[0] if found else None

    melody = onsets(varied, "melody")
    moves = parallels = 0
    for (a, _, pa, _), (b, _, pb, _) in itertools.pairwise(melody):
        low_a, low_b = bass(a), bass(b)
        if low_a is None or low_b is None or low_a == low_b or pa == pb:
            continue
        moves += 1
        before, after = (pa[0] - low_a) % 12, (pb[0] - low_b) % 12
        similar = (pb[0] - pa[0]) * (low_b - low_a) > 0
        parallels += int(similar and before == after and after in (0, 7))
    assert moves >= 20
    assert parallels / moves <= 0.05


def test_a_tempo_jump_comes_after_a_close_and_a_breath() -> None:
    # A one-bar scene between two others far slower has no room to ramp: the tempo
    # jumps at its bar line, after the phrase closes on its tonic and the music breathes.
    # (A shorter one, under a bar inside the tempo band, is a flash cut played through.)
    plans = [plan(scene_id="a", duration=3.0, tempo=60), plan(scene_id="b", duration=3.5,
                                                               tempo=180),
             plan(scene_id="c", duration=12.0, tempo=60)]
    cs = compose(plans, fps=FPS, seed=1)
    breaths = [m for m in cs.timeline.marks if m.breath]
    assert breaths
    for mark in breaths:
        assert mark.offset in cs.timeline.scene_offsets
        before = max((s for s in cs.harmony if s.end <= mark.offset + 1e-9),
                     key=lambda s: s.end)
        assert before.chord.figure in ("I", "i")
        assert before.end <= mark.offset - 1 + 1e-9
        for part in ("melody", "accompaniment", "bass"):
            assert not [n for n in notes(cs, part)
                        if n[0] < mark.offset - 1e-9 and n[0] + n[1] > before.end + 1e-9]
