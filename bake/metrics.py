"""Brush-quality figures of a VDM against the patch it should encode (conventions section 6b).

- `chamfer`: of the surface the VDM decodes to (vdm2mesh's grid) against the patch.
- `slide` / `lift`: mean |(R, G)| and |B| over the pixels where the true surface is the bare
  plane away from the part's footprint (farther than `AWAY` from it): a stamp moves nothing there.
- `crease`: share of those pixels whose decoded normal tilts more than 10 degrees.
- `self_intersections`: faces of the decoded grid that cross another face (exact, counted over
  the faces that can cross: bake.uncross.crossing_pixels).
- `undercut_recall`: of the patch's points that a height field cannot hold (another part of the
  patch lies straight above them), the share the decoded surface keeps within 0.05. A VDM made
  from the rig's views (`vdm reconstruct`) is scored on the undercut points those views see
  (`seen_by`): no fitting recovers what no view shows, e.g. a mushroom cap's underside.

GenVDM's own ear3.exr slides 0.003 away from its ear: a reference point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from vdm.bake.uncross import crossing_pixels
from vdm.patch import PART, Patch
from vdm.surface_metrics import sample_surface
from vdm.vdm_grid import pixel_centres, vdm_to_patch

AWAY = 0.1  # pixels farther than this (patch units) from the part's footprint are the bare plane
CREASE_DEG = 10.0
KEPT = 0.05  # an undercut point is kept when the decoded surface passes this close
SAMPLES = 20_000


@dataclass(frozen=True)
class BrushScores:
    """The section-6b figures of one VDM against its patch."""

    chamfer: float
    slide: float
    lift: float
    crease: float
    self_intersections: int
    undercut_recall: float  # nan when the patch has no undercut
    undercut_share: float  # share of the patch's surface a height field cannot hold

    def to_json(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class BrushGates:
    """The section-6b limits a baked dataset VDM must meet (patch half-widths)."""

    chamfer: float = 0.003
    slide: float = 0.005
    lift: float = 0.005
    crease: float = 0.01
    undercut_recall: float = 0.98
    self_intersections: int = 0


def gate_failure(scores: BrushScores, gates: BrushGates) -> str | None:
    """The first section-6b limit the scores miss, as one sentence; None when they meet all (a
    crossing count of -1, not counted, meets its limit)."""
    if scores.chamfer > gates.chamfer:
        return f"Its VDM decodes {scores.chamfer:.4f} from the patch (limit {gates.chamfer})."
    if scores.slide > gates.slide or scores.lift > gates.lift:
        return f"Its VDM moves the bare plane by {max(scores.slide, scores.lift):.4f} (limit {gates.slide})."
    if scores.crease > gates.crease:
        return f"Its VDM creases {scores.crease:.1%} of the bare plane (limit {gates.crease:.0%})."
    if not np.isnan(scores.undercut_recall) and scores.undercut_recall < gates.undercut_recall:
        kept = f"{scores.undercut_recall:.1%}"
        return f"Its VDM keeps only {kept} of the undercuts (limit {gates.undercut_recall:.0%})."
    if scores.self_intersections > gates.self_intersections:  # -1: not counted
        crossing, limit = scores.self_intersections, gates.self_intersections
        return f"Its VDM's surface crosses itself at {crossing} faces (limit {limit})."
    return None


def mesh_distance(points: np.ndarray, mesh: Patch) -> np.ndarray:
    """Distance from each point to the nearest point of a triangle mesh (libigl's AABB tree)."""
    import igl

    squared, _, _ = igl.point_mesh_squared_distance(
        np.ascontiguousarray(points, dtype=np.float64),
        np.ascontiguousarray(mesh.vertices, dtype=np.float64),
        np.ascontiguousarray(mesh.faces, dtype=np.int64),
    )
    return np.sqrt(np.asarray(squared).ravel())


def undercut_points(patch: Patch, samples: np.ndarray) -> np.ndarray:
    """Which sample points of a patch have patch surface straight above them (+z)."""
    import trimesh

    mesh = trimesh.Trimesh(patch.vertices, patch.faces, process=False)
    origins = samples + np.array([0.0, 0.0, 1e-4])
    up = np.tile([0.0, 0.0, 1.0], (len(samples), 1))
    return mesh.ray.intersects_any(origins, up)


def seen_points(patch: Patch, samples: np.ndarray, normals: np.ndarray, views: tuple[int, ...]) -> np.ndarray:
    """Which sample points face one of the rig's `views` with nothing of the patch in front of them
    (orthographic rays toward the camera)."""
    import trimesh

    from vdm.rig import VIEWS, camera_axes

    mesh = trimesh.Trimesh(patch.vertices, patch.faces, process=False)
    seen = np.zeros(len(samples), dtype=bool)
    for k in views:
        toward = -camera_axes(VIEWS[k])[2]
        facing = ~seen & (normals @ toward > 0.0)
        origins = samples[facing] + 1e-4 * toward
        hit = mesh.ray.intersects_any(origins, np.tile(toward, (len(origins), 1)))
        seen[np.flatnonzero(facing)[~hit]] = True
    return seen


def away_from_footprint(patch: Patch, resolution: int) -> np.ndarray:
    """(N, N) mask of the pixels farther than AWAY from the part's footprint (its xy shadow)."""
    xs, ys = pixel_centres(resolution)
    part_faces = patch.faces[(patch.labels[patch.faces] == PART).any(axis=1)]
    shadow = sample_surface(Patch(patch.vertices, part_faces, patch.labels), SAMPLES).points[:, :2]
    distance, _ = cKDTree(shadow).query(np.column_stack([xs.ravel(), ys.ravel()]))
    inner = (np.abs(xs) < 1.0 - 1.5 / resolution) & (np.abs(ys) < 1.0 - 1.5 / resolution)
    return (distance.reshape(xs.shape) > AWAY) & inner


def plane_slide(displacement: np.ndarray, away: np.ndarray) -> float:
    """`slide`: mean |(R, G)| over the `away` pixels (away_from_footprint), 0 when there are none."""
    return float(np.linalg.norm(displacement[..., :2], axis=-1)[away].mean()) if away.any() else 0.0


def decoded_normals(displacement: np.ndarray) -> np.ndarray:
    """Unit normals (N, N, 3) of the decoded surface by central differences over the pixel grid."""
    xs, ys = pixel_centres(displacement.shape[0])
    surface = displacement + np.stack([xs, ys, np.zeros_like(xs)], axis=-1)
    du = np.gradient(surface, axis=1)  # toward +x
    dv = -np.gradient(surface, axis=0)  # rows run toward -y
    normals = np.cross(du, dv)
    return normals / np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-12)


