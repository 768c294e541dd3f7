"""Sampling the normal grid: Euler ancestral over v-predictions with classifier-free guidance.

The unconditional branch is what training sees when the condition is dropped: the plain
empty-prompt states and the VAE latent of an all-zero (grey) condition image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from vdm.progress import step_bar
from vdm.rig import GRID_COLS, GRID_ROWS
from vdm.train.config import GUIDANCE, SAMPLE_STEPS
from vdm.train.model import Zero123PlusModel
from vdm.train.reference import ReferenceUNet


@dataclass(frozen=True)
class SampleConfig:
    """Sampler settings (Zero123++ defaults: 75 Euler ancestral steps, guidance 4)."""

    steps: int = SAMPLE_STEPS
    guidance: float = GUIDANCE
    seed: int = 0


@torch.no_grad()
def sample_grids(
    model: Zero123PlusModel,
    net: ReferenceUNet,
    conditions: list[np.ndarray],
    config: SampleConfig,
    progress: bool = False,
) -> list[np.ndarray]:
    """Condition images (H, W, 3 uint8) to generated grids (3 tile, 2 tile, 3 uint8)."""
    device = next(net.parameters()).device
    dtype = next(net.parameters()).dtype
    generator = torch.Generator(device).manual_seed(config.seed)
    clip, vae = model.condition_pixels([Image.fromarray(c) for c in conditions])
    batch = len(conditions)
    states = model.condition_states(clip).to(dtype)
    cond = model.condition_latents(vae, generator).to(dtype)
    guided = config.guidance > 1.0
    if guided:
        empty = model.prompt_states().to(dtype).expand_as(states)
        states = torch.cat([empty, states])
        cond = torch.cat([model.condition_latents(torch.zeros_like(vae), generator).to(dtype), cond])
    scheduler = type(model.scheduler).from_config(model.scheduler.config)
    scheduler.set_timesteps(config.steps, device=device)
    cell = model.tile_size // model.latent_factor
    shape = (batch, model.unet.config.in_channels, GRID_ROWS * cell, GRID_COLS * cell)
    latents = torch.randn(shape, generator=generator, device=device, dtype=dtype) * scheduler.init_noise_sigma
    for t in step_bar(scheduler.timesteps, desc="sampling", enabled=progress):
        inputs = torch.cat([latents] * 2) if guided else latents
        inputs = scheduler.scale_model_input(inputs, t)
        noise = torch.randn(cond.shape, generator=generator, device=device, dtype=dtype)
        v = net(inputs, t.reshape(1).to(device), states, cond, noise)
        if guided:
            v_uncond, v_cond = v.chunk(2)
            v = v_uncond + config.guidance * (v_cond - v_uncond)
        latents = scheduler.step(v, t, latents, generator=generator).prev_sample
    grids = model.decode_grid(latents)
    return [np.round(g.permute(1, 2, 0).cpu().numpy() * 255.0).astype(np.uint8) for g in grids]
