"""The picture book in real headless Chromium, opened from disk as a reader would.

Skipped when Playwright for Python or Chromium is missing (CI installs both:
``apt-get install chromium`` and ``pip install playwright``; no
``playwright install`` is needed since the system Chromium is used).
Set ``STORYSCORE_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_book import EVIL, page, write_wav

from conftest import ROOT
from storyscore.export.book import Book, BookChoice, write_book

CHROMIUM = Path(os.environ.get("STORYSCORE_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZE = (640, 400)

if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


def make_story_book(src: Path) -> Book:
    """meadow → (bridge) wood → river (bridge, ending) or light → home (ending)."""
    bridge = src / "bridge.wav"
    write_wav(bridge, 0.8, base=330)
    pages = (
        page(src, "meadow", "The Meadow",
             "Mira found a little lantern in the long grass. It glowed like a sleepy star.",
             (90, 130, 200), seconds=2.0, size=SIZE, next_scene="wood", bridge_to_next=bridge),
        page(src, "wood", "The Whispering Wood",
             "The path split under the old oak.\n\n"
             "To the left, a river sang. To the right, a light flickered between the trees.",
             (150, 120, 170), seconds=2.0, size=SIZE, choices=(
                 BookChoice("Follow the river", "river", bridge),
                 BookChoice("Follow the light", "light"),
             )),
        page(src, "river", "The River", "The river carried her home. The end.",
             (80, 150, 190), seconds=1.5, size=SIZE, is_ending=True),
        page(src, "light", f"The Light {EVIL}", f"It was only </script>{EVIL} a firefly.",
             (200, 150, 90), seconds=1.5, size=SIZE, next_scene="home"),
        page(src, "home", "Home", "And so she went home.", (120, 170, 120), seconds=1.5,
             size=SIZE, is_ending=True),
    )
    return Book(title="The Lantern", author="Storyscore tests", pages=pages,
                first_scene="meadow")


@pytest.fixture(scope="module")
def book_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-book")
    return write_book(make_story_book(root / "src"), root / "The Lantern")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Session:
    """A page opened on the book, recording console errors, dialogs and every request."""

    def __init__(self, browser: Any, book_dir: Path, **context: Any):
        # Without page-turn animations Playwright need not wait for buttons to settle.
        context.setdefault("reduced_motion", "reduce")
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        # Anything that tries the network is cut off (and shows up in self.requests).
        self.context.route("http*://**", lambda route: route.abort())
        self.page.goto((book_dir / "index.html").as_uri())
        self.page.wait_for_selector("html.is-ready")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def title(self) -> str:
        text: str = self.page.inner_text("#page-title")
        return text

    def check_clean(self, book_dir: Path) -> None:
        """No console errors, no dialogs, and no request outside the book's folder."""
        assert self.errors == []
        assert self.dialogs == []
        inside = book_dir.as_uri() + "/"
        assert self.requests
        assert [url for url in self.requests if not url.startswith(inside)] == []


AUDIO_DURATIONS = """async () => {
    const data = JSON.parse(document.getElementById('book-data').textContent);
    const urls = new Set();
    for (const page of data.pages) {
        urls.add(page.audio);
        if (page.bridge) urls.add(page.bridge);
        for (const choice of page.choices) if (choice.bridge) urls.add(choice.bridge);
    }
    const out = {};
    for (const url of urls) {
        const audio = new Audio(url);
        out[url] = await new Promise((ok) => {
            audio.addEventListener('loadedmetadata', () => ok(audio.duration));
            audio.addEventListener('error', () => ok(-1));
        });
    }
    return out;
}"""


def audio_durations(page: Any) -> dict[str, float]:
    """Seconds of every page and bridge audio file, as Chromium loads them (-1: failed)."""
    durations: dict[str, float] = page.evaluate(AUDIO_DURATIONS)
    return durations


def wait_for_title(p: Any, title: str, timeout: float = 3000) -> None:
    """Wait until the page on screen has ``title`` (with CSP on, a function, not a string, runs)."""
    p.wait_for_function("(t) => document.getElementById('page-title').textContent === t",
                        arg=title, timeout=timeout)


@pytest.fixture
def open_book(browser: Any, book_dir: Path) -> Iterator[Callable[..., Session]]:
    sessions: list[Session] = []

    def opener(**context: Any) -> Session:
        session = Session(browser, book_dir, **context)
        sessions.append(session)
        return session

    yield opener
    for session in sessions:
        session.context.close()


