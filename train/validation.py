"""Validation during training: sample the held-out patches, save condition | generated | truth rows
as one PNG per validation step, and measure the mean angular error of the generated normals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from train.config import ValidationConfig
from train.model import Zero123PlusModel
from train.normals import mean_angular_error
from train.reference import ReferenceUNet
from train.sampling import SampleConfig, sample_grids
from vdm.dataset import load_training_pair
from vdm.images import BACKGROUND, write_png
from vdm.rig import GRID_COLS, GRID_ROWS


def validation_path(run: Path, step: int) -> Path:
    return run / "validation" / f"step-{step:07d}.png"


@torch.no_grad()
def validate(
    model: Zero123PlusModel,
    net: ReferenceUNet,
    config: ValidationConfig,
    data: Path,
    run: Path,
    entries: list[dict[str, Any]],
    step: int,
    seed: int = 0,
) -> float:
    """Mean angular error (degrees) over the first `config.samples` held-out patches of the dataset
    `data`; writes the condition | generated | truth rows into the run directory."""
    tile = model.tile_size
    pairs = [load_training_pair(data, entry) for entry in entries[: config.samples]]
    sample = SampleConfig(steps=config.steps, guidance=config.guidance, seed=seed)
    generated = sample_grids(model, net, [p.condition for p in pairs], sample)
    size = (GRID_COLS * tile, GRID_ROWS * tile)
    truths = [
        np.asarray(Image.fromarray(p.normal_grid).resize(size, Image.Resampling.LANCZOS)) for p in pairs
    ]
    errors = [mean_angular_error(g, t) for g, t in zip(generated, truths, strict=True)]
    height = GRID_ROWS * tile
    rows = []
    for pair, grid, truth in zip(pairs, generated, truths, strict=True):
        condition = np.asarray(
            Image.fromarray(pair.condition).resize((height, height), Image.Resampling.LANCZOS)
        )
        gap = np.full((height, tile // 4, 3), BACKGROUND, dtype=np.uint8)
        rows.append(np.concatenate([condition, gap, grid, gap, truth], axis=1))
    write_png(validation_path(run, step), np.concatenate(rows, axis=0))
    return float(np.mean(errors))
