"""The interactive picture book: an offline HTML folder with pages, choices,
read-along and continuous music.

``write_book`` turns a ``Book`` (filled by the pipeline from the story) into a
folder that opens by double-clicking ``index.html``, from disk, in any modern
browser, with no network::

    OUT/index.html      the page shell, with the book data embedded as JSON
    OUT/book.css        layout (phone to desktop, light and dark)
    OUT/book.js         pages, choices, history, read-to-me, fades, read-along
    OUT/pictures/ID.webp
    OUT/audio/ID.mp3                 (or .ogg where ffmpeg has no MP3 encoder)
    OUT/audio/bridge-FROM-TO.mp3

The data is embedded rather than fetched because browsers refuse ``fetch`` on
``file://``. Every text from the script reaches the page either escaped by
``html.escape`` (title and author in the shell) or as JSON inserted with
``textContent`` by the script; the JSON is escaped so that ``</script>`` in a
narration cannot end its element. A strict Content-Security-Policy allows only
the book's own files.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from storyscore.audio.voices import WordTiming
from storyscore.errors import RenderError
from storyscore.files import write_error
from storyscore.processes import child_preexec

__all__ = [
    "BOOK_FORMAT_VERSION",
    "Book",
    "BookChoice",
    "BookPage",
    "BookWord",
    "ProgressCallback",
    "write_book",
]

BOOK_FORMAT_VERSION = 1
"""Version of the embedded JSON's shape; ``book.js`` checks it."""

GENERATOR = "storyscore book"
"""Marks an ``index.html`` as ours, so a rebuild may replace its folder."""

MAX_PICTURE_SIDE = 2400
"""Pictures larger than this (in pixels, either side) are scaled down."""

ProgressCallback = Callable[[int, int, str], None]
"""Called as ``on_progress(done, total, item)`` after each step of ``write_book``."""

_ASSETS = ("book.css", "book.js")
_WINDOW = 160  # characters a word may lie ahead of the previous one and still be matched
_WEBP_QUALITY = 85
_JPEG_QUALITY = 88


# ------------------------------------------------------------------ model


BookWord = WordTiming
"""A spoken word and its time in the page's audio, in seconds."""


@dataclass(frozen=True)
class BookChoice:
    """A choice at a branch point: its label, the scene it leads to and the
    music that bridges the two pages (``None``: the pages simply crossfade)."""

    text: str
    target_scene_id: str
    bridge_audio: Path | None = None


@dataclass(frozen=True)
class BookPage:
    """One scene as a page: picture, narration with word timings, audio and ways on.

    A page either continues to ``next_scene``, offers ``choices``, or
    ``is_ending``; exactly one of the three.
    """

    scene_id: str
    title: str
    picture: Path
    alt: str
    paragraphs: tuple[str, ...]
    words: tuple[BookWord, ...]
    audio: Path
    choices: tuple[BookChoice, ...] = ()
    next_scene: str | None = None
    bridge_to_next: Path | None = None
    is_ending: bool = False


@dataclass(frozen=True)
class Book:
    """A whole picture book; ``lang`` is the BCP 47 language of its text."""

    title: str
    author: str
    pages: tuple[BookPage, ...]
    first_scene: str
    lang: str = "en"


# ------------------------------------------------------------------ entry


