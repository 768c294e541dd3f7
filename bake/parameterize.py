"""A patch mapped onto the square so that it makes a good brush (conventions section 6b).

The bare plane away from the part keeps its own (x, y): those vertices are fixed, so the VDM is
exactly zero there and a stamp leaves the surroundings alone. The part and the plane of a
transition band around its footprint (narrower than what the brush metrics call "away from the
part") are free. They are mapped in two steps:

1. a guaranteed-injective start: Tutte's embedding (uniform harmonic weights) of the free disc
   inside the ring of fixed vertices around it; where that ring is not convex and Tutte folds,
   libigl's bijective composite harmonic mapping (harmonic maps of a morphed boundary) instead;
2. SLIM (libigl, log-ARAP energy: the squared logs of the singular values) from that start: the
   energy's barrier at zero area keeps every triangle unfolded while it evens out the stretch, with
   the ring held in place. Measured against symmetric Dirichlet (docs/bake.md): the same on the
   shipped patches, lower stretch on tall parts, and a third of the folded cells on a long tube
   squeezed into its footprint (it lets a few triangles stretch far instead of shearing many).

libigl is used for both solvers (rather than hand-written ones): its SLIM is the reference
implementation of the method, and its flip-free harmonic morphing covers the non-convex case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from vdm.bake.config import BakeConfig
from vdm.errors import VdmError
from vdm.geometry import face_areas, signed_areas_2d
from vdm.meshtools import graph_laplacian
from vdm.patch import PART, Patch, part_faces
from vdm.topology import boundary_loops

SQUARE_INSET = 0.97  # the free region stays inside this: border pixels are always plane
MORPH_STEPS, MORPH_ITERATIONS = 200, 20  # the harmonic morph of a non-convex ring: most steps, inner solves
RING_GROWTHS = 30  # rounds of filling in a concave ring before the harmonic morph
STRETCH_PERCENTILE = 95  # the part's surface is judged by its 95th-percentile stretch, not its worst sliver
SLIM_ROUND, SLIM_MAX_ITERATIONS, SLIM_GAIN = 8, 64, 0.9  # more SLIM while a round lowers the stretch 10 %


@dataclass
class Parameterization:
    """Each vertex's place in the square (uv, patch units) and how the map was made."""

    uv: np.ndarray  # (N, 2)
    free: np.ndarray  # (N,) bool: the part and the transition band
    report: dict


def near_border(patch: Patch) -> np.ndarray:
    """Vertices in the outer ring of the square that the free region never reaches."""
    return np.abs(patch.vertices[:, :2]).max(axis=1) >= SQUARE_INSET


def free_vertices(patch: Patch, config: BakeConfig) -> np.ndarray:
    """The part's vertices and the plane's within `band` of the part's footprint (its xy shadow,
    undercut plane included): what the map may move. The rest of the plane stays where it is."""
    part = patch.labels == PART
    if not part.any():
        raise VdmError("The patch has no part vertices: there is nothing to bake.")
    distance, _ = cKDTree(patch.vertices[part, :2]).query(patch.vertices[:, :2])
    border = near_border(patch)
    free = part | ((distance < config.band) & ~border)  # the band narrows where the part nears the edge
    if (part & border).any():
        raise VdmError(
            "The part comes too close to the square's edge: it leaves no plane around it to blend into "
            "(a patch's part stays inside the square's margin)."
        )
    return free


