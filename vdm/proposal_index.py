"""The index `vdm propose` writes beside its records and the lasso's review mode reads.

`DIR/proposals/<sha256[:16]>.json` (schema vdm.proposals/1) names, for one source mesh, its
proposal records (`DIR/<id>.json`, ordinary selection records) best first, with their scores and
reasons, and the candidates it refused with theirs. The records lie flat in DIR, so DIR is a
selections folder that `vdm mine` takes as it is; the index's subfolder is not one it reads.
"""

from __future__ import annotations

import json
from pathlib import Path

from vdm.errors import VdmError
from vdm.records import SelectionRecord, load_record
from vdm.sources.mesh import SourceRef

SCHEMA = "vdm.proposals/1"
INDEX_DIR = "proposals"


def index_path(folder: str | Path, sha256: str) -> Path:
    """Where the index of the proposals made on the mesh with this sha256 lies in `folder`."""
    return Path(folder) / INDEX_DIR / f"{sha256[:16]}.json"


def read_proposals(folder: str | Path, source: SourceRef) -> list[SelectionRecord]:
    """The proposal records made on `source` in `folder`, best first ([] when it has none there)."""
    path = index_path(folder, source.sha256)
    if not path.is_file():
        return []
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        if index.get("schema") != SCHEMA:
            raise ValueError(f"schema {index.get('schema')!r}")
        names = [entry["record"] for entry in index["proposals"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VdmError(f"The proposal index {path} is not one `vdm propose` wrote ({exc}).") from exc
    return [load_record(Path(folder) / name) for name in names]
