"""The video stage without ffmpeg: plan checks, timeline and segments, camera
moves, transitions, subtitles and cache keys."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyscore.errors import RenderError
from storyscore.export.subtitles import Cue
from storyscore.render import CameraMove, EncodeSettings, SceneShot, TransitionSpec, VideoPlan
from storyscore.render.camera import ShotView, ease, view_box
from storyscore.render.frames import iter_frames
from storyscore.render.planes import Planes, to_planes
from storyscore.render.segments import plan_segments
from storyscore.render.spec import TRANSITION_KINDS
from storyscore.render.subtitles import SubtitleOverlay, cue_at
from storyscore.render.transitions import compose

W, H, FPS = 96, 64, 8


def textured(seed: int, width: int = W, height: int = H) -> Image.Image:
    """A smooth random texture: distinct everywhere, good for measuring motion."""
    rng = np.random.default_rng(seed)
    noise = rng.random((height // 4 + 2, width // 4 + 2, 3)) * 255
    small = Image.fromarray(noise.astype(np.uint8))
    return small.resize((width, height), Image.Resampling.BICUBIC)


def flat(colour: tuple[int, int, int], width: int = W, height: int = H) -> Image.Image:
    return Image.new("RGB", (width, height), colour)


def arr(image: Image.Image | Planes) -> np.ndarray:
    """Pixels as float RGB; 4:2:0 planes converted back (BT.709, limited range)."""
    if isinstance(image, Planes):
        return rgb_of(image)
    return np.asarray(image, dtype=np.float64)


def planes_of(planes: Planes) -> list[np.ndarray]:
    return [np.asarray(plane, dtype=np.float64) for plane in planes]


def rgb_of(planes: Planes) -> np.ndarray:
    """4:2:0 BT.709 limited-range planes as float RGB (0 to 255), chroma repeated
    over the four pixels each sample covers."""
    y = (np.asarray(planes.y, dtype=np.float64) - 16) * 255 / 219
    cb, cr = ((np.asarray(c, dtype=np.float64) - 128) * 255 / 224 for c in (planes.cb, planes.cr))
    cb, cr = (np.repeat(np.repeat(c, 2, axis=0), 2, axis=1) for c in (cb, cr))
    kr, kb = 0.2126, 0.0722
    r = y + 2 * (1 - kr) * cr
    b = y + 2 * (1 - kb) * cb
    g = (y - kr * r - kb * b) / (1 - kr - kb)
    return np.stack([r, g, b], axis=2)


def shots(
    durations: list[float],
    transitions: list[TransitionSpec],
    cameras: list[CameraMove] | None = None,
    pictures: list[Image.Image] | None = None,
) -> tuple[SceneShot, ...]:
    out, start = [], 0.0
    for i, duration in enumerate(durations):
        out.append(
            SceneShot(
                pictures[i] if pictures else textured(i),
                start,
                duration,
                cameras[i] if cameras else CameraMove(),
                transitions[i] if i < len(transitions) else TransitionSpec(),
            )
        )
        start += duration
    return tuple(out)


# --- plan --------------------------------------------------------------------------


def test_plan_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown camera move"):
        CameraMove("spin")
    with pytest.raises(ValueError, match=r"zoom factor 2\.5"):
        CameraMove("zoom-in", 2.5)
    with pytest.raises(ValueError, match=r"pan share 0\.6"):
        CameraMove("pan-left", 0.6)
    with pytest.raises(ValueError, match="unknown transition"):
        TransitionSpec("dissolve", 1.0)
    with pytest.raises(ValueError, match="longer than"):
        VideoPlan(shots([1.0, 2.0], [TransitionSpec("crossfade", 1.5)]), W, H, FPS)
    with pytest.raises(ValueError, match="starts at"):
        VideoPlan((SceneShot(flat((0, 0, 0)), 0, 1), SceneShot(flat((0, 0, 0)), 2, 1)), W, H, FPS)
    with pytest.raises(ValueError, match="even"):
        VideoPlan(shots([1.0], []), 95, H, FPS)


def test_camera_defaults() -> None:
    assert CameraMove("zoom-in").value == 1.15
    assert CameraMove("pan-up").value == 0.1
    assert CameraMove("still", 3).value == 0.0
    assert TransitionSpec("cut", 2.0).effective_duration == 0.0


def test_draft_settings_halve_the_size_and_stay_even() -> None:
    draft = EncodeSettings(draft=True)
    assert draft.frame_size(1280, 720) == (640, 360)
    assert draft.frame_size(92, 60) == (46, 30)
    assert draft.frame_size(100, 68) == (50, 34)
    assert all(v % 2 == 0 for v in draft.frame_size(1080, 1918))
    assert draft.x264_preset in ("ultrafast", "superfast", "veryfast")
    assert draft.x264_crf > EncodeSettings().x264_crf
    assert EncodeSettings().x264_preset == "medium"


# --- timeline and segments ------------------------------------------------------------


@pytest.mark.parametrize(
    ("durations", "blend"),
    [
        ([1.0, 1.0, 2.0], 1.0),
        ([1.3, 0.7, 1.1], 0.5),
        ([2.0, 1.0], 0.0),
        ([0.9, 1.6, 1.2, 1.0], 0.75),
    ],
)
def test_segments_partition_every_frame(durations: list[float], blend: float) -> None:
    kinds = ["crossfade", "wipe-left", "zoom"]
    plan = VideoPlan(
        shots(durations, [TransitionSpec(kinds[i % 3], blend) for i in range(len(durations) - 1)]),
        W,
        H,
        FPS,
    )
    segments = plan_segments(plan, EncodeSettings())
    assert plan.frame_count == round(sum(durations) * FPS)
    assert sum(s.job.frames for s in segments) == plan.frame_count
    begin = 0
    for segment in segments:
        job = segment.job
        shot = plan.shots[segment.scene]
        # Frame k of the segment is the global frame begin + k.
        assert job.first_time == pytest.approx((begin + 0.5) / FPS - shot.start, abs=1e-6)
        # A segment is all body (the scene alone) or all blend (its transition).
        assert job.body_frames == (0 if segment.blend else job.frames)
        for k in range(job.frames):
            t = (begin + k + 0.5) / FPS
            in_blend = (
                segment.scene < len(plan.shots) - 1 and blend > 0 and t >= shot.end - blend / 2
            )
            assert segment.blend == in_blend
            assert t < shot.end + blend / 2 or segment.scene == len(plan.shots) - 1
        begin += job.frames


def test_transition_is_centred_and_cameras_span_it() -> None:
    plan = VideoPlan(
        shots(
            [2.0, 2.0, 2.0],
            [TransitionSpec("crossfade", 1.0), TransitionSpec("fade", 0.5)],
            [CameraMove("zoom-in"), CameraMove("pan-left"), CameraMove("zoom-out")],
        ),
        W,
        H,
        FPS,
    )
    first, into_middle, middle, into_last, last = plan_segments(plan, EncodeSettings())
    assert [s.label for s in (first, into_middle, middle, into_last, last)] == [
        "0", "0>1", "1", "1>2", "2"]
    assert [s.job.frames for s in (first, into_middle, middle, into_last, last)] == [
        12, 8, 10, 4, 14]
    # Each picture's camera runs over all the time it is visible, blends included.
    assert first.job.shot.span == into_middle.job.shot.span == (0.0, 2.5)
    assert first.job.following is None
    assert into_middle.job.following is not None
    assert into_middle.job.following.span == (1.5, 4.25)
    assert into_middle.job.boundary == 2.0
    assert middle.job.shot.span == (-0.5, 2.25)
    assert last.job.transition is None
    assert last.job.following is None


def test_blend_is_halfway_at_the_boundary() -> None:
    a, b = flat((200, 40, 40)), flat((20, 60, 220))
    plan = VideoPlan(
        shots([2.0, 2.0], [TransitionSpec("crossfade", 1.0)], pictures=[a, b]), W, H, FPS
    )
    body, blend = plan_segments(plan, EncodeSettings())[:2]
    # Compared plane by plane: the blend is linear in Y'CbCr as in RGB.
    frames = [planes_of(frame) for frame, _ in iter_frames(body.job, a)]
    frames += [planes_of(frame) for frame, _ in iter_frames(blend.job, a, b)]
    pa, pb = planes_of(to_planes(a)), planes_of(to_planes(b))
    boundary = 2 * FPS  # the first frame after the boundary
    expected_a = [1.0] * 12 + [1 - (k + 0.5) / 8 for k in range(8)]
    for frame, share in zip(frames, expected_a, strict=True):
        for plane, x, y in zip(frame, pa, pb, strict=True):
            assert np.abs(plane - (share * x + (1 - share) * y)).max() <= 1.0
    for before, after, x, y in zip(frames[boundary - 1], frames[boundary], pa, pb, strict=True):
        assert np.abs((before + after) / 2 - (x + y) / 2).max() <= 1.0


def test_both_pictures_keep_moving_during_a_transition() -> None:
    a, b = textured(1), textured(2)
    plan = VideoPlan(
        shots(
            [2.0, 2.0],
            [TransitionSpec("wipe-right", 1.0)],
            [CameraMove("zoom-in", 1.5), CameraMove("zoom-out", 1.5)],
            [a, b],
        ),
        W,
        H,
        FPS,
    )
    job = plan_segments(plan, EncodeSettings())[1].job  # the transition
    assert job.following is not None
    outgoing = ShotView(a, job.shot.camera, job.shot.span, (W, H))
    incoming = ShotView(b, job.following.camera, job.following.span, (W, H))
    times = [job.first_time + k / FPS for k in range(job.body_frames, job.frames)]
    widths_out = [outgoing.box(t)[2] - outgoing.box(t)[0] for t in times]
    widths_in = [incoming.box(t)[2] - incoming.box(t)[0] for t in times]
    assert all(x > y for x, y in itertools.pairwise(widths_out))  # zooming in
    assert all(x < y for x, y in itertools.pairwise(widths_in))  # zooming out


# --- camera -----------------------------------------------------------------------------


def test_ease_is_smooth_and_monotonic() -> None:
    us = np.linspace(0, 1, 101)
    values = [ease(u) for u in us]
    assert values[0] == 0
    assert values[-1] == 1
    assert ease(0.5) == 0.5
    assert all(x <= y for x, y in itertools.pairwise(values))
    assert ease(-1) == 0
    assert ease(2) == 1


@pytest.mark.parametrize(
    "move", ["zoom-in", "zoom-out", "pan-left", "pan-right", "pan-up", "pan-down"]
)
def test_view_stays_inside_the_picture(move: str) -> None:
    camera = CameraMove(move, 0.5 if move.startswith("pan") else 2.0)
    for u in np.linspace(0, 1, 21):
        left, top, right, bottom = view_box(camera, float(u), 1280, 720)
        assert -1e-9 <= left < right <= 1280 + 1e-9
        assert -1e-9 <= top < bottom <= 720 + 1e-9
        # The view keeps the frame's shape, so nothing is stretched.
        assert (right - left) / (bottom - top) == pytest.approx(1280 / 720)


def test_view_box_directions() -> None:
    start = view_box(CameraMove("zoom-in", 1.5), 0, 100, 50)
    end = view_box(CameraMove("zoom-in", 1.5), 1, 100, 50)
    assert start == (0, 0, 100, 50)
    assert end[2] - end[0] == pytest.approx(100 / 1.5)
    assert view_box(CameraMove("zoom-out", 1.5), 0, 100, 50) == pytest.approx(end)
    assert view_box(CameraMove("pan-right", 0.25), 0, 100, 50)[0] == 0
    assert view_box(CameraMove("pan-right", 0.25), 1, 100, 50)[2] == pytest.approx(100)
    assert view_box(CameraMove("pan-left", 0.25), 0, 100, 50)[2] == pytest.approx(100)
    assert view_box(CameraMove("pan-down", 0.25), 1, 100, 50)[3] == pytest.approx(50)
    assert view_box(CameraMove("pan-up", 0.25), 1, 100, 50)[1] == 0


def _shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The (dx, dy) that moves ``a`` onto ``b``, to a fraction of a pixel, by
    phase correlation with a parabolic peak fit."""
    ga, gb = a.mean(axis=2), b.mean(axis=2)
    window = np.outer(np.hanning(ga.shape[0]), np.hanning(ga.shape[1]))
    fa, fb = np.fft.fft2((ga - ga.mean()) * window), np.fft.fft2((gb - gb.mean()) * window)
    cross = fb * np.conj(fa)
    surface = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    py, px = np.unravel_index(np.argmax(surface), surface.shape)

    def refine(values: tuple[float, float, float]) -> float:
        left, centre, right = values
        denominator = left - 2 * centre + right
        return 0.0 if denominator == 0 else 0.5 * (left - right) / denominator

    rows, cols = surface.shape
    dy = py + refine((surface[py - 1, px], surface[py, px], surface[(py + 1) % rows, px]))
    dx = px + refine((surface[py, px - 1], surface[py, px], surface[py, (px + 1) % cols]))
    return (dx - cols if dx > cols / 2 else dx, dy - rows if dy > rows / 2 else dy)


