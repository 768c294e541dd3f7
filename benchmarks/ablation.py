"""GenVDM's Figure 7 with numbers: four stage 2s on identical stage 1 surfaces.

For each shape and input (clean renders, or one of `vdm.reconstruct.degraded_views`' degradations),
stage 1 (the SDF) and the extraction of its surface as a patch run once; then four stage 2s turn that
same surface into a 512-pixel VDM, each scored by `bake.metrics.brush_scores` against the truth:

- `tutte`: Tutte's embedding (uniform weights) of the whole surface with the square's edge fixed,
  sampled at the pixel centres (the paper's topology fixing + Tutte embedding);
- `vertices`: a lattice of 3-D vertices optimised directly by Chamfer distance with the boundary
  term (the paper's direct mesh optimisation; `reconstruct.field.VertexGrid`);
- `field`: GenVDM's neural deformation field (`--stage2 field`, `reconstruct.field`);
- `bake`: today's stage 2 (`vdm bake`'s map, the default).

Seconds are each stage 2's own (stage 1 and the extraction are reported once per input).
`python -m benchmarks.run ablation` runs every shape on the clean renders and three of the
degradations (about 25 minutes on this CPU);
`python -m benchmarks.ablation --shape hook --input all` any other.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.degraded import CLEAN, inputs
from benchmarks.reconstruct import SHAPES, brush_rows, shape
from benchmarks.table import Row, print_table, save_rows
from vdm.reconstruct.config import QUALITIES

METHODS = ("tutte", "vertices", "field", "bake")
DEFAULT_INPUTS = (CLEAN, "inconsistent", "blurred-view", "all")


def tutte_displacement(patch, resolution: int, border: str) -> np.ndarray:
    """The VDM of Tutte's embedding of the whole patch onto the square (its edge fixed in place)."""
    from vdm.bake.parameterize import Parameterization, tutte
    from vdm.bake.sample import sample_grid, to_displacement
    from vdm.topology import boundary_loops

    free = np.ones(len(patch.vertices), dtype=bool)
    free[np.concatenate(boundary_loops(patch.faces))] = False
    uv = tutte(patch.faces, free, patch.vertices[:, :2].copy())
    grid = sample_grid(patch, Parameterization(uv, free, {"method": "tutte"}), resolution)
    return to_displacement(grid.points, border)


def stage2(method: str, patch, settings, seed: int) -> np.ndarray:
    """One stage 2's VDM (512 pixels, square border) of a stage 1 patch."""
    import torch

    from vdm.bake.brush import bake_patch
    from vdm.bake.config import BakeConfig
    from vdm.reconstruct.field import DeformationMlp, VertexGrid, field_displacement, fit_deformation

    config = BakeConfig()
    if method == "tutte":
        return tutte_displacement(patch, config.resolution, config.border)
    if method == "bake":
        return bake_patch(patch, config, widen_band=True).displacement
    torch.manual_seed(seed)
    model = (VertexGrid if method == "vertices" else DeformationMlp)(settings.field)
    fitted = fit_deformation(model, patch, settings.field, seed)
    return field_displacement(fitted, config.resolution, config.border)


def run(
    shapes: tuple[str, ...] = SHAPES,
    sources: tuple[str, ...] = DEFAULT_INPUTS,
    quality: str = "fast",
    seed: int = 0,
) -> list[Row]:
    import torch

    from vdm.bake.metrics import brush_scores
    from vdm.reconstruct.inputs import load_normal_views
    from vdm.reconstruct.pipeline import quality_settings
    from vdm.reconstruct.sdf import fit_sdf
    from vdm.reconstruct.surface_patch import surface_patch
    from vdm.rig import GRID_VIEWS
    from vdm.torch_runtime import torch_threads

    settings = quality_settings(quality)
    rows = []
    for name in shapes:
        truth = shape(name)
        for source in sources:
            views = load_normal_views(inputs(name, source), settings.view_size)
            with torch_threads(1):
                start = time.perf_counter()
                patch = surface_patch(
                    fit_sdf(views, settings.sdf, torch.device("cpu"), seed), settings.surface
                )
                seconds = time.perf_counter() - start
                where = f"{quality}, cpu"
                rows.append(Row("ablation", f"{name} {source} stage 1 + extraction", seconds, "s", where))
                for method in METHODS:
                    start = time.perf_counter()
                    displacement = stage2(method, patch, settings, seed)
                    seconds = time.perf_counter() - start
                    scores = brush_scores(displacement, truth, seen_by=GRID_VIEWS)
                    label = f"{name} {source} {method}"
                    rows += brush_rows("ablation", label, scores, seconds, where, f"{where}; stage 2 alone")
    return rows


def main(argv: list[str]) -> None:
    from vdm.reconstruct.degraded_views import DEGRADATIONS

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", action="append", choices=SHAPES, help="repeatable; default all")
    parser.add_argument(
        "--input", action="append", choices=(CLEAN, *DEGRADATIONS), help="repeatable; default: a subset"
    )
    parser.add_argument("--quality", choices=QUALITIES, default="fast")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    shapes = tuple(args.shape or SHAPES)
    rows = run(shapes, tuple(args.input or DEFAULT_INPUTS), args.quality)
    if args.json:
        save_rows(rows, args.json)
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
