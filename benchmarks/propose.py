"""`vdm propose` measured two ways.

1. The shipped selections (cow, bunny, creature): seconds per mesh, how many of the hand-made
   records the top 12 find, and the share of lassoed candidates the stitcher accepts.
2. Annotated tips (vdm/sources/tips.py): for each mesh, the stamp-worthy tips (head and body
   parts) the top 12 hold, whether every limb ranks below every head part, and proposals that hold
   two parts. The cow, the creature and beasts 1-4 were looked at while the method was tuned;
   beasts 5-8 were generated once and measured only after, so they stand for meshes never seen.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.table import Row
from vdm.lasso.engine import engine_for
from vdm.propose.config import ProposeConfig
from vdm.propose.proposals import ProposalSet, propose
from vdm.propose.recall import found_parts, tip_recall
from vdm.records import load_record, shipped_records
from vdm.sources import load_source
from vdm.sources.builtin import builtin_tips

SHIPPED = ("cow", "bunny", "creature")
TUNED = ("cow", "creature", "beast1", "beast2", "beast3", "beast4")
HELD_OUT = ("beast5", "beast6", "beast7", "beast8")


def _stitched(found: ProposalSet) -> tuple[float, int]:
    refused = sum(r["reason"].startswith("stitching") for r in found.refused)
    return len(found.proposals) / max(len(found.proposals) + refused, 1), refused


def _proposed(name: str) -> tuple[ProposalSet, float]:
    mesh = load_source(f"builtin:{name}")
    start = time.perf_counter()
    found = propose(mesh, ProposeConfig(), progress=False)
    return found, time.perf_counter() - start


def shipped_rows(name: str, found: ProposalSet, seconds: float) -> list[Row]:
    records = [load_record(p) for p in shipped_records() if p.stem.startswith(f"{name}-")]
    hits = found_parts([r.face_ids for r in records], [p.face_ids for p in found.proposals])
    stitched, refused = _stitched(found)
    missed = ", ".join(r.note.split(",")[0] for r, hit in zip(records, hits, strict=True) if not hit)
    return [
        Row(
            "propose",
            f"{name}: seconds (top 12, stitch-checked)",
            seconds,
            "s",
            f"{found.mesh.n_faces:,} faces",
        ),
        Row(
            "propose",
            f"{name}: shipped parts found",
            sum(hits) / len(hits),
            "share",
            f"{sum(hits)} of {len(hits)}" + (f"; missed {missed}" if missed else ""),
        ),
        Row(
            "propose",
            f"{name}: lassoed candidates that stitch",
            stitched,
            "share",
            f"{len(found.proposals)} kept, {refused} refused by the gates",
        ),
    ]


def tip_rows(names: tuple[str, ...], group: str, done: dict[str, tuple[ProposalSet, float]]) -> list[Row]:
    rows, found_all, wanted_all, two_all, stitch_all = [], 0, 0, 0, []
    for name in names:
        found, seconds = done.get(name) or _proposed(name)
        mesh = found.mesh
        size = float(np.ptp(mesh.vertices, axis=0).max())
        faces = [p.face_ids for p in found.proposals]
        recall = tip_recall(builtin_tips(name), faces, engine_for(mesh).centroids, size)
        stitched, refused = _stitched(found)
        found_all, wanted_all = found_all + recall.found, wanted_all + recall.wanted
        two_all += recall.two_parts
        stitch_all.append(stitched)
        note = f"{recall.found} of {recall.wanted}" + (
            f"; missed {', '.join(recall.missed)}" if recall.missed else ""
        )
        note += f"; limbs last: {'yes' if recall.limbs_last else 'NO'}; holding two parts: {recall.two_parts}"
        note += f"; {stitched:.2f} stitch ({refused} refused); {seconds:.1f} s"
        rows.append(
            Row(
                "propose",
                f"{group} {name}: stamp tips in the top 12",
                recall.found / recall.wanted,
                "share",
                note,
            )
        )
    rows.append(
        Row(
            "propose",
            f"{group}: stamp tips in the top 12",
            found_all / wanted_all,
            "share",
            f"{found_all} of {wanted_all}; proposals holding two parts: {two_all}; "
            f"stitch share {min(stitch_all):.2f}-{max(stitch_all):.2f}",
        )
    )
    return rows


def run() -> list[Row]:
    done = {name: _proposed(name) for name in SHIPPED}
    rows = [row for name in SHIPPED for row in shipped_rows(name, *done[name])]
    return rows + tip_rows(TUNED, "tuned", done) + tip_rows(HELD_OUT, "held out", done)
