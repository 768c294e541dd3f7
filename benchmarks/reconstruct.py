"""Reconstruction: seconds and Chamfer distance to the truth, per quality, for two shapes.

The shapes are the test mushroom (an overhang) and the reference VDM ear3.exr, each rendered to the
six normal views at the quality's view size. `python -m benchmarks.run reconstruct` measures `fast`
on the CPU; `python -m benchmarks.reconstruct --device cuda --quality full` is the GPU run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.table import Row, print_table

# GenVDM's ear3.exr, kept with its NOTICE among the test fixtures.
EAR3 = Path(__file__).resolve().parents[1] / "tests" / "data" / "genvdm" / "ear3.exr"
EVAL_RESOLUTION = 256


def _shapes():
    from vdm.shapes import mushroom_patch
    from vdm.vdm_file import read_vdm, vdm_to_patch

    return {
        "mushroom": mushroom_patch(),
        "ear3": vdm_to_patch(read_vdm(EAR3), EVAL_RESOLUTION),
    }


def run(
    qualities: tuple[str, ...] = ("fast",),
    device: str | None = "cpu",
    threads: int = 1,
    shapes: tuple[str, ...] = ("mushroom", "ear3"),
    progress: bool = False,
) -> list[Row]:
    from reconstruct.config import ReconstructConfig
    from reconstruct.pipeline import quality_settings, reconstruct
    from render.renderer import PatchRenderer
    from vdm.surface_metrics import compare
    from vdm.vdm_file import read_vdm, vdm_to_patch

    rows = []
    for quality in qualities:
        size = quality_settings(quality).view_size
        for name, truth in _shapes().items():
            if name not in shapes:
                continue
            with PatchRenderer(size) as renderer:
                views = {k: v.normal for k, v in renderer.render(truth).items()}
            with tempfile.TemporaryDirectory() as out:
                config = ReconstructConfig(quality, device, 0, 512, threads, progress=progress)
                start = time.perf_counter()
                result = reconstruct(views, out, config)
                seconds = time.perf_counter() - start
                scores = compare(vdm_to_patch(read_vdm(result.vdm), EVAL_RESOLUTION), truth)
            where = f"{quality}, {device or 'auto'}, {size}px views"
            steps = ", ".join(f"{k} {v:.0f}" for k, v in result.timings.items())
            rows.append(Row("reconstruct", f"{name} {quality} time", seconds, "s", f"{where}; {steps}"))
            rows.append(Row("reconstruct", f"{name} {quality} Chamfer", scores.chamfer, "half-widths", where))
            rows.append(Row("reconstruct", f"{name} {quality} F@0.05", scores.fscore_005, "", where))
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, or auto")
    parser.add_argument(
        "--quality", action="append", choices=("fast", "full"), help="repeatable; default fast"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shape", action="append", choices=("mushroom", "ear3"), help="default both")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args(argv)
    device = None if args.device == "auto" else args.device
    shapes = tuple(args.shape or ("mushroom", "ear3"))
    print_table(run(tuple(args.quality or ("fast",)), device, args.threads, shapes, args.progress))


if __name__ == "__main__":
    main(sys.argv[1:])
