"""Scaling benchmark: memory and time per minute of story, from 1 to 60 minutes.

Two parts, each run in fresh processes, each length measured in the same run
so the ratios hold on a busy machine:

- ``--audio`` (the audio stage alone): a synthetic five-part score and
  shaped-noise narration of each length (``bench_audio``'s, each sentence in
  its own file as the narration cache keeps it) played in the room with the
  best installed SoundFont, mixed and fitted to AAC through scratch files,
  exactly as ``storyscore render`` does; prints each length's time per
  minute of story and the process's peak resident memory.
- ``--score``: the composer and the MIDI and MusicXML files on plans of each
  length (``bench_compose``'s varied scenes, 200 an hour);
- ``--render`` (end to end): ``storyscore render`` of the generated story
  (``long_story``: 200 scenes an hour, 854x480) against a fresh cache;
  prints time per minute of story, the ratio to the 5-minute story's, and
  peak memory: the whole process tree's (resident sets summed, sampled every
  0.2 s by psutil) and the largest single process's (``ru_maxrss``).

Usage::

    .venv/bin/python bench/bench_long.py --audio --minutes 1 5 20 60
    .venv/bin/python bench/bench_long.py --render --minutes 1 5 20 60
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE = 5.0  # minutes: the story every other length is compared with


def audio_child(minutes: float) -> None:
    """The audio stage on ``minutes`` of story, in this process; prints one JSON line."""
    sys.path.insert(0, str(HERE))
    from bench_audio import VOICE_RATE, score, spoken  # type: ignore[import-not-found]

    from storyscore.audio.humanise import humanise
    from storyscore.audio.mix import PlacedNarration, SceneGain, mix_track
    from storyscore.audio.room import RoomSpan, room_blocks
    from storyscore.audio.soundfonts import choose_soundfont
    from storyscore.audio.stream import DiskTrack, disk_tracks
    from storyscore.audio.voices import Narration, SentenceTiming
    from storyscore.audio.voices.cached import store_narration
    from storyscore.pipeline.soundtrack import deliverable_audio
    from storyscore.render import EncodeSettings

    seconds = minutes * 60
    scenes = int(seconds // 18)
    started = time.perf_counter()
    midi = humanise(score(minutes), 1, [i * 18.0 for i in range(1, scenes)])
    gains = [SceneGain(i * 18.0, (i + 1) * 18.0, 1.0, silent=i % 7 == 6) for i in range(scenes)]
    rooms = [RoomSpan(i * 18.0, (i + 1) * 18.0, (i % 4) / 3) for i in range(scenes)]
    soundfont = choose_soundfont(None)
    with tempfile.TemporaryDirectory(prefix="bench-long-audio-") as scratch:
        folder = Path(scratch)
        # The narration as a render has it: each in its cache file, read when mixed.
        sentence = (SentenceTiming("", 0.0, 3.0, ()),)
        placed = [PlacedNarration.from_narration(start, store_narration(
            Narration(samples, VOICE_RATE, sentence), folder / f"narration-{n}.npz"))
                  for n, (start, samples) in enumerate(spoken(minutes))]
        stages = {"inputs": time.perf_counter() - started}
        mark = time.perf_counter()
        music = DiskTrack(folder / "music.f32", 2)
        for block in room_blocks(midi, soundfont.path, rooms):
            music.append(block)
        stages["music"] = time.perf_counter() - mark
        mark = time.perf_counter()
        mixed = mix_track(music, placed, seconds, gains, new_track=disk_tracks(folder))
        stages["mix"] = time.perf_counter() - mark
        mark = time.perf_counter()
        fitted = deliverable_audio(mixed, folder / "mix.wav", EncodeSettings(), folder)
        stages["fit to AAC"] = time.perf_counter() - mark
    print(json.dumps({
        "minutes": minutes, "seconds": time.perf_counter() - started, "stages": stages,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lufs": fitted.loudness_lufs, "delivered_dbtp": fitted.delivered_peak_dbtp,
        "soundfont": soundfont.path.name,
    }))


def score_child(minutes: float) -> None:
    """The composer and the score files on ``minutes`` of story (200 scenes an hour), in
    this process; prints one JSON line."""
    sys.path.insert(0, str(HERE))
    from bench_compose import story  # type: ignore[import-not-found]
    from long_story import scene_count  # type: ignore[import-not-found]

    from storyscore.compose import compose

    scenes = scene_count(minutes)
    plans = story(scenes, minutes * 60 / scenes)
    # CPU seconds beside wall seconds: on a shared machine the wall time measures the load.
    started, cpu = time.perf_counter(), time.process_time()
    score = compose(plans, fps=24, seed=1)
    composed, composed_cpu = time.perf_counter() - started, time.process_time() - cpu
    with tempfile.TemporaryDirectory(prefix="bench-long-score-") as scratch:
        mark, cpu = time.perf_counter(), time.process_time()
        score.write_midi(Path(scratch) / "score.mid")
        midi_cpu = time.process_time() - cpu
        score.write_musicxml(Path(scratch) / "score.musicxml")
        written, written_cpu = time.perf_counter() - mark, time.process_time() - cpu
    print(json.dumps({
        "minutes": minutes, "seconds": composed + written, "compose": composed,
        "write": written, "cpu": composed_cpu + written_cpu, "compose_cpu": composed_cpu,
        "midi_cpu": midi_cpu, "musicxml_cpu": written_cpu - midi_cpu,
        "bars": len(score.timeline.bars), "music_seconds": score.total_seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def _child_rows(flag: str, lengths: list[float], done: str) -> list[dict[str, Any]]:
    """Each length measured by this script in a fresh process (``flag``): its JSON line."""
    rows = []
    for minutes in lengths:
        out = subprocess.run([sys.executable, __file__, flag, str(minutes)],
                             check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"  {done} {minutes:g} min", file=sys.stderr, flush=True)
    return rows


def run_score(lengths: list[float]) -> None:
    """Each length's composition and score files in a fresh process; one table."""
    rows = _child_rows("--score-child", lengths, "composed")
    reference = _reference(rows)
    print(f"the composer and the score files (MIDI, MusicXML); ratios against the "
          f"{reference['minutes']:g}-minute story of the same run, of wall and of CPU "
          f"seconds (the CPU columns hold on a busy machine)")
    print(f"{'minutes':>7} {'bars':>5} {'seconds':>8} {'s/min':>6} {'ratio':>6} {'CPU s':>7} "
          f"{'CPU/min':>7} {'ratio':>6} {'compose':>8} {'MIDI':>5} {'MusicXML':>8} "
          f"{'peak MiB':>8}")
    for row in rows:
        per = row["seconds"] / row["minutes"]
        ratio = per / (reference["seconds"] / reference["minutes"])
        cpu = row["cpu"] / row["minutes"]
        cpu_ratio = cpu / (reference["cpu"] / reference["minutes"])
        print(f"{row['minutes']:7g} {row['bars']:5d} {row['seconds']:8.1f} {per:6.2f} "
              f"{ratio:6.2f} {row['cpu']:7.1f} {cpu:7.2f} {cpu_ratio:6.2f} "
              f"{row['compose_cpu']:8.1f} {row['midi_cpu']:5.1f} {row['musicxml_cpu']:8.1f} "
              f"{row['peak_mib']:8.0f}")


