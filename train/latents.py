"""The Zero123++ latent and image scalings (v1.1/v1.2): the grid is encoded at a reduced contrast and
its latents are shifted and scaled so that their spread suits the UNet trained on them."""

from __future__ import annotations

import torch

LATENT_SHIFT, LATENT_SCALE = 0.22, 0.75
IMAGE_SCALE = 0.5 / 0.8


def scale_latents(latents: torch.Tensor) -> torch.Tensor:
    """VAE latents (already times the VAE scaling factor) to the UNet's latent space."""
    return (latents - LATENT_SHIFT) * LATENT_SCALE


def unscale_latents(latents: torch.Tensor) -> torch.Tensor:
    """Inverse of `scale_latents`."""
    return latents / LATENT_SCALE + LATENT_SHIFT


def scale_image(image: torch.Tensor) -> torch.Tensor:
    """A grid image in [-1, 1] to the reduced range the VAE encodes ([-0.625, 0.625])."""
    return image * IMAGE_SCALE


def unscale_image(image: torch.Tensor) -> torch.Tensor:
    """Inverse of `scale_image` (the VAE's decoded output back to [-1, 1])."""
    return image / IMAGE_SCALE
