"""The preview image: the VDM applied to a plane, shaded, from three angles of the rig, side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vdm.vdm_file import vdm_to_patch

PREVIEW_VIEWS = (1, 5, 4)  # az -30; el +45; az +60
PREVIEW_SIZE = 320
PREVIEW_MESH_RESOLUTION = 192


def write_preview(path: str | Path, displacement: np.ndarray, size: int = PREVIEW_SIZE) -> Path:
    """Render the displaced plane (PatchRenderer, lit RGB) and write the three views as one PNG."""
    from render.renderer import PatchRenderer
    from vdm.images import write_png

    patch = vdm_to_patch(displacement, min(PREVIEW_MESH_RESOLUTION, displacement.shape[0]))
    with PatchRenderer(size) as renderer:
        views = renderer.render(patch, PREVIEW_VIEWS)
    write_png(path, np.concatenate([views[k].rgb for k in PREVIEW_VIEWS], axis=1))
    return Path(path)
