"""The grid a VDM encodes (conventions section 6): pixel centres on the square, the decoded surface
(one vertex per pixel centre, each cell cut along its shorter diagonal, as `vdm vdm2mesh` writes it),
and resampling. Every stage that reads or makes a displacement array works through these.
"""

from __future__ import annotations

import functools

import numpy as np

from vdm.patch import PART, PLANE, Patch


def pixel_centres(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) plane coordinates of the N x N pixel centres, each (N, N), row 0 at y = +1."""
    c = -1.0 + (2.0 * np.arange(n) + 1.0) / n
    x, y = np.meshgrid(c, -c)
    return x, y


def vdm_picture(displacement: np.ndarray) -> np.ndarray:
    """A VDM as an 8-bit picture: each channel 128 + 127 d (d clipped to [-1, 1]), so the untouched
    plane is mid grey and the part shows in colour (for contact sheets)."""
    return np.round(128.0 + 127.0 * np.clip(displacement, -1.0, 1.0)).astype(np.uint8)


def resample(displacement: np.ndarray, n: int) -> np.ndarray:
    """The displacement bilinearly resampled at the pixel centres of an n x n VDM (border zero)."""
    from scipy.ndimage import map_coordinates

    size = displacement.shape[0]
    if n == size:
        return displacement
    x, y = pixel_centres(n)
    cols, rows = (x + 1.0) * size / 2.0 - 0.5, (1.0 - y) * size / 2.0 - 0.5
    out = np.stack(
        [map_coordinates(displacement[..., c], [rows, cols], order=1, mode="nearest") for c in range(3)], -1
    ).astype(np.float32)
    out[[0, -1], :] = 0.0
    out[:, [0, -1]] = 0.0
    return out


def splits_along_a_e(a: np.ndarray, b: np.ndarray, d: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Per cell with corners a (top left), b (right), d (below), e (below right), whether vdm2mesh
    cuts it along a-e: the shorter 3-D diagonal (ties: a-e)."""
    return np.linalg.norm(a - e, axis=-1) <= np.linalg.norm(b - d, axis=-1)


@functools.lru_cache(maxsize=4)
def _cells(rows: int, cols: int) -> tuple[np.ndarray, ...]:
    """Each cell's corners a (top left), b (right), d (below), e (below right) and its two
    triangles along either diagonal: the same for every grid of this size, so made once."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    b, d, e = a + 1, a + cols, a + cols + 1
    main = np.stack([np.stack([a, d, e], 1), np.stack([a, e, b], 1)], 1)  # diagonal a-e
    other = np.stack([np.stack([a, d, b], 1), np.stack([b, d, e], 1)], 1)  # diagonal b-d
    for array in (a, b, d, e, main, other):
        array.setflags(write=False)
    return a, b, d, e, main, other


def grid_faces(rows: int, cols: int, vertices: np.ndarray | None = None) -> np.ndarray:
    """Two counter-clockwise (seen from +z, row 0 at the top) triangles per cell of a rows x cols
    grid. Given the grid's displaced `vertices`, each cell is split along its shorter diagonal in
    3-D: where a VDM stretches a cell (a steep or undercut wall), the other diagonal would cut a
    shortcut through a thin feature and make the decoded surface cross itself."""
    a, b, d, e, main, other = _cells(rows, cols)
    if vertices is None:
        return np.concatenate([main[:, 0], main[:, 1]])
    shorter = splits_along_a_e(vertices[a], vertices[b], vertices[d], vertices[e])
    cells = np.where(shorter[:, None, None], main, other)
    return np.concatenate([cells[:, 0], cells[:, 1]])


def vdm_to_patch(displacement: np.ndarray, resolution: int | None = None) -> Patch:
    """The surface a VDM encodes: a grid on the square displaced by it, as a patch mesh.

    Vertices sit at the pixel centres (resampled to `resolution` first when given), plus a ring on
    the square's edge so the boundary lies exactly on it; labels are PART where the encoded point
    leaves the plane z = 0 (a pixel that only slides within the plane is plane)."""
    disp = resample(np.asarray(displacement, dtype=np.float32), resolution or displacement.shape[0])
    n = disp.shape[0]
    c = np.concatenate([[-1.0], -1.0 + (2.0 * np.arange(n) + 1.0) / n, [1.0]])
    x, y = np.meshgrid(c, -c)
    full = np.zeros((n + 2, n + 2, 3), dtype=np.float64)
    full[1:-1, 1:-1] = disp
    vertices = np.stack([x + full[..., 0], y + full[..., 1], full[..., 2]], -1).reshape(-1, 3)
    labels = np.where(full[..., 2].ravel() != 0.0, PART, PLANE).astype(np.uint8)
    return Patch(vertices, grid_faces(n + 2, n + 2, vertices), labels)


def moved_vertices(displacement: np.ndarray) -> np.ndarray:
    """(N + 2, N + 2) mask over the decoder's vertex grid (the pixel centres and the ring on the
    square's edge, as `vdm_to_patch` lays them out) of the vertices the VDM moves."""
    n = displacement.shape[0]
    moved = np.zeros((n + 2, n + 2), dtype=bool)
    moved[1:-1, 1:-1] = np.abs(displacement).max(axis=-1) > 0.0
    return moved


def surface_to_vdm(surface: np.ndarray, snap: float = 0.0) -> np.ndarray:
    """(N, N, 3) surface points at the pixel centres to a VDM: subtract the plane point, zero the
    border and every displacement shorter than `snap` (the undisplaced region is exactly 0)."""
    n = surface.shape[0]
    x, y = pixel_centres(n)
    disp = (np.asarray(surface, dtype=np.float64) - np.stack([x, y, np.zeros_like(x)], -1)).astype(np.float32)
    disp[np.linalg.norm(disp, axis=-1) < snap] = 0.0
    disp[[0, -1], :] = 0.0
    disp[:, [0, -1]] = 0.0
    return disp
