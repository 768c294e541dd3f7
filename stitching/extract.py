"""Step 1: the selected faces as oriented surface samples, with buried samples removed.

Real parts are polygon soups: overlapping shells, flipped faces, gaps. The asset's shells are
first wound consistently outward (stitching.orient). Samples are drawn on the selected faces
(area-weighted, seeded); the winding number of the WHOLE asset just outside and
just inside each sample tells which side is open air (so the normal can be oriented toward it)
and whether the sample is buried inside some other shell (its "outside" is still inside the
volume), in which case it is an inner wall and is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from vdm.errors import Rejected
from vdm.geometry import face_areas
from vdm.sources import LoadedMesh
from vdm.stitching.config import StitchConfig
from vdm.stitching.orient import oriented_asset

log = logging.getLogger(__name__)

MIN_SAMPLES = 50  # fewer surface samples than this cannot be fused into a surface
# A sample's normal is turned only when the winding number behind it is lower than in front by this
# much: across a surface it steps by 1, while both offset points on one side (a tip thinner than the
# offset, or inside another shell) differ only by the approximation's noise.
REORIENT_MARGIN = 0.5


@dataclass
class Samples:
    """Oriented surface samples of a selection, in source coordinates."""

    points: np.ndarray  # (n, 3)
    normals: np.ndarray  # (n, 3) unit, toward open air
    colours: np.ndarray | None  # (n, 4) uint8 when the source has colours
    spacing: float  # mean distance between neighbouring samples
    measures: dict  # numbers for the report


def check_face_ids(mesh: LoadedMesh, face_ids: np.ndarray, config: StitchConfig) -> np.ndarray:
    """Unique, sorted, in-range face ids; rejects selections no part can come from."""
    ids = np.unique(np.asarray(face_ids, dtype=np.int64).ravel())
    if len(ids) == 0:
        raise Rejected("extract", "The selection is empty: it names no faces.")
    if ids[0] < 0 or ids[-1] >= mesh.n_faces:
        raise Rejected(
            "extract", f"The selection names face {ids[-1]}, outside the mesh's {mesh.n_faces} faces."
        )
    if len(ids) < config.min_faces:
        raise Rejected(
            "extract", f"The selection has only {len(ids)} faces; a part needs at least {config.min_faces}."
        )
    areas = face_areas(mesh.vertices, mesh.faces)
    fraction = float(areas[ids].sum() / max(areas.sum(), 1e-300))
    if len(ids) == mesh.n_faces or fraction > config.max_area_fraction:
        raise Rejected(
            "extract",
            f"The selection covers {fraction:.0%} of the mesh's area; a part must leave the rest of the "
            "asset around it.",
        )
    return ids


def sample_selection(mesh: LoadedMesh, face_ids: np.ndarray, config: StitchConfig) -> Samples:
    """Sample, orient and filter the selected faces (see the module docstring)."""
    asset = oriented_asset(mesh)
    tri = mesh.vertices[asset.faces[face_ids]]
    areas = face_areas(mesh.vertices, asset.faces[face_ids])
    diagonal = float(np.linalg.norm(tri.reshape(-1, 3).max(axis=0) - tri.reshape(-1, 3).min(axis=0)))
    spacing = max(config.sample_spacing_rel * diagonal, np.sqrt(areas.sum() / config.max_samples))
    count = int(np.clip(areas.sum() / spacing**2, 1, config.max_samples))
    rng = np.random.default_rng(config.seed)
    chosen = np.searchsorted(np.cumsum(areas) / areas.sum(), rng.random(count), side="right")
    chosen = np.minimum(chosen, len(areas) - 1)
    r1, r2 = rng.random(count), rng.random(count)
    flip = r1 + r2 > 1.0
    r1, r2 = np.where(flip, 1.0 - r1, r1), np.where(flip, 1.0 - r2, r2)
    bary = np.stack([1.0 - r1 - r2, r1, r2], axis=1)
    corners = tri[chosen]
    points = np.einsum("ij,ijk->ik", bary, corners)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-300)
    colours = None
    if mesh.vertex_colors is not None:
        corner_colours = mesh.vertex_colors[mesh.faces[face_ids[chosen]]].astype(np.float64)
        colours = np.clip(np.round(np.einsum("ij,ijk->ik", bary, corner_colours)), 0, 255).astype(np.uint8)

    # Which side of each sample is open air, and is even that side inside the asset?
    offset = 0.25 * spacing
    w_front = asset.winding(points + offset * normals)
    w_back = asset.winding(points - offset * normals)
    facing_in = w_front - w_back > REORIENT_MARGIN
    normals[facing_in] *= -1.0
    outer = np.minimum(w_front, w_back)
    buried = outer > config.buried_winding
    keep = ~buried
    measures = {
        "selected_faces": len(face_ids),
        "asset_faces_reoriented": asset.flipped_faces,
        "samples": count,
        "sample_spacing": spacing,
        "buried_samples": int(buried.sum()),
        "reoriented_samples": int((facing_in & keep).sum()),
    }
    if count < MIN_SAMPLES:
        raise Rejected(
            "extract",
            f"The selection is too small to stitch: its {len(face_ids)} faces give {count} surface samples, "
            f"fewer than the {MIN_SAMPLES} a surface is fused from.",
        )
    if keep.sum() < 0.05 * count or keep.sum() < MIN_SAMPLES:
        raise Rejected(
            "extract",
            f"{buried.mean():.0%} of the selected surface is buried inside the asset; too little is left.",
        )
    points, normals = points[keep], normals[keep]
    colours = colours[keep] if colours is not None else None

    # One connected piece: neighbouring samples closer than a few spacings belong together.
    pairs = cKDTree(points).query_pairs(3.0 * spacing, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(points),) * 2)
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    main = int(np.argmax(sizes))
    measures["sample_clusters"] = len(sizes)
    measures["main_cluster_fraction"] = float(sizes[main] / len(points))
    if sizes[main] < config.min_cluster_fraction * len(points):
        raise Rejected(
            "extract",
            f"The selected faces are scattered: their surface falls apart into {len(sizes)} pieces and the "
            f"largest holds only {sizes[main] / len(points):.0%} of it; Keep largest (in the lasso) keeps "
            "that piece alone.",
        )
    in_main = labels == main
    log.debug("extract: %d samples kept of %d (%d buried)", int(in_main.sum()), count, int(buried.sum()))
    return Samples(
        points[in_main],
        normals[in_main],
        colours[in_main] if colours is not None else None,
        spacing,
        measures,
    )
