"""Limits and locations for loading sources (light: no geometry libraries are imported here)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vdm.settings import check_settings, setting

DEFAULT_MAX_FACES = 5_000_000
OBJAVERSE_CACHE_ENV = "VDM_OBJAVERSE_CACHE"


def default_objaverse_cache() -> Path:
    """$VDM_OBJAVERSE_CACHE, else objaverse's own default ~/.objaverse."""
    return Path(os.environ.get(OBJAVERSE_CACHE_ENV, Path.home() / ".objaverse")).expanduser()


@dataclass(frozen=True)
class SourceConfig:
    """Limits and locations used when loading sources."""

    max_faces: int = setting(
        DEFAULT_MAX_FACES,
        flag="--max-faces",
        min=1,
        label="face limit",
        help="Refuse meshes with more faces than this.",
    )
    objaverse_cache: Path = setting(
        flag="--objaverse-cache",
        factory=default_objaverse_cache,
        label="Objaverse cache",
        help=f"Objaverse cache directory (default ${OBJAVERSE_CACHE_ENV} or ~/.objaverse).",
    )

    def __post_init__(self) -> None:
        check_settings(self)
