"""`vdm generate`: one RGBA image of a part to the six-view normal grid (conventions sections 4, 5).

Writes into DIR: condition.png (the preprocessed condition), grid.png (640 wide, 960 high: the 3 x 2 grid
as `vdm reconstruct` reads it) and normal_<k>.png + mask_<k>.png for the six grid views at 320 x
320 (as `vdm render` names them), white background. The model's tiles are resized to 320 if it
generates another size (the tiny model).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vdm.atomic import writable_dir
from vdm.dataset import view_file
from vdm.errors import VdmError
from vdm.images import compose_grid, split_grid
from vdm.rig import TILE_SIZE
from vdm.torch_runtime import pick_device, torch_threads
from vdm.train.config import GenerateConfig
from vdm.train.model import Zero123PlusModel
from vdm.train.normals import clean_normal_map
from vdm.train.preprocess import condition_image, read_rgba
from vdm.train.reference import ReferenceUNet
from vdm.train.sampling import SampleConfig, sample_grids

log = logging.getLogger(__name__)


def generate(
    image: str | Path,
    model: str | Path | Zero123PlusModel,
    out: str | Path,
    config: GenerateConfig | None = None,
) -> list[Path]:
    """Generate the grid for one image with a model (object, directory, run or hub id); returns the
    written paths."""
    config = config or GenerateConfig()
    if config.steps < 1:
        raise VdmError("The number of sampling steps must be at least 1.")
    out = writable_dir(out)
    condition = condition_image(read_rgba(Path(image)))
    with torch_threads(config.threads):
        return _generate(condition, model, out, config)


def _generate(
    condition: np.ndarray, model: str | Path | Zero123PlusModel, out: Path, config: GenerateConfig
) -> list[Path]:
    from vdm.images import write_png
    from vdm.train.loading import load_model

    device = pick_device(config.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if not isinstance(model, Zero123PlusModel):
        model = load_model(model, dtype=dtype)
    model.frozen_to(device, dtype)
    net = (
        ReferenceUNet(model.unet.to(device, dtype), model.train_scheduler().alphas_cumprod).to(device).eval()
    )
    sample = SampleConfig(steps=config.steps, guidance=config.guidance, seed=config.seed)
    grid = sample_grids(model, net, [condition], sample, progress=True)[0]
    tiles = {
        k: np.asarray(Image.fromarray(t).resize((TILE_SIZE,) * 2, Image.Resampling.LANCZOS))
        for k, t in split_grid(grid).items()
    }
    cleaned = {k: clean_normal_map(t) for k, t in tiles.items()}
    written = [out / "condition.png", out / "grid.png"]
    write_png(written[0], condition)
    write_png(written[1], compose_grid({k: normal for k, (normal, _) in cleaned.items()}))
    for k, (normal, mask) in sorted(cleaned.items()):
        written += [out / view_file("normal", k), out / view_file("mask", k)]
        write_png(written[-2], normal)
        write_png(written[-1], np.where(mask, 255, 0).astype(np.uint8))
    log.info("%d files written to %s", len(written), out)
    return written
