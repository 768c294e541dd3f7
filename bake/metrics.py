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

- `stray_share` / `stray_p99`: of the decoded surface where it leaves the plane (faces with a corner
  off z = 0), sampled by area, the share farther than STRAY from the patch and the 99th percentile of
  that distance: curls, flaps and blobs the part does not have, which a mean Chamfer averages away.
  With `seen_by`, also `stray_seen`: the same share counting only stray surface the views could
  judge, i.e. not lying where no view can see (outside the patch's solid and, in every view, behind
  the patch's surface: `unseen_points`); under a mushroom's cap or inside a fold, the decoded surface
  is a guess that no fitting from those views can check, just as undercut recall counts only seen
  undercuts.
- `centre_offset`: distance of the moved region's centre (the mean of the pixel centres whose
  displacement is not 0: the part's footprint and its band) from the brush centre.
- `outside_circle`: the largest |displacement| at pixel centres outside the inscribed circle, which
  Blender's brush never applies (conventions 6c: 0 for a brush).

GenVDM's own ear3.exr slides 0.003 away from its ear: a reference point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from vdm.bake.stamp import StampFit
from vdm.bake.uncross import crossing_pixels
from vdm.geometry import face_areas, signed_areas_2d
from vdm.patch import Patch, part_faces
from vdm.surface_metrics import sample_surface
from vdm.vdm_grid import moved_vertices, pixel_centres, vdm_to_patch

AWAY = 0.1  # pixels farther than this (patch units) from the part's footprint are the bare plane
CREASE_DEG = 10.0
KEPT = 0.05  # an undercut point is kept when the decoded surface passes this close
SAMPLES = 20_000
STRAY = 0.02  # decoded surface farther than this from the patch is stray geometry (conventions 6b)
NEAR_PIXELS = 4  # the faces this many pixels around the moved region are searched for nearest points


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
    stray_share: float
    stray_p99: float
    centre_offset: float
    outside_circle: float
    stray_seen: float = float("nan")  # nan unless scored with `seen_by`

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
    stray_share: float = 0.01


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
    if scores.stray_share > gates.stray_share:
        return (
            f"{scores.stray_share:.1%} of its VDM's raised surface lies farther than {STRAY} from the patch "
            f"(limit {gates.stray_share:.0%})."
        )
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


class _Rays:
    """Ray casting against one patch (libigl's AABB tree, built once; the same answers as trimesh's
    ray test on the shipped patches, without loading trimesh)."""

    def __init__(self, patch: Patch) -> None:
        import igl

        self.vertices = np.ascontiguousarray(patch.vertices, dtype=np.float64)
        self.faces = np.ascontiguousarray(patch.faces, dtype=np.int64)
        self.tree = igl.AABB()
        self.tree.init(self.vertices, self.faces)

    def first_hits(self, origins: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The face each ray from `origins` along one `direction` meets first (-1: none) and how far."""
        starts = np.ascontiguousarray(origins, dtype=np.float64)
        rays = np.ascontiguousarray(np.broadcast_to(direction, origins.shape), dtype=np.float64)
        face, distance, _ = self.tree.intersect_ray_first(self.vertices, self.faces, starts, rays)
        return np.asarray(face), np.asarray(distance)

    def blocked(self, origins: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """Which rays from `origins` along one `direction` meet the patch."""
        return self.first_hits(origins, direction)[0] >= 0


def undercut_points(patch: Patch, samples: np.ndarray) -> np.ndarray:
    """Which sample points of a patch have patch surface straight above them (+z)."""
    up = np.array([0.0, 0.0, 1.0])
    return _Rays(patch).blocked(samples + 1e-4 * up, up)


def seen_points(patch: Patch, samples: np.ndarray, normals: np.ndarray, views: tuple[int, ...]) -> np.ndarray:
    """Which sample points face one of the rig's `views` with nothing of the patch in front of them
    (orthographic rays toward the camera)."""
    from vdm.rig import VIEWS, camera_axes

    rays = _Rays(patch)
    seen = np.zeros(len(samples), dtype=bool)
    for k in views:
        toward = -camera_axes(VIEWS[k])[2]
        facing = ~seen & (normals @ toward > 0.0)
        hit = rays.blocked(samples[facing] + 1e-4 * toward, toward)
        seen[np.flatnonzero(facing)[~hit]] = True
    return seen


def away_from_footprint(patch: Patch, resolution: int, scale: float = 1.0) -> np.ndarray:
    """(N, N) mask of the pixels farther than AWAY (times a brush's fit `scale`) from the part's
    footprint (its xy shadow: the pixel centres its faces cover seen from +z, and the pixels its
    vertices fall in), measured by a Euclidean distance transform of the pixel grid."""
    from scipy.ndimage import distance_transform_edt

    from vdm.bake.sample import locate

    faces = part_faces(patch, touching=True)
    shadow = np.zeros(resolution * resolution, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):  # faces standing on edge cover no centre
        shadow[locate(patch.vertices[:, :2], faces, resolution)[0]] = True
    corners = patch.vertices[np.unique(faces), :2]
    cols = np.clip(np.floor((corners[:, 0] + 1.0) * resolution / 2.0), 0, resolution - 1).astype(np.int64)
    rows = np.clip(np.floor((1.0 - corners[:, 1]) * resolution / 2.0), 0, resolution - 1).astype(np.int64)
    shadow[rows * resolution + cols] = True
    distance = distance_transform_edt(~shadow.reshape(resolution, resolution)) * (2.0 / resolution)
    xs, ys = pixel_centres(resolution)
    inner = (np.abs(xs) < 1.0 - 1.5 / resolution) & (np.abs(ys) < 1.0 - 1.5 / resolution)
    return (distance > AWAY * scale) & inner


def plane_slide(displacement: np.ndarray, away: np.ndarray, extra: float = 0.0) -> float:
    """`slide`: mean |(R, G)| over the `away` pixels (away_from_footprint) and `extra` more unmoved
    ones (a brush's share of the patch's plane beyond its square); 0 when there are none."""
    count = away.sum() + extra
    return float(np.linalg.norm(displacement[..., :2], axis=-1)[away].sum() / count) if count else 0.0


def stamp_placement(displacement: np.ndarray) -> tuple[float, float]:
    """`centre_offset` and `outside_circle` of a VDM (conventions 6c)."""
    xs, ys = pixel_centres(displacement.shape[0])
    moved = np.abs(displacement).max(axis=-1) > 0.0
    offset = float(np.hypot(xs[moved].mean(), ys[moved].mean())) if moved.any() else 0.0
    outside = np.hypot(xs, ys) > 1.0
    return offset, float(np.abs(displacement[outside]).max()) if outside.any() else 0.0


def decoded_normals(displacement: np.ndarray) -> np.ndarray:
    """Unit normals (N, N, 3) of the decoded surface by central differences over the pixel grid."""
    xs, ys = pixel_centres(displacement.shape[0])
    surface = displacement + np.stack([xs, ys, np.zeros_like(xs)], axis=-1)
    du = np.gradient(surface, axis=1)  # toward +x
    dv = -np.gradient(surface, axis=0)  # rows run toward -y
    normals = np.cross(du, dv)
    return normals / np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-12)


def _decoded_sample(moved: np.ndarray, decoded: Patch, seed: int) -> tuple[np.ndarray, int]:
    """Points sampled by area on the decoded surface where it moves (faces with a displaced corner),
    and how many of the SAMPLES drawn over the whole surface fell on the still plane instead: those
    lie on the patch's own plane, at distance 0, so they are counted and not measured."""
    n = moved.shape[0] - 2
    faces = decoded.faces[moved.ravel()[decoded.faces].any(axis=1)]
    c = np.concatenate([[-1.0], -1.0 + (2.0 * np.arange(n) + 1.0) / n, [1.0]])
    flat = np.stack(np.meshgrid(c, -c), axis=-1).reshape(-1, 2)  # the grid before it is displaced
    still_area = 4.0 - float(np.abs(signed_areas_2d(flat, faces)).sum())
    moved_area = float(face_areas(decoded.vertices, faces).sum())
    rng = np.random.default_rng(seed)
    count = int(rng.binomial(SAMPLES, moved_area / (moved_area + still_area))) if len(faces) else 0
    if count == 0:
        return np.zeros((0, 3)), SAMPLES
    return sample_surface(Patch(decoded.vertices, faces, decoded.labels), count, seed).points, SAMPLES - count


def _to_decoded(points: np.ndarray, moved: np.ndarray, decoded: Patch) -> np.ndarray:
    """Distance from each point to the decoded surface. A point on the plane (z = 0) over a still
    cell lies on that flat cell: 0. The others are measured against the faces near the moved
    region (libigl's AABB tree over a fifth of the grid, typically) and against the still cell
    below them, |z|, whichever is nearer; the flat plane farther off is never nearer than both."""
    from scipy.ndimage import binary_dilation

    n = moved.shape[0] - 2
    c = np.concatenate([[-1.0], -1.0 + (2.0 * np.arange(n) + 1.0) / n, [1.0]])
    col = np.clip(np.searchsorted(c, points[:, 0]) - 1, 0, n)
    row = np.clip(np.searchsorted(c, -points[:, 1]) - 1, 0, n)  # grid rows run toward -y
    cell_moved = moved[row, col] | moved[row + 1, col] | moved[row, col + 1] | moved[row + 1, col + 1]
    distance = np.zeros(len(points))
    measure = (points[:, 2] != 0.0) | cell_moved
    near = binary_dilation(moved, iterations=NEAR_PIXELS).ravel()
    faces = decoded.faces[near[decoded.faces].any(axis=1)]
    if measure.any() and len(faces):
        below = np.where(cell_moved[measure], np.inf, np.abs(points[measure, 2]))
        distance[measure] = np.minimum(
            mesh_distance(points[measure], Patch(decoded.vertices, faces, decoded.labels)), below
        )
    elif measure.any():
        distance[measure] = np.abs(points[measure, 2])
    return distance


def stray_geometry(
    decoded: Patch, patch: Patch, seed: int, seen_by: tuple[int, ...] | None = None
) -> tuple[float, float, float]:
    """`stray_share`, `stray_p99` and `stray_seen` (module docstring; nan without `seen_by`); 0 where
    nothing leaves the plane."""
    raised = decoded.faces[(decoded.vertices[decoded.faces, 2] != 0.0).any(axis=1)]
    if not len(raised):
        return 0.0, 0.0, 0.0 if seen_by is not None else np.nan
    points = sample_surface(Patch(decoded.vertices, raised, decoded.labels), SAMPLES, seed).points
    distance = mesh_distance(points, patch)
    stray = distance > STRAY
    seen = float((stray & ~unseen_points(patch, points, seen_by)).mean()) if seen_by is not None else np.nan
    return float(stray.mean()), float(np.percentile(distance, 99)), float(seen)


DEPTH_PIXELS = 256  # the depth maps unseen_points reads: a pixel is 0.012 of the patch, under STRAY


def unseen_points(patch: Patch, points: np.ndarray, views: tuple[int, ...]) -> np.ndarray:
    """Which points lie where none of the rig's `views` can see: outside the patch's solid (the first
    surface straight below them faces up) and, in every view, behind it (some of the patch's surface
    within STRAY of the point's pixel lies STRAY or more nearer the camera)."""
    from scipy.ndimage import minimum_filter

    from vdm.rig import VIEW_EXTENT, VIEWS, pixel_rays, project

    rays = _Rays(patch)
    below, _ = rays.first_hits(points, np.array([0.0, 0.0, -1.0]))
    corners = patch.vertices[patch.faces[np.maximum(below, 0)]]
    up = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])[:, 2] > 0.0
    hidden = (below >= 0) & up
    reach = int(np.ceil(STRAY * DEPTH_PIXELS / VIEW_EXTENT))
    for k in views:
        origins, direction = pixel_rays(VIEWS[k], DEPTH_PIXELS)
        face, t = rays.first_hits(origins, direction)
        depth = np.where(face >= 0, t, np.inf).reshape(DEPTH_PIXELS, DEPTH_PIXELS)
        nearest = minimum_filter(depth, size=2 * reach + 1, mode="nearest")
        pixels, along = project(points, VIEWS[k], DEPTH_PIXELS)
        col, row = (np.clip(pixels[:, i].astype(np.int64), 0, DEPTH_PIXELS - 1) for i in (0, 1))
        hidden &= along > nearest[row, col] + STRAY
    return hidden


def brush_scores(
    displacement: np.ndarray,
    patch: Patch,
    seed: int = 0,
    crossings: int | None = None,
    seen_by: tuple[int, ...] | None = None,
    decoded: Patch | None = None,
    fit: StampFit | None = None,
) -> BrushScores:
    """All the section-6b figures of a VDM (an (N, N, 3) displacement) against its patch. `crossings`
    is the exact count a bake has already made (BakedBrush.report["crossing"]; -1: not counted);
    None counts it here. With `seen_by`, undercuts count only where those rig views see them.
    `decoded` is the VDM's surface (vdm_to_patch) when the caller has made it already. For a brush
    (its `fit`, BakedBrush.fit) the bare plane is the patch frame's: from AWAY * scale off the part,
    and the plane of the patch's square that lies beyond the brush's square counts, unmoved; the
    figures are in the brush's own units (a scale times the patch frame's)."""
    decoded = decoded if decoded is not None else vdm_to_patch(displacement)
    sample = sample_surface(patch, SAMPLES, seed)
    truth = sample.points
    moved = moved_vertices(displacement)
    got, still = _decoded_sample(moved, decoded, seed + 1)
    away = away_from_footprint(patch, displacement.shape[0], fit.scale if fit else 1.0)
    extra = fit.outside_square(displacement.shape[0]) if fit else 0.0
    plane_pixels = away.sum() + extra
    slide = plane_slide(displacement, away, extra)
    tilt = np.degrees(np.arccos(np.clip(decoded_normals(displacement)[..., 2], -1.0, 1.0)))
    lift, crease = (
        float(value[away].sum() / plane_pixels) if plane_pixels else 0.0
        for value in (np.abs(displacement[..., 2]), (tilt > CREASE_DEG).astype(np.float64))
    )
    to_decoded = _to_decoded(truth, moved, decoded)
    under = undercut_points(patch, truth)
    scored = under & seen_points(patch, truth, sample.normals, seen_by) if seen_by is not None else under
    recall = float((to_decoded[scored] < KEPT).mean()) if scored.any() else float("nan")
    centre_offset, outside_circle = stamp_placement(displacement)
    stray_share, stray_p99, stray_seen = stray_geometry(decoded, patch, seed + 2, seen_by)
    to_patch = float(mesh_distance(got, patch).sum()) / (len(got) + still) if len(got) else 0.0
    if crossings is None:
        crossings = crossing_pixels(displacement, decoded)[0]
    return BrushScores(
        chamfer=0.5 * (to_patch + float(to_decoded.mean())),
        slide=slide,
        lift=lift,
        crease=crease,
        self_intersections=crossings,
        undercut_recall=recall,
        undercut_share=float(under.mean()),
        stray_share=stray_share,
        stray_p99=stray_p99,
        centre_offset=centre_offset,
        outside_circle=outside_circle,
        stray_seen=stray_seen,
    )
