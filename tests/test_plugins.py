"""Third-party painters and voices, discovered for real through entry points.

The plugin is ``tests/plugins/storyscore_example_plugin.py``; each test
installs it as pip would, by writing its ``*.dist-info`` (metadata and
entry points) into a folder on ``sys.path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import storyscore
from conftest import ROOT
from storyscore.audio.voices import available_voices, make_voice
from storyscore.cache import Cache
from storyscore.cli import app
from storyscore.errors import AudioError, PaintError
from storyscore.paint.registry import available_painters, make_painter, plugin_painters
from storyscore.pipeline.prepare import prepare

PLUGIN_SOURCE = ROOT / "tests" / "plugins"
ENTRY_POINTS = """\
[storyscore.painters]
flat = storyscore_example_plugin:make_painter
procedural = storyscore_example_plugin:make_painter

[storyscore.voices]
beep = storyscore_example_plugin:make_voice
"""

STORY = '''title   "Plugged in"
size    96x64
painter flat "#3366cc"
voice   beep

scene a 2s
    prompt  "anything at all"
    narrate "Three little words."
'''


def install(site: Path, entry_points: str = ENTRY_POINTS) -> Path:
    """Write the plugin's dist-info into ``site``, as ``pip install`` would."""
    info = site / "storyscore_example_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: storyscore-example-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    return site


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(PLUGIN_SOURCE))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("STORYSCORE_CACHE", str(tmp_path / "cache"))
    return site


def test_nothing_is_listed_without_the_plugin() -> None:
    assert plugin_painters() == ()
    assert "flat" not in available_painters()


@pytest.mark.usefixtures("plugin")
def test_the_plugin_painter_is_found_and_paints() -> None:
    assert plugin_painters() == ("flat",)  # a built-in name is never taken over
    assert available_painters()[-1] == "flat"
    painter = make_painter("flat", "red")
    assert (painter.name, painter.version) == ("flat", "1")
    assert make_painter("procedural").name == "procedural"
    with pytest.raises(PaintError) as caught:
        make_painter("flta")
    assert caught.value.message.endswith(", flat)")
    assert caught.value.hint == "did you mean 'flat'?"


@pytest.mark.usefixtures("plugin")
def test_the_plugin_voice_is_found_and_speaks() -> None:
    assert available_voices()[-1] == "beep"
    voice = make_voice("beep:220")
    narration = voice.speak("One two. Three.")
    assert voice.name == "beep:220"
    assert [w.text for w in narration.words] == ["One", "two", "Three"]
    assert narration.duration > 0.4
    with pytest.raises(AudioError) as caught:
        make_voice("bep")
    assert caught.value.hint == (
        "did you mean 'beep'? voices are: joe, espeak, espeak:VOICE (e.g. espeak:en-gb), "
        "none, beep")
    with pytest.raises(AudioError, match="the pitch is a number of Hz"):
        make_voice("beep:high")


def test_a_script_uses_the_plugins(plugin: Path, tmp_path: Path) -> None:
    script = tmp_path / "plugged.sco"
    script.write_text(STORY)
    story = storyscore.load(script)
    assert (story.painter.name, story.painter.model) == ("flat", "#3366cc")
    painted = storyscore.paint(story, tmp_path / "pictures")
    with Image.open(painted.files[0]) as image:
        assert image.getpixel((10, 10)) == (0x33, 0x66, 0xCC)
    with Cache(tmp_path / "cache") as cache:
        prepared = prepare(story, list(story.scenes), cache)
    words = prepared.narration("a").words
    assert [w.text for w in words] == ["Three", "little", "words"]


def test_a_script_names_an_unknown_plugin_with_a_suggestion(plugin: Path,
                                                             tmp_path: Path) -> None:
    script = tmp_path / "typo.sco"
    script.write_text(STORY.replace("painter flat", "painter flta")
                      .replace("voice   beep", "voice   beeep"))
    result = CliRunner().invoke(app, ["check", str(script)])
    assert result.exit_code == 2
    assert f"{script}:3:9: error: unknown painter 'flta'\n" in result.stderr
    assert f"{script}:4:9: error: unknown voice 'beeep'\n" in result.stderr
    assert "did you mean 'flat'?" in result.stderr
    assert "did you mean 'beep'?" in result.stderr


def test_without_the_plugin_the_script_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "plugged.sco"
    script.write_text(STORY)
    with pytest.raises(storyscore.ScriptError) as caught:
        storyscore.load(script)
    assert [(d.message, d.hint) for d in caught.value.diagnostics] == [
        ("unknown painter 'flat'", "painters: procedural, diffusers"),
        ("unknown voice 'beep'",
         "voices: joe, espeak, espeak:VOICE (for example espeak:en-gb), none"),
    ]


def test_a_broken_plugin_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = install(tmp_path / "site", "[storyscore.painters]\nbroken = no_such_module:make\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PaintError, match=r"the plugin 'broken' \(no_such_module:make\) "
                                         "failed to load: No module named 'no_such_module'"):
        make_painter("broken")


def test_the_help_lists_installed_painters(plugin: Path) -> None:
    env = {**os.environ, "COLUMNS": "300",
           "PYTHONPATH": os.pathsep.join([str(plugin), str(PLUGIN_SOURCE), str(ROOT)])}
    code = ("import sys; from storyscore.cli import app; "
            "sys.argv = ['storyscore', 'paint', '--help']; app()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert "procedural, diffusers or a plugin: flat" in " ".join(out.split())
