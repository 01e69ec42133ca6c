"""Benchmark: the whole `storyscore render` on a 60-second, 8-scene, 720p story.

Runs the real command line in fresh processes against a fresh cache and prints,
measured in the same run on the same machine:

- T_enc: ffmpeg encoding as many frames of ``testsrc2`` at the same size, fps
  and preset (the limit set by the encoder itself);
- cold: an empty cache (painting, narration, music, mix, video);
- warm: the same render again (everything cached: the score, music and mix too);
- narration edit: one scene's narration changed (spoken and mixed again, no video
  encoded; the new sentence changes the speech windows the composer thins its
  melody under, so the score is composed again and that scene's music played
  again, the other scenes' read from the cache);
- prompt edit: one scene's prompt changed (that scene painted, its body and the two
  transitions into and out of it encoded again; the music follows the picture, so
  it is composed again, and every scene whose notes changed is played again);

with the load average before and after (the machine's other work), and with
the ratios issue 15 sets targets for (warm and edits as shares of cold), each
run's own peak memory (the largest process of that run alone) and its CPU
utilisation: the CPU time of the render and all its children (workers, ffmpeg)
over its wall time and the CPUs it may use, so 100 % keeps every CPU busy from
start to end; and that CPU time itself, in seconds and as a share of the cold
render's (the figure another agent's load changes least). Under each render its
own summary says what came from the cache (pictures, narrations, video
segments), so an edit's row shows what it redid.
``--jobs`` is passed to the render (default: its own, one worker a CPU). The
story is generated here (``story_text``), not taken from ``stories/``.
``PYTHONPATH`` is passed on, so a worktree measures its own code. Usage::

    .venv/bin/python bench/bench_story.py [--seconds 60] [--scenes 8] [--size 1280x720]
        [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

PROMPTS = [
    "a tranquil pine forest at dawn, mist between the trees",
    "a bustling harbour market at noon, bright awnings",
    "a lighthouse on black rocks at night, storm, huge waves, lightning",
    "a spiral staircase inside a lighthouse, lantern light",
    "a village at sunset, warm windows, birds",
    "a calm sea at morning under a clear sky",
    "snowy hills at twilight with stars",
    "a joyful meadow of flowers at noon, rainbow",
]
MOVES = ["zoom-in", "pan-right", "zoom-out", "pan-left", "still", "pan-up", "zoom-in",
         "pan-down"]


def story_text(seconds: float, scenes: int, size: str, narration_suffix: str = "",
               prompt_suffix: str = "") -> str:
    each = seconds / scenes
    lines = ['title "Benchmark"', f"size {size}", "fps 24", "seed 1", "transition crossfade 1s", ""]
    for i in range(scenes):
        narration = f"This is scene {i + 1}, and the story goes on."
        prompt = PROMPTS[i % len(PROMPTS)]
        if i == scenes // 2:
            narration += narration_suffix
            prompt += prompt_suffix
        lines += [f"scene s{i} {each:g}s", f'    prompt "{prompt}"',
                  f'    narrate "{narration}"', f"    camera {MOVES[i % len(MOVES)]}", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Run:
    """One measured command: wall seconds, its largest process's peak MiB, CPU utilisation,
    and for a render its summary's "from the cache" line."""

    seconds: float
    peak: float
    cpu: float  # CPU seconds of the command and its children / wall seconds / CPUs
    cached: str = ""
    cpu_seconds: float = 0.0  # CPU seconds of the command and its children

    def cpu_share(self, other: Run) -> float:
        """This run's CPU seconds as a share of ``other``'s (the load does not change it)."""
        return self.cpu_seconds / other.cpu_seconds if other.cpu_seconds else float("nan")


def cpus() -> int:
    """The CPUs this process may use (what the render's default job count follows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


# Runs a command and prints the last "from the cache" line of its report (a render's
# summary; empty for other commands), then the peak resident set of its largest
# process (KiB), so every row's peak is its own and not the largest of all the rows
# before it.
_PEAK_OF = """import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
if done.returncode:
    sys.exit(done.stderr)
