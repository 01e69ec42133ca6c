"""The rendered MP4 plays in a real browser (headless Chromium, from disk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from storyscore.cli import app

pytestmark = pytest.mark.browser

test_book_browser = pytest.importorskip("test_book_browser")

STORY = '''title "Plays"
size  128x96
fps   12
voice espeak speed 1.5

scene a 2s
    prompt  "a village at sunset"
    narrate "It plays."

scene b 2s
    prompt  "a calm sea at noon"
    end
'''

PROBE = """async () => {
    const video = document.querySelector('video');
    const ready = await new Promise((ok) => {
        if (video.readyState >= 1) { ok(true); return; }
        video.addEventListener('loadedmetadata', () => ok(true));
        video.addEventListener('error', () => ok(false));
    });
    if (!ready) return {error: video.error ? video.error.code : 'unknown'};
    video.muted = true;
    await video.play();
    await new Promise((ok) => setTimeout(ok, 600));
    return {duration: video.duration, width: video.videoWidth, height: video.videoHeight,
            time: video.currentTime, tracks: video.textTracks.length};
}"""


def test_the_mp4_plays_in_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    (tmp_path / "plays.sco").write_text(STORY)
    result = CliRunner().invoke(app, ["render", str(tmp_path / "plays.sco"), "-o",
                                      str(tmp_path / "plays.mp4"), "-q"])
    assert result.exit_code == 0, result.stderr
    page_file = tmp_path / "index.html"
    page_file.write_text('<!doctype html><video src="plays.mp4" preload="auto"></video>')
    sync_api = test_book_browser.sync_api
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(test_book_browser.CHROMIUM),
                                             args=test_book_browser.ARGS)
        try:
            page: Any = browser.new_page()
            page.goto(page_file.as_uri())
            facts = page.evaluate(PROBE)
        finally:
            browser.close()
    assert "error" not in facts, facts
    assert facts["duration"] == pytest.approx(4.0, abs=0.1)
    assert (facts["width"], facts["height"]) == (128, 96)
    assert facts["time"] > 0.1  # it really played
