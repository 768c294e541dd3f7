"""A dataset's layout (conventions section 7): its paths, the manifest and the training pairs.

The one place that names a dataset's files: mine/ writes datasets through these paths and
train/ reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vdm.errors import VdmError
from vdm.images import compose_grid, read_image
from vdm.rig import FRONT_VIEW, GRID_VIEWS

MANIFEST = "manifest.jsonl"
REJECTED = "rejected.jsonl"
SETTINGS = "settings.json"  # what decides the dataset's bytes, written by its first miner


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line of a .jsonl file (a torn last line from a killed writer is skipped)."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return entries


def read_manifest(dataset: str | Path) -> list[dict[str, Any]]:
    """The accepted patches of a dataset directory, in manifest order."""
    dataset = Path(dataset)
    if not (dataset / MANIFEST).is_file():
        raise VdmError(f"{dataset} is not a vdm dataset: it has no {MANIFEST}.")
    return read_jsonl(dataset / MANIFEST)


def patch_paths(patch_id: str) -> dict[str, str]:
    """Dataset-relative paths of one patch: its mesh, its views folder and its baked VDM."""
    return {"patch": f"patches/{patch_id}.ply", "views": f"views/{patch_id}", "vdm": f"vdms/{patch_id}.exr"}


def selection_file(selection_id: str) -> str:
    """Dataset-relative path of the selection record a patch came from."""
    return f"selections/{selection_id}.json"


def view_file(kind: str, k: int) -> str:
    """<kind>_<k>.png: a view's file name in a views folder, kind one of rgb, normal, mask
    (also what `vdm render` writes, conventions section 8)."""
    return f"{kind}_{k}.png"


def view_path(dataset: Path, patch_id: str, kind: str, k: int) -> Path:
    """DATASET/views/<patch_id>/<kind>_<k>.png."""
    return dataset / patch_paths(patch_id)["views"] / view_file(kind, k)


@dataclass
class TrainingPair:
    """One patch as the trainer sees it: the front RGB render and the 3 x 2 normal grid."""

    patch_id: str
    condition: np.ndarray  # (512, 512, 3) uint8, view 2
    normal_grid: np.ndarray  # (960, 640, 3) uint8, views 0, 1, 3, 4, 5, 6


def load_training_pair(dataset: str | Path, entry: dict[str, Any]) -> TrainingPair:
    """Read one manifest entry's condition image and build its normal grid."""
    dataset = Path(dataset)
    patch_id = entry["patch_id"]
    condition = read_image(view_path(dataset, patch_id, "rgb", FRONT_VIEW))
    normals = {k: read_image(view_path(dataset, patch_id, "normal", k)) for k in GRID_VIEWS}
    return TrainingPair(patch_id, condition, compose_grid(normals))
