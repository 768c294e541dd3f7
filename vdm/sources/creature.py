"""A procedural "Objaverse-like" asset: a creature head built the way real downloads are.

Real Objaverse parts are polygon soups, so this one is too: separate shells that overlap and
intersect (head, ears, snout, eyes, horns), a head split along a seam with duplicated vertices,
horns left open at the base, a patch of flipped faces on one ear and a few degenerate faces.
Y is up and the face looks toward +z, as in glTF. Vertices are rounded to 1e-6 so the mesh, and
so its sha256, is the same on every machine.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

SKIN = (188, 146, 116, 255)
INNER_EAR = (214, 150, 150, 255)
SNOUT = (200, 118, 112, 255)
HORN = (232, 222, 190, 255)
EYE = (24, 22, 20, 255)

Part = tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]


def ellipsoid(center, radii, colour, subdivisions=3, euler_deg=(0.0, 0.0, 0.0)) -> Part:
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    rotation = Rotation.from_euler("xyz", euler_deg, degrees=True).as_matrix()
    vertices = (np.asarray(sphere.vertices) * np.asarray(radii)) @ rotation.T + np.asarray(center)
    return vertices, np.asarray(sphere.faces, dtype=np.int64), colour


def _horn(base, direction_sign: float, colour, rings: int = 28, segments: int = 24) -> Part:
    """A tapered tube swept along a curve, open at the base (a gap where it meets the head)."""
    t = np.linspace(0.0, 1.0, rings)
    spine = np.asarray(base) + np.stack(
        [direction_sign * (0.55 * t + 0.15 * t**2), 0.95 * t - 0.25 * t**2, -0.45 * t**2], axis=1
    )
    return tube(spine, 0.17 * (1.0 - t) ** 0.9 + 0.004, colour, segments)


def tube(spine: np.ndarray, radius: np.ndarray, colour, segments: int = 24) -> Part:
    """A tube of `radius` (per spine point) swept along `spine`, closed by a point just past its
    end and open at its start (where it meets the shell it grows from)."""
    rings = len(spine)
    tangent = np.gradient(spine, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    ref = np.array([0.0, 0.0, 1.0])
    side = np.cross(tangent, ref)
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    other = np.cross(tangent, side)
    angles = np.linspace(0.0, 2.0 * np.pi, segments, endpoint=False)
    ring = (
        np.cos(angles)[None, :, None] * side[:, None, :] + np.sin(angles)[None, :, None] * other[:, None, :]
    )
    vertices = (spine[:, None, :] + radius[:, None, None] * ring).reshape(-1, 3)
    tip = len(vertices)
    vertices = np.vstack([vertices, spine[-1] + 0.03 * tangent[-1]])
    faces = []
    for i in range(rings - 1):
        for j in range(segments):
            a, b = i * segments + j, i * segments + (j + 1) % segments
            c, d = a + segments, b + segments
            faces += [[a, b, d], [a, d, c]]
    last = (rings - 1) * segments
    faces += [[last + j, last + (j + 1) % segments, tip] for j in range(segments)]
    faces = np.asarray(faces, dtype=np.int64)
    # Wind outward: the first ring's faces must point away from the spine.
    centre = trimesh.Trimesh(vertices, faces, process=False)
    outward = np.einsum("ij,ij->i", centre.face_normals, centre.triangles_center - spine.mean(axis=0))
    if np.median(outward) < 0:
        faces = faces[:, ::-1].copy()
    return vertices, faces, colour


def _split_with_seam(part: Part) -> list[Part]:
    """Cut a shell into its x<0 and x>=0 halves, each with its own copy of the seam vertices."""
    vertices, faces, colour = part
    left = vertices[faces].mean(axis=1)[:, 0] < 0.0
    halves = []
    for keep in (left, ~left):
        used, inverse = np.unique(faces[keep], return_inverse=True)
        halves.append((vertices[used], inverse.reshape(-1, 3).astype(np.int64), colour))
    return halves


def creature_parts() -> list[Part]:
    """The creature's shells, in file order."""
    parts: list[Part] = []
    parts += _split_with_seam(ellipsoid((0.0, 0.0, 0.0), (1.0, 0.9, 0.95), SKIN, subdivisions=4))
    for sign in (-1.0, 1.0):
        parts.append(ellipsoid((sign * 0.88, 0.55, -0.05), (0.42, 0.1, 0.26), SKIN, 3, (0, 15, sign * 35)))
        parts.append(
            ellipsoid((sign * 0.93, 0.58, 0.02), (0.3, 0.05, 0.17), INNER_EAR, 2, (0, 15, sign * 35))
        )
    parts.append(ellipsoid((0.0, -0.2, 0.92), (0.34, 0.26, 0.3), SNOUT, subdivisions=3))
    for sign in (-1.0, 1.0):
        parts.append(ellipsoid((sign * 0.36, 0.25, 0.8), (0.13, 0.13, 0.13), EYE, subdivisions=2))
        parts.append(_horn((sign * 0.42, 0.62, 0.05), sign, HORN))
    return parts


def soup_arrays(parts: list[Part]) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Shells as one polygon soup: vertices, each shell's faces (offset into the soup) and RGBA
    vertex colours."""
    vertices, faces, colours = [], [], []
    offset = 0
    for v, f, colour in parts:
        vertices.append(v)
        faces.append(f + offset)
        colours.append(np.tile(np.asarray(colour, dtype=np.uint8), (len(v), 1)))
        offset += len(v)
    return np.concatenate(vertices), faces, np.concatenate(colours)


def creature_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (float64), faces (int64) and RGBA vertex colours of the whole soup."""
    vertices, faces, colours = soup_arrays(creature_parts())
    faces_all = np.concatenate(faces)
    # A patch of flipped faces on the left ear (part 2), as careless exports have.
    ear_start = sum(len(f) for f in faces[:2])
    faces_all[ear_start : ear_start + 40] = faces_all[ear_start : ear_start + 40, ::-1]
    # A few degenerate faces: repeated vertices and a zero-area sliver on the head.
    a, b, c = faces_all[0]
    degenerate = np.array([[a, a, b], [b, c, c], [a, b, a], [c, c, c]], dtype=np.int64)
    return np.round(vertices, 6), np.concatenate([faces_all, degenerate]), colours
