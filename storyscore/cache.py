"""Content-addressed, per-stage cache of generated assets.

Every stage (pictures, narration audio, video segments…) names its output by
``cache_key``: the SHA-256 of the canonical JSON of all its inputs plus the
stage's name and version. An entry is a payload file and a ``.sha256``
sidecar holding the payload's digest::

    ROOT/STAGE/ab/abcdef…0123.png
    ROOT/STAGE/ab/abcdef…0123.png.sha256

Writes are atomic (temporary file in the same folder, fsync, ``os.replace``),
and the sidecar is written last, so an entry whose payload is missing,
truncated or altered never matches its digest: it is treated as a miss,
deleted and rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from storyscore.errors import CacheError
from storyscore.files import process_alive, scratch_prefix

__all__ = ["Cache", "CacheEntry", "cache_key", "cache_root", "canonical_json", "code_digest",
           "file_digest", "package_versions"]

_STAGE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_KEY_RE = re.compile(r"[0-9a-f]{16,128}")
_SUFFIX_RE = re.compile(r"(\.[A-Za-z0-9]+)*")
_DIGEST_SUFFIX = ".sha256"
_CHUNK = 1 << 20
_NO_CACHE_HINT = "set STORYSCORE_CACHE to a writable folder, or pass --no-cache"


def cache_root(env: Mapping[str, str] = os.environ) -> Path:
    """The cache folder: ``$STORYSCORE_CACHE``, else ``$XDG_CACHE_HOME/storyscore``,
    else ``~/.cache/storyscore``. Empty variables count as unset (as XDG says)."""
    if explicit := env.get("STORYSCORE_CACHE"):
        return Path(explicit).expanduser()
    if xdg := env.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "storyscore"
    home = env.get("HOME")
    base = Path(home) if home else Path.home()
    return base / ".cache" / "storyscore"


def _canonical(value: Any) -> Any:
    """A JSON-ready copy of ``value`` whose serialisation depends only on its meaning."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cache inputs must be finite numbers, not {value!r}")
        # 120 and 120.0 are the same setting, and -0.0 is 0.0: one key each.
        if value.is_integer():
            return int(value)
        return value
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"cache input keys must be strings, not {type(key).__name__}")
            out[key] = _canonical(item)
        return out
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    raise TypeError(f"cannot use a {type(value).__name__} as a cache input")


