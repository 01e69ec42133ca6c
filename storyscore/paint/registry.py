"""The painter registry: the one place that maps painter names to backends.

Backends are imported only when asked for, so naming the procedural painter
never imports torch.
"""

from __future__ import annotations

from storyscore import vocab
from storyscore.errors import PaintError, closest
from storyscore.paint import diffusers_backend
from storyscore.paint.base import Painter

__all__ = ["PAINTER_NAMES", "available_painters", "make_painter"]

PAINTER_NAMES: tuple[str, ...] = vocab.PAINTERS
"""Every painter storyscore knows, installed or not (the names the language accepts)."""


def available_painters() -> list[str]:
    """The painters that can run here: procedural always, diffusers when its
    extra is installed (checked without importing it)."""
    names = ["procedural"]
    if not diffusers_backend.missing_dependencies():
        names.append("diffusers")
    return names


def make_painter(name: str, model: str | None = None) -> Painter:
    """The painter called ``name``; ``model`` (an id or a local folder) is
    required by diffusers and refused by procedural.

    Raises ``PaintError`` for an unknown name (with a suggestion) or a bad
    model, and ``BackendMissing`` when the painter's extra is not installed.
    """
    if name == "procedural":
        if model is not None:
            raise PaintError(
                f"the procedural painter takes no model (got '{model}')",
                hint="use `--painter diffusers --model ...` to paint with a model",
            )
        from storyscore.paint.procedural import ProceduralPainter

        return ProceduralPainter()
    if name == "diffusers":
        if not model:
            raise PaintError(
                "the diffusers painter needs a model: a Hugging Face model id or a local "
                "model folder",
                hint="for example `--model stabilityai/sd-turbo`",
            )
        return diffusers_backend.DiffusersPainter(model)
    raise _unknown(name)


def _unknown(name: str) -> PaintError:
    installed = available_painters()
    message = f"unknown painter '{name}' (installed painters: {', '.join(installed)})"
    close = closest(name.lower(), PAINTER_NAMES)
    if close is None:
        return PaintError(message)
    hint = f"did you mean '{close}'?"
    if close not in installed:
        hint += f" (it needs {diffusers_backend.INSTALL_COMMAND})"
    return PaintError(message, hint=hint)
