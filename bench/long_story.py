"""A long story for the scaling benchmarks: 200 scenes in 60 minutes, or any length.

``story_text(minutes)`` writes a deterministic script of ``200 × minutes / 60``
scenes (at least three), each 18 s long, with varied prompts (place, time of
day, weather and a detail, combined so that neighbours differ), one to three
sentences of narration, a camera move, a transition and, in some scenes, one
of three characters and a music override. The same arguments give the same
text. Run ``python bench/long_story.py MINUTES > story.sco`` to write one.
"""

from __future__ import annotations

import sys

SCENES_PER_HOUR = 200
SIZE = "854x480"

PLACES = ["a pine forest", "a harbour market", "a lighthouse on black rocks",
          "a spiral staircase in a tower", "a village square", "a calm bay",
          "snowy hills", "a meadow of flowers", "a desert of red dunes",
          "an old library", "a river under willows", "a mountain pass"]
TIMES = ["at dawn", "at noon", "at sunset", "at night", "at twilight", "in the morning"]
WEATHER = ["mist between the trees", "bright awnings and crowds", "storm and huge waves",
           "soft snow falling", "clear sky", "warm windows and birds", "rain on the stones"]
DETAILS = ["lantern light", "a rainbow", "lightning", "falling leaves", "long shadows",
           "a flock of gulls", "stars"]
CHARACTERS = [("mira", "a girl of ten with a red scarf and braided hair"),
              ("owl", "an old grey owl with round spectacles"),
              ("fox", "a quick red fox with a white-tipped tail")]
SUBJECTS = ["Mira", "The old owl", "The fox", "The wind", "Someone", "The whole village"]
VERBS = ["walked on", "waited", "listened", "looked back", "laughed", "kept going",
         "remembered the song", "counted the lights"]
ENDINGS = ["until the light changed.", "and the path turned again.",
           "as if the day had only begun.", "while the music rose.",
           "and nobody said a word.", "because it was time."]
MOVES = ["zoom-in", "pan-right", "zoom-out", "pan-left", "still", "pan-up", "pan-down"]
TRANSITIONS = ["crossfade 1s", "fade 1s", "cut", "wipe-left 1s", "crossfade 2s",
               "slide-right 1s", "zoom 1s"]
MUSIC = ["", "", "", "music mood calm", "music instrument harp+strings",
         "music mood lively", "", "music volume 0.7", "", "music mood mysterious"]


def scene_count(minutes: float) -> int:
    """Scenes in a story of ``minutes``: 200 an hour, at least three."""
    return max(3, round(SCENES_PER_HOUR * minutes / 60))


def story_text(minutes: float, size: str = SIZE, seed: int = 1) -> str:
    """The script of a ``minutes``-long story at ``size``."""
    scenes = scene_count(minutes)
    each = minutes * 60 / scenes
    lines = [f'title "A long journey ({minutes:g} minutes)"', f"size {size}", "fps 24",
             f"seed {seed}", "transition crossfade 1s"]
    lines += [f'character {name} "{description}"' for name, description in CHARACTERS]
    lines.append("")
    for i in range(scenes):
        lines += _scene(i, each, last=i == scenes - 1)
    return "\n".join(lines)


def _scene(i: int, seconds: float, last: bool) -> list[str]:
    """One scene's lines; every choice cycles through its list at its own pace."""
    prompt = (f"{PLACES[i % len(PLACES)]} {TIMES[(i * 5) % len(TIMES)]}, "
              f"{WEATHER[(i * 3) % len(WEATHER)]}, {DETAILS[(i * 2 + i // 7) % len(DETAILS)]}")
    if i % 4 == 1:
        prompt = f"@{CHARACTERS[(i // 4) % len(CHARACTERS)][0]} in {prompt}"
    sentences = [f"{SUBJECTS[(i + k) % len(SUBJECTS)]} {VERBS[(i * 3 + k) % len(VERBS)]} "
                 f"{ENDINGS[(i + 2 * k) % len(ENDINGS)]}" for k in range(1 + i % 3)]
    narration = f"Part {i + 1}. " + " ".join(sentences)
    lines = [f"scene s{i:03d} {seconds:g}s", f'    prompt "{prompt}"',
             f'    narrate "{narration}"', f"    camera {MOVES[i % len(MOVES)]}"]
    if music := MUSIC[i % len(MUSIC)]:
        lines.append(f"    {music}")
    if not last:  # the last scene gives way to nothing
        lines.append(f"    transition {TRANSITIONS[(i * 2) % len(TRANSITIONS)]}")
    return [*lines, ""]


if __name__ == "__main__":
    print(story_text(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0))
