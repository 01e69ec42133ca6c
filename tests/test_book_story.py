"""The branching example story as a real book, made by ``storyscore book`` and read
in headless Chromium from disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from storyscore.cli import app

pytestmark = pytest.mark.browser

test_book_browser = pytest.importorskip("test_book_browser")
Session = test_book_browser.Session
wait_for_title = test_book_browser.wait_for_title


@pytest.fixture(scope="module")
def story_book(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    root = tmp_path_factory.mktemp("story-book")
    with pytest.MonkeyPatch.context() as patch:
        # The run's cache: the story's narration is shared with the composing tests.
        patch.setenv("STORYSCORE_CACHE", str(shared_cache))
        result = CliRunner().invoke(app, [
            "book", str(ROOT / "stories" / "forest-path.sco"), "-o", str(root / "book"),
            "--size", "320x180", "--quiet"])
    assert result.exit_code == 0, result.stderr
    return root / "book"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with test_book_browser.sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(test_book_browser.CHROMIUM),
                                              args=test_book_browser.ARGS)
        yield launched
        launched.close()


def test_the_branching_story_reads_as_a_book(browser: Any, story_book: Path) -> None:
    session = Session(browser, story_book)
    page = session.page
    try:
        assert session.title() == "At the edge of the forest"
        assert page.locator("#choice-list button").all_inner_texts() == [
            "Follow the stream", "Take the dark path"]
        page.get_by_role("button", name="Take the dark path").click()
        wait_for_title(page, "The dark path")
        page.get_by_role("button", name="Keep going").click()
        wait_for_title(page, "The owl")
        durations = test_book_browser.audio_durations(page)
        # Five pages and a bridge for each of the six ways between them.
        assert len(durations) == 11
        assert all(seconds > 0.5 for seconds in durations.values()), durations
        session.check_clean(story_book)
    finally:
        session.context.close()
