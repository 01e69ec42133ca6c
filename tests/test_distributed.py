"""Rendering on a Ray cluster (``--ray``): a local Ray instance started here, two
stories (one branching, every path) rendered with and without it, byte for
byte the same; story errors and dying workers on the way; and no Ray at all
in a render that does not ask for it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

import storyscore
from conftest import TINY_BRANCHING
from storyscore.cache import Cache
from storyscore.cli import app
from storyscore.diagnostics import SourceSpan
from storyscore.errors import PaintError
from storyscore.pipeline.executor import Task

# The branching story, and one straight path through the same scenes.
LINEAR = (TINY_BRANCHING.format(title="Line")
          .replace('    choice  "Left" -> two\n    choice  "Right" -> three\n', "")
          .replace('"a sunny meadow at noon"\n    end\n', '"a sunny meadow at noon"\n'))


def _stories(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    branching, linear = folder / "tiny.sco", folder / "line.sco"
    branching.write_text(TINY_BRANCHING.format(title="Tiny"))
    linear.write_text(LINEAR)
    return branching, linear


def _render(monkeypatch: pytest.MonkeyPatch, cache: Path, *args: str) -> None:
    monkeypatch.setenv("STORYSCORE_CACHE", str(cache))
    result = CliRunner().invoke(app, ["render", *args, "--all-paths", "--draft", "-q"])
    assert result.exit_code == 0, result.stderr


def test_a_render_without_ray_never_imports_it(tmp_path: Path) -> None:
    story, _ = _stories(tmp_path)
    code = ("import sys\nfrom storyscore.cli import app\n"
            f"app(['render', {str(story)!r}, '--draft', '-q', '-o', {str(tmp_path / 'x.mp4')!r}],"
            " standalone_mode=False)\nprint('ray' in sys.modules)")
    env = {**os.environ, "STORYSCORE_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "x.mp4").is_file()


def test_one_bad_story_does_not_stop_the_others(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    good, _ = _stories(tmp_path)
    bad = tmp_path / "bad.sco"
    bad.write_text(TINY_BRANCHING.format(title="Bad").replace("-> three", "-> thre"))
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["render", str(bad), str(good), "--draft", "-q",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{bad}:10:" in result.stderr  # located, in the bad story
    assert "unknown scene 'thre'" in result.stderr
    assert result.stderr.rstrip().endswith(f"1 of 2 stories failed: {bad}")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "tiny.mid", "tiny.mp4", "tiny.musicxml", "tiny.srt"]


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[ModuleType]:
    """A Ray instance on this machine for the module's tests: two CPUs, no dashboard."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Tasks defined in this file travel by value: the workers cannot import tests/.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=128 * 2**20,
             log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_ray_renders_the_same_files(ray_instance: ModuleType, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    branching, linear = _stories(tmp_path / "stories")
    here, there = tmp_path / "here", tmp_path / "ray"
    _render(monkeypatch, tmp_path / "cache-here", str(branching), str(linear), "-o", str(here))
    _render(monkeypatch, tmp_path / "cache-ray", str(branching), str(linear), "-o", str(there),
            "--ray")
    names = sorted(p.name for p in here.iterdir())
    assert names == sorted(f"{stem}{suffix}" for stem in ("tiny-two", "tiny-three", "line")
                           for suffix in (".mp4", ".srt", ".musicxml", ".mid"))
    assert sorted(p.name for p in there.iterdir()) == names
    for name in names:
        assert (there / name).read_bytes() == (here / name).read_bytes(), name


def test_ray_makes_the_same_book(ray_instance: ModuleType, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    branching, _ = _stories(tmp_path / "stories")
    books: list[Path] = []
    for name, extra in (("here", []), ("ray", ["--ray"])):
        monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / f"cache-{name}"))
        result = CliRunner().invoke(app, ["book", str(branching), "-q",
                                          "-o", str(tmp_path / name), *extra])
        assert result.exit_code == 0, result.stderr
        books.append(tmp_path / name)
    files = sorted(p.relative_to(books[0]) for p in books[0].rglob("*") if p.is_file())
    assert Path("index.html") in files
    assert files == sorted(p.relative_to(books[1]) for p in books[1].rglob("*") if p.is_file())
    for file in files:
        assert (books[1] / file).read_bytes() == (books[0] / file).read_bytes(), file


def test_ray_progress_reaches_the_driver(ray_instance: ModuleType, tmp_path: Path) -> None:
    from storyscore.pipeline.distributed import connect

    branching, _ = _stories(tmp_path)
    calls: list[tuple[str, int, int, str]] = []
    with connect() as executor:  # joins the running instance and leaves it running
        result = storyscore.render(storyscore.load(branching), tmp_path / "t.mp4", draft=True,
                                   cache=Cache(tmp_path / "cache"), executor=executor,
                                   on_progress=lambda *call: calls.append(call))
    assert ray_instance.is_initialized()
    painted = [c for c in calls if c[0] == "painting"]
    assert painted[0][1:3] == (0, 3)
    assert painted[-1][1:3] == (3, 3)
    assert {c[3] for c in painted[1:]} == {"one", "two", "three"}
    video = [c for c in calls if c[0] == "video"]
    assert video[-1][1] == video[-1][2] == result.videos[0].duration * 8
    # Encoded by tasks, and said so: none of the segments came from the cache.
    assert "0/3 video segments" in result.summary(1.0)  # one, one>two, two


def _fails() -> None:
    raise PaintError("no picture", SourceSpan("a.sco", 3, 5, 3, 9), "try another prompt")


def test_a_story_error_in_a_task_is_raised_here_as_itself(ray_instance: ModuleType) -> None:
    from storyscore.pipeline.distributed import connect

    with connect() as executor, pytest.raises(PaintError) as caught:
        list(executor.run([Task(_fails, ())]))
    assert caught.value.span == SourceSpan("a.sco", 3, 5, 3, 9)
    assert caught.value.hint == "try another prompt"


def _dies_once(marker: str, root: str) -> str:
    """Store a cache entry; the first try's worker dies half-way through writing it."""
    def build(path: Path) -> None:
        path.write_bytes(b"half")
        if not Path(marker).exists():
            Path(marker).write_text("died")
            os._exit(1)
        path.write_bytes(b"the whole entry")

    return str(Cache(Path(root)).get_or_create("retry", "ab" * 16, ".bin", build).path)


def test_a_task_whose_worker_dies_runs_again_and_the_cache_stays_whole(
        ray_instance: ModuleType, tmp_path: Path) -> None:
    from storyscore.pipeline.distributed import connect

    root = tmp_path / "cache"
    with connect() as executor:
        [(_, stored)] = list(executor.run([Task(_dies_once, (str(tmp_path / "died"),
                                                             str(root)))]))
    assert (tmp_path / "died").is_file()  # the first try did die
    assert Path(stored).read_bytes() == b"the whole entry"
    assert Cache(root).get("retry", "ab" * 16, ".bin") == Path(stored)
    assert sorted(p.name for p in Path(stored).parent.iterdir()) == [
        f"{'ab' * 16}.bin", f"{'ab' * 16}.bin.sha256"]  # the dead try's temporary is gone
