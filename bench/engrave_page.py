"""Engrave the first page of a story's score as a PNG, for the documentation.

Run: ``python bench/engrave_page.py STORY.sco OUT.png [--size 96x64]``.

Composes the story's default path as ``storyscore score`` does, lays the
MusicXML out with verovio (the engraver the tests use) and photographs page 1
in headless Chromium (through playwright), which draws verovio's embedded
music font, so the note in each metronome mark is a note and not a box.
"""

from __future__ import annotations

import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
WIDTH = 1400


def first_page_svg(musicxml: bytes) -> str:
    """Page 1 of the score as SVG, its music font embedded."""
    import verovio

    toolkit = verovio.toolkit()
    toolkit.setOptions({"pageWidth": 2100, "pageHeight": 2970, "scale": 35,
                        "adjustPageHeight": True, "footer": "none",
                        "smuflTextFont": "embedded"})
    if not toolkit.loadData(musicxml.decode("utf-8")):
        raise SystemExit("verovio could not read the score")
    return str(toolkit.renderToSVG(1))


def photograph(svg: str, out: Path) -> None:
    """The SVG as a PNG ``WIDTH`` pixels wide, on white."""
    from playwright.sync_api import sync_playwright

    html = ("<html><body style='margin:0;background:white'>"
            f"<div style='width:{WIDTH}px'>{svg}</div></body></html>")
    html = html.replace("<svg ", f"<svg style='width:{WIDTH}px;height:auto' ", 1)
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": WIDTH, "height": 800})
        page.set_content(html)
        page.locator("svg").first.screenshot(path=str(out))
        browser.close()


def main() -> None:
    from storyscore.cache import Cache
    from storyscore.dsl.load import load_story
    from storyscore.pipeline.prepare import prepare
    from storyscore.pipeline.soundtrack import compose_path
    from storyscore.settings import Overrides, apply, parse_size
    from storyscore.timeline import default_path

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) < 2:
        raise SystemExit(__doc__)
    size = sys.argv[sys.argv.index("--size") + 1] if "--size" in sys.argv else None
    story = load_story(Path(args[0])).story
    if size:
        story = apply(story, Overrides(size=parse_size(size)))
        args = [a for a in args if a != size]
    scenes = default_path(story)
    with Cache.from_env() as cache:
        composed = compose_path(prepare(story, scenes, cache), scenes).score
    photograph(first_page_svg(composed.musicxml_bytes()), Path(args[1]))
    print(args[1])


if __name__ == "__main__":
    main()
