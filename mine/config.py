"""The settings that decide a dataset's bytes (light: the CLI reads its defaults from here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vdm.rig import RENDER_SIZE
from vdm.source_config import DEFAULT_MAX_FACES, SourceConfig, source_config

if TYPE_CHECKING:
    from bake.config import BakeConfig
    from stitching.config import StitchConfig

DATASET_VERSION = "vdm.dataset/2"  # 2: every patch has its baked VDM in vdms/


@dataclass(frozen=True)
class MineConfig:
    """Everything that decides a dataset's bytes (besides the records and the code)."""

    augmentations: int = 5  # patches per selection (index 0 = as stitched)
    seed: int = 0
    size: int = RENDER_SIZE
    max_faces: int = DEFAULT_MAX_FACES
    objaverse_cache: Path | None = None
    stitch: StitchConfig | None = None  # None: stitching's defaults
    bake: BakeConfig | None = None  # None: bake's defaults

    def source_config(self) -> SourceConfig:
        return source_config(self.max_faces, self.objaverse_cache)

    def dataset_settings(self) -> dict[str, Any]:
        """What a dataset records once and every later run must match: everything that decides
        its bytes (the load limit and the cache folder do not)."""
        from bake.config import BakeConfig
        from render.config import RenderConfig
        from stitching.config import StitchConfig

        settings = {
            "version": DATASET_VERSION,
            "size": self.size,
            "augmentations": self.augmentations,
            "seed": self.seed,
            "stitch": (self.stitch or StitchConfig()).to_json(),
            "render": RenderConfig().to_json(),
            "bake": (self.bake or BakeConfig()).to_json(),
        }
        return json.loads(json.dumps(settings))  # tuples as lists: as the file holds them
