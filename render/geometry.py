"""Exact per-pixel surface geometry: crease-aware corner normals and ray/triangle hits.

The rasteriser only says which triangle covers each pixel centre; the normal and depth of that
pixel are then computed here in float64 from the pixel-centre ray and the triangle, so a normal
map holds the interpolated unit normal of the surface, not an 8-bit blend of vertex colours.
"""

from __future__ import annotations

import numpy as np

UP = np.array([0.0, 0.0, 1.0])


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit normals (M, 3) by the right-hand rule; degenerate faces get zero vectors."""
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return np.divide(normals, length, out=np.zeros_like(normals), where=length > 1e-300)


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
    surfaces shade smoothly and creases (where a part meets the plane) stay sharp."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    n_faces = len(faces)
    fn = face_normals(vertices, faces)
    weights = corner_angles(vertices, faces).ravel()

    corner_vertex = faces.ravel()
    order = np.argsort(corner_vertex, kind="stable")
    counts = np.bincount(corner_vertex, minlength=len(vertices))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # Every ordered pair (corner a, corner b) of corners that share a vertex.
    valence = counts[corner_vertex[order]]
    a = np.repeat(order, valence)
    first = np.repeat(starts[corner_vertex[order]], valence)
    run_start = np.repeat(np.cumsum(valence) - valence, valence)
    b = order[first + np.arange(len(a)) - run_start]

    fa, fb = a // 3, b // 3
    smooth = np.einsum("ij,ij->i", fn[fa], fn[fb]) >= np.cos(np.radians(crease_angle_deg))
    contribution = fn[fb] * (weights[b] * smooth)[:, None]
    summed = np.stack([np.bincount(a, contribution[:, i], minlength=3 * n_faces) for i in range(3)], axis=1)
    length = np.linalg.norm(summed, axis=1, keepdims=True)
    # A corner whose own face is degenerate takes the face normal it would have had, else +z.
    fallback = np.where(np.linalg.norm(fn, axis=1, keepdims=True) > 0, fn, UP)[np.arange(3 * n_faces) // 3]
    normals = np.where(length > 1e-12, summed / np.maximum(length, 1e-300), fallback)
    return normals.reshape(n_faces, 3, 3)


def ray_triangle_hits(
    origins: np.ndarray, direction: np.ndarray, triangles: np.ndarray, face: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Barycentric coordinates (N, 3) and ray parameter t (N,) where the parallel rays
    `origins + t * direction` meet the plane of their triangle `triangles[face]`.

    Moller-Trumbore with the per-triangle parts computed once: for parallel rays, u, v and t are
    affine in the ray origin. Barycentrics are clamped into the triangle (the rasteriser already
    decided that the pixel centre lies inside it, up to rounding); an edge-on triangle gives its
    centroid."""
    a = triangles[:, 0]
    e1 = triangles[:, 1] - a
    e2 = triangles[:, 2] - a
    det = np.einsum("ij,ij->i", e1, np.cross(direction, e2))
    ok = np.abs(det) > 1e-15
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)[:, None]
    # u = s.(d x e2)/det, v = s.(e1 x d)/det, t = s.(e1 x e2)/det with s = origin - a.
    coef = np.stack(
        [np.cross(direction, e2) * inv, np.cross(e1, direction) * inv, np.cross(e1, e2) * inv], axis=1
    )
    offset = np.einsum("mkj,mj->mk", coef, a)
    uvt = np.einsum("nkj,nj->nk", coef[face], origins) - offset[face]
    bary = np.column_stack([1.0 - uvt[:, 0] - uvt[:, 1], uvt[:, 0], uvt[:, 1]])
    flat = ~ok[face]
    if flat.any():
        bary[flat] = 1.0 / 3.0
        uvt[flat, 2] = (triangles[face[flat]].mean(axis=1) - origins[flat]) @ direction
    bary = np.clip(bary, 0.0, None)
    bary /= bary.sum(axis=1, keepdims=True)
    return bary, uvt[:, 2]
