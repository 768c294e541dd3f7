"""The `vdm` commands of render/: `vdm render` (one patch) and `vdm mine` (a dataset)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vdm.cli_options import MaxFaces, ObjaverseCache
from vdm.errors import VdmError
from vdm.source_config import DEFAULT_MAX_FACES

log = logging.getLogger(__name__)

SHEET_NAME = "sheet.png"


def render_command(
    patch: Annotated[
        Path, typer.Argument(help="A patch .ply in the patch frame (as `vdm stitch` writes it).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Directory for rgb_<k>.png, normal_<k>.png, mask_<k>.png.")
    ],
    size: Annotated[int, typer.Option("--size", min=8, max=4096, help="Image side in pixels.")] = 512,
    depth: Annotated[
        bool,
        typer.Option("--depth", help="Also write depth_<k>.npy (float32, distance from the camera plane)."),
    ] = False,
    sheet: Annotated[
        bool,
        typer.Option("--sheet/--no-sheet", help=f"Also write {SHEET_NAME}: condition image + normal grid."),
    ] = True,
) -> None:
    """Render a patch from the 7-view orthographic rig: RGB, normal map (patch frame) and mask per view."""
    from render.renderer import PatchRenderer, write_views
    from render.sheet import entry_from_views, write_contact_sheet
    from vdm.patch import read_patch

    if out.exists() and not out.is_dir():
        raise VdmError(f"Output {out} exists and is not a directory.")
    mesh = read_patch(patch)
    with PatchRenderer(size) as renderer:
        views = renderer.render(mesh)
    written = write_views(out, views, depth=depth)
    if sheet:
        written.append(
            write_contact_sheet(out / SHEET_NAME, [entry_from_views(patch.stem, views)], tile=size // 4)
        )
    log.info("%d files written to %s", len(written), out)


def mine_command(
    records: Annotated[
        list[Path], typer.Argument(help="Selection record files, or directories of them (*.json).")
    ],
    out: Annotated[Path, typer.Option("--out", help="The dataset directory (created, or resumed).")],
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Local worker processes (default: the CPU count).")
    ] = None,
    executor: Annotated[
        str, typer.Option("--executor", help="Where the work runs: 'process' (this machine) or 'ray'.")
    ] = "process",
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="With --executor ray: the cluster address (e.g. ray://head:10001 or auto)."
        ),
    ] = None,
    augmentations: Annotated[
        int,
        typer.Option(
            "--augmentations", min=1, max=1000, help="Patches per selection (index 0 = as stitched)."
        ),
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seeds the augmentations; same seed, same bytes.")] = 0,
    size: Annotated[int, typer.Option("--size", min=8, max=4096, help="Render side in pixels.")] = 512,
    poisson_depth: Annotated[
        int | None, typer.Option("--poisson-depth", min=4, max=12, help="Screened Poisson octree depth.")
    ] = None,
    sheet: Annotated[
        bool, typer.Option("--sheet/--no-sheet", help="Write DATASET/contact_sheet.png at the end.")
    ] = True,
    retry_rejected: Annotated[
        bool, typer.Option("--retry-rejected", help="Mine selections that rejected.jsonl holds again.")
    ] = False,
    max_faces: MaxFaces = DEFAULT_MAX_FACES,
    objaverse_cache: ObjaverseCache = None,
) -> None:
    """Stitch, augment and render every selection record into a dataset; resumable and parallel."""
    import os
    from dataclasses import replace

    from render.executors import make_executor
    from render.miner import mine
    from render.mining import MineConfig

    stitch = None
    if poisson_depth is not None:
        from stitching import StitchConfig

        stitch = replace(StitchConfig(), depth=poisson_depth)
    config = MineConfig(
        augmentations=augmentations,
        seed=seed,
        size=size,
        max_faces=max_faces,
        objaverse_cache=objaverse_cache,
        stitch=stitch,
    )
    summary = mine(
        records, out, config, make_executor(executor, workers or os.cpu_count() or 1, address), sheet
    )
    if summary.sheet is not None:
        log.info("contact sheet: %s", summary.sheet)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("render")(render_command)
    app.command("mine")(mine_command)
