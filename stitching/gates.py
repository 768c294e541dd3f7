"""Step 6: quality gates, each a measured number with its limit and pass/fail, for the report JSON.

A patch that fails any gate is rejected with the first failure's sentence; it is never written as
accepted.
"""

from __future__ import annotations

import numpy as np

from stitching.config import GateThresholds
from stitching.meshtools import (
    boundary_loops,
    directed_edges,
    edge_counts,
    face_components,
    laplacian_coordinates,
    loop_length,
    mean_edge_length,
    unique_pairs,
)
from vdm.errors import Rejected
from vdm.geometry import area_vectors
from vdm.patch import PART, PLANE, Patch


def self_intersecting_faces(vertices: np.ndarray, faces: np.ndarray) -> int:
    """How many faces cross another face that shares no vertex with them (MeshLab's test)."""
    import pymeshlab

    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertex_matrix=vertices, face_matrix=faces.astype(np.int32)))
    ms.compute_selection_by_self_intersections_per_face()
    return int(ms.current_mesh().selected_face_number())


def detail_change(before: np.ndarray, after: np.ndarray, faces: np.ndarray, mask: np.ndarray) -> float:
    """Mean change of the Laplacian coordinates over `mask`, relative to the mean edge length."""
    if not mask.any():
        return 0.0
    delta = laplacian_coordinates(after, faces) - laplacian_coordinates(before, faces)
    return float(np.linalg.norm(delta[mask], axis=1).mean() / mean_edge_length(after, faces))


def _gate(value: float, limit: float | str, passed: bool, failure: str) -> dict:
    return {"value": value, "limit": limit, "pass": bool(passed), "failure": None if passed else failure}


def measure_gates(patch: Patch, limits: GateThresholds, detail: float) -> dict:
    """Every gate of a patch (detail = the measured change of the part's Laplacian coordinates)."""
    gates = topology_gates(patch.faces, len(patch.vertices))
    gates |= border_gates(patch, limits)
    gates |= shape_gates(patch, limits, detail)
    return gates


def topology_gates(faces: np.ndarray, n_vertices: int) -> dict[str, dict]:
    """One component, edge-manifold, consistently oriented, a disk (conventions section 1)."""
    gates: dict[str, dict] = {}
    n_components = int(face_components(faces, n_vertices).max() + 1) if len(faces) else 0
    gates["one_component"] = _gate(
        n_components, 1, n_components == 1, f"The patch has {n_components} components."
    )
    _, counts = edge_counts(faces)
    non_manifold = int((counts > 2).sum())
    gates["edge_manifold"] = _gate(
        non_manifold,
        0,
        non_manifold == 0,
        f"The patch has {non_manifold} edges shared by more than two faces.",
    )
    _, half_counts = unique_pairs(directed_edges(faces), return_counts=True)
    misoriented = int((half_counts > 1).sum())
    gates["oriented"] = _gate(
        misoriented,
        0,
        misoriented == 0,
        f"The patch has {misoriented} edges where neighbouring faces disagree in orientation.",
    )
    loops = boundary_loops(faces)
    euler = n_vertices - len(counts) + len(faces)
    gates["disk_topology"] = _gate(
        len(loops),
        1,
        len(loops) == 1 and euler == 1,
        f"The patch is not a disk ({len(loops)} boundary loops, Euler characteristic {euler}).",
    )
    return gates


def border_gates(patch: Patch, limits: GateThresholds) -> dict[str, dict]:
    """The border is the square's edge on z = 0, and the plane faces up."""
    v, f = patch.vertices, patch.faces
    gates: dict[str, dict] = {}
    loops = boundary_loops(f)
    border = loops[0] if loops else np.zeros(0, dtype=np.int64)
    on_square = float(np.abs(np.abs(v[border, :2]).max(axis=1) - 1.0).max()) if len(border) else np.inf
    perimeter = loop_length(v, border) if len(border) else 0.0
    square_ok = on_square <= limits.border_on_square and abs(perimeter - 8.0) <= 1e-6
    gates["border_on_square"] = _gate(
        on_square, limits.border_on_square, square_ok, "The patch's border is not the square's edge."
    )
    flatness = float(np.abs(v[border, 2]).max()) if len(border) else np.inf
    gates["border_flatness"] = _gate(
        flatness,
        limits.border_flatness,
        flatness <= limits.border_flatness,
        f"The patch's border leaves the plane z = 0 by {flatness:.2g}.",
    )
    normals = area_vectors(v, f)
    plane_faces = (patch.labels[f] == PLANE).all(axis=1)
    down = int((normals[plane_faces, 2] <= 0.0).sum())
    gates["normals_up"] = _gate(down, 0, down == 0, f"{down} faces of the base plane face down.")
    return gates


def shape_gates(patch: Patch, limits: GateThresholds, detail: float) -> dict[str, dict]:
    """No self-intersection, within the height range, a part that rises inside the margin, and the
    detail kept by the flattening."""
    v, labels = patch.vertices, patch.labels
    gates: dict[str, dict] = {}
    crossing = self_intersecting_faces(v, patch.faces)
    gates["self_intersections"] = _gate(
        crossing,
        limits.max_self_intersecting_faces,
        crossing <= limits.max_self_intersecting_faces,
        f"{crossing} faces of the patch intersect other faces.",
    )
    z_min, z_max = float(v[:, 2].min()), float(v[:, 2].max())
    gates["height_range"] = _gate(
        [z_min, z_max],
        [limits.min_height, limits.max_height],
        limits.min_height <= z_min and z_max <= limits.max_height,
        f"The patch spans z from {z_min:.3f} to {z_max:.3f}, "
        f"outside [{limits.min_height}, {limits.max_height}].",
    )
    part = labels == PART
    part_height = float(v[part, 2].max()) if part.any() else 0.0
    gates["part_height"] = _gate(
        part_height,
        limits.min_part_height,
        part_height >= limits.min_part_height,
        f"The part rises only {part_height:.3f} above the plane.",
    )
    reach = float(np.abs(v[part, :2]).max()) if part.any() else 0.0
    gates["part_inside_square"] = _gate(
        reach,
        1.0 - limits.part_margin,
        reach <= 1.0 - limits.part_margin,
        f"The part reaches {reach:.3f} from the centre, outside the square's margin.",
    )
    gates["detail_kept"] = _gate(
        detail,
        limits.max_detail_change,
        detail <= limits.max_detail_change,
        f"Flattening changed the part's local shape by {detail:.2f} edge lengths on average.",
    )
    return gates


def check_gates(gates: dict, stage: str = "gates") -> None:
    """Raise Rejected with the first failing gate's sentence."""
    for gate in gates.values():
        if not gate["pass"]:
            raise Rejected(stage, gate["failure"])
