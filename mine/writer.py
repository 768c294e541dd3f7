"""The driver side of `vdm mine`: writes a dataset (conventions section 7) so that it survives SIGKILL.

- One miner per dataset: the run holds `DATASET/.lock` (vdm.folder_lock) from open to close, and only
  then removes the leftovers of killed writers (temporary files of its own dataset alone).
- The settings that decide the dataset's bytes are written once into `DATASET/settings.json`; a
  run with other settings is refused, naming each difference, before anything changes.
- Every file is written through a temporary name and renamed (vdm.atomic).
- Records are committed in input order: their manifest and rejected lines are first saved in a
  small journal file (fsynced with its folder), then appended and fsynced, then the journal is
  deleted. A run that opens the dataset replays any journal left behind, skipping lines already
  present, and cuts a torn last line, so the manifest never loses, tears or duplicates a line.
- A record is done when the selection itself was rejected, or when every one of its patches
  (`<selection>-a<i>`, i < augmentations) is in the manifest or was rejected alone: a patch whose
  line was torn away is mined again.
- A dataset heals: on open every manifest line's files are checked from their sizes and headers
  (vdm.dataset.entry_problem); a record with a patch whose files are missing or damaged is not
  done, and mining it again writes the files and puts its lines right.
- Every file the writer reads back (the manifest, rejected.jsonl, settings.json, the journals) goes
  through the guarded reader (vdm.state_files): damage is one sentence naming the file and line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from vdm.atomic import remove_partials, writable_dir, write_bytes_atomic, write_text_atomic
from vdm.dataset import MANIFEST, REJECTED, SETTINGS, damaged_patches, line_shape, read_jsonl
from vdm.errors import VdmError
from vdm.folder_lock import FolderLock
from vdm.mine.worker import RecordResult
from vdm.state_files import Wrong, json_object, read_state_json

log = logging.getLogger(__name__)

JOURNAL_DIR = ".journal"
OS_BYTES = re.compile("[\udc80-\udcff]")  # a byte of a path that is not UTF-8, as Python holds it


def dumps_line(entry: dict[str, Any]) -> str:
    """One canonical JSON line (sorted keys): the same entry always gives the same bytes. Text is
    written as it is, except a path's bytes that are not UTF-8 (a source in such a folder): they
    are escaped (\\udcff), so the line stays UTF-8 and reads back as the same path."""
    line = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    return OS_BYTES.sub(lambda byte: f"\\u{ord(byte.group()):04x}", line) + "\n"


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
    """An open, locked dataset directory: what is already done, and the ordered commit of new results.
    Use as a context manager (or call `close`): the lock is held until then."""

    def __init__(self, root: str | Path, settings: dict[str, Any]) -> None:
        self.root = writable_dir(root, create=True)
        self.lock = FolderLock(self.root, f"Dataset {self.root} is being mined", "mine into another --out")
        self.lock.acquire()
        try:
            self._open(settings)
        except BaseException:
            self.lock.release()
            raise

    def _open(self, settings: dict[str, Any]) -> None:
        check_settings(self.root, settings)
        self.augmentations = int(settings["augmentations"])
        self.partials_removed = remove_partials(self.root)
        self.manifest_path, self.rejected_path = self.root / MANIFEST, self.root / REJECTED
        for path in (self.manifest_path, self.rejected_path):
            _cut_torn_tail(path)
            path.touch()
        self.manifest = read_jsonl(self.manifest_path)
        self.rejected = read_jsonl(self.rejected_path)
        self._patch_ids = {e["patch_id"] for e in self.manifest}
        self._rejected_keys = {(e["id"], e["stage"]) for e in self.rejected}
        self.journals_replayed = self._replay_journals()
        self.damaged = damaged_patches(self.root, self.manifest)  # their records are mined again

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_done(self, selection_id: str) -> bool:
        """The selection was rejected as a whole, or each of its patches is accepted (its files
        whole) or rejected."""
        if self.damaged and self._damaged_patches(selection_id):
            return False
        settled = self._patch_ids | {key for key, _ in self._rejected_keys}
        if selection_id in settled:
            return True
        return all(f"{selection_id}-a{i}" in settled for i in range(self.augmentations))

    def _journal(self, selection_id: str) -> Path:
        return self.root / JOURNAL_DIR / f"{selection_id}.json"

    def _damaged_patches(self, selection_id: str) -> set[str]:
        return {
            e["patch_id"]
            for e in self.manifest
            if e["selection_id"] == selection_id and e["patch_id"] in self.damaged
        }

    def _replay_journals(self) -> int:
        journals = sorted((self.root / JOURNAL_DIR).glob("*.json"))
        for journal in journals:
            lines = read_state_json(
                journal,
                "The miner's journal",
                _journal_shape,
                "delete it and rerun: its record is mined again",
            )
            self._append_new(lines["manifest"], lines["rejected"])
            journal.unlink()
        return len(journals)

    def _heal(self, result: RecordResult) -> None:
        """Put right the lines of this record's damaged patches: the line mined now where the patch
        came back, none where the record no longer gives it."""
        healed = self._damaged_patches(result.selection_id) if self.damaged else set()
        if not healed:
            return
        mined = {e["patch_id"]: e for e in result.manifest}
        self.manifest = [
            mined.get(e["patch_id"], e) for e in self.manifest if e["patch_id"] not in healed - mined.keys()
        ]
        write_text_atomic(self.manifest_path, "".join(dumps_line(e) for e in self.manifest), durable=True)
        self._patch_ids = {e["patch_id"] for e in self.manifest}
        for patch_id in healed:
            del self.damaged[patch_id]

    def _append_new(self, manifest: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> None:
        """Append the entries not already present (a journal may be replayed after its append)."""
        new_manifest = [e for e in manifest if e["patch_id"] not in self._patch_ids]
        new_rejected = [e for e in rejected if (e["id"], e["stage"]) not in self._rejected_keys]
        _append(self.manifest_path, [dumps_line(e) for e in new_manifest])
        _append(self.rejected_path, [dumps_line(e) for e in new_rejected])
        self._patch_ids |= {e["patch_id"] for e in new_manifest}
        self._rejected_keys |= {(e["id"], e["stage"]) for e in new_rejected}
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
        return len(forgotten)

    def write_files(self, result: RecordResult) -> None:
        """Write a result's files in final form (each through a temporary name)."""
        for relative, data in sorted(result.files.items()):
            write_bytes_atomic(self.root / relative, data)

    def commit(self, result: RecordResult) -> None:
        """Append a result's lines; call in input order, after `write_files`."""
        journal = self._journal(result.selection_id)
        lines = json.dumps({"manifest": result.manifest, "rejected": result.rejected})
        write_text_atomic(journal, lines, durable=True)
        self._heal(result)
        self._append_new(result.manifest, result.rejected)
        journal.unlink()

    def close(self) -> None:
        """Remove the (empty) journal directory and release the lock."""
        with contextlib.suppress(OSError):
            (self.root / JOURNAL_DIR).rmdir()
        self.lock.release()


