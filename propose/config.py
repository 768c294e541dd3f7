"""Settings of `vdm propose`: the voxel grid, the scales of the neck search, the margins, the checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from vdm.errors import VdmError
from vdm.settings import check_settings, setting


@dataclass(frozen=True)
class ProposeConfig:
    """Everything that shapes the proposals; the same mesh and config always give the same records.

    Scales are fractions of the solid's thickest radius (its largest inscribed ball), so that a
    thin cow and a round head are searched alike whatever their size in their own units.
    """

    grid: int = setting(  # voxels along the longest side of the mesh's bounding box
        128, min=32, max=512, label="proposal grid", help="Voxels along the mesh's longest side."
    )
    scales: tuple[float, ...] = (0.05, 0.08, 0.12, 0.18, 0.27, 0.4, 0.6)  # neck radii / thickest radius
    min_scale_voxels: float = 1.2  # a neck radius under this many voxels is not resolved: skipped
    min_part_voxels: int = 20  # parts smaller than this are noise of the voxelisation
    max_part_fraction: float = 0.1  # a piece holding more of the solid than this is a body, not a part
    min_protrusion: float = 0.25  # how far a part sticks out of the body / its neck's width
    min_length: float = 0.15  # ... and at least this far, x the thickest radius
    margin: float = 0.35  # skin kept around a part's base, x its neck's width
    ground_band: float = 0.04  # a tip this near the lowest point (x the mesh's height) is on the ground
    neighbour_share: float = 0.05  # a lasso with more of its faces on a neighbouring part is refused
    same_part_iou: float = 0.5  # proposals overlapping more than this (faces) are one part
    count: int = setting(
        12, flag="--count", min=1, label="proposal count", help="Proposals kept per mesh (those that stitch)."
    )
    window: tuple[int, int] = (800, 600)  # the strokes' camera window, as the lasso opens it
    max_strokes: int = 4  # lasso strokes per proposal
    stitch_check: bool = setting(
        True, flag="--check", label="stitch check", help="Drop proposals the stitcher's gates refuse."
    )

    def __post_init__(self) -> None:
        check_settings(self)
        if not self.scales or any(not 0.0 < s < 1.0 for s in self.scales):
            raise VdmError("Proposal scales must be fractions in (0, 1).")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
