"""The picture book exporter: folder structure, every branch, escaping, offline-only output."""

from __future__ import annotations

import json
import re
import wave
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyscore.errors import RenderError
from storyscore.export.book import (
    Book,
    BookChoice,
    BookPage,
    BookWord,
    embed_json,
    segment_paragraphs,
    write_book,
)

EVIL = "<script>alert(1)</script>"
BREAKOUT = "</script><script>alert(2)</script>"
RATE = 48000


def write_wav(
    path: Path, seconds: float, words: int = 0, base: float = 220.0
) -> tuple[BookWord, ...]:
    """A narration-like WAV: a soft chord bed with one tone burst per word; returns the timings."""
    t = np.arange(int(seconds * RATE)) / RATE
    signal = 0.08 * (np.sin(2 * np.pi * base * t) + np.sin(2 * np.pi * base * 1.5 * t))
    timings = []
    if words:
        slot = (seconds - 0.4) / words
        for i in range(words):
            start, end = 0.2 + i * slot, 0.2 + i * slot + slot * 0.7
            inside = (t >= start) & (t < end)
            signal[inside] += 0.4 * np.sin(2 * np.pi * (440 + 40 * i) * t[inside])
            timings.append((start, end))
    fade = np.minimum(1, np.minimum(t, t[-1] - t) / 0.05)
    samples = (np.clip(signal * fade, -1, 1) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return tuple(BookWord("", s, e) for s, e in timings)


def write_picture(
    path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (192, 128)
) -> Path:
    """A small landscape: a sky fading from ``colour``, a sun, two hills and a few trees."""
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    sky = np.array(colour, float) * (0.55 + 0.45 * y) + np.array([255.0, 240, 220]) * 0.45 * y
    image = Image.fromarray(np.broadcast_to(np.clip(sky, 0, 255), (h, w, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    r = h // 9
    draw.ellipse((w * 0.72 - r, h * 0.25 - r, w * 0.72 + r, h * 0.25 + r), fill=(255, 236, 170))
    draw.ellipse((-w * 0.3, h * 0.55, w * 0.8, h * 1.6), fill=(84, 134, 84))
    draw.ellipse((w * 0.35, h * 0.62, w * 1.4, h * 1.7), fill=(62, 108, 70))
    for k, x in enumerate((0.12, 0.2, 0.86)):
        top = h * (0.42 + 0.05 * k)
        draw.polygon([(w * x, top), (w * x - h * 0.07, h * 0.72), (w * x + h * 0.07, h * 0.72)],
                     fill=(40, 80, 52))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def page(src: Path, scene_id: str, title: str, text: str, colour: tuple[int, int, int],
         seconds: float = 3.0, size: tuple[int, int] = (192, 128), **ways: object) -> BookPage:
    """A page whose words are the words of ``text``, spread evenly over its audio."""
    paragraphs = tuple(p for p in text.split("\n\n") if p)
    tokens = [re.sub(r"^\W+|\W+$", "", w) for p in paragraphs for w in p.split()]
    tokens = [w for w in tokens if w]
    slots = write_wav(src / f"{scene_id}.wav", seconds, len(tokens), 180 + 20 * len(scene_id))
    words = tuple(BookWord(w, s.start, s.end) for w, s in zip(tokens, slots, strict=True))
    return BookPage(
        scene_id=scene_id, title=title,
        picture=write_picture(src / f"{scene_id}.png", colour, size),
        alt=f"a picture of {title}", paragraphs=paragraphs, words=words,
        audio=src / f"{scene_id}.wav", **ways,  # type: ignore[arg-type]
    )


def make_book(src: Path) -> Book:
    """A branching book: start → hall (bridge) → choice of red (bridge) or blue → ending."""
    bridge = src / "bridge.wav"
    write_wav(bridge, 1.0, base=330)
    pages = (
        page(src, "start", "The Door", "Once upon a time there was a door.\n\nIt was very old.",
             (120, 160, 230), next_scene="hall", bridge_to_next=bridge),
        page(src, "hall", "The Hall", f"Two doors & one {BREAKOUT} cat. Which one?",
             (200, 170, 120), choices=(
                 BookChoice("Open the red door", "red", bridge),
                 BookChoice(f"Open the {EVIL} door", "Blue"),
             )),
        page(src, "red", "The Red Room", "Everything is red. The end.", (220, 90, 80),
             is_ending=True),
        page(src, "Blue", f"Blue {EVIL}", "Everything is blue\u2028and calm.", (90, 120, 220),
             next_scene="blue-end"),
        page(src, "blue-end", "Home", "And so they went home.", (150, 190, 150), is_ending=True),
    )
    return Book(title=f"The {EVIL} Doors", author="A. Tester & Co", pages=pages,
                first_scene="start")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Book, Path]:
    root = tmp_path_factory.mktemp("book")
    book = make_book(root / "src")
    return book, write_book(book, root / "out")


class Markup(HTMLParser):
    """Collects the elements of a page and the text of its script elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(index: Path) -> Markup:
    parser = Markup()
    parser.feed(index.read_text(encoding="utf-8"))
    parser.close()
    return parser


def book_json(index: Path) -> dict[str, object]:
    markup = parse(index)
    (data,) = [text for (tag, attrs), text in zip(
        [t for t in markup.tags if t[0] == "script"], markup.scripts, strict=True)
        if attrs.get("type") == "application/json"]
    result: dict[str, object] = json.loads(data)
    return result


def test_folder_holds_every_page_picture_and_audio(built: tuple[Book, Path]) -> None:
    _, out = built
    assert sorted(p.name for p in out.iterdir()) == [
        "audio", "book.css", "book.js", "index.html", "pictures"]
    data = book_json(out / "index.html")
    pages = {p["id"]: p for p in data["pages"]}  # type: ignore[attr-defined]
    assert list(pages) == ["start", "hall", "red", "Blue", "blue-end"]
    assert data["first"] == "start"
    ext = Path(pages["start"]["audio"]).suffix
    assert ext in (".mp3", ".ogg")
    for scene_id, entry in pages.items():
        stem = scene_id.lower()
        assert entry["picture"] in (f"pictures/{stem}.webp", f"pictures/{stem}.jpg")
        assert entry["audio"] == f"audio/{stem}{ext}"
        assert (entry["width"], entry["height"]) == (192, 128)
        assert entry["alt"] == f"a picture of {entry['title']}"
    assert pages["start"]["next"] == "hall"
    assert pages["start"]["bridge"] == f"audio/bridge-start-hall{ext}"
    assert [(c["target"], c["bridge"]) for c in pages["hall"]["choices"]] == [
        ("red", f"audio/bridge-hall-red{ext}"), ("Blue", None)]
    assert [p["ending"] for p in pages.values()] == [False, False, True, False, True]
    linked = [entry[key] for entry in pages.values() for key in ("picture", "audio")]
    linked += [entry["bridge"] for entry in pages.values() if entry["bridge"]]
    linked += [c["bridge"] for entry in pages.values() for c in entry["choices"] if c["bridge"]]
    for href in linked:
        assert (out / href).stat().st_size > 100, href
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert on_disk == {"index.html", "book.css", "book.js", *linked}
    with Image.open(out / pages["hall"]["picture"]) as picture:
        assert picture.size == (192, 128)


def test_audio_is_what_browsers_play(built: tuple[Book, Path]) -> None:
    _, out = built
    for path in (out / "audio").iterdir():
        head = path.read_bytes()[:4]
        assert head.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3", b"OggS")), path.name


def test_read_along_words_map_onto_the_text(built: tuple[Book, Path]) -> None:
    book, out = built
    data = book_json(out / "index.html")
    for entry, source in zip(data["pages"], book.pages, strict=True):  # type: ignore[call-overload]
        text = ["".join(run[0] for run in para) for para in entry["paragraphs"]]
        assert text == list(source.paragraphs)
        spoken = [run for para in entry["paragraphs"] for run in para if run[1] >= 0]
        assert [run[1] for run in spoken] == list(range(len(source.words)))
        assert [run[0] for run in spoken] == [w.text for w in source.words]
        assert entry["words"] == [[round(w.start, 3), round(w.end, 3)] for w in source.words]


def test_segment_skips_unfound_words_and_keeps_order() -> None:
    words = (BookWord("It", 0, 1), BookWord("nineteen", 1, 2), BookWord("was", 2, 3),
             BookWord("it", 3, 4), BookWord("cat", 4, 5))
    segments = segment_paragraphs(("It was 1984.", "Was it a cat?"), words)
    assert segments == [
        [("It", 0), (" ", -1), ("was", 2), (" 1984.", -1)],
        [("Was ", -1), ("it", 3), (" a ", -1), ("cat", 4), ("?", -1)],
    ]


def test_script_text_stays_text(built: tuple[Book, Path]) -> None:
    _, out = built
    html_text = (out / "index.html").read_text(encoding="utf-8")
    markup = parse(out / "index.html")
    scripts = [attrs for tag, attrs in markup.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "book-data"}, {"src": "book.js"}]
    assert "alert" not in "".join(str(attrs) for _, attrs in markup.tags)
    # The title and author appear escaped in the shell, and nowhere as markup.
    assert "<title>The &lt;script&gt;alert(1)&lt;/script&gt; Doors</title>" in html_text
    assert "by A. Tester &amp; Co" in html_text
    assert EVIL not in html_text
    assert "</script><script>alert" not in html_text
    assert "\u2028" not in html_text
    data = book_json(out / "index.html")
    pages = {p["id"]: p for p in data["pages"]}  # type: ignore[attr-defined]
    assert data["title"] == f"The {EVIL} Doors"
    assert pages["Blue"]["title"] == f"Blue {EVIL}"
    assert pages["hall"]["choices"][1]["text"] == f"Open the {EVIL} door"
    hall = "".join(run[0] for run in pages["hall"]["paragraphs"][0])
    assert hall == f"Two doors & one {BREAKOUT} cat. Which one?"
    blue = "".join(r[0] for r in pages["Blue"]["paragraphs"][0])
    assert blue == "Everything is blue\u2028and calm."


def test_embed_json_round_trips_dangerous_text() -> None:
    data = {"a": "</script><!-- <script> & \u2028\u2029 ' \" \\"}
    text = embed_json(data)
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == data


def test_output_is_offline_and_strict(built: tuple[Book, Path]) -> None:
    _, out = built
    for name in ("index.html", "book.js", "book.css"):
        text = (out / name).read_text(encoding="utf-8")
        assert not re.search(r"https?:|//[a-z]|ftp:|@import|url\(", text, re.IGNORECASE), name
    attributes = [name for _, attrs in parse(out / "index.html").tags for name in attrs]
    assert not [name for name in attributes if name.startswith("on")]
    html_text = (out / "index.html").read_text(encoding="utf-8")
    csp = [attrs["content"] for tag, attrs in parse(out / "index.html").tags
           if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp == ["default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                   "media-src 'self'; base-uri 'none'; form-action 'none'"]
    assert '<html lang="en">' in html_text
    assert "innerHTML" not in (out / "book.js").read_text(encoding="utf-8")


def test_rebuild_replaces_the_book_atomically(tmp_path: Path) -> None:
    book = make_book(tmp_path / "src")
    out = tmp_path / "out"
    calls: list[tuple[int, int, str]] = []
    write_book(book, out, on_progress=lambda done, total, item: calls.append((done, total, item)))
    assert [c[0] for c in calls] == list(range(1, len(calls) + 1))
    assert len(calls) == 5 * 2 + 2 + 1  # pictures, page audio, two bridges, index.html
    assert {c[1] for c in calls} == {len(calls)}
    (out / "stale.txt").write_text("old")
    shorter = replace(book, pages=(replace(book.pages[0], next_scene=None, bridge_to_next=None,
                                            is_ending=True),), title="Short")
    write_book(shorter, out)
    assert not (out / "stale.txt").exists()
    assert [p.name for p in (out / "pictures").iterdir()] == ["start.webp"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_refuses_to_replace_a_folder_that_is_not_a_book(tmp_path: Path) -> None:
    book = make_book(tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(RenderError, match="is not a storyscore book"):
        write_book(book, out)
    assert (out / "thesis.tex").read_text() == "precious"


def test_failure_leaves_the_old_book_and_no_temp_folder(tmp_path: Path) -> None:
    book = make_book(tmp_path / "src")
    out = tmp_path / "out"
    write_book(book, out)
    before = (out / "index.html").read_text(encoding="utf-8")
    (tmp_path / "src" / "red.wav").write_bytes(b"not a wav at all")
    with pytest.raises(RenderError, match="cannot encode"):
        write_book(replace(book, title="Changed"), out)
    assert (out / "index.html").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: replace(b, first_scene="nowhere"),
     "book starts at scene 'nowhere', which has no page"),
    (lambda b: replace(b, pages=(*b.pages, b.pages[0])), "book has two pages for scene 'start'"),
    (lambda b: replace(b, pages=(replace(b.pages[0], next_scene="attic"), *b.pages[1:])),
     "page 'start' leads to scene 'attic', which has no page"),
    (lambda b: replace(b, pages=(replace(b.pages[0], is_ending=True), *b.pages[1:])),
     "page 'start' must have exactly one of: choices, a next scene, or an ending"),
    (lambda b: replace(b, pages=(replace(b.pages[0], audio=Path("/no/such.wav")), *b.pages[1:])),
     "page 'start': audio file /no/such.wav does not exist"),
    (lambda b: replace(b, pages=(replace(b.pages[0], words=(BookWord("x", 2.0, 1.0),)),
                                 *b.pages[1:])),
     "page 'start': word 'x' has bad times 2.0..1.0"),
])
def test_inconsistent_books_are_refused(tmp_path: Path, change: object, message: str) -> None:
    book = change(make_book(tmp_path / "src"))  # type: ignore[operator]
    with pytest.raises(RenderError) as caught:
        write_book(book, tmp_path / "out")
    assert caught.value.message == message
    assert not (tmp_path / "out").exists()
