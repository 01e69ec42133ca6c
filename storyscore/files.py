"""Writing output files so that a failure never leaves a broken or half-written one.

Every output goes through ``atomic_path``: it is written to a hidden temporary
beside its place and renamed over it only when complete. A failure to write
(permission, full disk, a folder in the way) is a ``StoryscoreError`` naming the
path and the reason; a read-only file or an input of the command is never
replaced; a symbolic link keeps pointing where it did and its target gets the
new content. Temporaries carry the writer's process id, so a later run removes
those a killed run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from storyscore.errors import StoryscoreError, WriteError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message: ``a folder``, ``a FIFO``…"""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_a_file(path: Path | str) -> str | None:
    """Why ``path`` cannot be read as an input file (``does not exist``, ``is a folder``,
    ``is a device``…), or None when it is a regular file. Never opens it: a FIFO
    or a device would block or never end."""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return "does not exist"
    except NotADirectoryError:
        return "does not exist (a part of its path is not a folder)"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    return f"is {file_kind(mode)}, not a file"


def write_error(path: Path | str, exc: OSError) -> WriteError:
    """The error for a failed write of ``path``: the path and the system's reason."""
    reason = exc.strerror or str(exc)
    hint = None
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some space and run again; nothing was replaced"
    elif exc.errno in (errno.EPERM, errno.EACCES, errno.EROFS):
        hint = "choose a folder you can write to"
    return WriteError(f"cannot write {path}: {reason}", exc, str(path), hint)


def writable_target(path: Path | str) -> Path:
    """The file a write to ``path`` must replace: the target of a symbolic link, else ``path``.

    Raises ``StoryscoreError`` when that is a folder or another non-regular file,
    or a read-only file (the owner's intent holds even for root).
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise write_error(path, exc) from None
    if not stat.S_ISREG(mode):
        raise StoryscoreError(f"cannot write {path}: it is {file_kind(mode)}",
                              hint="choose another file name")
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise StoryscoreError(f"cannot write {path}: the file is read-only",
                              hint=f"make it writable first (chmod u+w {path})")
    return target


def _temp_prefix(path: Path) -> str:
    return f".{path.stem}."


def _temp_suffix(path: Path) -> str:
    return f".tmp{path.suffix}"


def remove_stale_temporaries(path: Path) -> int:
    """Remove the temporaries that writers of ``path`` left when they were killed.

    Only names of our own making (``.STEM.PID.XXXX.tmpSUFFIX``) whose process is
    gone are removed; a concurrent writer's temporary is kept. Returns how many.
    """
    # A temporary of a temporary (a writer inside a group of files) starts with
    # one more dot and ends with one more ``.PID.XXXXXXXX.tmp``.
    pattern = re.compile(r"\.*" + re.escape(_temp_prefix(path)) + r"(\d+)\.[a-z0-9_]{8}\.tmp"
                         + r"(?:\.\d+\.[a-z0-9_]{8}\.tmp)*" + re.escape(path.suffix) + r"\Z")
    removed = 0
    try:
        names = os.listdir(path.parent or ".")
    except OSError:
        return 0
    for name in names:
        match = pattern.match(name)
        if match is None or process_alive(int(match[1])):
            continue
        with contextlib.suppress(OSError):
            (path.parent / name).unlink()
            removed += 1
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (of any user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _new_temp(target: Path, shown: Path) -> Path:
    """An empty temporary file beside ``target``, named after it and this process."""
    try:
        handle, name = tempfile.mkstemp(dir=target.parent,
                                        prefix=f"{_temp_prefix(target)}{os.getpid()}.",
                                        suffix=_temp_suffix(target))
    except OSError as exc:
        raise write_error(shown, exc) from None
    os.close(handle)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block
    ends without an error, and is removed otherwise.

    The temporary name keeps ``path``'s extension, for writers that choose a format by
    it. The result gets ``path``'s old permissions, or the usual ones for a new file.
    A symbolic link is kept and its target replaced. ``OSError`` from the block or the
    rename becomes a ``StoryscoreError`` naming ``path``.
    """
    with atomic_paths([path]) as (temp,):
        yield temp