def test_first_page_shows_with_picture_text_and_controls(
    open_book: Callable[..., Session], book_dir: Path
) -> None:
    s = open_book(viewport=DESKTOP)
    p = s.page
    assert s.title() == "The Meadow"
    assert p.evaluate("document.documentElement.lang") == "en"
    assert p.title() == "The Meadow – The Lantern"
    picture = p.evaluate("(() => { const i = document.getElementById('picture');"
                         " return [i.naturalWidth, i.alt, i.complete]; })()")
    assert picture == [640, "a picture of The Meadow", True]
    assert p.inner_text("#narration").startswith("Mira found a little lantern")
    assert p.locator(".word").count() == 15
    assert p.is_disabled("#prev")
    assert p.is_enabled("#next")
    assert p.get_attribute("#read", "aria-pressed") == "false"
    assert p.is_hidden("#choices")
    assert p.is_hidden("#ending")
    s.check_clean(book_dir)


def test_pages_turn_by_buttons_choices_keys_and_history(
    open_book: Callable[..., Session], book_dir: Path
) -> None:
    s = open_book(viewport=DESKTOP)
    p = s.page
    p.click("#next")
    assert s.title() == "The Whispering Wood"
    assert p.is_disabled("#next")
    assert p.locator("#choice-list button").all_inner_texts() == [
        "Follow the river", "Follow the light"]
    p.get_by_role("button", name="Follow the light").click()
    # The script's markup arrives as text: no alert, no new script element.
    assert s.title() == f"The Light {EVIL}"
    assert p.inner_text("#narration") == f"It was only </script>{EVIL} a firefly."
    assert p.locator("script").count() == 2
    assert p.evaluate("document.activeElement.id") == "page-title"
    p.wait_for_function("() => document.getElementById('announce').textContent"
                        " === 'Page 3: The Light ' + " + repr(EVIL))
    p.keyboard.press("ArrowRight")
    assert s.title() == "Home"
    assert p.is_visible("#ending")
    assert p.inner_text("#where") == "Page 4"
    # Previous walks back along the path taken, not the order of the file.
    p.keyboard.press("ArrowLeft")
    assert s.title() == f"The Light {EVIL}"
    p.click("#prev")
    assert s.title() == "The Whispering Wood"
    p.get_by_role("button", name="Follow the river").click()
    assert s.title() == "The River"
    p.get_by_role("button", name="Start again").click()
    assert s.title() == "The Meadow"
    assert p.is_disabled("#prev")
    s.check_clean(book_dir)


def test_keyboard_alone_reads_the_book(open_book: Callable[..., Session], book_dir: Path) -> None:
    s = open_book(viewport=DESKTOP)
    p = s.page

    def tab_to(name: str) -> None:
        for _ in range(12):
            p.keyboard.press("Tab")
            if p.evaluate("document.activeElement.textContent.trim()").endswith(name):
                return
        pytest.fail(f"Tab never reached {name!r}")

    tab_to("Next →")
    outline = p.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    p.keyboard.press("Enter")
    assert s.title() == "The Whispering Wood"
    tab_to("Follow the river")
    p.keyboard.press("Enter")
    assert s.title() == "The River"
    tab_to("Start again")
    p.keyboard.press("Enter")
    assert s.title() == "The Meadow"
    s.check_clean(book_dir)


