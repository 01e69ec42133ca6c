"""The diffusers painter: text-to-image with a local Stable Diffusion–style model.

The model is a local model folder or a Hugging Face model id that is already
in the user's Hugging Face cache; storyscore never downloads. torch and
diffusers are imported only when a picture is painted, so this module imports
without the ``storyscore[diffusers]`` extra.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import logging
import math
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from storyscore.errors import BackendMissing, PaintError
from storyscore.paint.base import PaintRequest
from storyscore.paint.image_file import fit_cover, to_rgb

__all__ = [
    "INSTALL_COMMAND",
    "DiffusersPainter",
    "ResolvedModel",
    "generation_size",
    "hf_hub_cache",
    "missing_dependencies",
    "resolve_model",
    "sampling_defaults",
]

INSTALL_COMMAND = "pip install 'storyscore[diffusers]'"
_REQUIRED_MODULES = ("torch", "diffusers", "transformers")
_FAST_FAMILIES = ("turbo", "lightning", "lcm", "schnell", "hyper")
_FAST_STEPS, _FAST_GUIDANCE = 4, 0.0
_FULL_STEPS, _FULL_GUIDANCE = 28, 7.0
_HF_ID_RE = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "DIFFUSERS_VERBOSITY": "error",
}
_QUIET_LOGGERS = ("diffusers", "transformers", "huggingface_hub", "accelerate")


@dataclass(frozen=True)
class ResolvedModel:
    """A model found on disk: the folder diffusers loads, and a string that
    changes whenever the model's content may have changed (for cache keys)."""

    folder: Path
    identity: str


def hf_hub_cache(env: Mapping[str, str] = os.environ) -> Path:
    """The Hugging Face hub cache folder, located as huggingface_hub does."""
    if hub := env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE"):
        return Path(os.path.expandvars(hub)).expanduser()
    if home := env.get("HF_HOME"):
        return Path(os.path.expandvars(home)).expanduser() / "hub"
    xdg = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


def _download_advice(model: str) -> str:
    return (
        f"get it with `hf download {model}` (older huggingface_hub: "
        f"`huggingface-cli download {model}`), or pass a local model folder with --model PATH"
    )


def _looks_like_path(model: str) -> bool:
    return (
        model.startswith(("/", "./", "../", "~", "\\"))
        or model.count("/") > 1
        or "\\" in model
        or bool(re.match(r"[A-Za-z]:[\\/]", model))
    )


def _folder_identity(folder: Path) -> str:
    # Sizes and modification times of every file: cheap, and they change
    # whenever the weights are replaced. Hidden files (download locks and
    # metadata) change without the model changing.
    parts = [str(folder)]
    files = (p for p in folder.rglob("*") if p.is_file())
    for file in sorted(p for p in files if not _hidden(p.relative_to(folder))):
        stat = file.stat()
        parts.append(f"{file.relative_to(folder).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def resolve_model(model: str, env: Mapping[str, str] = os.environ) -> ResolvedModel:
    """Find ``model`` on disk without importing diffusers or touching the network.

    Raises ``PaintError`` naming the model, and saying how to get it, when it
    is neither a local diffusers model folder nor in the Hugging Face cache.
    """
    if not model.strip():
        raise PaintError("the diffusers painter needs a model id or a local model folder")
    local = Path(model).expanduser()
    if local.is_dir():
        folder = local.resolve()
        if not (folder / "model_index.json").is_file():
            raise PaintError(
                f"'{model}' is not a diffusers model folder (it has no model_index.json)",
                hint="pass the folder that holds model_index.json, or a Hugging Face model id",
            )
        return ResolvedModel(folder, f"folder:{_folder_identity(folder)}")
    if local.exists():
        raise PaintError(f"model '{model}' is a file; a diffusers model is a folder")
    if _looks_like_path(model) or not _HF_ID_RE.fullmatch(model):
        raise PaintError(
            f"model folder not found: {model}",
            hint="pass a folder that holds model_index.json, or the id of a model "
            "downloaded with `hf download ID`",
        )
    hub = hf_hub_cache(env)
    repo = hub / ("models--" + model.replace("/", "--"))
    snapshot = _cached_snapshot(repo)
    if snapshot is None:
        raise PaintError(
            f"model '{model}' is neither a local folder nor in the Hugging Face cache "
            f"({hub}); storyscore never downloads models",
            hint=_download_advice(model),
        )
    if not (snapshot / "model_index.json").is_file():
        raise PaintError(
            f"model '{model}' in the Hugging Face cache is incomplete or not a diffusers "
            f"pipeline (no model_index.json in {snapshot})",
            hint=_download_advice(model),
        )
    return ResolvedModel(snapshot, f"hf:{model}@{snapshot.name}")


def _cached_snapshot(repo: Path) -> Path | None:
    """The snapshot ``refs/main`` points at, else the newest complete one."""
    snapshots = repo / "snapshots"
    with contextlib.suppress(OSError):
        revision = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
        if revision and (snapshots / revision).is_dir():
            return snapshots / revision
    try:
        candidates = [p for p in snapshots.iterdir() if (p / "model_index.json").is_file()]
    except OSError:
        return None
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.stat().st_mtime_ns, p.name))


