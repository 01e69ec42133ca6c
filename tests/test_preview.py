"""`storyscore preview` without a browser: snapshots, the server's routes, Ctrl-C."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyscore.cache import Cache
from storyscore.cli import app
from storyscore.errors import StoryscoreError
from storyscore.preview.server import PreviewServer
from storyscore.preview.state import PreviewBuilder, Snapshot

STORY = '''title "Little Boat"
size 160x90
character boat "a small paper boat with a red sail"

scene harbour "The harbour" 5s
    prompt "@boat in a quiet harbour at sunrise"
    narrate "A paper boat slipped into the harbour."
    transition fade 1s

scene sea "Out to sea"
    image "pictures/sea.png"
    narrate "By night it reached the open sea."
    music mood dreamy
    end
'''


def write_story(folder: Path) -> Path:
    from PIL import Image

    (folder / "pictures").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 36), (30, 60, 120)).save(folder / "pictures" / "sea.png")
    script = folder / "boat.sco"
    script.write_text(STORY, "utf-8")
    return script


def check_text(script: Path) -> str:
    """What `storyscore check` prints for a script with errors, less its count line."""
    result = CliRunner().invoke(app, ["check", str(script)])
    assert result.exit_code == 2
    return "\n".join(result.stderr.splitlines()[:-1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PreviewServer, Path]]:
    script = write_story(tmp_path / "story")
    with Cache(tmp_path / "cache") as cache:
        server = PreviewServer(PreviewBuilder(script, cache))
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        server.wait_for_change(0, 60)
        yield server, script
        server.stop()
        thread.join(5)
        assert not thread.is_alive()


def get(server: PreviewServer, path: str, host: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("GET", path, skip_host=host is not None)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_snapshot_shows_pages_panel_and_timeline(tmp_path: Path) -> None:
    script = write_story(tmp_path / "story")
    with Cache(tmp_path / "cache") as cache:
        snapshot = PreviewBuilder(script, cache).rebuild()
    assert snapshot.error is None
    assert snapshot.story is not None
    harbour, sea = snapshot.story["scenes"]
    assert harbour["paragraphs"] == ["A paper boat slipped into the harbour."]
    assert harbour["duration"] == "5.0s"
    assert harbour["next"] == "sea"
    assert harbour["transition"] == "fade 1s"
    assert re.fullmatch(r"[A-G][#b]? (major|minor), \d+ BPM, .+ texture", harbour["music"])
    assert harbour["features"][0].startswith("colour and shape: L* ")
    assert sea["asked"] == "mood dreamy"
    assert sea["picture_note"] == "the author's image pictures/sea.png"
    assert [t["id"] for t in snapshot.story["timeline"]] == ["harbour", "sea"]
    assert snapshot.story["timeline"][1]["start"] == 5.0
    assert set(snapshot.pictures) == {"harbour", "sea"}
    assert script.parent / "pictures" / "sea.png" in snapshot.watched


def test_error_keeps_the_last_good_preview(tmp_path: Path) -> None:
    script = write_story(tmp_path / "story")
    with Cache(tmp_path / "cache") as cache:
        builder = PreviewBuilder(script, cache)
        good = builder.rebuild()
        script.write_text(STORY.replace("transition fade", "transition fadee"), "utf-8")
        bad = builder.rebuild()
        assert bad.error == check_text(script)
        assert "did you mean 'fade'?" in bad.error
        assert bad.story == good.story
        assert bad.version == good.version + 1
        script.write_text(STORY.replace("slipped", "drifted"), "utf-8")
        fixed = builder.rebuild()
    assert fixed.error is None
    assert fixed.story is not None
    assert fixed.story["scenes"][0]["paragraphs"] == ["A paper boat drifted into the harbour."]


def test_only_changed_scenes_are_repainted(tmp_path: Path) -> None:
    script = write_story(tmp_path / "story")
    with Cache(tmp_path / "cache") as cache:
        builder = PreviewBuilder(script, cache)
        before = builder.rebuild().pictures
        script.write_text(STORY.replace("at sunrise", "at noon"), "utf-8")
        after = builder.rebuild().pictures
    assert after["harbour"] != before["harbour"]
    assert after["sea"] == before["sea"]


def test_server_serves_only_its_routes(served: tuple[PreviewServer, Path]) -> None:
    server, _ = served
    status, body = get(server, "/state")
    assert status == 200
    state = json.loads(body)
    assert state["story"]["title"] == "Little Boat"
    status, body = get(server, "/picture/harbour")
    assert status == 200
    assert body.startswith(b"\x89PNG")
    for path in ("/picture/../../../etc/passwd", "/picture/..%2f..%2fboat.sco",
                 "/boat.sco", "/pictures/sea.png", "/picture/nowhere", "/../boat.sco",
                 "//etc/passwd", "/picture/%2e%2e/boat.sco"):
        assert get(server, path)[0] == 404, path
    # A page that points another name at 127.0.0.1 is refused (DNS rebinding).
    assert get(server, "/state", host=f"evil.example:{server.port}")[0] == 403
    assert get(server, "/", host=f"localhost:{server.port}")[0] == 200


def test_server_follows_saves(served: tuple[PreviewServer, Path]) -> None:
    server, script = served
    version = server.snapshot.version
    script.write_text(STORY.replace("slipped", "sailed"), "utf-8")
    snapshot: Snapshot = server.wait_for_change(version, 30)
    assert snapshot.version == version + 1
    assert snapshot.story is not None
    assert snapshot.story["scenes"][0]["paragraphs"] == ["A paper boat sailed into the harbour."]
    # A file the script uses is watched too.
    from PIL import Image

    Image.new("RGB", (64, 36), (200, 60, 20)).save(script.parent / "pictures" / "sea.png")
    again = server.wait_for_change(snapshot.version, 30)
    assert again.version == snapshot.version + 1
    assert again.pictures["sea"] != snapshot.pictures["sea"]


def test_preview_command_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    script = write_story(tmp_path / "story")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from storyscore.cli import app; app()", "preview", str(script),
         "--no-open"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        match = re.fullmatch(rf"previewing {re.escape(str(script))} at "
                             r"http://127\.0\.0\.1:(\d+)/ \(Ctrl-C stops\)\n", first)
        assert match, first
        assert process.stderr.readline() == f"update 1: {script} is up to date\n"
        connection = http.client.HTTPConnection("127.0.0.1", int(match[1]), timeout=10)
        connection.request("GET", "/events")
        events = connection.getresponse()
        assert events.readline() == b"event: story\n"
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert time.monotonic() - started < 10
        assert process.stderr.read() == "stopping the preview\n"
        events.close()
        connection.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def test_preview_command_reports_a_missing_script(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["preview", str(tmp_path / "none.sco"), "--no-open"])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'none.sco'}: no such file\n"


def test_a_port_in_use_is_a_clear_error(served: tuple[PreviewServer, Path],
                                        tmp_path: Path) -> None:
    server, script = served
    with Cache(tmp_path / "other-cache") as cache, pytest.raises(StoryscoreError) as caught:
        PreviewServer(PreviewBuilder(script, cache), port=server.port)
    assert caught.value.message.startswith(f"cannot serve the preview on 127.0.0.1:{server.port}: ")
    assert caught.value.hint == "choose another --port, or leave it out for a free one"
