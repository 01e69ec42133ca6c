"""Writing output files so that a failure never leaves a broken or half-written one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block
    ends without an error, and is removed otherwise.

    The temporary name keeps ``path``'s extension, for writers that choose a format by
    it. The result gets ``path``'s old permissions, or the usual ones for a new file.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                    suffix=f".tmp{path.suffix}")
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as temp:
        temp.write_bytes(data)


def write_text(path: Path | str, text: str) -> None:
    """Write UTF-8 ``text`` with ``\\n`` line ends to ``path`` atomically."""
    with atomic_path(path) as temp, temp.open("w", encoding="utf-8", newline="\n") as out:
        out.write(text)
