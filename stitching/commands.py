"""The `vdm` commands of stitching/: `vdm stitch R.json --out DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vdm.cli_options import Exclude, vdm_command
from vdm.source_config import SourceConfig
from vdm.stitching.config import Augmentations, StitchConfig


def stitch_command(
    record_path: Annotated[
        Path, typer.Argument(metavar="R.json", help="A selection record (vdm.selection/1).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for the patch PLY(s) and the report JSON.")],
    *,
    config: StitchConfig,
    augment: Augmentations = Augmentations(count=1),  # noqa: B008 (this command's own default)
    preview: Annotated[
        bool, typer.Option("--preview", help="Also write a PNG picture of each patch.")
    ] = False,
    sources: Annotated[SourceConfig, Exclude("subset")],  # one selection: no batch to limit
) -> None:
    """Stitch a selection into a patch: extract, screened Poisson, trim, flatten the border, join the plane.

    Writes DIR/<selection_id>.ply, DIR/<selection_id>-a<i>.ply for i = 1..N-1 with --augmentations N,

    and DIR/<selection_id>.report.json with every measured gate.

    A rejected selection writes its report (accepted: false, stage, reason) and exits with status 1.
    """
    from vdm.stitching.outputs import stitch_record

    stitch_record(record_path, out, config, augment, preview, sources)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("stitch")(vdm_command(stitch_command))
