"""Surface comparison used by tests and benchmarks: Chamfer distance, F-score, normal consistency.

Surfaces are compared through points sampled uniformly by area (a fixed seed: same meshes, same
numbers). Distances are Euclidean, in patch half-widths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from vdm.geometry import area_vectors
from vdm.patch import Patch

DEFAULT_SAMPLES = 30_000


@dataclass(frozen=True)
class SurfaceSample:
    """Points on a surface and the unit normals of the triangles they lie on."""

    points: np.ndarray  # (N, 3)
    normals: np.ndarray  # (N, 3)


def sample_surface(patch: Patch, n: int = DEFAULT_SAMPLES, seed: int = 0) -> SurfaceSample:
    """`n` points uniformly by area on a triangle mesh, with their face normals."""
    tri = patch.vertices[patch.faces]
    cross = area_vectors(patch.vertices, patch.faces)
    area = np.linalg.norm(cross, axis=1)
    rng = np.random.default_rng(seed)
    face = rng.choice(len(tri), size=n, p=area / area.sum())
    u, v = rng.random(n), rng.random(n)
    flip = u + v > 1.0
    u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
    t = tri[face]
    points = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
    normals = cross[face] / np.maximum(area[face], 1e-20)[:, None]
    return SurfaceSample(points, normals)


def _nearest(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point of a to b, and the index of the nearest point of b."""
    return cKDTree(b).query(a, workers=-1)


def chamfer(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric mean Chamfer distance: (mean_a d(a, B) + mean_b d(b, A)) / 2, unsquared."""
    return 0.5 * float(_nearest(a, b)[0].mean() + _nearest(b, a)[0].mean())


def fscore(a: np.ndarray, b: np.ndarray, threshold: float) -> float:
    """F-score at a distance threshold: harmonic mean of precision (a near b) and recall (b near a)."""
    precision = float((_nearest(a, b)[0] < threshold).mean())
    recall = float((_nearest(b, a)[0] < threshold).mean())
    return 0.0 if precision + recall == 0.0 else 2.0 * precision * recall / (precision + recall)


def normal_consistency(a: SurfaceSample, b: SurfaceSample) -> float:
    """Mean |cos| between each point's normal and its nearest neighbour's on the other surface, both ways."""
    _, ia = _nearest(a.points, b.points)
    _, ib = _nearest(b.points, a.points)
    cos_a = np.abs(np.einsum("ij,ij->i", a.normals, b.normals[ia]))
    cos_b = np.abs(np.einsum("ij,ij->i", b.normals, a.normals[ib]))
    return 0.5 * float(cos_a.mean() + cos_b.mean())


@dataclass(frozen=True)
class SurfaceScores:
    """Chamfer, F-score at 0.02 and 0.05, and normal consistency of a surface against the truth."""

    chamfer: float
    fscore_002: float
    fscore_005: float
    normal_consistency: float


def compare(result: Patch, truth: Patch, n: int = DEFAULT_SAMPLES, seed: int = 0) -> SurfaceScores:
    """All the metrics of a reconstructed surface against the true one."""
    a, b = sample_surface(result, n, seed), sample_surface(truth, n, seed + 1)
    return SurfaceScores(
        chamfer(a.points, b.points),
        fscore(a.points, b.points, 0.02),
        fscore(a.points, b.points, 0.05),
        normal_consistency(a, b),
    )
