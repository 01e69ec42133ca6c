"""``storyscore render`` end to end, at tiny sizes: the MP4 and its sidecars, the
cache at work on re-renders, branches, and nothing lost on failure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
import srt
from typer.testing import CliRunner

from storyscore.audio.soundfonts import choose_soundfont
from storyscore.audio.synth import default_soundfont
from storyscore.cli import app
from storyscore.render import Segment, probe

STORY = '''title  "Tiny"
author "Tests"
size   96x64
fps    8
voice  espeak speed 1.5
transition crossfade 1s

scene one "One" 3s
    prompt  "a lighthouse at night, storm"
    narrate "A short line."
    camera  zoom-in
    choice  "Left" -> two
    choice  "Right" -> three

scene two 3s
    prompt  "a sunny meadow at noon"
    narrate "The left path."
    transition wipe-left 500ms
    next    four

scene three 3s
    prompt  "a quiet lake at dusk"
    narrate "The right path."
    next    four

scene four 3s
    prompt  "a village at sunset"
    voice   none
    music   silent
    end
'''


@pytest.fixture
def story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.sco"
    path.write_text(STORY)
    return path


def render(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["render", *args])
    return result.exit_code, result.stderr


def test_render_writes_the_mp4_and_its_sidecars_then_reuses_the_cache(story: Path) -> None:
    code, err = render(str(story))
    assert code == 0, err
    mp4 = Path("tiny.mp4")
    info = probe(mp4)
    (video,) = info.streams_of("video")
    (audio,) = info.streams_of("audio")
    (subtitle,) = info.streams_of("subtitle")
    assert (video.codec, video.profile, video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (video.width, video.height, video.fps) == (96, 64, 8)
    assert (audio.codec, audio.sample_rate) == ("aac", 48000)
    assert subtitle.codec == "mov_text"
    assert info.metadata.get("title") == "Tiny"
    assert info.duration is not None
    assert abs(info.duration - 9.0) < 0.2  # one + two + four, 3 s each
    cues = list(srt.parse(Path("tiny.srt").read_text()))
    assert [c.content.replace("\n", " ") for c in cues] == ["A short line.", "The left path."]
    assert cues[1].start.total_seconds() >= 3.5  # narration starts 0.5 s into its scene
    assert Path("tiny.musicxml").read_text().lstrip().startswith("<?xml")
    assert Path("tiny.mid").read_bytes()[:4] == b"MThd"
    assert "from the cache: 0/4 pictures" in err
    assert f"music played with {choose_soundfont(None).describe()}" in err
    # The delivered audio, measured as decoded from the MP4.
    loudness, peak = re.search(r"audio (-\d+\.\d) LUFS, true peak (-\d+\.\d) dBTP", err).groups()
    assert abs(float(loudness) + 16.0) <= 0.5
    assert float(peak) <= -1.0

    code, err = render(str(story), "--soundfont", str(default_soundfont()))
    assert code == 0, err
    # one, two, four: three bodies and two transitions.
    assert "from the cache: 4/4 pictures, 3/3 narrations, 5/5 video segments" in err
    assert f"music played with TimGM6mb.sf2 (setting: {default_soundfont()})" in err

    # Editing a narration re-encodes no video.
    story.write_text(STORY.replace("The left path.", "The left path, again."))
    code, err = render(str(story))
    assert code == 0, err
    assert "2/3 narrations, 5/5 video segments" in err

    # Editing a prompt re-encodes that scene and the transitions into and out of it:
    # the bodies of one and four stay cached.
    story.write_text(STORY.replace("a sunny meadow at noon", "a snowy meadow at dawn"))
    code, err = render(str(story))
    assert code == 0, err
    assert "3/4 pictures, 3/3 narrations, 2/5 video segments" in err


def test_path_and_all_paths(story: Path) -> None:
    code, err = render(str(story), "--path", "three", "-o", "right.mp4", "--quiet")
    assert (code, err) == (0, "")
    assert "The right path." in Path("right.srt").read_text()
    code, err = render(str(story), "--all-paths", "-q")
    assert code == 0, err
    assert Path("tiny-two.mp4").exists()
    assert Path("tiny-three.mp4").exists()


def test_a_failed_render_leaves_the_previous_output(story: Path) -> None:
    Path("tiny.mp4").write_bytes(b"previous")
    story.write_text(STORY.replace('    prompt  "a quiet lake at dusk"', '    image   "gone.png"'))
    code, err = render(str(story))
    assert code == 2
    assert "image file 'gone.png' does not exist" in err
    assert Path("tiny.mp4").read_bytes() == b"previous"
    assert not Path("tiny.srt").exists()


def test_draft_renders_at_half_size(story: Path) -> None:
    code, err = render(str(story), "--draft", "-q", "-o", "draft.mp4")
    assert (code, err) == (0, "")
    (video,) = probe(Path("draft.mp4")).streams_of("video")
    assert (video.width, video.height) == (48, 32)


def test_bad_options(story: Path) -> None:
    code, err = render(str(story), "--path", "thre")
    assert code == 2
    assert "there is no scene 'thre'" in err
    assert "did you mean 'three'?" in err
    code, err = render(str(story), "-o", "out.avi")
    assert "the video is an .mp4 file" in err
    assert err.endswith("= use -o out.mp4\n")  # it suggested out.avi.mp4
    code, err = render(str(story), "-o", "take.2")
    assert err.endswith("= use -o take.2.mp4\n")


def test_segments_encode_while_the_story_is_painted_and_composed(
        story: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import storyscore
    from storyscore.render import SegmentPool

    events: list[str] = []
    real_submit = SegmentPool.submit

    def submit(pool: SegmentPool, segments: Sequence[Segment]) -> None:
        before = pool.submitted
        real_submit(pool, segments)
        events.extend(["segment"] * (pool.submitted - before))

    monkeypatch.setattr(SegmentPool, "submit", submit)
    result = storyscore.render(
        storyscore.load(story), "tiny.mp4", jobs=2,
        on_progress=lambda stage, done, total, item: events.append(stage) if done else None)
    # one, two and four are 3 s scenes: their segments are certain once painted and
    # narrated, so they go to the workers before the score is composed.
    first_composing = events.index("composing")
    assert events[:first_composing].count("segment") >= 2
    assert events.index("segment") < events.index("painting") + 4  # with the first pictures
    # Nothing is encoded twice, and the video took every segment the workers made.
    assert events.count("segment") == 5
    assert result.summary(1.0).endswith("0/5 video segments; took 1.0s")


@pytest.mark.slow
def test_the_job_count_does_not_change_a_byte(
        story: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    outputs = []
    for jobs in ("1", "2"):
        monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / f"cache-{jobs}"))
        code, err = render(str(story), "-j", jobs, "-q", "-o", f"jobs-{jobs}.mp4")
        assert (code, err) == (0, "")
        outputs.append([Path(f"jobs-{jobs}{suffix}").read_bytes()
                        for suffix in (".mp4", ".srt", ".musicxml", ".mid")])
    assert outputs[0] == outputs[1]


def test_a_segment_waits_for_the_scenes_whose_length_the_score_decides(tmp_path: Path) -> None:
    import storyscore
    from storyscore.cache import Cache
    from storyscore.pipeline.video import EncodeAhead
    from storyscore.render import EncodeSettings, SegmentPool

    def certain(lengths: list[str], painted: int) -> int:
        script = tmp_path / "lengths.sco"
        script.write_text('title "Lengths"\nsize 96x64\nfps 8\n\n' + "".join(
            f'scene s{i} {length}\n    prompt "a lake"\n    narrate "Words."\n\n'
            for i, length in enumerate(lengths)))
        story = storyscore.load(script)
        settings = EncodeSettings()
        ahead = EncodeAhead(story, [story.scenes], SegmentPool(Cache(tmp_path / "c"), settings, 1),
                            settings)
        ahead.speech = {scene.id: 1.0 for scene in story.scenes}
        ahead.pictures = {scene.id: tmp_path / f"{scene.id}.png"
                          for scene in story.scenes[:painted]}
        return ahead._certain(list(story.scenes))

    # How many leading scenes are known: their bodies and the transitions between them.
    assert certain(["3s", "3s", "3s"], 3) == 3  # every length set: the whole video
    assert certain(["3s", "3s", "3s"], 2) == 2  # the blend into the third picture waits for it
    assert certain(["3s", "3s", ""], 3) == 2  # the last scene's length comes from the score
    assert certain(["3s", "", "3s"], 3) == 1  # and so does every start after an auto scene
