"""The settings of `vdm bake` (light: the CLI and the miner read their defaults from here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from vdm.errors import VdmError
from vdm.settings import check_settings, setting
from vdm.vdm_file import COMPRESSIONS, DEFAULT_RESOLUTION

BORDERS = ("square", "disc")
FRAMES = ("brush", "patch")
RESOLUTIONS = (256, 2048)  # the sides a VDM may have, inclusive


@dataclass(frozen=True)
class BakeConfig:
    """How a patch becomes its VDM (conventions sections 6 and 6b)."""

    resolution: int = setting(
        DEFAULT_RESOLUTION,
        flag="--resolution",
        min=RESOLUTIONS[0],
        max=RESOLUTIONS[1],
        label="VDM resolution",
        help="VDM side in pixels.",
    )
    half: bool = setting(
        False, flag="--half", label="half floats", help="Half-float channels (as Blender's baker writes)."
    )
    compression: str = setting(
        "zip", flag="--compression", choices=tuple(COMPRESSIONS), label="compression", help="EXR compression."
    )
    border: str = setting(
        "square",
        flag="--border",
        choices=BORDERS,
        label="border",
        help="Where the displacement ends: on the square's edge, or at the inscribed circle.",
    )
    frame: str = setting(
        "patch",
        flag="--frame",
        choices=FRAMES,
        label="frame",
        help="brush: the part centred and fitted inside Blender's brush circle (what an artist stamps); "
        "patch: the patch frame of the renders (a dataset's training targets).",
    )
    band: float = 0.08  # plane around the part's footprint that blends into it (patch units)
    slim_iterations: int = 8  # SLIM steps after the injective start (0: the start alone)
    max_spacing: float = 0.02  # the part's surface is sampled at least this finely (patch units)

    def __post_init__(self) -> None:
        check_settings(self)
        if self.frame == "brush" and self.border != "square":
            raise VdmError(
                f"--border {self.border} is for --frame patch: a brush is centred and inside its circle "
                "already."
            )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
