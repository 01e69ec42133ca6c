"""The content-addressed cache: keys, atomic entries, damage detection, --no-cache."""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import storyscore.cache
from storyscore.cache import Cache, cache_key, cache_root, canonical_json
from storyscore.errors import CacheError
from storyscore.paint import PICTURE_STAGE, PaintRequest, paint_picture
from storyscore.paint.base import CharacterRef, Drawn
from storyscore.paint.procedural import ProceduralPainter

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
    ("damage", "deleted"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:3]), True),  # truncated
        (lambda p: p.write_bytes(b"PAYLOAD"), True),  # altered
        (lambda p: p.unlink(), True),  # payload gone, digest left
        # Digest gone, payload left: maybe a writer between its two renames, so it stays.
        (lambda p: Path(f"{p}.sha256").unlink(), False),
        (lambda p: Path(f"{p}.sha256").write_text("zz\n"), True),  # digest garbled
    ],
)
def test_damaged_entry_is_a_miss_and_is_rebuilt(
    tmp_path: Path, damage: Callable[[Path], object], deleted: bool
) -> None:
    cache = Cache(tmp_path)
    build = write("payload")
    path, _ = cache.get_or_create("audio", KEY, ".wav", build)
    damage(path)
    assert cache.get("audio", KEY, ".wav") is None
    if deleted:
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


# --- pictures: a hit, and a miss on any change of what determines them ---------------


class CountingPainter:
    """A fast stand-in painter: a flat colour derived from the request; counts calls."""

    def __init__(self, name: str = "counting", version: str = "1",
                 model: str | None = None) -> None:
        self.name = name
        self.version = version
        self.model = model
        self.calls = 0

    def paint(self, request: PaintRequest) -> Image.Image:
        self.calls += 1
        digest = hashlib.sha256(repr(request).encode()).digest()
        return Image.new("RGB", (request.width, request.height), tuple(digest[:3]))


PICTURE = PaintRequest("a harbour at dusk, lanterns", 16, 12, seed=3, negative="text")


