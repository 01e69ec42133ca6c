"""The typed story model: frozen dataclasses that every stage after `dsl/` sees.

Every node an error may point at carries a ``SourceSpan``. Spans take no part
in equality, so two scripts that say the same thing compare equal however they
are laid out (``fmt`` relies on this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from storyscore.diagnostics import NOWHERE, SourceSpan

Mode = Literal["major", "minor"]




def _span() -> Any:
    """A span field that takes no part in comparisons or hashing."""
    return field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    span: SourceSpan = _span()


@dataclass(frozen=True)
class Voice:
    """A narration voice: ``joe``, ``espeak``, ``espeak:VOICE`` or ``none``."""

    name: str
    speed: float = 1.0
    span: SourceSpan = _span()


@dataclass(frozen=True)
class Transition:
    """How a scene gives way to the next; centred on the boundary."""

    kind: str
    duration: float
    span: SourceSpan = _span()


@dataclass(frozen=True)
class Camera:
    """A camera move; ``amount`` is a zoom factor or a share of the frame."""

    move: str
    amount: float
    span: SourceSpan = _span()


@dataclass(frozen=True)
class Key:
    tonic: str
    mode: Mode
    span: SourceSpan = _span()

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


@dataclass(frozen=True)
class MusicSettings:
    """Music overrides; ``None`` means "derive it from the picture"."""

    key: Key | None = None
    tempo: float | None = None
    mood: str | None = None
    instruments: tuple[str, ...] | None = None
    volume: float | None = None
    silent: bool = False
    meter: str | None = None  # "3/4": the whole story's time signature (story settings only)
    span: SourceSpan = _span()

    def merged_over(self, base: MusicSettings) -> MusicSettings:
        """These settings with ``base`` filling whatever they leave unset."""
        return MusicSettings(
            key=self.key or base.key,
            tempo=self.tempo if self.tempo is not None else base.tempo,
            mood=self.mood or base.mood,
            instruments=self.instruments or base.instruments,
            volume=self.volume if self.volume is not None else base.volume,
            silent=self.silent or base.silent,
            meter=self.meter or base.meter,
            span=self.span,
        )


@dataclass(frozen=True)
class Painter:
    name: str = "procedural"
    model: str | None = None
    span: SourceSpan = _span()


@dataclass(frozen=True)
class Character:
    id: str
    description: str
    span: SourceSpan = _span()


@dataclass(frozen=True)
class WordsFile:
    """A ``concepts "FILE"`` setting: the author's own words for the painter."""

    path: str
    span: SourceSpan = _span()


@dataclass(frozen=True)
class Choice:
    text: str
    target: str
    span: SourceSpan = _span()
    target_span: SourceSpan = _span()


@dataclass(frozen=True)
class Narration:
    """One ``narrate`` statement: its paragraphs, already folded."""

    paragraphs: tuple[str, ...]
    span: SourceSpan = _span()


@dataclass(frozen=True)
class Scene:
    id: str
    title: str
    duration: float | None  # seconds; None is ``auto``
    prompt: str | None = None
    image: str | None = None  # as written, relative to the script's folder
    narration: tuple[Narration, ...] = ()
    voice: Voice | None = None
    camera: Camera | None = None
    music: MusicSettings | None = None
    transition: Transition | None = None
    choices: tuple[Choice, ...] = ()
    next: str | None = None
    end: bool = False
    span: SourceSpan = _span()
    id_span: SourceSpan = _span()
    duration_span: SourceSpan = _span()
    prompt_span: SourceSpan = _span()
    image_span: SourceSpan = _span()
    next_span: SourceSpan = _span()

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Every narration paragraph of the scene, in order."""
        return tuple(p for n in self.narration for p in n.paragraphs)

    @property
    def narration_text(self) -> str:
        return "\n\n".join(self.paragraphs)


DEFAULT_TRANSITION = Transition("crossfade", 1.0)
DEFAULT_CAMERA = Camera("still", 0.0)
DEFAULT_SIZE = Size(1280, 720)
DEFAULT_VOICE = Voice("joe", 1.0)


@dataclass(frozen=True)
class Story:
    """A whole script. ``source`` is the script's path (for relative paths)."""

    title: str
    scenes: tuple[Scene, ...]
    source: str = "<string>"
    author: str | None = None
    size: Size = DEFAULT_SIZE
    fps: int = 24
    seed: int = 0
    style: str | None = None
    negative: str | None = None
    painter: Painter = field(default_factory=Painter)
    voice: Voice = DEFAULT_VOICE
    soundfont: str | None = None
    music: MusicSettings = field(default_factory=MusicSettings)
    transition: Transition = DEFAULT_TRANSITION
    characters: tuple[Character, ...] = ()
    soundfont_span: SourceSpan = _span()
    concepts: tuple[WordsFile, ...] = ()

    @property
    def base_dir(self) -> Path:
        return Path(self.source).parent

    def scene(self, scene_id: str) -> Scene:
        for scene in self.scenes:
            if scene.id == scene_id:
                return scene
        raise KeyError(scene_id)

    def successors(self, scene: Scene) -> tuple[str, ...]:
        """The ids of the scenes that may follow ``scene``, first choice first."""
        if scene.choices:
            return tuple(c.target for c in scene.choices)
        if scene.next is not None:
            return (scene.next,)
        if scene.end:
            return ()
        index = self.scenes.index(scene)
        if index + 1 < len(self.scenes):
            return (self.scenes[index + 1].id,)
        return ()

    def transition_after(self, scene: Scene) -> Transition:
        return scene.transition or self.transition

    def camera_of(self, scene: Scene) -> Camera:
        return scene.camera or DEFAULT_CAMERA

    def voice_of(self, scene: Scene) -> Voice:
        return scene.voice or self.voice

    def music_of(self, scene: Scene) -> MusicSettings:
        """The scene's music settings over the story-wide ones."""
        if scene.music is None:
            return self.music
        return scene.music.merged_over(self.music)

    def expand_prompt(self, scene: Scene) -> str | None:
        """The prompt a painter receives: ``@characters`` expanded, ``style`` appended."""
        if scene.prompt is None:
            return None
        text = expand_characters(scene.prompt, {c.id: c.description for c in self.characters})
        return f"{text}, {self.style}" if self.style else text


CHARACTER_REF = re.compile(r"@([^\W\d][\w-]*)")


def expand_characters(text: str, characters: dict[str, str]) -> str:
    """Replace each ``@id`` of a known character by its description."""
    return CHARACTER_REF.sub(lambda m: characters.get(m.group(1), m.group(0)), text)


def to_jsonable(value: Any) -> Any:
    """A model as plain JSON data, spans as ``"LINE:COL-LINE:COL"`` (for snapshots)."""
    if isinstance(value, SourceSpan):
        return f"{value.line}:{value.column}-{value.end_line}:{value.end_column}"
    if hasattr(value, "__dataclass_fields__"):
        return {name: to_jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    return value
