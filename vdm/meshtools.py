"""Small, vectorised mesh helpers of the stitching steps (Laplacians, smoothing, chords, crossings);
the topology helpers every stage shares are in vdm.topology."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from vdm.geometry import face_areas
from vdm.topology import (
    edge_counts,
    face_components,
)


def compact(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop unreferenced vertices; returns vertices, re-indexed faces and the kept old ids."""
    used = np.unique(faces)
    remap = np.full(len(vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return vertices[used], remap[faces], used


def largest_component(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The component with the largest area; returns vertices, faces and the kept old vertex ids."""
    labels = face_components(faces, len(vertices))
    area = face_areas(vertices, faces)
    per_label = np.bincount(labels, weights=area)
    keep = labels == int(np.argmax(per_label))
    return compact(vertices, faces[keep])


def adjacency(faces: np.ndarray, n_vertices: int) -> sp.csr_matrix:
    """Symmetric 0/1 vertex adjacency of the mesh edges."""
    edges, _ = edge_counts(faces)
    data = np.ones(2 * len(edges))
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    return sp.csr_matrix((data, (rows, cols)), shape=(n_vertices, n_vertices))


def graph_laplacian(faces: np.ndarray, n_vertices: int) -> sp.csr_matrix:
    """Uniform (umbrella) Laplacian D - A."""
    a = adjacency(faces, n_vertices)
    return (sp.diags(np.asarray(a.sum(axis=1)).ravel()) - a).tocsr()


def laplacian_coordinates(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Uniform Laplacian coordinates: each vertex minus the mean of its neighbours (the local detail)."""
    a = adjacency(faces, len(vertices))
    degree = np.maximum(np.asarray(a.sum(axis=1)).ravel(), 1.0)
    return vertices - (a @ vertices) / degree[:, None]


def mean_edge_length(vertices: np.ndarray, faces: np.ndarray) -> float:
    edges, _ = edge_counts(faces)
    return float(np.linalg.norm(vertices[edges[:, 0]] - vertices[edges[:, 1]], axis=1).mean())


def smooth_field(values: np.ndarray, faces: np.ndarray, iterations: int) -> np.ndarray:
    """Average a per-vertex field with its neighbours `iterations` times."""
    a = adjacency(faces, len(values))
    degree = np.maximum(np.asarray(a.sum(axis=1)).ravel(), 1.0)
    for _ in range(iterations):
        values = 0.5 * values + 0.5 * (a @ values) / degree
    return values


def signed_area_2d(points: np.ndarray) -> float:
    """Signed area of a closed polygon (positive when counter-clockwise)."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def distance_to_polyline(points: np.ndarray, polygon: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Distance of 2-D points to a closed polyline."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    ab = b - a
    denom = np.maximum((ab**2).sum(axis=1), 1e-30)
    out = np.empty(len(points))
    for start in range(0, len(points), chunk):
        p = points[start : start + chunk, None, :]
        t = np.clip(((p - a) * ab).sum(axis=2) / denom, 0.0, 1.0)
        closest = a + t[..., None] * ab
        out[start : start + chunk] = np.sqrt(((p - closest) ** 2).sum(axis=2)).min(axis=1)
    return out


def split_chords(vertices: np.ndarray, faces: np.ndarray, loop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split every interior edge whose two ends lie on the boundary loop at its midpoint.

    Such a chord would meet the base plane's own edge between the same two loop vertices wherever
    the plane's triangulation connects them, and an edge with four faces is not manifold.
    """
    on_loop = np.zeros(len(vertices), dtype=bool)
    on_loop[loop] = True
    vertices, faces = vertices.copy(), faces.copy()
    while True:
        edges, counts = edge_counts(faces)
        chords = edges[(counts == 2) & on_loop[edges[:, 0]] & on_loop[edges[:, 1]]]
        if len(chords) == 0:
            return vertices, faces
        a, b = (int(x) for x in chords[0])
        mid = len(vertices)
        vertices = np.vstack([vertices, 0.5 * (vertices[a] + vertices[b])])
        new_faces = []
        for row in np.flatnonzero(((faces == a) | (faces == b)).sum(axis=1) == 2):
            p, q, r = np.roll(faces[row], -int(np.flatnonzero(~np.isin(faces[row], (a, b)))[0]))
            # (p, q, r) starts at the opposite corner: the face is p -> q -> r with q-r the chord.
            faces[row] = (p, q, mid)
            new_faces.append((p, mid, r))
        faces = np.vstack([faces, np.asarray(new_faces, dtype=faces.dtype)])
        on_loop = np.r_[on_loop, False]


def segments_cross(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Proper intersection of segments pq and rs (arrays broadcast; touching does not count)."""

    def orient(a, b, c):
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (
            c[..., 0] - a[..., 0]
        )

    d1, d2 = orient(r, s, p), orient(r, s, q)
    d3, d4 = orient(p, q, r), orient(p, q, s)
    return (d1 * d2 < 0) & (d3 * d4 < 0)


def loop_self_crossings(loop_xy: np.ndarray) -> int:
    """How many pairs of non-adjacent loop edges cross."""
    a, b = loop_xy, np.roll(loop_xy, -1, axis=0)
    n = len(a)
    crossings = 0
    for i in range(n):
        j = np.arange(i + 2, n if i > 0 else n - 1)
        if len(j):
            crossings += int(segments_cross(a[i], b[i], a[j], b[j]).sum())
    return crossings


def winding_numbers(vertices: np.ndarray, faces: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Generalised winding number of a triangle soup at each point (libigl's fast approximation,
    Barill et al. 2018): about 1 inside a closed outward-wound shell, 0 outside, 2 inside two
    overlapping shells; it degrades gracefully on soups with gaps."""
    import igl

    return igl.fast_winding_number(
        np.ascontiguousarray(vertices, dtype=np.float64),
        np.ascontiguousarray(faces, dtype=np.int64),
        np.ascontiguousarray(points, dtype=np.float64),
    )
