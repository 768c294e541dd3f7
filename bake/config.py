"""The settings of `vdm bake` (light: the CLI and the miner read their defaults from here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from vdm.errors import VdmError
from vdm.vdm_file import COMPRESSIONS, DEFAULT_RESOLUTION

BORDERS = ("square", "disc")
RESOLUTIONS = (256, 2048)  # the sides a VDM may have, inclusive


@dataclass(frozen=True)
class BakeConfig:
    """How a patch becomes its VDM (conventions sections 6 and 6b)."""

    resolution: int = DEFAULT_RESOLUTION  # VDM side in pixels
    half: bool = False  # half-float channels instead of float32
    compression: str = "zip"  # "zip" | "none"
    border: str = "square"  # "square": 0 on the square's edge; "disc": 0 outside the inscribed circle
    band: float = 0.08  # plane around the part's footprint that blends into it (patch units)
    slim_iterations: int = 8  # SLIM steps after the injective start (0: the start alone)
    max_spacing: float = 0.02  # the part's surface is sampled at least this finely (patch units)

    def __post_init__(self) -> None:
        if not RESOLUTIONS[0] <= self.resolution <= RESOLUTIONS[1]:
            raise VdmError(f"VDM resolution {self.resolution} is outside {RESOLUTIONS[0]}..{RESOLUTIONS[1]}.")
        if self.border not in BORDERS:
            raise VdmError(f"Unknown border '{self.border}' (use {' or '.join(BORDERS)}).")
        if self.compression not in COMPRESSIONS:
            raise VdmError(f"Unknown compression '{self.compression}' (use {' or '.join(COMPRESSIONS)}).")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
