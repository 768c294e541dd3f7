"""The grid review of proposals, apart from the page that shows it (vdm.app.review_web).

Every proposal of a `vdm propose` folder, its sources in the order of their names and each
source's proposals best first, in pages of PAGE_SIZE. A decision on any card goes through the
lasso's review (vdm.lasso.review): the same journal, `OUT/review/reviewed.json`, and accepting
saves the proposal as it is into OUT, as the Polyscope review does. Thumbnails (the proposal seen
by its first stroke's camera, with the lasso, and from its side) are rendered ahead of the pages
that show them, by one worker thread (Polyscope is used from one thread only), into
`OUT/review/thumbnails/<id>.png`.
"""

from __future__ import annotations

import logging
import re
import shlex
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image

from vdm.atomic import writable_dir
from vdm.errors import VdmError, short_reason
from vdm.lasso.review import Review, save_record
from vdm.proposal_index import INDEX_DIR, read_proposals
from vdm.records import SelectionRecord
from vdm.sources import LoadedMesh, load_source
from vdm.sources.mesh import SourceRef
from vdm.state_files import Wrong, json_object, read_state_json

log = logging.getLogger(__name__)

PAGE_SIZE = 12
PAGES_AHEAD = 2  # the page shown and the next one are rendered before they are asked for
THUMBNAILS = Path("review") / "thumbnails"
TILE = (240, 180)  # each of a thumbnail's two views, in pixels
REDO = "rerun `vdm propose` with --redo"  # the advice for a damaged index
INDEX_NAME = re.compile(r"[0-9a-f]{16}\.json")  # DIR/proposals/<sha256[:16]>.json (not failed.json)


def _index_source(value: Any) -> Wrong | None:
    """What the grid reads of an index: its source (kind, ref and sha256, strings)."""
    wrong = json_object(source=dict)(value)
    if wrong is not None:
        return wrong
    return json_object(kind=str, ref=str, sha256=str)(value["source"])


def folder_proposals(proposals_dir: Path) -> list[SelectionRecord]:
    """Every proposal record of a `vdm propose` folder: sources by name, each best first."""
    sources = []
    for path in sorted((proposals_dir / INDEX_DIR).glob("*.json")):
        if INDEX_NAME.fullmatch(path.name):
            index = read_state_json(path, "The proposal index", _index_source, REDO)
            sources.append(SourceRef(**{k: index["source"][k] for k in ("kind", "ref", "sha256")}))
    ordered = sorted(sources, key=lambda source: source.spec)
    return [record for source in ordered for record in read_proposals(proposals_dir, source)]


def card_label(record: SelectionRecord) -> str:
    """`cow — proposal 3: sticks out ...`: the source's name and the record's note."""
    return f"{Path(record.source.ref).stem} — {record.note}"


