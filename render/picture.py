"""A picture of a patch for a person: the rig's lit RGB renders from three angles, side by side
(`vdm stitch --preview`, a VDM's preview, the docs' galleries)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vdm.patch import Patch

PICTURE_VIEWS = (1, 5, 4)  # az -30; el +45; az +60
PICTURE_SIZE = 320


def patch_picture(patch: Patch, size: int = PICTURE_SIZE, views: Sequence[int] = PICTURE_VIEWS) -> np.ndarray:
    """RGB uint8 (size, size * len(views), 3): the patch as the renderer lights it, one view per column."""
    from vdm.render.renderer import PatchRenderer

    with PatchRenderer(size) as renderer:
        rendered = renderer.render(patch, tuple(views))
    return np.concatenate([rendered[k].rgb for k in views], axis=1)
