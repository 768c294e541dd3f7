"""The reconstruction input: six patch-frame normal maps (views 0, 1, 3, 4, 5, 6) and their masks.

NORMALS is a 3 x 2 grid PNG (conventions section 4), a directory with normal_<k>.png (and optionally
mask_<k>.png) as `vdm render` writes it, or, from Python, a dict {k: array}: uint8 encoded normal
maps (white background) or float (H, W, 3) unit normals with zero vectors on the background.
Every view is resampled to the working size: normals by area averaging, masks by majority.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from vdm.dataset import view_file
from vdm.errors import VdmError
from vdm.images import decode_normals, read_image, split_grid
from vdm.rig import FRONT_VIEW, GRID_COLS, GRID_ROWS, GRID_VIEWS

MIN_SIZE = 16


@dataclass
class NormalViews:
    """Unit normals (S, S, 3) float32 and boolean masks (S, S) per view index, all one size."""

    normals: dict[int, np.ndarray]
    masks: dict[int, np.ndarray]

    @property
    def size(self) -> int:
        return next(iter(self.masks.values())).shape[0]


def _from_grid(path: Path) -> dict[int, np.ndarray]:
    grid = read_image(path)
    h, w = grid.shape[:2]
    if w % GRID_COLS or h % GRID_ROWS or h // GRID_ROWS != w // GRID_COLS:
        raise VdmError(
            f"Normal grid {path} is {w}x{h} pixels; expected {GRID_ROWS} rows x {GRID_COLS} columns of "
            "square tiles (640 wide, 960 high)."
        )
    return split_grid(grid)


def _from_directory(path: Path) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    missing = [view_file("normal", k) for k in GRID_VIEWS if not (path / view_file("normal", k)).is_file()]
    if missing:
        raise VdmError(
            f"Directory {path} lacks {', '.join(missing)}; the six views {', '.join(map(str, GRID_VIEWS))} "
            "are needed."
        )
    views = {k: read_image(path / view_file("normal", k)) for k in GRID_VIEWS}
    masks = {
        k: read_image(path / view_file("mask", k))[..., 0] > 127
        for k in GRID_VIEWS
        if (path / view_file("mask", k)).is_file()
    }
    return views, masks


def read_views(source: Path | str) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Encoded normal maps and the masks given beside them, from a grid PNG or a view directory."""
    path = Path(source)
    if path.is_dir():
        return _from_directory(path)
    if path.is_file():
        return _from_grid(path), {}
    raise VdmError(f"Normals {path} do not exist (give a 960x640 grid PNG or a directory of normal_<k>.png).")


def front_view(source: Path | str) -> np.ndarray:
    """The encoded front view (normal_2.png) of a view directory: the height-field baseline's input."""
    path = Path(source) / f"normal_{FRONT_VIEW}.png"
    if not path.is_file():
        raise VdmError(
            f"The height-field baseline needs the front view {path}; give a `vdm render` directory."
        )
    return read_image(path)


def _decode(k: int, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] < 3 or image.shape[0] != image.shape[1]:
        raise VdmError(f"Normal view {k} has shape {image.shape}; a view is a square H x W x 3 image.")
    if image.shape[0] < MIN_SIZE:
        raise VdmError(f"Normal view {k} is {image.shape[0]} pixels wide; use at least {MIN_SIZE}.")
    if image.dtype == np.uint8:
        return decode_normals(image)
    values = image[..., :3].astype(np.float32)
    if not np.isfinite(values).all():
        raise VdmError(f"Normal view {k} has NaN or infinite pixels.")
    length = np.linalg.norm(values, axis=-1)
    mask = length > 0.5
    return np.where(mask[..., None], values / np.maximum(length, 1e-6)[..., None], 0.0), mask


def _resize(normals: np.ndarray, mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    if normals.shape[0] == size:
        return normals.astype(np.float32), mask

    def area(channel: np.ndarray) -> np.ndarray:
        image = Image.fromarray(channel.astype(np.float32), mode="F")
        return np.asarray(image.resize((size, size), Image.Resampling.BOX))

    coverage = area(mask.astype(np.float32))
    summed = np.stack([area(normals[..., c]) for c in range(3)], -1)
    length = np.linalg.norm(summed, axis=-1, keepdims=True)
    keep = (coverage > 0.5) & (length[..., 0] > 1e-3)
    return np.where(keep[..., None], summed / np.maximum(length, 1e-6), 0.0).astype(np.float32), keep


def load_normal_views(
    source: Path | str | dict[int, np.ndarray], size: int, masks: dict[int, np.ndarray] | None = None
) -> NormalViews:
    """Validate and decode the six views at `size` pixels; masks are given or the non-white pixels."""
    if isinstance(source, dict):
        images, given = source, dict(masks or {})
    else:
        images, given = read_views(source)
    missing = [k for k in GRID_VIEWS if k not in images]
    if missing:
        raise VdmError(
            f"Views {', '.join(map(str, missing))} are missing; the six views "
            f"{', '.join(map(str, GRID_VIEWS))} are needed."
        )
    normals, out_masks = {}, {}
    for k in GRID_VIEWS:
        n, m = _decode(k, images[k])
        if k in given:
            if np.asarray(given[k]).shape != m.shape:
                raise VdmError(f"The mask of view {k} is not the size of its normal map.")
            m = m & np.asarray(given[k], dtype=bool)
        if not m.any():
            raise VdmError(f"Normal view {k} is all background: there is nothing to reconstruct.")
        normals[k], out_masks[k] = _resize(n, m, size)
    return NormalViews(normals, out_masks)
