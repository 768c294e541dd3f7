"""The review of proposals (`vdm lasso SOURCES --proposals DIR`), apart from the GUI that drives it.

A review steps through each source's proposals best first. Accepting saves the record as the
session holds it (the proposal itself, or the curator's edit of it) into the selections folder;
rejecting saves nothing. Every decision goes at once into `OUT/review/reviewed.json` (a subfolder,
so `vdm mine OUT` never reads it as a record), keyed by the proposal's id, so a review of a folder
or an LVIS category stopped at any point resumes at the first proposal not yet decided. The
browser's grid review (vdm.app.review_grid) writes the same journal and the same records.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vdm.atomic import write_text_atomic
from vdm.errors import VdmError
from vdm.proposal_index import read_proposals
from vdm.records import SelectionRecord
from vdm.sources.mesh import SourceRef
from vdm.state_files import Wrong, json_object, read_state_json

log = logging.getLogger(__name__)

JOURNAL = Path("review") / "reviewed.json"
DECISIONS = ("accepted", "rejected")


def _journal_shape(value: Any) -> Wrong | None:
    """{"decided": {proposal id: {"decision": "accepted" or "rejected", ...}}}."""
    wrong = json_object(decided=dict)(value)
    if wrong is not None:
        return wrong
    for proposal, entry in value["decided"].items():
        if not isinstance(entry, dict) or entry.get("decision") not in DECISIONS:
            return Wrong(f"the decision on {proposal} is not one of {', '.join(DECISIONS)}", proposal)
    return None


def save_record(record: SelectionRecord, out_dir: Path) -> Path:
    """Write a curator's record as `<out_dir>/<id>.json`: the lasso's save, and what accepting a
    proposal writes in either review (Polyscope's or the browser's grid). An empty one is refused."""
    if not record.face_ids:
        raise VdmError("Nothing to save: the selection is empty.")
    path = record.save(out_dir)
    log.info("saved %s (%d faces)", path, len(record.face_ids))
    return path


@dataclass
class Review:
    """The proposals folder, the journal of decisions (in the selections folder), one source's queue."""

    proposals_dir: Path
    out_dir: Path
    decided: dict[str, dict[str, Any]] = field(default_factory=dict)
    queue: list[SelectionRecord] = field(default_factory=list)

    @classmethod
    def open(cls, proposals_dir: Path, out_dir: Path) -> Review:
        """A review of `proposals_dir` whose decisions go to `out_dir` (resumed if it has some)."""
        if not Path(proposals_dir).is_dir():
            raise VdmError(
                f"The proposals folder {proposals_dir} does not exist (make it with `vdm propose`)."
            )
        path = Path(out_dir) / JOURNAL
        decided = {}
        if path.is_file():
            journal = read_state_json(
                path, "The review journal", _journal_shape, "move it aside to start over"
            )
            decided = journal["decided"]
        return cls(Path(proposals_dir), Path(out_dir), decided)

    def start(self, source: SourceRef) -> None:
        """Queue the proposals made on `source` that are not decided yet."""
        self.queue = [r for r in read_proposals(self.proposals_dir, source) if r.id not in self.decided]

    @property
    def current(self) -> SelectionRecord | None:
        return self.queue[0] if self.queue else None

    def decide(self, decision: str, saved: Path | None = None) -> None:
        """Record the decision on the current proposal (and the record saved for it) and move on."""
        self.journal(self.queue[0], decision, saved)
        self.queue.pop(0)

    def journal(self, proposal: SelectionRecord, decision: str, saved: Path | None = None) -> None:
        """Write the decision on `proposal` (and the record saved for it) into the journal at once;
        the grid review decides on any proposal of the folder, in any order."""
        if decision not in DECISIONS:
            raise VdmError(f"A review decision is one of {', '.join(DECISIONS)}, not '{decision}'.")
        self.decided[proposal.id] = {
            "decision": decision,
            "source": proposal.source.spec,
            "saved": None if saved is None else saved.name,
            "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        write_text_atomic(
            self.out_dir / JOURNAL, json.dumps({"decided": self.decided}, indent=1, sort_keys=True) + "\n"
        )

    def counts(self) -> dict[str, int]:
        """How many proposals were accepted and rejected so far (all sources)."""
        return {d: sum(entry["decision"] == d for entry in self.decided.values()) for d in DECISIONS}
