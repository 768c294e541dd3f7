"""Exact per-pixel surface geometry: crease-aware corner normals and pixel barycentrics.

The rasteriser only says which triangle covers each pixel centre; the normal and depth of that
pixel are then computed here in float64 from the pixel centre and the projected triangle, so a
normal map holds the interpolated unit normal of the surface, not an 8-bit blend of colours.
"""

from __future__ import annotations

import numpy as np

from vdm.geometry import face_normals

UP = np.array([0.0, 0.0, 1.0])


def corner_angles(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Interior angle (M, 3) of every triangle at each of its corners (0 for degenerate corners)."""
    tri = vertices[faces]
    angles = np.zeros(faces.shape, dtype=np.float64)
    for c in range(3):
        a = tri[:, (c + 1) % 3] - tri[:, c]
        b = tri[:, (c + 2) % 3] - tri[:, c]
        cross = np.linalg.norm(np.cross(a, b), axis=1)
        angles[:, c] = np.arctan2(cross, np.einsum("ij,ij->i", a, b))
    return angles


def corner_normals(vertices: np.ndarray, faces: np.ndarray, crease_angle_deg: float) -> np.ndarray:
    """Unit normal (M, 3, 3) at each triangle corner: the angle-weighted average of the normals of
    the faces around that vertex that meet this face at less than `crease_angle_deg`, so smooth
    surfaces shade smoothly and creases (where a part meets the plane) stay sharp.

    Where every face around a vertex lies within half the crease angle of their weighted sum, any
    two of them meet at less than the crease angle, so each corner there takes that sum (one
    bincount); only the corners of the other vertices are summed face pair by face pair."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    n_faces = len(faces)
    fn = face_normals(vertices, faces)
    weights = corner_angles(vertices, faces).ravel()
    corner_vertex = faces.ravel()
    degenerate = ~(np.linalg.norm(fn, axis=1) > 0.0)  # face_normals gives these a zero vector
    corner_normal = np.repeat(fn, 3, axis=0)  # each corner's own face normal
    around = np.stack(
        [np.bincount(corner_vertex, corner_normal[:, i] * weights, len(vertices)) for i in range(3)], axis=1
    )
    unit = around / np.maximum(np.linalg.norm(around, axis=1, keepdims=True), 1e-300)
    off = np.einsum("ij,ij->i", corner_normal, unit[corner_vertex]) < np.cos(
        np.radians(0.5 * crease_angle_deg)
    )
    off |= np.repeat(degenerate, 3)  # a degenerate face: the pairwise rule decides
    crease = np.bincount(corner_vertex, off, len(vertices)) > 0
    summed = around[corner_vertex]
    corners = np.flatnonzero(crease[corner_vertex])
    if len(corners):
        summed[corners] = _pairwise_sums(corners, corner_vertex, fn, weights, crease_angle_deg)
    length = np.linalg.norm(summed, axis=1, keepdims=True)
    # A corner whose own face is degenerate takes the face normal it would have had, else +z.
    fallback = np.repeat(np.where(degenerate[:, None], UP, fn), 3, axis=0)
    normals = np.where(length > 1e-12, summed / np.maximum(length, 1e-300), fallback)
    return normals.reshape(n_faces, 3, 3)


def _pairwise_sums(
    corners: np.ndarray,
    corner_vertex: np.ndarray,
    fn: np.ndarray,
    weights: np.ndarray,
    crease_angle_deg: float,
) -> np.ndarray:
    """For each of `corners` (every corner of the vertices they sit at), the angle-weighted sum of
    the normals of the faces around its vertex that meet its face at less than the crease angle."""
    vertex = corner_vertex[corners]
    order = np.argsort(vertex, kind="stable")
    _, first_of, counts = np.unique(vertex[order], return_index=True, return_counts=True)
    valence = np.repeat(counts, counts)
    # Every ordered pair (corner a, corner b) of corners that share a vertex, as positions in `order`.
    a = np.repeat(np.arange(len(order)), valence)
    start = np.repeat(np.repeat(first_of, counts), valence)
    run_start = np.repeat(np.cumsum(valence) - valence, valence)
    b = start + np.arange(len(a)) - run_start
    ca, cb = corners[order[a]], corners[order[b]]
    fa, fb = ca // 3, cb // 3
    smooth = np.einsum("ij,ij->i", fn[fa], fn[fb]) >= np.cos(np.radians(crease_angle_deg))
    contribution = fn[fb] * (weights[cb] * smooth)[:, None]
    return np.stack([np.bincount(order[a], contribution[:, i], len(corners)) for i in range(3)], axis=1)


def pixel_barycentrics(
    corner_px: np.ndarray, face: np.ndarray, cols: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Barycentric coordinates (N, 3) of pixel centres (cols + 0.5, rows + 0.5) in the projected
    triangles `corner_px[face]` ((M, 3, 2) continuous pixel coordinates of the corners).

    Under an orthographic camera these are also the barycentrics of the surface point that the
    pixel-centre ray meets. They are clamped into the triangle (the rasteriser decided the centre
    lies inside, up to its sub-pixel snapping); an edge-on triangle gives its centroid."""
    origin = corner_px[:, 0]
    e1 = corner_px[:, 1] - origin
    e2 = corner_px[:, 2] - origin
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    flat = np.abs(det) < 1e-12
    inv = 1.0 / np.where(flat, 1.0, det)
    # Per triangle: u = (dx e2y - dy e2x) / det, v = (dy e1x - dx e1y) / det, d = centre - corner 0.
    coef = np.column_stack([origin, e2[:, 1] * inv, -e2[:, 0] * inv, -e1[:, 1] * inv, e1[:, 0] * inv])[face]
    dx = cols + 0.5 - coef[:, 0]
    dy = rows + 0.5 - coef[:, 1]
    u = dx * coef[:, 2] + dy * coef[:, 3]
    v = dx * coef[:, 4] + dy * coef[:, 5]
    bary = np.column_stack([1.0 - u - v, u, v])
    bary[flat[face]] = 1.0 / 3.0
    np.clip(bary, 0.0, None, out=bary)
    bary /= bary.sum(axis=1, keepdims=True)
    return bary
