"""The `vdm` command of bake/: `vdm bake PATCH.ply|R.json --out DIR` (a patch straight to its brush)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.bake.config import BakeConfig
from vdm.cli_options import vdm_command
from vdm.errors import VdmError
from vdm.patch import Patch, read_patch
from vdm.source_config import SourceConfig

log = logging.getLogger(__name__)


def _patch_of(path: Path, sources: SourceConfig) -> Patch:
    """The patch to bake: a patch .ply as it is, or a selection record stitched first."""
    if path.suffix.lower() == ".ply":
        return read_patch(path)
    if path.suffix.lower() != ".json":
        raise VdmError(f"{path} is neither a patch .ply nor a selection record .json.")
    from vdm.errors import Rejected
    from vdm.stitching.outputs import record_selection, rejection_error
    from vdm.stitching.selection import stitch_selection

    record, mesh, face_ids = record_selection(path, sources)
    try:
        return stitch_selection(mesh, face_ids).patch
    except Rejected as exc:
        raise rejection_error(record.id, exc) from exc


def bake_command(
    source: Annotated[
        Path,
        typer.Argument(metavar="PATCH.ply|R.json", help="A patch mesh, or a selection record to stitch."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Directory for vdm.exr, mesh.ply, preview.png, report.json.")
    ],
    *,
    config: BakeConfig = BakeConfig(frame="brush"),  # noqa: B008 (a brush, unless --frame patch)
    blend: Annotated[
        bool,
        typer.Option("--blend", help="Also write brush.blend: a Blender file with a ready sculpt brush."),
    ] = False,
    sources: SourceConfig,
) -> None:
    """Bake a patch (or a lassoed selection, stitched first) straight into a VDM sculpt brush."""
    from vdm.atomic import writable_dir
    from vdm.bake.brush import bake_patch, write_brush

    writable_dir(out)
    if blend:
        from vdm.bake.blend import blender_python

        blender_python()  # before the work: a missing Blender module is one sentence at once
    from vdm.render.vdm_preview import preview_process

    with preview_process() as previews:  # the renderer loads beside the map, the preview beside the scores
        paths, scores = write_brush(out, bake_patch(_patch_of(source, sources), config), config, previews)
    if blend:
        from vdm.bake.blend import write_blend

        paths["blend"] = write_blend(paths["vdm"], out / "brush.blend")
        log.info("wrote %s (Blender 4.5 and later)", paths["blend"])
    log.info(
        "wrote %s: Chamfer %.2g, slide %.2g, crease %.1f%%, undercut recall %s",
        paths["vdm"],
        scores.chamfer,
        scores.slide,
        100 * scores.crease,
        "n/a" if scores.to_json()["undercut_recall"] is None else f"{scores.undercut_recall:.3f}",
    )


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("bake")(vdm_command(bake_command))