def write_book(book: Book, out_dir: Path, *, on_progress: ProgressCallback | None = None) -> Path:
    """Write ``book`` as an offline HTML picture book into ``out_dir``; return ``out_dir``.

    The folder is built beside ``out_dir`` and swapped in at the end, so a
    failure leaves any previous book untouched. An existing ``out_dir`` is
    replaced only when it is empty or holds a book written by storyscore.
    Raises ``RenderError`` for an inconsistent book, a missing input file, or
    a picture or audio file that cannot be converted.
    """
    _check_book(book)
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create folder {parent}: {exc.strerror}") from exc

    stems = _unique_stems(page.scene_id for page in book.pages)
    bridges = list(_bridges(book, stems))
    total = len(book.pages) * 2 + len(bridges) + 1
    done = 0

    def step(item: str) -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total, item)

    tmp = parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        (tmp / "pictures").mkdir(parents=True)
        (tmp / "audio").mkdir()
        pictures: dict[str, _Picture] = {}
        for page in book.pages:
            pictures[page.scene_id] = _convert_picture(
                page.picture, tmp / "pictures", stems[page.scene_id]
            )
            step(f"picture {page.scene_id}")

        audio = _audio_format()
        jobs = [(page.audio, f"audio/{stems[page.scene_id]}{audio.ext}", page.scene_id)
                for page in book.pages]
        jobs += [(b.source, f"audio/{b.stem}{audio.ext}", b.label) for b in bridges]
        _encode_all(jobs, tmp, audio, step)

        data = _book_data(book, stems, pictures, {(b.origin, b.target): b.stem for b in bridges},
                          audio.ext)
        _write_assets(tmp)
        (tmp / "index.html").write_text(_render_index(book, data), encoding="utf-8")
        step("index.html")
        _swap_in(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        # A full disk or a folder we may not write: the old book stays.
        raise write_error(out_dir, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


# ------------------------------------------------------------ validation


def _check_book(book: Book) -> None:
    """Raise ``RenderError`` unless every page is consistent and every link resolves."""
    if not book.pages:
        raise RenderError(f"book '{book.title}' has no pages")
    ids = [page.scene_id for page in book.pages]
    seen: set[str] = set()
    for scene_id in ids:
        if scene_id in seen:
            raise RenderError(f"book has two pages for scene '{scene_id}'")
        seen.add(scene_id)
    if book.first_scene not in seen:
        raise RenderError(f"book starts at scene '{book.first_scene}', which has no page")
    for page in book.pages:
        where = f"page '{page.scene_id}'"
        ways = [bool(page.choices), page.next_scene is not None, page.is_ending]
        if sum(ways) != 1:
            raise RenderError(
                f"{where} must have exactly one of: choices, a next scene, or an ending",
                hint="a branch point has choices; other pages have a next scene or end",
            )
        if page.bridge_to_next is not None and page.next_scene is None:
            raise RenderError(f"{where} has a bridge to the next page but no next scene")
        targets = [c.target_scene_id for c in page.choices]
        if page.next_scene is not None:
            targets.append(page.next_scene)
        for target in targets:
            if target not in seen:
                raise RenderError(f"{where} leads to scene '{target}', which has no page")
        for word in page.words:
            if not (_finite(word.start) and _finite(word.end)) or word.end < word.start:
                raise RenderError(
                    f"{where}: word '{word.text}' has bad times {word.start}..{word.end}"
                )
        inputs = [("picture", page.picture), ("audio", page.audio)]
        inputs += [("bridge audio", c.bridge_audio) for c in page.choices if c.bridge_audio]
        if page.bridge_to_next is not None:
            inputs.append(("bridge audio", page.bridge_to_next))
        for what, path in inputs:
            if not Path(path).is_file():
                raise RenderError(f"{where}: {what} file {path} does not exist")


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a file, or a folder that is not a storyscore book."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise RenderError(f"{out_dir} exists and is not a folder")
    if not any(out_dir.iterdir()):
        return
    index = out_dir / "index.html"
    try:
        ours = index.is_file() and GENERATOR in index.read_text(encoding="utf-8", errors="replace")
    except OSError:
        ours = False
    if not ours:
        raise RenderError(
            f"{out_dir} exists and is not a storyscore book",
            hint="choose another output folder, or empty this one first",
        )


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Move the finished ``tmp`` folder to ``out_dir``, replacing an old book."""
    old: Path | None = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:12]}"
        try:
            out_dir.rename(old)
        except OSError as exc:
            raise RenderError(f"cannot replace the book in {out_dir}: {exc.strerror}") from exc
    try:
        tmp.rename(out_dir)
    except OSError as exc:
        if old is not None:
            old.rename(out_dir)
        raise RenderError(f"cannot write the book to {out_dir}: {exc.strerror}") from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------- file names


def _unique_stems(ids: Iterable[str]) -> dict[str, str]:
    """A file-name stem per scene id: lower case, safe characters, unique.

    Lower case because ids are case-sensitive but many file systems (and zip
    tools on them) are not: ``Cave`` and ``cave`` must not collide.
    """
    stems: dict[str, str] = {}
    used: set[str] = {"bridge"}
    for scene_id in ids:
        stems[scene_id] = _claim(_slug(scene_id) or "page", used)
    return stems


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")[:60]


def _claim(stem: str, used: set[str]) -> str:
    candidate, n = stem, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate)
    return candidate


@dataclass(frozen=True)
class _Bridge:
    origin: str
    target: str
    source: Path
    stem: str

    @property
    def label(self) -> str:
        return f"bridge {self.origin} → {self.target}"


def _bridges(book: Book, stems: dict[str, str]) -> Iterator[_Bridge]:
    """Every bridge between two pages, once per (from, to) pair."""
    used: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for page in book.pages:
        links = [(c.target_scene_id, c.bridge_audio) for c in page.choices]
        links.append((page.next_scene or "", page.bridge_to_next))
        for target, source in links:
            if source is None or (page.scene_id, target) in seen:
                continue
            seen.add((page.scene_id, target))
            stem = _claim(f"bridge-{stems[page.scene_id]}-{stems[target]}", used)
            yield _Bridge(page.scene_id, target, Path(source), stem)


# --------------------------------------------------------------- pictures


@dataclass(frozen=True)
class _Picture:
    href: str
    width: int
    height: int


def _convert_picture(source: Path, folder: Path, stem: str) -> _Picture:
    """Save ``source`` as WebP (JPEG where Pillow lacks WebP), scaled to fit."""
    from PIL import Image, UnidentifiedImageError, features

    try:
        with Image.open(source) as opened:
            image = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise RenderError(f"cannot read picture {source}: {exc}") from exc
    if max(image.size) > MAX_PICTURE_SIDE:
        image.thumbnail((MAX_PICTURE_SIDE, MAX_PICTURE_SIDE), Image.Resampling.LANCZOS)
    if features.check("webp"):
        name = f"{stem}.webp"
        image.save(folder / name, "WEBP", quality=_WEBP_QUALITY, method=4)
    else:
        name = f"{stem}.jpg"
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, "white")
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(folder / name, "JPEG", quality=_JPEG_QUALITY, optimize=True)
    return _Picture(f"pictures/{name}", image.width, image.height)


def _has_alpha(image: Any) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


# ------------------------------------------------------------------ audio


@dataclass(frozen=True)
class _AudioFormat:
    ffmpeg: str
    ext: str
    codec_args: tuple[str, ...]


def _audio_format() -> _AudioFormat:
    """MP3 when ffmpeg has LAME (every browser plays it), else Opus in Ogg."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise RenderError(
            "the picture book needs ffmpeg from imageio-ffmpeg",
            hint="install it with: pip install 'imageio-ffmpeg>=0.5'",
        ) from exc
    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise RenderError(f"cannot find ffmpeg: {exc}") from exc
    return _format_for(exe)


@lru_cache(maxsize=4)
def _format_for(exe: str) -> _AudioFormat:
    encoders = _run([exe, "-hide_banner", "-encoders"], "list ffmpeg's encoders")
    names = {line.split()[1] for line in encoders.splitlines() if len(line.split()) > 1}
    if "libmp3lame" in names:
        # VBR MP3 with a Xing header: exact durations and gapless trimming in browsers.
        return _AudioFormat(exe, ".mp3", ("-c:a", "libmp3lame", "-q:a", "3"))
    if "libopus" in names:
        return _AudioFormat(exe, ".ogg", ("-c:a", "libopus", "-b:a", "128k", "-ar", "48000"))
    raise RenderError(
        "this ffmpeg has neither an MP3 (libmp3lame) nor an Opus (libopus) encoder",
        hint="reinstall imageio-ffmpeg: pip install --force-reinstall imageio-ffmpeg",
    )


def _encode_all(
    jobs: Sequence[tuple[Path, str, str]], root: Path, audio: _AudioFormat,
    step: Callable[[str], None],
) -> None:
    """Encode every ``(source, relative target, label)``; each source only once."""
    first_target: dict[Path, str] = {}
    unique: list[tuple[Path, str, str]] = []
    copies: list[tuple[str, str, str]] = []
    for source, target, label in jobs:
        key = Path(source).resolve()
        if key in first_target:
            copies.append((first_target[key], target, label))
        else:
            first_target[key] = target
            unique.append((Path(source), target, label))
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_encode, source, root / target, audio)
                   for source, target, _ in unique]
        for future, (_, _, label) in zip(futures, unique, strict=True):
            future.result()
            step(label)
    for existing, target, label in copies:
        shutil.copyfile(root / existing, root / target)
        step(label)


