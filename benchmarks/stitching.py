"""Seconds per patch: the shipped selections of the built-in meshes stitched at Poisson depth 8.

Every step runs on one core: both Poisson backends are called with one thread, pymeshlab's
remeshing and SuperLU are single-threaded, and the rest is numpy without BLAS-heavy work.
Each record is stitched once (a few seconds each); a source's orientation and winding-number
tree are built by its first record and reused by the others, as in the miner.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.table import Row
from vdm.errors import Rejected
from vdm.lasso.engine import replay
from vdm.records import load_record, shipped_records
from vdm.sources import load_source
from vdm.stitching import StitchConfig, stitch_selection

STEPS = ("extract", "poisson", "trim", "flatten", "stitch", "gates")


def run() -> list[Row]:
    rows, totals, steps = [], [], {step: [] for step in STEPS}
    meshes: dict = {}
    config = StitchConfig(depth=8)
    for path in shipped_records():
        record = load_record(path)
        mesh = meshes.setdefault(record.source.spec, load_source(record.source))
        ids = replay(record, mesh, path.name)
        start = time.perf_counter()
        try:
            result = stitch_selection(mesh, ids, config)
        except Rejected as exc:
            seconds = time.perf_counter() - start
            rows.append(Row("stitching", f"{path.stem} (rejected: {exc.stage})", seconds, "s"))
            continue
        seconds = time.perf_counter() - start
        totals.append(seconds)
        for step in STEPS:
            steps[step].append(result.seconds[step])
        faces = result.report["patch"]["faces"]
        rows.append(Row("stitching", f"{path.stem}", seconds, "s", f"{len(ids)} faces in, {faces:,} out"))
    rows.append(Row("stitching", "median per patch, depth 8", statistics.median(totals), "s", "goal < 2 s"))
    for step in STEPS:
        rows.append(Row("stitching", f"  median {step}", statistics.median(steps[step]), "s"))
    return rows
