"""A picture of a patch for a person: the rig's lit RGB renders from three angles, side by side
(`vdm stitch --preview`, a VDM's preview, the docs' galleries)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vdm.patch import PART, Patch
from vdm.render.config import RenderConfig
from vdm.rig import PLANE_GREY

PICTURE_VIEWS = (1, 5, 4)  # az -30; el +45; az +60
PICTURE_SIZE = 320
HEIGHT_RAMP = 0.02  # the colour turns from the plane's grey to clay over this much height


def height_coloured(patch: Patch, plane: float | np.ndarray = PLANE_GREY) -> Patch:
    """The patch coloured by geometry, not by its vertex labels: the plane's grey (`plane`, one value
    or one per vertex) turning to the part's clay with height, so a picture shows no ragged edge
    where single vertices of the label boundary sit on the plane. For people only: the rig's
    renders for training keep the labels' colours (conventions section 3)."""
    plane = np.broadcast_to(np.asarray(plane, dtype=np.float64), (len(patch.vertices),))[:, None]
    ramp = np.clip(np.abs(patch.vertices[:, 2]) / HEIGHT_RAMP, 0.0, 1.0)[:, None]
    colour = (1.0 - ramp) * plane + ramp * np.asarray(RenderConfig().part_colour)
    rgb = np.round(255.0 * colour).astype(np.uint8)
    return Patch(patch.vertices, patch.faces, np.full(len(patch.vertices), PART, dtype=np.uint8), rgb)


def patch_picture(patch: Patch, size: int = PICTURE_SIZE, views: Sequence[int] = PICTURE_VIEWS) -> np.ndarray:
    """RGB uint8 (size, size * len(views), 3): the patch as the renderer lights it, one view per column."""
    from vdm.render.renderer import PatchRenderer

    with PatchRenderer(size) as renderer:
        rendered = renderer.render(patch, tuple(views))
    return np.concatenate([rendered[k].rgb for k in views], axis=1)
