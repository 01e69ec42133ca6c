"""The video stage end to end, with the bundled ffmpeg: encoding, the
segment cache, audio and subtitle tracks, parallel jobs, and failures that
must leave nothing behind. Sizes and frame counts are tiny."""

from __future__ import annotations

import dataclasses
import itertools
import math
import struct
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from storyscore.cache import Cache
from storyscore.errors import RenderError
from storyscore.export.subtitles import Cue
from storyscore.render import (
    SEGMENT_STAGE,
    CameraMove,
    EncodeSettings,
    SceneShot,
    SegmentPool,
    TransitionSpec,
    VideoPlan,
    plan_segments,
    probe,
    render_video,
)
from storyscore.render import segments as segments_module
from storyscore.render.encode import ffmpeg_exe

W, H, FPS = 96, 64, 8


def picture(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    noise = rng.random((H // 8 + 2, W // 8 + 2, 3)) * 255
    return Image.fromarray(noise.astype(np.uint8)).resize((W, H), Image.Resampling.BICUBIC)


def story(
    pictures: list[Any] | None = None,
    durations: tuple[float, ...] = (2.0, 1.5, 2.0),
    kinds: tuple[str, ...] = ("crossfade", "wipe-left"),
    title: str = "A test",
    author: str | None = "Tester",
    blend: float = 1.0,
) -> VideoPlan:
    pictures = pictures or [picture(i) for i in range(len(durations))]
    moves = ["zoom-in", "pan-right", "zoom-out", "pan-up", "still"]
    shots, start = [], 0.0
    for i, duration in enumerate(durations):
        kind = kinds[i] if i < len(kinds) else "cut"
        shots.append(
            SceneShot(
                pictures[i], start, duration, CameraMove(moves[i % 5]), TransitionSpec(kind, blend)
            )
        )
        start += duration
    return VideoPlan(tuple(shots), W, H, FPS, title=title, author=author)


def decode(path: Path, width: int = W, height: int = H) -> np.ndarray:
    """Every frame of the video as an array (frames, height, width, 3)."""
    result = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(result.stdout, np.uint8).reshape(-1, height, width, 3)


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types, in file order."""
    data, boxes, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        at += size
    return boxes


def write_wav(path: Path, seconds: float, rate: int = 22050) -> None:
    t = np.arange(round(seconds * rate)) / rate
    samples = (np.sin(2 * math.pi * 440 * t) * 12000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".tmp" in p.name]


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the picture digest of every segment encoded in this process."""
    calls: list[int] = []
    real = segments_module.encode_segment

    def counting(job: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(job.shot.picture)
        real(job, *args, **kwargs)

    monkeypatch.setattr(segments_module, "encode_segment", counting)
    return calls


def test_renders_an_mp4_with_the_expected_streams(tmp_path: Path, cache: Cache) -> None:
    plan = story()
    progress: list[tuple[int, int]] = []
    out = tmp_path / "out.mp4"
    report = render_video(plan, out, cache=cache, on_progress=lambda d, t: progress.append((d, t)))
    assert report.frames == plan.frame_count == round(5.5 * FPS)
    info = probe(out)
    (video,) = info.streams
    assert (video.kind, video.codec, video.profile, video.pix_fmt) == (
        "video", "h264", "High", "yuv420p",
    )  # fmt: skip
    assert (video.width, video.height, video.fps) == (W, H, FPS)
    assert "bt709" in video.description
    assert info.duration == pytest.approx(5.5, abs=0.01)
    assert info.metadata["title"] == "A test"
    assert info.metadata["artist"] == "Tester"
    # faststart: the index comes before the media data.
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")
    assert len(decode(out)) == plan.frame_count
    assert progress[-1] == (plan.frame_count, plan.frame_count)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(progress))
    assert not leftovers(tmp_path)


def test_frames_show_the_pictures_and_transitions(tmp_path: Path, cache: Cache) -> None:
    red, blue, green = (
        Image.new("RGB", (W, H), c) for c in [(200, 30, 30), (30, 30, 200), (30, 160, 30)]
    )
    plan = VideoPlan(
        (
            SceneShot(red, 0, 2.0, transition=TransitionSpec("fade", 1.0)),
            SceneShot(blue, 2.0, 2.0, transition=TransitionSpec("wipe-left", 1.0)),
            SceneShot(green, 4.0, 1.0),
        ),
        W,
        H,
        FPS,
    )
    frames = decode(render_video(plan, tmp_path / "out.mp4", cache=cache).path).astype(int)
    assert len(frames) == 40
    assert np.abs(frames[4] - [200, 30, 30]).max() < 12
    assert frames[15:17].max() < 40  # the fade's middle is dark
    # The wipe's middle (boundary at frame 32): blue on the left, green on the right.
    middle = frames[32]
    assert np.abs(middle[:, : W // 4] - [30, 30, 200]).max() < 20
    assert np.abs(middle[:, -W // 4 :] - [30, 160, 30]).max() < 20


def test_frame_count_is_exact_for_odd_durations(tmp_path: Path, cache: Cache) -> None:
    plan = story(durations=(1.3, 0.7, 1.1), kinds=("zoom", "slide-up"), blend=0.6)
    report = render_video(plan, tmp_path / "odd.mp4", cache=cache)
    assert report.frames == round(3.1 * FPS) == len(decode(report.path))


def test_second_render_is_all_hits_and_identical(
    tmp_path: Path, cache: Cache, encodes: list[str]
) -> None:
    plan = story()
    first = render_video(plan, tmp_path / "a.mp4", cache=cache)
    # Each scene's body, and each transition, is a segment of its own.
    assert first.encoded == ("0", "0>1", "1", "1>2", "2")
    assert len(encodes) == 5
    progress: list[int] = []
    second = render_video(
        plan, tmp_path / "b.mp4", cache=cache, on_progress=lambda d, t: progress.append(d)
    )
    assert second.encoded == ()
    assert second.cached == ("0", "0>1", "1", "1>2", "2")
    assert len(encodes) == 5
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    assert progress == [plan.frame_count]


def test_a_cached_segment_is_checked_against_its_job(tmp_path: Path, cache: Cache) -> None:
    plan = story()
    render_video(plan, tmp_path / "a.mp4", cache=cache)
    body, blend = plan_segments(plan, EncodeSettings())[:2]
    path = cache.get(SEGMENT_STAGE, body.key, ".mkv")
    assert path is not None
    assert segments_module.segment_intact(path, body.job)
    assert not segments_module.segment_intact(path, blend.job)  # 12 frames, not 8
    smaller = dataclasses.replace(body.job, width=W // 2, height=H // 2)
    assert not segments_module.segment_intact(path, smaller)
    assert not segments_module.segment_intact(tmp_path / "a.mp4", body.job)  # the whole video
    junk = tmp_path / "junk.mkv"
    junk.write_bytes(b"not a video" * 100)
    assert not segments_module.segment_intact(junk, body.job)


def test_a_changed_picture_re_encodes_only_its_segments(
    tmp_path: Path, cache: Cache, encodes: list[str]
) -> None:
    pictures = [picture(i) for i in range(4)]
    durations = (1.5, 1.5, 1.5, 1.5)
    kinds = ("crossfade", "cut", "slide-left")
    render_video(story(pictures, durations, kinds), tmp_path / "a.mp4", cache=cache)
    encodes.clear()
    pictures[1] = picture(42)  # its body, and scene 0's crossfade into it (a cut out of it)
    report = render_video(story(pictures, durations, kinds), tmp_path / "b.mp4", cache=cache)
    assert report.encoded == ("0>1", "1")
    assert report.cached == ("0", "2", "2>3", "3")
    assert len(encodes) == 2
    encodes.clear()
    pictures[3] = picture(43)  # behind a slide from scene 2
    report = render_video(story(pictures, durations, kinds), tmp_path / "c.mp4", cache=cache)
    assert report.encoded == ("2>3", "3")
    assert len(encodes) == 2
    # Only frames that show a changed picture differ: scene 0 until its
    # crossfade (frames 8-15) and scene 2 until its slide (frames 32-39).
    a, c = decode(tmp_path / "a.mp4").astype(int), decode(tmp_path / "c.mp4").astype(int)
    differs = [bool(np.abs(x - y).max() > 30) for x, y in zip(a, c, strict=True)]
    assert not any(differs[0:8])
    assert not any(differs[24:32])
    assert all(differs[12:24])
    assert all(differs[36:])


def test_audio_and_subtitles_are_muxed_without_re_encoding_video(
    tmp_path: Path, cache: Cache, encodes: list[str]
) -> None:
    plan = story()
    render_video(plan, tmp_path / "silent.mp4", cache=cache)
    encodes.clear()
    wav = tmp_path / "narration.wav"
    write_wav(wav, 8.0)  # longer than the video: cut to it
    out = tmp_path / "full.mp4"
    render_video(plan, out, cache=cache, audio=wav, cues=[Cue(0.5, 2.0, ("Hello there.",))])
    assert encodes == []
    info = probe(out)
    (audio,) = info.streams_of("audio")
    assert (audio.codec, audio.sample_rate, audio.channels) == ("aac", 48000, "stereo")
    (subtitle,) = info.streams_of("subtitle")
    assert subtitle.codec == "mov_text"
    assert info.duration == pytest.approx(5.5, abs=0.05)
    # The same video frames as the silent render.
    assert np.array_equal(decode(tmp_path / "silent.mp4"), decode(out))


def test_burnt_subtitles_are_in_the_picture(tmp_path: Path, cache: Cache) -> None:
    plan = story()
    plain = decode(render_video(plan, tmp_path / "plain.mp4", cache=cache).path).astype(int)
    out = tmp_path / "burnt.mp4"
    report = render_video(plan, out, cache=cache, cues=[Cue(0.0, 1.0, ("Hello there.",))],
                          burn_subtitles=True)
    assert report.encoded == ("0",)  # only the first scene's body shows the cue
    assert probe(out).streams_of("subtitle") == ()
    burnt = decode(out).astype(int)
    lower = np.abs(burnt[3, H // 2 :] - plain[3, H // 2 :]).max(axis=2)
    upper = np.abs(burnt[3, : H // 4] - plain[3, : H // 4]).mean()
    assert (lower > 60).sum() > 50
    assert upper < 3
    # After the cue only coding noise differs.
    assert np.abs(burnt[12] - plain[12]).mean() < 3


def test_draft_is_half_size(tmp_path: Path) -> None:
    report = render_video(story(), tmp_path / "draft.mp4", settings=EncodeSettings(draft=True))
    assert (report.width, report.height) == (W // 2, H // 2)
    (video,) = probe(report.path).streams
    assert (video.width, video.height) == (W // 2, H // 2)
    assert len(decode(report.path, W // 2, H // 2)) == report.frames


def test_parallel_jobs_make_the_same_video(tmp_path: Path) -> None:
    plan = story(durations=(1.0, 1.0, 1.0, 1.0), kinds=("crossfade", "zoom", "fade"))
    serial = render_video(plan, tmp_path / "serial.mp4", cache=Cache(tmp_path / "c1"))
    progress: list[tuple[int, int]] = []
    parallel = render_video(
        plan,
        tmp_path / "parallel.mp4",
        cache=Cache(tmp_path / "c2"),
        jobs=2,
        on_progress=lambda d, t: progress.append((d, t)),
    )
    # Scenes 1 and 2 are blends from start to end: they have no body of their own.
    assert parallel.encoded == ("0", "0>1", "1>2", "2>3", "3")
    # Every encoder runs the same x264 threads, so the bytes do not depend on the job count.
    assert parallel.path.read_bytes() == serial.path.read_bytes()
    assert progress[-1] == (plan.frame_count, plan.frame_count)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_a_pool_encodes_segments_handed_over_early_once(tmp_path: Path, cache: Cache) -> None:
    plan = story(durations=(1.0, 1.0, 1.0), kinds=("crossfade", "cut"))
    settings = EncodeSettings()
    early = plan_segments(plan, settings, count=1)
    assert [s.label for s in early] == ["0"]
    with SegmentPool(cache, settings, 2) as pool:
        pool.submit(early)
        pool.submit(early)  # already on its way: not encoded twice
        report = render_video(plan, tmp_path / "pooled.mp4", cache=cache, pool=pool)
        assert pool.submitted == 4
        # A second video that needs the same segments finds them done.
        again = render_video(plan, tmp_path / "again.mp4", cache=cache, pool=pool)
    assert report.encoded == ("0", "0>1", "1", "2")
    assert again.cached == ("0", "0>1", "1", "2")
    alone = render_video(plan, tmp_path / "alone.mp4", cache=Cache(tmp_path / "other"))
    assert report.path.read_bytes() == alone.path.read_bytes() == again.path.read_bytes()


def test_planning_the_first_shots_reads_only_their_pictures(tmp_path: Path) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    picture(0).save(first)
    picture(1).save(second)
    plan = story([first, second, tmp_path / "not-painted-yet.png"], (1.0, 1.0, 1.0),
                 ("crossfade", "cut"))
    digests: dict[str, str] = {}
    (body,) = plan_segments(plan, EncodeSettings(), count=1, digests=digests)
    assert body.label == "0"
    assert sorted(digests) == [str(first)]  # its body shows the first picture alone
    two = plan_segments(plan, EncodeSettings(), count=2, digests=digests)
    assert [s.label for s in two] == ["0", "0>1", "1"]
    assert sorted(digests) == [str(first), str(second)]  # the blend shows the second
    full = story([first, second, first], (1.0, 1.0, 1.0), ("crossfade", "cut"))
    assert [s.key for s in two] == [s.key for s in plan_segments(full, EncodeSettings())[:3]]


def test_picture_files_render(tmp_path: Path) -> None:
    paths = []
    for i in range(2):
        path = tmp_path / f"p{i}.png"
        picture(i).save(path)
        paths.append(path)
    report = render_video(story(paths, (1.0, 1.0), ("crossfade",)), tmp_path / "o.mp4")
    assert report.frames == 16


# --- failures ---------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every ffmpeg encoder process started in this process."""
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = real(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording)
    return started


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_an_interrupted_render_leaves_the_old_output_alone(
    tmp_path: Path,
    cache: Cache,
    processes: list[subprocess.Popen[bytes]],
    error: type[BaseException],
) -> None:
    out = tmp_path / "out" / "story.mp4"
    out.parent.mkdir()
    out.write_bytes(b"the previous video")

    def fail_midway(done: int, total: int) -> None:
        if done == 24:  # at the last frame of the third segment (scene 1's body)
            raise error

    with pytest.raises(error):
        render_video(story(), out, cache=cache, on_progress=fail_midway)
    assert out.read_bytes() == b"the previous video"
    assert sorted(p.name for p in out.parent.iterdir()) == ["story.mp4"]
    assert not leftovers(tmp_path)
    assert processes
    assert all(p.poll() is not None for p in processes)
    # The segment finished before the failure is kept; the next render reuses it.
    report = render_video(story(), out, cache=cache)
    assert report.cached == ("0", "0>1")
    assert report.encoded == ("1", "1>2", "2")


def test_an_interrupted_parallel_render_stops_its_workers(tmp_path: Path, cache: Cache) -> None:
    out = tmp_path / "story.mp4"
    out.write_bytes(b"old")

    def interrupt(done: int, total: int) -> None:
        if 0 < done < total:
            raise KeyboardInterrupt

    plan = story(durations=(3.0, 3.0, 3.0), kinds=("crossfade", "crossfade"))
    with pytest.raises(KeyboardInterrupt):
        render_video(plan, out, cache=cache, jobs=2, on_progress=interrupt)
    assert out.read_bytes() == b"old"
    assert not leftovers(tmp_path)


def test_a_failing_join_leaves_no_partial_file(tmp_path: Path, cache: Cache) -> None:
    out = tmp_path / "story.mp4"
    out.write_bytes(b"old")
    noise = tmp_path / "noise.wav"
    noise.write_bytes(b"RIFF this is not really a wave file" * 10)
    with pytest.raises(RenderError, match=r"writing story\.mp4 failed \(ffmpeg exit status"):
        render_video(story(), out, cache=cache, audio=noise)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "noise.wav", "story.mp4"]
    assert not leftovers(tmp_path)


def test_ffmpeg_failures_become_render_errors_with_its_report(tmp_path: Path, cache: Cache) -> None:
    with pytest.raises(RenderError) as caught:
        render_video(
            story(), tmp_path / "o.mp4", cache=cache, settings=EncodeSettings(preset="warp9")
        )
    message = str(caught.value)
    assert "failed (ffmpeg exit status" in message
    assert "warp9" in message
    assert not (tmp_path / "o.mp4").exists()
    assert not leftovers(tmp_path)


def test_a_failing_worker_stops_the_parallel_render(tmp_path: Path, cache: Cache) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    pictures: list[Any] = [picture(0), broken, picture(2), picture(3)]
    out = tmp_path / "o.mp4"
    with pytest.raises(RenderError, match="cannot read the picture"):
        render_video(
            story(pictures, (1.0, 1.0, 1.0, 1.0), ("cut", "cut", "cut")), out, cache=cache, jobs=2
        )
    assert not out.exists()
    assert not leftovers(tmp_path)


def test_missing_inputs_are_reported_before_rendering(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"audio file .* does not exist"):
        render_video(story(), tmp_path / "o.mp4", audio=tmp_path / "none.wav")

