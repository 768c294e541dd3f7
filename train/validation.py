"""Validation during training: sample the held-out patches, save condition | generated | truth rows
as one PNG per validation step, and measure the mean angular error of the generated normals, per
view (the side views are where a model goes wrong first) and overall, into a JSON beside it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from vdm.atomic import write_text_atomic
from vdm.dataset import load_training_pair
from vdm.images import BACKGROUND, split_grid, write_png
from vdm.rig import GRID_COLS, GRID_ROWS, GRID_VIEWS
from vdm.train.config import ValidationConfig
from vdm.train.model import Zero123PlusModel
from vdm.train.normals import mean_angular_error
from vdm.train.reference import ReferenceUNet
from vdm.train.sampling import SampleConfig, sample_grids


def validation_path(run: Path, step: int, suffix: str = ".png") -> Path:
    return run / "validation" / f"step-{step:07d}{suffix}"


@dataclass(frozen=True)
class ValidationResult:
    """Mean angular errors (degrees) of the generated normals on the held-out patches."""

    mean: float  # over every foreground pixel of every sampled grid
    per_view: dict[int, float]  # view index -> mean over the patches' errors in that view
    per_patch: dict[str, dict[int, float]]  # patch id -> view index -> error


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
) -> ValidationResult:
    """Sample the first `config.samples` held-out patches of the dataset `data` one at a time (a
    24 GB GPU holds the training state beside one guided sample), measure the angular error per
    view, and write the condition | generated | truth rows (PNG) and the errors (JSON) into the run."""
    tile = model.tile_size
    size = (GRID_COLS * tile, GRID_ROWS * tile)
    height = GRID_ROWS * tile
    rows, errors, per_patch = [], [], {}
    for i, entry in enumerate(entries[: config.samples]):
        pair = load_training_pair(data, entry)
        sample = SampleConfig(steps=config.steps, guidance=config.guidance, seed=seed * 1_000_003 + i)
        grid = sample_grids(model, net, [pair.condition], sample)[0]
        truth = np.asarray(Image.fromarray(pair.normal_grid).resize(size, Image.Resampling.LANCZOS))
        errors.append(mean_angular_error(grid, truth))
        generated_views, true_views = split_grid(grid), split_grid(truth)
        per_patch[entry["patch_id"]] = {
            k: mean_angular_error(generated_views[k], true_views[k]) for k in GRID_VIEWS
        }
        condition = np.asarray(
            Image.fromarray(pair.condition).resize((height, height), Image.Resampling.LANCZOS)
        )
        gap = np.full((height, tile // 4, 3), BACKGROUND, dtype=np.uint8)
        rows.append(np.concatenate([condition, gap, grid, gap, truth], axis=1))
    per_view = {k: float(np.mean([views[k] for views in per_patch.values()])) for k in GRID_VIEWS}
    result = ValidationResult(float(np.mean(errors)), per_view, per_patch)
    write_png(validation_path(run, step), np.concatenate(rows, axis=0))
    write_text_atomic(validation_path(run, step, ".json"), json.dumps(asdict(result), indent=1) + "\n")
    return result
