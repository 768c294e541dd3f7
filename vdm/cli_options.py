"""Command-line options shared by several `vdm` commands (kept apart so stage modules can import them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vdm.source_config import DEFAULT_MAX_FACES, source_config

__all__ = ["DEFAULT_MAX_FACES", "MaxFaces", "ObjaverseCache", "source_config"]

MaxFaces = Annotated[int, typer.Option("--max-faces", min=1, help="Refuse meshes with more faces than this.")]
ObjaverseCache = Annotated[
    Path | None,
    typer.Option(
        "--objaverse-cache",
        help="Objaverse cache directory (default $VDM_OBJAVERSE_CACHE or ~/.objaverse).",
        file_okay=False,
    ),
]

