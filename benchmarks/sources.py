"""Loading the built-in sources as loaded meshes."""

from __future__ import annotations

from benchmarks.table import Row, timed
from vdm.sources import load_source


def run() -> list[Row]:
    rows = []
    for name in ("cow", "bunny", "face000", "creature"):
        seconds = timed(lambda name=name: load_source(f"builtin:{name}"))
        faces = load_source(f"builtin:{name}").n_faces
        rows.append(Row("sources", f"load builtin:{name}", seconds * 1000, "ms", f"{faces:,} faces"))
    return rows
