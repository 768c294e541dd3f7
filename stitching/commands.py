"""The `vdm` commands of stitching/: `vdm stitch R.json --out DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stitching.config import StitchConfig
from vdm.cli_options import DEFAULT_MAX_FACES, MaxFaces, ObjaverseCache, source_config


def stitch_command(
    record_path: Annotated[
        Path, typer.Argument(metavar="R.json", help="A selection record (vdm.selection/1).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for the patch PLY(s) and the report JSON.")],
    augment: Annotated[
        int, typer.Option("--augment", min=0, help="Also write this many seeded augmentations.")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the augmentations.")] = 0,
    depth: Annotated[
        int, typer.Option("--depth", min=4, max=12, help="Screened Poisson octree depth.")
    ] = StitchConfig.depth,
    backend: Annotated[
        str, typer.Option("--backend", help="Screened Poisson implementation: pymeshlab or open3d.")
    ] = StitchConfig.backend,
    edge: Annotated[
        float, typer.Option("--edge", min=0.005, max=0.5, help="Target edge length in patch units.")
    ] = StitchConfig.target_edge_length,
    preview: Annotated[
        bool, typer.Option("--preview", help="Also write a PNG picture of each patch.")
    ] = False,
    max_faces: MaxFaces = DEFAULT_MAX_FACES,
    objaverse_cache: ObjaverseCache = None,
) -> None:
    """Stitch a selection into a patch: extract, screened Poisson, trim, flatten the border, join the plane.

    Writes DIR/<selection_id>.ply, DIR/<selection_id>-a<i>.ply for i = 1..N with --augment N,

    and DIR/<selection_id>.report.json with every measured gate.

    A rejected selection writes its report (accepted: false, stage, reason) and exits with status 1.
    """
    from stitching.outputs import stitch_record

    config = StitchConfig(depth=depth, backend=backend, target_edge_length=edge)
    stitch_record(record_path, out, config, augment, seed, preview, source_config(max_faces, objaverse_cache))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("stitch")(stitch_command)
