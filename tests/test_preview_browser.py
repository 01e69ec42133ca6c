"""The live preview in real headless Chromium: it follows saves without a reload.

Skipped when Playwright for Python or Chromium is missing (see
test_book_browser.py). With ``STORYSCORE_SCREENSHOTS=DIR`` the test also saves
the screenshots that docs/authoring.md shows.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_preview import STORY, check_text, write_story

from storyscore.cache import Cache
from storyscore.preview.server import PreviewServer
from storyscore.preview.state import PreviewBuilder

CHROMIUM = Path(os.environ.get("STORYSCORE_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = os.environ.get("STORYSCORE_SCREENSHOTS")
FOLLOW_SECONDS = 10  # how long a save may take to show in the page

if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


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


def _narration(page: Any, scene: str) -> str:
    text: str = page.inner_text(f"#scene-{scene} .narration")
    return text


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name))


def test_preview_follows_saves_and_shows_errors(
        browser: Any, served: tuple[PreviewServer, Path]) -> None:
    server, script = served
    context = browser.new_context(viewport={"width": 1280, "height": 760})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.url)
    page.wait_for_selector("#scene-harbour .narration p")
    assert _narration(page, "harbour") == "A paper boat slipped into the harbour."
    assert page.inner_text("#panel-title") == "The harbour (harbour)"
    assert page.inner_text("#panel-duration") == "5.0s"
    assert page.inner_text("#timeline").startswith("harbour")
    _shot(page, "preview.png")

    # Read the second scene, then change the first one on disk.
    page.click("#scene-sea h2")
    assert page.inner_text("#panel-asked") == "mood dreamy"
    page.evaluate("() => { window.notReloaded = true; }")
    page.locator("#scene-sea").scroll_into_view_if_needed()
    sea_top = page.locator("#scene-sea").bounding_box()["y"]
    started = time.monotonic()
    script.write_text(STORY.replace("slipped into the harbour.",
                                    "sailed into the harbour, past the gulls."), "utf-8")
    page.wait_for_function(
        "() => document.querySelector('#scene-harbour .narration').textContent.includes('gulls')",
        timeout=FOLLOW_SECONDS * 1000)
    assert time.monotonic() - started < FOLLOW_SECONDS
    assert page.evaluate("() => window.notReloaded") is True
    assert abs(page.locator("#scene-sea").bounding_box()["y"] - sea_top) < 2
    assert page.inner_text("#panel-title") == "Out to sea (sea)"

    # An error shows as `check` prints it; the last good preview stays under it.
    script.write_text(STORY.replace("transition fade", "transition fadee"), "utf-8")
    page.wait_for_selector("#error:not([hidden])", timeout=FOLLOW_SECONDS * 1000)
    assert page.inner_text("#error") == check_text(script)
    assert "gulls" in _narration(page, "harbour")
    assert "stale" in (page.get_attribute("#book", "class") or "")
    _shot(page, "preview-error.png")

    script.write_text(STORY, "utf-8")
    page.wait_for_selector("#error", state="hidden", timeout=FOLLOW_SECONDS * 1000)
    page.wait_for_function(
        "() => document.querySelector('#scene-harbour .narration').textContent.includes('slipped')",
        timeout=FOLLOW_SECONDS * 1000)
    assert page.evaluate("() => window.notReloaded") is True

    assert errors == []
    # Nothing outside the story's pictures can be fetched, even from the page itself.
    statuses = page.evaluate("""async () => Promise.all(
        ['/picture/..%2f..%2fboat.sco', '/boat.sco', '/pictures/sea.png', '/picture/harbour']
        .map(async (p) => (await fetch(p)).status))""")
    assert statuses == [404, 404, 404, 200]
    assert errors == ["Failed to load resource: the server responded with a status of 404 "
                      "(Not Found)"] * 3
    assert requests
    assert [url for url in requests if not url.startswith(server.url)] == []
    context.close()
