"""Reference attention of Zero123++: the UNet first runs on the noised condition latent and keeps the
input of every self-attention layer; in the main pass each self-attention also attends to those
tokens (keys and values computed from the concatenation), which is how the condition image's
appearance reaches every view of the grid."""

from __future__ import annotations

from typing import Any

import torch
from diffusers import UNet2DConditionModel
from diffusers.models.attention_processor import AttnProcessor2_0
from torch import nn

WRITE, READ = "write", "read"


class ReferenceAttnProcessor:
    """Wraps the standard attention; self-attention layers store (WRITE) or append (READ) tokens."""

    def __init__(self, name: str, enabled: bool) -> None:
        self.name = name
        self.enabled = enabled
        self.inner = AttnProcessor2_0()

    def __call__(
        self,
        attn: Any,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        mode: str | None = None,
        ref_dict: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        if self.enabled and ref_dict is not None:
            if mode == WRITE:
                ref_dict[self.name] = hidden_states
            elif mode == READ:
                # Read without removing: gradient checkpointing may run this layer twice.
                encoder_hidden_states = torch.cat([hidden_states, ref_dict[self.name]], dim=1)
        return self.inner(attn, hidden_states, encoder_hidden_states, attention_mask)


def add_reference_attention(unet: UNet2DConditionModel) -> None:
    """Install the processors: enabled on self-attention (attn1), pass-through elsewhere."""
    unet.set_attn_processor(
        {
            name: ReferenceAttnProcessor(name, name.endswith("attn1.processor"))
            for name in unet.attn_processors
        }
    )


class ReferenceUNet(nn.Module):
    """The UNet with reference attention; predicts v for `sample` given the condition latent.

    The condition latent is noised to the same timestep as the sample (with the caller's noise, so
    training and sampling stay reproducible) before the reference pass.
    """

    def __init__(self, unet: UNet2DConditionModel, alphas_cumprod: torch.Tensor) -> None:
        super().__init__()
        add_reference_attention(unet)
        self.unet = unet
        self.register_buffer("alphas_cumprod", alphas_cumprod.float().clone(), persistent=False)

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor,
        states: torch.Tensor,
        cond_latents: torch.Tensor,
        cond_noise: torch.Tensor,
    ) -> torch.Tensor:
        timestep = timestep.reshape(-1).expand(sample.shape[0])
        alpha = self.alphas_cumprod[timestep.round().long()].view(-1, 1, 1, 1)
        noisy_cond = alpha.sqrt() * cond_latents + (1.0 - alpha).sqrt() * cond_noise
        ref: dict[str, torch.Tensor] = {}
        self.unet(
            noisy_cond.to(sample.dtype),
            timestep,
            encoder_hidden_states=states,
            cross_attention_kwargs={"mode": WRITE, "ref_dict": ref},
        )
        return self.unet(
            sample,
            timestep,
            encoder_hidden_states=states,
            cross_attention_kwargs={"mode": READ, "ref_dict": ref},
        ).sample
