"""Proposals over many sources: one index and overview per mesh, resumable, failures recorded."""

from __future__ import annotations

import json
from pathlib import Path

from vdm.atomic import write_text_atomic
from vdm.errors import VdmError, short_reason
from vdm.proposal_index import INDEX_DIR, index_path
from vdm.propose.config import ProposeConfig
from vdm.propose.overview import write_overview
from vdm.propose.proposals import ProposalSet, propose, write_proposals
from vdm.source_config import SourceConfig
from vdm.sources import load_source

FAILURES = "failed.json"


def save_proposals(found: ProposalSet, out: Path, config: ProposeConfig) -> tuple[Path, Path]:
    """One mesh's records, index and overview picture in `out`; returns the index and the picture."""
    index = write_proposals(found, out, config)
    return index, write_overview(found, index.with_suffix(".png"))


def propose_sources(
    sources: list[str], out: Path, config: ProposeConfig, sources_config: SourceConfig, redo: bool = False
) -> tuple[list[str], list[str]]:
    """Propose on each source in turn; one summary line per source, and the sources that failed. A
    source that cannot be loaded or analysed is recorded in `out/proposals/failed.json` with its
    reason and the batch goes on; a source whose index exists is skipped unless `redo`."""
    failures_path = Path(out) / INDEX_DIR / FAILURES
    failures = json.loads(failures_path.read_text(encoding="utf-8")) if failures_path.is_file() else {}
    lines = []
    for spec in sources:
        try:
            mesh = load_source(spec, sources_config)
            done = index_path(out, mesh.source.sha256)
            if done.is_file() and not redo:
                lines.append(f"{spec}: done before ({done})")
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
