"""The index `vdm propose` writes beside its records and the lasso's review mode reads.

`DIR/proposals/<sha256[:16]>.json` (schema vdm.proposals/1; its overview picture beside it is
named after the mesh) names, for one source mesh, its
proposal records (`DIR/<id>.json`, ordinary selection records) best first, with their scores and
reasons, and the candidates it refused with theirs. The records lie flat in DIR, so DIR is a
selections folder that `vdm mine` takes as it is; the index's subfolder is not one it reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vdm.records import SelectionRecord, load_record
from vdm.sources.mesh import SourceRef
from vdm.state_files import Wrong, json_object, read_state_json

SCHEMA = "vdm.proposals/1"
INDEX_DIR = "proposals"


def index_path(folder: str | Path, sha256: str) -> Path:
    """Where the index of the proposals made on the mesh with this sha256 lies in `folder`."""
    return Path(folder) / INDEX_DIR / f"{sha256[:16]}.json"


def overview_path(folder: str | Path, source: SourceRef) -> Path:
    """The overview picture of one mesh's proposals, named so a person knows the mesh:
    `proposals/<mesh name>-<sha256[:16]>.png` (cow-0bac5ee61844f576.png)."""
    name = Path(source.ref).stem if source.kind == "file" else source.ref
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or source.kind
    return Path(folder) / INDEX_DIR / f"{readable[:60]}-{source.sha256[:16]}.png"


def read_proposals(folder: str | Path, source: SourceRef) -> list[SelectionRecord]:
    """The proposal records made on `source` in `folder`, best first ([] when it has none there)."""
    path = index_path(folder, source.sha256)
    if not path.is_file():
        return []
    index = read_state_json(path, "The proposal index", _index_shape, "rerun `vdm propose` with --redo")
    return [load_record(Path(folder) / entry["record"]) for entry in index["proposals"]]


def _index_shape(value: Any) -> Wrong | None:
    """What the lasso's review reads: the schema and each proposal's record file."""
    wrong = json_object(schema=str, proposals=list)(value)
    if wrong is not None:
        return wrong
    if value["schema"] != SCHEMA:
        return Wrong(f"its schema is {value['schema']!r}, not {SCHEMA!r}", "schema")
    for rank, entry in enumerate(value["proposals"], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("record"), str):
            return Wrong(f"proposal {rank} names no record file", "proposals")
    return None
