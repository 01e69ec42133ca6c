"""The painter registry: the one place that maps painter names to factories.

The built-in painters are ``procedural`` and ``diffusers``; installed plugins
(entry-point group ``storyscore.painters``, see ``storyscore.plugins``) add
more. Backends are imported only when asked for, so naming the procedural
painter never imports torch, and listing plugins imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

from storyscore import plugins, vocab
from storyscore.errors import PaintError, closest
from storyscore.paint import diffusers_backend
from storyscore.paint.base import Painter

__all__ = [
    "BUILTIN_PAINTERS",
    "PAINTER_NAMES",
    "PainterFactory",
    "available_painters",
    "make_painter",
    "painter_factories",
    "plugin_painters",
]

PainterFactory = Callable[[str | None], Painter]
"""Makes a painter from the model a script or ``--model`` names (or None)."""

PAINTER_NAMES: tuple[str, ...] = vocab.PAINTERS
"""Every built-in painter, installed or not (the names the language always accepts)."""


def _procedural(model: str | None) -> Painter:
    if model is not None:
        raise PaintError(
            f"the procedural painter takes no model (got '{model}')",
            hint="use `--painter diffusers --model ...` to paint with a model",
        )
    from storyscore.paint.procedural import ProceduralPainter

    return ProceduralPainter()


def _diffusers(model: str | None) -> Painter:
    if not model:
        raise PaintError(
            "the diffusers painter needs a model: a Hugging Face model id or a local "
            "model folder",
            hint="for example `--model stabilityai/sd-turbo`",
        )
    return diffusers_backend.DiffusersPainter(model)


BUILTIN_PAINTERS: dict[str, PainterFactory] = {"procedural": _procedural,
                                               "diffusers": _diffusers}


def plugin_painters() -> tuple[str, ...]:
    """The painters installed as plugins, by name (none of them imported)."""
    return plugins.names(plugins.PAINTERS, besides=PAINTER_NAMES)


def _plugin(name: str, model: str | None) -> Painter:
    return cast(Painter, plugins.make(plugins.PAINTERS, name, model, PaintError, Painter,
                                      "painter", "name, version and paint(request)"))


def painter_factories() -> dict[str, PainterFactory]:
    """Every painter name to its factory: the built-ins, then the plugins."""
    factories = dict(BUILTIN_PAINTERS)
    for name in plugin_painters():
        factories[name] = partial(_plugin, name)
    return factories


def available_painters() -> list[str]:
    """The painters that can run here: procedural always, diffusers when its
    extra is installed (checked without importing it), then the plugins."""
    names = ["procedural"]
    if not diffusers_backend.missing_dependencies():
        names.append("diffusers")
    return names + list(plugin_painters())


def make_painter(name: str, model: str | None = None) -> Painter:
    """The painter called ``name``; ``model`` (an id or a local folder) is
    required by diffusers, refused by procedural, and passed to a plugin.

    Raises ``PaintError`` for an unknown name (with a suggestion) or a bad
    model, and ``BackendMissing`` when the painter's extra is not installed.
    """
    factory = painter_factories().get(name)
    if factory is None:
        raise _unknown(name)
    return factory(model)


def _unknown(name: str) -> PaintError:
    installed = available_painters()
    message = f"unknown painter '{name}' (installed painters: {', '.join(installed)})"
    close = closest(name.lower(), [*PAINTER_NAMES, *plugin_painters()])
    if close is None:
        return PaintError(message)
    hint = f"did you mean '{close}'?"
    if close not in installed:
        hint += f" (it needs {diffusers_backend.INSTALL_COMMAND})"
    return PaintError(message, hint=hint)
