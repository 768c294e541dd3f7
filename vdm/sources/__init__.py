"""Mesh sources behind one interface: local files, `objaverse:<uid>` and `builtin:<name>`.

`load_source(spec)` returns the conventions' "loaded mesh": all geometry merged in file order
with transforms applied, plus the source's identity (kind, ref, sha256).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from vdm.errors import VdmError
from vdm.source_config import SourceConfig
from vdm.sources.builtin import builtin_names, load_builtin
from vdm.sources.files import MESH_SUFFIXES, load_file
from vdm.sources.mesh import LoadedMesh, SourceRef
from vdm.sources.objaverse import (
    Credit,
    load_objaverse,
    lvis_categories,
    objaverse_credits,
    objaverse_source,
    objaverse_uid,
)

__all__ = [
    "MESH_SUFFIXES",
    "Credit",
    "LoadedMesh",
    "SourceConfig",
    "SourceRef",
    "builtin_names",
    "load_source",
    "lvis_categories",
    "objaverse_source",
    "objaverse_uid",
    "parse_source",
    "source_credits",
]


def parse_source(spec: str) -> tuple[str, str]:
    """Split a SOURCE argument into (kind, ref): `builtin:cow`, `objaverse:<uid>`, or a path."""
    for kind in ("builtin", "objaverse"):
        if spec.startswith(kind + ":"):
            ref = spec[len(kind) + 1 :]
            if not ref:
                raise VdmError(f"Source '{spec}' names no {kind} object.")
            return kind, ref
    return "file", spec


def load_source(spec: str | SourceRef, config: SourceConfig | None = None) -> LoadedMesh:
    """Load a source given as a SOURCE string or as the source block of a selection record."""
    config = config or SourceConfig()
    kind, ref = (spec.kind, spec.ref) if isinstance(spec, SourceRef) else parse_source(spec)
    if kind == "builtin":
        return load_builtin(ref, config.max_faces)
    if kind == "objaverse":
        return load_objaverse(ref, config.objaverse_cache, config.max_faces)
    if kind == "file":
        return load_file(Path(ref), config.max_faces)
    raise VdmError(f"Unknown source kind '{kind}' (expected file, builtin or objaverse).")


def source_credits(specs: Iterable[str], config: SourceConfig | None = None) -> dict[str, Credit]:
    """The licence and author a brush made from each source carries, by source: an Objaverse
    object's from its annotations (all of them read in one pass); a file or a built-in mesh (vdm
    knows no licence of either), a source it does not recognise (a dataset folder's name) and an
    Objaverse object with no annotations have none."""
    uids = {spec: uid for spec in specs if (uid := objaverse_uid(spec))}
    found = objaverse_credits(uids.values(), (config or SourceConfig()).objaverse_cache)
    return {spec: found[uid] for spec, uid in uids.items() if uid in found}
