"""Zero123++ UNets fine-tuned by others, loaded onto the base model in their authors' file layouts.

- **GenVDM** (Yang et al., CVPR 2025; github.com/yyuezhi/GenVDM): a PyTorch Lightning `.ckpt` of their
  `zero123plus.model.MVDiffusion`. Its `state_dict` holds the diffusers UNet under `unet.unet.`
  (their `RefOnlyNoisedUNet` wraps it as `.unet`) and a few schedule buffers; no VAE or encoders (the
  pipeline is not a module): those come from the base, `sudo-ai/zero123plus-v1.2`. It makes normal
  grids of VDM patches (train.normal_frames converts them to this project's frame).
- **InstantMesh-style** (TencentARC/InstantMesh `diffusion_pytorch_model.bin`): a bare UNet state
  dict for the same pipeline, loaded as they load it (`pipeline.unet.load_state_dict(sd, strict=True)`).
  InstantMesh's own release makes colour views on white for its mesh model, not normal maps; a UNet
  fine-tuned to normal grids and saved this way loads the same.

The kind is read from the file, never from its name. A file that is neither, truncated, or whose
weights do not fit the base's UNet is one sentence.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from vdm.errors import VdmError, short_reason
from vdm.train.model import Zero123PlusModel

log = logging.getLogger(__name__)

GENVDM = "genvdm"
UNET = "unet"  # a bare UNet state dict (InstantMesh's layout)
GENVDM_PREFIX = "unet.unet."
UNET_KEY = "conv_in.weight"  # every diffusers UNet2DConditionModel has it


@dataclass(frozen=True)
class ForeignUNet:
    """A UNet file of another project: its kind and its weights under diffusers' own names."""

    path: Path
    kind: str
    weights: dict[str, torch.Tensor]


def _read(path: Path) -> object:
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as exc:
        raise VdmError(
            f"Model file {path} is not a readable PyTorch checkpoint ({short_reason(exc)})."
        ) from exc
    except Exception as exc:  # a pickle of objects other than tensors: a file we will not execute
        raise VdmError(
            f"Model file {path} holds Python objects besides its weights ({short_reason(exc)}); only plain "
            "checkpoints load."
        ) from exc


def read_foreign_unet(path: Path) -> ForeignUNet:
    """The UNet weights of a GenVDM checkpoint or a bare UNet state dict (kind from the keys)."""
    if not path.is_file():
        raise VdmError(f"Model file {path} does not exist.")
    data = _read(path)
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        weights = {
            k[len(GENVDM_PREFIX) :]: v for k, v in data["state_dict"].items() if k.startswith(GENVDM_PREFIX)
        }
        if UNET_KEY in weights:
            return ForeignUNet(path, GENVDM, weights)
        raise VdmError(f"Model file {path} is a Lightning checkpoint without a UNet under '{GENVDM_PREFIX}'.")
    if (
        isinstance(data, dict)
        and UNET_KEY in data
        and all(isinstance(v, torch.Tensor) for v in data.values())
    ):
        return ForeignUNet(path, UNET, data)
    raise VdmError(
        f"Model file {path} is neither a GenVDM checkpoint nor a UNet state dict (InstantMesh's layout)."
    )


def apply_foreign_unet(model: Zero123PlusModel, foreign: ForeignUNet) -> Zero123PlusModel:
    """The base model with the file's UNet weights, every one of them (strict, as their authors load)."""
    dtype = next(model.unet.parameters()).dtype
    weights = {k: v.to(dtype) for k, v in foreign.weights.items()}
    try:
        model.unet.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        missing = len(set(model.unet.state_dict()) - set(weights))
        extra = len(set(weights) - set(model.unet.state_dict()))
        raise VdmError(
            f"The UNet in {foreign.path} does not fit the base model's UNet ({missing} weights missing, "
            f"{extra} unknown, or shapes differ); is the base Zero123++ v1.2?"
        ) from exc
    log.info("loaded the %s UNet of %s onto the base model", foreign.kind, foreign.path)
    return model