def brush_scores(
    displacement: np.ndarray,
    patch: Patch,
    seed: int = 0,
    intersections: bool = True,
    seen_by: tuple[int, ...] | None = None,
) -> BrushScores:
    """All the section-6b figures of a VDM (an (N, N, 3) displacement) against its patch (without
    `intersections`, the self-intersection count, which a bake has already made, is -1; with
    `seen_by`, undercuts count only where those rig views see them)."""
    decoded = vdm_to_patch(displacement)
    sample = sample_surface(patch, SAMPLES, seed)
    truth = sample.points
    got = sample_surface(decoded, SAMPLES, seed + 1).points
    away = away_from_footprint(patch, displacement.shape[0])
    slide = plane_slide(displacement, away)
    lift = float(np.abs(displacement[..., 2])[away].mean()) if away.any() else 0.0
    tilt = np.degrees(np.arccos(np.clip(decoded_normals(displacement)[..., 2], -1.0, 1.0)))
    crease = float((tilt[away] > CREASE_DEG).mean()) if away.any() else 0.0
    to_decoded = mesh_distance(truth, decoded)
    under = undercut_points(patch, truth)
    scored = under & seen_points(patch, truth, sample.normals, seen_by) if seen_by is not None else under
    recall = float((to_decoded[scored] < KEPT).mean()) if scored.any() else float("nan")
    return BrushScores(
        chamfer=0.5 * float(mesh_distance(got, patch).mean() + to_decoded.mean()),
        slide=slide,
        lift=lift,
        crease=crease,
        self_intersections=crossing_pixels(displacement, decoded)[0] if intersections else -1,
        undercut_recall=recall,
        undercut_share=float(under.mean()),
    )
