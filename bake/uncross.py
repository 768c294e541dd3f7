"""Repair of the decoded grid where its faces cross each other (conventions section 6b: no fold).

bake.untangle keeps every sample on the patch and turns back faces that face against it; it
cannot mend a crossing between faces that all face the right way. Those come where the map
squeezes a tall wall into its footprint (a tube's base): one pixel steps ~0.001 along the base
and ~0.02 up the wall, so neighbouring rows are slivers a thousandth apart whose chords cut the
bend where the wall meets the plane at slightly different heights, and they pierce each other.

The repair finds the crossing faces exactly (CGAL, vdm.geometry.crossing_faces) on the mesh the
decoder makes (vdm.vdm_file.vdm_to_patch) and moves the corners of those faces and their
neighbours half-way to the mean of their four grid neighbours, off the surface (a point held on
it keeps the order that crosses), until nothing crosses. It is kept only when it crosses less.
Only the faces that face down or stand on edge seen from +z (walls, undercuts, folds) and those
over or under them are tested (_tested_faces says why that is exact): on most parts a small share
of the grid, and none at all on a part without undercuts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vdm.bake.untangle import around, neighbour_mean
from vdm.geometry import crossing_faces, signed_areas_2d
from vdm.patch import Patch
from vdm.vdm_grid import vdm_to_patch

ROUNDS = 20
STALL = 3  # rounds without improvement before the repair gives up
STEP = 0.5  # the share of the way to the neighbours' mean a round moves a point
EDGE_ON = 5e-13  # the xy area below which a face counts as on edge (half a cell at 2048 px: 5e-7)
RASTER = 512  # cells per side of the raster that finds the faces over or under a downward one


@dataclass(frozen=True)
class Uncrossed:
    """The VDM after the repair, and how many decoded faces crossed before and after it."""

    displacement: np.ndarray
    crossing_before: int
    crossing_after: int


def _raster_boxes(lo: np.ndarray, hi: np.ndarray, origin: np.ndarray, cell: float, k: int) -> tuple:
    """The first and last rows and columns of a k x k raster (from `origin`, square cells of side
    `cell`) that each closed box [lo, hi] (B, 2) touches."""
    first = np.clip(np.floor((lo - origin) / cell).astype(np.int64), 0, k - 1)
    last = np.clip(np.floor((hi - origin) / cell).astype(np.int64), 0, k - 1)
    return first[:, 1], last[:, 1], first[:, 0], last[:, 0]


def _tested_faces(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Which faces of a decoded grid can cross another: those that face down or stand on edge
    seen from +z, and those whose xy bounding box meets one of theirs.

    Exact by the degree of the grid's projection onto the plane: the grid's rim is the square's
    edge, so a point of the square is covered by one more upward face than downward (or edge-on)
    ones. Where no such face comes near, each point is covered by one face alone, the faces there
    tile the plane as the grid does, and two of them can meet only where they share a corner or
    an edge."""
    xy = np.ascontiguousarray(vertices[:, :2])
    down = signed_areas_2d(xy, faces) <= EDGE_ON  # rounding can only add faces
    a, b, c = xy[faces[:, 0]], xy[faces[:, 1]], xy[faces[:, 2]]
    if not down.any():
        return down
    lo, hi = np.minimum(np.minimum(a, b), c), np.maximum(np.maximum(a, b), c)
    origin, k = lo.min(axis=0), RASTER
    cell = float((hi.max(axis=0) - origin).max()) / k + 1e-12
    r0, r1, c0, c1 = _raster_boxes(lo[down], hi[down], origin, cell, k)
    marks = np.zeros((k + 1, k + 1), dtype=np.int64)  # a 2-D difference array of the boxes
    np.add.at(marks, (r0, c0), 1)
    np.add.at(marks, (r0, c1 + 1), -1)
    np.add.at(marks, (r1 + 1, c0), -1)
    np.add.at(marks, (r1 + 1, c1 + 1), 1)
    covered = np.zeros((k + 1, k + 1), dtype=np.int64)  # its summed-area table, to query boxes
    covered[1:, 1:] = (marks.cumsum(axis=0).cumsum(axis=1)[:k, :k] > 0).cumsum(axis=0).cumsum(axis=1)
    r0, r1, c0, c1 = _raster_boxes(lo, hi, origin, cell, k)
    hits = covered[r1 + 1, c1 + 1] - covered[r0, c1 + 1] - covered[r1 + 1, c0] + covered[r0, c0]
    return down | (hits > 0)


def crossing_pixels(displacement: np.ndarray, decoded: Patch | None = None) -> tuple[int, np.ndarray]:
    """How many faces of the decoded grid cross another face (exact, over the faces that can:
    _tested_faces), and the (N, N) mask of the pixels at their corners; `decoded`, when the caller
    has it, is vdm_to_patch(displacement)."""
    n = displacement.shape[0]
    side = n + 2  # the decoder's vertex grid: the pixel centres and a ring on the square's edge
    decoded = vdm_to_patch(displacement) if decoded is None else decoded
    tested = decoded.faces[_tested_faces(decoded.vertices, decoded.faces)]
    crossing = tested[crossing_faces(decoded.vertices, tested)]
    mask = np.zeros((n, n), dtype=bool)
    rows, cols = np.divmod(np.unique(crossing), side)
    inside = (rows >= 1) & (rows <= n) & (cols >= 1) & (cols <= n)
    mask[rows[inside] - 1, cols[inside] - 1] = True
    return len(crossing), mask


def _smoothed(displacement: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """The `moving` points STEP of the way to the mean of their four grid neighbours (the plane
    points of a pixel's neighbours average to its own, so the displacement is smoothed alike)."""
    rows, cols = np.nonzero(moving)
    d = displacement.astype(np.float64)
    mean = neighbour_mean(d, rows, cols)
    out = displacement.copy()
    out[rows, cols] = d[rows, cols] + STEP * (mean - d[rows, cols])
    return out


def uncross(displacement: np.ndarray, rounds: int = ROUNDS) -> Uncrossed:
    """The VDM smoothed where its decoded faces cross, kept when it crosses less than before; the
    rounds stop when nothing crosses or `STALL` rounds in a row bring no improvement. The border
    ring is never moved (it stays exactly 0)."""
    count, mask = crossing_pixels(displacement)
    before = count
    best, best_count, stalled = displacement, count, 0
    current = displacement
    for _ in range(rounds):
        if count == 0 or stalled == STALL:
            break
        current = _smoothed(current, around(mask))
        count, mask = crossing_pixels(current)
        stalled = 0 if count < best_count else stalled + 1
        if count < best_count:
            best, best_count = current, count
    return Uncrossed(best, before, best_count)
