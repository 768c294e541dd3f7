"""Generalised winding numbers of a triangle soup, fast (Barill et al. 2018, numpy only).

The winding number w(q) = (1/4π) Σ Ω_f(q) sums the signed solid angles of all triangles: about 1
inside a closed, outward-wound volume, 0 outside, 1/2 on its surface, and it degrades gracefully on
soups with gaps and overlapping shells (inside two overlapping shells it is 2). Far groups of
triangles are replaced by their dipole (area-weighted normal at the area centroid), organised
in an octree built from Morton codes; near groups are summed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVELS = 8  # octree depth (Morton codes of 3 x 8 bits)
LEAF_SIZE = 12  # a near node with at most this many triangles is summed exactly
ACCURACY = 1.5  # a node counts as far when its distance exceeds this times its radius (error < 0.1)


@dataclass
class WindingTree:
    """Triangles sorted by Morton code and the per-level node summaries."""

    triangles: np.ndarray  # (F, 3, 3) sorted
    keys: list[np.ndarray]  # per level: node Morton prefixes
    starts: list[np.ndarray]  # per level: first triangle of each node (+ a final end)
    dipoles: list[np.ndarray]  # per level: (n, 3) summed area vectors
    centres: list[np.ndarray]  # per level: (n, 3) area-weighted centroids
    radii: list[np.ndarray]  # per level: (n,) bounding radius around the centre


def _morton(cells: np.ndarray) -> np.ndarray:
    code = np.zeros(len(cells), dtype=np.int64)
    for bit in range(LEVELS):
        for axis in range(3):
            code |= ((cells[:, axis] >> bit) & 1).astype(np.int64) << (3 * bit + (2 - axis))
    return code


def build_tree(vertices: np.ndarray, faces: np.ndarray) -> WindingTree:
    """Build the octree of a triangle soup (orientation of each face as given)."""
    tri = np.asarray(vertices, dtype=np.float64)[faces]
    centroid = tri.mean(axis=1)
    lo, hi = centroid.min(axis=0), centroid.max(axis=0)
    size = max(float((hi - lo).max()), 1e-12)
    cells = np.clip(((centroid - lo) / size * (1 << LEVELS)).astype(np.int64), 0, (1 << LEVELS) - 1)
    code = _morton(cells)
    order = np.argsort(code, kind="stable")
    tri, code, centroid = tri[order], code[order], centroid[order]
    area_vec = 0.5 * np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(area_vec, axis=1) + 1e-300
    tree = WindingTree(tri, [], [], [], [], [])
    for level in range(LEVELS + 1):
        key = code >> (3 * (LEVELS - level))
        start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        total_area = np.add.reduceat(area, start)
        centre = np.add.reduceat(centroid * area[:, None], start) / total_area[:, None]
        owner = np.repeat(np.arange(len(start)), np.diff(np.r_[start, len(key)]))
        reach = np.linalg.norm(tri - centre[owner][:, None, :], axis=2).max(axis=1)
        tree.keys.append(key[start])
        tree.starts.append(np.r_[start, len(key)])
        tree.dipoles.append(np.add.reduceat(area_vec, start))
        tree.centres.append(centre)
        tree.radii.append(np.maximum.reduceat(reach, start))
    return tree


def _solid_angles(tri: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Signed solid angles of triangles seen from points (Van Oosterom and Strackee)."""
    a, b, c = tri[:, 0] - q, tri[:, 1] - q, tri[:, 2] - q
    la, lb, lc = (np.linalg.norm(x, axis=1) for x in (a, b, c))
    numerator = np.einsum("ij,ij->i", a, np.cross(b, c))
    denominator = (
        la * lb * lc
        + np.einsum("ij,ij->i", a, b) * lc
        + np.einsum("ij,ij->i", a, c) * lb
        + np.einsum("ij,ij->i", b, c) * la
    )
    return 2.0 * np.arctan2(numerator, denominator)


def winding_numbers(tree: WindingTree, points: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Winding number of the soup at each point."""
    points = np.asarray(points, dtype=np.float64)
    out = np.zeros(len(points))
    for first in range(0, len(points), chunk):
        out[first : first + chunk] = _winding_chunk(tree, points[first : first + chunk])
    return out


def _winding_chunk(tree: WindingTree, points: np.ndarray) -> np.ndarray:
    total = np.zeros(len(points))
    query = np.arange(len(points))
    node = np.zeros(len(points), dtype=np.int64)
    for level in range(LEVELS + 1):
        starts = tree.starts[level]
        offset = tree.centres[level][node] - points[query]
        distance = np.linalg.norm(offset, axis=1)
        count = starts[node + 1] - starts[node]
        far = distance > ACCURACY * tree.radii[level][node]
        dipole = np.einsum("ij,ij->i", tree.dipoles[level][node[far]], offset[far]) / distance[far] ** 3
        total += np.bincount(query[far], weights=dipole, minlength=len(points))
        exact = ~far & ((count <= LEAF_SIZE) | (level == LEVELS))
        if exact.any():
            q_exact, n_exact = query[exact], node[exact]
            sizes = count[exact]
            pair_query = np.repeat(q_exact, sizes)
            first = np.repeat(starts[n_exact] - np.cumsum(sizes) + sizes, sizes)
            pair_tri = first + np.arange(int(sizes.sum()))
            omega = _solid_angles(tree.triangles[pair_tri], points[pair_query])
            total += np.bincount(pair_query, weights=omega, minlength=len(points))
        descend = ~far & ~exact
        if not descend.any():
            break
        query, node = query[descend], node[descend]
        children_keys = tree.keys[level + 1]
        parent_key = tree.keys[level][node]
        lo = np.searchsorted(children_keys, parent_key << 3, side="left")
        hi = np.searchsorted(children_keys, (parent_key << 3) + 8, side="left")
        n_children = hi - lo
        query = np.repeat(query, n_children)
        node = np.repeat(lo - np.cumsum(n_children) + n_children, n_children) + np.arange(
            int(n_children.sum())
        )
    return total / (4.0 * np.pi)
