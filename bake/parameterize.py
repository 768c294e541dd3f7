"""A patch mapped onto the square so that it makes a good brush (conventions section 6b).

The bare plane away from the part keeps its own (x, y): those vertices are fixed, so the VDM is
exactly zero there and a stamp leaves the surroundings alone. The part and the plane of a
transition band around it (a disc about the part's footprint, the band narrower than what the
brush metrics call "away from the part") are free. They are mapped in two steps:

1. a guaranteed-injective start: Tutte's embedding (uniform harmonic weights) of the free disc
   inside the ring of fixed vertices around it; where that ring is not convex and Tutte folds,
   libigl's bijective composite harmonic mapping (harmonic maps of a morphed boundary) instead;
2. SLIM (libigl, symmetric Dirichlet energy) from that start: the energy's barrier at zero area
   keeps every triangle unfolded while it evens out the stretch, with the ring held in place.

libigl is used for both solvers (rather than hand-written ones): its SLIM is the reference
implementation of the method, and its flip-free harmonic morphing covers the non-convex case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from bake.config import BakeConfig
from vdm.errors import VdmError
from vdm.patch import PART, Patch
from vdm.topology import boundary_loops, edge_counts

SQUARE_INSET = 0.97  # the free disc stays inside this: border pixels are always plane


@dataclass
class Parameterization:
    """Each vertex's place in the square (uv, patch units) and how the map was made."""

    uv: np.ndarray  # (N, 2)
    free: np.ndarray  # (N,) bool: the part and the transition band
    centre: np.ndarray  # (2,) centre of the free disc
    radius: float  # radius of the free disc
    report: dict


def _signed_areas(uv: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = uv[faces[:, 0]], uv[faces[:, 1]], uv[faces[:, 2]]
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


def free_disc(patch: Patch, config: BakeConfig) -> tuple[np.ndarray, float]:
    """Centre and radius of the transition disc: the part's footprint and a band of plane around
    it. Outside it the plane stays where it is; the part's surface gets the pixels it needs from
    the resolution (`needed_resolution`), not from a wider disc that would drag the plane."""
    part = patch.labels == PART
    if not part.any():
        raise VdmError("The patch has no part vertices: there is nothing to bake.")
    xy = patch.vertices[part, :2]
    centre = 0.5 * (xy.min(axis=0) + xy.max(axis=0))
    reach = float(np.linalg.norm(xy - centre, axis=1).max())
    limit = SQUARE_INSET - float(np.abs(centre).max())
    if reach + 0.5 * config.band > limit:
        raise VdmError(
            f"The part reaches {reach + float(np.abs(centre).max()):.3f} from the centre: it leaves no "
            "plane around it to blend into (a patch's part stays inside the square's margin)."
        )
    return centre, min(reach + config.band, limit)


def _tutte(patch: Patch, free: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Uniform-weight harmonic positions of the free vertices, the others fixed at `uv`."""
    edges, _ = edge_counts(patch.faces)
    n = len(patch.vertices)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    adjacency = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    laplacian = sp.diags(np.asarray(adjacency.sum(axis=1)).ravel()) - adjacency
    ids = np.flatnonzero(free)
    fixed = np.flatnonzero(~free)
    a = laplacian[ids][:, ids].tocsc()
    rhs = -laplacian[ids][:, fixed] @ uv[fixed]
    out = uv.copy()
    out[ids] = np.column_stack([spsolve(a, rhs[:, 0]), spsolve(a, rhs[:, 1])])
    return out


def _free_submesh(patch: Patch, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertices (old ids) of the faces touching a free vertex, and those faces re-indexed."""
    faces = patch.faces[free[patch.faces].any(axis=1)]
    used = np.unique(faces)
    remap = np.full(len(patch.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return used, remap[faces]


def _bijective_start(patch: Patch, free: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """libigl's flip-free harmonic morphing of the free disc onto its fixed ring."""
    import igl

    used, local = _free_submesh(patch, free)
    ring = np.flatnonzero(~free[used])
    start = _tutte(patch, free, uv)[used]
    # Morph from a convex start (the ring on a circle) to the real ring, without a fold.
    centre = uv[used[ring]].mean(axis=0)
    angles = np.arctan2(*(uv[used[ring]] - centre).T[::-1])
    circle = centre + np.column_stack([np.cos(angles), np.sin(angles)])
    start[ring] = circle
    fixed = np.zeros(len(used), dtype=bool)
    fixed[ring] = True
    start[~fixed] = _tutte(Patch(start, local, np.zeros(len(used), np.uint8)), ~fixed, start)[~fixed]
    mapped = igl.bijective_composite_harmonic_mapping(start, local, ring, uv[used[ring]])
    out = uv.copy()
    out[used] = mapped
    return out


def _slim(patch: Patch, free: np.ndarray, uv: np.ndarray, iterations: int) -> np.ndarray:
    """SLIM (symmetric Dirichlet) on the free region, the ring around it held in place."""
    import igl

    used, local = _free_submesh(patch, free)
    ring = np.flatnonzero(~free[used]).astype(np.int32)
    data = igl.slim_precompute(
        np.asfortranarray(patch.vertices[used]),
        np.asfortranarray(local.astype(np.int32)),
        np.asfortranarray(uv[used]),
        igl.MappingEnergyType.SYMMETRIC_DIRICHLET,
        ring,
        np.asfortranarray(uv[used][ring]),
        1e5,
    )
    mapped = igl.slim_solve(data, iterations)
    out = uv.copy()
    out[used[free[used]]] = mapped[free[used]]  # the ring stays exactly where it is
    return out


def parameterize(patch: Patch, config: BakeConfig | None = None) -> Parameterization:
    """Map every vertex of a patch into the square: plane away from the part at its own (x, y), the
    part and a transition band injectively onto a disc, with low distortion."""
    config = config or BakeConfig()
    if len(boundary_loops(patch.faces)) != 1:
        raise VdmError("The mesh is not a patch: it must be a disk with the square as its one border.")
    centre, radius = free_disc(patch, config)
    xy = patch.vertices[:, :2]
    free = (patch.labels == PART) | (np.linalg.norm(xy - centre, axis=1) < radius)
    uv = xy.copy()
    start = _tutte(patch, free, uv)
    method = "tutte"
    if (_signed_areas(start, patch.faces) <= 0).any():
        start, method = _bijective_start(patch, free, uv), "bijective composite harmonic"
    if (_signed_areas(start, patch.faces) <= 0).any():
        raise VdmError("No fold-free map of the patch onto the square was found.")
    mapped = _slim(patch, free, start, config.slim_iterations) if config.slim_iterations else start
    if (_signed_areas(mapped, patch.faces) <= 0).any():  # SLIM's barrier should prevent it: keep the start
        mapped, method = start, method + " (SLIM folded; start kept)"
    else:
        method += " + SLIM" if config.slim_iterations else ""
    report = {
        "method": method,
        "disc_centre": centre.tolist(),
        "disc_radius": radius,
        "free_vertices": int(free.sum()),
    }
    return Parameterization(mapped, free, centre, radius, report)
