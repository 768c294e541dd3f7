"""LoRA fine-tuning of the UNet (peft through diffusers' adapter API), for one 24 GB GPU.

Low-rank adapters go on the UNet's attention projections (self-, cross- and, through them,
reference attention), feed-forward and ResNet layers (TARGETS); the UNet itself stays frozen, so it
can be held in bf16 and needs neither gradients nor optimizer state. A LoRA checkpoint holds only
the adapter (unet_lora/, diffusers' pytorch_lora_weights.safetensors with its LoraConfig in the
metadata); its base record names the frozen UNet with the other frozen parts. An export fuses the
adapter into a plain UNet.
"""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import UNet2DConditionModel

LORA_DIR = "unet_lora"
LORA_WEIGHTS = "pytorch_lora_weights.safetensors"  # diffusers' name for an adapter file
# Every linear layer of the transformer blocks and the ResNet blocks' convolutions and time
# projections: a normal grid is far from the RGB images the base made (GenVDM fine-tunes the whole
# UNet); attention-only adapters left 47 % of the tiny model's loss after 150 steps, these 22 %.
TARGETS = (
    "to_q",
    "to_k",
    "to_v",
    "to_out.0",
    "proj_in",
    "proj_out",
    "ff.net.0.proj",
    "ff.net.2",
    "conv1",
    "conv2",
    "time_emb_proj",
)


def add_lora(unet: UNet2DConditionModel, rank: int, alpha: float | None = None) -> None:
    """Freeze the UNet and add trainable rank-`rank` adapters (fp32, B = 0: the model is unchanged)."""
    from peft import LoraConfig

    unet.requires_grad_(False)
    config = LoraConfig(
        r=rank, lora_alpha=alpha or rank, init_lora_weights="gaussian", target_modules=list(TARGETS)
    )
    unet.add_adapter(config)
    make_trainable(unet)


def make_trainable(unet: UNet2DConditionModel) -> None:
    """Only the adapter trains, in fp32 whatever the UNet's dtype (bf16 updates would be lost)."""
    for name, parameter in unet.named_parameters():
        is_lora = ".lora_" in name
        parameter.requires_grad_(is_lora)
        if is_lora:
            parameter.data = parameter.data.float()


def has_lora(unet: UNet2DConditionModel) -> bool:
    return bool(getattr(unet, "peft_config", None))


def lora_rank(unet: UNet2DConditionModel) -> int:
    """The rank of the UNet's adapter (0: none)."""
    return int(unet.peft_config["default"].r) if has_lora(unet) else 0


def save_lora(unet: UNet2DConditionModel, checkpoint: Path) -> None:
    unet.save_lora_adapter(checkpoint / LORA_DIR, weight_name=LORA_WEIGHTS)


def load_lora(unet: UNet2DConditionModel, checkpoint: Path) -> None:
    """Put a checkpoint's adapter on its (frozen) base UNet, unfused: training can go on."""
    unet.load_lora_adapter(
        str(checkpoint / LORA_DIR), weight_name=LORA_WEIGHTS, prefix=None, adapter_name="default"
    )
    unet.requires_grad_(False)


def fused_unet(base_unet: Path, checkpoint: Path) -> UNet2DConditionModel:
    """The base UNet (read in fp32) with the checkpoint's adapter merged into its weights and
    removed: a plain UNet."""
    unet = UNet2DConditionModel.from_pretrained(base_unet, torch_dtype=torch.float32, local_files_only=True)
    load_lora(unet, checkpoint)
    unet.fuse_lora()
    unet.unload_lora()
    return unet


def is_lora_checkpoint(directory: Path) -> bool:
    return (directory / LORA_DIR).is_dir()


def trainable_parameters(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]
