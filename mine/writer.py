"""The driver side of `vdm mine`: writes a dataset (conventions section 7) so that it survives SIGKILL.

- Every file is written through a temporary name and renamed (vdm.atomic); leftovers of a killed
  run are removed when the next run opens the dataset.
- Records are committed in input order: their manifest and rejected lines are first saved in a
  small journal file (atomically), then appended, then the journal is deleted. A run that opens
  the dataset replays any journal left behind, skipping lines already present, and cuts a torn
  last line, so the manifest never loses, tears or duplicates a line.
- A record is done when its selection id is in the manifest or in rejected.jsonl; a rerun of the
  same command mines only the others.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from mine.worker import RecordResult
from vdm.atomic import remove_partials, write_bytes_atomic, write_text_atomic
from vdm.dataset import MANIFEST, REJECTED, read_jsonl

JOURNAL_DIR = ".journal"


def dumps_line(entry: dict[str, Any]) -> str:
    """One canonical JSON line (sorted keys): the same entry always gives the same bytes."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def _cut_torn_tail(path: Path) -> None:
    """Drop bytes after the last newline (a line a killed writer did not finish)."""
    if not path.exists():
        return
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with path.open("r+b") as f:
            f.truncate(end)


def _append(path: Path, lines: list[str]) -> None:
    if not lines:
        return
    with path.open("ab") as f:
        f.write("".join(lines).encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


class DatasetWriter:
    """An open dataset directory: what is already done, and the ordered commit of new results."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            from vdm.errors import VdmError

            raise VdmError(f"Dataset {self.root} exists and is not a directory.")
        self.root.mkdir(parents=True, exist_ok=True)
        self.partials_removed = remove_partials(self.root)
        self.manifest_path, self.rejected_path = self.root / MANIFEST, self.root / REJECTED
        for path in (self.manifest_path, self.rejected_path):
            _cut_torn_tail(path)
            path.touch()
        self.manifest = read_jsonl(self.manifest_path)
        self.rejected = read_jsonl(self.rejected_path)
        self._patch_ids = {e["patch_id"] for e in self.manifest}
        self._rejected_keys = {(e["id"], e["stage"]) for e in self.rejected}
        self.done = {e["selection_id"] for e in self.manifest} | {
            e.get("selection_id", e["id"]) for e in self.rejected
        }
        self.journals_replayed = self._replay_journals()

    def _journal(self, selection_id: str) -> Path:
        return self.root / JOURNAL_DIR / f"{selection_id}.json"

    def _replay_journals(self) -> int:
        journals = sorted((self.root / JOURNAL_DIR).glob("*.json"))
        for journal in journals:
            lines = json.loads(journal.read_text(encoding="utf-8"))
            self._append_new(lines["manifest"], lines["rejected"])
            journal.unlink()
        return len(journals)

    def _append_new(self, manifest: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> None:
        """Append the entries not already present (a journal may be replayed after its append)."""
        new_manifest = [e for e in manifest if e["patch_id"] not in self._patch_ids]
        new_rejected = [e for e in rejected if (e["id"], e["stage"]) not in self._rejected_keys]
        _append(self.manifest_path, [dumps_line(e) for e in new_manifest])
        _append(self.rejected_path, [dumps_line(e) for e in new_rejected])
        for e in new_manifest:
            self._patch_ids.add(e["patch_id"])
            self.done.add(e["selection_id"])
        for e in new_rejected:
            self._rejected_keys.add((e["id"], e["stage"]))
            self.done.add(e.get("selection_id", e["id"]))
        self.manifest += new_manifest
        self.rejected += new_rejected

    def forget_rejected_selections(self) -> int:
        """Drop the rejected lines of selections that have no accepted patch, so they are mined
        again (after a fix in the code or the environment); returns how many selections."""
        accepted = {e["selection_id"] for e in self.manifest}
        keep = [e for e in self.rejected if e.get("selection_id", e["id"]) in accepted]
        forgotten = {e.get("selection_id", e["id"]) for e in self.rejected} - accepted
        if forgotten:
            write_text_atomic(self.rejected_path, "".join(dumps_line(e) for e in keep))
            self.rejected = keep
            self._rejected_keys = {(e["id"], e["stage"]) for e in keep}
            self.done -= forgotten
        return len(forgotten)

    def write_files(self, result: RecordResult) -> None:
        """Write a result's files in final form (each through a temporary name)."""
        for relative, data in sorted(result.files.items()):
            write_bytes_atomic(self.root / relative, data)

    def commit(self, result: RecordResult) -> None:
        """Append a result's lines; call in input order, after `write_files`."""
        journal = self._journal(result.selection_id)
        write_text_atomic(journal, json.dumps({"manifest": result.manifest, "rejected": result.rejected}))
        self._append_new(result.manifest, result.rejected)
        journal.unlink()

    def close(self) -> None:
        """Remove the (empty) journal directory."""
        with contextlib.suppress(OSError):
            (self.root / JOURNAL_DIR).rmdir()
