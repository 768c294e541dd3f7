"""Saving and loading Zero123++ models in the public `sudo-ai/zero123plus-v1.2` directory layout.

One path serves the hub model, a local copy of it, a `tiny` model and every training checkpoint:
model_index.json (component classes + ramping coefficients) and one save_pretrained folder per
component (weights in safetensors). A training checkpoint holds only the UNet and the sampler and
names its frozen parts (train/base_model.py); they load from there. A LoRA checkpoint holds the
adapter instead of the UNet: it goes on the base's UNet, unfused. Each component is read
straight into its target dtype (the frozen ones may differ from the UNet's), never first as fp32.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import torch

from vdm.atomic import write_text_atomic
from vdm.errors import VdmError, short_reason
from vdm.file_headers import file_problem
from vdm.rig import TILE_SIZE
from vdm.train.base_model import base_directory, read_base
from vdm.train.hub import HUB_ID_RE, MODEL_INDEX, download
from vdm.train.lora import LORA_DIR, LORA_WEIGHTS, has_lora, is_lora_checkpoint, load_lora, save_lora
from vdm.train.model import SCHEDULE, Zero123PlusModel

log = logging.getLogger(__name__)

PIPELINE_CLASS = "Zero123PlusPipeline"
# Component folder -> (library, class), as in the hub repository's model_index.json.
COMPONENTS: dict[str, tuple[str, str]] = {
    "unet": ("diffusers", "UNet2DConditionModel"),
    "vae": ("diffusers", "AutoencoderKL"),
    "scheduler": ("diffusers", "EulerAncestralDiscreteScheduler"),
    "vision_encoder": ("transformers", "CLIPVisionModelWithProjection"),
    "text_encoder": ("transformers", "CLIPTextModel"),
    "tokenizer": ("transformers", "CLIPTokenizer"),
    "feature_extractor_clip": ("transformers", "CLIPImageProcessor"),
    "feature_extractor_vae": ("transformers", "CLIPImageProcessor"),
}
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def save_model(model: Zero123PlusModel, directory: str | Path) -> Path:
    """Write every component with save_pretrained, then model_index.json (written last: its
    presence marks a complete model)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in COMPONENTS:
        getattr(model, name).save_pretrained(directory / name)
    write_text_atomic(directory / MODEL_INDEX, json.dumps(_index(model), indent=2) + "\n")
    return directory


def save_trained(model: Zero123PlusModel, directory: Path) -> Path:
    """What training changes (the UNet, or its LoRA adapter; the sampler) and model_index.json,
    written last; the frozen parts are named by the checkpoint's base_model.json instead of saved
    again."""
    directory.mkdir(parents=True, exist_ok=True)
    if has_lora(model.unet):
        save_lora(model.unet, directory)
    else:
        model.unet.save_pretrained(directory / "unet")
    model.scheduler.save_pretrained(directory / "scheduler")
    write_text_atomic(directory / MODEL_INDEX, json.dumps(_index(model), indent=2) + "\n")
    return directory


def _index(model: Zero123PlusModel) -> dict[str, Any]:
    index: dict[str, Any] = {"_class_name": PIPELINE_CLASS, "_diffusers_version": _diffusers_version()}
    index |= {name: list(entry) for name, entry in COMPONENTS.items()}
    index["ramping_coefficients"] = list(model.ramping_coefficients)
    return index | {"vdm_tile_size": model.tile_size}


def _diffusers_version() -> str:
    import diffusers

    return diffusers.__version__


