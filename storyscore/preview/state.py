"""What the live preview shows: the story's pages, side panel and timeline as JSON.

Each rebuild reads the script again; a script that does not check leaves the
last good preview in place and adds the error exactly as ``check`` prints it.
Pictures come through the cache, so an edit repaints only the scenes it
changes, and a picture's features are read once per picture.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyscore.analyse import PictureFeatures, analyse
from storyscore.cache import Cache
from storyscore.diagnostics import render_all, render_error
from storyscore.dsl.load import load_story
from storyscore.errors import ScriptError, StoryscoreError
from storyscore.model import Scene, Story
from storyscore.pipeline.mapping import SceneMusic, music_of
from storyscore.pipeline.pictures import ScenePicture, scene_pictures
from storyscore.reports.explain import picture_notes
from storyscore.reports.scenes import (
    describe_features,
    describe_length,
    describe_music,
    describe_settings,
    scene_times,
)
from storyscore.timeline import default_path, timeline


@dataclass
class Snapshot:
    """One state of the preview: the last good story (as JSON) and the current error."""

    version: int = 0
    story: dict[str, Any] | None = None
    error: str | None = None
    pictures: dict[str, Path] = field(default_factory=dict)  # scene id -> PNG in the cache
    watched: tuple[Path, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "story": self.story, "error": self.error}


def watched_files(script: Path, story: Story | None) -> tuple[Path, ...]:
    """The script and the files it uses: a change to any of them rebuilds the preview."""
    files = [script]
    if story is not None:
        files += [story.base_dir / s.image for s in story.scenes if s.image is not None]
        if story.soundfont is not None:
            files.append(story.base_dir / story.soundfont)
    return tuple(files)


def _digest(path: Path) -> str:
    return hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:16]


def _transition(story: Story, scene: Scene) -> str | None:
    following = story.successors(scene)
    if not following or scene.choices:
        return None
    kind = story.transition_after(scene)
    return kind.kind if kind.kind == "cut" else f"{kind.kind} {kind.duration:g}s"


class PreviewBuilder:
    """Rebuilds the preview of one script on demand, remembering what it read."""

    def __init__(self, script: Path, cache: Cache) -> None:
        self.script = script
        self.cache = cache
        self.snapshot = Snapshot(watched=(script,))
        self._features: dict[Path, PictureFeatures] = {}

    def rebuild(self) -> Snapshot:
        """Read the script again and make a new snapshot (the last good story kept on error)."""
        previous = self.snapshot
        story: Story | None = None
        error: str | None = None
        made: dict[str, Any] | None = previous.story
        pictures = previous.pictures
        source: str | None = None
        try:
            loaded = load_story(self.script)
            story, source = loaded.story, loaded.source
            made, pictures = self._pages(story)
        except ScriptError as problem:
            error = render_all(problem.diagnostics, problem.source)
        except StoryscoreError as problem:
            error = render_error(problem.message, problem.span, problem.hint, source)
        watched = watched_files(self.script, story) if story is not None else previous.watched
        self.snapshot = Snapshot(previous.version + 1, made, error, pictures, watched)
        return self.snapshot

    def _features_of(self, picture: ScenePicture) -> PictureFeatures:
        # Cache paths are content-addressed: the same path is the same picture.
        if picture.path not in self._features:
            self._features[picture.path] = analyse(picture.image)
        return self._features[picture.path]

    def _pages(self, story: Story) -> tuple[dict[str, Any], dict[str, Path]]:
        painted = scene_pictures(story, story.scenes, self.cache)
        features = {scene_id: self._features_of(p) for scene_id, p in painted.items()}
        music = music_of(story, features)
        notes = picture_notes(story)
        times = scene_times(story)
        scenes = [self._scene(story, scene, painted[scene.id], features[scene.id],
                              music[scene.id], notes.get(scene.id), describe_length(
                                  times[scene.id])) for scene in story.scenes]
        path = default_path(story)
        line = [{"id": t.scene.id, "start": round(t.start, 3), "duration": round(t.duration, 3),
                 "key": music[t.scene.id].key_name, "tempo": round(music[t.scene.id].tempo),
                 "silent": music[t.scene.id].silent,
                 "transition": _transition(story, t.scene) if i + 1 < len(path) else None}
                for i, t in enumerate(timeline(story, path))]
        data = {"title": story.title, "author": story.author, "first": story.scenes[0].id,
                "width": story.size.width, "height": story.size.height,
                "scenes": scenes, "timeline": line}
        return data, {scene_id: p.path for scene_id, p in painted.items()}

    @staticmethod
    def _scene(story: Story, scene: Scene, picture: ScenePicture, features: PictureFeatures,
               music: SceneMusic, note: str | None, length: str) -> dict[str, Any]:
        following = story.successors(scene)
        return {
            "id": scene.id, "title": scene.title,
            "picture": f"/picture/{scene.id}?v={_digest(picture.path)}",
            "paragraphs": list(scene.paragraphs),
            "choices": [{"text": c.text, "target": c.target} for c in scene.choices],
            "next": following[0] if following and not scene.choices else None,
            "transition": _transition(story, scene),
            "duration": length,
            "music": describe_music(music),
            "asked": describe_settings(story, scene),
            "reasons": [{"choice": r.choice, "because": r.because} for r in music.reasons],
            "features": describe_features(features, music),
            "picture_note": note,
        }
