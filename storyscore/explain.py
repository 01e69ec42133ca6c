"""``storyscore explain``: each scene's musical plan and the picture evidence for it."""

from __future__ import annotations

from collections.abc import Mapping

from PIL import Image

from storyscore.analyse import PictureFeatures, analyse
from storyscore.mapping import SceneMusic, sonify
from storyscore.model import Story
from storyscore.paint.base import Understands
from storyscore.pictures import painter_for, request_for


def story_music(story: Story, pictures: Mapping[str, Image.Image]
                ) -> tuple[dict[str, PictureFeatures], dict[str, SceneMusic]]:
    """Features and music of every scene, read across the whole story.

    Every scene of every branch takes part in the story-wide normalisation, so
    a scene gets the same music whichever path leads to it.
    """
    features = {scene.id: analyse(pictures[scene.id]) for scene in story.scenes}
    return features, music_of(story, features)


def music_of(story: Story, features: Mapping[str, PictureFeatures]) -> dict[str, SceneMusic]:
    """Every scene's music from its picture features and its settings."""
    music = sonify([features[s.id] for s in story.scenes],
                   [story.music_of(s) for s in story.scenes])
    return {scene.id: m for scene, m in zip(story.scenes, music, strict=True)}


def picture_notes(story: Story) -> dict[str, str]:
    """Per scene, where its picture comes from and what the painter understood."""
    painter = painter_for(story) if any(s.image is None for s in story.scenes) else None
    notes = {}
    for scene in story.scenes:
        if scene.image is not None:
            notes[scene.id] = f"the author's image {scene.image}"
        elif isinstance(painter, Understands):
            concepts = painter.understood(request_for(story, scene))
            notes[scene.id] = (f"{painter.name} painter, understood: "
                               + (", ".join(concepts) if concepts else "nothing it knows"))
        elif painter is not None:
            notes[scene.id] = f"{painter.name} painter"
    return notes


def explain(story: Story, features: Mapping[str, PictureFeatures],
            music: Mapping[str, SceneMusic], notes: Mapping[str, str] | None = None) -> str:
    """The plan as text: one block per scene, choices first, then the reasons."""
    blocks = [f"{story.title}: the music, scene by scene"]
    for scene in story.scenes:
        m, f = music[scene.id], features[scene.id]
        head = (f"{scene.id} ({scene.title}): {m.key_name}, {m.tempo:g} BPM, "
                f"{m.melody} with {m.accompaniment}"
                + (f" and {m.bass}" if m.bass else "") + f", {m.texture} texture"
                + (", silent" if m.silent else "")
                + (f", volume {m.volume:g}" if m.volume != 1 else ""))
        lines = [head]
        if notes and scene.id in notes:
            lines.append(f"  picture: {notes[scene.id]}")
        lines += [f"  colour and shape: L* {f.lightness_mean:.0f}, chroma {f.chroma_mean:.0f}, "
                 f"a* {f.a_mean:+.0f}, b* {f.b_mean:+.0f}, warmth {f.warmth:+.2f}, "
                 f"edges {f.edge_density:.2f}, texture {f.texture_fineness:.2f}, "
                 f"angularity {f.angularity:.2f}, complexity {f.complexity:.2f}",
                 f"  emotion: valence {m.valence:+.2f}, arousal {m.arousal:+.2f}, "
                 f"tension {m.tension:.2f}"]
        lines += [f"  - {r.choice}: {r.because}" for r in m.reasons]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
