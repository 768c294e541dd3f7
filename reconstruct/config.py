"""The settings of `vdm reconstruct` (light: the CLI reads its defaults from here)."""

from __future__ import annotations

from dataclasses import dataclass

from vdm.errors import VdmError
from vdm.vdm_file import DEFAULT_RESOLUTION

QUALITIES = ("fast", "full")


@dataclass(frozen=True)
class ReconstructConfig:
    """How to reconstruct: quality preset, device (None: CUDA when present), seed, VDM resolution."""

    quality: str = "fast"
    device: str | None = None
    seed: int = 0
    resolution: int = DEFAULT_RESOLUTION
    border: str = "square"  # "square": 0 on the square's edge; "disc": 0 outside the inscribed circle
    threads: int = 1  # CPU threads for torch; more thrash on a shared machine (docs/reconstruct.md)
    baseline: bool = False  # the height-field baseline instead of the neural stages
    progress: bool = True

    def __post_init__(self) -> None:
        from bake.config import BakeConfig

        if self.quality not in QUALITIES:
            raise VdmError(f"Unknown quality {self.quality!r}; use one of {', '.join(QUALITIES)}.")
        BakeConfig(resolution=self.resolution, border=self.border)  # refuses what bake refuses
