"""Stage 2, first half: the fitted surface as a patch (conventions section 1), ready for `vdm bake`.

The scene stage 1 fitted is the base plane united with the part, so its surface is the zero set of
min(part SDF, z) over the square: marching cubes of that field on a lattice whose x and y axes end
exactly on the square's edge gives one mesh in which the plane is exactly z = 0 wherever the part
is absent (the field is z there, linear along every lattice edge), the border is the square's edge,
and the part joins the plane where the SDF meets it. The field is z on the outermost lattice ring,
so nothing but plane reaches the edge. Pieces not joined to the plane are floaters and go.
Marching cubes leaves slivers, which a bijective map onto the square would have to stretch without
end; the stitcher's remeshing (pymeshlab, border kept) evens the triangles out. It rounds the
crease where the part meets the plane a little and reprojects in floats, so vertices within a
twentieth of an edge of z = 0 are put back on the plane; the rest are the part.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from vdm.errors import Rejected, VdmError
from vdm.geometry import face_areas, lattice_points
from vdm.patch import PART, PLANE, Patch
from vdm.patch_checks import patch_problem
from vdm.reconstruct.sdf import BOX_MAX, PartSdf
from vdm.remesh import EVEN_TRIANGLE_AREA, remesh
from vdm.topology import face_components

log = logging.getLogger(__name__)

PLANE_SNAP = 0.05  # vertices this close to z = 0 (in edge lengths) lie on the plane
COARSENINGS = 2  # a surface that is no disk is extracted again at half the lattice, this many times
CHUNK = 131_072  # points per SDF evaluation
SLOPE = 10.0  # the most the fitted SDF changes per unit (1 for a true distance; 5.2 on the full hook)


@dataclass(frozen=True)
class SurfaceConfig:
    """How finely the fitted surface is extracted and remeshed."""

    lattice: int = 128  # marching-cubes cells across the square
    edge_length: float = 0.02  # remeshing target (patch units) ...
    part_vertices: int = 20_000  # ... longer where the part would get more vertices (the bake's cost)
    remesh_iterations: int = 3


def _sdf_at(model: PartSdf, points: np.ndarray) -> np.ndarray:
    """The part SDF at (N, 3) points, in chunks."""
    import torch

    device = model.box_min.device
    values = np.zeros(len(points), np.float32)
    with torch.no_grad():
        for i in range(0, len(points), CHUNK):
            chunk = torch.as_tensor(points[i : i + CHUNK], dtype=torch.float32, device=device)
            values[i : i + CHUNK] = model(chunk).cpu().numpy()
    return values


def _part_lattice(model: PartSdf, axes: list[np.ndarray]) -> np.ndarray:
    """The part SDF on a lattice (indexed x, y, z; equal spacing), exact wherever marching cubes
    reads it. It is evaluated on every second point first; a point is evaluated too only where a
    corner of its coarse cell is within the band of SLOPE times (1 + sqrt 3) spacings of the surface,
    and elsewhere takes its coarse cell's first corner: a value of the same sign, never at the end
    of a lattice edge that changes sign (the SDF changes by at most SLOPE per unit). At `full`: the
    hook 2.9 s instead of 15, the mushroom 5 s instead of 16, the same mesh to the last bit."""
    spacing = float(axes[0][1] - axes[0][0])
    coarse_axes = [a[0] + 2.0 * spacing * np.arange(len(a) // 2 + 1) for a in axes]
    coarse = _sdf_at(model, lattice_points(coarse_axes)).reshape([len(a) for a in coarse_axes])
    band = SLOPE * (1.0 + np.sqrt(3.0)) * spacing
    near = np.abs(coarse) < band
    lower = [np.arange(len(a)) // 2 for a in axes]  # the coarse cell's first corner, per axis
    for axis, first in enumerate(lower):  # near a coarse corner of the point's cell: either end, each axis
        near = np.take(near, first, axis) | np.take(near, (np.arange(len(first)) + 1) // 2, axis)
    values = coarse[np.ix_(*lower)]
    where = np.nonzero(near)
    values[where] = _sdf_at(model, np.stack([a[i] for a, i in zip(axes, where, strict=True)], 1))
    return values


def _union_mesh(model: PartSdf, lattice: int) -> tuple[np.ndarray, np.ndarray]:
    """Marching cubes of min(part SDF, z): the plane's component only, faces up."""
    from skimage.measure import marching_cubes

    cell = 2.0 / lattice
    xy = np.linspace(-1.0, 1.0, lattice + 1)
    z = (np.arange(int(np.ceil(BOX_MAX[2] / cell)) + 2) - 0.5) * cell  # z = 0 lies mid-cell
    field = np.minimum(_part_lattice(model, [xy, xy, z]), z[None, None, :])
    field[[0, -1], :, :] = z
    field[:, [0, -1], :] = z
    spacing = (cell, cell, cell)
    vertices, faces, _, _ = marching_cubes(field, 0.0, spacing=spacing, gradient_direction="descent")
    vertices += (-1.0, -1.0, z[0])
    vertices[:, :2] = np.clip(vertices[:, :2], -1.0, 1.0)
    component = face_components(faces, len(vertices))
    on_edge = np.abs(vertices[faces[:, 0], :2]).max(axis=1) >= 1.0
    faces = faces[component == np.bincount(component[on_edge]).argmax()]
    used, inverse = np.unique(faces, return_inverse=True)
    return vertices[used], inverse.reshape(-1, 3)