def _encode(source: Path, target: Path, audio: _AudioFormat) -> None:
    _run(
        [audio.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
         "-i", str(source), "-vn", "-map_metadata", "-1",
         "-fflags", "+bitexact", "-flags:a", "+bitexact", *audio.codec_args, str(target)],
        f"encode {source}",
    )
    if not target.is_file() or target.stat().st_size == 0:
        raise RenderError(f"ffmpeg wrote no audio for {source}")


def _run(command: list[str], what: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600,
                              preexec_fn=child_preexec())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"cannot {what}: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-3:]
        raise RenderError(f"cannot {what}: ffmpeg failed", hint=" / ".join(detail) or None)
    return done.stdout


# -------------------------------------------------------------- read-along


def segment_paragraphs(
    paragraphs: Sequence[str], words: Sequence[BookWord]
) -> list[list[tuple[str, int]]]:
    """Cut each paragraph into ``(text, word index)`` runs; ``-1`` marks text between words.

    Words are found in reading order, each at or after the previous one and
    within a short distance of it; a word that cannot be found (a voice that
    spoke "1984" as three words) stays unhighlighted but does not derail the rest.
    """
    placed: list[list[tuple[int, int, int]]] = [[] for _ in paragraphs]
    para, pos = 0, 0
    for index, word in enumerate(words):
        found = _find_word(paragraphs, word.text.strip(), para, pos)
        if found is not None:
            para, start, pos = found
            placed[para].append((start, pos, index))
    segments: list[list[tuple[str, int]]] = []
    for text, spans in zip(paragraphs, placed, strict=True):
        runs: list[tuple[str, int]] = []
        cursor = 0
        for start, end, index in spans:
            if start > cursor:
                runs.append((text[cursor:start], -1))
            runs.append((text[start:end], index))
            cursor = end
        if cursor < len(text):
            runs.append((text[cursor:], -1))
        segments.append(runs)
    return segments


