"""The settings that decide a dataset's bytes (light: the CLI reads its options from here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vdm.bake.config import BakeConfig
from vdm.render.config import RenderConfig, render_size
from vdm.settings import check_settings
from vdm.source_config import SourceConfig
from vdm.stitching.config import Augmentations, StitchConfig

DATASET_VERSION = "vdm.dataset/2"  # 2: every patch has its baked VDM in vdms/


@dataclass(frozen=True)
class MineConfig:
    """Everything that decides a dataset's bytes (besides the records and the code)."""

    augment: Augmentations = field(default_factory=Augmentations)
    size: int = render_size()
    sources: SourceConfig = field(default_factory=SourceConfig)
    stitch: StitchConfig = field(default_factory=StitchConfig)
    bake: BakeConfig = field(default_factory=BakeConfig)

    def __post_init__(self) -> None:
        check_settings(self)

    def dataset_settings(self) -> dict[str, Any]:
        """What a dataset records once and every later run must match: everything that decides
        its bytes (the load limit and the cache folder do not)."""
        settings = {
            "version": DATASET_VERSION,
            "size": self.size,
            "augmentations": self.augment.count,
            "seed": self.augment.seed,
            "stitch": self.stitch.to_json(),
            "render": RenderConfig().to_json(),
            "bake": self.bake.to_json(),
        }
        return json.loads(json.dumps(settings))  # tuples as lists: as the file holds them
