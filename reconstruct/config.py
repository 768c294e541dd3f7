"""The settings of `vdm reconstruct` (light: the CLI reads its options from here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vdm.bake.config import BakeConfig
from vdm.errors import VdmError
from vdm.settings import check_settings, setting
from vdm.torch_runtime import device_setting, threads_setting

QUALITY_NOTES = {  # what each costs on a 2-core CPU (docs/reconstruct.md), as --help and the web app say it
    "draft": "a first look in under 10 s",
    "fast": "about 25 s",
    "full": "3-4 minutes, finer views and surface",
}
QUALITIES = tuple(QUALITY_NOTES)
STAGE2 = ("bake", "field")


@dataclass(frozen=True)
class ReconstructConfig:
    """How to reconstruct: quality preset, device, seed, and the bake of its surface (as `vdm bake`)."""

    quality: str = setting(
        "fast",
        flag="--quality",
        choices=QUALITIES,
        label="quality",
        help="How long the reconstruction works on a CPU; "
        + "; ".join(f"{quality}: {note}" for quality, note in QUALITY_NOTES.items()),
    )
    device: str | None = device_setting()
    seed: int = setting(
        0, flag="--seed", label="seed", help="Seeds every random choice; same seed, same VDM."
    )
    stage2: str = setting(
        "bake",
        flag="--stage2",
        choices=STAGE2,
        label="stage 2",
        help="bake (stage 1's surface as a patch, baked as `vdm bake` does) or field (GenVDM's neural "
        "deformation field, for reproducing the paper; it may slide and fold the plane).",
    )
    bake: BakeConfig = field(default_factory=BakeConfig)
    threads: int = threads_setting(1)  # more thrash on a shared machine (docs/reconstruct.md)
    baseline: bool = setting(
        False,
        flag="--baseline",
        label="baseline",
        help="The scalar height-field baseline from the front view (needs normal_2.png).",
    )
    progress: bool = True

    def __post_init__(self) -> None:
        check_settings(self)
        if self.stage2 == "field" and self.bake.frame == "brush":
            raise VdmError(
                "--stage2 field writes a patch-frame VDM, as GenVDM does; --frame brush needs --stage2 bake."
            )