def tutte(faces: np.ndarray, free: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Uniform-weight harmonic positions of the free vertices, the others fixed at `uv`."""
    laplacian = graph_laplacian(faces, len(uv))
    ids = np.flatnonzero(free)
    fixed = np.flatnonzero(~free)
    rhs = -laplacian[ids][:, fixed] @ uv[fixed]
    out = uv.copy()
    out[ids] = splu(laplacian[ids][:, ids].tocsc()).solve(np.asarray(rhs))
    return out


def _free_submesh(patch: Patch, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertices (old ids) of the faces touching a free vertex, and those faces re-indexed."""
    faces = patch.faces[free[patch.faces].any(axis=1)]
    used = np.unique(faces)
    remap = np.full(len(patch.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return used, remap[faces]


def _bijective_start(patch: Patch, free: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """A fold-free start for a non-convex ring: the free region embedded (Tutte) with its ring on
    a circle, then morphed onto the real ring by libigl's bijective composite harmonic mapping."""
    import igl

    used, local = _free_submesh(patch, free)
    loops = boundary_loops(local)
    ring = loops[0]
    if len(loops) != 1 or free[used[ring]].any():
        raise VdmError("The plane around the part is not one ring: the patch's plane has a hole there.")
    step = np.linalg.norm(uv[used[np.roll(ring, -1)]] - uv[used[ring]], axis=1)
    angle = 2.0 * np.pi * np.concatenate([[0.0], np.cumsum(step)[:-1]]) / step.sum()
    start = np.zeros((len(used), 2))
    start[ring] = uv[used[ring]].mean(axis=0) + np.column_stack([np.cos(angle), np.sin(angle)])
    inner = np.ones(len(used), dtype=bool)
    inner[ring] = False
    start = tutte(local, inner, start)
    mapped = igl.bijective_composite_harmonic_mapping(
        start, local, ring.astype(np.int64), uv[used[ring]], 1, MORPH_STEPS, MORPH_ITERATIONS
    )
    out = uv.copy()
    out[used] = mapped
    return out


def part_stretch(patch: Patch, uv: np.ndarray) -> float:
    """How many patch units of the part's surface one unit of the square carries (the
    95th percentile over the part's triangles of sqrt(surface area / mapped area))."""
    part = part_faces(patch)
    surface = face_areas(patch.vertices, part)
    mapped = np.abs(signed_areas_2d(uv, part))
    ratio = np.sqrt(surface / np.maximum(mapped, 1e-18))
    return float(np.percentile(ratio, STRETCH_PERCENTILE)) if len(ratio) else 1.0


def _slim(patch: Patch, free: np.ndarray, uv: np.ndarray, iterations: int, enough: float) -> np.ndarray:
    """SLIM (log-ARAP) on the free region, the ring around it held in place: `iterations`
    steps, then more in rounds while the part's stretch is above `enough` and each round still
    lowers it by a tenth (a crowded Tutte start, e.g. a long thin part, needs dozens)."""
    import igl

    used, local = _free_submesh(patch, free)
    ring = np.flatnonzero(~free[used]).astype(np.int32)
    data = igl.slim_precompute(
        np.asfortranarray(patch.vertices[used]),
        np.asfortranarray(local.astype(np.int32)),
        np.asfortranarray(uv[used]),
        igl.MappingEnergyType.LOG_ARAP,
        ring,
        np.asfortranarray(uv[used][ring]),
        1e5,
    )
    moved = used[free[used]]
    out = uv.copy()
    out[moved] = igl.slim_solve(data, iterations)[free[used]]  # the ring stays exactly where it is
    stretch, done = part_stretch(patch, out), iterations
    while stretch > enough and done < SLIM_MAX_ITERATIONS:
        more = out.copy()
        more[moved] = igl.slim_solve(data, SLIM_ROUND)[free[used]]
        done += SLIM_ROUND
        lower = part_stretch(patch, more)
        if lower > SLIM_GAIN * stretch:
            return more if lower < stretch else out
        out, stretch = more, lower
    return out


def _injective_start(patch: Patch, free: np.ndarray, uv: np.ndarray) -> tuple[np.ndarray, str]:
    """A fold-free start. Tutte's embedding folds only next to a concave stretch of the ring of fixed
    vertices, so such a stretch is first filled in: the fixed vertices of a folded face join the free
    region (the ring moves outward there, away from the part) and Tutte runs again; if folds remain
    after RING_GROWTHS rounds, libigl's bijective composite harmonic mapping. `free` grows in place."""
    border = near_border(patch)
    for round_ in range(RING_GROWTHS + 1):
        start = tutte(patch.faces, free, uv)
        folded = signed_areas_2d(start, patch.faces) <= 0
        if not folded.any():
            return start, "tutte" if round_ == 0 else f"tutte, ring filled in {round_} rounds"
        grow = np.zeros(len(free), dtype=bool)
        grow[patch.faces[folded].ravel()] = True
        grow &= ~free & ~border
        if not grow.any():
            break
        free |= grow
    start = _bijective_start(patch, free, uv)
    if (signed_areas_2d(start, patch.faces) <= 0).any():
        raise VdmError("No fold-free map of the patch onto the square was found.")
    return start, "bijective composite harmonic"


def parameterize(patch: Patch, config: BakeConfig | None = None) -> Parameterization:
    """Map every vertex of a patch into the square: plane away from the part at its own (x, y), the
    part and a transition band injectively onto a disc, with low distortion."""
    config = config or BakeConfig()
    if len(boundary_loops(patch.faces)) != 1:
        raise VdmError("The mesh is not a patch: it must be a disk with the square as its one border.")
    free = free_vertices(patch, config)
    uv = patch.vertices[:, :2].copy()
    start, method = _injective_start(patch, free, uv)
    enough = 0.5 * config.resolution * config.max_spacing  # the stretch the VDM's pixels can carry
    mapped = _slim(patch, free, start, config.slim_iterations, enough) if config.slim_iterations else start
    if (signed_areas_2d(mapped, patch.faces) <= 0).any():  # SLIM's barrier should prevent it: keep the start
        mapped, method = start, method + " (SLIM folded; start kept)"
    elif config.slim_iterations:
        method += " + SLIM"
    return Parameterization(mapped, free, {"method": method, "free_vertices": int(free.sum())})