@dataclass
class ReviewGrid:
    """One proposals folder under review into one selections folder."""

    review: Review
    cards: list[SelectionRecord]

    @classmethod
    def open(cls, proposals: str, out: str) -> ReviewGrid:
        """The grid of `proposals` whose decisions go to `out` (earlier decisions read from its journal)."""
        if not proposals.strip():
            raise VdmError("Give the proposals folder (the --out of `vdm propose`).")
        if not out.strip():
            raise VdmError("Give the selections folder the accepted records go into.")
        proposals_dir = Path(proposals.strip()).expanduser().absolute()
        out_dir = writable_dir(Path(out.strip()).expanduser().absolute())
        review = Review.open(proposals_dir, out_dir)
        cards = folder_proposals(proposals_dir)
        if not cards:
            raise VdmError(
                f"{proposals_dir} holds no proposals (no index in its {INDEX_DIR}/ folder): "
                "make them with `vdm propose SOURCES --out` that folder."
            )
        return cls(review, cards)

    @property
    def pages(self) -> int:
        return -(-len(self.cards) // PAGE_SIZE)

    def page(self, number: int) -> list[SelectionRecord]:
        return self.cards[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]

    def first_undecided_page(self) -> int:
        """Where a review resumes: the first page with a proposal not decided yet (else the last)."""
        undecided = [i for i, card in enumerate(self.cards) if card.id not in self.review.decided]
        return (undecided[0] if undecided else len(self.cards) - 1) // PAGE_SIZE

    def decision(self, record_id: str) -> str | None:
        entry = self.review.decided.get(record_id)
        return None if entry is None else entry["decision"]

    def decide(self, record_id: str, decision: str) -> str:
        """Accept (save the proposal as it is into OUT) or reject a card not decided yet; returns the
        decision in force (a card decided already keeps its decision)."""
        record = next((card for card in self.cards if card.id == record_id), None)
        if record is None:
            raise VdmError(f"There is no proposal {record_id} in {self.review.proposals_dir}.")
        if self.decision(record_id) is None:
            saved = save_record(record, self.review.out_dir) if decision == "accepted" else None
            self.review.journal(record, decision, saved)
        return self.decision(record_id) or decision

    def summary(self) -> str:
        """`5 of 40 decided (3 accepted, 2 rejected)`."""
        decisions = [self.decision(card.id) for card in self.cards]
        done = len(self.cards) - decisions.count(None)
        return (
            f"{done} of {len(self.cards)} decided ({decisions.count('accepted')} accepted, "
            f"{decisions.count('rejected')} rejected)"
        )

    def lasso_command(self, record: SelectionRecord) -> str:
        """The command that opens this proposal's source in the Polyscope review, to edit it there."""
        words = ["vdm", "lasso", record.source.spec, "--proposals", str(self.review.proposals_dir)]
        return shlex.join([*words, "--out", str(self.review.out_dir)])

    def thumbnail_path(self, record: SelectionRecord) -> Path:
        return self.review.out_dir / THUMBNAILS / f"{record.id}.png"

    def prefetch(self, number: int) -> None:
        """Have the thumbnails of page `number` and the next ones rendered, in that order."""
        ahead = self.cards[number * PAGE_SIZE : (number + PAGES_AHEAD) * PAGE_SIZE]
        THUMBNAILER.want([(record, self.thumbnail_path(record)) for record in ahead])


def thumbnail(mesh: LoadedMesh, record: SelectionRecord) -> Image.Image:
    """A proposal seen by its first stroke's camera (with that lasso) and from its left side."""
    from vdm.lasso.engine import replay
    from vdm.lasso.preview import PreviewView, contact_sheet, render_views, selection_views

    ids = replay(record, mesh, f"Proposal {record.id}")
    first = record.strokes[0]
    side = replace(selection_views(mesh, ids, first.camera)[1], caption="")
    return contact_sheet([render_views(mesh, ids, [PreviewView(first.camera, (first,)), side])], TILE)


class Thumbnailer:
    """One worker thread that renders the wanted thumbnails, newest wish first; Polyscope is started
    when there is work and shut down when there is none."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.wanted: list[tuple[SelectionRecord, Path]] = []
        self.failed: dict[str, str] = {}  # record id: why it has no thumbnail
        self.thread: threading.Thread | None = None
        self.mesh: LoadedMesh | None = None  # the last source loaded: cards come by source

    def want(self, jobs: list[tuple[SelectionRecord, Path]]) -> None:
        """Render these (those not on disk yet), before anything wanted earlier; one that failed
        is tried again."""
        with self.changed:
            fresh = [(record, path) for record, path in jobs if not path.is_file()]
            for record, _ in fresh:  # asked again: tried again
                self.failed.pop(record.id, None)
            self.wanted = fresh + [job for job in self.wanted if job not in fresh]
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="vdm-thumbnails", daemon=True)
                self.thread.start()
            self.changed.notify()

    def _next(self, started: bool) -> tuple[SelectionRecord, Path] | None:
        """The next job; None once the work is done while Polyscope runs (time to shut it down)."""
        with self.changed:
            while not self.wanted:
                if started:
                    return None
                self.changed.wait()
            return self.wanted.pop(0)

    def _run(self) -> None:
        import polyscope as ps

        from vdm.images import write_png
        from vdm.lasso.preview import init_polyscope

        started = False
        while True:
            job = self._next(started)
            if job is None:
                ps.shutdown()
                started = False
                continue
            record, path = job
            if path.is_file():
                continue
            try:
                started = started or init_polyscope()
                if self.mesh is None or self.mesh.source.sha256 != record.source.sha256:
                    self.mesh = load_source(record.source)
                write_png(path, thumbnail(self.mesh, record))
            except Exception as exc:  # the worker lives on: the card says why it has no picture
                self.failed[record.id] = f"No thumbnail: {short_reason(exc)}"
                log.warning("%s: %s", record.id, self.failed[record.id])


THUMBNAILER = Thumbnailer()  # one for the server: Polyscope is one per process
