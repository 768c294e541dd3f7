"""Selection records for the miner tests, made the way a curator makes them: a camera aimed at a
part of `builtin:creature` and a lasso drawn around the middle of the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import builtin_mesh

from vdm.lasso.engine import select_faces
from vdm.records import Camera, SelectionRecord, Stroke

WIDTH, HEIGHT = 640, 480

# (note, eye, target, lasso radius in pixels). With the default stitching, the eye and the crown
# become patches and the horn base is rejected (its flattened border crosses itself).
PARTS = [
    ("right eye", (1.6, 0.9, 4.0), (0.36, 0.25, 0.8), 70.0),
    ("right horn base", (1.5, 3.0, 3.0), (0.45, 0.7, 0.05), 70.0),
    ("crown", (0.0, 4.0, 1.0), (0.0, 0.9, 0.0), 90.0),
]


def circle(radius: float, n: int = 24) -> tuple[tuple[float, float], ...]:
    angles = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return tuple((WIDTH / 2 + radius * np.cos(a), HEIGHT / 2 + radius * np.sin(a)) for a in angles)


def creature_records(directory: Path, parts: list | None = None) -> list[Path]:
    """Write one record per part (face ids cached, as the lasso saves them); returns their paths."""
    mesh = builtin_mesh("builtin:creature")
    paths = []
    for note, eye, target, radius in parts or PARTS:
        camera = Camera(eye=eye, target=target, up=(0.0, 1.0, 0.0), width=WIDTH, height=HEIGHT)
        strokes = [Stroke(camera, circle(radius))]
        ids = select_faces(mesh, strokes)
        record = SelectionRecord(mesh.source, strokes, [int(i) for i in ids], note, "2026-01-01T00:00:00Z")
        paths.append(record.save(directory))
    return paths