def _journal_shape(value: Any) -> Wrong | None:
    """A journal: the manifest and rejected lines of one record, each of its file's shape."""
    wrong = json_object(manifest=list, rejected=list)(value)
    if wrong is not None:
        return wrong
    for kind, name in (("manifest", MANIFEST), ("rejected", REJECTED)):
        _, shape = line_shape(name)
        for entry in value[kind]:
            if (wrong := shape(entry)) is not None:
                return Wrong(f"a {kind} line in it is wrong: {wrong.problem}", kind)
    return None


def _flat(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def check_settings(root: Path, settings: dict[str, Any]) -> None:
    """Write the dataset's settings on its first run; refuse a run whose settings differ."""
    path = root / SETTINGS
    if not path.exists():
        if (root / MANIFEST).exists() and (root / MANIFEST).stat().st_size:
            log.warning("%s has no %s (mined by an older vdm): recording this run's settings", root, SETTINGS)
        write_text_atomic(path, json.dumps(settings, indent=1, sort_keys=True) + "\n", durable=True)
        return
    recorded = read_state_json(
        path,
        "The dataset settings",
        json_object(),
        "it records what the dataset was mined with: restore it, or mine into another --out",
    )
    have, want = _flat(recorded), _flat(settings)
    differences = [
        f"{key} {have.get(key, 'unset')} here, {want.get(key, 'unset')} asked"
        for key in sorted(have.keys() | want.keys())
        if have.get(key) != want.get(key)
    ]
    if differences:
        raise VdmError(
            f"Dataset {root} was mined with other settings ({'; '.join(differences)}); rerun with its "
            "settings to add to it, or give a new --out to start another dataset."
        )
