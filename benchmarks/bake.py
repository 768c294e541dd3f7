"""`vdm bake`: seconds per bake at 512 and 1024 over the shipped selections' patches (stitched once,
not timed), with the section-6b figures of each brush. One core:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 IGL_NUM_THREADS=1 python -m benchmarks.run bake
"""

from __future__ import annotations

import statistics
import time

from benchmarks.table import Row


def _patches() -> dict:
    from vdm.records import shipped_records
    from vdm.stitching import stitch_selection
    from vdm.stitching.outputs import record_selection

    return {path.stem: stitch_selection(*record_selection(path)[1:]).patch for path in shipped_records()}


def run() -> list[Row]:
    from vdm.bake import BakeConfig, bake_patch, brush_scores

    rows = []
    patches = _patches()
    for resolution in (512, 1024):
        seconds = []
        for name, patch in patches.items():
            start = time.perf_counter()
            brush = bake_patch(patch, BakeConfig(resolution=resolution))
            seconds.append(time.perf_counter() - start)
            if resolution == 512:
                s = brush_scores(brush.displacement, patch)
                recall = "n/a" if s.to_json()["undercut_recall"] is None else f"{s.undercut_recall:.3f}"
                note = (
                    f"{len(patch.faces):,} faces; Chamfer {s.chamfer:.1e}, slide {s.slide:.1e}, "
                    f"crease {s.crease:.1%}, undercut recall {recall} (share {s.undercut_share:.2f}), "
                    f"{s.self_intersections} self-intersecting faces"
                )
                rows.append(Row("bake", f"{name} at 512", seconds[-1], "s", note))
        goal = "goal < 1 s on one core" if resolution == 512 else ""
        median = statistics.median(seconds)
        rows.append(Row("bake", f"median per bake at {resolution}", median, "s", goal))
    return rows
