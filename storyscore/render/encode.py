"""Talking to ffmpeg: encoding a segment from piped frames, joining segments
without re-encoding, muxing audio and subtitles, and reading stream facts.

Segments are H.264 (High profile, yuv420p, BT.709) in Matroska: Matroska
keeps each frame's presentation time, so segments with B-frames join exactly
with the concat demuxer and ``-c copy`` (MP4 segments drop or repeat frames
at the joins). The joined MP4 gets a track timescale of ``fps`` ticks per
second, which snaps the container's millisecond times back onto exact frame
times. Every failure becomes a ``RenderError`` carrying the tail of ffmpeg's
own report.
"""

from __future__ import annotations

import contextlib
import functools
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from storyscore.errors import RenderError
from storyscore.export.subtitles import Cue, to_srt
from storyscore.files import scratch_folder
from storyscore.processes import child_preexec
from storyscore.render.spec import EncodeSettings

__all__ = [
    "MediaInfo",
    "SegmentEncoder",
    "StreamInfo",
    "aac_round_trip",
    "aac_round_trip_file",
    "audio_encoder_args",
    "encode_aac",
    "ffmpeg_exe",
    "ffmpeg_version",
    "join_segments",
    "probe",
    "probe_frames",
    "run_ffmpeg",
    "video_encoder_args",
]

_INSTALL_HINT = "install it with: pip install 'imageio-ffmpeg>=0.5'"
STDERR_TAIL = 2000  # characters of ffmpeg's report kept in an error
AUDIO_RATE = 48000
AUDIO_CHANNELS = 2


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped with ``imageio-ffmpeg``."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise RenderError(
            "video needs ffmpeg from the imageio-ffmpeg package", hint=_INSTALL_HINT
        ) from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise RenderError(f"cannot find ffmpeg: {exc}", hint=_INSTALL_HINT) from exc


@functools.cache
def ffmpeg_version() -> str:
    """ffmpeg's version line; it takes part in segment cache keys, because
    segments from different encoder builds must not be joined."""
    result = run_ffmpeg(["-version"], "asking ffmpeg its version", quiet=False)
    return result.splitlines()[0].strip() if result else "unknown"


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= STDERR_TAIL else "…" + text[-STDERR_TAIL:]


def _failure(what: str, returncode: int | None, stderr: str) -> RenderError:
    report = _tail(stderr)
    status = f"exit status {returncode}" if returncode is not None else "no exit status"
    message = f"{what} failed (ffmpeg {status})"
    if report:
        message += f":\n{report}"
    return RenderError(message)


def run_ffmpeg(args: Sequence[str], what: str, *, quiet: bool = True) -> str:
    """Run ffmpeg with ``args`` to completion and return its standard output;
    ``RenderError`` with ffmpeg's report if it fails. The process is killed if
    this is interrupted."""
    base = [ffmpeg_exe(), "-hide_banner", "-nostdin"]
    if quiet:
        base += ["-nostats", "-loglevel", "error"]
    try:
        # run() kills the child on any exception, KeyboardInterrupt included.
        result = subprocess.run(
            [*base, *args], stdin=subprocess.DEVNULL, capture_output=True, check=False,
            preexec_fn=child_preexec(),
        )
    except OSError as exc:
        raise RenderError(f"{what} failed: cannot run ffmpeg: {exc}", hint=_INSTALL_HINT) from exc
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise _failure(what, result.returncode, stderr)
    return result.stdout.decode("utf-8", "replace")


def audio_encoder_args(settings: EncodeSettings) -> list[str]:
    """The AAC options of the delivered audio; ``aac_round_trip`` codes with the same."""
    return [
        "-c:a", "aac", "-b:a", settings.audio_bitrate,
        "-ar", str(AUDIO_RATE), "-ac", str(AUDIO_CHANNELS), "-flags:a", "+bitexact",
    ]  # fmt: skip


