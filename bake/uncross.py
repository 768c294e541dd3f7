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
Only the faces near displaced pixels are tested: the rest lie flat at their own cells of the
plane, and no face of the part reaches them (a face lies within its corners' bounding box).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import binary_dilation

from vdm.geometry import crossing_faces
from vdm.vdm_file import pixel_centres, vdm_to_patch

ROUNDS = 20
STALL = 3  # rounds without improvement before the repair gives up
STEP = 0.5  # the share of the way to the neighbours' mean a round moves a point
MARGIN = 2  # pixels around the displaced region whose faces are tested


@dataclass(frozen=True)
class Uncrossed:
    """The VDM after the repair, and how many decoded faces crossed before and after it."""

    displacement: np.ndarray
    crossing_before: int
    crossing_after: int


def _tested_box(displacement: np.ndarray) -> tuple[slice, slice] | None:
    """The rows and columns of the decoder's (N+2, N+2) vertex grid whose faces can cross: those of
    the displaced pixels and of the plane cells their points reach, with MARGIN; None when
    nothing is displaced."""
    n = displacement.shape[0]
    rows, cols = np.nonzero(np.abs(displacement).max(axis=-1) > 0.0)
    if len(rows) == 0:
        return None
    xs, ys = pixel_centres(n)
    x = xs[rows, cols] + displacement[rows, cols, 0]
    y = ys[rows, cols] + displacement[rows, cols, 1]
    reach_cols = (x + 1.0) * n / 2.0 - 0.5  # continuous pixel coordinates of the displaced points
    reach_rows = (1.0 - y) * n / 2.0 - 0.5
    r0 = int(np.floor(min(rows.min(), reach_rows.min()))) + 1 - MARGIN  # +1: the decoder's edge ring
    r1 = int(np.ceil(max(rows.max(), reach_rows.max()))) + 1 + MARGIN
    c0 = int(np.floor(min(cols.min(), reach_cols.min()))) + 1 - MARGIN
    c1 = int(np.ceil(max(cols.max(), reach_cols.max()))) + 1 + MARGIN
    return slice(max(r0, 0), min(r1, n + 1) + 1), slice(max(c0, 0), min(c1, n + 1) + 1)


def crossing_pixels(displacement: np.ndarray) -> tuple[int, np.ndarray]:
    """How many faces of the decoded grid cross another face, and the (N, N) mask of the pixels at
    their corners."""
    n = displacement.shape[0]
    mask = np.zeros((n, n), dtype=bool)
    box = _tested_box(displacement)
    if box is None:
        return 0, mask
    decoded = vdm_to_patch(displacement)
    tested = np.zeros((n + 2, n + 2), dtype=bool)
    tested[box] = True
    faces = decoded.faces[tested.ravel()[decoded.faces].any(axis=1)]
    crossing = faces[crossing_faces(decoded.vertices, faces)]
    rows, cols = np.divmod(np.unique(crossing), n + 2)
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
