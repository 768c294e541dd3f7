"""Local repair of the decoded grid where it would fold (conventions section 6b: no fold).

The map onto the square is fold-free, but the VDM keeps only its samples at the pixel centres,
and the decoder joins neighbouring samples by flat triangles. Where the map turns sharply within
one pixel (a thin rim, a tight bend where the part meets the plane), such a triangle can face
against the surface it stands for and cross its neighbours. A grid face is *folded* when its normal
opposes the sum of the surface normals at its three corners.

The repair is a few rounds of constrained relaxation: the points of folded faces and their
neighbours move to the mean of their four grid neighbours, projected back onto the patch (libigl's
closest point, one AABB tree per repair), so every sample stays on the surface. The repaired grid
is kept only when it folds less than the sampled one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import binary_dilation

from vdm.bake.sample import GridSample
from vdm.geometry import face_normals
from vdm.patch import Patch
from vdm.vdm_grid import splits_along_a_e

ROUNDS = 12
STALL = 3  # rounds without improvement before the repair gives up


@dataclass(frozen=True)
class Untangled:
    """The grid after the repair, and how many faces folded before and after it."""

    grid: GridSample
    folded_before: int
    folded_after: int


def _facing(p: np.ndarray, q: np.ndarray, r: np.ndarray, normals: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per cell, whether triangle (p, q, r) faces against the sum of its corners' surface normals."""
    return np.einsum("...i,...i->...", np.cross(q - p, r - p), sum(normals)) <= 0.0


def fold_counts(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(R-1, C-1) folded faces per cell of an (R, C) grid of points and surface normals, each cell
    split as vdm2mesh splits it (vdm.vdm_file.splits_along_a_e, as grid_faces does)."""
    p, m = points, normals
    a, b, d, e = p[:-1, :-1], p[:-1, 1:], p[1:, :-1], p[1:, 1:]  # cell corners: right, below, below-right
    na, nb, nd, ne = m[:-1, :-1], m[:-1, 1:], m[1:, :-1], m[1:, 1:]
    main = splits_along_a_e(a, b, d, e)
    first = np.where(main, _facing(a, d, e, (na, nd, ne)), _facing(a, d, b, (na, nd, nb)))
    second = np.where(main, _facing(a, e, b, (na, ne, nb)), _facing(b, d, e, (nb, nd, ne)))
    return first.astype(np.int8) + second


def _moving(counts: np.ndarray) -> np.ndarray:
    """The pixels the next round moves: the corners of cells with a folded face and their
    neighbours, the border ring excluded."""
    cells = counts > 0
    corners = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), dtype=bool)
    for dr in (0, 1):
        for dc in (0, 1):
            corners[dr : dr + cells.shape[0], dc : dc + cells.shape[1]] |= cells
    return around(corners)


def around(pixels: np.ndarray) -> np.ndarray:
    """The pixels a repair round moves: `pixels` and their neighbours, the border ring excluded
    (it stays exactly 0)."""
    moving = binary_dilation(pixels)
    moving[[0, -1], :] = False
    moving[:, [0, -1]] = False
    return moving


def neighbour_mean(grid: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The mean of the four grid neighbours of each (row, col) of an (R, C, 3) grid (the border
    ring excluded from the pixels asked for)."""
    return (grid[rows - 1, cols] + grid[rows + 1, cols] + grid[rows, cols - 1] + grid[rows, cols + 1]) / 4.0


@dataclass(frozen=True)
class _Surface:
    """The patch the relaxed points are projected back onto: its AABB tree, built once per repair."""

    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray
    tree: Any

    @classmethod
    def of(cls, patch: Patch) -> _Surface:
        import igl

        vertices = np.ascontiguousarray(patch.vertices, dtype=np.float64)
        faces = np.ascontiguousarray(patch.faces, dtype=np.int64)
        tree = igl.AABB()
        tree.init(vertices, faces)
        return cls(vertices, faces, face_normals(vertices, faces), tree)


def _relax(grid: GridSample, moving: np.ndarray, surface: _Surface) -> GridSample:
    """One round: the `moving` points to the mean of their four grid neighbours, projected onto
    the patch with the normal of the triangle they land on."""
    rows, cols = np.nonzero(moving)
    p = grid.points
    mean = neighbour_mean(p, rows, cols)
    _, face, closest = surface.tree.squared_distance(surface.vertices, surface.faces, mean)
    points, normals = p.copy(), grid.normals.copy()
    points[rows, cols] = closest
    normals[rows, cols] = surface.normals[np.asarray(face).ravel()]
    return GridSample(points, normals)


def untangle(grid: GridSample, patch: Patch, rounds: int = ROUNDS) -> Untangled:
    """The grid relaxed where it folds, kept when it folds less than before; the rounds stop when
    nothing folds or `STALL` rounds in a row bring no improvement. After the first count, only the
    cells around the moved points are counted again."""
    counts = fold_counts(grid.points, grid.normals)
    before = int(counts.sum())
    best, best_count, stalled = grid, before, 0
    surface: _Surface | None = None
    current, count = grid, before
    for _ in range(rounds):
        if count == 0 or stalled == STALL:
            break
        moving = _moving(counts)
        surface = surface or _Surface.of(patch)
        current = _relax(current, moving, surface)
        rows, cols = np.nonzero(moving)
        r0, r1 = rows.min() - 1, rows.max() + 1  # the cells touching a moved point
        c0, c1 = cols.min() - 1, cols.max() + 1
        window = np.s_[r0 : r1 + 1, c0 : c1 + 1]
        counts[r0:r1, c0:c1] = fold_counts(current.points[window], current.normals[window])
        count = int(counts.sum())
        stalled = 0 if count < best_count else stalled + 1
        if count < best_count:
            best, best_count = current, count
    return Untangled(best, before, best_count)