def aac_round_trip(wav: Path, settings: EncodeSettings) -> np.ndarray:
    """The WAV file ``wav`` as it sounds in the MP4: AAC-encoded as delivered, then decoded.

    Returns float32 ``(n, 2)`` samples at 48 kHz. The encoder is bit-exact,
    so this is the audio a player decodes from the finished video.
    """
    with scratch_folder("aac") as scratch:
        raw = aac_round_trip_file(wav, scratch / "audio.f32", settings)
        samples = np.fromfile(raw, dtype="<f4")
    return np.ascontiguousarray(samples.reshape(-1, AUDIO_CHANNELS), dtype=np.float32)


def aac_round_trip_file(wav: Path, raw: Path, settings: EncodeSettings, *,
                        coded: Path | None = None, seconds: float | None = None) -> Path:
    """``aac_round_trip`` into the file ``raw`` (float32 stereo, interleaved), never in memory.

    ``coded`` keeps the AAC itself (an MP4 audio file that ``join_segments`` copies
    as it is), so what was measured is what is delivered; ``seconds`` cuts the
    audio to the video's length first, as the join would.
    """
    with scratch_folder("aac") as scratch:
        aac = coded if coded is not None else scratch / "audio.m4a"
        encode_aac(wav, aac, settings, seconds)
        run_ffmpeg(["-y", "-i", str(aac), "-f", "f32le", "-c:a", "pcm_f32le",
                    "-ar", str(AUDIO_RATE), "-ac", str(AUDIO_CHANNELS), str(raw)],
                   "decoding the audio")
    return raw


def encode_aac(wav: Path, coded: Path, settings: EncodeSettings,
               seconds: float | None = None) -> Path:
    """The audio file ``wav`` (cut to ``seconds`` when given) as the MP4 delivers it:
    AAC (``audio_encoder_args``) in an MP4 audio file at ``coded``."""
    cut = [] if seconds is None else ["-t", f"{seconds:.6f}"]
    run_ffmpeg(["-y", *cut, "-i", str(wav), *audio_encoder_args(settings),
                "-fflags", "+bitexact", "-f", "mp4", str(coded)], "encoding the audio")
    return coded


def video_encoder_args(settings: EncodeSettings) -> list[str]:
    """The x264 options every segment shares: joined segments must agree on all
    of them (they are part of the segment cache key)."""
    return [
        "-c:v", "libx264",
        "-preset", settings.x264_preset,
        "-crf", str(settings.x264_crf),
        "-profile:v", "high",
        "-pix_fmt", "yuv420p",
        # A closed GOP, so each segment decodes on its own from its first frame.
        "-x264-params", "open-gop=0",
        "-force_key_frames", "expr:eq(n,0)",
        "-colorspace", "bt709",
        "-color_primaries", "bt709",
        "-color_trc", "bt709",
        "-color_range", "tv",
    ]  # fmt: skip