def _find_word(
    paragraphs: Sequence[str], needle: str, para: int, pos: int
) -> tuple[int, int, int] | None:
    if not needle or para >= len(paragraphs):
        return None
    before = r"(?<!\w)" if needle[0].isalnum() else ""
    after = r"(?!\w)" if needle[-1].isalnum() else ""
    pattern = re.compile(before + re.escape(needle) + after, re.IGNORECASE)
    for p in range(para, len(paragraphs)):
        start = pos if p == para else 0
        match = pattern.search(paragraphs[p], start, start + _WINDOW + len(needle))
        if match:
            return p, match.start(), match.end()
    return None


# ------------------------------------------------------------------- output


def _book_data(
    book: Book, stems: dict[str, str], pictures: dict[str, _Picture],
    bridges: dict[tuple[str, str], str], ext: str,
) -> dict[str, Any]:
    """The JSON the page script reads: everything about every page, by relative URL."""

    def bridge(origin: str, target: str | None) -> str | None:
        stem = bridges.get((origin, target or ""))
        return None if stem is None else f"audio/{stem}{ext}"

    pages = []
    for page in book.pages:
        picture = pictures[page.scene_id]
        pages.append({
            "id": page.scene_id,
            "title": page.title,
            "picture": picture.href,
            "width": picture.width,
            "height": picture.height,
            "alt": page.alt,
            "paragraphs": segment_paragraphs(page.paragraphs, page.words),
            "words": [[round(w.start, 3), round(w.end, 3)] for w in page.words],
            "audio": f"audio/{stems[page.scene_id]}{ext}",
            "choices": [
                {"text": c.text, "target": c.target_scene_id,
                 "bridge": bridge(page.scene_id, c.target_scene_id)}
                for c in page.choices
            ],
            "next": page.next_scene,
            "bridge": bridge(page.scene_id, page.next_scene),
            "ending": page.is_ending,
        })
    return {
        "version": BOOK_FORMAT_VERSION,
        "title": book.title,
        "author": book.author,
        "lang": book.lang,
        "first": book.first_scene,
        "pages": pages,
    }


_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def embed_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>``, ``&``, U+2028 or U+2029.

    JSON escapes them as ``\\uXXXX`` inside strings, which decode back to the
    same text; outside strings they cannot occur.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


def _asset(name: str) -> str:
    return resources.files("storyscore.export").joinpath("book_assets", name).read_text("utf-8")


def _write_assets(folder: Path) -> None:
    for name in _ASSETS:
        (folder / name).write_text(_asset(name), encoding="utf-8")


def _render_index(book: Book, data: dict[str, Any]) -> str:
    lang = book.lang if re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", book.lang) else "und"
    values = {
        "lang": lang,
        "generator": GENERATOR,
        "title": html.escape(book.title),
        "byline": html.escape(f"by {book.author}" if book.author.strip() else ""),
        "data": embed_json(data),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], _asset("index.html"))
