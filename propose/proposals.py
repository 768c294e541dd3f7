"""`propose(mesh, config)`: the ranked, stitch-checked proposals of one mesh, and their index file.

The parts (propose/parts.py) become lasso strokes (propose/strokes.py); a proposal is kept when
its strokes replay to a selection unlike the ones kept before it and, with `stitch_check`, when
the stitcher accepts that selection (its gates are what a curator would otherwise find out the
slow way). Each source's index (vdm/proposal_index.py) lists the kept records in rank order with
their scores and every refused candidate with its reason; the lasso's review mode reads it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from vdm.atomic import write_text_atomic
from vdm.console import table_console
from vdm.errors import Rejected, printable
from vdm.lasso.engine import SelectionEngine, engine_for
from vdm.progress import WorkProgress
from vdm.proposal_index import SCHEMA, index_path
from vdm.propose.config import ProposeConfig
from vdm.propose.parts import Part, face_iou, find_parts
from vdm.propose.solid import voxelise
from vdm.propose.strokes import lasso_part
from vdm.records import SelectionRecord
from vdm.sources import LoadedMesh


@dataclass
class Proposal:
    """A kept proposal: its record (strokes, edits, face ids, note) and the part it selects."""

    rank: int
    record: SelectionRecord
    part: Part
    iou: float  # of the record's replay with the part's faces

    @property
    def face_ids(self) -> np.ndarray:
        return np.asarray(self.record.face_ids, dtype=np.int64)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.record.id,
            "record": f"{self.record.id}.json",
            "score": round(self.part.score, 4),
            "faces": len(self.record.face_ids or []),
            "replay_iou": round(self.iou, 4),
            "reason": self.part.reason(),
        }


@dataclass
class ProposalSet:
    """Everything `propose` found on one mesh."""

    mesh: LoadedMesh
    proposals: list[Proposal] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _stitch_refusal(mesh: LoadedMesh, face_ids: np.ndarray) -> str | None:
    """None when the stitcher makes a patch of these faces, else its stage and reason."""
    from vdm.stitching.selection import stitch_selection

    try:
        stitch_selection(mesh, face_ids)
    except Rejected as exc:
        return f"stitching refused it at the {exc.stage} step: {exc.reason}"
    return None


def propose(mesh: LoadedMesh, config: ProposeConfig, progress: bool = True) -> ProposalSet:
    """Rank the parts of `mesh`, lasso each, and keep the first `config.count` that stitch."""
    start = time.perf_counter()
    engine = engine_for(mesh)
    parts = find_parts(engine.centroids, voxelise(mesh, config.grid), config)
    found = ProposalSet(mesh)
    console = table_console(stderr=True) if progress else Console(quiet=True)
    with WorkProgress(console, f"propose {printable(mesh.source.spec)}", len(parts), "candidates") as bar:
        for part in parts:
            if len(found.proposals) >= config.count:
                bar.ended_early()
                break
            _try_part(engine, mesh, part, config, found)
            bar.advance(f"{len(found.proposals)} kept")
    found.seconds = time.perf_counter() - start
    return found


def _try_part(
    engine: SelectionEngine, mesh: LoadedMesh, part: Part, config: ProposeConfig, found: ProposalSet
) -> None:
    """Lasso one candidate part: keep it in `found` when it is new and stitches, else say why not."""
    refusal = {"score": round(part.score, 4), "part": part.reason()}
    lasso = lasso_part(engine, part, config.window, config.max_strokes, config.neighbour_share)
    if lasso is None:
        found.refused.append({**refusal, "reason": "no view of the mesh sees the part"})
        return
    if any(face_iou(lasso.face_ids, p.face_ids) > config.same_part_iou for p in found.proposals):
        found.refused.append({**refusal, "reason": "its lasso selects a part proposed already"})
        return
    taken = part.neighbour_faces_in(lasso.face_ids, config.neighbour_share).size
    if taken:
        reason = f"its lasso also takes {taken} faces of a neighbouring part (a second blob on the plane)"
        found.refused.append({**refusal, "reason": reason})
        return
    if config.stitch_check and (reason := _stitch_refusal(mesh, lasso.face_ids)) is not None:
        found.refused.append({**refusal, "reason": reason})
        return
    rank = len(found.proposals) + 1
    record = SelectionRecord(
        source=mesh.source,
        strokes=lasso.strokes,
        face_ids=lasso.face_ids.tolist(),
        note=f"proposal {rank}: {part.reason()}",
        edits=lasso.edits,
    )
    found.proposals.append(Proposal(rank, record, part, lasso.iou))


def write_proposals(found: ProposalSet, out: Path, config: ProposeConfig) -> Path:
    """The records as `out/<id>.json` (a selections folder `vdm mine` takes as it is), then the index
    last (its presence says the source is done); returns the index's path."""
    for proposal in found.proposals:
        proposal.record.save(out)
    index = {
        "schema": SCHEMA,
        "source": found.mesh.source.to_json(),
        "config": config.to_json(),
        "seconds": round(found.seconds, 2),
        "proposals": [p.to_json() for p in found.proposals],
        "refused": found.refused,
    }
    path = index_path(out, found.mesh.source.sha256)
    write_text_atomic(path, json.dumps(index, indent=1) + "\n")
    return path
