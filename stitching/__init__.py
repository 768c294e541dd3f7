"""stitching/: fuse lassoed faces into one clean part with a flat border, stitched into the base square.

Entry points (loaded on first use):
- `StitchConfig`: every setting (Poisson depth and backend, margins, edge length, gates).
- `stitch_selection(mesh, face_ids, config) -> StitchResult` (`.patch`, `.report`).
- `augment_patch(patch, count, seed) -> list[Augmented]` (`.patch`, `.augmentation`, `.report`).
Refusals raise `vdm.errors.Rejected(stage, reason)`.
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.stitching.augment import augment_patch
    from vdm.stitching.config import StitchConfig
    from vdm.stitching.selection import stitch_selection

__all__ = ["StitchConfig", "augment_patch", "stitch_selection"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "StitchConfig": "vdm.stitching.config",
        "augment_patch": "vdm.stitching.augment",
        "stitch_selection": "vdm.stitching.selection",
    },
)
