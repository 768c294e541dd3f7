"""The `vdm` commands of reconstruct/: `vdm reconstruct` (normal maps to a VDM) and `vdm vdm2mesh`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from reconstruct.config import ReconstructConfig
from vdm.errors import VdmError

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
    device: Annotated[
        str | None,
        typer.Option("--device", help="Torch device (cpu, cuda, cuda:1); default CUDA when present."),
    ] = None,
    quality: Annotated[
        str, typer.Option("--quality", help="fast (small views, few steps) or full.")
    ] = ReconstructConfig.quality,
    seed: Annotated[
        int, typer.Option("--seed", help="Seeds every random choice; same seed, same VDM.")
    ] = ReconstructConfig.seed,
    resolution: Annotated[
        int, typer.Option("--resolution", help="VDM side in pixels, 256 to 2048 (512, 1024, 2048).")
    ] = ReconstructConfig.resolution,
    border: Annotated[
        str,
        typer.Option(
            "--border", help="square: zero on the square's edge; disc: zero outside the inscribed circle."
        ),
    ] = ReconstructConfig.border,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="CPU threads for torch.")
    ] = ReconstructConfig.threads,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline", help="The scalar height-field baseline from the front view (needs normal_2.png)."
        ),
    ] = False,
) -> None:
    """Reconstruct a vector displacement map from six patch-frame normal maps (a neural SDF, its
    surface made a patch and baked onto the square as `vdm bake` does)."""
    from reconstruct.pipeline import reconstruct

    config = ReconstructConfig(
        quality=quality,
        device=device,
        seed=seed,
        resolution=resolution,
        border=border,
        threads=threads,
        baseline=baseline,
    )
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
    from vdm.vdm_file import read_vdm, vdm_to_patch

    if out.suffix.lower() != ".ply":
        raise VdmError(f"Output {out} must be a .ply file.")
    writable_file(out)
    patch = vdm_to_patch(read_vdm(vdm), resolution)
    write_patch(out, patch)
    log.info("wrote %s: %d vertices, %d triangles", out, len(patch.vertices), len(patch.faces))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("reconstruct")(reconstruct_command)
    app.command("vdm2mesh")(vdm2mesh_command)