@pytest.mark.parametrize(("move", "axis"), [("pan-right", 0), ("pan-down", 1)])
def test_pan_motion_is_sub_pixel_smooth(move: str, axis: int) -> None:
    width, height, fps, seconds = 160, 96, 8, 3.0
    picture = textured(7, width, height)
    camera = CameraMove(move, 0.2)
    view = ShotView(picture, camera, (0.0, seconds), (width, height))
    times = [(k + 0.5) / fps for k in range(round(seconds * fps))]
    frames = [arr(view.frame(t)) for t in times]
    measured = [_shift(a, b)[axis] for a, b in itertools.pairwise(frames)]
    # The view moves right/down, so the content moves left/up by the box's
    # step times the enlargement.
    zoom = 1 + camera.value
    start = [view.box(t)[axis] for t in times]
    expected = [-(y - x) * zoom for x, y in itertools.pairwise(start)]
    assert max(abs(m - e) for m, e in zip(measured, expected, strict=True)) < 0.2
    # Never a frame that stands still mid-move, never a jump back.
    assert all(m < -0.1 for m in measured[2:-2])
    steps = np.diff(measured)
    assert np.abs(steps).max() < 0.35 * max(abs(m) for m in measured)
    # Whole-pixel crops would make the error up to half a pixel; this is not that.
    assert not all(abs(m - round(m)) < 0.05 for m in measured)


