"""The `vdm` commands of reconstruct/: `vdm reconstruct` (normal maps to a VDM) and `vdm vdm2mesh`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.cli_options import vdm_command
from vdm.errors import VdmError
from vdm.reconstruct.config import ReconstructConfig

log = logging.getLogger(__name__)


def reconstruct_command(
    normals: Annotated[
        Path,
        typer.Argument(
            help="A normal grid PNG 640 wide and 960 high (views 0,1,3,4,5,6), or a directory with "
            "normal_<k>.png (and optional mask_<k>.png) as `vdm render` writes it."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Directory for vdm.exr, mesh.ply, preview.png, stage1.ply, report.json."),
    ],
    *,
    config: ReconstructConfig,
) -> None:
    """Reconstruct a vector displacement map from six patch-frame normal maps (a neural SDF, its
    surface made a patch and baked onto the square as `vdm bake` does)."""
    from vdm.reconstruct.pipeline import reconstruct

    result = reconstruct(normals, out, config)
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    log.info("wrote %s, %s, %s (%s)", result.vdm, result.mesh, result.preview, times)


def vdm2mesh_command(
    vdm: Annotated[Path, typer.Argument(help="A VDM .exr (conventions section 6).")],
    out: Annotated[Path, typer.Option("--out", help="The patch mesh .ply to write.")],
    resolution: Annotated[
        int | None,
        typer.Option("--resolution", min=3, max=4096, help="Grid side (default: the VDM's pixel count)."),
    ] = None,
) -> None:
    """Apply a VDM to a subdivided square: write the surface it encodes as a patch mesh."""
    from vdm.atomic import writable_file
    from vdm.patch import write_patch
    from vdm.vdm_file import read_vdm
    from vdm.vdm_grid import vdm_to_patch

    if out.suffix.lower() != ".ply":
        raise VdmError(f"Output {out} must be a .ply file.")
    writable_file(out)
    patch = vdm_to_patch(read_vdm(vdm), resolution)
    write_patch(out, patch)
    log.info("wrote %s: %d vertices, %d triangles", out, len(patch.vertices), len(patch.faces))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("reconstruct")(vdm_command(reconstruct_command))
    app.command("vdm2mesh")(vdm_command(vdm2mesh_command))
