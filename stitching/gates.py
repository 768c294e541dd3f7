"""Step 6: quality gates, each a measured number with its limit and pass/fail, for the report JSON.

A patch that fails any gate is rejected with the first failure's sentence; it is never written as
accepted.
"""

from __future__ import annotations

import numpy as np

from vdm.errors import Rejected
from vdm.geometry import self_intersecting_faces
from vdm.meshtools import laplacian_coordinates, mean_edge_length
from vdm.patch import PART, Patch
from vdm.patch_checks import border_gates, gate, topology_gates
from vdm.stitching.config import GateThresholds


def detail_change(before: np.ndarray, after: np.ndarray, faces: np.ndarray, mask: np.ndarray) -> float:
    """Mean change of the Laplacian coordinates over `mask`, relative to the mean edge length."""
    if not mask.any():
        return 0.0
    delta = laplacian_coordinates(after, faces) - laplacian_coordinates(before, faces)
    return float(np.linalg.norm(delta[mask], axis=1).mean() / mean_edge_length(after, faces))


def measure_gates(patch: Patch, limits: GateThresholds, detail: float) -> dict:
    """Every gate of a patch (detail = the measured change of the part's Laplacian coordinates)."""
    gates = topology_gates(patch.faces, len(patch.vertices))
    gates |= border_gates(patch, limits.border_on_square, limits.border_flatness)
    gates |= shape_gates(patch, limits, detail)
    return gates


def shape_gates(patch: Patch, limits: GateThresholds, detail: float) -> dict[str, dict]:
    """No self-intersection, within the height range, a part that rises inside the margin, and the
    detail kept by the flattening."""
    v, labels = patch.vertices, patch.labels
    gates: dict[str, dict] = {}
    crossing = self_intersecting_faces(v, patch.faces)
    gates["self_intersections"] = gate(
        crossing,
        limits.max_self_intersecting_faces,
        crossing <= limits.max_self_intersecting_faces,
        f"{crossing} faces of the patch intersect other faces.",
    )
    z_min, z_max = float(v[:, 2].min()), float(v[:, 2].max())
    gates["height_range"] = gate(
        [z_min, z_max],
        [limits.min_height, limits.max_height],
        limits.min_height <= z_min and z_max <= limits.max_height,
        f"The patch spans z from {z_min:.3f} to {z_max:.3f}, "
        f"outside [{limits.min_height}, {limits.max_height}].",
    )
    part = labels == PART
    part_height = float(v[part, 2].max()) if part.any() else 0.0
    gates["part_height"] = gate(
        part_height,
        limits.min_part_height,
        part_height >= limits.min_part_height,
        f"The part rises only {part_height:.3f} above the plane.",
    )
    reach = float(np.abs(v[part, :2]).max()) if part.any() else 0.0
    gates["part_inside_square"] = gate(
        reach,
        1.0 - limits.part_margin,
        reach <= 1.0 - limits.part_margin,
        f"The part reaches {reach:.3f} from the centre, outside the square's margin.",
    )
    gates["detail_kept"] = gate(
        detail,
        limits.max_detail_change,
        detail <= limits.max_detail_change,
        f"Flattening changed the part's local shape by {detail:.2f} edge lengths on average.",
    )
    return gates


def check_gates(gates: dict, stage: str = "gates") -> None:
    """Raise Rejected with the first failing gate's sentence."""
    for measured in gates.values():
        if not measured["pass"]:
            raise Rejected(stage, measured["failure"])
