"""Step 2b: trim the closed Poisson surface back to the region the selection covered.

The Poisson surface closes the open selection with a smooth cap where there were no samples. The
distance from each surface vertex to the nearest sample, smoothed a little, is cut along its
iso-line `trim_distance` spacings out (marching triangles: a clean curve, not a face staircase).
Only the largest far region (the closing cap) is cut: smaller ones are holes in the selection,
which the Poisson surface fills. The largest piece is kept and any small leftover hole is closed,
leaving one main boundary loop: where the part met the rest of the asset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from vdm.errors import Rejected
from vdm.geometry import face_areas
from vdm.meshtools import compact, largest_component, smooth_field
from vdm.topology import boundary_half_edges, boundary_loops, edge_counts, loop_length, unique_pairs


@dataclass
class TrimmedPart:
    """An open surface in source coordinates whose boundary loop 0 is the main one."""

    vertices: np.ndarray
    faces: np.ndarray
    loop: np.ndarray  # ordered vertex ids of the main boundary loop
    measures: dict


def iso_cut(vertices: np.ndarray, faces: np.ndarray, field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part of the mesh where `field` < 0, cut exactly along the zero iso-line."""
    field = np.where(field == 0.0, 1e-12, field)
    inside = field[faces] < 0.0
    n_in = inside.sum(axis=1)
    keep_whole = faces[n_in == 3]
    cut = faces[(n_in == 1) | (n_in == 2)]
    cut_in = inside[(n_in == 1) | (n_in == 2)]
    if len(cut) == 0:
        return compact(vertices, keep_whole)[:2]
    # Rotate each cut face so its odd corner (the lone inside or lone outside one) comes first.
    lone_in = cut_in.sum(axis=1) == 1
    odd = np.where(lone_in, np.argmax(cut_in, axis=1), np.argmin(cut_in, axis=1))
    rot = (odd[:, None] + np.arange(3)[None, :]) % 3
    cut = np.take_along_axis(cut, rot, axis=1)
    # New vertices on the crossed edges (0-1 and 0-2 of the rotated faces), shared between faces.
    crossed = np.concatenate([cut[:, [0, 1]], cut[:, [0, 2]]])
    unique, inverse = unique_pairs(np.sort(crossed, axis=1), return_inverse=True)
    inverse = inverse.ravel()
    fa, fb = field[unique[:, 0]], field[unique[:, 1]]
    t = fa / (fa - fb)
    points = vertices[unique[:, 0]] + t[:, None] * (vertices[unique[:, 1]] - vertices[unique[:, 0]])
    base = len(vertices)
    e01 = base + inverse[: len(cut)]
    e02 = base + inverse[len(cut) :]
    a, b, c = cut[:, 0], cut[:, 1], cut[:, 2]
    one = np.stack([a, e01, e02], axis=1)[lone_in]
    two = ~lone_in
    quad = np.concatenate([np.stack([e01, b, c], axis=1)[two], np.stack([e01, c, e02], axis=1)[two]])
    all_vertices = np.vstack([vertices, points])
    return compact(all_vertices, np.vstack([keep_whole, one, quad]))[:2]


def keep_inner_holes(vertices: np.ndarray, faces: np.ndarray, field: np.ndarray) -> tuple[np.ndarray, int]:
    """Only the far-from-samples region that closed the open selection (the cap) is cut away.

    The cap is the far region that reaches the Poisson surface's own boundary (the solver clips a
    cap that leaves its bounding cube), else the largest far region. Other far regions are holes in
    the selection (faces the lasso missed, gaps in the soup): the Poisson surface fills them
    smoothly, so they are kept (their field is made negative).
    """
    far = field > 0.0
    edges, _ = edge_counts(faces)
    both = far[edges[:, 0]] & far[edges[:, 1]]
    a, b = edges[both, 0], edges[both, 1]
    graph = sp.csr_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(len(vertices),) * 2)
    _, labels = connected_components(graph, directed=False)
    vertex_area = np.zeros(len(vertices))
    np.add.at(vertex_area, faces.ravel(), np.repeat(face_areas(vertices, faces) / 3.0, 3))
    area = np.bincount(labels[far], weights=vertex_area[far], minlength=labels.max() + 1)
    if not far.any():
        return field, 0
    open_rim = np.unique(boundary_half_edges(faces))
    rim_caps = np.unique(labels[open_rim[far[open_rim]]])
    caps = rim_caps if len(rim_caps) else np.array([int(np.argmax(area))])
    holes = far & ~np.isin(labels, caps)
    field = field.copy()
    field[holes] = -np.abs(field[holes]) - 1e-9
    return field, len(np.unique(labels[holes]))


def fill_hole(vertices: np.ndarray, faces: np.ndarray, loop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Close a small boundary loop with a fan around its centroid (orientation kept)."""
    centre = len(vertices)
    nxt = np.roll(loop, -1)
    fan = np.stack([nxt, loop, np.full(len(loop), centre)], axis=1)
    return np.vstack([vertices, vertices[loop].mean(axis=0)]), np.vstack([faces, fan])


def trim_to_samples(
    vertices: np.ndarray,
    faces: np.ndarray,
    sample_points: np.ndarray,
    spacing: float,
    trim_distance: float,
    max_hole_fraction: float,
) -> TrimmedPart:
    """Cut the Poisson surface to the sampled region and leave one main boundary loop."""
    distance, _ = cKDTree(sample_points).query(vertices)
    field = smooth_field(distance, faces, 2) - trim_distance * spacing
    field, holes_kept = keep_inner_holes(vertices, faces, field)
    vertices, faces = iso_cut(vertices, faces, field)
    if len(faces) == 0:
        raise Rejected("trim", "Nothing of the Poisson surface lies near the selected faces.")
    vertices, faces, _ = largest_component(vertices, faces)
    loops = boundary_loops(faces)
    if not loops:
        raise Rejected(
            "trim",
            "The reconstructed part is a closed surface with no boundary where it met the rest of the asset.",
        )
    lengths = [loop_length(vertices, lp) for lp in loops]
    main = int(np.argmax(lengths))
    large = [i for i, n in enumerate(lengths) if i != main and n > max_hole_fraction * lengths[main]]
    if large:
        raise Rejected(
            "trim",
            f"The reconstructed part has {len(large) + 1} large boundary loops; a patch needs one border "
            "where the part met the rest of the asset.",
        )
    filled = 0
    for i, lp in enumerate(loops):
        if i != main:
            vertices, faces = fill_hole(vertices, faces, lp)
            filled += 1
    measures = {
        "poisson_holes_kept": holes_kept,
        "poisson_loops": len(loops),
        "holes_filled": filled,
        "main_loop_length": lengths[main],
    }
    return TrimmedPart(vertices, faces, loops[main], measures)
