"""Third-party painters and voices, found through entry points.

A distribution adds a painter under the entry-point group
``storyscore.painters`` and a voice under ``storyscore.voices``, e.g. in its
``pyproject.toml``::

    [project.entry-points."storyscore.painters"]
    watercolour = "my_package.painter:make"

The entry point's name is what a script writes (``painter watercolour``,
``voice NAME`` or ``voice NAME:VARIANT``); its object is a factory:

- a painter factory takes the model the script names (a string, or None) and
  returns a ``storyscore.paint.base.Painter``;
- a voice factory takes the variant after the colon (or None) and returns a
  ``storyscore.audio.voices.base.Voice``.

Names are listed without importing any plugin; a plugin's module is imported
only when a story uses it. Built-in names always win over a plugin's.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from storyscore.errors import StoryscoreError

__all__ = ["PAINTERS", "VOICES", "load", "make", "names"]

PAINTERS = "storyscore.painters"
VOICES = "storyscore.voices"


def names(group: str, *, besides: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The plugin names installed in ``group``, sorted, leaving out ``besides``
    (the built-in names, which a plugin cannot take over)."""
    return tuple(sorted({ep.name for ep in entry_points(group=group)} - set(besides)))


def load(group: str, name: str, error: type[StoryscoreError]) -> Callable[..., object]:
    """The factory of plugin ``name`` in ``group``; a plugin that fails to import,
    or names something that cannot be called, raises ``error``."""
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    if not found:
        raise error(f"no plugin '{name}' is installed in {group}")
    entry = found[0]
    try:
        factory = entry.load()
    except Exception as exc:
        # Any exception can come out of a third party's import; name the plugin.
        raise error(f"the plugin '{name}' ({entry.value}) failed to load: {exc}") from exc
    if not callable(factory):
        raise error(f"the plugin '{name}' ({entry.value}) is not a factory: "
                    f"{type(factory).__name__} cannot be called")
    return factory  # type: ignore[no-any-return]


def make(group: str, name: str, argument: str | None, error: type[StoryscoreError],
         made_of: type, kind: str, needs: str) -> object:
    """What plugin ``name``'s factory makes of ``argument``, checked to be a ``made_of``
    (a runtime-checkable protocol); any failure of the third party's code is ``error``."""
    factory = load(group, name, error)
    try:
        made = factory(argument)
    except StoryscoreError:
        raise
    except Exception as exc:
        # A third party's failure, translated at the edge into the one tree.
        raise error(f"the {kind} plugin '{name}' failed: {exc}") from exc
    if not isinstance(made, made_of):
        raise error(f"the {kind} plugin '{name}' made a {type(made).__name__}, "
                    f"not a {kind} (it needs {needs})")
    return made