def remesh_edge(vertices: np.ndarray, faces: np.ndarray, config: SurfaceConfig) -> float:
    """The remeshing edge: `config.edge_length`, or longer where the part's surface (faces off the
    plane) would get more than `config.part_vertices` vertices at it. The bake's SLIM costs seconds
    per iteration in the part's vertices, and a big part needs more iterations: at `full` the
    mushroom's 48,000 part vertices took 149 s to map, at 0.015 20 s (docs/reconstruct.md)."""
    off_plane = faces[(vertices[faces, 2] > PLANE_SNAP * config.edge_length).any(axis=1)]
    area = float(face_areas(vertices, off_plane).sum())
    per_vertex = 2.0 * EVEN_TRIANGLE_AREA  # an even mesh has two triangles a vertex
    return max(config.edge_length, math.sqrt(area / (per_vertex * config.part_vertices)))


def _extracted(model: PartSdf, lattice: int, config: SurfaceConfig) -> tuple[Patch, str | None]:
    """The remeshed surface at one lattice, and why it is not a patch (None when it is one)."""
    vertices, faces = _union_mesh(model, lattice)
    edge = remesh_edge(vertices, faces, config)
    try:
        vertices, faces, _ = remesh(vertices, faces, edge, config.remesh_iterations)
    except Rejected as exc:
        return Patch(vertices, faces, np.zeros(len(vertices), dtype=np.uint8)), str(exc)
    vertices[np.abs(vertices[:, 2]) < PLANE_SNAP * edge, 2] = 0.0
    labels = np.where(vertices[:, 2] == 0.0, PLANE, PART).astype(np.uint8)
    patch = Patch(vertices, faces, labels)
    return patch, patch_problem(patch)


def surface_patch(model: PartSdf, config: SurfaceConfig | None = None) -> Patch:
    """The plane + part surface of a fitted part SDF as a patch. A fitted SDF can hold a thin
    membrane that makes a handle (the surface is then no disk, and no VDM can encode it); a coarser
    lattice, which cannot resolve it, is tried before the surface is refused."""
    config = config or SurfaceConfig()
    for coarsening in range(COARSENINGS + 1):
        patch, problem = _extracted(model, config.lattice // 2**coarsening, config)
        if problem is None:
            break
        log.warning("the fitted surface is not a patch (%s); extracting it coarser", problem.rstrip("."))
    if problem is not None:
        raise VdmError(f"The fitted surface is not a patch: {problem}")
    if not (patch.labels == PART).any():
        raise VdmError("The fitted surface is the bare plane: the normal maps show no part on it.")
    return patch
