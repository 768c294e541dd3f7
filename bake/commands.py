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


def _patch_of(path: Path, sources: SourceConfig) -> tuple[Patch, str, str]:
    """The patch to bake (a patch .ply as it is, or a selection record stitched first), the note
    of its record ("" for a .ply) and its source."""
    if path.suffix.lower() == ".ply":
        return read_patch(path), "", str(path)
    if path.suffix.lower() != ".json":
        raise VdmError(f"{path} is neither a patch .ply nor a selection record .json.")
    from vdm.errors import Rejected
    from vdm.stitching.outputs import record_selection, rejection_error
    from vdm.stitching.selection import stitch_selection

    record, mesh, face_ids = record_selection(path, sources)
    try:
        return stitch_selection(mesh, face_ids).patch, record.note, record.source.spec
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
        typer.Option(
            "--blend",
            help="Also write brush.blend (a Blender 4.5+ sculpt brush asset with its preview) and the "
            "folder's asset catalog.",
        ),
    ] = False,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The brush's name (default: its record's note, or the file's name)."),
    ] = None,
    sources: SourceConfig,
) -> None:
    """Bake a patch (or a lassoed selection, stitched first) straight into a VDM sculpt brush."""
    from vdm.atomic import writable_dir
    from vdm.bake.brush import bake_patch, write_brush
    from vdm.render.vdm_preview import preview_process

    writable_dir(out)
    if blend:
        from vdm.bake.blend import blender_python

        blender_python()  # before the work: a missing Blender module is one sentence at once
    with preview_process() as previews:  # the renderer loads beside the map, the preview beside the scores
        patch, note, origin = _patch_of(source, sources)
        paths, scores = write_brush(out, bake_patch(patch, config), config, previews)
    if blend:
        from vdm.bake.asset import brush_asset, part_name
        from vdm.bake.blend import write_blend, write_catalogs

        asset = brush_asset(
            part_name(name or note, source.stem),
            paths["vdm"],
            out / "icon.png",
            origin,
            note,
            config.resolution,
        )
        paths["blend"] = write_blend([asset], out / "brush.blend")
        write_catalogs(out, [asset.catalog])
        log.info("wrote %s: the brush %r (Blender 4.5 and later)", paths["blend"], asset.name)
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
