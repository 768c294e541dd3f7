"""The `vdm` command of bake/: `vdm bake PATCH.ply|R.json --out DIR` (a patch straight to its brush)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.bake.config import BakeConfig
from vdm.bake.formats import FORMATS
from vdm.cli_options import Exclude, vdm_command
from vdm.errors import VdmError
from vdm.patch import Patch, read_patch
from vdm.source_config import SourceConfig

log = logging.getLogger(__name__)
OTHER_TOOLS = tuple(name for name in FORMATS if name != "blender")


def _patch_of(path: Path, sources: SourceConfig) -> tuple[Patch, str, str]:
    """The patch to bake (a patch .ply as it is, or a selection record stitched first), the note
    of its record (a .ply `vdm stitch` wrote: from its report; else "") and its source."""
    if path.suffix.lower() == ".ply":
        from vdm.patch import patch_origin

        return read_patch(path, sources.max_faces), *patch_origin(path)
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


def _check_formats(formats: list[str] | None) -> None:
    unknown = sorted(set(formats or ()) - set(FORMATS))
    if unknown:
        raise VdmError(f"Unknown --format {unknown[0]!r}: use {', '.join(OTHER_TOOLS)}.")


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
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help=f"Also write the brush for another sculptor: {', '.join(OTHER_TOOLS)} (repeatable).",
        ),
    ] = None,
    sources: Annotated[SourceConfig, Exclude("subset")],  # one part: no batch to limit
) -> None:
    """Bake a patch (or a lassoed selection, stitched first) straight into a VDM sculpt brush."""
    from vdm.atomic import writable_dir
    from vdm.bake.brush import bake_patch, write_brush
    from vdm.render.vdm_preview import preview_process

    _check_formats(formats)
    writable_dir(out)
    if blend:
        from vdm.bake.blend import blender_python

        blender_python()  # before the work: a missing Blender module is one sentence at once
    if blend and config.frame == "patch":
        log.warning(
            "--frame patch keeps the dataset's square: the stamp may land beside the cursor and reach "
            "outside Blender's circle (report.json gives both); the default --frame brush centres it"
        )
    from vdm.bake.asset import brush_credits, clear_brush_files, part_name, write_tool_files

    with preview_process() as previews:  # the renderer loads beside the map, the preview beside the scores
        patch, note, origin = _patch_of(source, sources)
        brush = bake_patch(patch, config)
        brush_name = part_name(name or note, source.stem)
        clear_brush_files(out)  # a brush baked here before: none of its files stays beside this one
        credit = brush_credits([origin], sources).get(origin)
        about = {"name": brush_name, "note": note, "source": origin}
        if credit is not None:  # in report.json too: the other sculptors' files hold no licence
            about |= {"licence": credit.licence, "author": credit.author, "credit": credit.sentence()}
        paths, scores = write_brush(out, brush, config, previews, about)
    paths |= write_tool_files(
        out, brush.displacement, paths["vdm"], brush_name, note, origin, blend, formats or (), credit
    )
    if blend:
        log.info("wrote %s: the brush %r (Blender 4.5 and later)", paths["blend"], brush_name)
    log.info(
        "wrote %s: Chamfer %.2g, slide %.2g, crease %.1f%%, undercut recall %s",
        paths["vdm"],
        scores.chamfer,
        scores.slide,
        100 * scores.crease,
        "n/a" if scores.to_json()["undercut_recall"] is None else f"{scores.undercut_recall:.3f}",
    )


def pack_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="SOURCE...",
            help="Datasets, folders of patch meshes (.ply) or selection records (.json), or `vdm bake` "
            "outputs.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The library folder (created, or resumed).")],
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help=f"Also write each brush for another sculptor: {', '.join(OTHER_TOOLS)} (repeatable).",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Bakes at once (default: the CPU count).")
    ] = None,
    *,
    config: Annotated[BakeConfig, Exclude("frame", "border")] = BakeConfig(half=True),  # noqa: B008
    sources: Annotated[SourceConfig, Exclude("subset")],
) -> None:
    """Many parts as one brush library: a Blender asset library (.blend, catalogs, icons), the EXRs,
    a contact sheet and INSTALL.md; resumable."""
    import os

    from vdm.bake.blend import blender_python
    from vdm.bake.pack import pack
    from vdm.console import table_console

    _check_formats(formats)
    blender_python()  # before the work: a missing Blender module is one sentence at once
    cores = workers or os.cpu_count() or 1
    pack(inputs, out, config, tuple(formats or ()), cores, table_console(True), sources)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("bake")(vdm_command(bake_command))
    app.command("pack")(vdm_command(pack_command))
