"""`vdm propose` on the built-in meshes: seconds per mesh, recall of the shipped selections' parts
in the top 10, and the share of lassoed candidates that the stitcher accepts."""

from __future__ import annotations

import time

from benchmarks.table import Row
from vdm.propose.config import ProposeConfig
from vdm.propose.proposals import propose
from vdm.propose.recall import found_parts
from vdm.records import load_record, shipped_records
from vdm.sources import load_source

MESHES = ("cow", "bunny", "creature")


def run() -> list[Row]:
    rows = []
    found_all, wanted_all = 0, 0
    for name in MESHES:
        mesh = load_source(f"builtin:{name}")
        records = [load_record(p) for p in shipped_records() if p.stem.startswith(f"{name}-")]
        start = time.perf_counter()
        found = propose(mesh, ProposeConfig(count=10), progress=False)
        seconds = time.perf_counter() - start
        hits = found_parts([r.face_ids for r in records], [p.face_ids for p in found.proposals])
        refused_by_stitching = sum(r["reason"].startswith("stitching") for r in found.refused)
        stitched = len(found.proposals) / max(len(found.proposals) + refused_by_stitching, 1)
        found_all, wanted_all = found_all + sum(hits), wanted_all + len(hits)
        names = ", ".join(r.note.split(",")[0] for r, hit in zip(records, hits, strict=True) if not hit)
        rows += [
            Row(
                "propose",
                f"{name}: seconds (top 10, stitch-checked)",
                seconds,
                "s",
                f"{mesh.n_faces:,} faces",
            ),
            Row(
                "propose",
                f"{name}: shipped parts found",
                sum(hits) / len(hits),
                "share",
                f"{sum(hits)} of {len(hits)}" + (f"; missed {names}" if names else ""),
            ),
            Row(
                "propose",
                f"{name}: lassoed candidates that stitch",
                stitched,
                "share",
                f"{len(found.proposals)} kept, {refused_by_stitching} refused by the gates",
            ),
        ]
    rows.append(
        Row("propose", "all: shipped parts found", found_all / wanted_all, "share", f"of {wanted_all}")
    )
    return rows
