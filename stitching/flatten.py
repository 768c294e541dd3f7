"""Step 3: make the border exactly flat with a Poisson-editing solve that keeps the part's detail.

The plane through the boundary loop is the one that maximises the loop's projected area (its vector
area, which also points to the side the part's outward normals face: the part ends up on +z).
Each vertex gets a target position T = its position in that plane's frame, minus (optionally) the
host's bend; the solve then finds positions X that keep every edge vector X_i - X_j as close as
possible to T_i - T_j (sparse least squares, the uniform Laplacian's normal equations) while the
loop sits EXACTLY on z = 0: the loop is substituted as known values, never penalised, so its
flatness is exact, not approximate.

Host unbending: the surface around the part belongs to the curved host (a head around an ear).
A quadratic height field fitted to a band along the loop models that host; its height is removed
wherever the surface follows it and extended harmonically over the rest (the part), so the host
becomes flat while the part moves with its base instead of being sheared. The loop's in-plane
shape is smoothed a little too: a lasso follows face edges, and their zigzag is not the part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.sparse.linalg import spsolve

from vdm.errors import Rejected
from vdm.geometry import points_in_polygon
from vdm.meshtools import graph_laplacian, loop_self_crossings, signed_area_2d
from vdm.stitching.config import StitchConfig
from vdm.topology import edge_counts

WORLD_UP = np.array([0.0, 1.0, 0.0])
WORLD_BACK = np.array([0.0, 0.0, -1.0])


@dataclass(frozen=True)
class PlaneFrame:
    """Rigid frame of the border plane: local = (x - origin) @ rotation.T, z along the normal."""

    origin: np.ndarray
    rotation: np.ndarray  # rows: in-plane x, in-plane y, normal

    def to_local(self, points: np.ndarray) -> np.ndarray:
        return (points - self.origin) @ self.rotation.T


def border_plane(vertices: np.ndarray, loop: np.ndarray) -> PlaneFrame:
    """The plane of the loop: centroid, normal = vector area, in-plane y = world up where possible."""
    ring = vertices[loop]
    origin = ring.mean(axis=0)
    vector_area = 0.5 * np.cross(ring - origin, np.roll(ring, -1, axis=0) - origin).sum(axis=0)
    norm = float(np.linalg.norm(vector_area))
    extent = float(np.linalg.norm(ring - origin, axis=1).mean())
    if norm < 1e-3 * extent**2:
        raise Rejected(
            "flatten", "The part's boundary loop encloses no area, so it has no plane to flatten onto."
        )
    normal = vector_area / norm
    up = WORLD_UP - normal * float(WORLD_UP @ normal)
    if np.linalg.norm(up) < 0.3:  # the border faces up or down: "up" in the patch is the asset's back
        up = WORLD_BACK - normal * float(WORLD_BACK @ normal)
    y_axis = up / np.linalg.norm(up)
    x_axis = np.cross(y_axis, normal)
    return PlaneFrame(origin, np.stack([x_axis, y_axis, normal]))


def _quadric_terms(uv: np.ndarray) -> np.ndarray:
    u, v = uv[:, 0], uv[:, 1]
    return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=1)


def host_bend(
    local: np.ndarray, faces: np.ndarray, loop: np.ndarray, band: float, tolerance: float
) -> tuple[np.ndarray, dict]:
    """Per-vertex height of the host to remove (all zero where the host model is not trustworthy).

    A quadratic height field is fitted to the band within `band` x the loop's radius of the loop
    (surely host). Every vertex within `tolerance` x radius of that surface and connected to the
    loop through such vertices is host too: its height is removed exactly. The rest (the part) gets
    the harmonic extension, so the part moves with its base instead of being sheared.
    """
    radius = float(np.linalg.norm(local[loop, :2], axis=1).mean())
    edges, _ = edge_counts(faces)
    lengths = np.linalg.norm(local[edges[:, 0]] - local[edges[:, 1]], axis=1)
    rows, cols = np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]]
    weights = sp.csr_matrix((np.r_[lengths, lengths], (rows, cols)), shape=(len(local),) * 2)
    distance = dijkstra(weights, directed=False, indices=loop, min_only=True, limit=band * radius * 1.01)
    in_band = np.isfinite(distance) & (distance <= band * radius)
    terms = _quadric_terms(local[in_band, :2])
    coef, *_ = np.linalg.lstsq(terms, local[in_band, 2], rcond=None)
    fitted = _quadric_terms(local[:, :2]) @ coef
    residual = float(np.sqrt(np.mean((fitted[in_band] - local[in_band, 2]) ** 2)))
    # Trust the host model only when it is a gentle cap that fits the band well.
    inner = np.linalg.norm(local[:, :2], axis=1) <= radius
    sag = float(np.abs(fitted[inner] - fitted[loop].mean()).max()) if inner.any() else 0.0
    gentle = sag < 0.35 * radius and residual < 0.05 * radius and int(in_band.sum()) >= 12
    info = {
        "host_unbent": bool(gentle),
        "host_sag": sag / max(radius, 1e-12),
        "host_fit_rms": residual / radius,
    }
    if not gentle:
        info["host_vertices"] = 0
        return np.zeros(len(local)), info
    on_host = np.abs(local[:, 2] - fitted) < tolerance * radius
    on_host[loop] = True
    keep = on_host[edges[:, 0]] & on_host[edges[:, 1]]
    graph = sp.csr_matrix(
        (
            np.ones(2 * int(keep.sum())),
            (np.r_[edges[keep, 0], edges[keep, 1]], np.r_[edges[keep, 1], edges[keep, 0]]),
        ),
        shape=(len(local),) * 2,
    )
    _, labels = connected_components(graph, directed=False)
    host = np.isin(labels, np.unique(labels[loop])) & on_host
    host |= in_band
    info["host_vertices"] = int(host.sum())
    height = np.zeros(len(local))
    height[host] = fitted[host]
    free = np.flatnonzero(~host)
    if len(free):
        lap = graph_laplacian(faces, len(local))
        fixed = np.flatnonzero(host)
        rhs = -lap[free][:, fixed] @ height[fixed]
        height[free] = np.atleast_1d(spsolve(lap[free][:, free].tocsc(), rhs))
    return height, info


def smooth_loop(points: np.ndarray, iterations: int) -> np.ndarray:
    """Laplacian smoothing of a closed polyline (removes the lasso's face-sized zigzag)."""
    for _ in range(iterations):
        points = 0.5 * points + 0.25 * (np.roll(points, 1, axis=0) + np.roll(points, -1, axis=0))
    return points


def untangle_loop(points: np.ndarray, iterations: int) -> tuple[np.ndarray, int]:
    """Smooth the projected border until it no longer crosses itself (a simple footprint).

    A border that wraps around a thin part projects onto its plane with crossings. After the
    light Laplacian smoothing, a still-crossing border is low-pass filtered along its length
    (Fourier modes |k| <= K for K = 32, 16, ..., 1): the lowest mode alone is an ellipse traced
    once, so any border that turns once around the part ends up simple. Returns the points and
    the number of Fourier modes kept (0 when the smoothing alone was enough).
    """
    points = smooth_loop(points, iterations)
    if not loop_self_crossings(points):
        return points, 0
    spectrum = np.fft.fft(points[:, 0] + 1j * points[:, 1])
    k = np.fft.fftfreq(len(points), 1.0 / len(points))
    for modes in (32, 16, 8, 4, 2, 1):
        z = np.fft.ifft(np.where(np.abs(k) <= modes, spectrum, 0.0))
        filtered = np.stack([z.real, z.imag], axis=1)
        if not loop_self_crossings(filtered) and signed_area_2d(filtered) > 0.0:
            return filtered, modes
    raise Rejected("flatten", "The part's border crosses itself after flattening, so it has no footprint.")


def flatten_part(
    vertices: np.ndarray, faces: np.ndarray, loop: np.ndarray, frame: PlaneFrame, config: StitchConfig
) -> tuple[np.ndarray, dict]:
    """Positions in the plane frame with the loop exactly on z = 0 and the detail kept."""
    target = frame.to_local(vertices)
    measures: dict = {"border_height_range_before": float(np.ptp(target[loop, 2]))}
    if config.unbend_host:
        bend, info = host_bend(target, faces, loop, config.host_band, config.host_tolerance)
        target[:, 2] -= bend
        measures.update(info)
    else:
        measures["host_unbent"] = False
    loop_target = target[loop].copy()
    loop_target[:, :2], measures["border_fourier_modes"] = untangle_loop(
        loop_target[:, :2], config.border_smoothing
    )
    loop_target[:, 2] = 0.0
    lap = graph_laplacian(faces, len(vertices))
    flat = _edit(target, lap, loop, loop_target)
    flat[loop] = loop_target  # exact: the constraint values themselves, not a solve's output
    measures["border_shift_max"] = float(np.abs(loop_target - target[loop]).max())
    flat, measures["lifted_vertices"] = _lift_above_plane(flat, target, lap, loop, loop_target)
    return flat, measures


def _edit(target: np.ndarray, lap: sp.csr_matrix, fixed: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions keeping every edge vector of `target` in the least-squares sense, `fixed` set exactly.

    The correction Y = X - T is harmonic (L Y = 0 at the free vertices) with Y = values - T at
    the fixed ones: the normal equations of the edge-vector energy, solved once (SuperLU).
    """
    correction = np.zeros((len(target), values.shape[1]))
    correction[fixed] = values - target[fixed][:, : values.shape[1]]
    free = np.setdiff1d(np.arange(len(target)), fixed)
    rhs = -lap[free][:, fixed] @ correction[fixed]
    solved = spsolve(lap[free][:, free].tocsc(), rhs)
    correction[free] = solved.reshape(len(free), values.shape[1])
    return target[:, : values.shape[1]] + correction


def _lift_above_plane(
    flat: np.ndarray, target: np.ndarray, lap: sp.csr_matrix, loop: np.ndarray, loop_target: np.ndarray
) -> tuple[np.ndarray, int]:
    """Re-solve heights with part vertices that sank through the plane (outside the border) pinned on it.

    Below the border's footprint the part may dip (a cavity), but outside it a vertex under z = 0
    would pierce the base plane. Such vertices join the constraints at a hair above the plane and
    the heights are solved again (an active set, a few rounds).
    """
    footprint = loop_target[:, :2]
    pinned = np.zeros(len(flat), dtype=bool)
    lift = 1e-3 * float(np.linalg.norm(footprint - footprint.mean(axis=0), axis=1).mean())
    for _ in range(4):
        sunk = flat[:, 2] < 0.0
        sunk[loop] = False
        if not sunk.any():
            break
        sunk[sunk] = ~points_in_polygon(flat[sunk, :2], footprint)
        if not sunk.any():
            break
        pinned |= sunk
        fixed = np.r_[loop, np.flatnonzero(pinned)]
        heights = np.r_[np.zeros(len(loop)), np.full(int(pinned.sum()), lift)]
        flat[:, 2] = _edit(target[:, 2:], lap, fixed, heights[:, None])[:, 0]
        flat[loop, 2] = 0.0
    return flat, int(pinned.sum())
