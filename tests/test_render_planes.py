"""Frames made as 4:2:0 planes: the colour conversion against ffmpeg's, and
every camera move, transition and burnt-in subtitle against the same frame
made in RGB and converted afterwards (what the renderer did before)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from functools import partial

import numpy as np
import pytest
from PIL import Image

from storyscore.export.subtitles import Cue
from storyscore.render import CameraMove, EncodeSettings, SceneShot, TransitionSpec, VideoPlan
from storyscore.render.camera import ShotView
from storyscore.render.encode import ffmpeg_exe
from storyscore.render.frames import SegmentJob, iter_frame_bytes, iter_frames
from storyscore.render.planes import Planes, overlay_planes, to_planes
from storyscore.render.segments import plan_segments
from storyscore.render.spec import TRANSITION_KINDS
from storyscore.render.subtitles import SubtitleOverlay
from storyscore.render.transitions import compose

W, H, FPS = 160, 96, 12


def smooth(seed: int, width: int = W, height: int = H, detail: int = 8) -> Image.Image:
    """Random colour, varying over about ``detail`` pixels: like a painting, not like noise."""
    rng = np.random.default_rng(seed)
    noise = rng.random((height // detail + 2, width // detail + 2, 3)) * 255
    return Image.fromarray(noise.astype(np.uint8)).resize((width, height),
                                                          Image.Resampling.BICUBIC)


def arrays(planes: Planes) -> list[np.ndarray]:
    return [np.asarray(plane, dtype=np.float64) for plane in planes]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse == 0 else 10 * float(np.log10(255**2 / mse))


def job_of(kind: str, moves: tuple[str, str], a: Image.Image, b: Image.Image) -> SegmentJob:
    shots = (SceneShot(a, 0.0, 2.0, CameraMove(moves[0]), TransitionSpec(kind, 1.0)),
             SceneShot(b, 2.0, 2.0, CameraMove(moves[1])))
    segments = plan_segments(VideoPlan(shots, W, H, FPS), EncodeSettings())
    # The blend's own segment (a cut has none: then the first scene's body).
    return next((s.job for s in segments if s.job.transition is not None), segments[0].job)


def rgb_reference(job: SegmentJob, a: Image.Image, b: Image.Image) -> Iterator[Planes]:
    """The job's frames made in RGB and converted to planes afterwards."""
    size = (job.width, job.height)
    outgoing = ShotView(a, job.shot.camera, job.shot.span, size, job.resample)
    incoming = None
    if job.following is not None:
        incoming = ShotView(b, job.following.camera, job.following.span, size, job.resample)
    for k in range(job.frames):
        t = job.first_time + k / job.fps
        if k < job.body_frames:
            frame = outgoing.frame(t)
        else:
            assert job.transition is not None
            assert incoming is not None
            duration = job.transition.effective_duration
            progress = (t - (job.boundary - duration / 2)) / duration
            frame = compose(job.transition.kind, progress, partial(outgoing.frame, t),
                            partial(incoming.frame, t))
        yield to_planes(frame)


