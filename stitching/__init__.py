"""stitching/: fuse lassoed faces into one clean part with a flat border, stitched into the base square.

Public API (the miner in render/ calls these):
- `StitchConfig`: every setting (Poisson depth and backend, margins, edge length, gates).
- `stitch_selection(mesh, face_ids, config) -> StitchResult` (`.patch`, `.report`).
- `augment_patch(patch, count, seed) -> list[Augmented]` (`.patch`, `.augmentation`, `.report`).
Refusals raise `vdm.errors.Rejected(stage, reason)`.
"""

from stitching.augment import Augmented, augment_patch
from stitching.config import GateThresholds, StitchConfig
from stitching.pipeline import StitchResult, stitch_selection

__all__ = ["Augmented", "GateThresholds", "StitchConfig", "StitchResult", "augment_patch", "stitch_selection"]