def sampling_defaults(model: str) -> tuple[int, float]:
    """Inference steps and guidance scale suited to the model's family.

    Distilled few-step models (turbo, lightning, LCM, schnell, hyper) want a
    handful of steps and no classifier-free guidance; the rest the usual ~28
    steps at guidance 7.
    """
    lowered = model.lower()
    if any(family in lowered for family in _FAST_FAMILIES):
        return _FAST_STEPS, _FAST_GUIDANCE
    return _FULL_STEPS, _FULL_GUIDANCE


def generation_size(width: int, height: int, multiple: int, native: int | None) -> tuple[int, int]:
    """The size to generate at for a ``width`` x ``height`` picture.

    Keeps the requested aspect ratio, rescaled so the area matches the model's
    native square (``native`` pixels a side, when known) because models
    compose badly far from it, and rounds each side to ``multiple``.
    """
    scale = 1.0 if native is None else math.sqrt(native * native / (width * height))
    return (
        max(multiple, round(width * scale / multiple) * multiple),
        max(multiple, round(height * scale / multiple) * multiple),
    )


def missing_dependencies() -> list[str]:
    """The modules the diffusers painter needs that are not installed (no imports)."""
    missing = []
    for name in _REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def _backend_missing(missing: list[str]) -> BackendMissing:
    return BackendMissing(
        f"the diffusers painter needs {', '.join(missing)}, which "
        f"{'is' if len(missing) == 1 else 'are'} not installed: {INSTALL_COMMAND}",
        hint=INSTALL_COMMAND,
    )


