"""Analytic patches for the render tests: a ball sunk into the base plane, and ray-cast truth; and
a patch's six normal renders, as reconstruction takes them.

The ball (centre (0, 0, zc) with zc > 0, radius R > zc) rises through a round hole in the square:
more than a hemisphere, so it overhangs the plane (an undercut), and its rim is a sharp crease.
"""

from __future__ import annotations

import numpy as np

from vdm.patch import PART, PLANE, Patch
from vdm.rig import View, pixel_rays

BALL_CENTRE = np.array([0.0, 0.0, 0.3])
BALL_RADIUS = 0.6
RIM_RADIUS = float(np.sqrt(BALL_RADIUS**2 - BALL_CENTRE[2] ** 2))


def ball_patch(n_around: int = 256, n_ball: int = 96, n_plane: int = 24) -> Patch:
    """A disk-topology patch: the ball cap above the plane, stitched to the square at its rim."""
    phi = np.linspace(0.0, 2.0 * np.pi, n_around, endpoint=False)
    # Polar angle from the top of the ball (0) down to the rim (below the equator).
    theta_rim = np.arccos(-BALL_CENTRE[2] / BALL_RADIUS)
    theta = np.linspace(0.0, theta_rim, n_ball + 1)[1:]
    ring = np.stack(
        [
            np.sin(theta)[:, None] * np.cos(phi),
            np.sin(theta)[:, None] * np.sin(phi),
            np.repeat(np.cos(theta)[:, None], n_around, axis=1),
        ],
        axis=-1,
    )
    ball = (BALL_CENTRE + BALL_RADIUS * ring).reshape(-1, 3)
    ball[-n_around:, 2] = 0.0  # the rim lies exactly on the plane
    top = BALL_CENTRE + np.array([0.0, 0.0, BALL_RADIUS])
    # The plane: rings from the rim circle out to the square's border, along rays from the origin.
    border = (
        np.stack([np.cos(phi), np.sin(phi)], axis=1)
        / np.maximum(np.abs(np.cos(phi)), np.abs(np.sin(phi)))[:, None]
    )
    rim = RIM_RADIUS * np.stack([np.cos(phi), np.sin(phi)], axis=1)
    s = np.linspace(0.0, 1.0, n_plane + 1)[1:, None, None]
    plane_xy = rim + s * (border - rim)
    plane = np.concatenate([plane_xy, np.zeros((*plane_xy.shape[:2], 1))], axis=-1).reshape(-1, 3)
    vertices = np.concatenate([[top], ball, plane])

    def ring_index(r: int) -> np.ndarray:  # ring 0 = top vertex, then ball rings, then plane rings
        return 1 + (r - 1) * n_around + np.arange(n_around)

    faces = [np.stack([np.zeros(n_around, int), ring_index(1), np.roll(ring_index(1), -1)], axis=1)]
    for r in range(1, n_ball + n_plane):
        a, b = ring_index(r), ring_index(r + 1)
        a1, b1 = np.roll(a, -1), np.roll(b, -1)
        faces += [np.stack([a, b, b1], axis=1), np.stack([a, b1, a1], axis=1)]
    labels = np.full(len(vertices), PLANE, dtype=np.uint8)
    labels[: 1 + n_ball * n_around] = PART
    return Patch(vertices, np.concatenate(faces), labels)


PLANE_CLASS, BALL_CLASS = 1, 2


def analytic_view(view: View, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel centre: surface class (0 background, 1 plane, 2 ball), unit normal, and depth."""
    origins, d = pixel_rays(view, size)
    n_px = len(origins)
    # Ball: first intersection, valid where it lies on or above the plane.
    oc = origins - BALL_CENTRE
    b = oc @ d
    disc = b * b - (np.einsum("ij,ij->i", oc, oc) - BALL_RADIUS**2)
    t_ball = -b - np.sqrt(np.maximum(disc, 0.0))
    p_ball = origins + t_ball[:, None] * d
    t_ball = np.where((disc >= 0) & (p_ball[:, 2] >= 0), t_ball, np.inf)
    # Plane: z = 0 inside the square and outside the rim circle.
    t_plane = -origins[:, 2] / d[2]
    p_plane = origins + t_plane[:, None] * d
    inside = (np.abs(p_plane[:, :2]) <= 1.0).all(axis=1) & (
        np.hypot(p_plane[:, 0], p_plane[:, 1]) >= RIM_RADIUS
    )
    t_plane = np.where(inside, t_plane, np.inf)
    cls = np.where(
        np.isfinite(np.minimum(t_ball, t_plane)), np.where(t_ball < t_plane, BALL_CLASS, PLANE_CLASS), 0
    )
    normals = np.zeros((n_px, 3))
    normals[cls == PLANE_CLASS] = [0.0, 0.0, 1.0]
    normals[cls == BALL_CLASS] = (p_ball[cls == BALL_CLASS] - BALL_CENTRE) / BALL_RADIUS
    depth = np.where(cls > 0, np.minimum(t_ball, t_plane), 0.0)
    return cls.reshape(size, size), normals.reshape(size, size, 3), depth.reshape(size, size)


def octahedra(centres: np.ndarray, radius: float) -> Patch:
    """Small closed octahedra (outward normals) around known points: markers for the rig test."""
    axes = np.concatenate([np.eye(3), -np.eye(3)])  # +x +y +z -x -y -z
    tri = np.array([[0, 1, 2], [1, 3, 2], [3, 4, 2], [4, 0, 2], [1, 0, 5], [3, 1, 5], [4, 3, 5], [0, 4, 5]])
    vertices = np.concatenate([c + radius * axes for c in centres])
    faces = np.concatenate([tri + 6 * i for i in range(len(centres))])
    return Patch(vertices, faces, np.full(len(vertices), PART, dtype=np.uint8))


def normal_renders(patch: Patch, size: int = 128) -> dict[int, np.ndarray]:
    """The patch's normal maps in the rig's views, at `size` pixels (128: the fast quality's)."""
    from vdm.render.renderer import PatchRenderer  # pyrender and EGL only for the tests that render

    with PatchRenderer(size) as renderer:
        return {k: v.normal for k, v in renderer.render(patch).items()}
