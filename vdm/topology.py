"""Mesh topology every stage shares: half-edges, edge use counts, boundary loops, components."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def directed_edges(faces: np.ndarray) -> np.ndarray:
    """(3M, 2) half-edges a->b of every face, in face order."""
    return np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])


def _pair_keys(pairs: np.ndarray) -> tuple[np.ndarray, int]:
    """One int64 per vertex pair (fast to sort and compare)."""
    base = int(pairs.max()) + 1 if len(pairs) else 1
    return pairs[:, 0].astype(np.int64) * base + pairs[:, 1], base


def unique_pairs(pairs: np.ndarray, **kwargs) -> tuple:
    """np.unique over rows of an (n, 2) integer array, through int64 keys."""
    keys, base = _pair_keys(pairs)
    found = np.unique(keys, **kwargs)
    unique = found[0] if kwargs else found
    rows = np.stack([unique // base, unique % base], axis=1)
    return (rows, *found[1:]) if kwargs else (rows,)


def edge_counts(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undirected unique edges (sorted pairs) and how many faces use each."""
    unique, counts = unique_pairs(np.sort(directed_edges(faces), axis=1), return_counts=True)
    return unique, counts


def boundary_half_edges(faces: np.ndarray) -> np.ndarray:
    """Half-edges whose undirected edge belongs to exactly one face."""
    half = directed_edges(faces)
    _, inverse, counts = unique_pairs(np.sort(half, axis=1), return_inverse=True, return_counts=True)
    return half[counts[inverse.ravel()] == 1]


def boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """Ordered boundary loops (vertex ids, following the faces' orientation), longest first.

    A vertex where boundaries touch (two outgoing boundary half-edges) makes the loops ambiguous;
    such a mesh returns the loops found by always taking the first edge, and callers gate on it.
    """
    half = boundary_half_edges(faces)
    if len(half) == 0:
        return []
    order = np.lexsort((half[:, 1], half[:, 0]))
    half = half[order]
    nxt: dict[int, list[int]] = {}
    for a, b in half.tolist():
        nxt.setdefault(a, []).append(b)
    loops = []
    for start in sorted(nxt):
        while nxt.get(start):
            loop = [start]
            current = nxt[start].pop(0)
            while current != start and nxt.get(current):
                loop.append(current)
                current = nxt[current].pop(0)
            loops.append(np.asarray(loop, dtype=np.int64))
    loops.sort(key=lambda lp: (-len(lp), int(lp.min())))
    return loops


def loop_length(vertices: np.ndarray, loop: np.ndarray) -> float:
    return float(np.linalg.norm(vertices[np.roll(loop, -1)] - vertices[loop], axis=1).sum())


def face_components(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """Component label of every face (faces sharing a vertex are connected)."""
    m = len(faces)
    rows = np.repeat(np.arange(m), 3)
    incidence = sp.csr_matrix((np.ones(3 * m), (rows, faces.ravel())), shape=(m, n_vertices))
    graph = incidence @ incidence.T
    _, labels = connected_components(graph, directed=False)
    return labels