def run_audio(lengths: list[float]) -> None:
    """Each length's audio stage in a fresh process; one table."""
    rows = _child_rows("--audio-child", lengths, "measured")
    reference = _reference(rows)
    print(f"audio stage alone (SoundFont {rows[0]['soundfont']}); ratios against the "
          f"{reference['minutes']:g}-minute story of the same run")
    print(f"{'minutes':>7} {'seconds':>8} {'s/min':>6} {'ratio':>6} {'music':>7} {'mix':>6} "
          f"{'fit AAC':>7} {'peak MiB':>8} {'LUFS':>6} {'dBTP':>6}")
    for row in rows:
        per = row["seconds"] / row["minutes"]
        ratio = per / (reference["seconds"] / reference["minutes"])
        stages = row["stages"]
        print(f"{row['minutes']:7g} {row['seconds']:8.1f} {per:6.2f} {ratio:6.2f} "
              f"{stages['music']:7.1f} {stages['mix']:6.1f} {stages['fit to AAC']:7.1f} "
              f"{row['peak_mib']:8.0f} {row['lufs']:6.2f} "
              f"{row['delivered_dbtp']:6.2f}")


def _reference(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row of the 5-minute story, or the nearest length measured."""
    return min(rows, key=lambda row: abs(row["minutes"] - REFERENCE))


def tree_rss(process: object) -> int:
    """Bytes resident in ``process`` and all its descendants together."""
    import psutil

    assert isinstance(process, psutil.Process)
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_render(lengths: list[float], size: str) -> None:
    """``storyscore render`` of each length in a fresh process and cache; one table."""
    import psutil

    sys.path.insert(0, str(HERE))
    from long_story import scene_count, story_text  # type: ignore[import-not-found]

    storyscore = str(Path(sys.executable).with_name("storyscore"))
    rows = []
    for minutes in lengths:
        with tempfile.TemporaryDirectory(prefix="bench-long-") as scratch:
            work = Path(scratch)
            script = work / "story.sco"
            script.write_text(story_text(minutes, size), encoding="utf-8")
            env = {**os.environ, "STORYSCORE_CACHE": str(work / "cache"), "HOME": str(work)}
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.perf_counter()
            child = psutil.Popen([storyscore, "render", str(script), "-o", str(work / "out.mp4"),
                                  "--quiet"], env=env, stdout=subprocess.DEVNULL)
            peak = 0
            while child.poll() is None:
                peak = max(peak, tree_rss(child))
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            if child.returncode != 0:
                raise SystemExit(f"render of {minutes:g} min failed ({child.returncode})")
            largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rows.append({"minutes": minutes, "scenes": scene_count(minutes), "seconds": seconds,
                     "tree_mib": peak / 2**20, "largest_mib": max(largest, before) / 1024})
        print(f"  rendered {minutes:g} min", file=sys.stderr, flush=True)
    reference = _reference(rows)
    print(f"storyscore render, {size}, 24 fps, fresh cache; ratios against the "
          f"{reference['minutes']:g}-minute story of the same run")
    print(f"{'minutes':>7} {'scenes':>6} {'seconds':>8} {'s/min':>6} {'ratio':>6} "
          f"{'tree peak MiB':>13} {'largest MiB':>11}")
    for row in rows:
        per = row["seconds"] / row["minutes"]
        ratio = per / (reference["seconds"] / reference["minutes"])
        print(f"{row['minutes']:7g} {row['scenes']:6d} {row['seconds']:8.1f} {per:6.2f} "
              f"{ratio:6.2f} {row['tree_mib']:13.0f} {row['largest_mib']:11.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 5.0, 20.0, 60.0])
    parser.add_argument("--audio", action="store_true", help="the audio stage alone")
    parser.add_argument("--render", action="store_true", help="storyscore render end to end")
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--score", action="store_true", help="the composer and score files")
    parser.add_argument("--audio-child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--score-child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.audio_child is not None:
        audio_child(args.audio_child)
        return
    if args.score_child is not None:
        score_child(args.score_child)
        return
    if args.audio or not (args.render or args.score):
        run_audio(args.minutes)
    if args.score:
        run_score(args.minutes)
    if args.render:
        run_render(args.minutes, args.size)


if __name__ == "__main__":
    main()
