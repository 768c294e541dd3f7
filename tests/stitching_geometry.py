"""Ground-truth geometry for the stitching tests: a mushroom patch bent onto a sphere as a soup.

The mushroom (a stem and an overhanging cap) stands on the plane z = 0. The "asset" bends the
plane onto a sphere of radius 2 tangent at the origin, carrying the stem and cap along, and is a
soup of three separate closed shells that overlap: the sphere, the stem (reaching into the
sphere) and the cap (swallowing the stem's top), with a patch of the cap's faces flipped.
"""

from __future__ import annotations

import numpy as np
import trimesh

from vdm.sources import LoadedMesh, SourceRef

HOST_RADIUS = 2.0
STEM_RADIUS, STEM_TOP, STEM_BOTTOM = 0.16, 0.6, -0.35
CAP_CENTRE_Z, CAP_RADII = 0.6, (0.5, 0.5, 0.26)
LASSO_RADIUS = 0.72


def sag(xy: np.ndarray) -> np.ndarray:
    """How far the sphere drops below the plane z = 0 at (x, y)."""
    r2 = np.minimum((xy**2).sum(axis=1), HOST_RADIUS**2)
    return HOST_RADIUS - np.sqrt(HOST_RADIUS**2 - r2)


def bend(points: np.ndarray) -> np.ndarray:
    """Bend space so the plane z = 0 lands on the sphere (everything above moves with it)."""
    out = points.copy()
    out[:, 2] -= sag(points[:, :2])
    return out


def stem_mesh() -> trimesh.Trimesh:
    stem = trimesh.creation.cylinder(radius=STEM_RADIUS, height=STEM_TOP - STEM_BOTTOM, sections=48)
    stem = stem.subdivide().subdivide().subdivide()
    stem.apply_translation([0.0, 0.0, (STEM_TOP + STEM_BOTTOM) / 2.0])
    return stem


def cap_mesh() -> trimesh.Trimesh:
    cap = trimesh.creation.icosphere(subdivisions=4)
    cap.vertices = cap.vertices * np.asarray(CAP_RADII) + [0.0, 0.0, CAP_CENTRE_Z]
    return cap


def host_mesh() -> trimesh.Trimesh:
    host = trimesh.creation.icosphere(subdivisions=5, radius=HOST_RADIUS)
    host.apply_translation([0.0, 0.0, -HOST_RADIUS])
    return host


def mushroom_asset() -> tuple[LoadedMesh, np.ndarray]:
    """The bent soup as a loaded mesh, and the face ids a lasso around the mushroom selects."""
    shells = [host_mesh(), stem_mesh(), cap_mesh()]
    vertices, faces, offset = [], [], 0
    for i, shell in enumerate(shells):
        v = np.asarray(shell.vertices, dtype=np.float64)
        if i > 0:
            v = bend(v)
        f = np.asarray(shell.faces, dtype=np.int64)
        if i == 2:  # a careless export: some of the cap's faces wound the wrong way
            f[:150] = f[:150, ::-1]
        vertices.append(v)
        faces.append(f + offset)
        offset += len(v)
    vertices, faces = np.concatenate(vertices), np.concatenate(faces)
    centroid = vertices[faces].mean(axis=1)
    lassoed = (np.linalg.norm(centroid[:, :2], axis=1) < LASSO_RADIUS) & (centroid[:, 2] > -1.0)
    mesh = LoadedMesh(SourceRef("file", "mushroom-on-sphere", "0" * 64), vertices, faces)
    return mesh, np.flatnonzero(lassoed)


def ground_truth_points(count: int = 6_000, seed: int = 0) -> np.ndarray:
    """Points on the unbent part: the mushroom's outer surface and the plane inside the lasso."""
    rng = np.random.default_rng(seed)
    pieces = []
    for shell in (stem_mesh(), cap_mesh()):
        pts, _ = trimesh.sample.sample_surface(shell, count, seed=int(rng.integers(1 << 31)))
        pieces.append(pts)
    disk = rng.uniform(-LASSO_RADIUS, LASSO_RADIUS, (4 * count, 2))
    disk = disk[np.linalg.norm(disk, axis=1) < LASSO_RADIUS]
    pieces.append(np.c_[disk, np.zeros(len(disk))])
    pts = np.concatenate(pieces)
    # Inside tests with a 1% margin: a facetted shell's own points lie slightly inside its ideal shape.
    in_cap = (((pts - [0.0, 0.0, CAP_CENTRE_Z]) / CAP_RADII) ** 2).sum(axis=1) < 0.98
    in_stem = (
        (np.linalg.norm(pts[:, :2], axis=1) < 0.99 * STEM_RADIUS)
        & (pts[:, 2] < STEM_TOP - 0.005)
        & (pts[:, 2] > STEM_BOTTOM)
    )
    keep = ~in_cap & ~in_stem & (pts[:, 2] >= 0.0)
    return pts[keep]


