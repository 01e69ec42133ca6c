"""The voice registry: a voice's name in a script to the object that speaks it."""

from __future__ import annotations

from storyscore.audio.voices.base import BASE_VOICES, SilentVoice, Voice
from storyscore.errors import AudioError, suggest


def available_voices() -> list[str]:
    """Every voice name ``make_voice`` accepts, base names first.

    Lists ``espeak:LANG`` for each espeak-ng language when piper-tts (which
    ships espeak-ng) is installed.
    """
    names = list(BASE_VOICES)
    try:
        from storyscore.audio.voices.espeak import espeak_languages

        names += [f"espeak:{lang}" for lang in espeak_languages()]
    except AudioError:
        pass
    return names


def make_voice(spec: str) -> Voice:
    """Build the voice named by ``spec``: ``joe``, ``espeak``, ``espeak:VOICE`` or ``none``."""
    name, _, variant = spec.strip().partition(":")
    if name == "joe" and not variant:
        from storyscore.audio.voices.piper import JoeVoice

        return JoeVoice()
    if name == "espeak":
        from storyscore.audio.voices.espeak import DEFAULT_ESPEAK_VOICE, EspeakVoice

        if ":" in spec and not variant:
            raise AudioError(
                "voice 'espeak:' names no espeak-ng voice",
                hint="write 'espeak' or 'espeak:LANG', e.g. 'espeak:en-gb'",
            )
        return EspeakVoice(variant or DEFAULT_ESPEAK_VOICE)
    if name == "none" and not variant:
        return SilentVoice()
    raise AudioError(
        f"unknown voice '{spec}'",
        hint=_did_you_mean(spec)
        + "voices are: joe, espeak, espeak:VOICE (e.g. espeak:en-gb), none",
    )


def _did_you_mean(spec: str) -> str:
    hint = suggest(spec, BASE_VOICES, cutoff=0.5)
    return f"{hint} " if hint else ""
