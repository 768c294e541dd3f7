"""`stitch_selection`: selected faces of a loaded mesh -> one clean patch (steps 1-6 of the stage)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from vdm.meshtools import split_chords
from vdm.patch import PART, Patch
from vdm.remesh import remesh
from vdm.sources import LoadedMesh
from vdm.stitching.config import StitchConfig
from vdm.stitching.extract import check_face_ids, sample_selection
from vdm.stitching.flatten import border_plane, flatten_part
from vdm.stitching.gates import check_gates, detail_change, measure_gates
from vdm.stitching.plane import join_plane, smooth_seam
from vdm.stitching.poisson import poisson_surface
from vdm.stitching.trim import trim_to_samples

log = logging.getLogger(__name__)

PLANE_GREY = np.array([128, 128, 128], dtype=np.uint8)  # the base plane's albedo 0.5


@dataclass
class StitchResult:
    """The accepted patch and the report of every step's measurements and every gate."""

    patch: Patch
    report: dict  # deterministic: measurements and gates, no timings
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each step


class _Clock:
    """Wall-clock seconds per pipeline step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = now - self._last
        self._last = now


def _fit_scale(local: np.ndarray, config: StitchConfig) -> tuple[np.ndarray, float]:
    """Centre of the footprint and the scale that fits it inside the square's margin and height."""
    lo, hi = local[:, :2].min(axis=0), local[:, :2].max(axis=0)
    half = max(float((hi - lo).max()) / 2.0, 1e-12)
    height = max(float(local[:, 2].max()), 1e-12)
    return (lo + hi) / 2.0, min((1.0 - config.margin) / half, config.max_height / height)


def stitch_selection(
    mesh: LoadedMesh, face_ids: np.ndarray, config: StitchConfig | None = None
) -> StitchResult:
    """Fuse the selected faces into one patch (raises vdm.errors.Rejected with the stage and reason)."""
    config = config or StitchConfig()
    clock = _Clock()
    ids = check_face_ids(mesh, face_ids, config)
    samples = sample_selection(mesh, ids, config)
    clock.lap("extract")
    poisson_v, poisson_f = poisson_surface(samples, config.depth, config.backend, config.point_weight)
    clock.lap("poisson")
    trimmed = trim_to_samples(
        poisson_v, poisson_f, samples.points, samples.spacing, config.trim_distance, config.max_hole_fraction
    )
    # Remesh at the target edge length, measured in the patch's units (scale estimated before flattening).
    _, scale_guess = _fit_scale(
        border_plane(trimmed.vertices, trimmed.loop).to_local(trimmed.vertices), config
    )
    part_v, part_f, loop = remesh(
        trimmed.vertices, trimmed.faces, config.target_edge_length / scale_guess, config.remesh_iterations
    )
    part_v, part_f = split_chords(part_v, part_f, loop)
    clock.lap("trim")
    frame = border_plane(part_v, loop)
    flat, flat_measures = flatten_part(part_v, part_f, loop, frame, config)
    clock.lap("flatten")
    centre, scale = _fit_scale(flat, config)
    part = np.c_[(flat[:, :2] - centre) * scale, flat[:, 2] * scale]
    part[loop, 2] = 0.0
    vertices, faces, labels = join_plane(part, part_f, loop, config.target_edge_length)
    vertices = smooth_seam(vertices, faces, loop, config.seam_band, config.seam_iterations)
    clock.lap("stitch")

    colours = None
    if samples.colours is not None:
        _, nearest = cKDTree(samples.points).query(part_v)
        colours = np.tile(PLANE_GREY, (len(vertices), 1))
        colours[: len(part_v)] = samples.colours[nearest, :3]
    patch = Patch(vertices, faces, labels, colours)

    reference = frame.to_local(part_v) * scale
    seam_distance, _ = cKDTree(part[loop]).query(vertices[: len(part_v)])
    detail = detail_change(reference, vertices[: len(part_v)], part_f, seam_distance > config.seam_band)
    gates = measure_gates(patch, config.gates, detail)
    report = {
        "source": mesh.source.to_json(),
        "config": config.to_json(),
        "extract": samples.measures,
        "poisson": {"vertices": len(poisson_v), "faces": len(poisson_f)},
        "trim": trimmed.measures,
        "flatten": {
            **flat_measures,
            "part_vertices": len(part_v),
            "part_faces": len(part_f),
            "loop_vertices": len(loop),
        },
        "patch": {
            "vertices": len(vertices),
            "faces": len(faces),
            "part_vertices": int((labels == PART).sum()),
            "scale": scale,
            "max_height": float(vertices[:, 2].max()),
        },
        "gates": gates,
        "accepted": all(g["pass"] for g in gates.values()),
    }
    clock.lap("gates")
    check_gates(gates)
    log.debug("stitched %d faces into a patch of %d faces", len(ids), len(faces))
    return StitchResult(patch, report, clock.seconds)
