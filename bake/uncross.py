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
Only the faces with a displaced corner and the plane cells that those of them on the plane reach
are tested: the rest lie flat in their own cells of the plane, and no face reaches them (a face
lies within its corners' bounding box).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import binary_dilation

from vdm.geometry import crossing_faces
from vdm.vdm_file import vdm_to_patch

ROUNDS = 20
STALL = 3  # rounds without improvement before the repair gives up
STEP = 0.5  # the share of the way to the neighbours' mean a round moves a point


@dataclass(frozen=True)
class Uncrossed:
    """The VDM after the repair, and how many decoded faces crossed before and after it."""

    displacement: np.ndarray
    crossing_before: int
    crossing_after: int


def _cells_under(corners: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(K, K) mask of the decoder's grid cells (K + 1 vertex lines at `edges`, ascending in x and
    in -y) that the xy bounding box of one of the faces (F, 3, 3) overlaps."""
    k = len(edges) - 1
    lo, hi = corners[..., :2].min(axis=1), corners[..., :2].max(axis=1)
    # Cell j spans edges[j]..edges[j + 1] in x; row i spans -edges[i + 1]..-edges[i] in y.
    c0 = np.clip(np.searchsorted(edges, lo[:, 0], side="left") - 1, 0, k - 1)
    c1 = np.clip(np.searchsorted(edges, hi[:, 0], side="right") - 1, 0, k - 1)
    r0 = np.clip(np.searchsorted(edges, -hi[:, 1], side="left") - 1, 0, k - 1)
    r1 = np.clip(np.searchsorted(edges, -lo[:, 1], side="right") - 1, 0, k - 1)
    marks = np.zeros((k + 1, k + 1), dtype=np.int64)  # a 2-D difference array of the boxes
    np.add.at(marks, (r0, c0), 1)
    np.add.at(marks, (r0, c1 + 1), -1)
    np.add.at(marks, (r1 + 1, c0), -1)
    np.add.at(marks, (r1 + 1, c1 + 1), 1)
    return marks.cumsum(axis=0).cumsum(axis=1)[:k, :k] > 0


def crossing_pixels(displacement: np.ndarray) -> tuple[int, np.ndarray]:
    """How many faces of the decoded grid cross another face, and the (N, N) mask of the pixels at
    their corners. Tested are the faces with a displaced corner, and the flat plane cells that one
    of them touching the plane (z <= 0) reaches: a face with no displaced corner lies in its own
    cell of the plane, and no other face can cross it."""
    n = displacement.shape[0]
    side = n + 2  # the decoder's vertex grid: the pixel centres and a ring on the square's edge
    decoded = vdm_to_patch(displacement)
    displaced = np.zeros((side, side), dtype=bool)
    displaced[1:-1, 1:-1] = np.abs(displacement).max(axis=-1) > 0.0
    faces = decoded.faces
    moved = displaced.ravel()[faces].any(axis=1)
    corners = decoded.vertices[faces]
    low = moved & (corners[..., 2].min(axis=1) <= 0.0)
    edges = decoded.vertices[:side, 0]  # the x of the top row's vertices: -1, the centres, 1
    cells = _cells_under(corners[low], edges)
    rows, cols = np.divmod(faces, side)
    tested = moved | cells[rows.min(axis=1), cols.min(axis=1)]
    crossing = faces[tested][crossing_faces(decoded.vertices, faces[tested])]
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
    mean = (d[rows - 1, cols] + d[rows + 1, cols] + d[rows, cols - 1] + d[rows, cols + 1]) / 4.0
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
        moving = binary_dilation(mask)
        moving[[0, -1], :] = False
        moving[:, [0, -1]] = False
        current = _smoothed(current, moving)
        count, mask = crossing_pixels(current)
        stalled = 0 if count < best_count else stalled + 1
        if count < best_count:
            best, best_count = current, count
    return Uncrossed(best, before, best_count)
