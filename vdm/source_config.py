"""Limits and locations for loading sources (light: no geometry libraries are imported here)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from vdm.settings import check_settings, setting

DEFAULT_MAX_FACES = 5_000_000
OBJAVERSE_CACHE_ENV = "VDM_OBJAVERSE_CACHE"


def default_objaverse_cache() -> Path:
    """$VDM_OBJAVERSE_CACHE, else objaverse's own default ~/.objaverse."""
    return Path(os.environ.get(OBJAVERSE_CACHE_ENV, Path.home() / ".objaverse")).expanduser()


@dataclass(frozen=True)
class ObjaverseSubset:
    """Which Objaverse objects a batch may use (vdm.sources.subset reads the files): none given,
    every object; both given, the objects in both."""

    uids: Path | None = setting(
        None,
        flag="--uids",
        label="uid list",
        help="Use only the Objaverse objects this text file lists: one uid (or objaverse:<uid>) a line, "
        "# starts a comment.",
    )
    annotations: Path | None = setting(
        None,
        flag="--annotations",
        label="annotations table",
        help="Use only the Objaverse objects this table lists (CSV, JSON, JSON Lines or Parquet with a "
        "UID, uid or object_uid column, e.g. Objaverse++'s annotated_800k.json).",
    )
    min_score: float | None = setting(
        None,
        flag="--min-score",
        label="minimum score",
        help="With --annotations: only the objects whose score is at least this "
        "(Objaverse++: 0 low, 1 medium, 2 high, 3 superior).",
    )
    score_column: str = setting(
        "score",
        flag="--score-column",
        label="score column",
        help="The column of --annotations that --min-score reads.",
    )

    def __post_init__(self) -> None:
        check_settings(self)


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
    subset: ObjaverseSubset = field(default_factory=ObjaverseSubset)

    def __post_init__(self) -> None:
        check_settings(self)
