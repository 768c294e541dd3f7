"""Step 4: the square base plane around the part, joined through the part's own border vertices.

The plane is triangulated at the target edge length: points on the square's edge, a hexagonal
grid inside, and the part's flat boundary loop as a hole. The Delaunay triangulation of those
points is made to contain every loop edge (edge flips, Sloan's constraint recovery), the
triangles inside the loop are dropped, and the loop's vertex ids are mapped to the part's, so the
part and the plane share the seam: one manifold mesh with no gap.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.spatial import Delaunay, cKDTree

from vdm.errors import Rejected
from vdm.geometry import points_in_polygon
from vdm.meshtools import (
    distance_to_polyline,
    loop_self_crossings,
    segments_cross,
    signed_area_2d,
)
from vdm.patch import PART, PLANE


def _plane_points(loop_xy: np.ndarray, spacing: float) -> np.ndarray:
    """Square-edge points (corners included) and a hexagonal grid clear of the loop and the edge."""
    per_side = max(int(np.ceil(2.0 / spacing)), 2)
    t = np.linspace(-1.0, 1.0, per_side + 1)[:-1]
    edge = np.concatenate(
        [
            np.c_[t, -np.ones_like(t)],
            np.c_[np.ones_like(t), t],
            np.c_[-t, np.ones_like(t)],
            np.c_[-np.ones_like(t), -t],
        ]
    )
    step_y = spacing * np.sqrt(3.0) / 2.0
    rows = np.arange(-1.0 + step_y, 1.0 - 0.5 * step_y, step_y)
    grid = []
    for k, y in enumerate(rows):
        x = np.arange(-1.0 + (0.5 if k % 2 else 1.0) * spacing, 1.0 - 0.4 * spacing, spacing)
        grid.append(np.c_[x, np.full_like(x, y)])
    grid = np.concatenate(grid)
    clear_edge = (1.0 - np.abs(grid).max(axis=1)) > 0.5 * spacing
    grid = grid[clear_edge]
    loop_edge = float(np.linalg.norm(np.roll(loop_xy, -1, axis=0) - loop_xy, axis=1).mean())
    clearance = 0.6 * max(spacing, loop_edge)
    away = distance_to_polyline(grid, loop_xy) > clearance
    grid = grid[away]
    grid = grid[~points_in_polygon(grid, loop_xy)]
    return np.vstack([edge, grid])


def _recover_edges(points: np.ndarray, triangles: np.ndarray, constraints: np.ndarray) -> np.ndarray:
    """Flip edges until every constraint edge (a, b) is an edge of the triangulation."""
    tris = triangles.copy()
    owner: dict[tuple[int, int], int] = {}
    for t, (a, b, c) in enumerate(tris.tolist()):
        owner[(a, b)], owner[(b, c)], owner[(c, a)] = t, t, t
    for a, b in constraints.tolist():
        if (a, b) in owner or (b, a) in owner:
            continue
        edges = np.array(sorted({tuple(sorted(e)) for e in owner}))
        crossing = segments_cross(points[a], points[b], points[edges[:, 0]], points[edges[:, 1]])
        queue = deque(tuple(e) for e in edges[crossing].tolist())
        budget = 50 * (len(queue) + 1) ** 2
        while queue:
            budget -= 1
            if budget < 0:
                raise Rejected("stitch", "The plane could not be triangulated around the part's border.")
            c, d = queue.popleft()
            if (c, d) not in owner:
                c, d = d, c
            if (c, d) not in owner or (d, c) not in owner:
                continue  # already flipped away, or on the hull
            t1, t2 = owner[(c, d)], owner[(d, c)]
            x = next(v for v in tris[t1] if v not in (c, d))
            y = next(v for v in tris[t2] if v not in (c, d))
            if not segments_cross(points[x], points[y], points[c], points[d]):
                queue.append((c, d))  # not convex yet: come back after other flips
                continue
            for u, v in ((c, d), (d, x), (x, c), (d, c), (c, y), (y, d)):
                owner.pop((u, v), None)
            tris[t1], tris[t2] = (c, y, x), (y, d, x)
            for t in (t1, t2):
                p, q, r = tris[t]
                owner[(p, q)], owner[(q, r)], owner[(r, p)] = t, t, t
            if {x, y} != {a, b} and segments_cross(points[a], points[b], points[x], points[y]):
                queue.append((x, y))
    return tris


def triangulate_plane(loop_xy: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Points (loop first, then the plane's own) and CCW triangles of the square minus the loop."""
    crossings = loop_self_crossings(loop_xy)
    if crossings:
        raise Rejected(
            "stitch", f"The flattened border crosses itself {crossings} times, so the part has no footprint."
        )
    if signed_area_2d(loop_xy) <= 0.0:
        raise Rejected("stitch", "The flattened border runs clockwise: the part faces down into the plane.")
    points = np.vstack([loop_xy, _plane_points(loop_xy, spacing)])
    delaunay = Delaunay(points)
    if len(delaunay.coplanar):
        raise Rejected(
            "stitch", "The plane's triangulation dropped points; the border is too close to itself."
        )
    tris = delaunay.simplices.astype(np.int64)
    p = points[tris]
    area = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 1, 1] - p[:, 0, 1]) * (
        p[:, 2, 0] - p[:, 0, 0]
    )
    tris[area < 0] = tris[area < 0][:, [0, 2, 1]]
    n = len(loop_xy)
    constraints = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    tris = _recover_edges(points, tris, constraints)
    inside = points_in_polygon(points[tris].mean(axis=1), loop_xy)
    return points, tris[~inside]


def join_plane(
    part_vertices: np.ndarray, part_faces: np.ndarray, loop: np.ndarray, spacing: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The whole patch: part + plane sharing the loop's vertices; returns vertices, faces, labels."""
    points, tris = triangulate_plane(part_vertices[loop, :2], spacing)
    n_loop, n_part = len(loop), len(part_vertices)
    index = np.concatenate([loop, n_part + np.arange(len(points) - n_loop)])
    plane_vertices = np.c_[points[n_loop:], np.zeros(len(points) - n_loop)]
    vertices = np.vstack([part_vertices, plane_vertices])
    faces = np.vstack([part_faces, index[tris]])
    labels = np.r_[np.full(n_part, PART, dtype=np.uint8), np.full(len(plane_vertices), PLANE, dtype=np.uint8)]
    return vertices, faces, labels


def smooth_seam(
    vertices: np.ndarray, faces: np.ndarray, seam: np.ndarray, band: float, iterations: int
) -> np.ndarray:
    """Laplacian smoothing of the vertices within `band` of the seam; the square's edge never moves."""
    from vdm.meshtools import adjacency

    near, _ = cKDTree(vertices[seam]).query(vertices, distance_upper_bound=band)
    on_square = np.abs(np.abs(vertices[:, :2]).max(axis=1) - 1.0) < 1e-12
    moving = np.isfinite(near) & ~on_square
    if not moving.any() or iterations <= 0:
        return vertices
    a = adjacency(faces, len(vertices))
    degree = np.maximum(np.asarray(a.sum(axis=1)).ravel(), 1.0)
    out = vertices.copy()
    for _ in range(iterations):
        average = (a @ out) / degree[:, None]
        out[moving] = 0.5 * out[moving] + 0.5 * average[moving]
    return out
