"""The painter interface: one request in, one RGB picture out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image


@dataclass(frozen=True)
class CharacterRef:
    """A story character a scene's prompt names: its id and its description.

    The description also appears, expanded, in the prompt; a painter that
    draws characters decides each one's look from its description alone, so
    the character looks the same in every scene.
    """

    name: str
    description: str


@dataclass(frozen=True)
class Drawn:
    """One thing a painter drew: a character or a concept, where, and in what colour.

    ``box`` is ``(left, top, right, bottom)`` in pixels of the picture, right
    and bottom exclusive; ``colour`` is the dominant colour inside it as
    ``#rrggbb``.
    """

    kind: str  # "character" or "concept"
    name: str  # the character's id, or the concept's name
    what: str  # what it is: "boat", "fox", "sun", "trees"...
    box: tuple[int, int, int, int]
    colour: str

    def as_json(self) -> dict[str, object]:
        """The entry as plain JSON data, for the layout report."""
        return {"kind": self.kind, "name": self.name, "what": self.what,
                "box": list(self.box), "colour": self.colour}


@dataclass(frozen=True)
class PaintRequest:
    """Everything that determines a painted picture.

    ``prompt`` is already expanded: ``@character`` references replaced and the
    story's ``style`` appended. ``characters`` are the story characters the
    scene names, in the order the prompt first names them.
    """

    prompt: str
    width: int
    height: int
    seed: int = 0
    negative: str | None = None
    characters: tuple[CharacterRef, ...] = ()
    # The story's own words for the painter (``concepts "FILE"``): (word, meaning)
    # pairs, the meaning a concept, a kind of character or a "#rrggbb" colour.
    words: tuple[tuple[str, str], ...] = ()


@runtime_checkable
class Understands(Protocol):
    """A painter that can say which concepts of a prompt it painted."""

    def understood(self, request: PaintRequest) -> list[str]:
        """The concepts the picture for ``request`` shows, in the prompt's order."""
        ...


@runtime_checkable
class ExplainsWords(Protocol):
    """A painter that can say what each word of a prompt meant to it, and why."""

    def word_notes(self, request: PaintRequest) -> list[str]:
        """One note a word or phrase: "woods → forest (a synonym)", "curious (unknown)"."""
        ...


@runtime_checkable
class LaysOut(Protocol):
    """A painter that can say where it drew each thing of a picture."""

    def paint_with_layout(self, request: PaintRequest) -> tuple[Image.Image, list[Drawn]]:
        """The picture ``paint`` returns, and what it shows, back to front."""
        ...


@runtime_checkable
class Painter(Protocol):
    """An image backend. ``name`` and ``version`` take part in cache keys."""

    name: str
    version: str

    def paint(self, request: PaintRequest) -> Image.Image:
        """Return an RGB picture of exactly ``request.width`` x ``request.height``."""
        ...
