"""Command-line options shared by several `vdm` commands (kept apart so stage modules can import them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vdm.source_config import DEFAULT_MAX_FACES, SourceConfig

MaxFaces = Annotated[int, typer.Option("--max-faces", min=1, help="Refuse meshes with more faces than this.")]
ObjaverseCache = Annotated[
    Path | None,
    typer.Option(
        "--objaverse-cache",
        help="Objaverse cache directory (default $VDM_OBJAVERSE_CACHE or ~/.objaverse).",
        file_okay=False,
    ),
]


def source_config(max_faces: int = DEFAULT_MAX_FACES, objaverse_cache: Path | None = None) -> SourceConfig:
    """SourceConfig from the shared command-line options."""
    if objaverse_cache is None:
        return SourceConfig(max_faces=max_faces)
    return SourceConfig(max_faces=max_faces, objaverse_cache=objaverse_cache)
