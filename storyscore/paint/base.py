"""The painter interface: one request in, one RGB picture out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image


@dataclass(frozen=True)
class PaintRequest:
    """Everything that determines a painted picture.

    ``prompt`` is already expanded: ``@character`` references replaced and the
    story's ``style`` appended.
    """

    prompt: str
    width: int
    height: int
    seed: int = 0
    negative: str | None = None


@runtime_checkable
class Understands(Protocol):
    """A painter that can say which concepts of a prompt it painted."""

    def understood(self, request: PaintRequest) -> list[str]:
        """The concepts the picture for ``request`` shows, in the prompt's order."""
        ...


@runtime_checkable
class Painter(Protocol):
    """An image backend. ``name`` and ``version`` take part in cache keys."""

    name: str
    version: str

    def paint(self, request: PaintRequest) -> Image.Image:
        """Return an RGB picture of exactly ``request.width`` x ``request.height``."""
        ...
