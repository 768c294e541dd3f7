"""Consistent, outward face orientation of a polygon soup (cached per loaded mesh).

Winding numbers add up signed solid angles, so a patch of flipped faces inside a shell makes the
shell look hollow right there. Each connected shell (faces joined by edges used by exactly two of
its faces) is first made consistent by a breadth-first walk that flips a face whenever it runs an
edge the same way as its neighbour, then turned outward when its signed volume is negative.
The result is cached per loaded mesh: the miner stitches many selections of one asset.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from vdm.meshtools import winding_numbers
from vdm.sources import LoadedMesh
from vdm.topology import directed_edges


@dataclass
class OrientedAsset:
    """The asset's faces wound consistently outward."""

    vertices: np.ndarray
    faces: np.ndarray
    flipped_faces: int

    def winding(self, points: np.ndarray) -> np.ndarray:
        """The winding number of the oriented asset at each point."""
        return winding_numbers(self.vertices, self.faces, points)


_CACHE: dict[int, tuple[weakref.ref, OrientedAsset]] = {}


def oriented_asset(mesh: LoadedMesh) -> OrientedAsset:
    """The (cached) oriented faces of a loaded mesh."""
    hit = _CACHE.get(id(mesh))
    if hit is not None and hit[0]() is mesh:
        return hit[1]
    faces, flipped = orient_faces(mesh.vertices, mesh.faces)
    asset = OrientedAsset(mesh.vertices, faces, flipped)
    key = id(mesh)
    _CACHE[key] = (weakref.ref(mesh, lambda _ref, key=key: _CACHE.pop(key, None)), asset)
    return asset


def orient_faces(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, int]:
    """Faces re-wound consistently per shell and outward; returns them and how many were flipped."""
    m = len(faces)
    half = directed_edges(faces)
    owner = np.tile(np.arange(m), 3)
    key = np.sort(half, axis=1)
    order = np.lexsort((key[:, 1], key[:, 0]))
    key, half, owner = key[order], half[order], owner[order]
    same_as_next = (key[1:] == key[:-1]).all(axis=1)
    # Manifold edges: exactly two half-edges share the key.
    first = np.flatnonzero(same_as_next)
    alone = np.ones(len(first), dtype=bool)
    alone &= ~np.r_[same_as_next[1:], False][first]
    alone &= ~np.r_[False, same_as_next][first]
    first = first[alone]
    a, b = owner[first], owner[first + 1]
    # The two faces agree when they run the shared edge in opposite directions.
    disagree = (half[first, 0] == half[first + 1, 0]).astype(np.int8)
    keep = a != b
    a, b, disagree = a[keep], b[keep], disagree[keep]
    relation = sp.csr_matrix((np.r_[disagree, disagree] + 1, (np.r_[a, b], np.r_[b, a])), shape=(m, m))
    n_comp, labels = connected_components(relation, directed=False)
    flip = np.zeros(m, dtype=bool)
    visited = np.zeros(m, dtype=bool)
    for root in np.unique(labels, return_index=True)[1]:
        if visited[root]:
            continue
        nodes, pred = breadth_first_order(relation, root, directed=False, return_predecessors=True)
        visited[nodes] = True
        if len(nodes) < 2:
            continue
        rel = np.asarray(relation[pred[nodes[1:]], nodes[1:]]).ravel() - 1
        for node, parent, r in zip(nodes[1:].tolist(), pred[nodes[1:]].tolist(), rel.tolist(), strict=True):
            flip[node] = flip[parent] ^ bool(r)
    out = np.where(flip[:, None], faces[:, ::-1], faces)
    # Outward: a shell whose signed volume (about its own centroid) is negative is turned over.
    tri = vertices[out]
    centre = np.zeros((n_comp, 3))
    np.add.at(centre, labels, tri.mean(axis=1))
    centre /= np.maximum(np.bincount(labels, minlength=n_comp), 1)[:, None]
    rel_tri = tri - centre[labels][:, None, :]
    volume = np.einsum("ij,ij->i", rel_tri[:, 0], np.cross(rel_tri[:, 1], rel_tri[:, 2]))
    inward = np.bincount(labels, weights=volume, minlength=n_comp) < 0.0
    turn = inward[labels]
    out = np.where(turn[:, None], out[:, ::-1], out)
    return out, int((flip ^ turn).sum())
