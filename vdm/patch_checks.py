"""What makes a mesh a patch (conventions section 1), measured as gates: one component,
edge-manifold, oriented, a disk whose one border is the square's edge on z = 0, plane faces up.

The stitcher's quality gates build on these; `vdm render` and `vdm mine` refuse a mesh that fails
them with the gate's own sentence.
"""

from __future__ import annotations

import numpy as np

from vdm.geometry import area_vectors, face_areas
from vdm.patch import PLANE, Patch
from vdm.topology import (
    boundary_loops,
    directed_edges,
    edge_counts,
    face_components,
    loop_length,
    unique_pairs,
)

LOWEST_Z = -1.0  # nothing of a patch lies below this (conventions section 1)


def gate(value: float, limit: float | str, passed: bool, failure: str) -> dict:
    """One measured gate: its value, its limit, whether it passed and, if not, the sentence why."""
    return {"value": value, "limit": limit, "pass": bool(passed), "failure": None if passed else failure}


def topology_gates(faces: np.ndarray, n_vertices: int) -> dict[str, dict]:
    """One component, edge-manifold, consistently oriented, a disk (conventions section 1)."""
    gates: dict[str, dict] = {}
    n_components = int(face_components(faces, n_vertices).max() + 1) if len(faces) else 0
    gates["one_component"] = gate(
        n_components, 1, n_components == 1, f"The patch has {n_components} components."
    )
    _, counts = edge_counts(faces)
    non_manifold = int((counts > 2).sum())
    gates["edge_manifold"] = gate(
        non_manifold,
        0,
        non_manifold == 0,
        f"The patch has {non_manifold} edges shared by more than two faces.",
    )
    _, half_counts = unique_pairs(directed_edges(faces), return_counts=True)
    misoriented = int((half_counts > 1).sum())
    gates["oriented"] = gate(
        misoriented,
        0,
        misoriented == 0,
        f"The patch has {misoriented} edges where neighbouring faces disagree in orientation.",
    )
    loops = boundary_loops(faces)
    euler = n_vertices - len(counts) + len(faces)
    gates["disk_topology"] = gate(
        len(loops),
        1,
        len(loops) == 1 and euler == 1,
        f"The patch is not a disk ({len(loops)} boundary loops, Euler characteristic {euler}).",
    )
    return gates


def border_gates(patch: Patch, on_square: float = 1e-6, flatness: float = 1e-6) -> dict[str, dict]:
    """The border is the square's edge on z = 0, and the plane faces up."""
    v, f = patch.vertices, patch.faces
    gates: dict[str, dict] = {}
    loops = boundary_loops(f)
    border = loops[0] if loops else np.zeros(0, dtype=np.int64)
    off_square = float(np.abs(np.abs(v[border, :2]).max(axis=1) - 1.0).max()) if len(border) else np.inf
    perimeter = loop_length(v, border) if len(border) else 0.0
    square_ok = off_square <= on_square and abs(perimeter - 8.0) <= 1e-6
    gates["border_on_square"] = gate(
        off_square, on_square, square_ok, "The patch's border is not the square's edge."
    )
    lift = float(np.abs(v[border, 2]).max()) if len(border) else np.inf
    gates["border_flatness"] = gate(
        lift, flatness, lift <= flatness, f"The patch's border leaves the plane z = 0 by {lift:.2g}."
    )
    normals = area_vectors(v, f)
    plane_faces = (patch.labels[f] == PLANE).all(axis=1)
    down = int((normals[plane_faces, 2] <= 0.0).sum())
    gates["normals_up"] = gate(down, 0, down == 0, f"{down} faces of the base plane face down.")
    return gates


def patch_problem(patch: Patch) -> str | None:
    """The first reason, in one sentence, why a mesh is not a patch; None when it is one."""
    if len(patch.faces) == 0:
        return "The mesh has no triangles."
    degenerate = int((face_areas(patch.vertices, patch.faces) <= 1e-14).sum())
    if degenerate:
        return f"The patch has {degenerate} degenerate (zero-area) faces."
    gates = topology_gates(patch.faces, len(patch.vertices)) | border_gates(patch)
    failed = [g["failure"] for g in gates.values() if not g["pass"]]
    if failed:
        return failed[0]
    low = float(patch.vertices[:, 2].min())
    if low < LOWEST_Z:
        return f"The patch reaches z = {low:.3f}, below the lowest z = {LOWEST_Z:g} a patch may reach."
    return None
