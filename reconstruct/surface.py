"""From the stage 1 SDF to the surface stage 2 fits: the part's mesh (marching cubes, only what is
above the plane, over the square and attached to it) and points on plane + part.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from reconstruct.sdf import PartSdf, sdf_grid
from vdm.errors import VdmError
from vdm.geometry import face_areas
from vdm.patch import PART, Patch
from vdm.surface_metrics import sample_surface

log = logging.getLogger(__name__)

ATTACH_HEIGHT = 0.03  # a component touching z below this is attached to the plane


@dataclass
class Stage1Surface:
    """The part's mesh and points sampled uniformly by area on the whole surface (plane + part)."""

    part: Patch | None
    points: np.ndarray  # (N, 3)


def part_mesh(model: PartSdf, resolution: int) -> Patch | None:
    """Marching cubes of the part SDF, clipped to z >= 0 over the square, plane-attached components only."""
    from skimage.measure import marching_cubes

    values, origin, spacing = sdf_grid(model, resolution)
    if values.min() >= 0.0 or values.max() <= 0.0:
        return None
    vertices, faces, _, _ = marching_cubes(values, 0.0, spacing=tuple(spacing), gradient_direction="ascent")
    vertices = vertices + origin
    tri = vertices[faces]
    keep = (tri[..., 2].max(1) > 0.0) & (np.abs(tri[..., :2]).max((1, 2)) <= 1.0)
    faces = faces[keep]
    if len(faces) == 0:
        return None
    n = len(vertices)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]]])
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    low = np.zeros(component.max() + 1, dtype=bool)
    low[component[vertices[:, 2] < ATTACH_HEIGHT]] = True
    attached = faces[low[component[faces[:, 0]]]]
    if len(attached):
        faces = attached
    else:
        log.warning("No part of the fitted surface touches the plane; keeping all of it.")
    used, faces = np.unique(faces, return_inverse=True)
    return Patch(vertices[used], faces.reshape(-1, 3), np.full(len(used), PART, dtype=np.uint8))


def stage1_surface(model: PartSdf, resolution: int, n_points: int, seed: int) -> Stage1Surface:
    """The fitted surface: the plane where it is outside the part, and the part above it."""
    part = part_mesh(model, resolution)
    rng = np.random.default_rng(seed)
    plane = np.column_stack([rng.uniform(-1.0, 1.0, (4 * n_points, 2)), np.zeros(4 * n_points)])
    with torch.no_grad():
        outside = (
            model(torch.as_tensor(plane, dtype=torch.float32, device=model.box_min.device)).cpu().numpy() > 0
        )
    plane = plane[outside]
    if part is None:
        return Stage1Surface(None, plane[:n_points])
    part_area = face_areas(part.vertices, part.faces).sum()
    plane_area = 4.0 * outside.mean()
    n_part = round(n_points * part_area / (part_area + plane_area))
    if n_part < 1:
        raise VdmError("The fitted part has no area; the normal maps show nothing on the plane.")
    points = sample_surface(part, n_part, seed).points
    return Stage1Surface(part, np.concatenate([plane[: n_points - n_part], points]))
