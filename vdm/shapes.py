"""Analytic patches with known geometry, for the tests, the benchmarks and evaluation: a mushroom
(a cap that overhangs its stem, so not a height field) as a surface of revolution stitched to the
square, points on its undercut, and tubes swept along curves (a horn curling over, a hook, an ear
whose helix folds over its front)."""

from __future__ import annotations

import numpy as np

from vdm.patch import PART, PLANE, Patch

CAP_CENTRE_Z, CAP_RADIUS, CAP_HEIGHT = 0.6, 0.6, 0.3
RIM_RADIUS = 0.05
UNDERSIDE_INNER_Z = 0.42
STEM_RADIUS = 0.22


def mushroom_profile(n: int = 120) -> np.ndarray:
    """(r, z) from the top of the cap over the dome, round the rim, under the cap and down the stem."""
    theta = np.linspace(0.0, np.pi / 2, 60)
    dome = np.stack([CAP_RADIUS * np.sin(theta), CAP_CENTRE_Z + CAP_HEIGHT * np.cos(theta)], 1)
    phi = np.linspace(np.pi / 2, -np.pi / 2, 20)[1:]
    rim_centre = np.array([CAP_RADIUS, CAP_CENTRE_Z - RIM_RADIUS])
    rim = rim_centre + RIM_RADIUS * np.stack([np.cos(phi), np.sin(phi)], 1)
    under_start = rim[-1]
    s = np.linspace(0.0, 1.0, 20)[1:, None]
    under = under_start + s * (np.array([STEM_RADIUS, UNDERSIDE_INNER_Z]) - under_start)
    stem = np.stack([np.full(20, STEM_RADIUS), np.linspace(UNDERSIDE_INNER_Z, 0.0, 21)[1:]], 1)
    polyline = np.concatenate([dome, rim, under, stem])
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(polyline, axis=0), axis=1))])
    t = np.linspace(0.0, arc[-1], n + 1)
    return np.stack([np.interp(t, arc, polyline[:, 0]), np.interp(t, arc, polyline[:, 1])], 1)


def ring_patch(tip: np.ndarray, rings: np.ndarray, n_plane: int = 20) -> Patch:
    """A disk-topology patch from a part given as `rings` (R, K, 3) of K points each, from the one
    next to the `tip` point down to the base ring on z = 0 (counter-clockwise seen from +z, star-shaped
    about the origin), then rings of the plane from the base ring out to the square's border, along
    the rays from the origin through the base ring's points."""
    n_around = rings.shape[1]
    foot = rings[-1, :, :2]
    direction = foot / np.linalg.norm(foot, axis=1, keepdims=True)  # each foot point's polar angle
    border = direction / np.abs(direction).max(axis=1, keepdims=True)
    for corner in ((1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)):  # the border keeps the corners
        border[np.argmax(direction @ np.array(corner))] = corner
    s = np.linspace(0.0, 1.0, n_plane + 1)[1:, None, None]
    plane_xy = (foot + s * (border - foot)).reshape(-1, 2)
    plane = np.column_stack([plane_xy, np.zeros(len(plane_xy))])
    vertices = np.concatenate([[tip], rings.reshape(-1, 3), plane])
    n_rings = len(rings) + n_plane

    def ring(r: int) -> np.ndarray:
        return 1 + (r - 1) * n_around + np.arange(n_around)

    faces = [np.stack([np.zeros(n_around, int), ring(1), np.roll(ring(1), -1)], 1)]
    for r in range(1, n_rings):
        a, b = ring(r), ring(r + 1)
        faces += [np.stack([a, b, np.roll(b, -1)], 1), np.stack([a, np.roll(b, -1), np.roll(a, -1)], 1)]
    labels = np.full(len(vertices), PLANE, dtype=np.uint8)
    labels[: 1 + rings.shape[0] * n_around] = PART
    return Patch(vertices, np.concatenate(faces), labels)