def test_still_view_reuses_the_picture() -> None:
    picture = textured(3)
    view = ShotView(picture, CameraMove(), (0.0, 2.0), (W, H))
    assert view.frame(0.1) is view.frame(1.9)
    assert view.frame(0.5).tobytes() == picture.tobytes()


def test_a_picture_of_another_size_covers_the_frame() -> None:
    wide = textured(4, 200, 50)
    view = ShotView(wide, CameraMove(), (0.0, 1.0), (W, H))
    assert view.frame(0.5).size == (W, H)


# --- transitions ---------------------------------------------------------------------------


A_COLOUR, B_COLOUR = (220, 30, 30), (30, 40, 230)


def _blend(
    kind: str, p: float, a: Image.Image | None = None, b: Image.Image | None = None
) -> np.ndarray:
    first = a if a is not None else flat(A_COLOUR)
    second = b if b is not None else flat(B_COLOUR)
    return arr(compose(kind, p, lambda: first, lambda: second))


def _is(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: float = 2.0) -> bool:
    return bool(np.abs(pixels - np.array(colour, dtype=np.float64)).max() <= tolerance)


@pytest.mark.parametrize("kind", TRANSITION_KINDS)
def test_every_transition_starts_on_one_picture_and_ends_on_the_other(kind: str) -> None:
    assert _is(_blend(kind, 0.0), A_COLOUR)
    assert _is(_blend(kind, 1.0), B_COLOUR)


