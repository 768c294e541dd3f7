"""The settings of `vdm reconstruct` (light: the CLI reads its defaults from here)."""

from __future__ import annotations

from dataclasses import dataclass

from vdm.vdm_file import DEFAULT_RESOLUTION

QUALITIES = ("fast", "full")


@dataclass(frozen=True)
class ReconstructConfig:
    """How to reconstruct: quality preset, device (None: CUDA when present), seed, VDM resolution."""

    quality: str = "fast"
    device: str | None = None
    seed: int = 0
    resolution: int = DEFAULT_RESOLUTION
    threads: int = 1  # CPU threads for torch; more thrash on a shared machine (docs/reconstruct.md)
    baseline: bool = False  # the height-field baseline instead of the neural stages
    progress: bool = True
