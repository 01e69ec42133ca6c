"""The content-addressed cache: keys, atomic entries, damage detection, --no-cache."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from storyscore.cache import Cache, cache_key, cache_root, canonical_json
from storyscore.errors import CacheError

KEY = "ab" + "0" * 62


class Writer:
    """A build function that writes ``text`` and remembers where it was asked to."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[Path] = []

    def __call__(self, path: Path) -> None:
        self.calls.append(path)
        path.write_text(self.text, encoding="utf-8")


def write(text: str) -> Writer:
    return Writer(text)


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --- where the cache lives ------------------------------------------------------------


def test_root_prefers_storyscore_cache() -> None:
    env = {"STORYSCORE_CACHE": "/x/cache", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}
    assert cache_root(env) == Path("/x/cache")


def test_root_falls_back_to_xdg_then_home() -> None:
    assert cache_root({"XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}) == Path("/xdg/storyscore")
    assert cache_root({"HOME": "/home/u"}) == Path("/home/u/.cache/storyscore")


def test_root_treats_empty_variables_as_unset() -> None:
    env = {"STORYSCORE_CACHE": "", "XDG_CACHE_HOME": "", "HOME": "/home/u"}
    assert cache_root(env) == Path("/home/u/.cache/storyscore")


# --- keys -----------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_and_unicode() -> None:
    text = canonical_json({"b": [1.5, (2, "é")], "a": {"z": None, "y": True}, "p": Path("x/y")})
    assert text == '{"a":{"y":true,"z":null},"b":[1.5,[2,"é"]],"p":"x/y"}'


def test_key_is_sha256_of_the_canonical_document() -> None:
    expected = hashlib.sha256(
        b'{"inputs":{"a":1,"b":[0.1,"x"]},"stage":"picture","stage_version":"3"}'
    ).hexdigest()
    assert cache_key("picture", "3", {"b": [0.1, "x"], "a": 1}) == expected


def test_key_ignores_order_and_integral_float_spelling() -> None:
    one = cache_key("s", "1", {"tempo": 120, "mix": {"a": 0.25, "b": -0.0}})
    two = cache_key("s", "1", {"mix": {"b": 0, "a": 0.25}, "tempo": 120.0})
    assert one == two


@pytest.mark.parametrize(
    "change",
    [
        ("stage", "t", "1", {"x": 1}),
        ("version", "s", "2", {"x": 1}),
        ("value", "s", "1", {"x": 2}),
        ("float", "s", "1", {"x": 1.0000001}),
        ("type", "s", "1", {"x": "1"}),
    ],
)
def test_key_changes_with_every_input(change: tuple[str, str, str, dict[str, object]]) -> None:
    _, stage, version, inputs = change
    assert cache_key("s", "1", {"x": 1}) != cache_key(stage, version, inputs)


def test_key_refuses_non_finite_numbers_and_odd_types() -> None:
    with pytest.raises(ValueError, match="finite"):
        cache_key("s", "1", {"x": float("nan")})
    with pytest.raises(TypeError, match="set"):
        cache_key("s", "1", {"x": {1, 2}})
    with pytest.raises(TypeError, match="keys must be strings"):
        cache_key("s", "1", {"x": {1: 2}})


# --- entries --------------------------------------------------------------------------


def test_path_layout(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    assert cache.path_for("picture", KEY, ".png") == tmp_path / "picture" / "ab" / f"{KEY}.png"


@pytest.mark.parametrize(
    ("stage", "key", "suffix"),
    [("../x", KEY, ".png"), ("picture", "../../etc", ".png"), ("picture", KEY, "/x")],
)
def test_names_cannot_escape_the_root(tmp_path: Path, stage: str, key: str, suffix: str) -> None:
    with pytest.raises(ValueError, match="bad cache"):
        Cache(tmp_path).path_for(stage, key, suffix)


def test_miss_builds_then_hit_reuses(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    build = write("payload")
    path, hit = cache.get_or_create("audio", KEY, ".wav", build)
    assert not hit
    assert path == cache.path_for("audio", KEY, ".wav")
    assert path.read_text(encoding="utf-8") == "payload"
    assert build.calls[0].parent == path.parent  # built beside its final place
    assert build.calls[0].name.endswith(".wav")
    digest = hashlib.sha256(b"payload").hexdigest()
    assert Path(f"{path}.sha256").read_text(encoding="ascii") == digest + "\n"
    again = cache.get_or_create("audio", KEY, ".wav", build)
    assert again.hit
    assert again.path == path
    assert len(build.calls) == 1
    assert files_under(tmp_path) == [f"audio/ab/{KEY}.wav", f"audio/ab/{KEY}.wav.sha256"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[:3]),  # truncated
        lambda p: p.write_bytes(b"PAYLOAD"),  # altered
        lambda p: p.unlink(),  # payload gone, digest left
        lambda p: Path(f"{p}.sha256").unlink(),  # digest gone, payload left
        lambda p: Path(f"{p}.sha256").write_text("zz\n"),  # digest garbled
    ],
)
def test_damaged_entry_is_a_miss_and_is_rebuilt(
    tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    cache = Cache(tmp_path)
    build = write("payload")
    path, _ = cache.get_or_create("audio", KEY, ".wav", build)
    damage(path)
    assert cache.get("audio", KEY, ".wav") is None
    assert not path.exists()
    assert not Path(f"{path}.sha256").exists()
    path, hit = cache.get_or_create("audio", KEY, ".wav", build)
    assert not hit
    assert len(build.calls) == 2
    assert path.read_text(encoding="utf-8") == "payload"
    assert cache.get("audio", KEY, ".wav") == path


def test_failed_validation_rebuilds(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    build = write("payload")
    cache.get_or_create("audio", KEY, ".wav", build)
    _, hit = cache.get_or_create("audio", KEY, ".wav", build, validate=lambda p: False)
    assert not hit
    assert len(build.calls) == 2


def test_failed_build_leaves_nothing(tmp_path: Path) -> None:
    cache = Cache(tmp_path)

    def build(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("painter broke")

    with pytest.raises(RuntimeError, match="painter broke"):
        cache.get_or_create("audio", KEY, ".wav", build)
    assert files_under(tmp_path) == []


def test_build_that_writes_nothing_is_a_cache_error(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="wrote nothing"):
        Cache(tmp_path).get_or_create("audio", KEY, ".wav", lambda path: None)


def test_discard_removes_an_entry(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.get_or_create("audio", KEY, ".wav", write("x"))
    cache.discard("audio", KEY, ".wav")
    assert files_under(tmp_path) == []
    cache.discard("audio", KEY, ".wav")  # absent: nothing to do


def test_unusable_folder_is_a_clear_cache_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(CacheError) as caught:
        Cache(blocker).get_or_create("audio", KEY, ".wav", write("x"))
    assert caught.value.message.startswith(f"cannot create the cache folder {blocker}/audio/ab")
    assert caught.value.hint == "set STORYSCORE_CACHE to a writable folder, or pass --no-cache"


# --- --no-cache -----------------------------------------------------------------------


def test_disabled_cache_always_builds_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    build = write("payload")
    with Cache(root, enabled=False) as cache:
        first, hit1 = cache.get_or_create("audio", KEY, ".wav", build)
        second, hit2 = cache.get_or_create("audio", KEY, ".wav", build)
        assert (hit1, hit2) == (False, False)
        assert len(build.calls) == 2
        assert second.read_text(encoding="utf-8") == "payload"
        assert not second.is_relative_to(root)
        assert cache.get("audio", KEY, ".wav") is None
    assert not root.exists()
    assert not first.exists()  # the scratch folder went with close()


def test_enabled_flag_and_root_are_exposed(tmp_path: Path) -> None:
    cache = Cache.from_env({"STORYSCORE_CACHE": str(tmp_path)}, enabled=False)
    assert cache.root == tmp_path
    assert not cache.enabled


def test_copies_for_worker_processes_share_the_scratch_folder(tmp_path: Path) -> None:
    with Cache(tmp_path / "cache", enabled=False) as cache:
        worker = pickle.loads(pickle.dumps(cache))
        path, hit = worker.get_or_create("audio", KEY, ".wav", write("from a worker"))
        assert not hit
        del worker  # a worker ending must not take the parent's files with it
        assert path.read_text(encoding="utf-8") == "from a worker"
    assert not path.exists()


def test_enabled_cache_pickles_to_the_same_folder(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.get_or_create("audio", KEY, ".wav", write("x"))
    copy = pickle.loads(pickle.dumps(cache))
    assert copy.root == tmp_path
    assert copy.enabled
    assert copy.get("audio", KEY, ".wav") == cache.path_for("audio", KEY, ".wav")