def checkpoints(run: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints of a training run, sorted by step."""
    found = []
    for path in run.glob("checkpoint-*"):
        match = CHECKPOINT_RE.match(path.name)
        if match and (path / MODEL_INDEX).is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def _weights_problem(checkpoint: Path) -> str | None:
    """Why a checkpoint cannot generate (its UNet or LoRA adapter missing or cut short), or None:
    a run whose newest checkpoint lost its weights must not generate with the base's UNet."""
    lora = checkpoint / LORA_DIR / LORA_WEIGHTS
    unet = checkpoint / "unet" / "diffusion_pytorch_model.safetensors"
    weights = lora if lora.exists() else unet
    problem = file_problem(weights)
    return None if problem is None else f"has {weights.relative_to(checkpoint)} that {problem}"


def model_directory(source: str | Path) -> Path:
    """A model directory from a directory, a training run (its latest checkpoint) or a hub id."""
    path = Path(source)
    if path.is_dir():
        if (path / MODEL_INDEX).is_file():
            return path
        found = checkpoints(path)
        whole = [c for _, c in found if _weights_problem(c) is None]
        if whole:
            if whole[-1] != found[-1][1]:
                log.warning(
                    "%s %s; using %s", found[-1][1].name, _weights_problem(found[-1][1]), whole[-1].name
                )
            return whole[-1]
        if found:
            raise VdmError(
                f"No checkpoint of {path} holds its trained weights ({found[-1][1].name} "
                f"{_weights_problem(found[-1][1])}): the run cannot generate."
            )
        raise VdmError(f"{path} is neither a Zero123++ model directory ({MODEL_INDEX}) nor a training run.")
    if path.exists():
        raise VdmError(f"Model {path} is a file; give a model directory, a training run or a hub id.")
    if not HUB_ID_RE.match(str(source)):
        raise VdmError(f"Model {source} does not exist and is not a Hugging Face hub id (owner/name).")
    return download(str(source))


def _check_index(directory: Path) -> dict[str, Any]:
    index_path = directory / MODEL_INDEX
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise VdmError(f"{index_path} is unreadable or not JSON.") from exc
    missing = [name for name in COMPONENTS if name not in index]
    if missing:
        kind = index.get("_class_name", "unknown")
        kind = kind[-1] if isinstance(kind, list) else kind
        raise VdmError(f"{directory} holds a {kind} model, not Zero123++ (it lacks {', '.join(missing)}).")
    for name, (_, cls) in COMPONENTS.items():
        entry = index[name]
        if not isinstance(entry, list) or entry[-1] != cls:
            raise VdmError(f"The {name} of {directory} is a {entry}, not a {cls} as Zero123++ needs.")
    if not isinstance(index.get("ramping_coefficients"), list):
        raise VdmError(f"{index_path} has no ramping_coefficients, so it is not a Zero123++ model.")
    return index


def load_model(
    source: str | Path, dtype: torch.dtype = torch.float32, frozen_dtype: torch.dtype | None = None
) -> Zero123PlusModel:
    """Load a Zero123++ model from a hub id, a model directory or a training run (latest checkpoint):
    the UNet in `dtype`, the frozen VAE and encoders in `frozen_dtype` (default: `dtype`)."""
    from diffusers import AutoencoderKL, EulerAncestralDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPImageProcessor, CLIPTextModel, CLIPTokenizer, CLIPVisionModelWithProjection

    directory = model_directory(source)
    index = _check_index(directory)
    base = read_base(directory)
    frozen_from = base_directory(directory, base) if base else directory
    classes = {
        "unet": UNet2DConditionModel,
        "vae": AutoencoderKL,
        "vision_encoder": CLIPVisionModelWithProjection,
        "text_encoder": CLIPTextModel,
        "tokenizer": CLIPTokenizer,
        "feature_extractor_clip": CLIPImageProcessor,
        "feature_extractor_vae": CLIPImageProcessor,
    }
    parts: dict[str, Any] = {}
    for name, cls in classes.items():
        kwargs: dict[str, Any] = {"local_files_only": True}
        if name in ("unet", "vae", "vision_encoder", "text_encoder"):
            target = dtype if name == "unet" else (frozen_dtype or dtype)
            kwargs["torch_dtype" if name in ("unet", "vae") else "dtype"] = target
        where = directory if (directory / name).is_dir() else frozen_from  # the checkpoint's, else the base's
        try:
            parts[name] = cls.from_pretrained(where / name, **kwargs)
        except Exception as exc:
            reason = short_reason(exc).rstrip(".")
            raise VdmError(f"The {name} in {where} does not load as a {cls.__name__} ({reason}).") from exc
    if is_lora_checkpoint(directory) and not (directory / "unet").is_dir():
        load_lora(parts["unet"], directory)
    config = {**dict(EulerAncestralDiscreteScheduler.load_config(directory / "scheduler"))}
    config["prediction_type"] = SCHEDULE["prediction_type"]  # Zero123++ v1.2 predicts v
    # The hub's scheduler config says "linspace"; Zero123++'s own pipeline, InstantMesh and GenVDM
    # sample with "trailing" (75 steps: timesteps 999 ... 12, not 999 ... 0).
    config["timestep_spacing"] = SCHEDULE["timestep_spacing"]
    model = Zero123PlusModel(
        scheduler=EulerAncestralDiscreteScheduler.from_config(config),
        ramping_coefficients=[float(c) for c in index["ramping_coefficients"]],
        tile_size=int(index.get("vdm_tile_size", TILE_SIZE)),
        **parts,
    )
    _check_fit(model, directory)
    return model


def _check_fit(model: Zero123PlusModel, directory: Path) -> None:
    """The components must fit together, or the first forward pass would fail deep inside."""
    width = model.unet.config.cross_attention_dim
    problems = []
    if model.text_encoder.config.hidden_size != width:
        problems.append(f"text width {model.text_encoder.config.hidden_size} vs UNet {width}")
    if model.vision_encoder.config.projection_dim != width:
        problems.append(f"image embedding {model.vision_encoder.config.projection_dim} vs UNet {width}")
    if model.unet.config.in_channels != model.vae.config.latent_channels:
        problems.append(
            f"UNet input {model.unet.config.in_channels} vs VAE latent {model.vae.config.latent_channels}"
        )
    if len(model.ramping_coefficients) > model.text_encoder.config.max_position_embeddings:
        problems.append("more ramping coefficients than text tokens")
    if problems:
        raise VdmError(f"The components of {directory} do not fit together ({'; '.join(problems)}).")
