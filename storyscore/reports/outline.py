"""The outline ``storyscore check`` prints: scenes, durations, transitions, branches."""

from __future__ import annotations

from storyscore.diagnostics import Diagnostic, columns, printable
from storyscore.model import Story
from storyscore.timeline import default_path, lengthening_warnings, timeline


def _seconds(value: float, *, exact: bool = False) -> str:
    """A length in tenths of a second; ``exact`` keeps the milliseconds an author wrote (250ms)."""
    if exact and round(value, 1) != value:
        return f"{value:.3f}".rstrip("0") + "s"
    return f"{value:.1f}s"


def _cell(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (wide characters count twice)."""
    return text + " " * (width - columns(text))


def outline(story: Story) -> tuple[str, list[Diagnostic]]:
    """The outline's text and the warnings that planning adds (lengthened scenes)."""
    every = timeline(story, list(story.scenes))
    by_id = {time.scene.id: time for time in every}
    header = [printable(story.title + (f" — {story.author}" if story.author else ""))]
    painter = story.painter.name + (f" {printable(story.painter.model)}"
                                    if story.painter.model else "")
    voice = story.voice.name + (f" speed {story.voice.speed:g}" if story.voice.speed != 1 else "")
    header.append(f"{story.size.width}x{story.size.height}, {story.fps} fps, seed {story.seed}, "
                  f"painter {painter}, voice {voice}")

    rows = [("scene", "title", "duration", "then")]
    estimated = False
    for scene in story.scenes:
        time = by_id[scene.id]
        if scene.duration is None:
            length = ("~" if time.estimated and time.speech else "") + _seconds(time.duration)
            length += " auto"
            estimated = estimated or (time.estimated and time.speech > 0)
        else:
            length = _seconds(time.duration, exact=not time.lengthened)
            if time.lengthened:
                length = "~" + length + " (lengthened)"
                estimated = True
        following = story.successors(scene)
        if scene.choices:
            then = "choice: " + " | ".join(f'"{printable(c.text)}" -> {c.target}'
                                           for c in scene.choices)
        elif not following:
            then = "end"
        else:
            transition = story.transition_after(scene)
            how = transition.kind if transition.kind == "cut" else (
                f"{transition.kind} {transition.duration:g}s")
            then = f"{how} -> {following[0]}"
        rows.append((scene.id, printable(scene.title), length, then))
    widths = [max(columns(row[i]) for row in rows) for i in range(3)]
    table = ["  " + "  ".join(_cell(cell, width) for cell, width in zip(row, widths, strict=False))
             + "  " + row[3] for row in rows]

    path = default_path(story)
    total = sum(by_id[scene.id].duration for scene in path)
    branches = [scene for scene in story.scenes if len(scene.choices) > 1]
    endings = [scene.id for scene in story.scenes if not story.successors(scene)]
    footer = [
        f"{len(story.scenes)} scene{'s' if len(story.scenes) != 1 else ''}, "
        f"{len(branches)} branch point{'s' if len(branches) != 1 else ''}, "
        f"ending{'s' if len(endings) != 1 else ''}: {', '.join(endings)}",
        "default path: " + " -> ".join(scene.id for scene in path)
        + f" ({'~' if estimated else ''}{_seconds(total, exact=not estimated)})",
    ]
    if estimated:
        footer.append("~ narration lengths are estimated from word counts (about 150 words "
                      "a minute) until the voice speaks them")
    warnings = lengthening_warnings(every)
    return "\n".join([*header, "", *table, "", *footer]), warnings