def test_crossfade_midpoint_is_the_average() -> None:
    a, b = textured(1), textured(2)
    assert np.abs(_blend("crossfade", 0.5, a, b) - (arr(a) + arr(b)) / 2).max() <= 1.0


def test_fades_pass_through_black_and_white() -> None:
    assert _blend("fade", 0.5).max() <= 2
    assert _blend("fade-white", 0.5).min() >= 253
    quarter = _blend("fade", 0.25)
    assert _is(quarter, tuple(round(c / 2) for c in A_COLOUR))  # type: ignore[arg-type]
    assert _is(_blend("fade-white", 0.75), tuple(round((c + 255) / 2) for c in B_COLOUR))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "first_part", "second_part"),
    [
        ("wipe-left", np.s_[:, : W // 4], np.s_[:, -W // 4 :]),
        ("wipe-right", np.s_[:, -W // 4 :], np.s_[:, : W // 4]),
        ("wipe-up", np.s_[: H // 4], np.s_[-H // 4 :]),
        ("wipe-down", np.s_[-H // 4 :], np.s_[: H // 4]),
    ],
)
def test_wipes_split_the_frame(kind: str, first_part: object, second_part: object) -> None:
    frame = _blend(kind, 0.5)
    assert _is(frame[first_part], A_COLOUR)  # type: ignore[call-overload]
    assert _is(frame[second_part], B_COLOUR)  # type: ignore[call-overload]
    # The edge is near the middle, and soft by at most a few pixels.
    mixed = np.abs(frame - np.array(A_COLOUR)).max(axis=2) > 2
    mixed &= np.abs(frame - np.array(B_COLOUR)).max(axis=2) > 2
    horizontal = kind in ("wipe-left", "wipe-right")
    edge = np.nonzero(mixed.any(axis=0 if horizontal else 1))[0]
    extent = W if horizontal else H
    assert len(edge) <= 3
    assert all(abs(e - extent / 2) <= 2 for e in edge)


def test_wipe_edge_moves_by_fractions_of_a_pixel() -> None:
    def edge(p: float) -> float:
        frame = _blend("wipe-right", p)
        # How much of picture B the frame shows, in columns.
        share = (frame[0, :, 2] - A_COLOUR[2]) / (B_COLOUR[2] - A_COLOUR[2])
        return float(share.sum())

    positions = [edge(p) for p in np.linspace(0.45, 0.55, 6)]
    steps = np.diff(positions)
    assert np.all(steps > 0)
    assert not np.allclose(steps, np.round(steps))


def _gradient(offset: int) -> Image.Image:
    x = np.arange(W, dtype=np.float64)
    row = np.stack([x * 2 + offset, np.full(W, offset), 255 - x * 2], axis=1)
    return Image.fromarray(np.repeat(row[None], H, axis=0).astype(np.uint8))


@pytest.mark.parametrize("kind", ["slide-left", "slide-right"])
def test_slides_push_the_next_picture_in(kind: str) -> None:
    a, b = _gradient(0), _gradient(60)
    frame = _blend(kind, 0.5, a, b)
    half = W // 2
    a_px, b_px = arr(a), arr(b)
    if kind == "slide-left":
        # The outgoing picture's right half now fills the left; the next one's left half the right.
        assert np.abs(frame[:, :half] - a_px[:, half:]).max() <= 1
        assert np.abs(frame[:, half:] - b_px[:, :half]).max() <= 1
    else:
        assert np.abs(frame[:, :half] - b_px[:, half:]).max() <= 1
        assert np.abs(frame[:, half:] - a_px[:, :half]).max() <= 1


@pytest.mark.parametrize("kind", ["slide-up", "slide-down"])
def test_vertical_slides_offset_the_next_picture(kind: str) -> None:
    frame = _blend(kind, 0.5)
    top, bottom = frame[: H // 2 - 1], frame[H // 2 + 1 :]
    first, second = (top, bottom) if kind == "slide-up" else (bottom, top)
    assert _is(first, A_COLOUR)
    assert _is(second, B_COLOUR)


def test_zoom_grows_the_next_picture_from_the_centre() -> None:
    b = flat(B_COLOUR)
    frame = _blend("zoom", 0.5, flat(A_COLOUR), b)
    assert _is(frame[H // 2, W // 2], B_COLOUR)
    assert _is(frame[:3, :3], A_COLOUR)
    assert _is(frame[-3:, -3:], A_COLOUR)
    shows_b = np.abs(frame - np.array(B_COLOUR)).max(axis=2) <= 2
    rows, cols = np.nonzero(shows_b)
    # A centred, smaller copy: about half the frame at half-way.
    assert cols.min() > 0
    assert cols.max() < W - 1
    assert rows.min() > 0
    assert rows.max() < H - 1
    assert (cols.max() - cols.min() + 1) == pytest.approx(W / 2, abs=2)
    assert abs((cols.min() + cols.max()) / 2 - (W - 1) / 2) <= 1
    earlier = np.abs(_blend("zoom", 0.3, flat(A_COLOUR), b) - np.array(B_COLOUR)).max(axis=2) <= 2
    assert earlier.sum() < shows_b.sum()


def test_fade_renders_only_the_picture_it_shows() -> None:
    def boom() -> Image.Image:
        raise AssertionError("not needed")

    compose("fade", 0.2, lambda: flat(A_COLOUR), boom)
    compose("fade", 0.8, boom, lambda: flat(B_COLOUR))


# --- subtitles ---------------------------------------------------------------------------------

def test_cue_at_finds_the_cue_showing() -> None:
    cues = (Cue(0.5, 2.0, ("Every morning, before the village woke,",)),
            Cue(2.25, 4.1, ("Mira walked", "into the forest.")))
    assert cue_at(cues, 1.0) == 0
    assert cue_at(cues, 2.1) is None
    assert cue_at(cues, 4.0) == 1


@pytest.mark.parametrize("size", [(96, 64), (320, 180), (1280, 720)])
def test_burnt_subtitles_scale_with_the_frame(size: tuple[int, int]) -> None:
    width, height = size
    background = flat((90, 140, 90), width, height)
    cue = Cue(0, 1, ("Mira walked into the forest, where the mist was thick.",))
    drawn = arr(SubtitleOverlay((cue,), size).draw(to_planes(background), 0))
    changed = np.abs(drawn - arr(background)).max(axis=2) > 8
    rows, cols = np.nonzero(changed)
    assert rows.min() > 0.3 * height
    assert rows.max() < height - 1
    assert cols.min() >= 0
    assert cols.max() < width
    # Light text on a dark box: both are there.
    assert drawn[changed].max() >= 240
    assert drawn[changed].min() <= 60
    # The text grows with the frame; on a toy-sized frame it wraps to more lines.
    block = rows.max() - rows.min() + 1
    assert 0.08 * height <= block <= (0.3 if height >= 180 else 0.7) * height
    assert arr(background).tobytes() != drawn.tobytes()


def test_subtitles_in_segment_keys_only_where_they_show() -> None:
    plan = VideoPlan(shots([2.0, 2.0, 2.0], [TransitionSpec(), TransitionSpec()]), W, H, FPS)
    plain = plan_segments(plan, EncodeSettings())
    burnt = plan_segments(plan, EncodeSettings(), [Cue(2.5, 3.5, ("hello",))])
    assert [s.key == t.key for s, t in zip(plain, burnt, strict=True)] == [True, False, True]
    # Cue times are relative to the scene they show in.
    assert burnt[1].job.cues == (Cue(0.5, 1.5, ("hello",)),)


# --- cache keys -------------------------------------------------------------------------------


def _keys(plan: VideoPlan, settings: EncodeSettings | None = None) -> list[str]:
    return [s.key for s in plan_segments(plan, settings or EncodeSettings())]


def _story(pictures: list[Image.Image], durations: list[float] | None = None) -> VideoPlan:
    count = len(pictures)
    return VideoPlan(
        shots(
            durations or [2.0] * count,
            [TransitionSpec("crossfade", 1.0)] * (count - 1),
            [CameraMove("zoom-in")] * count,
            pictures,
        ),
        W,
        H,
        FPS,
    )


def test_a_changed_picture_changes_its_body_and_the_blends_into_and_out_of_it() -> None:
    pictures = [textured(i) for i in range(4)]
    before = _keys(_story(pictures))  # 0, 0>1, 1, 1>2, 2, 2>3, 3
    pictures[2] = textured(99)
    after = _keys(_story(pictures))
    assert [x != y for x, y in zip(before, after, strict=True)] == [
        False, False, False, True, True, True, False]


def test_a_cut_does_not_tie_segments_together() -> None:
    pictures = [textured(i) for i in range(3)]

    def plan(pics: list[Image.Image]) -> VideoPlan:
        return VideoPlan(
            shots([2.0] * 3, [TransitionSpec(), TransitionSpec()], None, pics), W, H, FPS
        )

    before = _keys(plan(pictures))
    pictures[1] = textured(50)
    assert [x != y for x, y in zip(before, _keys(plan(pictures)), strict=True)] == [
        False,
        True,
        False,
    ]


def test_keys_do_not_depend_on_where_a_scene_sits() -> None:
    pictures = [textured(i) for i in range(4)]
    before = _keys(_story(pictures, [2.0, 2.0, 2.0, 2.0]))
    # The first scene grows by whole frames: later segments are the same frames.
    after = _keys(_story(pictures, [2.5, 2.0, 2.0, 2.0]))
    assert [x != y for x, y in zip(before, after, strict=True)] == [
        True, True, False, False, False, False, False]


def test_keys_cover_size_fps_and_encoder() -> None:
    pictures = [textured(i) for i in range(2)]
    base = _keys(_story(pictures))
    assert base == _keys(_story(pictures))
    assert set(base).isdisjoint(_keys(replace(_story(pictures), fps=12)))
    assert set(base).isdisjoint(_keys(_story(pictures), EncodeSettings(crf=30)))
    assert set(base).isdisjoint(_keys(_story(pictures), EncodeSettings(draft=True)))
    assert set(base).isdisjoint(_keys(replace(_story(pictures), width=W + 2)))


def test_picture_files_are_keyed_by_content(tmp_path: Path) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    textured(5).save(first)
    textured(5).save(second)
    plan_a = VideoPlan((SceneShot(first, 0, 1.0),), W, H, FPS)
    plan_b = VideoPlan((SceneShot(second, 0, 1.0),), W, H, FPS)
    assert _keys(plan_a) == _keys(plan_b)
    with pytest.raises(RenderError, match="cannot read the picture"):
        plan_segments(
            VideoPlan((SceneShot(tmp_path / "missing.png", 0, 1.0),), W, H, FPS), EncodeSettings()
        )