def test_swipes_turn_pages(open_book: Callable[..., Session], book_dir: Path) -> None:
    s = open_book(viewport=PHONE, has_touch=True, is_mobile=True)
    p = s.page
    cdp = s.context.new_cdp_session(p)

    def swipe(x0: float, x1: float, y: float = 300) -> None:
        steps = 6
        def touch(kind: str, x: float | None) -> None:
            points = [] if x is None else [{"x": x, "y": y}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", x0)
        for k in range(1, steps + 1):
            touch("touchMove", x0 + (x1 - x0) * k / steps)
        touch("touchEnd", None)

    swipe(320, 60)
    wait_for_title(p, "The Whispering Wood")
    swipe(60, 320)
    wait_for_title(p, "The Meadow")
    s.check_clean(book_dir)


def test_every_audio_file_plays_in_chromium(
    open_book: Callable[..., Session], book_dir: Path
) -> None:
    s = open_book()
    durations = audio_durations(s.page)
    ext = Path(next(iter(durations))).suffix
    expected = {"meadow": 2.0, "wood": 2.0, "river": 1.5, "light": 1.5, "home": 1.5,
                "bridge-meadow-wood": 0.8, "bridge-wood-river": 0.8}
    assert set(durations) == {f"audio/{name}{ext}" for name in expected}
    for name, seconds in expected.items():
        assert durations[f"audio/{name}{ext}"] == pytest.approx(seconds, abs=0.08), name
    s.check_clean(book_dir)


TRACE = """() => {
    window.__trace = [];
    const t0 = performance.now();
    const words = () => Array.from(document.querySelectorAll('#narration .word'));
    window.__timer = setInterval(() => {
        window.__trace.push({
            t: (performance.now() - t0) / 1000,
            title: document.getElementById('page-title').textContent,
            lit: words().findIndex((w) => w.classList.contains('is-spoken')),
            audio: Array.from(document.querySelectorAll('#players audio')).map((a) => ({
                src: a.getAttribute('src'), paused: a.paused, volume: a.volume,
                time: a.currentTime, duration: a.duration})),
        });
    }, 25);
}"""


def playing(sample: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The audio element playing ``audio/NAME.*`` (and past its start) in a trace sample."""
    for audio in sample["audio"]:
        if not audio["paused"] and audio["time"] > 0 and Path(audio["src"]).stem == name:
            return audio  # type: ignore[no-any-return]
    return None


def test_read_to_me_plays_highlights_turns_and_fades(
    open_book: Callable[..., Session], book_dir: Path
) -> None:
    s = open_book(viewport=DESKTOP)
    p = s.page
    p.evaluate(TRACE)
    p.click("#read")
    assert p.get_attribute("#read", "aria-pressed") == "true"
    # The meadow's audio ends, the bridge plays, the wood's audio starts by itself.
    wait_for_title(p, "The Whispering Wood", timeout=6000)
    p.wait_for_function("() => Array.from(document.querySelectorAll('#players audio')).some("
                        "(a) => !a.paused && a.getAttribute('src').includes('audio/wood')"
                        " && a.currentTime > 0.8)", timeout=4000)
    p.get_by_role("button", name="Follow the river").click()
    p.wait_for_timeout(1200)
    trace: list[dict[str, Any]] = p.evaluate("clearInterval(window.__timer), window.__trace")

    meadow = [x for x in trace if x["title"] == "The Meadow" and playing(x, "meadow")]
    assert meadow, "the meadow's audio never played"
    durations = {playing(x, "meadow")["duration"] for x in meadow}  # type: ignore[index]
    assert all(abs(d - 2.0) < 0.08 for d in durations), durations
    # Read-along: the lit word moves forward through the words in time with the audio.
    lit = [x["lit"] for x in meadow if x["lit"] >= 0]
    assert lit == sorted(lit)
    assert len(set(lit)) >= 10
    words = p.evaluate("JSON.parse(document.getElementById('book-data').textContent)"
                       ".pages[0].words")
    for x in meadow:
        time = playing(x, "meadow")["time"]  # type: ignore[index]
        if x["lit"] >= 0:
            start, end = words[x["lit"]]
            assert start - 0.1 <= time <= end + 0.7
    # The page turned by itself, through the bridge, to the wood's own audio.
    turn = next(i for i, x in enumerate(trace) if x["title"] == "The Whispering Wood")
    after = trace[turn:]
    assert any(playing(x, "bridge-meadow-wood") for x in after)
    first_wood = next(i for i, x in enumerate(after) if playing(x, "wood"))
    assert not any(playing(x, "bridge-meadow-wood") and x["t"] > after[first_wood]["t"] + 0.1
                   for x in after)
    assert any(x["lit"] >= 0 for x in after[first_wood:] if x["title"] == "The Whispering Wood")
    # At the choice the wood's audio fades out (volume between full and silent), then stops.
    choice = next(i for i, x in enumerate(trace) if x["title"] == "The River")
    fading = [playing(x, "wood") for x in trace[choice:] if playing(x, "wood")]
    volumes = [a["volume"] for a in fading if a]
    assert any(0.1 < v < 0.9 for v in volumes), volumes
    assert volumes == sorted(volumes, reverse=True)
    assert fading[-1]["time"] > 0.8  # type: ignore[index]
    assert not playing(trace[-1], "wood")
    # Then that choice's bridge, then the river's own audio.
    assert any(playing(x, "bridge-wood-river") for x in trace[choice:])
    assert playing(trace[-1], "river")
    s.check_clean(book_dir)


def test_reading_stops_softly_resumes_and_waits_at_a_branch(
    open_book: Callable[..., Session], book_dir: Path
) -> None:
    s = open_book(viewport=DESKTOP)
    p = s.page
    p.click("#next")
    p.evaluate(TRACE)
    p.click("#read")
    wood_playing = ("() => Array.from(document.querySelectorAll('#players audio')).some("
                    "(a) => !a.paused && a.getAttribute('src').includes('audio/wood')"
                    " && a.currentTime > 0.5)")
    p.wait_for_function(wood_playing, timeout=4000)
    p.click("#read")
    assert p.get_attribute("#read", "aria-pressed") == "false"
    p.wait_for_timeout(700)
    trace: list[dict[str, Any]] = p.evaluate("window.__trace")
    stop = max(i for i, x in enumerate(trace) if playing(x, "wood") and x["lit"] >= 0)
    volumes = [a["volume"] for x in trace[stop:] if (a := playing(x, "wood"))]
    assert any(0.1 < v < 0.9 for v in volumes), volumes
    assert not playing(trace[-1], "wood")
    assert trace[-1]["lit"] == -1
    stopped_at = next(a["time"] for a in trace[-1]["audio"] if "wood" in a["src"])
    # Reading on again resumes where it stopped, then waits at the branch for a choice.
    mark = p.evaluate("window.__trace.length")
    p.click("#read")
    p.wait_for_selector("#choices.is-waiting", timeout=4000)
    trace = p.evaluate("clearInterval(window.__timer), window.__trace")
    resumed = [a["time"] for x in trace[mark:] if (a := playing(x, "wood"))]
    assert min(resumed) >= stopped_at - 0.05
    assert s.title() == "The Whispering Wood"
    p.wait_for_function("() => document.getElementById('announce').textContent"
                        " === 'Choose what happens next.'")
    s.check_clean(book_dir)


def test_csp_blocks_injected_inline_script(open_book: Callable[..., Session]) -> None:
    s = open_book()
    ran = s.page.evaluate("""() => new Promise((ok) => {
        document.addEventListener('securitypolicyviolation',
                                  (e) => ok(['blocked', e.violatedDirective]));
        const script = document.createElement('script');
        script.textContent = 'window.__injected = true';
        document.body.append(script);
        setTimeout(() => ok([window.__injected ? 'ran' : 'silent', '']), 1000);
    })""")
    assert ran[0] == "blocked"
    assert ran[1].startswith("script-src")


def test_reduced_motion_turns_without_animation(
    open_book: Callable[..., Session], book_dir: Path
) -> None:
    moving = open_book(viewport=DESKTOP, reduced_motion="no-preference")
    still = open_book(viewport=DESKTOP, reduced_motion="reduce")
    names = []
    for s in (moving, still):
        s.page.click("#next")
        names.append(s.page.evaluate("getComputedStyle(document.getElementById('spread')).animationName"))
    assert names == ["turn-forward", "none"]
    still.check_clean(book_dir)


def test_screenshots_desktop_and_phone(
    open_book: Callable[..., Session], book_dir: Path, tmp_path: Path, update_golden: bool
) -> None:
    desktop = open_book(viewport=DESKTOP)
    desktop.page.click("#next")
    desktop.page.click("#read")
    # Let the read-along light a word so the picture shows it.
    desktop.page.wait_for_selector(".word.is-spoken", timeout=5000)
    desktop.page.screenshot(path=str(tmp_path / "book-desktop.png"))
    phone = open_book(viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="dark")
    phone.page.screenshot(path=str(tmp_path / "book-phone.png"), full_page=True)
    from PIL import Image

    with Image.open(tmp_path / "book-desktop.png") as shot:
        assert shot.size == (DESKTOP["width"], DESKTOP["height"])
    with Image.open(tmp_path / "book-phone.png") as shot:
        assert shot.width == PHONE["width"]
    # The phone view has no horizontal scrolling.
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if update_golden:
        target = ROOT / "docs" / "images" / "book-page.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / "book-desktop.png", target)
    desktop.check_clean(book_dir)
    phone.check_clean(book_dir)
