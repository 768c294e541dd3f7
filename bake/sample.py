"""A parameterized patch sampled at the VDM's pixel centres (conventions section 6).

Each pixel centre is located in the map of the patch onto the square (the mapped triangles
rasterised over the pixel grid), its 3-D position interpolated barycentrically, and the pixel stores
that position minus its own plane point. Pixels whose triangle lies wholly on the fixed bare
plane, and the border ring, are exactly 0. Between sampling and the displacement, bake.untangle
may move a few points along the surface where the decoded grid would fold; after it,
bake.uncross a few off it where decoded faces cross.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vdm.bake.parameterize import Parameterization
from vdm.geometry import face_normals
from vdm.patch import Patch
from vdm.vdm_grid import pixel_centres

DISC_FADE = (0.9, 1.0)  # --border disc: full inside 0.9, zero outside 1, linear between


def locate(uv: np.ndarray, faces: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pixel centre of an N x N VDM that a mapped triangle covers: the pixels' flat indices,
    the triangle over each, and its barycentric coordinates. Each triangle is tested against the
    pixel centres of its bounding box only (a vectorised rasterisation)."""
    n = resolution
    corner = uv[faces]  # (M, 3, 2)
    # Continuous pixel coordinates: column = (x + 1) n / 2 - 0.5, row = (1 - y) n / 2 - 0.5.
    col = (corner[..., 0] + 1.0) * n / 2.0 - 0.5
    row = (1.0 - corner[..., 1]) * n / 2.0 - 0.5
    c0 = np.clip(np.ceil(col.min(axis=1)), 0, n - 1).astype(np.int64)
    c1 = np.clip(np.floor(col.max(axis=1)), -1, n - 1).astype(np.int64)
    r0 = np.clip(np.ceil(row.min(axis=1)), 0, n - 1).astype(np.int64)
    r1 = np.clip(np.floor(row.max(axis=1)), -1, n - 1).astype(np.int64)
    width, height = np.maximum(c1 - c0 + 1, 0), np.maximum(r1 - r0 + 1, 0)
    count = width * height
    tri = np.repeat(np.arange(len(faces)), count)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    cols = c0[tri] + local % width[tri]
    rows = r0[tri] + local // width[tri]
    a, b, c = (np.column_stack([col[tri, i], row[tri, i]]) for i in range(3))
    p = np.column_stack([cols, rows]).astype(np.float64)
    e1, e2, d = b - a, c - a, p - a
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    v = (d[:, 0] * e2[:, 1] - d[:, 1] * e2[:, 0]) / det
    w = (e1[:, 0] * d[:, 1] - e1[:, 1] * d[:, 0]) / det
    bary = np.column_stack([1.0 - v - w, v, w])
    inside = (bary >= -1e-9).all(axis=1)
    pixel = (rows * n + cols)[inside]
    pixel, first = np.unique(pixel, return_index=True)  # a centre on a shared edge: its first triangle
    return pixel, tri[inside][first], np.clip(bary[inside][first], 0.0, 1.0)


@dataclass
class GridSample:
    """The surface point each pixel centre of the VDM maps to, and the unit normal of the patch
    triangle it lies on ((0, 0, 1) on the fixed plane): both (N, N, 3)."""

    points: np.ndarray
    normals: np.ndarray


def sample_grid(patch: Patch, mapping: Parameterization, resolution: int) -> GridSample:
    """Every pixel centre located in the map and its 3-D point interpolated barycentrically; pixels
    no free triangle covers stay at their own plane point."""
    xs, ys = pixel_centres(resolution)  # row 0 is y = +1
    points = np.column_stack([xs.ravel(), ys.ravel(), np.zeros(xs.size)])
    normals = np.tile([0.0, 0.0, 1.0], (xs.size, 1))
    faces = patch.faces[mapping.free[patch.faces].any(axis=1)]
    pixel, tri, bary = locate(mapping.uv, faces, resolution)
    points[pixel] = np.einsum("ni,nij->nj", bary, patch.vertices[faces[tri]])
    normals[pixel] = face_normals(patch.vertices, faces)[tri]
    shape = (resolution, resolution, 3)
    return GridSample(points.reshape(shape), normals.reshape(shape))


def to_displacement(points: np.ndarray, border: str) -> np.ndarray:
    """The (N, N, 3) float32 VDM of surface points at the pixel centres: R = X - x, G = Y - y,
    B = Z; the border ring exactly 0, and with `border` "disc" faded to 0 outside the disc."""
    xs, ys = pixel_centres(points.shape[0])
    displacement = points - np.stack([xs, ys, np.zeros_like(xs)], axis=-1)
    if border == "disc":
        radius = np.hypot(xs, ys)
        low, high = DISC_FADE
        displacement *= np.clip((high - radius) / (high - low), 0.0, 1.0)[..., None]
    displacement[[0, -1], :, :] = 0.0
    displacement[:, [0, -1], :] = 0.0
    return displacement.astype(np.float32)