def initial_alignment(part: np.ndarray) -> np.ndarray:
    """Patch-frame part points moved into the ground truth's frame by height and cap centre."""
    top = float(part[:, 2].max())
    scale = (CAP_CENTRE_Z + CAP_RADII[2]) / top
    cap = part[part[:, 2] > 0.5 * top]
    centre = np.r_[cap[:, :2].mean(axis=0), 0.0]
    return (part - centre) * scale


def similarity_align(source: np.ndarray, target: np.ndarray, iterations: int = 15) -> np.ndarray:
    """`source` moved by the best rotation, uniform scale and translation onto `target` (ICP)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(target)
    moved = source.copy()
    for _ in range(iterations):
        _, nn = tree.query(moved)
        _, back = cKDTree(moved).query(target)
        src = np.vstack([moved, moved[back]])
        dst = np.vstack([target[nn], target])
        mu_s, mu_d = src.mean(0), dst.mean(0)
        cov = (dst - mu_d).T @ (src - mu_s) / len(src)
        u, sv, vt = np.linalg.svd(cov)
        d = np.eye(3)
        d[2, 2] = np.sign(np.linalg.det(u @ vt))
        rot = u @ d @ vt
        s = float(np.trace(np.diag(sv) @ d) / ((src - mu_s) ** 2).sum(1).mean())
        moved = (moved - mu_s) @ rot.T * s + mu_d
    return moved


def crop(points: np.ndarray, radius: float) -> np.ndarray:
    """Points within `radius` of the z axis."""
    return points[np.linalg.norm(points[:, :2], axis=1) < radius]


def chamfer(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided mean nearest-neighbour distance."""
    from scipy.spatial import cKDTree

    return 0.5 * (cKDTree(b).query(a)[0].mean() + cKDTree(a).query(b)[0].mean())


def part_size() -> float:
    """Bounding-box diagonal of the mushroom (cap and stem above the plane)."""
    return float(np.linalg.norm([2 * CAP_RADII[0], 2 * CAP_RADII[1], CAP_CENTRE_Z + CAP_RADII[2]]))


def horn_asset() -> tuple[LoadedMesh, np.ndarray]:
    """A small, quick asset: a tapered horn stuck into a ball (two overlapping shells), lassoed."""
    ball = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    horn = trimesh.creation.cone(radius=0.3, height=0.9, sections=32).subdivide()
    horn.apply_transform(trimesh.transformations.rotation_matrix(np.radians(20.0), [1.0, 0.0, 0.0]))
    horn.apply_translation([0.0, 0.0, 0.75])
    vertices = np.vstack([ball.vertices, horn.vertices])
    faces = np.vstack([ball.faces, horn.faces + len(ball.vertices)]).astype(np.int64)
    centroid = vertices[faces].mean(axis=1)
    lassoed = np.linalg.norm(centroid - [0.0, 0.0, 1.0], axis=1) < 0.75
    mesh = LoadedMesh(SourceRef("file", "horn-on-ball", "1" * 64), vertices, faces)
    return mesh, np.flatnonzero(lassoed)


def two_balls_asset() -> tuple[LoadedMesh, np.ndarray]:
    """Two separate balls; the selection is the whole small one (a closed part with no border)."""
    big = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    small = trimesh.creation.icosphere(subdivisions=3, radius=0.3)
    small.apply_translation([2.0, 0.0, 0.0])
    vertices = np.vstack([big.vertices, small.vertices])
    faces = np.vstack([big.faces, small.faces + len(big.vertices)]).astype(np.int64)
    mesh = LoadedMesh(SourceRef("file", "two-balls", "2" * 64), vertices, faces)
    return mesh, np.arange(len(big.faces), len(faces))


def mushroom_error(part: np.ndarray, radius: float = 0.62) -> float:
    """Chamfer distance between a stitched part and the unbent mushroom, relative to its size.

    Both are cropped to `radius` around the axis (inside the lasso, where both have surface);
    the part is first placed by height and cap centre, then by the best similarity (ICP).
    """
    gt = crop(ground_truth_points(), radius)
    moved = initial_alignment(part)
    for _ in range(2):
        inside = crop(moved, radius)
        aligned = similarity_align(inside, gt)
        affine, *_ = np.linalg.lstsq(np.c_[inside, np.ones(len(inside))], aligned, rcond=None)
        moved = np.c_[moved, np.ones(len(moved))] @ affine
    return chamfer(crop(moved, radius), gt) / part_size()
