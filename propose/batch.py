"""Proposals over many sources: one index and overview per mesh, resumable, failures recorded.

A mesh's index and its overview picture are one unit: the picture is written first and the index
last, and a mesh is done only when both are there, so a batch killed (or stopped by a full disk)
between the two finishes that mesh when it is run again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vdm.atomic import write_text_atomic
from vdm.errors import VdmError, short_reason
from vdm.proposal_index import INDEX_DIR, index_path, overview_path
from vdm.propose.config import ProposeConfig
from vdm.propose.overview import write_overview
from vdm.propose.proposals import ProposalSet, propose, write_proposals
from vdm.source_config import SourceConfig
from vdm.sources import SourceRef, load_source
from vdm.state_files import Wrong, json_object, read_state_json

FAILURES = "failed.json"


def is_done(out: Path, source: SourceRef) -> bool:
    """A mesh's proposals are complete: its index and its overview picture are both there."""
    return index_path(out, source.sha256).is_file() and overview_path(out, source).is_file()


def save_proposals(found: ProposalSet, out: Path, config: ProposeConfig) -> tuple[Path, Path]:
    """One mesh's overview picture, records and index in `out` (the index last: its presence with
    the picture's says the mesh is done); returns the index and the picture."""
    picture = write_overview(found, overview_path(out, found.mesh.source))
    return write_proposals(found, out, config), picture


def propose_sources(
    sources: list[str], out: Path, config: ProposeConfig, sources_config: SourceConfig, redo: bool = False
) -> tuple[list[str], list[str]]:
    """Propose on each source in turn; one summary line per source, and the sources that failed. A
    source that cannot be loaded or analysed is recorded in `out/proposals/failed.json` with its
    reason and the batch goes on; a source whose index and overview exist is skipped unless `redo`."""
    failures_path = Path(out) / INDEX_DIR / FAILURES
    failures = read_failures(failures_path)
    lines = []
    for spec in sources:
        try:
            mesh = load_source(spec, sources_config)
            if is_done(out, mesh.source) and not redo:
                lines.append(f"{spec}: done before ({index_path(out, mesh.source.sha256)})")
                continue
            found = propose(mesh, config)
        except VdmError as exc:
            failures[spec] = short_reason(exc)
            write_text_atomic(failures_path, json.dumps(failures, indent=1, sort_keys=True) + "\n")
            lines.append(f"{spec}: failed ({short_reason(exc)})")
            continue
        index, picture = save_proposals(found, out, config)
        failures.pop(spec, None)
        lines.append(
            f"{spec}: {len(found.proposals)} proposals, {len(found.refused)} refused, "
            f"{found.seconds:.1f} s; index {index}, overview {picture}"
        )
    if failures_path.is_file() or failures:
        write_text_atomic(failures_path, json.dumps(failures, indent=1, sort_keys=True) + "\n")
    return lines, [spec for spec in sources if spec in failures]


def read_failures(path: Path) -> dict[str, str]:
    """The sources that failed before, with their reasons (none when the file is not there)."""
    if not path.is_file():
        return {}
    return read_state_json(
        path, "The list of failed sources", _failures_shape, "delete it to try them all again"
    )


def _failures_shape(value: Any) -> Wrong | None:
    """{source: reason}."""
    wrong = json_object()(value)
    if wrong is not None:
        return wrong
    source = next((spec for spec, reason in value.items() if not isinstance(reason, str)), None)
    return None if source is None else Wrong(f"the reason for {source} is not a string", source)
