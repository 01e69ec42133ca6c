"""The diffusers painter, against a tiny random-weight Stable Diffusion built offline.

Tests that need torch and diffusers skip without the ``storyscore[diffusers]``
extra (CI installs it); the model checks and pure helpers run everywhere.
"""

from __future__ import annotations

import builtins
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from storyscore.errors import BackendMissing, PaintError
from storyscore.paint.base import Painter, PaintRequest
from storyscore.paint.diffusers_backend import (
    INSTALL_COMMAND,
    DiffusersPainter,
    _native_size,
    _size_multiple,
    generation_size,
    hf_hub_cache,
    resolve_model,
    sampling_defaults,
)


def _bytes_to_unicode() -> list[str]:
    """The byte-to-character table of CLIP's byte-level BPE."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(code) for code in codes]


def build_tiny_pipeline(folder: Path) -> Path:
    """Save a random-weight StableDiffusionPipeline a few hundred KB big."""
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    transformers = pytest.importorskip("transformers")

    # A character-level tokenizer: every byte and its end-of-word form, no merges.
    chars = _bytes_to_unicode()
    vocab = {"<|startoftext|>": 0, "!": 1, "<|endoftext|>": 2}
    for token in [*chars, *(c + "</w>" for c in chars)]:
        vocab.setdefault(token, len(vocab))
    words = folder / "words"
    words.mkdir(parents=True)
    (words / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (words / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tokenizer = transformers.CLIPTokenizer(
        str(words / "vocab.json"), str(words / "merges.txt"), model_max_length=16
    )

    torch.manual_seed(0)
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=8,
        attention_head_dim=2,
        norm_num_groups=2,
    )
    vae = diffusers.AutoencoderKL(
        block_out_channels=(4, 8),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=2,
        sample_size=32,
    )
    text_encoder = transformers.CLIPTextModel(
        transformers.CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=2,
            pad_token_id=1,
            vocab_size=len(vocab),
            hidden_size=8,
            intermediate_size=16,
            num_attention_heads=2,
            num_hidden_layers=1,
            max_position_embeddings=16,
            projection_dim=8,
        )
    )
    scheduler = diffusers.DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = diffusers.StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    model = folder / "tiny-sd"
    pipe.save_pretrained(model)
    return model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_pipeline(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def painter(tiny_model: Path) -> DiffusersPainter:
    return DiffusersPainter(str(tiny_model), steps=2)


def pixels(image: Image.Image) -> np.ndarray[Any, Any]:
    return np.asarray(image, dtype=np.int16)


# --- painting -------------------------------------------------------------------------


def test_paints_the_exact_size_in_rgb(painter: DiffusersPainter) -> None:
    assert isinstance(painter, Painter)
    assert (painter.name, painter.version) == ("diffusers", "1")
    for width, height in [(48, 32), (50, 30), (30, 58)]:
        image = painter.paint(PaintRequest("a red fox", width, height, seed=3))
        assert image.mode == "RGB"
        assert image.size == (width, height)
        assert pixels(image).std() > 0  # a picture, not a blank


def test_same_seed_same_picture_other_seed_other_picture(painter: DiffusersPainter) -> None:
    first = painter.paint(PaintRequest("a lighthouse at night", 40, 40, seed=7))
    again = painter.paint(PaintRequest("a lighthouse at night", 40, 40, seed=7))
    other = painter.paint(PaintRequest("a lighthouse at night", 40, 40, seed=8))
    assert first.tobytes() == again.tobytes()
    assert np.abs(pixels(first) - pixels(other)).mean() > 2


def test_prompt_and_negative_prompt_reach_the_model(tiny_model: Path) -> None:
    guided = DiffusersPainter(str(tiny_model), steps=1, guidance=7.0)
    base = guided.paint(PaintRequest("a red fox", 32, 32, seed=1))
    other_prompt = guided.paint(PaintRequest("a blue whale", 32, 32, seed=1))
    negative = guided.paint(PaintRequest("a red fox", 32, 32, seed=1, negative="dark, blurry"))
    assert base.tobytes() != other_prompt.tobytes()
    assert base.tobytes() != negative.tobytes()


def test_pipeline_loads_once_per_painter(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import diffusers

    loads: list[str] = []
    real: Any = diffusers.AutoPipelineForText2Image.from_pretrained

    def counting(path: str, **options: Any) -> Any:
        loads.append(path)
        assert options["local_files_only"] is True
        return real(path, **options)

    monkeypatch.setattr(diffusers.AutoPipelineForText2Image, "from_pretrained", counting)
    fresh = DiffusersPainter(str(tiny_model), steps=1)
    fresh.paint(PaintRequest("one", 16, 16))
    fresh.paint(PaintRequest("two", 16, 16))
    assert loads == [str(tiny_model.resolve())]


def test_model_from_the_hugging_face_cache(tiny_model: Path, tmp_path: Path) -> None:
    repo = tmp_path / "hub" / "models--tiny--sd-turbo"
    shutil.copytree(tiny_model, repo / "snapshots" / "0123abcd")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    env = {"HF_HUB_CACHE": str(tmp_path / "hub")}
    turbo = DiffusersPainter("tiny/sd-turbo", env=env)
    assert (turbo.steps, turbo.guidance) == (4, 0.0)  # a turbo model: few steps, no guidance
    assert turbo.cache_inputs() == {
        "model": "hf:tiny/sd-turbo@0123abcd",
        "steps": 4,
        "guidance": 0.0,
    }
    assert turbo.paint(PaintRequest("a fox", 24, 24, seed=2)).size == (24, 24)


def test_broken_model_folder_is_a_paint_error(tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    painter = DiffusersPainter(str(broken))
    with pytest.raises(PaintError) as caught:
        painter.paint(PaintRequest("a fox", 16, 16))
    assert caught.value.message.startswith(f"cannot load the diffusers model '{broken}': ")
    assert caught.value.__cause__ is not None


# --- a model that is not there --------------------------------------------------------


def test_missing_local_folder_fails_fast_with_its_name(tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    missing = str(tmp_path / "models" / "nowhere")
    start = time.perf_counter()
    with pytest.raises(PaintError) as caught:
        DiffusersPainter(missing)
    assert time.perf_counter() - start < 1.0
    assert caught.value.message == f"model folder not found: {missing}"
    assert caught.value.hint == (
        "pass a folder that holds model_index.json, or the id of a model "
        "downloaded with `hf download ID`"
    )


def test_model_id_not_in_the_cache_says_how_to_get_it(tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    hub = tmp_path / "hub"
    start = time.perf_counter()
    with pytest.raises(PaintError) as caught:
        DiffusersPainter("stabilityai/sd-turbo", env={"HF_HUB_CACHE": str(hub)})
    assert time.perf_counter() - start < 1.0
    assert caught.value.message == (
        f"model 'stabilityai/sd-turbo' is neither a local folder nor in the Hugging Face "
        f"cache ({hub}); storyscore never downloads models"
    )
    assert caught.value.hint == (
        "get it with `hf download stabilityai/sd-turbo` (older huggingface_hub: "
        "`huggingface-cli download stabilityai/sd-turbo`), or pass a local model folder "
        "with --model PATH"
    )


def test_resolution_needs_no_backend(tmp_path: Path) -> None:
    # resolve_model is what makes the error fast: plain file checks.
    (tmp_path / "not-a-model").mkdir()
    with pytest.raises(PaintError, match=r"has no model_index\.json"):
        resolve_model(str(tmp_path / "not-a-model"))
    repo = tmp_path / "hub" / "models--org--half"
    (repo / "snapshots" / "abc").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc")
    with pytest.raises(PaintError, match="incomplete or not a diffusers pipeline"):
        resolve_model("org/half", {"HF_HUB_CACHE": str(tmp_path / "hub")})
    with pytest.raises(PaintError, match="needs a model id"):
        resolve_model(" ")


def test_local_folder_identity_follows_its_files(tmp_path: Path) -> None:
    model = tmp_path / "m"
    (model / "unet").mkdir(parents=True)
    (model / "model_index.json").write_text("{}")
    weights = model / "unet" / "weights.bin"
    weights.write_bytes(b"1234")
    before = resolve_model(str(model))
    assert before.folder == model.resolve()
    (model / ".cache").mkdir()
    (model / ".cache" / "download.lock").write_text("busy")
    assert resolve_model(str(model)).identity == before.identity
    weights.write_bytes(b"123456")
    assert resolve_model(str(model)).identity != before.identity


# --- the extra not installed ----------------------------------------------------------


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, storyscore.paint.diffusers_backend, storyscore.paint.registry;"
        "print(sorted({'torch', 'diffusers', 'transformers'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_missing_extra_at_construction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # what an uninstalled module looks like
    with pytest.raises(BackendMissing) as caught:
        DiffusersPainter(str(tmp_path))
    assert INSTALL_COMMAND == "pip install 'storyscore[diffusers]'"
    assert caught.value.message.startswith("the diffusers painter needs torch")
    assert caught.value.message.endswith(": pip install 'storyscore[diffusers]'")


def test_missing_extra_at_paint_time(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = DiffusersPainter(str(tiny_model), steps=1)
    real_import = builtins.__import__

    def failing_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in {"torch", "diffusers"}:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(BackendMissing, match=r"pip install 'storyscore\[diffusers\]'"):
        fresh.paint(PaintRequest("a fox", 16, 16))


# --- pure helpers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("stabilityai/sd-turbo", (4, 0.0)),
        ("stabilityai/sdxl-turbo", (4, 0.0)),
        ("ByteDance/SDXL-Lightning", (4, 0.0)),
        ("latent-consistency/lcm-sdxl", (4, 0.0)),
        ("black-forest-labs/FLUX.1-schnell", (4, 0.0)),
        ("runwayml/stable-diffusion-v1-5", (28, 7.0)),
        ("/models/my-watercolour-sd", (28, 7.0)),
    ],
)
def test_sampling_defaults_by_family(model: str, expected: tuple[int, float]) -> None:
    assert sampling_defaults(model) == expected


def test_generation_size_keeps_aspect_near_the_native_area() -> None:
    assert generation_size(512, 512, 64, 512) == (512, 512)
    assert generation_size(1280, 720, 64, 512) == (704, 384)
    assert generation_size(1920, 1080, 8, 1024) == (1368, 768)
    assert generation_size(100, 60, 8, None) == (96, 64)
    assert generation_size(4, 4, 8, None) == (8, 8)  # never below one multiple


def test_size_multiple_and_native_size_from_the_pipeline() -> None:
    def unet_pipe(blocks: int, sample: int) -> SimpleNamespace:
        config = SimpleNamespace(down_block_types=("x",) * blocks, sample_size=sample)
        return SimpleNamespace(vae_scale_factor=8, unet=SimpleNamespace(config=config))

    sd15, sdxl = unet_pipe(4, 64), unet_pipe(3, 128)
    assert (_size_multiple(sd15), _native_size(sd15)) == (64, 512)
    assert (_size_multiple(sdxl), _native_size(sdxl)) == (32, 1024)
    flux = SimpleNamespace(
        vae_scale_factor=8,
        default_sample_size=128,
        transformer=SimpleNamespace(config=SimpleNamespace(patch_size=1)),
    )
    assert (_size_multiple(flux), _native_size(flux)) == (16, 1024)
    sd3 = SimpleNamespace(
        vae_scale_factor=8,
        transformer=SimpleNamespace(config=SimpleNamespace(patch_size=2, sample_size=128)),
    )
    assert (_size_multiple(sd3), _native_size(sd3)) == (16, 1024)
    tiny = SimpleNamespace(vae_scale_factor=2, unet=SimpleNamespace(config=SimpleNamespace()))
    assert (_size_multiple(tiny), _native_size(tiny)) == (8, None)


def test_hf_hub_cache_is_found_like_huggingface_hub_does() -> None:
    assert hf_hub_cache({"HF_HUB_CACHE": "/a", "HF_HOME": "/b"}) == Path("/a")
    assert hf_hub_cache({"HF_HOME": "/b", "XDG_CACHE_HOME": "/c"}) == Path("/b/hub")
    assert hf_hub_cache({"XDG_CACHE_HOME": "/c"}) == Path("/c/huggingface/hub")


def test_painter_pickles_for_worker_processes(painter: DiffusersPainter) -> None:
    import pickle

    painter.paint(PaintRequest("warm", 16, 16))  # holds a loaded pipeline now
    copy = pickle.loads(pickle.dumps(painter))
    assert copy.cache_inputs() == painter.cache_inputs()
    request = PaintRequest("a fox", 24, 16, seed=4)
    assert copy.paint(request).tobytes() == painter.paint(request).tobytes()
