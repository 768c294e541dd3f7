"""The Zero123++ (v1.2) model as plain diffusers/transformers components, and its `tiny` variant.

Conditioning (what the custom Zero123++ pipeline does): the CLIP image embedding of the condition
is added to the empty-prompt text states, token t weighted by `ramping_coefficients[t]` (global
condition); the VAE latent of the condition drives reference attention (local condition).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import transformers
from diffusers import AutoencoderKL, DDPMScheduler, EulerAncestralDiscreteScheduler, UNet2DConditionModel
from PIL import Image

from vdm.rig import TILE_SIZE
from vdm.train.latents import scale_image, scale_latents, unscale_image, unscale_latents


def quiet_libraries() -> None:
    """Silence the Hugging Face libraries' progress bars and notices: they would break the one-line
    error contract of the CLI, and the trainer shows its own progress."""
    import diffusers

    for library in (diffusers, transformers):
        library.utils.logging.set_verbosity_error()
        library.utils.logging.disable_progress_bar()


quiet_libraries()
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
# The noise schedule of Zero123++ v1.2 (v-prediction).
SCHEDULE = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "linear",
    "prediction_type": "v_prediction",
    "timestep_spacing": "trailing",
    "steps_offset": 1,
}


@dataclass
class Zero123PlusModel:
    """Every component of a Zero123++ pipeline; only the UNet is trained."""

    unet: UNet2DConditionModel
    vae: AutoencoderKL
    vision_encoder: transformers.CLIPVisionModelWithProjection
    text_encoder: transformers.CLIPTextModel
    tokenizer: transformers.CLIPTokenizer
    scheduler: EulerAncestralDiscreteScheduler
    feature_extractor_clip: transformers.CLIPImageProcessor
    feature_extractor_vae: transformers.CLIPImageProcessor
    ramping_coefficients: list[float]
    tile_size: int = TILE_SIZE  # pixels per grid tile the model generates (320 for the real model)
    _prompt_states: torch.Tensor | None = field(default=None, repr=False)

    @property
    def condition_size(self) -> int:
        """Side of the condition image the VAE encodes for reference attention."""
        return int(self.feature_extractor_vae.crop_size["height"])

    @property
    def latent_factor(self) -> int:
        """Pixels per latent cell of the VAE."""
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    def train_scheduler(self) -> DDPMScheduler:
        """The training noise schedule (same betas and prediction type as the sampler)."""
        return DDPMScheduler.from_config(self.scheduler.config)

    def frozen_to(self, device: torch.device | str, dtype: torch.dtype = torch.float32) -> None:
        """Move the frozen encoders (everything but the UNet) and freeze them."""
        for module in (self.vae, self.vision_encoder, self.text_encoder):
            module.to(device=device, dtype=dtype).requires_grad_(False).eval()
        self._prompt_states = None

    @torch.no_grad()
    def prompt_states(self) -> torch.Tensor:
        """Text-encoder states of the empty prompt, (1, tokens, width); the unconditional states."""
        if self._prompt_states is None:
            ids = self.tokenizer(
                "", padding="max_length", max_length=len(self.ramping_coefficients), return_tensors="pt"
            ).input_ids.to(self.text_encoder.device)
            self._prompt_states = self.text_encoder(ids)[0]
        return self._prompt_states

    def condition_pixels(self, images: list[Image.Image]) -> tuple[torch.Tensor, torch.Tensor]:
        """Condition images to (CLIP pixels, VAE pixels in [-1, 1]) through the two image processors."""
        clip = self.feature_extractor_clip(images=images, return_tensors="pt").pixel_values
        vae = self.feature_extractor_vae(images=images, return_tensors="pt").pixel_values
        return clip, vae

    @torch.no_grad()
    def condition_states(self, clip_pixels: torch.Tensor) -> torch.Tensor:
        """Empty-prompt states plus the CLIP image embedding ramped over the tokens."""
        encoder = self.vision_encoder
        embeds = encoder(clip_pixels.to(encoder.device, encoder.dtype)).image_embeds[:, None, :]
        ramp = embeds.new_tensor(self.ramping_coefficients)[None, :, None]
        return self.prompt_states().to(embeds.dtype) + embeds * ramp

    @torch.no_grad()
    def condition_latents(self, vae_pixels: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """VAE latent of the condition image (Zero123++ does not apply the scaling factor here)."""
        pixels = vae_pixels.to(self.vae.device, self.vae.dtype)
        return self.vae.encode(pixels).latent_dist.sample(generator)

    @torch.no_grad()
    def grid_latents(self, grid: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Target grids in [0, 1] (B, 3, H, W) to UNet latents."""
        pixels = scale_image(grid.to(self.vae.device, self.vae.dtype) * 2.0 - 1.0)
        latents = self.vae.encode(pixels).latent_dist.sample(generator) * self.vae.config.scaling_factor
        return scale_latents(latents)

    @torch.no_grad()
    def decode_grid(self, latents: torch.Tensor) -> torch.Tensor:
        """UNet latents to grids in [0, 1]."""
        latents = unscale_latents(latents.to(self.vae.dtype)) / self.vae.config.scaling_factor
        image = unscale_image(self.vae.decode(latents).sample)
        return ((image.float().clamp(-1.0, 1.0) + 1.0) / 2.0).clamp(0.0, 1.0)


