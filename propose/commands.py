"""`vdm propose`: parts worth a stamp, as ranked selection records a curator reviews."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.cli_options import MaxFaces, ObjaverseCache, source_config
from vdm.errors import VdmError
from vdm.source_config import DEFAULT_MAX_FACES

log = logging.getLogger(__name__)


def propose_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Meshes to propose parts of: paths, objaverse:<uid>, builtin:<name>, a folder of meshes, "
            "or lvis:<category>.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the proposal records.", file_okay=False)],
    count: Annotated[
        int, typer.Option("--count", min=1, help="Proposals kept per mesh (those that stitch).")
    ] = 10,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Drop proposals the stitcher's gates refuse.")
    ] = True,
    redo: Annotated[bool, typer.Option("--redo", help="Propose again for meshes already done.")] = False,
    max_faces: MaxFaces = DEFAULT_MAX_FACES,
    objaverse_cache: ObjaverseCache = None,
) -> None:
    """Find protrusions (ears, horns, noses, tails...) and write each as a ranked selection record."""
    from lasso.source_list import expand_sources
    from propose.batch import propose_sources
    from propose.config import ProposeConfig
    from vdm.atomic import writable_dir

    config = ProposeConfig(count=count, stitch_check=check)
    sources_config = source_config(max_faces, objaverse_cache)
    writable_dir(out, create=True)
    specs = expand_sources(sources, sources_config)
    lines, failed = propose_sources(specs, out, config, sources_config, redo)
    for line in lines:
        typer.echo(line)
    if failed:
        raise VdmError(
            f"{len(failed)} of {len(specs)} sources failed (the reasons are in {out}/proposals/failed.json)."
        )


def register(app: typer.Typer) -> None:
    """Add this stage's command to the `vdm` app."""
    app.command("propose")(propose_command)
