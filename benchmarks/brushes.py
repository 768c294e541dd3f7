"""Brushes an artist keeps: `vdm bake` end to end as a user times it, `vdm pack` of 200 brushes, and
each shipped selection's brush placement (conventions 6c) and section-6b figures.

    python -m benchmarks.run brushes
    VDM_BASELINE=/path/to/older/checkout python -m benchmarks.run brushes   # its `vdm bake` too, side by side

The end-to-end runs alternate between this checkout and the baseline (each with its own .venv), so a
machine that drifts affects both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.table import Row

RUNS = 5
PACK_COUNT = 200  # patches of the shipped selections' augmentations (7 x 29)
REPO = Path(__file__).resolve().parents[1]


def _command_seconds(vdm: Path, args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(vdm), *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def _end_to_end(folder: Path) -> list[Row]:
    """`vdm bake` of the cow horn's patch and of its record, median of RUNS, beside the baseline's."""
    from vdm.patch import write_patch
    from vdm.records import shipped_record
    from vdm.stitching import stitch_selection
    from vdm.stitching.outputs import record_selection

    record = shipped_record("cow-horn")
    patch = write_patch(folder / "cow-horn.ply", stitch_selection(*record_selection(record)[1:]).patch)
    checkouts = {"this checkout": REPO}
    if os.environ.get("VDM_BASELINE"):
        checkouts["baseline"] = Path(os.environ["VDM_BASELINE"])
    seconds: dict[tuple[str, str], list[float]] = {}
    for _ in range(RUNS):
        for label, checkout in checkouts.items():
            for kind, source in (("patch .ply", patch), ("selection record", record)):
                out = folder / f"out-{len(seconds)}"
                took = _command_seconds(
                    checkout / ".venv" / "bin" / "vdm", ["bake", str(source), "--out", str(out)], folder
                )
                seconds.setdefault((label, kind), []).append(took)
    return [
        Row(
            "brushes",
            f"vdm bake cow horn {kind}, {label}",
            statistics.median(times),
            "s",
            f"median of {RUNS}; goal < 2 s",
        )
        for (label, kind), times in seconds.items()
    ]


def _pack(folder: Path) -> list[Row]:
    """`vdm pack` of PACK_COUNT patches as a dataset holds them: the shipped selections stitched and
    augmented as the miner augments them (written first, not timed); two workers."""
    from vdm.mine.worker import augment_seed
    from vdm.patch import write_patch
    from vdm.records import load_record, shipped_records
    from vdm.stitching import augment_patch, stitch_selection
    from vdm.stitching.outputs import record_selection

    parts = folder / "parts"
    parts.mkdir()
    records = shipped_records()
    each = -(-PACK_COUNT // len(records))
    for path in records:
        patch = stitch_selection(*record_selection(path)[1:]).patch
        for index, variant in enumerate(augment_patch(patch, each, augment_seed(0, load_record(path).id))):
            write_patch(parts / f"{path.stem}-a{index:02d}.ply", variant.patch)
    count = len(list(parts.iterdir()))
    vdm = Path(sys.executable).with_name("vdm")
    seconds = _command_seconds(
        vdm, ["pack", str(parts), "--out", str(folder / "library"), "--workers", "2"], folder
    )
    return [
        Row(
            "brushes",
            f"vdm pack {count} dataset-like patches",
            seconds,
            "s",
            "2 workers; goal < 180 s for 200",
        )
    ]


def _placement() -> list[Row]:
    """Each shipped selection as a brush: centre offset, outside the circle, and its 6b figures."""
    from vdm.bake import BakeConfig, bake_patch
    from vdm.bake.metrics import brush_scores
    from vdm.records import shipped_records
    from vdm.stitching import stitch_selection
    from vdm.stitching.outputs import record_selection

    rows = []
    for path in shipped_records():
        patch = stitch_selection(*record_selection(path)[1:]).patch
        brush = bake_patch(patch, BakeConfig(frame="brush"))
        s = brush_scores(brush.displacement, brush.patch, crossings=brush.report["crossing"], fit=brush.fit)
        note = (
            f"scale {brush.fit.scale:.2f}; outside circle {s.outside_circle}; Chamfer {s.chamfer:.1e}, "
            f"slide {s.slide:.1e}, crease {s.crease:.1%}, recall {s.undercut_recall:.3f}, "
            f"{s.self_intersections} crossing faces, stray {s.stray_share:.1%} (p99 {s.stray_p99:.3f})"
        )
        rows.append(Row("brushes", f"{path.stem} brush centre offset", s.centre_offset, "radii", note))
    return rows


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="vdm-bench-brushes-") as folder:
        return _placement() + _end_to_end(Path(folder)) + _pack(Path(folder))