def _tiny_tokenizer() -> transformers.CLIPTokenizer:
    """A CLIP tokenizer with a three-token vocabulary: enough for the empty prompt."""
    with tempfile.TemporaryDirectory() as tmp:
        vocab, merges = Path(tmp, "vocab.json"), Path(tmp, "merges.txt")
        vocab.write_text(json.dumps({"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2}))
        merges.write_text("#version: 0.2\n")
        return transformers.CLIPTokenizer(
            str(vocab), str(merges), pad_token="<|endoftext|>", model_max_length=77
        )


def tiny_model(tile_size: int = 32, condition_size: int = 64, seed: int = 0) -> Zero123PlusModel:
    """The same classes as Zero123++ at toy sizes with random weights (CPU tests and the demo)."""
    torch.manual_seed(seed)
    width, tokens = 32, 77
    unet = UNet2DConditionModel(
        sample_size=tile_size // 8,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=width,
        attention_head_dim=8,
        norm_num_groups=8,
        use_linear_projection=True,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 16, 16),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=condition_size,
    )
    # A trained VAE's posterior is nearly a point; a random one's is not. Pin the log-variance low so
    # the tiny model's targets are (almost) deterministic, as with the real VAE.
    with torch.no_grad():
        vae.quant_conv.weight[4:] = 0.0
        vae.quant_conv.bias[4:] = -20.0
    text = transformers.CLIPTextConfig(
        vocab_size=3,
        hidden_size=width,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=tokens,
        projection_dim=width,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    vision = transformers.CLIPVisionConfig(
        hidden_size=width,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=32,
        patch_size=8,
        projection_dim=width,
    )

    def processor(size: int, mean: list[float], std: list[float]) -> transformers.CLIPImageProcessor:
        return transformers.CLIPImageProcessor(
            size={"shortest_edge": size},
            crop_size={"height": size, "width": size},
            image_mean=mean,
            image_std=std,
        )

    return Zero123PlusModel(
        unet=unet,
        vae=vae,
        vision_encoder=transformers.CLIPVisionModelWithProjection(vision).eval(),
        text_encoder=transformers.CLIPTextModel(text).eval(),
        tokenizer=_tiny_tokenizer(),
        scheduler=EulerAncestralDiscreteScheduler(**SCHEDULE),
        feature_extractor_clip=processor(32, CLIP_MEAN, CLIP_STD),
        feature_extractor_vae=processor(condition_size, [0.5] * 3, [0.5] * 3),
        ramping_coefficients=np.linspace(0.0, 1.0, tokens).round(6).tolist(),
        tile_size=tile_size,
    )
