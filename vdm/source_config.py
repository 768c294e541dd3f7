"""Limits and locations for loading sources (light: no geometry libraries are imported here)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_FACES = 5_000_000
OBJAVERSE_CACHE_ENV = "VDM_OBJAVERSE_CACHE"


def default_objaverse_cache() -> Path:
    """$VDM_OBJAVERSE_CACHE, else objaverse's own default ~/.objaverse."""
    return Path(os.environ.get(OBJAVERSE_CACHE_ENV, Path.home() / ".objaverse")).expanduser()


@dataclass(frozen=True)
class SourceConfig:
    """Limits and locations used when loading sources."""

    max_faces: int = DEFAULT_MAX_FACES
    objaverse_cache: Path = field(default_factory=default_objaverse_cache)


def source_config(max_faces: int = DEFAULT_MAX_FACES, objaverse_cache: Path | None = None) -> SourceConfig:
    """A SourceConfig from the command-line options (no cache given: the default one)."""
    if objaverse_cache is None:
        return SourceConfig(max_faces=max_faces)
    return SourceConfig(max_faces=max_faces, objaverse_cache=objaverse_cache)
