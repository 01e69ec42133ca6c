"""The timeline: which scenes a video follows and how long each lasts.

Pure functions of the model. Until narration is synthesised, narration
lengths are estimated from word counts and marked as estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

from storyscore import vocab
from storyscore.diagnostics import Diagnostic
from storyscore.errors import StoryscoreError, suggest
from storyscore.model import Scene, Story

NARRATION_LEAD = 0.5  # narration starts this long after the scene starts
NARRATION_TAIL = 0.5  # and ends at least this long before it ends
AUTO_MINIMUM = 4.0
SILENT_SCENE = 5.0
WORDS_PER_SECOND = 2.5  # about 150 words a minute at speed 1


def estimate_speech(scene: Scene, story: Story) -> float:
    """Seconds the scene's narration is expected to take (a word-count estimate)."""
    paragraphs = scene.paragraphs
    if not paragraphs or story.voice_of(scene).name == "none":
        return 0.0
    words = sum(len(p.split()) for p in paragraphs)
    speed = story.voice_of(scene).speed
    return words / (WORDS_PER_SECOND * speed) + vocab.PARAGRAPH_PAUSE * (len(paragraphs) - 1)


@dataclass(frozen=True)
class SceneTime:
    """One scene on the timeline; times in seconds from the story's start."""

    scene: Scene
    start: float
    duration: float
    speech: float  # seconds of narration
    estimated: bool  # narration length guessed from word count
    lengthened: bool  # an explicit duration grew to fit the narration

    @property
    def end(self) -> float:
        return self.start + self.duration


def scene_duration(scene: Scene, speech: float) -> tuple[float, bool]:
    """The scene's length for a narration of ``speech`` seconds, and whether it grew."""
    needed = speech + NARRATION_LEAD + NARRATION_TAIL if speech > 0 else 0.0
    if scene.duration is not None:
        return (max(scene.duration, needed), needed > scene.duration)
    if speech <= 0:
        return SILENT_SCENE, False
    return max(AUTO_MINIMUM, needed), False


def default_path(story: Story) -> list[Scene]:
    """The scenes the video follows: the first choice at every branch."""
    path = [story.scenes[0]]
    while following := story.successors(path[-1]):
        path.append(story.scene(following[0]))
    return path


def choose_path(story: Story, picks: list[str]) -> list[Scene]:
    """The path that takes, at each branch in turn, the scene named in ``picks``.

    ``--path`` lists the scenes to take at the branch points (it may also name
    scenes on the way, which are checked and passed); branches it does not
    reach take their first choice.
    """
    ids = [scene.id for scene in story.scenes]
    for pick in picks:
        if pick not in ids:
            hint = suggest(pick, ids)
            raise StoryscoreError(f"--path: there is no scene '{pick}'",
                                  hint=hint or "scenes: " + ", ".join(ids))
    remaining = list(picks)
    path = [story.scenes[0]]
    if remaining and remaining[0] == path[0].id:
        remaining.pop(0)
    while following := story.successors(path[-1]):
        target = following[0]
        if remaining and remaining[0] in following:
            target = remaining.pop(0)
        elif remaining and len(following) > 1:
            raise StoryscoreError(
                f"--path: at scene '{path[-1].id}' the choices lead to "
                f"{', '.join(following)}, not '{remaining[0]}'")
        if any(scene.id == target for scene in path):
            raise StoryscoreError(f"--path: the path returns to scene '{target}'",
                                  hint="name a choice that leads on at each branch")
        path.append(story.scene(target))
    if remaining:
        raise StoryscoreError(f"--path: the path ends at '{path[-1].id}' before reaching "
                              f"'{remaining[0]}'")
    return path


def all_paths(story: Story) -> list[list[Scene]]:
    """Every path from the first scene to an ending that visits no scene twice."""
    found: list[list[Scene]] = []

    def walk(path: list[Scene]) -> None:
        following = story.successors(path[-1])
        if not following:
            found.append(list(path))
            return
        for target in following:
            if all(scene.id != target for scene in path):
                walk([*path, story.scene(target)])

    walk([story.scenes[0]])
    return found


def timeline(story: Story, path: list[Scene],
             speech: dict[str, float] | None = None) -> list[SceneTime]:
    """Start and length of each scene on ``path``.

    ``speech`` gives measured narration lengths by scene id; scenes without one
    use the word-count estimate.
    """
    times: list[SceneTime] = []
    start = 0.0
    for scene in path:
        measured = speech is not None and scene.id in speech
        seconds = speech[scene.id] if speech is not None and measured else estimate_speech(
            scene, story)
        duration, grew = scene_duration(scene, seconds)
        times.append(SceneTime(scene, start, duration, seconds, not measured, grew))
        start += duration
    return times


def lengthening_warnings(times: list[SceneTime]) -> list[Diagnostic]:
    """A warning for each scene whose explicit duration grows to fit its narration."""
    out = []
    for time in times:
        if time.lengthened and time.scene.duration is not None:
            about = "about " if time.estimated else ""
            out.append(Diagnostic(
                "warning",
                f"scene '{time.scene.id}' is {time.scene.duration:g}s but its narration needs "
                f"{about}{time.duration:.1f}s; it is lengthened to {time.duration:.1f}s",
                time.scene.duration_span,
                "lengthen the scene or shorten its narration"
                + (" (the narration length is estimated from its word count)"
                   if time.estimated else ""),
            ))
    return out
