"""Golden JSON snapshots of the model for every example story and the everything script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DATA, ROOT, STORIES, compare_golden
from storyscore.dsl.load import load_story
from storyscore.model import to_jsonable

SCRIPTS = [*STORIES, DATA / "everything.sco"]


def test_there_are_at_least_three_stories() -> None:
    assert len(STORIES) >= 3
    assert any(len(c.choices) > 1 for p in STORIES for c in load_story(p).story.scenes)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_model_snapshot(script: Path, update_golden: bool,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the snapshot holds the script's path as the user typed it
    story = load_story(script.relative_to(ROOT)).story
    text = json.dumps(to_jsonable(story), indent=2, ensure_ascii=False) + "\n"
    compare_golden(ROOT / "tests" / "golden" / f"{script.stem}.json", text, update_golden)
