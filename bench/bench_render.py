"""Benchmark the video stage against ffmpeg alone and against moviepy.

Usage (from the repository root)::

    .venv/bin/python bench/bench_render.py                 # 60 s, 8 scenes, 720p, 24 fps
    .venv/bin/python bench/bench_render.py --seconds 10    # a quicker look
    .venv/bin/python bench/bench_render.py --moviepy-python /tmp/mpv/bin/python

It paints (or, without the procedural painter, generates) one picture per
scene, then measures, each in a fresh process so peak memory is per phase:

- T_enc: ffmpeg encoding as many frames of its ``testsrc2`` pattern at the
  same size, rate, preset and crf: the cost of encoding alone;
- T_enc(content): ffmpeg encoding the rendered video's own frames (decoded
  from it and piped to a second ffmpeg): painted pictures under a moving
  camera cost x264 more than ``testsrc2`` does;
- frames only: generating every frame without encoding it;
- cold: ``render_video`` with an empty segment cache (every frame generated
  and encoded);
- warm: the same render again (every segment from the cache; join and mux);
- changed: the render after one picture changed (two segments re-encoded);
- T_moviepy: the same camera moves and crossfades composed with moviepy's
  ``CompositeVideoClip`` and written with the same encoder settings.

moviepy pins an older Pillow, so give it its own environment
(``python -m venv /tmp/mpv && /tmp/mpv/bin/pip install moviepy``) and pass
``--moviepy-python``; without it that row is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MOVES = ["zoom-in", "pan-right", "zoom-out", "pan-left", "still", "pan-up", "zoom-in", "pan-down"]
PROMPTS = [
    "a girl walking into a tranquil pine forest at dawn, mist between the trees",
    "a bustling harbour market at noon, bright awnings, crowds",
    "a lighthouse on black rocks at night, storm, huge waves, lightning",
    "a spiral staircase inside a lighthouse, lantern light",
    "a quiet village square at dusk, warm windows",
    "snowy mountains above a frozen lake under a pale sky",
    "a sunflower field in summer, blue sky, clouds",
    "a ship sailing on a calm sea at sunset",
]
CHANGED_PROMPT = "a desert with red dunes under a starry sky"
BLEND = 1.0  # seconds of crossfade between scenes (less if scenes are shorter)


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                        help="segment workers (default: one per CPU, as storyscore render)")
    parser.add_argument("--draft", action="store_true")
    parser.add_argument(
        "--moviepy-python",
        default=None,
        help="a Python with moviepy installed (default: skip unless importable here)",
    )
    parser.add_argument("--workdir", default=None, help="keep pictures and outputs here")
    # Internal: one measured phase, run in its own process.
    parser.add_argument(
        "--skip-content-encode",
        action="store_true",
        help="skip the T_enc(content) row (it takes about as long as cold)",
    )
    parser.add_argument("--phase", choices=["render", "frames", "moviepy"], help=argparse.SUPPRESS)
    parser.add_argument("--pictures", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--preset", help=argparse.SUPPRESS)
    parser.add_argument("--crf", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _size(text: str) -> tuple[int, int]:
    width, height = text.lower().split("x")
    return int(width), int(height)


def _timeline(args: argparse.Namespace) -> list[tuple[float, float, str]]:
    """(start, duration, camera move) of each scene."""
    duration = args.seconds / args.scenes
    return [(i * duration, duration, MOVES[i % len(MOVES)]) for i in range(args.scenes)]


def _blend(args: argparse.Namespace) -> float:
    return min(BLEND, float(args.seconds) / int(args.scenes))


def _maxrss_mib(who: int) -> float:
    """Peak resident memory of this process or of its largest child, in MiB."""
    if who == resource.RUSAGE_SELF:
        # VmHWM restarts at exec; ru_maxrss would also count the parent's
        # memory that this process inherited before exec.
        with contextlib.suppress(OSError):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    # ru_maxrss is KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(who).ru_maxrss * scale / 2**20


# --- phases (each runs in its own process) ---------------------------------


def _plan(args: argparse.Namespace) -> Any:
    from storyscore.render import CameraMove, SceneShot, TransitionSpec, VideoPlan

    width, height = _size(args.size)
    shots = tuple(
        SceneShot(
            Path(picture),
            start,
            duration,
            CameraMove(move),
            TransitionSpec("crossfade", _blend(args)),
        )
        for picture, (start, duration, move) in zip(args.pictures, _timeline(args), strict=True)
    )
    return VideoPlan(shots, width, height, args.fps, title="bench")


def _phase_frames(args: argparse.Namespace) -> dict[str, Any]:
    from storyscore.render import EncodeSettings
    from storyscore.render.frames import iter_frame_bytes, load_picture
    from storyscore.render.segments import plan_segments

    started, cpu = time.perf_counter(), time.process_time()
    frames = 0
    for segment in plan_segments(_plan(args), EncodeSettings(draft=args.draft)):
        following = load_picture(segment.following) if segment.following is not None else None
        for _ in iter_frame_bytes(segment.job, load_picture(segment.picture), following):
            frames += 1
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "frames": frames,
        "python_mib": _maxrss_mib(resource.RUSAGE_SELF),
    }


def _phase_render(args: argparse.Namespace) -> dict[str, Any]:
    from storyscore.cache import Cache
    from storyscore.render import EncodeSettings, render_video

    plan = _plan(args)
    started = time.perf_counter()
    cpu_before = _cpu_seconds()
    report = render_video(
        plan, Path(args.out), settings=EncodeSettings(draft=args.draft),
        cache=Cache(Path(args.cache)), jobs=args.jobs,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": (_cpu_seconds() - cpu_before) / seconds / len(os.sched_getaffinity(0)),
        "frames": report.frames,
        "encoded": list(report.encoded),
        "cached": list(report.cached),
        "python_mib": _maxrss_mib(resource.RUSAGE_SELF),
        "ffmpeg_mib": _maxrss_mib(resource.RUSAGE_CHILDREN),
    }


def _cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (workers and ffmpeg)."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _phase_moviepy(args: argparse.Namespace) -> dict[str, Any]:
    from moviepy import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
        CompositeVideoClip,
        ImageClip,
        vfx,
    )

    width, height = _size(args.size)
    timeline = _timeline(args)
    total = args.seconds
    clips = []
    for i, (picture, (start, duration, move)) in enumerate(
        zip(args.pictures, timeline, strict=True)
    ):
        # Visible from half a blend before its start to half a blend after its end.
        first = start - (_blend(args) / 2 if i > 0 else 0.0)
        last = start + duration + (_blend(args) / 2 if i < len(timeline) - 1 else 0.0)
        span = last - first
        clip = ImageClip(picture).with_start(first).with_duration(span)
        clip = _moviepy_camera(clip, move, span, width, height)
        if i > 0:
            clip = clip.with_effects([vfx.CrossFadeIn(_blend(args))])
        clips.append(clip)
    video = CompositeVideoClip(clips, size=(width, height)).with_duration(total)
    started = time.perf_counter()
    video.write_videofile(
        args.out, fps=args.fps, codec="libx264", preset=args.preset, audio=False,
        ffmpeg_params=["-crf", str(args.crf), "-pix_fmt", "yuv420p"], logger=None,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "python_mib": _maxrss_mib(resource.RUSAGE_SELF),
        "ffmpeg_mib": _maxrss_mib(resource.RUSAGE_CHILDREN),
    }


def _moviepy_camera(clip: Any, move: str, span: float, width: int, height: int) -> Any:
    """The camera move the way moviepy tools write it: a resize by a function
    of time, positioned by a function of time."""

    def ease(t: float) -> float:
        u = min(1.0, max(0.0, t / span))
        return u * u * (3 - 2 * u)

    if move == "still":
        return clip
    if move in ("zoom-in", "zoom-out"):
        amount = 1.15

        def zoom(t: float) -> float:
            e = ease(t) if move == "zoom-in" else 1 - ease(t)
            return 1 + (amount - 1) * e

        return clip.resized(zoom).with_position(("center", "center"))
    share = 0.1
    big = clip.resized(1 + share)
    extra_w, extra_h = width * share, height * share

    def position(t: float) -> tuple[float, float]:
        e = ease(t)
        x, y = -extra_w / 2, -extra_h / 2
        if move == "pan-right":
            x = -extra_w * e
        elif move == "pan-left":
            x = -extra_w * (1 - e)
        elif move == "pan-down":
            y = -extra_h * e
        else:
            y = -extra_h * (1 - e)
        return (x, y)

    return big.with_position(position)


# --- the driver ---------------------------------------------------------------


def _make_pictures(args: argparse.Namespace, folder: Path) -> tuple[list[Path], Path]:
    """One PNG per scene plus a replacement for scene 4; painted if the
    procedural painter is available, else generated."""
    width, height = _size(args.size)
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(args.scenes)]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, prompt in enumerate([*prompts, CHANGED_PROMPT]):
        path = folder / f"scene{i}.png"
        _picture(prompt, i, width, height).save(path)
        paths.append(path)
    return paths[:-1], paths[-1]


def _picture(prompt: str, seed: int, width: int, height: int) -> Any:
    try:
        from storyscore.paint.base import PaintRequest
        from storyscore.paint.procedural import ProceduralPainter
    except ImportError:
        return _generated(seed, width, height)
    return ProceduralPainter().paint(PaintRequest(prompt, width, height, seed=seed))


def _generated(seed: int, width: int, height: int) -> Any:
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(40, 215, 3)
    tilt = rng.uniform(-60, 60, 3)
    pixels = base + tilt * (x / width)[..., None] + tilt[::-1] * (y / height)[..., None]
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.02, 0.12) * height
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    return image


def _run_phase(
    python: str, args: argparse.Namespace, phase: str, extra: list[str]
) -> dict[str, Any]:
    command = [
        python, __file__, "--phase", phase, "--seconds", str(args.seconds),
        "--scenes", str(args.scenes), "--size", args.size, "--fps", str(args.fps),
        "--jobs", str(args.jobs), *(["--draft"] if args.draft else []), *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    data["process_seconds"] = time.perf_counter() - started
    return data


def _encoded_size(args: argparse.Namespace) -> tuple[int, int]:
    width, height = _size(args.size)
    if args.draft:
        width, height = max(2, width // 4 * 2), max(2, height // 4 * 2)
    return width, height


def _encoder(args: argparse.Namespace, preset: str, crf: int, out: Path) -> list[str]:
    return [
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p", "-f", "matroska", str(out),
    ]  # fmt: skip


def _t_enc(args: argparse.Namespace, frames: int, preset: str, crf: int, out: Path) -> float:
    import imageio_ffmpeg

    width, height = _encoded_size(args)
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={args.fps}",
        "-frames:v", str(frames), *_encoder(args, preset, crf, out),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def _t_enc_content(
    args: argparse.Namespace, video: Path, preset: str, crf: int, out: Path
) -> float:
    """Encoding the rendered frames themselves: decode ``video`` and pipe its
    raw frames into an encoder with the same settings."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    width, height = _encoded_size(args)
    decode = [exe, "-nostdin", "-v", "error", "-i", str(video), "-f", "rawvideo",
              "-pix_fmt", "rgb24", "-"]  # fmt: skip
    encode = [
        exe, "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{width}x{height}", "-framerate", str(args.fps), "-i", "-",
        *_encoder(args, preset, crf, out),
    ]  # fmt: skip
    started = time.perf_counter()
    with subprocess.Popen(decode, stdout=subprocess.PIPE) as source:
        subprocess.run(encode, stdin=source.stdout, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    if args.phase == "render":
        print(json.dumps(_phase_render(args)))
        return
    if args.phase == "moviepy":
        print(json.dumps(_phase_moviepy(args)))
        return
    if args.phase == "frames":
        print(json.dumps(_phase_frames(args)))
        return

    from storyscore.render import EncodeSettings

    settings = EncodeSettings(draft=args.draft)
    preset, crf = settings.x264_preset, settings.x264_crf
    frames = round(args.seconds * args.fps)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-render-"))
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    print(
        f"{args.scenes} scenes, {args.seconds:g} s, {args.size} at {args.fps} fps, "
        f"preset {preset}, crf {crf}, jobs {args.jobs}; {os.cpu_count()} CPUs; work in {work}"
    )
    started = time.perf_counter()
    pictures, replacement = _make_pictures(args, work / "pictures")
    print(f"pictures: {time.perf_counter() - started:.1f} s (not part of any figure below)")

    t_enc = _t_enc(args, frames, preset, crf, work / "testsrc2.mkv")
    common = ["--cache", str(cache), "--out", str(work / "out.mp4")]
    cold = _run_phase(sys.executable, args, "render", [*common, "--pictures", *map(str, pictures)])
    warm = _run_phase(sys.executable, args, "render", [*common, "--pictures", *map(str, pictures)])
    content = None
    if not args.skip_content_encode:
        content = _t_enc_content(args, work / "out.mp4", preset, crf, work / "content.mkv")
    frames_only = _run_phase(sys.executable, args, "frames", ["--pictures", *map(str, pictures)])
    changed_pictures = list(pictures)
    changed_pictures[min(3, len(pictures) - 1)] = replacement
    changed = _run_phase(
        sys.executable, args, "render", [*common, "--pictures", *map(str, changed_pictures)]
    )
    moviepy_python = args.moviepy_python
    if moviepy_python is None:
        try:
            import moviepy  # noqa: F401
        except ImportError:
            moviepy_python = None
        else:
            moviepy_python = sys.executable
    movie = None
    if moviepy_python is not None:
        movie = _run_phase(moviepy_python, args, "moviepy", [
            "--out", str(work / "moviepy.mp4"), "--preset", preset, "--crf", str(crf),
            "--pictures", *map(str, pictures),
        ])  # fmt: skip

    def row(name: str, seconds: float, note: str = "") -> None:
        ratio = seconds / t_enc if t_enc > 0 else math.nan
        print(f"  {name:<28} {seconds:8.2f} s  {ratio:6.2f} x T_enc  {note}")

    print(f"\n{frames} frames")
    row("T_enc (ffmpeg testsrc2)", t_enc)
    if content is not None:
        row("T_enc(content)", content, "decode + encode of the rendered frames")
    row("frames only", frames_only["seconds"],
        f"{1000 * frames_only['cpu_seconds'] / frames:.1f} ms CPU a frame, "
        f"peak RSS {frames_only['python_mib']:.0f} MiB")  # fmt: skip
    for name, data in (
        ("cold (empty cache)", cold),
        ("warm (all cached)", warm),
        ("one picture changed", changed),
    ):
        row(
            name,
            data["seconds"],
            f"encoded {data['encoded']}, peak RSS python {data['python_mib']:.0f} MiB, "
            f"ffmpeg {data['ffmpeg_mib']:.0f} MiB, CPU {data['cpu']:.0%}",
        )
    if movie is not None:
        row(
            "T_moviepy",
            movie["seconds"],
            f"peak RSS python {movie['python_mib']:.0f} MiB, ffmpeg {movie['ffmpeg_mib']:.0f} MiB",
        )
        print(f"  storyscore (cold) is {movie['seconds'] / cold['seconds']:.2f} x faster than "
              "moviepy's CompositeVideoClip (target: at least 2)")
    else:
        print("  T_moviepy: skipped (pass --moviepy-python, a Python with moviepy)")
    print(
        "\n(process wall times, with interpreter start: "
        f"cold {cold['process_seconds']:.2f} s, warm {warm['process_seconds']:.2f} s)"
    )


if __name__ == "__main__":
    main()
