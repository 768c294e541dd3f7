"""What the renderer returns for one view, and how views are written to disk (conventions 5, 7).

Light on purpose (numpy and PIL only): dataset writers and contact sheets import it without GL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vdm.atomic import atomic_path, write_bytes_atomic
from vdm.dataset import VIEW_KINDS, view_file
from vdm.images import png_bytes


@dataclass
class ViewImages:
    """Everything rendered for one view of the rig."""

    view: int
    rgb: np.ndarray  # (S, S, 3) uint8: lit render, white background
    normal: np.ndarray  # (S, S, 3) uint8: encode_normals(normals, mask), background exactly white
    mask: np.ndarray  # (S, S) bool: the patch covers the pixel centre
    normals: np.ndarray  # (S, S, 3) float32: unit patch-frame normals, 0 on the background
    depth: np.ndarray  # (S, S) float32: distance from the camera plane along the view direction, 0 off it
    face_ids: np.ndarray  # (S, S) int32: the triangle seen at the pixel centre, -1 off the patch

    @property
    def mask_image(self) -> np.ndarray:
        """The 8-bit mask of conventions section 5: 255 on the patch, 0 elsewhere."""
        return np.where(self.mask, 255, 0).astype(np.uint8)

    def image(self, kind: str) -> np.ndarray:
        """The 8-bit image of a kind in VIEW_KINDS, as it is written to disk."""
        return {"rgb": self.rgb, "normal": self.normal, "mask": self.mask_image}[kind]


def view_pngs(views: dict[int, ViewImages]) -> dict[str, bytes]:
    """Every view's rgb/normal/mask PNG, keyed by file name."""
    return {
        view_file(kind, k): png_bytes(images.image(kind))
        for k, images in sorted(views.items())
        for kind in VIEW_KINDS
    }


def write_views(out_dir: str | Path, views: dict[int, ViewImages], depth: bool = False) -> list[Path]:
    """Write rgb_<k>.png, normal_<k>.png and mask_<k>.png of every view (and depth_<k>.npy,
    float32, 0 off the patch, if asked), each through a temporary name; returns the paths."""
    out_dir = Path(out_dir)
    written = []
    for name, data in view_pngs(views).items():
        written.append(out_dir / name)
        write_bytes_atomic(written[-1], data)
    for k, images in sorted(views.items()) if depth else ():
        written.append(out_dir / f"depth_{k}.npy")
        with atomic_path(written[-1]) as tmp:
            np.save(tmp, images.depth)
    return written
