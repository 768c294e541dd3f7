"""The selection engine on a 1M-face mesh: projection + polygon test, occlusion, curator edits.

The mesh is a torus seen obliquely (1000 x 500 quads, 1,000,000 triangles), so a third of what the
lasso covers is hidden behind the near side of the ring; the lasso is a 300-point wobbly loop
covering most of the view.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.table import Row, timed
from vdm.lasso.engine import SelectionEngine, replay
from vdm.lasso.refine import grow, keep_largest
from vdm.records import Camera, Stroke, load_record, shipped_record
from vdm.sources import LoadedMesh, SourceRef, load_source
from vdm.sources.mesh import canonical_sha256


def torus(n_around: int = 1000, n_tube: int = 500, radius: float = 1.0, tube: float = 0.4) -> LoadedMesh:
    """A torus of 2 * n_around * n_tube triangles, as a loaded mesh."""
    u = np.linspace(0.0, 2.0 * np.pi, n_around, endpoint=False)
    v = np.linspace(0.0, 2.0 * np.pi, n_tube, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    ring = radius + tube * np.cos(vv)
    vertices = np.stack([ring * np.cos(uu), tube * np.sin(vv), ring * np.sin(uu)], axis=-1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(n_around), np.arange(n_tube), indexing="ij")
    a, b = i * n_tube + j, ((i + 1) % n_around) * n_tube + j
    c, d = ((i + 1) % n_around) * n_tube + (j + 1) % n_tube, i * n_tube + (j + 1) % n_tube
    faces = np.concatenate([np.stack([a, d, c], -1).reshape(-1, 3), np.stack([a, c, b], -1).reshape(-1, 3)])
    source = SourceRef("file", "torus-1M", canonical_sha256("torus", vertices, faces, None))
    return LoadedMesh(source, vertices, faces)


def lasso_over(camera: Camera, size: float = 1.0, n: int = 300) -> tuple[tuple[float, float], ...]:
    """A wobbly loop round the view centre; size 1 covers most of the view."""
    a = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    w, h = camera.width, camera.height
    x = w / 2 + size * 0.42 * w * np.cos(a) * (1 + 0.08 * np.sin(7 * a))
    y = h / 2 + size * 0.40 * h * np.sin(a)
    return tuple(zip(x.tolist(), y.tolist(), strict=True))


def run() -> list[Row]:
    mesh = torus()
    n = f"{mesh.n_faces:,} faces"
    camera = Camera(eye=(0.0, 2.2, 3.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), width=1280, height=720)
    polygon = lasso_over(camera)
    xray, visible = Stroke(camera, polygon, xray=True), Stroke(camera, polygon)
    rows = []

    start = time.perf_counter()
    engine = SelectionEngine(mesh)
    rows.append(
        Row("lasso", "engine set-up (centroids, normals)", (time.perf_counter() - start) * 1000, "ms", n)
    )
    seconds = timed(lambda: engine.stroke_faces(xray))
    inside = len(engine.stroke_faces(xray))
    rows.append(
        Row(
            "lasso",
            "projection + polygon test (x-ray stroke)",
            seconds * 1000,
            "ms",
            f"{n}, {inside:,} inside, 300-point lasso",
        )
    )
    start = time.perf_counter()
    shown = len(engine.stroke_faces(visible))
    rows.append(
        Row(
            "lasso",
            "visible stroke, first (builds the Embree BVH)",
            time.perf_counter() - start,
            "s",
            f"{shown:,} visible of {inside:,}",
        )
    )
    seconds = timed(lambda: engine.stroke_faces(visible))
    rows.append(
        Row("lasso", "visible stroke, BVH built", seconds, "s", "a ray to each front-facing face inside")
    )
    part = Stroke(camera, lasso_over(camera, size=0.2))
    seconds = timed(lambda: engine.stroke_faces(part))
    rows.append(
        Row(
            "lasso",
            "visible stroke, part-sized lasso",
            seconds * 1000,
            "ms",
            f"{len(engine.stroke_faces(part)):,} selected",
        )
    )

    selected = np.zeros(mesh.n_faces, dtype=bool)
    selected[engine.stroke_faces(visible)] = True
    start = time.perf_counter()
    graph = engine.graph
    graph.edge_links  # noqa: B018 - build it here, to time it apart from the edits
    graph.incidence  # noqa: B018
    rows.append(Row("lasso", "face graph for edits (first edit only)", time.perf_counter() - start, "s", n))
    rows.append(
        Row(
            "lasso",
            "grow by one ring",
            timed(lambda: grow(graph, selected)) * 1000,
            "ms",
            f"{selected.sum():,} selected",
        )
    )
    rows.append(
        Row(
            "lasso",
            "keep largest component",
            timed(lambda: keep_largest(graph, selected)) * 1000,
            "ms",
            f"{selected.sum():,} selected",
        )
    )

    bunny = load_source("builtin:bunny")
    record = load_record(shipped_record("bunny-ear"))
    start = time.perf_counter()
    replay(record, bunny)
    rows.append(
        Row(
            "lasso",
            "replay shipped bunny-ear record (cold)",
            time.perf_counter() - start,
            "s",
            f"{bunny.n_faces:,} faces, 2 strokes + edit",
        )
    )
    return rows
