"""``storyscore book``: every scene of every branch as a page of an offline picture book.

Each page gets its own music (the scene composed on its own, ending on a
cadence) mixed with its narration; each way from one page to the next gets a
musical bridge: the two scenes composed as one piece, cut around their
boundary, so the key moves through its pivot chord instead of jumping.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from storyscore.audio.mix import SceneGain, mix, write_wav
from storyscore.audio.synth import SAMPLE_RATE
from storyscore.cache import Cache
from storyscore.export.book import Book, BookChoice, BookPage, BookWord, write_book
from storyscore.files import scratch_folder
from storyscore.model import Scene, Story, expand_characters
from storyscore.paint.base import Drawn
from storyscore.pipeline.executor import LOCAL, Executor
from storyscore.pipeline.pictures import describe_layout, scene_layout
from storyscore.pipeline.prepare import Prepared, prepare, progress_tick
from storyscore.pipeline.soundtrack import compose_path, music_samples, story_audio
from storyscore.progress import PAGES, WRITING, Progress, Stage
from storyscore.timeline import NARRATION_LEAD

BRIDGE_BEFORE = 3.0  # seconds of the outgoing scene's music in a bridge
BRIDGE_AFTER = 1.5  # and of the incoming scene's
EDGE_FADE = 0.4


def _alt(story: Story, scene: Scene, layout: Sequence[Drawn] | None = None) -> str:
    """Alt text: what the picture shows (the prompt, characters expanded, no style),
    then, when the painter said, where its characters are and what else it drew."""
    if scene.prompt is None:
        return scene.title
    text = expand_characters(scene.prompt, {c.id: c.description for c in story.characters})
    if layout:
        shown = describe_layout(layout, story, story.size.width, story.size.height)
        if shown:
            text = f"{text}. In the picture: {shown}"
    return text


def _bridge(prepared: Prepared, origin: Scene, target: Scene, path: Path) -> None:
    """The music around the boundary of ``origin`` and ``target``, composed as one piece."""
    composition = compose_path(prepared, [origin, target])
    music = music_samples(prepared.story, composition)
    boundary = composition.times[1].start
    rate = SAMPLE_RATE
    start = max(0.0, boundary - BRIDGE_BEFORE)
    end = min(composition.duration, boundary + BRIDGE_AFTER)
    gains = [SceneGain(t.start, t.end, 1.0, prepared.music[t.scene.id].silent)
             for t in composition.times]
    mixed = mix(music, [], composition.duration, gains, fade_in_s=0.0, fade_out_s=0.0)
    clip = mixed.audio[int(start * rate):int(end * rate)].copy()
    fade = min(len(clip) // 2, int(EDGE_FADE * rate))
    if fade:
        ramp = np.sin(np.linspace(0, np.pi / 2, fade)) ** 2
        clip[:fade] *= ramp[:, None]
        clip[-fade:] *= ramp[::-1, None]
    write_wav(path, clip, rate)


class _Bridges:
    """The musical bridges of a book, each composed once, as WAVs in a scratch folder."""

    def __init__(self, prepared: Prepared, folder: Path):
        self.prepared = prepared
        self.folder = folder
        self.made: dict[tuple[str, str], Path] = {}

    def __call__(self, origin: Scene, target_id: str) -> Path:
        key = (origin.id, target_id)
        if key not in self.made:
            path = self.folder / f"bridge-{len(self.made)}.wav"
            _bridge(self.prepared, origin, self.prepared.story.scene(target_id), path)
            self.made[key] = path
        return self.made[key]


def _page(prepared: Prepared, scene: Scene, folder: Path, bridge: _Bridges,
          cache: Cache) -> BookPage:
    """One scene as a page: its picture, words, music with narration, and ways on."""
    story = prepared.story
    composition = compose_path(prepared, [scene])
    audio = folder / f"{scene.id}.wav"
    write_wav(audio, story_audio(prepared, composition).audio)
    narration = prepared.narration(scene.id)
    words = tuple(BookWord(w.text, NARRATION_LEAD + w.start, NARRATION_LEAD + w.end)
                  for w in narration.words)
    following = story.successors(scene)
    choices = tuple(BookChoice(c.text, c.target, bridge(scene, c.target))
                    for c in scene.choices)
    next_scene = following[0] if following and not scene.choices else None
    return BookPage(
        scene_id=scene.id, title=scene.title, picture=prepared.pictures[scene.id].path,
        alt=_alt(story, scene, scene_layout(story, scene, cache)),
        paragraphs=scene.paragraphs, words=words, audio=audio,
        choices=choices, next_scene=next_scene,
        bridge_to_next=bridge(scene, next_scene) if next_scene else None,
        is_ending=not following,
    )


def make_book(story: Story, out_dir: Path, cache: Cache,
              on_progress: Progress | None = None, executor: Executor = LOCAL) -> Path:
    """Write the book for every scene and every choice of ``story`` into ``out_dir``;
    ``executor`` paints and narrates the scenes (the pages are made here)."""
    scenes = list(story.scenes)
    prepared = prepare(story, scenes, cache, progress_tick(on_progress, story, scenes),
                       executor)
    pages_done = Stage(on_progress, PAGES, len(scenes))
    with scratch_folder("book") as folder:
        bridge = _Bridges(prepared, folder)
        pages = []
        for scene in scenes:
            pages.append(_page(prepared, scene, folder, bridge, cache))
            pages_done.advance(scene.id)
        book = Book(story.title, story.author or "", tuple(pages), story.scenes[0].id)
        writing = Stage(on_progress, WRITING, 1)
        return write_book(book, out_dir, on_progress=writing.update)
