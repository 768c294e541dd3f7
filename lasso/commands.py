"""The `vdm` commands of lasso/: `vdm lasso` (the Polyscope GUI) and `vdm select` (headless replay)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.cli_options import Exclude, vdm_command
from vdm.errors import VdmError
from vdm.source_config import SourceConfig

log = logging.getLogger(__name__)

FACE_ID_SUFFIXES = (".json", ".txt", ".npy")


def lasso_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Sources to step through: mesh paths, objaverse:<uid>, builtin:<name>, a folder of meshes, "
            "or lvis:<category> (that Objaverse LVIS category's objects).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Directory for the saved selection records.", file_okay=False)
    ] = Path("selections"),
    window: Annotated[str, typer.Option("--window", help="Window size WIDTHxHEIGHT in pixels.")] = "1280x720",
    proposals: Annotated[
        Path | None,
        typer.Option(
            "--proposals",
            help="Review the proposals `vdm propose` wrote here: A accepts, R rejects, strokes edit.",
            file_okay=False,
        ),
    ] = None,
    *,
    config: SourceConfig,
) -> None:
    """Open the Polyscope lasso: draw on a mesh to select a part, save it as a selection record
    (or review the proposals of `vdm propose`)."""
    from vdm.lasso.gui import run_lasso
    from vdm.sources.listing import expand_sources

    try:
        width, height = (int(v) for v in window.lower().split("x"))
        if width < 64 or height < 64:
            raise ValueError
    except ValueError:
        raise VdmError(f"--window must look like 1280x720 (at least 64x64), not '{window}'.") from None
    saved = run_lasso(
        expand_sources(sources, config), out, config, window=(width, height), proposals=proposals
    )
    for path in saved:
        typer.echo(str(path))


def select_command(
    source: Annotated[
        str,
        typer.Argument(help="The mesh the record was made on: a path, objaverse:<uid> or builtin:<name>."),
    ],
    record: Annotated[
        Path, typer.Option("--record", help="The selection record (JSON) to replay.", dir_okay=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the face ids here (.json list, .txt one per line, .npy int64) instead of stdout.",
            dir_okay=False,
        ),
    ] = None,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="Also write a PNG contact sheet of the selection (Polyscope, headless): beside --out as "
            "<out>.png, else <record>.png in the current folder.",
        ),
    ] = False,
    *,
    sources: Annotated[SourceConfig, Exclude("subset")],  # one record: no batch to limit
) -> None:
    """Replay a selection record headless: check its source sha256 and cached face ids, write the face ids."""
    import numpy as np

    from vdm.atomic import atomic_path, writable_file, write_text_atomic
    from vdm.lasso.engine import replay
    from vdm.records import load_record
    from vdm.sources import load_source

    if out is not None and out.suffix.lower() not in FACE_ID_SUFFIXES:
        raise VdmError(f"--out {out} must end in one of {', '.join(FACE_ID_SUFFIXES)}.")
    picture = preview_path(record, out) if preview else None
    for path in (out, picture):
        if path is not None:
            writable_file(path)
    selection = load_record(record)
    mesh = load_source(source, sources)
    ids = replay(selection, mesh, where=f"Selection record {record}")
    checked = "matches its cached face ids" if selection.face_ids is not None else "has no cached face ids"
    log.info("%s: %d of %d faces selected; the replay %s", record, ids.size, mesh.n_faces, checked)
    if out is None:
        typer.echo("\n".join(map(str, ids.tolist())))
    elif out.suffix.lower() == ".npy":
        with atomic_path(out) as tmp:
            np.save(tmp, ids)
    elif out.suffix.lower() == ".json":
        write_text_atomic(out, json.dumps(ids.tolist()) + "\n")
    else:
        write_text_atomic(out, "".join(f"{i}\n" for i in ids.tolist()))
    if picture is not None:
        _write_preview(selection, mesh, ids, picture)


def preview_path(record: Path, out: Path | None) -> Path:
    """Where `vdm select --preview` puts its picture: beside --out, else <record>.png here."""
    return out.with_suffix(".png") if out is not None else Path(record.stem).with_suffix(".png")


def _write_preview(selection, mesh, ids, path: Path) -> None:
    """Each stroke's view with its lasso, then the selection from the way it faces, its sides and above."""
    from vdm.images import write_png
    from vdm.lasso.preview import selection_sheet

    write_png(path, selection_sheet(mesh, ids, selection.strokes, (480, 360)))
    log.info("preview written to %s", path)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("lasso")(vdm_command(lasso_command))
    app.command("select")(vdm_command(select_command))
