"""The preview image of a VDM: the surface it encodes, shaded, from three angles of the rig."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vdm.render.picture import PICTURE_SIZE, patch_picture
from vdm.vdm_grid import vdm_to_patch

PREVIEW_MESH_RESOLUTION = 192


def write_preview(path: str | Path, displacement: np.ndarray, size: int = PICTURE_SIZE) -> Path:
    """Render the displaced plane and write its three views as one PNG."""
    from vdm.images import write_png

    patch = vdm_to_patch(displacement, min(PREVIEW_MESH_RESOLUTION, displacement.shape[0]))
    write_png(path, patch_picture(patch, size))
    return Path(path)
