"""Reconstruction from normal views as a diffusion model makes them, one degradation at a time.

Each benchmark shape is rendered at 512 pixels (the dataset's size), degraded by
`vdm.reconstruct.degraded_views` (per-view shape inconsistency, 320-pixel tiles upsampled, non-unit
and colour-shifted normals, a tinted background, one view blurred badly, and all of them at once),
reconstructed at `fast` to a 512-pixel VDM and scored against the undegraded truth by
`bake.metrics.brush_scores`, next to the clean renders.
`python -m benchmarks.run degraded` runs every shape and degradation (about 40 minutes on this CPU);
`python -m benchmarks.degraded --shape hook --degradation all` a part of it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.reconstruct import SHAPES, brush_rows, shape
from benchmarks.table import Row, print_table, save_rows
from vdm.reconstruct.config import QUALITIES

CLEAN = "clean"


def inputs(name: str, degradation: str, seed: int = 0) -> dict:
    """The six encoded views of a benchmark shape at the dataset's render size, clean or degraded."""
    from vdm.reconstruct.degraded_views import degraded_views
    from vdm.render.renderer import PatchRenderer
    from vdm.rig import GRID_VIEWS, RENDER_SIZE

    truth = shape(name)
    if degradation == CLEAN:
        with PatchRenderer(RENDER_SIZE) as renderer:
            return {k: v.normal for k, v in renderer.render(truth, GRID_VIEWS).items()}
    return degraded_views(truth, degradation, RENDER_SIZE, seed)


def run(
    shapes: tuple[str, ...] = SHAPES,
    degradations: tuple[str, ...] | None = None,
    quality: str = "fast",
    threads: int = 1,
) -> list[Row]:
    from vdm.bake.metrics import brush_scores
    from vdm.reconstruct.config import ReconstructConfig
    from vdm.reconstruct.degraded_views import DEGRADATIONS
    from vdm.reconstruct.pipeline import reconstruct
    from vdm.rig import GRID_VIEWS

    rows = []
    for name in shapes:
        for degradation in degradations or (CLEAN, *DEGRADATIONS):
            views = inputs(name, degradation)
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                result = reconstruct(
                    views, out, ReconstructConfig(quality, "cpu", threads=threads, progress=False)
                )
                seconds = time.perf_counter() - start
            scores = brush_scores(result.displacement, shape(name), seen_by=GRID_VIEWS)
            steps = ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items())
            where = f"{quality}, cpu"
            rows += brush_rows(
                "degraded", f"{name} {degradation}", scores, seconds, where, f"{where}; {steps}"
            )
    return rows


def main(argv: list[str]) -> None:
    from vdm.reconstruct.degraded_views import DEGRADATIONS

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", action="append", choices=SHAPES, help="repeatable; default all")
    parser.add_argument(
        "--degradation", action="append", choices=(CLEAN, *DEGRADATIONS), help="repeatable; default all"
    )
    parser.add_argument("--quality", choices=QUALITIES, default="fast")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    degradations = tuple(args.degradation) if args.degradation else None
    rows = run(tuple(args.shape or SHAPES), degradations, args.quality, args.threads)
    if args.json:
        save_rows(rows, args.json)
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