class DiffusersPainter:
    """Paints with a diffusers text-to-image pipeline, loaded once per painter.

    ``model`` is a local model folder or a Hugging Face id already in the
    cache; it is checked at construction (fast, without importing torch).
    ``steps`` and ``guidance`` override the family defaults. Uses CUDA in
    float16 when available, else the CPU in float32.
    """

    name = "diffusers"
    version = "1"

    def __init__(
        self,
        model: str,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        missing = missing_dependencies()
        if missing:
            raise _backend_missing(missing)
        self.model = model
        self.resolved = resolve_model(model, env)
        default_steps, default_guidance = sampling_defaults(model)
        self.steps = default_steps if steps is None else steps
        self.guidance = default_guidance if guidance is None else guidance
        if self.steps < 1:
            raise PaintError(f"the diffusers painter needs at least one step, not {self.steps}")
        self._pipe: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # A copy for another process reloads the pipeline there, lazily.
        state = self.__dict__.copy()
        state["_pipe"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def cache_inputs(self) -> dict[str, Any]:
        """Everything besides the request that decides this painter's pictures."""
        return {
            "model": self.resolved.identity,
            "steps": self.steps,
            "guidance": self.guidance,
        }

    def paint(self, request: PaintRequest) -> Image.Image:
        """An RGB picture of exactly ``request.width`` x ``request.height``."""
        if request.width < 1 or request.height < 1:
            raise PaintError(f"bad picture size {request.width}x{request.height}")
        with self._lock:
            pipe = self._pipeline()
            return self._generate(pipe, request)

    def _pipeline(self) -> Any:
        if self._pipe is None:
            self._pipe = self._load()
        return self._pipe

    def _load(self) -> Any:
        with _offline_and_quiet():
            try:
                import diffusers
                import torch
            except ImportError as exc:
                raise _backend_missing([exc.name or "torch/diffusers"]) from exc
            if torch.cuda.is_available():
                device, dtype = "cuda", torch.float16
            else:
                device, dtype = "cpu", torch.float32
            # diffusers is untyped: its classes are handled as Any.
            auto: Any = diffusers.AutoPipelineForText2Image
            generic: Any = diffusers.DiffusionPipeline
            options = {_dtype_keyword(diffusers): dtype, "local_files_only": True}
            # storyscore reports its own progress; diffusers' bars would garble it.
            progress: Any = diffusers.utils.logging
            bars_were_on = progress.is_progress_bar_enabled()
            progress.disable_progress_bar()
            try:
                try:
                    pipe = auto.from_pretrained(str(self.resolved.folder), **options)
                except ValueError as exc:
                    # AutoPipeline knows only the common families; any other
                    # text-to-image pipeline loads as what its folder declares.
                    if "AutoPipeline" not in str(exc):
                        raise
                    pipe = generic.from_pretrained(str(self.resolved.folder), **options)
                pipe = pipe.to(device)
                pipe.set_progress_bar_config(disable=True)
            except Exception as exc:
                raise PaintError(
                    f"cannot load the diffusers model '{self.model}': {exc}",
                    hint=_download_advice(self.model),
                ) from exc
            finally:
                if bars_were_on:
                    progress.enable_progress_bar()
        return pipe

    def _generate(self, pipe: Any, request: PaintRequest) -> Image.Image:
        import torch

        width, height = generation_size(
            request.width, request.height, _size_multiple(pipe), _native_size(pipe)
        )
        # A CPU generator gives the same noise on every device, so a seed
        # means the same picture whether or not a GPU is present.
        generator = torch.Generator(device="cpu").manual_seed(request.seed % 2**64)
        arguments: dict[str, Any] = {
            "width": width,
            "height": height,
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance,
            "generator": generator,
            "output_type": "pil",
            "negative_prompt": request.negative,
        }
        accepted = inspect.signature(pipe.__call__).parameters
        arguments = {k: v for k, v in arguments.items() if k in accepted and v is not None}
        try:
            with _offline_and_quiet():
                output = pipe(request.prompt, **arguments)
            image = output.images[0]
        except torch.cuda.OutOfMemoryError as exc:
            raise PaintError(
                f"the GPU ran out of memory painting {width}x{height} with '{self.model}'",
                hint="use a smaller --size or --draft, or a smaller model",
            ) from exc
        except Exception as exc:
            raise PaintError(f"painting with '{self.model}' failed: {exc}") from exc
        if not isinstance(image, Image.Image):
            raise PaintError(f"the pipeline of '{self.model}' did not return a picture")
        return fit_cover(to_rgb(image), request.width, request.height)


def _dtype_keyword(diffusers: Any) -> str:
    """``dtype`` where diffusers takes it, else the older ``torch_dtype``.

    Newer releases deprecate ``torch_dtype`` (a FutureWarning) and older ones
    ignore ``dtype``; the helper that resolves the two marks the change.
    """
    utils = getattr(getattr(diffusers, "utils", None), "deprecation_utils", None)
    return "dtype" if hasattr(utils, "_resolve_dtype") else "torch_dtype"


def _size_multiple(pipe: Any) -> int:
    """What each side of a generated picture must be a multiple of.

    At least 8: pipelines check for it whatever their VAE's own factor.
    """
    return math.lcm(8, _latent_multiple(pipe))


def _latent_multiple(pipe: Any) -> int:
    vae_factor = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    unet = getattr(pipe, "unet", None)
    if unet is not None:
        # Each down block but the last halves the latent; odd sizes misalign skips.
        blocks = len(getattr(unet.config, "down_block_types", ()) or ()) or 1
        return vae_factor << (blocks - 1)
    transformer = getattr(pipe, "transformer", None)
    if transformer is not None:
        # Transformer pipelines pack latents into patches of at least 2x2
        # (Flux packs 2x2 whatever its patch_size says).
        patch = getattr(transformer.config, "patch_size", None)
        return vae_factor * max(patch if isinstance(patch, int) else 0, 2)
    return vae_factor


def _native_size(pipe: Any) -> int | None:
    """The side of the square the model was trained on, in pixels, if known."""
    vae_factor = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    sample = getattr(pipe, "default_sample_size", None)
    if sample is None:
        for part in ("unet", "transformer"):
            component = getattr(pipe, part, None)
            if component is not None:
                sample = getattr(component.config, "sample_size", None)
                break
    if isinstance(sample, list | tuple) and sample:
        sample = math.sqrt(math.prod(int(s) for s in sample))
    if isinstance(sample, int | float) and sample > 0:
        return round(float(sample) * vae_factor)
    return None


@contextlib.contextmanager
def _offline_and_quiet() -> Iterator[None]:
    """Hub libraries offline, without progress bars or chatter, for a block.

    The environment is what they read on first import; the logger levels
    cover libraries that were imported before.
    """
    saved_env = {key: os.environ.get(key) for key in _OFFLINE_ENV}
    os.environ.update(_OFFLINE_ENV)
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    saved_levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, saved_levels, strict=True):
            logger.setLevel(level)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