class SegmentEncoder:
    """An ffmpeg process encoding raw ``yuv420p`` frames (BT.709, limited range,
    as ``render.planes`` makes them) written to it into ``path``.

    Use as a context manager: ``write`` each frame, then ``finish``. Leaving
    the block early (an error, KeyboardInterrupt) kills ffmpeg; the caller
    owns removing ``path``. ``threads`` caps x264's threads (0: its own choice).
    """

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        fps: int,
        settings: EncodeSettings,
        threads: int = 0,
    ) -> None:
        self.path = Path(path)
        self.size = size
        width, height = size
        # A luma byte a pixel, and two chroma planes of a quarter of that.
        self.frame_bytes = width * height * 3 // 2
        self.command = [
            ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}",
            "-framerate", str(fps), "-i", "pipe:0",
            "-an", "-sn", "-dn",
            # The frames are BT.709 limited range already; this only tags them.
            "-vf", "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv",
            *video_encoder_args(settings),
            # Threads change neither the stream's parameters nor its validity,
            # only speed and memory, so they are not part of the shared args.
            "-threads", str(max(0, threads)),
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
            "-f", "matroska", str(self.path),
        ]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self.frames = 0

    def __enter__(self) -> SegmentEncoder:
        self._stderr = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                # Its own session: a Ctrl-C reaches Python, which then stops
                # ffmpeg itself instead of ffmpeg finishing a half file.
                start_new_session=True,
                preexec_fn=child_preexec(),
            )
        except OSError as exc:
            self._stderr.close()
            raise RenderError(f"cannot run ffmpeg: {exc}", hint=_INSTALL_HINT) from exc
        return self

    def write(self, frame: bytes) -> None:
        """Send one frame (exactly ``frame_bytes``: width*height*3/2 bytes)."""
        if len(frame) != self.frame_bytes:
            raise ValueError(f"a frame must be {self.frame_bytes} bytes, not {len(frame)}")
        process = self._running()
        assert process.stdin is not None
        try:
            process.stdin.write(frame)
        except (BrokenPipeError, ValueError, OSError) as exc:
            process.wait()
            raise _failure(
                f"encoding {self.path.name}", process.returncode, self._report()
            ) from exc
        self.frames += 1

    def finish(self) -> None:
        """Close the input and wait for ffmpeg; ``RenderError`` if it failed."""
        process = self._running()
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            process.stdin.close()
        if process.wait() != 0:
            raise _failure(f"encoding {self.path.name}", process.returncode, self._report())

    def __exit__(self, *exc_info: object) -> None:
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.kill()
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            process.wait()
        if self._stderr is not None:
            self._stderr.close()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("SegmentEncoder used outside its with-block")
        return self._process

    def _report(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")


def _concat_line(path: Path) -> str:
    # The concat list quotes with single quotes; a quote inside is '\''.
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'"


def join_segments(
    segments: Sequence[tuple[Path, int]],
    fps: int,
    output: Path,
    *,
    settings: EncodeSettings,
    audio: Path | None = None,
    audio_coded: bool = False,
    cues: Sequence[Cue] = (),
    title: str = "",
    author: str | None = None,
    label: str | None = None,
) -> None:
    """Join ``(segment, frame count)`` pairs into the MP4 ``output`` by
    copying their video, and add ``audio`` (encoded to AAC 48 kHz stereo, cut
    to the video's length; with ``audio_coded``, AAC already so made, by
    ``encode_aac``, and copied as it is) and ``cues`` (as a mov_text track,
    through SRT). ``label`` names the file in error messages (default:
    ``output``'s name)."""
    total = sum(frames for _, frames in segments) / fps
    with scratch_folder("join") as scratch:
        listing = scratch / "segments.txt"
        lines = ["ffconcat version 1.0"]
        for path, frames in segments:
            # An exact duration per file keeps the joins on frame times.
            lines += [_concat_line(path), f"duration {frames / fps:.9f}"]
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
        args: list[str] = ["-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
        maps = ["-map", "0:v:0"]
        codecs = ["-c:v", "copy", "-video_track_timescale", str(fps)]
        next_input = 1
        if audio is not None:
            args += [*([] if audio_coded else ["-t", f"{total:.6f}"]), "-i", str(audio)]
            maps += ["-map", f"{next_input}:a:0"]
            codecs += ["-c:a", "copy"] if audio_coded else audio_encoder_args(settings)
            next_input += 1
        if cues:
            subtitles = Path(scratch) / "subtitles.srt"
            subtitles.write_text(to_srt(cues), encoding="utf-8")
            args += ["-f", "srt", "-i", str(subtitles)]
            maps += ["-map", f"{next_input}:s:0"]
            codecs += ["-c:s", "mov_text"]
            next_input += 1
        metadata = ["-metadata", f"title={title}"]
        if author:
            metadata += ["-metadata", f"artist={author}"]
        args += [
            *maps, *codecs, *metadata,
            "-fflags", "+bitexact", "-movflags", "+faststart", "-f", "mp4", str(output),
        ]  # fmt: skip
        run_ffmpeg(args, f"writing {label or output.name}")


@dataclass(frozen=True)
class StreamInfo:
    """One stream as ffmpeg describes it."""

    kind: str  # video, audio, subtitle, data
    codec: str
    profile: str | None = None
    pix_fmt: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    sample_rate: int | None = None
    channels: str | None = None
    description: str = ""


@dataclass(frozen=True)
class MediaInfo:
    """What ffmpeg reports about a media file (there is no ffprobe here)."""

    duration: float | None
    streams: tuple[StreamInfo, ...]
    metadata: dict[str, str] = field(default_factory=dict)

    def streams_of(self, kind: str) -> tuple[StreamInfo, ...]:
        return tuple(stream for stream in self.streams if stream.kind == kind)


_STREAM = re.compile(r"^\s*Stream #\d+:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: (\w+): (.*)$")
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")


def probe(path: Path) -> MediaInfo:
    """Stream facts of ``path``, read from ``ffmpeg -i``'s report."""
    try:
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            preexec_fn=child_preexec(),
        )
    except OSError as exc:
        raise RenderError(f"cannot run ffmpeg: {exc}", hint=_INSTALL_HINT) from exc
    report = result.stderr.decode("utf-8", "replace")
    if "Input #0" not in report:
        raise _failure(f"reading {Path(path).name}", result.returncode, report)
    return _parse_report(report)


_FRAMES = re.compile(r"frame=\s*(\d+)")


def probe_frames(path: Path) -> tuple[MediaInfo, int] | None:
    """The input's stream facts (as ``probe`` reads them) and its video frames, counted
    by copying its stream to nowhere without decoding, in one ffmpeg run (for checking
    many cached segments); None when ffmpeg cannot read it through."""
    try:
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0",
             "-c", "copy", "-f", "null", "-"],
            stdin=subprocess.DEVNULL, capture_output=True, check=False,
            preexec_fn=child_preexec(),
        )
    except OSError as exc:
        raise RenderError(f"cannot run ffmpeg: {exc}", hint=_INSTALL_HINT) from exc
    report = result.stderr.decode("utf-8", "replace")
    found = _FRAMES.findall(report)
    if result.returncode != 0 or not found or "Input #0" not in report:
        return None
    # The input's description ends where ffmpeg maps it to the output.
    return _parse_report(report.split("\nStream mapping:")[0]), int(found[-1])


