"""Every ``python`` block of docs/python.md runs, in order, on tiny stories.

The blocks share one namespace, like a session at the prompt, and run in a
temporary folder holding the scripts they name. The moviepy block runs in its
own test, which needs the ``moviepy`` extra.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, TINY_BRANCHING

DOC = ROOT / "docs" / "python.md"



def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", DOC.read_text("utf-8"), re.S | re.M)


def moviepy_block(code: str) -> bool:
    return "moviepy" in code


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lighthouse.sco").write_text(TINY_BRANCHING.format(title="The Lighthouse"))
    (tmp_path / "stories").mkdir()
    for name in ("harbour", "meadow"):
        (tmp_path / "stories" / f"{name}.sco").write_text(TINY_BRANCHING.format(title=name.title()))
    broken = TINY_BRANCHING.format(title="Broken")
    (tmp_path / "broken.sco").write_text(broken.replace("2s", "-2s", 1)
                                         .replace("-> three", "-> thre"))
    return tmp_path


def test_the_page_has_the_examples_the_issue_asks_for() -> None:
    codes = blocks()
    assert codes[0].strip().splitlines()[-2:] == [
        'story = storyscore.load("lighthouse.sco")',
        'storyscore.render(story, "lighthouse.mp4")',
    ]
    assert any("for script in" in code for code in codes)
    assert sum(map(moviepy_block, codes)) == 1


@pytest.mark.slow
def test_the_examples_run(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {}
    for code in blocks():
        if not moviepy_block(code):
            exec(compile(code, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert (folder / "lighthouse.mp4").is_file()
    assert (folder / "lighthouse.musicxml").is_file()
    assert out[:2] == ["out/harbour.mp4: 4.0s, scenes one -> two",
                       "out/meadow.mp4: 4.0s, scenes one -> two"]
    assert "['lighthouse-two.mp4', 'lighthouse-three.mp4']" in out
    assert (folder / "left.mp4").is_file()
    assert "01-one.png 3" in out  # painted by the renders before
    assert any(line.endswith("s of music") for line in out)
    assert "The Lighthouse: the music, scene by scene" in out
    assert (folder / "lighthouse-book" / "index.html").is_file()
    assert out[-6:] == [
        "narrating done (2)", "painting done (3)", "composing done (2)",
        "video done (32)",  # 4 s at 8 fps, counted frame by frame
        "6 error '-2s' is not a number or a duration numbers look like 72 or 1.15; "
        "durations like 8s, 2.5s, 750ms, 1m or 1m30s",
        "10 error unknown scene 'thre' did you mean 'three'?",
    ]


@pytest.mark.slow
# moviepy 2.2's ffmpeg readers leave the pipes of an ffmpeg that has already
# exited unclosed (FFMPEG_VideoReader.close); Python reports them when collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_moviepy_example_runs(folder: Path) -> None:
    pytest.importorskip("moviepy")
    import storyscore
    from storyscore.render import probe

    namespace: dict[str, object] = {"storyscore": storyscore,
                                    "story": storyscore.load("lighthouse.sco")}
    (code,) = [code for code in blocks() if moviepy_block(code)]
    exec(compile(code, str(DOC), "exec"), namespace)
    info = probe(folder / "with-pauses.mp4")
    assert info.duration == pytest.approx(6.0, abs=0.3)
    assert len(info.streams_of("audio")) == 1
    namespace.clear()
    gc.collect()  # the clips' readers go while this test's warning filters hold


@pytest.mark.slow
def test_a_script_without_a_main_guard_is_told_why_its_workers_stopped(tmp_path: Path) -> None:
    (tmp_path / "tiny.sco").write_text(
        'title "Tiny"\nsize 96x64\nscene a 2s\n    prompt "a quiet forest"\n'
        'scene b 2s\n    prompt "a red barn"\n')
    # The spawned video workers import this script, which starts a render of its own.
    (tmp_path / "script.py").write_text(
        "import storyscore\n"
        "storyscore.render(storyscore.load('tiny.sco'), 'tiny.mp4', draft=True, jobs=2)\n")
    result = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode != 0
    assert "storyscore.errors.RenderError: a video worker process stopped" in result.stderr
    assert "if __name__ == \"__main__\":" in result.stderr
    assert not (tmp_path / "tiny.mp4").exists()