def canonical_json(value: Any) -> str:
    """Serialise ``value`` canonically: sorted keys, no whitespace, integral
    floats as integers, shortest round-trip float text (``repr``)."""
    return json.dumps(
        _canonical(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def cache_key(stage: str, stage_version: str, inputs: Mapping[str, Any]) -> str:
    """The hex SHA-256 naming a stage's output for these inputs."""
    document = {"stage": stage, "stage_version": stage_version, "inputs": inputs}
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


@functools.cache
def code_digest(*modules: str) -> str:
    """A digest of the source of ``modules`` (a package counts as its own ``.py``
    files, not its subpackages'): the code version of a stage that depends on them,
    so an edited engine never reuses what the old code made. Nothing is imported
    but the parents of a dotted name."""
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"no source for the module {name!r}")
        origin = Path(spec.origin)
        files = sorted(origin.parent.glob("*.py")) if spec.submodule_search_locations \
            else [origin]
        for path in files:
            digest.update(f"{name}/{path.name}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def package_versions(*distributions: str) -> dict[str, str]:
    """The installed version of each distribution (``"absent"`` when it is not
    installed), for the keys of stages whose output a library decides."""
    versions: dict[str, str] = {}
    for name in distributions:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read a chunk at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    with path.open("rb") as stream:
        os.fsync(stream.fileno())


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform can open a folder.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class CacheEntry(NamedTuple):
    """The outcome of ``Cache.get_or_create``: where the payload is, and
    whether it came from the cache (``hit``) or was just built."""

    path: Path
    hit: bool


class Cache:
    """A cache folder, or with ``enabled=False`` (``--no-cache``) a scratch
    folder that is never read back and is removed by ``close()``.

    The instance holds no mutable state beyond that scratch folder: the root
    and mode are fixed at construction.
    """

    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self._root = Path(root)
        self._enabled = enabled
        self._scratch: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, *, enabled: bool = True) -> Cache:
        """The user's cache, located by ``cache_root(env)``."""
        return cls(cache_root(env), enabled=enabled)

    @property
    def root(self) -> Path:
        """The cache folder (unused when the cache is disabled)."""
        return self._root

    @property
    def enabled(self) -> bool:
        """False in ``--no-cache`` mode: nothing is read from or written to ``root``."""
        return self._enabled

    def __reduce__(self) -> tuple[Any, ...]:
        # Worker processes (--jobs) get a copy that shares the scratch folder
        # but does not own it: only this instance's close() removes it.
        scratch = None if self._enabled else self._scratch_folder()
        return (_restore, (self._root, self._enabled, scratch))

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the scratch folder of a disabled cache (paths it gave out die with it)."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
            self._scratch = None

    def path_for(self, stage: str, key: str, suffix: str = "") -> Path:
        """Where the entry ``key`` of ``stage`` lives in the cache folder."""
        _check_name(stage, key, suffix)
        return self._root / stage / key[:2] / f"{key}{suffix}"

    def get(
        self,
        stage: str,
        key: str,
        suffix: str = "",
        validate: Callable[[Path], bool] | None = None,
    ) -> Path | None:
        """The entry's path if it is present and intact, else None.

        A damaged entry (digest mismatch, or ``validate`` returning False) is
        deleted so that it is rebuilt. A payload without its digest is a miss
        but stays: another process may be between writing the two, and a
        rebuild replaces both anyway.
        """
        if not self._enabled:
            return None
        path = self.path_for(stage, key, suffix)
        sidecar = _sidecar(path)
        try:
            expected = sidecar.read_text(encoding="ascii").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except UnicodeDecodeError:
            self._discard(path)
            return None
        except OSError as exc:
            raise CacheError(
                f"cannot read the cache entry {sidecar}: {exc.strerror or exc}", hint=_NO_CACHE_HINT
            ) from exc
        try:
            intact = file_digest(path) == expected
        except (FileNotFoundError, IsADirectoryError):
            intact = False
        except OSError as exc:
            raise CacheError(
                f"cannot read the cache entry {path}: {exc.strerror or exc}", hint=_NO_CACHE_HINT
            ) from exc
        if intact and (validate is None or validate(path)):
            return path
        self._discard(path)
        return None

    def recorded_digest(self, path: Path) -> str | None:
        """The digest stored beside an entry's payload ``path`` (what ``get`` checked the
        payload against, so a ``validate`` hook or a caller of ``get`` need not hash the
        file again), or None when it cannot be read."""
        try:
            return _sidecar(path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None

    def discard(self, stage: str, key: str, suffix: str = "") -> None:
        """Delete an entry (payload and digest), if it is there."""
        if self._enabled:
            self._discard(self.path_for(stage, key, suffix))

    def get_or_create(
        self,
        stage: str,
        key: str,
        suffix: str,
        build: Callable[[Path], None],
        validate: Callable[[Path], bool] | None = None,
    ) -> CacheEntry:
        """Return the intact cached entry, or call ``build(path)`` to write the
        payload to a temporary ``path`` (ending in ``suffix``) and store it.

        Exceptions from ``build`` propagate unchanged and leave nothing behind.
        With the cache disabled, ``build`` always runs and its output stays in
        the scratch folder.
        """
        _check_name(stage, key, suffix)
        if not self._enabled:
            target = self._scratch_folder() / stage / f"{key}{suffix}"
            _mkdir(target.parent)
            _unlink(target)
            self._build_into(target, build, commit=False)
            return CacheEntry(target, hit=False)
        found = self.get(stage, key, suffix, validate)
        if found is not None:
            return CacheEntry(found, hit=True)
        path = self.path_for(stage, key, suffix)
        _mkdir(path.parent)
        self._build_into(path, build, commit=True)
        return CacheEntry(path, hit=False)

    def _build_into(self, path: Path, build: Callable[[Path], None], *, commit: bool) -> None:
        # A unique temporary name per writer, so parallel jobs never share one;
        # it keeps the suffix so tools that pick a format by extension work.
        base, dot, suffix = path.name.partition(".")
        _remove_stale_temporaries(path.parent)
        temp = path.with_name(f".{base}.{os.getpid()}-{_temp_tag()}.tmp{dot}{suffix}")
        try:
            build(temp)
        except BaseException:
            _unlink(temp)
            raise
        if not temp.is_file():
            raise CacheError(f"building {path.name} wrote nothing to {temp}")
        try:
            if not commit:
                os.replace(temp, path)
                return
            digest = file_digest(temp)
            _fsync_file(temp)
            os.replace(temp, path)
            _write_atomic(_sidecar(path), digest + "\n")
            _fsync_dir(path.parent)
        except OSError as exc:
            raise CacheError(
                f"cannot write to the cache folder {path.parent}: {exc.strerror or exc}",
                hint=_NO_CACHE_HINT,
            ) from exc
        finally:
            _unlink(temp)

    def _discard(self, path: Path) -> None:
        try:
            _unlink(_sidecar(path))
            _unlink(path)
        except OSError as exc:
            raise CacheError(
                f"cannot remove the damaged cache entry {path}: {exc.strerror or exc}",
                hint=_NO_CACHE_HINT,
            ) from exc

    def _scratch_folder(self) -> Path:
        if self._scratch is None:
            try:
                scratch = Path(tempfile.mkdtemp(prefix=scratch_prefix("nocache")))
            except OSError as exc:
                raise CacheError(
                    f"cannot make a temporary folder: {exc.strerror or exc}",
                    hint="set TMPDIR to a writable folder",
                ) from exc
            self._scratch = scratch
            self._finalizer = weakref.finalize(self, shutil.rmtree, scratch, ignore_errors=True)
        return self._scratch


def _restore(root: Path, enabled: bool, scratch: Path | None) -> Cache:
    cache = Cache(root, enabled=enabled)
    cache._scratch = scratch
    return cache


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + _DIGEST_SUFFIX)


def _check_name(stage: str, key: str, suffix: str) -> None:
    # Names become path parts: refuse anything that could climb out of the root.
    if not _STAGE_RE.fullmatch(stage):
        raise ValueError(f"bad cache stage name {stage!r}")
    if not _KEY_RE.fullmatch(key):
        raise ValueError(f"bad cache key {key!r}: expected lowercase hex")
    if not _SUFFIX_RE.fullmatch(suffix):
        raise ValueError(f"bad cache suffix {suffix!r}")


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheError(
            f"cannot create the cache folder {folder}: {exc.strerror or exc}",
            hint=_NO_CACHE_HINT,
        ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CacheError(f"the cache folder {folder} is not writable", hint=_NO_CACHE_HINT)


# ``.NAME.PID-HOST+RANDOM.tmp…``: what a writer killed mid-entry leaves in a cache folder.
_TEMPORARY = re.compile(r"\.[^/]+?\.(\d+)-([0-9a-f]{8})[0-9a-f]{24}\.tmp(?:\.[\w.]*)?\Z")


def _host_tag() -> str:
    """Eight hex digits naming this machine (the same in every process on it)."""
    host = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
    return hashlib.sha256(host.encode("utf-8")).hexdigest()[:8]


def _temp_tag() -> str:
    """32 hex digits for a temporary's name: this machine's tag, then random ones.

    A cache folder may be shared by several machines (the nodes of a Ray
    cluster); a writer's process id means something only on its own machine,
    so only that machine may judge its temporaries stale.
    """
    return _host_tag() + uuid.uuid4().hex[:24]


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporaries that writers on this machine left when they died
    (SIGKILL, power loss) in ``folder``."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    here = _host_tag()
    for name in names:
        match = _TEMPORARY.match(name)
        if match is not None and match[2] == here and not process_alive(int(match[1])):
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def _write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}-{_temp_tag()}.tmp")
    try:
        with temp.open("w", encoding="ascii") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    finally:
        _unlink(temp)
