"""`vdm generate`: one RGBA image of a part to the six-view normal grid (conventions sections 4, 5).

Writes into DIR: condition.png (the preprocessed condition), grid.png (640 wide, 960 high: the 3 x 2 grid
as `vdm reconstruct` reads it) and normal_<k>.png + mask_<k>.png for the six grid views at 320 x
320 (as `vdm render` names them), white background. The model's tiles are resized to 320 if it
generates another size (the tiny model).

The model: a diffusers Zero123++ directory, a training run of ours, a hub id, or another project's
UNet file on the base model (train.foreign): a GenVDM checkpoint or an InstantMesh-style UNet, each
with its authors' condition (train.preprocess) and its tiles read as they read them (near-white is
background) and converted to the patch frame (train.normal_frames; the frame found is in
generate.json).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vdm.atomic import writable_dir, write_text_atomic
from vdm.dataset import view_file
from vdm.images import compose_grid, split_grid
from vdm.rig import TILE_SIZE
from vdm.torch_runtime import pick_device, torch_threads
from vdm.train.config import HUB_ID, GenerateConfig
from vdm.train.foreign import GENVDM, UNET, ForeignUNet, apply_foreign_unet, read_foreign_unet
from vdm.train.model import Zero123PlusModel
from vdm.train.normal_frames import convert_tiles
from vdm.train.normals import clean_normal_map
from vdm.train.preprocess import condition_image, genvdm_condition, instantmesh_condition, read_rgba
from vdm.train.reference import ReferenceUNet
from vdm.train.sampling import SampleConfig, sample_grids

log = logging.getLogger(__name__)

NEAR_WHITE = 240  # GenVDM's `make_mask`: a tile pixel with every channel above this is background
CONDITIONS = {GENVDM: genvdm_condition, UNET: instantmesh_condition}  # each model as its authors run it


def generate(
    image: str | Path,
    model: str | Path | Zero123PlusModel,
    out: str | Path,
    config: GenerateConfig | None = None,
    base: str | Path = HUB_ID,
) -> list[Path]:
    """Generate the grid for one image with a model (object, directory, run, hub id, or another
    project's UNet file on `base`); returns the written paths."""
    config = config or GenerateConfig()
    out = writable_dir(out)
    rgba = read_rgba(Path(image))
    foreign = (
        read_foreign_unet(Path(model)) if isinstance(model, str | Path) and Path(model).is_file() else None
    )
    make_condition = CONDITIONS[foreign.kind] if foreign else condition_image
    with torch_threads(config.threads):
        return _generate(make_condition(rgba), model, out, config, foreign, base)


def _loaded(model, foreign: ForeignUNet | None, base: str | Path, device: torch.device) -> Zero123PlusModel:
    from vdm.train.loading import load_model

    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if foreign is not None:
        model = apply_foreign_unet(load_model(base, dtype=dtype), foreign)
    elif not isinstance(model, Zero123PlusModel):
        model = load_model(model, dtype=dtype)
    model.frozen_to(device, dtype)
    return model


def _generate(
    condition: np.ndarray,
    model: str | Path | Zero123PlusModel,
    out: Path,
    config: GenerateConfig,
    foreign: ForeignUNet | None,
    base: str | Path,
) -> list[Path]:
    from vdm.images import write_png

    device = pick_device(config.device)
    model = _loaded(model, foreign, base, device)
    dtype = next(model.unet.parameters()).dtype
    net = (
        ReferenceUNet(model.unet.to(device, dtype), model.train_scheduler().alphas_cumprod).to(device).eval()
    )
    sample = SampleConfig(steps=config.steps, guidance=config.guidance, seed=config.seed)
    grid = sample_grids(model, net, [condition], sample, progress=True)[0]
    tiles = {
        k: np.asarray(Image.fromarray(t).resize((TILE_SIZE,) * 2, Image.Resampling.LANCZOS))
        for k, t in split_grid(grid).items()
    }
    if foreign is None:
        cleaned = {k: clean_normal_map(t) for k, t in tiles.items()}
        frame = "patch"
    else:  # their tiles: near-white is background, the normals in the frame the plane shows
        background = {k: (t > NEAR_WHITE).all(axis=-1) for k, t in tiles.items()}
        converted, frame = convert_tiles(tiles, background)
        cleaned = {k: (converted[k], ~background[k]) for k in tiles}
    report = {
        "model": str(model if foreign is None else foreign.path),
        "kind": foreign.kind if foreign else "vdm",
    }
    write_text_atomic(
        out / "generate.json", json.dumps({**report, "frame": frame, **asdict(config)}, indent=1) + "\n"
    )
    written = [out / "condition.png", out / "grid.png"]
    write_png(written[0], condition)
    write_png(written[1], compose_grid({k: normal for k, (normal, _) in cleaned.items()}))
    for k, (normal, mask) in sorted(cleaned.items()):
        written += [out / view_file("normal", k), out / view_file("mask", k)]
        write_png(written[-2], normal)
        write_png(written[-1], np.where(mask, 255, 0).astype(np.uint8))
    log.info("%d files written to %s", len(written), out)
    return written
