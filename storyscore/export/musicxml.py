"""MusicXML that is the same bytes for the same story, run after run.

music21 names parts and instruments with random ids (``P`` or ``I`` and 32 hex
digits) and stamps the file with the day's date. Here the ids become ``P1``,
``P2``… and ``I1``, ``I2``… in order of appearance, and the date is left out
(it is optional in MusicXML), so a score file is reproducible like the MP4.
"""

from __future__ import annotations

import re
from pathlib import Path

from storyscore.files import write_bytes

_RANDOM_ID = re.compile(rb'"([PI])([0-9a-f]{32})"')
_ENCODING_DATE = re.compile(rb"[ \t]*<encoding-date>[^<]*</encoding-date>\r?\n?")


def reproducible(data: bytes) -> bytes:
    """``data`` (a MusicXML document) with stable ids and no encoding date."""
    names: dict[bytes, bytes] = {}
    counts = {b"P": 0, b"I": 0}

    def rename(match: re.Match[bytes]) -> bytes:
        key = match.group(0)
        if key not in names:
            kind = match.group(1)
            counts[kind] += 1
            names[key] = b'"' + kind + str(counts[kind]).encode("ascii") + b'"'
        return names[key]

    return _RANDOM_ID.sub(rename, _ENCODING_DATE.sub(b"", data))


def make_reproducible(path: Path | str) -> None:
    """Rewrite the MusicXML file at ``path`` in its reproducible form (atomically)."""
    path = Path(path)
    write_bytes(path, reproducible(path.read_bytes()))
