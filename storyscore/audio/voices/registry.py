"""The voice registry: a voice's name in a script to the factory that makes it.

The built-in voices are ``joe``, ``espeak`` (``espeak:VOICE`` for another
espeak-ng voice) and ``none``; installed plugins (entry-point group
``storyscore.voices``, see ``storyscore.plugins``) add more, as ``NAME`` or
``NAME:VARIANT``. Voices are imported only when made.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

from storyscore import plugins
from storyscore.audio.voices.base import BASE_VOICES, SilentVoice, Voice
from storyscore.errors import AudioError, suggest

__all__ = [
    "BUILTIN_VOICES",
    "VoiceFactory",
    "available_voices",
    "make_voice",
    "plugin_voices",
    "voice_factories",
]

VoiceFactory = Callable[[str | None], Voice]
"""Makes a voice from the variant after the name's colon (None without one)."""


def _joe(variant: str | None) -> Voice:
    from storyscore.audio.voices.piper import JoeVoice

    return JoeVoice()


def _espeak(variant: str | None) -> Voice:
    from storyscore.audio.voices.espeak import DEFAULT_ESPEAK_VOICE, EspeakVoice

    if variant == "":
        raise AudioError(
            "voice 'espeak:' names no espeak-ng voice",
            hint="write 'espeak' or 'espeak:LANG', e.g. 'espeak:en-gb'",
        )
    return EspeakVoice(variant or DEFAULT_ESPEAK_VOICE)


def _none(variant: str | None) -> Voice:
    return SilentVoice()


BUILTIN_VOICES: dict[str, VoiceFactory] = {"joe": _joe, "espeak": _espeak, "none": _none}
_VARIANTS = frozenset({"espeak"})  # the built-ins that take ``NAME:VARIANT``


def plugin_voices() -> tuple[str, ...]:
    """The voices installed as plugins, by name (none of them imported)."""
    return plugins.names(plugins.VOICES, besides=BASE_VOICES)


def _plugin(name: str, variant: str | None) -> Voice:
    return cast(Voice, plugins.make(plugins.VOICES, name, variant, AudioError, Voice, "voice",
                                    "name, version and speak(text, speed)"))


def voice_factories() -> dict[str, VoiceFactory]:
    """Every voice name to its factory: the built-ins, then the plugins."""
    factories = dict(BUILTIN_VOICES)
    for name in plugin_voices():
        factories[name] = partial(_plugin, name)
    return factories


def available_voices() -> list[str]:
    """Every voice name ``make_voice`` accepts, base names first, plugins last.

    Lists ``espeak:LANG`` for each espeak-ng language when piper-tts (which
    ships espeak-ng) is installed.
    """
    names = list(BASE_VOICES)
    try:
        from storyscore.audio.voices.espeak import espeak_languages

        names += [f"espeak:{lang}" for lang in espeak_languages()]
    except AudioError:
        pass
    return names + list(plugin_voices())


def make_voice(spec: str) -> Voice:
    """Build the voice named by ``spec``: ``joe``, ``espeak``, ``espeak:VOICE``,
    ``none``, or a plugin's ``NAME`` or ``NAME:VARIANT``."""
    name, colon, variant = spec.strip().partition(":")
    factory = voice_factories().get(name)
    if factory is None or (colon and name in BUILTIN_VOICES and name not in _VARIANTS):
        raise AudioError(f"unknown voice '{spec}'", hint=_unknown_hint(spec))
    return factory(variant if colon else None)


def _unknown_hint(spec: str) -> str:
    installed = plugin_voices()
    hint = suggest(spec, [*BASE_VOICES, *installed], cutoff=0.5)
    choices = "voices are: joe, espeak, espeak:VOICE (e.g. espeak:en-gb), none"
    if installed:
        choices += ", " + ", ".join(installed)
    return f"{hint} {choices}" if hint else choices
