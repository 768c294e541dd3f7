"""The list of sources a lasso session steps through: single sources, folders, LVIS categories."""

from __future__ import annotations

import logging
from pathlib import Path

from vdm.errors import VdmError
from vdm.sources import (
    MESH_SUFFIXES,
    SourceConfig,
    lvis_categories,
    objaverse_source,
    objaverse_uid,
    parse_source,
)
from vdm.sources.subset import left_out, objaverse_subset

LVIS_PREFIX = "lvis:"

log = logging.getLogger(__name__)


def expand_sources(specs: list[str], config: SourceConfig) -> list[str]:
    """SOURCE strings in order, with a folder replaced by its mesh files (sorted by name) and
    `lvis:<category>` by that Objaverse LVIS category's objects (`objaverse:<uid>`); with a subset
    (--uids, --annotations), the Objaverse objects outside it are left out."""
    subset = objaverse_subset(config.subset)  # read first: a bad file fails before any download
    expanded: list[str] = []
    for spec in specs:
        if spec.startswith(LVIS_PREFIX):
            category = spec[len(LVIS_PREFIX) :]
            categories = lvis_categories(config.objaverse_cache)
            if category not in categories:
                raise VdmError(
                    f"There is no LVIS category '{category}' (run `vdm sources --lvis` to list them)."
                )
            expanded += [objaverse_source(uid) for uid in categories[category]]
        elif Path(spec).is_dir():
            files = sorted(
                str(p) for p in Path(spec).iterdir() if p.is_file() and p.suffix.lower() in MESH_SUFFIXES
            )
            if not files:
                raise VdmError(f"Folder {spec} has no mesh files ({', '.join(MESH_SUFFIXES)}).")
            expanded += files
        else:
            kind, _ = parse_source(spec)
            if kind == "file" and not Path(spec).exists():
                raise VdmError(f"Mesh file {spec} does not exist.")
            expanded.append(spec)
    if subset is not None:
        objects = sum(objaverse_uid(spec) is not None for spec in expanded)
        expanded = [spec for spec in expanded if not left_out(*parse_source(spec), subset)]
        kept = sum(objaverse_uid(spec) is not None for spec in expanded)
        if objects and not expanded:
            raise VdmError(
                f"The subset (--uids, --annotations) leaves out all {objects} Objaverse objects given."
            )
        log.info("the subset left out %d of %d Objaverse object(s)", objects - kept, objects)
    if not expanded:
        raise VdmError("No sources to lasso.")
    return expanded