lines = [line for line in done.stderr.splitlines() if line.startswith("from the cache:")]
print(lines[-1] if lines else "")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"""


def timed(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``command``; its time, the peak of its largest process and its CPU utilisation."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _PEAK_OF, *command], check=True, env=env,
                            stdout=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A waited-for child's CPU time includes that of its own waited-for children.
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    *report, peak = result.stdout.splitlines()
    return Run(seconds, int(peak) / 1024, used / seconds / cpus(), "".join(report).strip(),
               used)


def t_enc(size: str, frames: int, out: Path) -> Run:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=24", "-frames:v", str(frames),
               "-c:v", "libx264", "-preset", "medium", "-crf", "19", "-pix_fmt", "yuv420p",
               str(out)]
    return timed(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    storyscore = str(Path(sys.executable).with_name("storyscore"))
    with tempfile.TemporaryDirectory(prefix="bench-story-") as scratch:
        work = Path(scratch)
        env = {"STORYSCORE_CACHE": str(work / "cache"), "PATH": "/usr/bin:/bin",
               "HOME": str(work)}
        if "PYTHONPATH" in os.environ:  # a worktree's code rather than the installed one
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        script = work / "story.sco"
        # Not --quiet: the summary says what came from the cache (the bars are off
        # without a terminal).
        render = [storyscore, "render", str(script), "-o", str(work / "out.mp4"),
                  *(["--jobs", str(args.jobs)] if args.jobs else [])]
        rows: list[tuple[str, Run]] = []

        load_before = os.getloadavg()[0]
        encoder = t_enc(args.size, round(args.seconds * 24), work / "testsrc2.mp4")
        script.write_text(story_text(args.seconds, args.scenes, args.size))
        rows.append(("cold (empty cache)", timed(render, env)))
        rows.append(("warm (everything cached)", timed(render, env)))
        script.write_text(story_text(args.seconds, args.scenes, args.size,
                                     narration_suffix=" It was late."))
        rows.append(("narration edit (one scene)", timed(render, env)))
        script.write_text(story_text(args.seconds, args.scenes, args.size,
                                     narration_suffix=" It was late.",
                                     prompt_suffix=", golden light"))
        rows.append(("prompt edit (one scene)", timed(render, env)))

    cold = rows[0][1].seconds
    t = encoder.seconds
    print(f"story: {args.seconds:g} s, {args.scenes} scenes, {args.size}, 24 fps, "
          f"x264 medium crf 19; {cpus()} CPUs, jobs {args.jobs or 'default'}; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          "(other work on the machine: compare the ratios within one run)")
    print(f"{'T_enc (ffmpeg testsrc2)':32} {t:8.1f} s   1.00 x T_enc  "
          f"{'':16}{'':17}CPU {encoder.cpu:4.0%}  {encoder.cpu_seconds:6.1f} CPU s")
    for name, run in rows:
        print(f"{name:32} {run.seconds:8.1f} s  {run.seconds / t:5.2f} x T_enc  "
              f"{run.seconds / cold:5.2f} x cold  peak {run.peak:6.0f} MiB  CPU {run.cpu:4.0%}  "
              f"{run.cpu_seconds:6.1f} CPU s ({run.cpu_share(rows[0][1]):4.2f} x cold's)")
        print(f"{'':34}{run.cached}")
    targets = [
        ("cold <= 2.0 x T_enc", cold / t <= 2.0),
        ("warm <= 0.05 x cold", rows[1][1].seconds / cold <= 0.05),
        ("narration edit <= 0.10 x cold", rows[2][1].seconds / cold <= 0.10),
        ("prompt edit <= 0.30 x cold", rows[3][1].seconds / cold <= 0.30),
    ]
    for name, met in targets:
        print(f"target {name}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
