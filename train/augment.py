"""Augmentation of the condition image (the target grid is never changed): hue and brightness
jitter of the patch, a random crop and rescale, and optionally a view next to the front view."""

from __future__ import annotations

import numpy as np
from PIL import Image

from train.config import AugmentConfig
from vdm.images import BACKGROUND

NEARBY_VIEWS = (1, 3)  # azimuth -30 and +30 degrees, either side of the front view


def jitter_colours(rgb: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """Shift the hue and scale the brightness of every non-background pixel (white stays white)."""
    foreground = ~(rgb == BACKGROUND).all(axis=-1)
    hsv = np.asarray(Image.fromarray(rgb).convert("HSV")).astype(np.float64)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-config.hue, config.hue) * 256.0) % 256.0
    hsv[..., 2] = hsv[..., 2] * (1.0 + rng.uniform(-config.brightness, config.brightness))
    jittered = np.asarray(
        Image.fromarray(np.clip(np.round(hsv), 0, 255).astype(np.uint8), "HSV").convert("RGB")
    )
    return np.where(foreground[..., None], jittered, rgb)


def crop_rescale(rgb: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """Zoom about the centre by a random factor and shift; uncovered pixels are background white."""
    size = rgb.shape[0]
    scale = 1.0 + rng.uniform(-config.zoom, config.zoom)
    dx, dy = rng.uniform(-config.shift, config.shift, size=2) * size
    centre = size / 2.0
    # PIL maps each output pixel (x, y) to the input pixel (a x + b y + c, d x + e y + f).
    inverse = (1 / scale, 0.0, centre - (centre + dx) / scale, 0.0, 1 / scale, centre - (centre + dy) / scale)
    image = Image.fromarray(rgb).transform(
        (size, size), Image.Transform.AFFINE, inverse, Image.Resampling.BICUBIC, fillcolor=(BACKGROUND,) * 3
    )
    return np.asarray(image)


def augment_condition(rgb: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """The condition image after colour jitter and crop-rescale."""
    if config.hue or config.brightness:
        rgb = jitter_colours(rgb, rng, config)
    if config.zoom or config.shift:
        rgb = crop_rescale(rgb, rng, config)
    return rgb