def ffmpeg_yuv420p(picture: Image.Image) -> list[np.ndarray]:
    """``picture`` converted by ffmpeg as the encoder converted RGB frames before."""
    width, height = picture.size
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
         "-s", f"{width}x{height}", "-i", "-", "-vf", "scale=out_color_matrix=bt709:out_range=tv",
         "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"],
        input=picture.tobytes(), capture_output=True, check=True,
    ).stdout  # fmt: skip
    data = np.frombuffer(raw, dtype=np.uint8).astype(np.float64)
    luma, chroma = width * height, width * height // 4
    return [data[:luma].reshape(height, width),
            data[luma:luma + chroma].reshape(height // 2, width // 2),
            data[luma + chroma:].reshape(height // 2, width // 2)]


# --- conversion ------------------------------------------------------------------------


def test_conversion_matches_ffmpegs_bt709_limited_range() -> None:
    picture = smooth(1, 320, 180, detail=3)
    luma, *chroma = zip(arrays(to_planes(picture)), ffmpeg_yuv420p(picture), strict=True)
    assert all(mine.shape == theirs.shape for mine, theirs in (luma, *chroma))
    assert np.abs(luma[0] - luma[1]).max() <= 1
    # ffmpeg subsamples chroma with a wider filter than the 2x2 mean, which
    # shows only where colour changes within a few pixels.
    assert all(psnr(mine, theirs) >= 45 for mine, theirs in chroma)
    smoother = smooth(1, 320, 180, detail=16)
    for mine, theirs in zip(arrays(to_planes(smoother)), ffmpeg_yuv420p(smoother), strict=True):
        assert np.abs(mine - theirs).max() <= 1


@pytest.mark.parametrize(
    ("colour", "expected"),
    [((0, 0, 0), (16, 128, 128)), ((255, 255, 255), (235, 128, 128)),
     ((255, 0, 0), (63, 102, 240)), ((0, 0, 255), (32, 240, 118))],
)
def test_primaries_land_on_the_bt709_code_values(
    colour: tuple[int, int, int], expected: tuple[int, int, int]
) -> None:
    planes = to_planes(Image.new("RGB", (4, 2), colour))
    assert tuple(int(np.asarray(p).max()) for p in planes) == expected
    assert tuple(int(np.asarray(p).min()) for p in planes) == expected


def test_odd_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="even size"):
        to_planes(Image.new("RGB", (5, 4)))
    with pytest.raises(ValueError, match="even size"):
        overlay_planes(Image.new("RGBA", (4, 3)))


# --- frames against the RGB reference ---------------------------------------------------


@pytest.mark.parametrize("kind", TRANSITION_KINDS)
@pytest.mark.parametrize("moves", [("zoom-in", "pan-right"), ("pan-up", "zoom-out")])
def test_frames_match_the_rgb_reference(kind: str, moves: tuple[str, str]) -> None:
    # A picture of another size than the frame, so covering it is checked too.
    a, b = smooth(1, 200, 150), smooth(2)
    job = job_of(kind, moves, a, b)
    frames = [frame for frame, _ in iter_frames(job, a, b)]
    assert len(frames) == job.frames
    assert job.frames > job.body_frames or kind == "cut"
    for mine, reference in zip(frames, rgb_reference(job, a, b), strict=True):
        luma, *chroma = (psnr(x, y) for x, y in
                         zip(arrays(mine), arrays(reference), strict=True))
        # Luma is resampled as before; chroma now at half size, from a
        # half-size picture. A misaligned plane would measure below 25 dB.
        assert luma >= 45
        assert min(chroma) >= 38


def test_frame_bytes_are_yuv420p_and_a_still_frame_is_not_converted_again() -> None:
    a, b = smooth(1), smooth(2)
    shots = (SceneShot(a, 0.0, 2.0, CameraMove(), TransitionSpec("crossfade", 0.5)),
             SceneShot(b, 2.0, 1.0))
    body, blend = (s.job for s in plan_segments(VideoPlan(shots, W, H, FPS),
                                                 EncodeSettings())[:2])
    data = list(iter_frame_bytes(body, a))
    blended = list(iter_frame_bytes(blend, a, b))
    assert all(len(frame) == W * H * 3 // 2 for frame in data + blended)
    assert data[0] is data[-1]  # the same bytes object
    assert data[0] == to_planes(a).tobytes()
    assert blended[-1] != data[0]


# --- transitions, plane by plane --------------------------------------------------------


@pytest.mark.parametrize(("kind", "luma"), [("fade", 16), ("fade-white", 235)])
def test_fades_pass_through_video_black_and_white(kind: str, luma: int) -> None:
    a, b = smooth(1), smooth(2)
    job = job_of(kind, ("still", "still"), a, b)
    duration = 1.0
    for k, (frame, _) in enumerate(iter_frames(job, a, b)):
        if k < job.body_frames:
            continue
        progress = (job.first_time + k / FPS - (job.boundary - duration / 2)) / duration
        # Out to the colour over the first half, in from it over the second.
        shown, amount = (a, 2 * progress) if progress < 0.5 else (b, 2 - 2 * progress)
        for plane, source, level in zip(arrays(frame), arrays(to_planes(shown)),
                                        (luma, 128, 128), strict=True):
            assert np.abs(plane - (source * (1 - amount) + level * amount)).max() <= 1


def test_a_zoom_transition_insets_every_plane_at_the_same_place() -> None:
    a, b = Image.new("RGB", (W, H), (220, 30, 30)), Image.new("RGB", (W, H), (30, 40, 230))
    pa, pb = to_planes(a), to_planes(b)
    for q in np.linspace(0.05, 0.95, 13):
        frame = [compose("zoom", float(q), lambda i=i: pa[i], lambda i=i: pb[i], kind)  # type: ignore[misc]
                 for i, kind in enumerate(pa.kinds)]
        luma = np.asarray(frame[0]) == np.asarray(pb.y)[0, 0]
        for chroma, incoming in zip(frame[1:], pb[1:], strict=True):
            shows_b = np.asarray(chroma) == np.asarray(incoming)[0, 0]
            # Each chroma sample covers a 2x2 block of luma, wholly in or out.
            assert np.array_equal(np.repeat(np.repeat(shows_b, 2, 0), 2, 1), luma)


@pytest.mark.parametrize("kind", ["wipe-left", "wipe-down"])
def test_a_wipe_edge_is_at_the_same_place_in_every_plane(kind: str) -> None:
    a, b = Image.new("RGB", (W, H), (220, 30, 30)), Image.new("RGB", (W, H), (30, 40, 230))
    pa, pb = to_planes(a), to_planes(b)
    axis = 1 if kind == "wipe-left" else 0
    for q in np.linspace(0.1, 0.9, 9):
        shares = []
        for i, kind_of_plane in enumerate(pa.kinds):
            plane = np.asarray(compose(kind, float(q), lambda i=i: pa[i], lambda i=i: pb[i],  # type: ignore[misc]
                                       kind_of_plane), dtype=np.float64)
            start, end = float(np.asarray(pa[i])[0, 0]), float(np.asarray(pb[i])[0, 0])
            # How much of the next picture shows, in frame pixels along the wipe.
            shares.append(((plane - start) / (end - start)).mean(axis=1 - axis).sum()
                          * kind_of_plane.scale)
        assert max(shares) - min(shares) <= 1.0


# --- subtitles --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(160, 96), (322, 182), (1280, 720)])
def test_burnt_subtitles_match_drawing_them_on_rgb(size: tuple[int, int]) -> None:
    width, height = size
    background = smooth(3, width, height, detail=16)
    overlay = SubtitleOverlay((Cue(0, 1, ("Mira walked into the forest, where mist was thick.",)),),
                              size)
    image, position = overlay.image(0)
    on_rgb = background.copy()
    on_rgb.paste(image, position, image)
    drawn = arrays(overlay.draw(to_planes(background), 0))
    expected = arrays(to_planes(on_rgb))
    # Luma is the same blend in another order; chroma differs only at the
    # text's edges, where a sample covers both text and picture.
    assert np.abs(drawn[0] - expected[0]).max() <= 2
    for mine, reference in zip(drawn[1:], expected[1:], strict=True):
        assert psnr(mine, reference) >= 35
    untouched = arrays(to_planes(background))
    assert not np.array_equal(drawn[0], untouched[0])