def _parse_report(report: str) -> MediaInfo:
    duration = None
    streams: list[StreamInfo] = []
    metadata: dict[str, str] = {}
    in_file_metadata = False
    for line in report.splitlines():
        if line.startswith("  Metadata:") and not streams:
            in_file_metadata = True
            continue
        if in_file_metadata:
            match = re.match(r"^    (\S[^:]*?)\s*: (.*)$", line)
            if match:
                metadata[match.group(1)] = match.group(2)
                continue
            in_file_metadata = False
        if match := _DURATION.search(line):
            hours, minutes, seconds = match.groups()
            duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        if match := _STREAM.match(line):
            streams.append(_parse_stream(match.group(1).lower(), match.group(2)))
    return MediaInfo(duration, tuple(streams), metadata)


def _parse_stream(kind: str, text: str) -> StreamInfo:
    # "h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 64x48, …"
    parts = _split_top(text)
    head = parts[0] if parts else ""
    codec = head.split()[0] if head else ""
    profile_match = re.match(r"\w+ \(([^)/]+)\)", head)
    info: dict[str, Any] = {"kind": kind, "codec": codec, "description": text}
    if profile_match:
        info["profile"] = profile_match.group(1)
    if kind == "video":
        if len(parts) > 1:
            info["pix_fmt"] = parts[1].split("(")[0].strip()
        for part in parts:
            if size := re.match(r"^\s*(\d+)x(\d+)", part):
                info["width"], info["height"] = int(size.group(1)), int(size.group(2))
            if rate := re.match(r"^\s*([\d.]+) fps", part):
                info["fps"] = float(rate.group(1))
    elif kind == "audio":
        for part in parts:
            if rate := re.match(r"^\s*(\d+) Hz", part):
                info["sample_rate"] = int(rate.group(1))
        if len(parts) > 2:
            info["channels"] = parts[2].strip()
    return StreamInfo(**info)


def _split_top(text: str) -> list[str]:
    """Split at commas that are not inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts
