"""Augmentation of a training sample: hue and brightness jitter of the condition's patch, a random
crop and rescale of the condition, optionally a view next to the front view, and (GenVDM's recipe)
one crop cut alike from the condition and every target tile, and a random resize of the condition."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from vdm.images import BACKGROUND
from vdm.train.config import AugmentConfig

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


def crop_box(rng: np.random.Generator, config: AugmentConfig) -> tuple[float, ...]:
    """(left, top, right, bottom) as shares of the side: one crop for condition and targets alike."""
    left, top = rng.uniform(0.0, config.joint_crop, size=2)
    right, bottom = 1.0 - rng.uniform(0.0, config.joint_crop, size=2)
    return float(left), float(top), float(right), float(bottom)


def crop_image(rgb: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    """The box (rounded to whole pixels, as `crop_grid` rounds it) cut from an image and scaled back."""
    h, w = rgb.shape[:2]
    pixels = (round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h))
    return np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR, box=pixels))


def crop_grid(grid: torch.Tensor, box: tuple[float, ...], tile: int) -> torch.Tensor:
    """The same box cut from every tile of a (3, rows tile, cols tile) target grid, back to `tile`."""
    out = grid.clone()
    left, top, right, bottom = (round(v * tile) for v in box)
    for r in range(grid.shape[1] // tile):
        for c in range(grid.shape[2] // tile):
            window = grid[None, :, r * tile + top : r * tile + bottom, c * tile + left : c * tile + right]
            resized = torch.nn.functional.interpolate(
                window, size=(tile, tile), mode="bilinear", align_corners=False
            )
            out[:, r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = resized[0]
    return out


def random_resize(rgb: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """The condition drawn down to a random side in `config.resize` and back up (lost detail)."""
    side = int(rng.integers(config.resize[0], config.resize[1] + 1))
    size = rgb.shape[1::-1]
    small = Image.fromarray(rgb).resize((side, side), Image.Resampling.BILINEAR)
    return np.asarray(small.resize(size, Image.Resampling.BILINEAR))


def augment_condition(rgb: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """The condition image after colour jitter, crop-rescale and random resize."""
    if config.hue or config.brightness:
        rgb = jitter_colours(rgb, rng, config)
    if config.zoom or config.shift:
        rgb = crop_rescale(rgb, rng, config)
    if config.resize[1]:
        rgb = random_resize(rgb, rng, config)
    return rgb