@contextlib.contextmanager
def atomic_paths(paths: Sequence[Path | str]) -> Iterator[list[Path]]:
    """Like ``atomic_path`` for several files that belong together (a video and its
    side files): all of them are replaced, or none is.

    Every target is checked before anything is written; should one rename fail,
    the files already replaced get their old content back.
    """
    shown = [Path(p) for p in paths]
    targets = [writable_target(p) for p in shown]
    temps: list[Path] = []
    try:
        for target, name in zip(targets, shown, strict=True):
            remove_stale_temporaries(target)
            temps.append(_new_temp(target, name))
        yield temps
        _replace_all(temps, targets, shown)
    except OSError as exc:
        names = {str(temp): name for temp, name in zip(temps, shown, strict=False)}
        names.update({str(target): name for target, name in zip(targets, shown, strict=True)})
        if exc.filename is not None and str(exc.filename) not in names:
            raise  # about another file: its reader or writer reports it
        raise write_error(names.get(str(exc.filename), shown[0]), exc) from None
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def _replace_all(temps: list[Path], targets: list[Path], shown: list[Path]) -> None:
    """Rename each temporary over its target; on a failure, undo the renames done."""
    moved: list[tuple[Path, Path | None]] = []  # (target, its old content or None)
    backups: list[Path] = []
    try:
        for temp, target, name in zip(temps, targets, shown, strict=True):
            exists = target.exists()
            os.chmod(temp, target.stat().st_mode & 0o777 if exists else 0o666 & ~_umask())
            backup = None
            if exists:
                backup = _new_temp(target, name)
                backups.append(backup)
                os.replace(target, backup)
            moved.append((target, backup))
            os.replace(temp, target)
    except BaseException:
        for target, backup in reversed(moved):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
        raise
    finally:
        for backup in backups:
            backup.unlink(missing_ok=True)


def write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as temp:
        temp.write_bytes(data)


def write_text(path: Path | str, text: str) -> None:
    """Write UTF-8 ``text`` with ``\\n`` line ends to ``path`` atomically."""
    with atomic_path(path) as temp, temp.open("w", encoding="utf-8", newline="\n") as out:
        out.write(text)


def same_file(a: Path | str, b: Path | str) -> bool:
    """Whether two paths name one file (through links, ``..`` and hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(outputs: Iterable[Path | str], inputs: Iterable[Path | str]) -> None:
    """Raise ``StoryscoreError`` if any output would be written over an input."""
    sources = [Path(p) for p in inputs]
    for output in outputs:
        for source in sources:
            if same_file(output, source):
                raise StoryscoreError(
                    f"{output} is an input of this command ({source}); "
                    "writing it would destroy it",
                    hint="choose another output name with -o")



# ``storyscore-KIND-PID-XXXXXXXX``: the private folders runs make in the temp folder.
_SCRATCH = re.compile(r"storyscore-[a-z]+-(\d+)-[a-z0-9_]{8}\Z")


def scratch_prefix(kind: str) -> str:
    """The name prefix of a private temporary folder of this process: ``storyscore-KIND-PID-``."""
    return f"storyscore-{kind}-{os.getpid()}-"


@contextlib.contextmanager
def scratch_folder(kind: str) -> Iterator[Path]:
    """A private temporary folder, removed when the block ends.

    The folders that killed runs left in the temp folder are removed first.
    """
    remove_stale_scratch()
    with tempfile.TemporaryDirectory(prefix=scratch_prefix(kind)) as name:
        yield Path(name)


def remove_stale_scratch(parent: Path | None = None) -> int:
    """Remove this user's scratch folders whose process is gone; return how many."""
    parent = Path(parent or tempfile.gettempdir())
    removed = 0
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return 0
    for entry in entries:
        match = _SCRATCH.match(entry.name)
        if match is None or process_alive(int(match[1])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False) and entry.stat().st_uid == os.getuid():
                shutil.rmtree(entry.path)
                removed += 1
    return removed
