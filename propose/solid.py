"""The mesh as a solid on a voxel grid: inside where its generalised winding number exceeds 1/2.

The winding number (libigl's fast approximation) fills polygon soups, open shells and
self-intersecting parts as a person would see them, which a scan-line or a flood fill does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vdm.errors import VdmError
from vdm.geometry import lattice_points
from vdm.meshtools import winding_numbers
from vdm.sources import LoadedMesh

PAD_VOXELS = 4  # empty voxels around the mesh, so openings never touch the grid's edge


@dataclass(frozen=True)
class Solid:
    """Occupancy (nx, ny, nz) of voxels of side `spacing`; the first centre lies at `origin` + spacing / 2."""

    inside: np.ndarray
    origin: np.ndarray
    spacing: float

    def centres(self, index: np.ndarray) -> np.ndarray:
        """World positions (N, 3) of voxel centres."""
        return self.origin + (np.asarray(index, dtype=np.float64) + 0.5) * self.spacing


def voxelise(mesh: LoadedMesh, grid: int) -> Solid:
    """The solid of `mesh` on a grid of `grid` voxels along its longest side (plus padding)."""

    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    spacing = float((hi - lo).max()) / (grid - 2 * PAD_VOXELS)
    if not spacing > 0:
        raise VdmError(f"{mesh.source.spec} is flat or a point: it has no parts to propose.")
    origin = lo - PAD_VOXELS * spacing
    shape = np.ceil((hi - origin) / spacing).astype(np.int64) + PAD_VOXELS
    axes = [origin[i] + spacing * (np.arange(shape[i]) + 0.5) for i in range(3)]
    centres = lattice_points(axes)
    winding = winding_numbers(vertices, faces, centres)
    inside = (np.abs(winding) > 0.5).reshape(tuple(shape))
    if not inside.any():
        raise VdmError(f"{mesh.source.spec} encloses no volume at this grid: it has no parts to propose.")
    return Solid(inside, origin, spacing)
