"""Training samples from a mined dataset: the held-out split by source mesh, the (augmented) condition and the
target grid at the model's tile size, and a batch order that depends only on the step (so a
resumed run sees exactly the batches an uninterrupted one would)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from vdm.dataset import load_training_pair, read_manifest, view_path
from vdm.errors import VdmError
from vdm.images import read_image
from vdm.rig import GRID_COLS, GRID_ROWS
from vdm.train.augment import NEARBY_VIEWS, AugmentConfig, augment_condition, crop_box, crop_grid, crop_image
from vdm.train.model import Zero123PlusModel


def split_entries(
    entries: list[dict[str, Any]], val_fraction: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held out) by source mesh: every patch of a held-out mesh is held out (parts of one
    asset share its style, so a split by part would flatter validation), chosen by a hash of the
    mesh's sha256, so the split is stable as the dataset grows. A dataset of one mesh is split by
    selection instead (augmented copies of a part never straddle the split)."""

    def selection(entry: dict[str, Any]) -> str:
        return str(entry.get("selection_id", entry["patch_id"]))

    def source(entry: dict[str, Any]) -> str:
        return str((entry.get("source") or {}).get("sha256") or selection(entry))

    group = source if len({source(e) for e in entries}) > 1 else selection

    def key(group_id: str) -> float:
        return int(hashlib.sha256(group_id.encode()).hexdigest()[:12], 16) / 16**12

    groups = sorted({group(e) for e in entries}, key=key)
    held = {g for g in groups if key(g) < val_fraction}
    if val_fraction > 0 and not held and len(groups) > 1:
        held = {groups[0]}  # a small dataset still gets one held-out mesh
    if held == set(groups):
        held.discard(groups[-1])  # and always something to train on
    return [e for e in entries if group(e) not in held], [e for e in entries if group(e) in held]


def load_entries(dataset: Path) -> list[dict[str, Any]]:
    """The manifest entries whose view files exist (a dataset without any fails in one sentence)."""
    entries = read_manifest(dataset)
    if not entries:
        raise VdmError(f"Dataset {dataset} has no accepted patches in its manifest.")
    missing = [e["patch_id"] for e in entries if not (dataset / "views" / e["patch_id"]).is_dir()]
    if missing:
        raise VdmError(f"Dataset {dataset} lacks the views of {len(missing)} patches (first: {missing[0]}).")
    return entries


@dataclass
class GridDataset(torch.utils.data.Dataset):
    """Items are (entry index, seed) pairs from `StepBatchSampler`; the seed drives augmentation."""

    dataset: Path
    entries: list[dict[str, Any]]
    model: Zero123PlusModel
    augment: AugmentConfig

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, item: tuple[int, int]) -> dict[str, torch.Tensor]:
        index, seed = item
        entry = self.entries[index]
        condition, grid = _pair(self.dataset, entry["patch_id"], self.model.tile_size)
        rng = np.random.default_rng(seed)
        views = self.augment.condition_views
        if not views and self.augment.nearby_views and rng.random() < self.augment.nearby_views:
            views = NEARBY_VIEWS
        if views:
            view = views[int(rng.integers(len(views)))]
            condition = read_image(view_path(self.dataset, entry["patch_id"], "rgb", view))
        if self.augment.joint_crop:
            box = crop_box(rng, self.augment)
            condition = crop_image(condition, box)
            grid = crop_grid(grid, box, self.model.tile_size)
        condition = augment_condition(condition, rng, self.augment)
        clip, vae = self.model.condition_pixels([Image.fromarray(condition)])
        return {"clip": clip[0], "vae": vae[0], "grid": grid}


@functools.lru_cache(maxsize=64)
def _pair(dataset: Path, patch_id: str, tile: int) -> tuple[np.ndarray, torch.Tensor]:
    """A patch's condition image and its target grid tensor; recently used patches stay in memory
    (a small dataset is read once, not once per step)."""
    pair = load_training_pair(dataset, {"patch_id": patch_id})
    return pair.condition, grid_tensor(pair.normal_grid, tile)


def grid_tensor(grid: np.ndarray, tile: int) -> torch.Tensor:
    """A uint8 normal grid to (3, 3 tile, 2 tile) floats in [0, 1]."""
    size = (GRID_COLS * tile, GRID_ROWS * tile)
    if grid.shape[1::-1] != size:
        grid = np.asarray(Image.fromarray(grid).resize(size, Image.Resampling.LANCZOS))
    return torch.from_numpy(np.array(grid)).permute(2, 0, 1).float() / 255.0


class StepBatchSampler(torch.utils.data.Sampler):
    """Batches `start`..`stop`-1 of an endless stream of seeded epoch permutations.

    Batch b holds stream positions b * size ... (b + 1) * size - 1; every item carries its own
    augmentation seed, so the data of a batch depends only on (seed, b).
    """

    def __init__(self, n: int, batch_size: int, seed: int, start: int, stop: int) -> None:
        self.n, self.batch_size, self.seed, self.start, self.stop = n, batch_size, seed, start, stop
        self._perms: dict[int, list[int]] = {}

    def _perm(self, epoch: int) -> list[int]:
        if epoch not in self._perms:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._perms = {epoch: torch.randperm(self.n, generator=generator).tolist()}
        return self._perms[epoch]

    def __len__(self) -> int:
        return max(self.stop - self.start, 0)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for batch in range(self.start, self.stop):
            positions = range(batch * self.batch_size, (batch + 1) * self.batch_size)
            yield [(self._perm(p // self.n)[p % self.n], self.seed * 1_000_003 + p) for p in positions]