def revolved_rings(profile: np.ndarray, n_around: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """(tip, rings) of a profile (r, z) revolved about z (first point on the axis, last on the plane)."""
    phi = np.linspace(0.0, 2.0 * np.pi, n_around, endpoint=False)
    ring_r, ring_z = profile[1:, 0], profile[1:, 1]
    rings = np.stack(
        [
            ring_r[:, None] * np.cos(phi),
            ring_r[:, None] * np.sin(phi),
            np.repeat(ring_z[:, None], n_around, 1),
        ],
        -1,
    )
    return np.array([0.0, 0.0, profile[0, 1]]), rings


def revolved_patch(profile: np.ndarray, n_around: int = 160, n_plane: int = 20) -> Patch:
    """A profile (r, z) revolved about z (first point on the axis, last on the plane)."""
    return ring_patch(*revolved_rings(profile, n_around), n_plane)


def swept_rings(
    centres: np.ndarray, radii: np.ndarray, n_around: int = 96, width: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(tip, rings) of a tube swept along a curve in the xz-plane, from its base at the origin
    (heading up +z) to its tip, with the given radius at each centre (`width` times that across the
    curve's plane, +y)."""
    phi = np.linspace(0.0, 2.0 * np.pi, n_around, endpoint=False)
    tangent = np.gradient(centres, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    side = np.array([0.0, 1.0, 0.0])  # the curve is planar: the binormal stays +y
    normal = np.cross(side, tangent)
    around = np.cos(phi)[None, :, None] * normal[:, None, :] + width * np.sin(phi)[None, :, None] * side
    rings = (centres[:, None, :] + radii[:, None, None] * around)[::-1]  # from the tip down to the base
    rings[-1, :, 2] = 0.0
    return centres[-1] + 0.5 * radii[-1] * tangent[-1], rings


def swept_patch(
    centres: np.ndarray, radii: np.ndarray, n_around: int = 96, n_plane: int = 20, width: float = 1.0
) -> Patch:
    """A tube swept along a curve (`swept_rings`) stitched to the square: a horn, a tusk, a hook, a
    flat ear."""
    return ring_patch(*swept_rings(centres, radii, n_around, width), n_plane)


def curled_horn_patch(n: int = 80) -> Patch:
    """A horn that rises and curls over toward +x, its tip hanging above the plane: an undercut
    under the whole curl."""
    theta = np.linspace(0.0, 0.85 * np.pi, n)
    curl = 0.35
    centres = np.stack([curl * (1.0 - np.cos(theta)), np.zeros(n), curl * np.sin(theta)], 1)
    return swept_patch(centres, np.linspace(0.16, 0.03, n))


def hook_patch(n: int = 90) -> Patch:
    """A stem that rises and bends into a hook whose end points back down at the plane."""
    stem = np.stack([np.zeros(20), np.zeros(20), np.linspace(0.0, 0.6, 20, endpoint=False)], 1)
    theta = np.linspace(0.0, 1.1 * np.pi, n - 20)
    bend = np.stack([0.25 - 0.25 * np.cos(theta), np.zeros(n - 20), 0.6 + 0.25 * np.sin(theta)], 1)
    radii = np.concatenate([np.full(n - 12, 0.07), np.linspace(0.07, 0.02, 12)])
    return swept_patch(np.concatenate([stem, bend]), radii)


def folded_ear_patch(n: int = 90) -> Patch:
    """A flat ear (wide across y, thin along x) that rises and folds its top rim (the helix) over
    its front (+x) and down: a flap hanging over a gap, the undercut of a folded helix."""
    rise = np.stack([np.zeros(30), np.zeros(30), np.linspace(0.0, 0.55, 30, endpoint=False)], 1)
    theta = np.linspace(0.0, 0.95 * np.pi, n - 45)
    fold = np.stack([0.16 - 0.16 * np.cos(theta), np.zeros(len(theta)), 0.55 + 0.16 * np.sin(theta)], 1)
    end = fold[-1]
    flap = np.stack([np.full(15, end[0]), np.zeros(15), np.linspace(end[2], 0.38, 16)[1:]], 1)
    centres = np.concatenate([rise, fold, flap])
    radii = np.concatenate([np.linspace(0.07, 0.045, n - 10), np.linspace(0.045, 0.02, 10)])
    return swept_patch(centres, radii, width=5.0)


def mushroom_patch() -> Patch:
    """The mushroom: its cap's rim overhangs the stem by 0.38 half-widths."""
    return revolved_patch(mushroom_profile())


def under_cap_points(n: int = 2000, seed: int = 0) -> np.ndarray:
    """Points on the cap's underside (the overhang a height field cannot hold)."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.1, 0.9, n)
    start = np.array([CAP_RADIUS, CAP_CENTRE_Z - 2 * RIM_RADIUS])
    rz = start + s[:, None] * (np.array([STEM_RADIUS, UNDERSIDE_INNER_Z]) - start)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    return np.stack([rz[:, 0] * np.cos(phi), rz[:, 0] * np.sin(phi), rz[:, 1]], 1)
