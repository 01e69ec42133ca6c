"""The executor interface, several stories on one command line, and ``--ray``'s
argument handling: everything of the distributed engine that needs no Ray
(the renders themselves are in ``test_distributed``)."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TINY_BRANCHING
from storyscore.cli import LOCAL_RAY, app, optional_ray_address
from storyscore.diagnostics import SourceSpan
from storyscore.errors import PaintError, ScriptError, StoryscoreError
from storyscore.pipeline.distributed import _call, _Failed
from storyscore.pipeline.executor import LOCAL, Needs, Task, in_order
from storyscore.pipeline.prepare import Tools, painting_needs


def _square(x: int) -> int:
    return x * x


def _fail(message: str) -> None:
    raise PaintError(message, SourceSpan("a.sco", 3, 5, 3, 9), "try another prompt")


def test_the_local_executor_runs_tasks_here_in_order() -> None:
    seen: list[tuple[int, int]] = []
    tasks = [Task(_square, (n,)) for n in (3, 1, 2)]
    assert list(LOCAL.run(tasks)) == [(0, 9), (1, 1), (2, 4)]
    assert in_order(LOCAL, tasks, lambda i, r: seen.append((i, r))) == [9, 1, 4]
    assert seen == [(0, 9), (1, 1), (2, 4)]
    assert not LOCAL.distributed


def test_in_order_puts_results_back_in_task_order() -> None:
    class Backwards:
        distributed = True

        def run(self, tasks):  # type: ignore[no-untyped-def]
            for index in reversed(range(len(tasks))):
                yield index, tasks[index].function(*tasks[index].args)

    finished: list[int] = []
    tasks = [Task(_square, (n,)) for n in (2, 3, 4)]
    assert in_order(Backwards(), tasks, lambda i, _: finished.append(i)) == [4, 9, 16]
    assert finished == [2, 1, 0]


def test_tools_travel_empty() -> None:
    tools = Tools()
    tools.voices.get("none")
    tools._painter = object()  # type: ignore[assignment]  # a loaded model stays here
    copy = pickle.loads(pickle.dumps(tools))
    assert copy._painter is None
    assert copy.voices._voices == {}
    assert tools.voices._voices  # the original keeps what it loaded


def test_a_diffusers_painting_asks_for_a_gpu(tmp_path: Path) -> None:
    import storyscore

    script = tmp_path / "s.sco"
    script.write_text(TINY_BRANCHING.format(title="T"))
    assert painting_needs(storyscore.load(script)) == Needs(cpus=1)
    assert painting_needs(storyscore.load(script, painter="diffusers")) == Needs(cpus=1, gpus=1)


def test_a_story_error_in_a_task_comes_back_as_the_same_error() -> None:
    failed = _call(_fail, "no picture")
    assert isinstance(failed, _Failed)
    error = pickle.loads(pickle.dumps(failed)).error()
    assert type(error) is PaintError
    assert (error.message, error.hint, str(error)) == ("no picture", "try another prompt",
                                                        "no picture")
    assert error.span == SourceSpan("a.sco", 3, 5, 3, 9)
    assert _call(_square, 5) == 25


def test_a_script_error_in_a_task_keeps_its_diagnostics(tmp_path: Path) -> None:
    import storyscore

    bad = tmp_path / "bad.sco"
    bad.write_text(TINY_BRANCHING.format(title="T").replace("2s", "-2s", 1))
    with pytest.raises(ScriptError) as caught:
        storyscore.load(bad)
    failed = _Failed(ScriptError, dict(caught.value.__dict__))
    again = pickle.loads(pickle.dumps(failed)).error()
    assert isinstance(again, ScriptError)
    assert str(again) == str(caught.value)
    assert isinstance(again, StoryscoreError)


@pytest.mark.parametrize(("given", "parsed"), [
    (["render", "a.sco", "--ray"], ["render", "a.sco", "--ray", LOCAL_RAY]),
    (["render", "--ray", "a.sco", "b.sco"], ["render", "--ray", LOCAL_RAY, "a.sco", "b.sco"]),
    (["render", "a.sco", "--ray", "-q"], ["render", "a.sco", "--ray", LOCAL_RAY, "-q"]),
    (["render", "a.sco", "--ray", "auto"], ["render", "a.sco", "--ray", "auto"]),
    (["render", "a.sco", "--ray", "10.0.0.5:6379"], ["render", "a.sco", "--ray", "10.0.0.5:6379"]),
    (["render", "a.sco", "--ray=auto"], ["render", "a.sco", "--ray=auto"]),
    (["render", "--", "--ray"], ["render", "--", "--ray"]),
])
def test_ray_may_be_given_without_an_address(given: list[str], parsed: list[str]) -> None:
    assert optional_ray_address(given) == parsed


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr


@pytest.fixture
def stories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    first, second = tmp_path / "a" / "tiny.sco", tmp_path / "other.sco"
    first.write_text(TINY_BRANCHING.format(title="A"))
    second.write_text(TINY_BRANCHING.format(title="B"))
    return first, second


def test_several_stories_refuse_path_and_an_mp4_name(stories: tuple[Path, Path]) -> None:
    a, b = map(str, stories)
    code, err = _invoke("render", a, b, "--path", "two")
    assert code == 2
    assert "error: --path names the scenes of one story" in err
    code, err = _invoke("render", a, b, "-o", "all.mp4")
    assert code == 2
    assert "with several stories, -o names a folder, not all.mp4" in err
    code, err = _invoke("book", a, b, "-o", a)
    assert code == 2
    assert f"-o names a folder, not {a}" in err


def test_two_stories_with_one_name_are_refused(stories: tuple[Path, Path], tmp_path: Path) -> None:
    twin = tmp_path / "tiny.sco"
    twin.write_text(TINY_BRANCHING.format(title="Twin"))
    code, err = _invoke("render", str(stories[0]), str(twin))
    assert code == 2
    assert f"{stories[0]} and {twin} would write the same files (tiny.mp4)" in err
    assert not list(tmp_path.glob("*.mp4"))


def test_every_failing_story_is_reported_and_named(stories: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    broken = tmp_path / "broken.sco"
    broken.write_text(TINY_BRANCHING.format(title="X").replace("fps    8", "fps    0"))
    code, err = _invoke("render", str(broken), str(tmp_path / "missing.sco"), "-q")
    assert code == 2
    assert re.search(rf"{re.escape(str(broken))}:3:\d+: error: ", err)
    assert "missing.sco" in err
    assert err.rstrip().endswith(f"2 of 2 stories failed: {broken}, {tmp_path / 'missing.sco'}")
    assert "Traceback" not in err


def test_ray_without_the_cache_is_refused_before_connecting(stories: tuple[Path, Path]) -> None:
    code, err = _invoke("render", str(stories[0]), "--no-cache", "--ray")
    assert code == 2
    assert "error: --ray needs the cache" in err


def test_nothing_imports_ray_until_asked() -> None:
    code = ("import sys, storyscore, storyscore.cli, storyscore.api, "
            "storyscore.pipeline.video, storyscore.pipeline.book, storyscore.pipeline.distributed; "
            "print('ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_only_this_machines_dead_writers_lose_their_cache_temporaries(tmp_path: Path) -> None:
    from storyscore.cache import _host_tag, _remove_stale_temporaries

    dead = 2**22 + 12345  # above the default pid_max: no such process here
    here = tmp_path / f".k.{dead}-{_host_tag()}{'a' * 24}.tmp.png"
    other_host = "0" * 8 if _host_tag() != "0" * 8 else "1" * 8
    elsewhere = tmp_path / f".k.{dead}-{other_host}{'a' * 24}.tmp.png"  # a live writer there
    for path in (here, elsewhere):
        path.write_bytes(b"partial")
    _remove_stale_temporaries(tmp_path)
    assert not here.exists()
    assert elsewhere.exists()


def test_a_cluster_that_does_not_answer_fails_at_once() -> None:
    import socket

    from storyscore.pipeline.distributed import _check_reachable

    with socket.socket() as unused:  # a port nobody listens on: bound, never listening
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        with pytest.raises(StoryscoreError) as caught:
            _check_reachable(f"127.0.0.1:{port}")
    assert caught.value.message.startswith(f"cannot reach the Ray cluster at 127.0.0.1:{port}: ")
    assert "ray start --head" in (caught.value.hint or "")
    for address in ("local", "auto", "ray://head:10001"):
        _check_reachable(address)  # left to Ray