@pytest.mark.parametrize(
    ("change", "painter", "request_"),
    [
        ("prompt", CountingPainter(), replace(PICTURE, prompt="a harbour at dawn, lanterns")),
        ("width", CountingPainter(), replace(PICTURE, width=18)),
        ("height", CountingPainter(), replace(PICTURE, height=10)),
        ("seed", CountingPainter(), replace(PICTURE, seed=4)),
        ("negative", CountingPainter(), replace(PICTURE, negative="text, people")),
        ("no negative", CountingPainter(), replace(PICTURE, negative=None)),
        ("painter version", CountingPainter(version="2"), PICTURE),
        ("painter name", CountingPainter(name="other"), PICTURE),
        ("model", CountingPainter(model="models/tiny"), PICTURE),
        ("characters", CountingPainter(),
         replace(PICTURE, characters=(CharacterRef("boat", "a paper boat"),))),
        ("words", CountingPainter(), replace(PICTURE, words=(("glade", "meadow"),))),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_picture_hit_then_a_miss_on_any_input_change(
    tmp_path: Path, change: str, painter: CountingPainter, request_: PaintRequest
) -> None:
    cache = Cache(tmp_path)
    base = CountingPainter()
    first = paint_picture(base, PICTURE, cache)
    again = paint_picture(base, PICTURE, cache)
    assert (first.cache_hit, again.cache_hit, base.calls) == (False, True, 1)
    changed = paint_picture(painter, request_, cache)
    assert not changed.cache_hit, change
    assert painter.calls == 1
    assert changed.path != first.path
    # The first picture's entry is still there, untouched.
    assert paint_picture(base, PICTURE, cache).cache_hit
    assert base.calls == 1


def test_procedural_painter_version_is_part_of_the_key(tmp_path: Path) -> None:
    class NextVersion(ProceduralPainter):
        version = ProceduralPainter.version + ".next"

    cache = Cache(tmp_path)
    request = PaintRequest("a lighthouse at night", 24, 16, seed=1)
    assert not paint_picture(ProceduralPainter(), request, cache).cache_hit
    assert paint_picture(ProceduralPainter(), request, cache).cache_hit
    assert not paint_picture(NextVersion(), request, cache).cache_hit


def test_a_crashed_writers_leftovers_do_not_matter(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    path = cache.path_for("audio", KEY, ".wav")
    path.parent.mkdir(parents=True)
    # A writer killed mid-build leaves its temporary file, and no digest.
    leftover = path.with_name(f".{KEY}.0123abcd.tmp.wav")
    leftover.write_bytes(b"half a payl")
    path.write_bytes(b"half a payl")
    entry = cache.get_or_create("audio", KEY, ".wav", write("payload"))
    assert not entry.hit
    assert entry.path.read_text(encoding="utf-8") == "payload"
    assert cache.get("audio", KEY, ".wav") == path


# --- two processes writing the same entry ---------------------------------------------

PAYLOAD = b"0123456789abcdef" * 262_144  # 4 MiB, so the two writes overlap in time


def _write_same_entry(root: str, barrier: Any, results: Any, name: str) -> None:
    """In a worker process: build the entry ``KEY`` once the other worker builds it too."""
    try:
        def build(path: Path) -> None:
            barrier.wait(timeout=60)  # both writers are now inside the same miss
            path.write_bytes(PAYLOAD)

        path, hit = Cache(Path(root)).get_or_create("audio", KEY, ".bin", build)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        results.put((name, str(path), hit, digest))
    except BaseException as exc:  # reported to the test, which fails with it
        results.put((name, "", False, repr(exc)))


class _SlowPainter(ProceduralPainter):
    """The procedural painter, held back until the other worker paints too."""

    def __init__(self, barrier: Any) -> None:
        super().__init__()
        self.barrier = barrier

    def paint(self, request: PaintRequest) -> Image.Image:
        self.barrier.wait(timeout=60)
        return super().paint(request)

    def paint_with_layout(self, request: PaintRequest) -> tuple[Image.Image, list[Drawn]]:
        # The cache asks a painter that lays out for both at once.
        self.barrier.wait(timeout=60)
        return super().paint_with_layout(request)


SAME_PICTURE = PaintRequest("a lighthouse on black rocks at night, storm", 64, 48, seed=5)


def _paint_same_picture(root: str, barrier: Any, results: Any, name: str) -> None:
    """In a worker process: paint ``SAME_PICTURE`` through the cache."""
    try:
        result = paint_picture(_SlowPainter(barrier), SAME_PICTURE, Cache(Path(root)))
        stored = hashlib.sha256(result.path.read_bytes()).hexdigest()
        results.put((name, str(result.path), result.cache_hit,
                     (hashlib.sha256(result.image.tobytes()).hexdigest(), stored)))
    except BaseException as exc:
        results.put((name, "", False, repr(exc)))


def _run_two(target: Callable[..., None], root: Path) -> list[tuple[str, str, bool, Any]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [context.Process(target=target, args=(str(root), barrier, results, name))
               for name in ("first", "second")]
    for worker in workers:
        worker.start()
    try:
        got = sorted(results.get(timeout=120) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    return got


@pytest.mark.slow
def test_two_processes_writing_the_same_entry_leave_a_valid_entry(tmp_path: Path) -> None:
    got = _run_two(_write_same_entry, tmp_path)
    expected = hashlib.sha256(PAYLOAD).hexdigest()
    path = Cache(tmp_path).path_for("audio", KEY, ".bin")
    # Both were misses that built the entry, and both got the whole payload.
    assert got == [("first", str(path), False, expected), ("second", str(path), False, expected)]
    assert Cache(tmp_path).get("audio", KEY, ".bin") == path
    assert path.read_bytes() == PAYLOAD
    # Nothing else is left: no temporary files from either writer.
    assert files_under(tmp_path) == [f"audio/ab/{KEY}.bin", f"audio/ab/{KEY}.bin.sha256"]


@pytest.mark.slow
def test_two_processes_painting_the_same_picture_leave_one_valid_png(tmp_path: Path) -> None:
    got = _run_two(_paint_same_picture, tmp_path)
    assert [name for name, *_ in got] == ["first", "second"]
    assert all(path and not hit for _, path, hit, _ in got), got
    (image_a, file_a), (image_b, file_b) = (digests for *_, digests in got)
    assert image_a == image_b
    assert file_a == file_b
    here = paint_picture(ProceduralPainter(), SAME_PICTURE, Cache(tmp_path))
    assert here.cache_hit
    assert hashlib.sha256(here.image.tobytes()).hexdigest() == image_a
    assert hashlib.sha256(here.path.read_bytes()).hexdigest() == file_a
    pngs = [name for name in files_under(tmp_path) if name.startswith(PICTURE_STAGE)]
    assert len(pngs) == 2  # the picture and its digest


def test_a_reader_during_a_write_leaves_the_writer_its_payload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = Cache(tmp_path), Cache(tmp_path)
    write_digest = storyscore.cache._write_atomic
    seen: list[Path | None] = []

    def digest_after_a_look(path: Path, text: str) -> None:
        # Another process looks the entry up at the worst moment.
        seen.append(reader.get("audio", KEY, ".wav"))
        write_digest(path, text)

    monkeypatch.setattr(storyscore.cache, "_write_atomic", digest_after_a_look)
    path, hit = writer.get_or_create("audio", KEY, ".wav", write("payload"))
    assert seen == [None]  # the entry is not complete yet: a miss for the reader
    assert not hit
    assert path.read_text(encoding="utf-8") == "payload"
