"""bake/: a patch straight to its VDM brush (conventions sections 6 and 6b): a fold-free map of
the patch onto the square that leaves the bare plane where it is, sampled at the pixel centres.

Entry points (loaded on first use): `BakeConfig`, `bake_patch(patch, config)` and
`brush_scores(displacement, patch)` (the section-6b figures).
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.bake.brush import bake_patch
    from vdm.bake.config import BakeConfig
    from vdm.bake.metrics import brush_scores

__all__ = ["BakeConfig", "bake_patch", "brush_scores"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {"BakeConfig": "vdm.bake.config", "bake_patch": "vdm.bake.brush", "brush_scores": "vdm.bake.metrics"},
)
