"""The `vdm` command of render/: `vdm render` (the rig's views of one patch)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.cli_options import vdm_command
from vdm.errors import VdmError
from vdm.render.config import ViewSize
from vdm.rig import HIGHEST_Z

log = logging.getLogger(__name__)

SHEET_NAME = "sheet.png"


def render_command(
    patch: Annotated[
        Path, typer.Argument(help="A patch .ply in the patch frame (as `vdm stitch` writes it).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Directory for rgb_<k>.png, normal_<k>.png, mask_<k>.png.")
    ],
    depth_maps: Annotated[
        bool,
        typer.Option(
            "--depth-maps", help="Also write depth_<k>.npy (float32, distance from the camera plane)."
        ),
    ] = False,
    sheet: Annotated[
        bool,
        typer.Option("--sheet/--no-sheet", help=f"Also write {SHEET_NAME}: condition image + normal grid."),
    ] = True,
    *,
    view: ViewSize,
) -> None:
    """Render a patch from the 7-view orthographic rig: RGB, normal map (patch frame) and mask per view."""
    from vdm.atomic import staged_files, writable_dir
    from vdm.patch import read_patch
    from vdm.patch_checks import patch_problem
    from vdm.render.renderer import PatchRenderer, write_views
    from vdm.render.sheet import entry_from_views, write_contact_sheet

    mesh = read_patch(patch)
    problem = patch_problem(mesh)
    if problem is not None:
        raise VdmError(f"{patch} is not a patch (conventions section 1): {problem}")
    top = float(mesh.vertices[:, 2].max())
    if top > HIGHEST_Z:
        raise VdmError(
            f"{patch} rises to z = {top:.4g}, above the z = {HIGHEST_Z:g} the rig's views hold "
            "(conventions section 1): scale the part down first."
        )
    writable_dir(out)  # before the rendering
    with PatchRenderer(view.size) as renderer:
        views = renderer.render(mesh)
    with staged_files(out) as stage:  # every view appears together, or none does
        written = write_views(stage, views, depth=depth_maps)
        if sheet:
            entry = entry_from_views(patch.stem, views)
            written.append(write_contact_sheet(stage / SHEET_NAME, [entry], tile=view.size // 4))
    log.info("%d files written to %s", len(written), out)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("render")(vdm_command(render_command))
