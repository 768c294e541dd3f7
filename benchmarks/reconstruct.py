"""Reconstruction as a brush: seconds per stage and the section-6b figures against the truth.

Each shape (the mushroom, a horn curling over its base, a hook, an ear whose helix folds over its
front, and GenVDM's ear3.exr through vdm2mesh) is rendered to the six normal views at the
quality's view size, or at RENDER_MIN pixels where that is larger (a draft works on 64-pixel views
resized from bigger ones, as from a model's 320-pixel tiles), reconstructed to a 512-pixel VDM, and
scored by `bake.metrics.brush_scores` (undercut recall on the undercuts the six views see; the stray
share: the raised decoded surface farther than 0.02 from the truth, and that share where the views
can see) next to the height-field baseline.
`python -m benchmarks.run reconstruct` measures `fast` on the CPU;
`python -m benchmarks.reconstruct --device cuda --quality fast --quality full` is the GPU run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.table import Row, print_table
from vdm.reconstruct.config import QUALITIES

RENDER_MIN = 128  # the least rendered view size; the pipeline resizes to its quality's

if TYPE_CHECKING:
    from vdm.bake.metrics import BrushScores

# GenVDM's ear3.exr, kept with its NOTICE among the test fixtures.
EAR3 = Path(__file__).resolve().parents[1] / "tests" / "data" / "genvdm" / "ear3.exr"
SHAPES = ("mushroom", "curled-horn", "hook", "folded-ear", "ear3")


def shape(name: str):
    """A truth patch by name."""
    from vdm import shapes
    from vdm.vdm_file import read_vdm
    from vdm.vdm_grid import vdm_to_patch

    if name == "ear3":
        return vdm_to_patch(read_vdm(EAR3), 256)
    return {
        "mushroom": shapes.mushroom_patch,
        "curled-horn": shapes.curled_horn_patch,
        "hook": shapes.hook_patch,
        "folded-ear": shapes.folded_ear_patch,
    }[name]()


SEEN_NOTE = (
    "not counting surface where no view can see (under a cap, inside a fold): bake.metrics.unseen_points"
)


def brush_rows(
    stage: str, label: str, scores: BrushScores, seconds: float, where: str, time_note: str
) -> list[Row]:
    """The rows of one reconstruction: seconds and the section-6b figures against the truth."""
    stray = f"{where}; its 99th percentile {scores.stray_p99:.3f} (goal < 0.02)"
    return [
        Row(stage, f"{label} time", seconds, "s", time_note),
        Row(stage, f"{label} Chamfer", scores.chamfer, "half-widths", where),
        Row(stage, f"{label} undercut recall (seen)", scores.undercut_recall, "", where),
        Row(stage, f"{label} slide", scores.slide, "half-widths", where),
        Row(stage, f"{label} creased plane", scores.crease, "share", where),
        Row(stage, f"{label} self-intersecting faces", scores.self_intersections, "", where),
        Row(stage, f"{label} stray share", scores.stray_share, "share", stray),
        Row(stage, f"{label} stray where the views see", scores.stray_seen, "share", SEEN_NOTE),
    ]


def run(
    qualities: tuple[str, ...] = ("fast",),
    device: str | None = "cpu",
    threads: int = 1,
    shapes: tuple[str, ...] = SHAPES,
    progress: bool = False,
) -> list[Row]:
    from vdm.bake.metrics import brush_scores
    from vdm.reconstruct.config import ReconstructConfig
    from vdm.reconstruct.pipeline import quality_settings, reconstruct
    from vdm.render.renderer import PatchRenderer
    from vdm.rig import GRID_VIEWS

    rows = []
    for quality in qualities:
        size = max(quality_settings(quality).view_size, RENDER_MIN)
        for name in shapes:
            truth = shape(name)
            with PatchRenderer(size) as renderer:
                views = {k: v.normal for k, v in renderer.render(truth).items()}
            for baseline in (False, True):
                with tempfile.TemporaryDirectory() as out:
                    config = ReconstructConfig(
                        quality, device, threads=threads, baseline=baseline, progress=progress
                    )
                    start = time.perf_counter()
                    result = reconstruct(views, out, config)
                    seconds = time.perf_counter() - start
                scores = brush_scores(result.displacement, truth, seen_by=GRID_VIEWS)
                label = f"{name} {'baseline' if baseline else quality}"
                where = f"{device or 'auto'}, {size}px views"
                steps = ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items())
                rows += brush_rows("reconstruct", label, scores, seconds, where, f"{where}; {steps}")
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, or auto")
    parser.add_argument("--quality", action="append", choices=QUALITIES, help="repeatable; default fast")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shape", action="append", choices=SHAPES, help="repeatable; default all")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args(argv)
    device = None if args.device == "auto" else args.device
    shapes = tuple(args.shape or SHAPES)
    print_table(run(tuple(args.quality or ("fast",)), device, args.threads, shapes, args.progress))


if __name__ == "__main__":
    main(sys.argv[1:])
