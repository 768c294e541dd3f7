"""Curator clean-up of a selection: grow or shrink by one ring, keep a connected component, drop islands.

Connectivity is by shared edges. Vertices at exactly the same position count as one (exported
meshes often split seams into duplicate vertices), so a seam does not cut a component in two;
separate shells that only touch or intersect stay separate. Every operation is deterministic:
ties between equally large components go to the one holding the smallest face id.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from vdm.errors import VdmError
from vdm.records import Edit


class FaceGraph:
    """Face adjacency of a triangle mesh by shared edges (coincident vertices merged)."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        _, welded = np.unique(np.asarray(vertices, dtype=np.float64), axis=0, return_inverse=True)
        self.faces = welded.reshape(-1)[np.asarray(faces, dtype=np.int64)]
        self.n_faces = len(self.faces)
        self.n_vertices = int(welded.max()) + 1 if len(welded) else 0

    @cached_property
    def incidence(self) -> sp.csr_matrix:
        """(faces x vertices) 0/1 matrix: which vertices each face uses."""
        rows = np.repeat(np.arange(self.n_faces), 3)
        data = np.ones(rows.size, dtype=np.int32)
        m = sp.csr_matrix((data, (rows, self.faces.reshape(-1))), shape=(self.n_faces, self.n_vertices))
        m.data[:] = 1  # a degenerate face naming a vertex twice still touches it once
        return m

    @cached_property
    def edge_adjacency(self) -> sp.csr_matrix:
        """(faces x faces) matrix with a 1 where two faces share an edge."""
        f = self.faces
        edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        owner = np.tile(np.arange(self.n_faces), 3)
        keep = edges[:, 0] != edges[:, 1]  # collapsed edges of degenerate faces join nothing
        edges, owner = edges[keep], owner[keep]
        _, edge_id = np.unique(edges, axis=0, return_inverse=True)
        edge_id = edge_id.reshape(-1)
        face_edge = sp.csr_matrix(
            (np.ones(len(owner), dtype=np.int32), (owner, edge_id)), shape=(self.n_faces, edge_id.max() + 1)
        )
        adjacency = (face_edge @ face_edge.T).tocsr()
        adjacency.setdiag(0)
        adjacency.eliminate_zeros()
        return adjacency

    def components(self, selected: np.ndarray) -> tuple[int, np.ndarray]:
        """Number of components of the selected faces and a label per face (-1 where unselected)."""
        ids = np.flatnonzero(selected)
        labels = np.full(self.n_faces, -1, dtype=np.int64)
        if len(ids) == 0:
            return 0, labels
        sub = self.edge_adjacency[ids][:, ids]
        n, sub_labels = connected_components(sub, directed=False)
        labels[ids] = sub_labels
        return n, labels


def grow(graph: FaceGraph, selected: np.ndarray) -> np.ndarray:
    """Add every face that shares a vertex with the selection (one ring)."""
    touched = graph.incidence.T @ selected.astype(np.int32) > 0
    return graph.incidence @ touched.astype(np.int32) > 0


def shrink(graph: FaceGraph, selected: np.ndarray) -> np.ndarray:
    """Remove every selected face that shares a vertex with an unselected face (one ring)."""
    touched_outside = graph.incidence.T @ (~selected).astype(np.int32) > 0
    return selected & ~(graph.incidence @ touched_outside.astype(np.int32) > 0)


def keep_component(graph: FaceGraph, selected: np.ndarray, face: int) -> np.ndarray:
    """Keep only the component holding `face` (the face the curator clicked)."""
    if not 0 <= face < graph.n_faces:
        raise VdmError(f"Face {face} is out of range for a mesh of {graph.n_faces} faces.")
    if not selected[face]:
        raise VdmError(f"Face {face} is not part of the selection, so it names no component to keep.")
    _, labels = graph.components(selected)
    return labels == labels[face]


def keep_largest(graph: FaceGraph, selected: np.ndarray) -> np.ndarray:
    """Keep only the largest component (ties: the one holding the smallest face id)."""
    n, labels = graph.components(selected)
    if n <= 1:
        return selected.copy()
    sizes = np.bincount(labels[labels >= 0], minlength=n)
    return labels == int(np.argmax(sizes))  # labels are numbered by their smallest face id


def drop_islands(graph: FaceGraph, selected: np.ndarray, min_faces: int) -> np.ndarray:
    """Remove the components with fewer than `min_faces` faces."""
    n, labels = graph.components(selected)
    if n == 0:
        return selected.copy()
    sizes = np.bincount(labels[labels >= 0], minlength=n)
    big = sizes >= min_faces
    return selected & np.where(labels >= 0, big[np.maximum(labels, 0)], False)


def apply_edit(graph: FaceGraph, selected: np.ndarray, edit: Edit) -> np.ndarray:
    """The selection after one recorded edit."""
    if edit.op == "grow":
        return grow(graph, selected)
    if edit.op == "shrink":
        return shrink(graph, selected)
    if edit.op == "keep_largest":
        return keep_largest(graph, selected)
    if edit.op == "keep_component":
        assert edit.face is not None
        return keep_component(graph, selected, edit.face)
    if edit.op == "drop_islands":
        assert edit.min_faces is not None
        return drop_islands(graph, selected, edit.min_faces)
    raise VdmError(f"Unknown selection edit '{edit.op}'.")
