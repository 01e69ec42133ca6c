"""``storyscore.moviepy.clip``: a rendered story as a real moviepy clip, with its
audio, put between clips of one's own (needs the ``moviepy`` extra)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import numpy as np
import pytest

import storyscore
from storyscore.model import Story
from storyscore.moviepy import INSTALL_COMMAND, clip
from storyscore.render import probe

STORY = '''title  "Clip"
size   96x64
fps    8
voice  none

scene one 2s
    prompt  "a red barn in a green field at noon"

scene two 2s
    prompt  "a lighthouse at night, storm"
    end
'''


@pytest.fixture
def story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Story:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    script = tmp_path / "clip.sco"
    script.write_text(STORY)
    return storyscore.load(script)


def test_without_moviepy_the_install_command_is_named(
        story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moviepy", None)
    with pytest.raises(storyscore.StoryscoreError) as caught:
        clip(story)
    assert caught.value.message == f"storyscore.moviepy needs moviepy 2: {INSTALL_COMMAND}"


@pytest.mark.slow
# moviepy 2.2's ffmpeg readers leave the pipes of an ffmpeg that has already
# exited unclosed (FFMPEG_VideoReader.close); Python reports them when collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_story_between_clips_of_ones_own(story: Story,
                                           tmp_path: Path) -> None:
    moviepy = pytest.importorskip("moviepy")
    told = clip(story)
    assert told.duration == pytest.approx(4.0, abs=0.15)
    assert tuple(told.size) == (96, 64)
    assert told.fps == 8
    assert told.audio is not None
    # At the reader's own rate: moviepy 2.2 resampling on the fly (fps=8000)
    # returns one repeated sample for this file.
    sound = told.audio.to_soundarray()
    assert sound.shape[1] == 2
    assert float(np.abs(sound).max()) > 0.01  # the score is heard

    red = moviepy.ColorClip(size=(96, 64), color=(255, 0, 0), duration=1)
    movie = moviepy.concatenate_videoclips([red, told])
    assert movie.duration == pytest.approx(5.0, abs=0.15)
    assert tuple(movie.get_frame(0.5)[10, 10]) == (255, 0, 0)
    assert np.array_equal(movie.get_frame(2.5), told.get_frame(1.5))
    out = tmp_path / "movie.mp4"
    movie.write_videofile(str(out), fps=8, logger=None)
    info = probe(out)
    assert info.duration == pytest.approx(5.0, abs=0.3)
    assert len(info.streams_of("audio")) == 1
    told.close()

    # With an output, the MP4 and its sidecars stay where asked.
    kept = clip(story, tmp_path / "kept" / "story.mp4", path="two")
    assert kept.filename == str(tmp_path / "kept" / "story.mp4")
    assert (tmp_path / "kept" / "story.mid").is_file()
    kept.close()
    del told, kept, movie, red
    gc.collect()  # the clips' readers go while this test's warning filters hold
