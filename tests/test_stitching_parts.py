"""Unit tests of the stitching steps on small, exact geometry (fast)."""

from __future__ import annotations

import igl
import numpy as np
import pytest
import trimesh

from vdm.errors import Rejected
from vdm.meshtools import graph_laplacian, loop_self_crossings, signed_area_2d, split_chords, winding_numbers
from vdm.stitching.config import StitchConfig
from vdm.stitching.flatten import border_plane, flatten_part, untangle_loop
from vdm.stitching.orient import orient_faces
from vdm.stitching.plane import triangulate_plane
from vdm.stitching.trim import iso_cut
from vdm.topology import boundary_loops, edge_counts


def test_winding_numbers_match_the_exact_sum_and_count_overlapping_shells():
    ball = trimesh.creation.icosphere(subdivisions=3)
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    box.apply_translation([0.8, 0.0, 0.0])
    vertices = np.vstack([ball.vertices, box.vertices])
    faces = np.vstack([ball.faces, box.faces + len(ball.vertices)])
    rng = np.random.default_rng(3)
    points = rng.uniform(-1.5, 1.5, (400, 3))
    fast = winding_numbers(vertices, faces, points)
    exact = igl.winding_number(vertices, faces, points)  # the exact sum of solid angles
    assert np.abs(fast - exact).max() < 0.01
    # Away from the surfaces the number counts the shells around the point: 0, 1 or 2.
    in_ball = np.linalg.norm(points, axis=1) < 0.95
    in_box = np.abs(points - [0.8, 0.0, 0.0]).max(axis=1) < 0.45
    clear = (np.abs(np.linalg.norm(points, axis=1) - 1.0) > 0.1) & (
        np.abs(np.abs(points - [0.8, 0.0, 0.0]).max(axis=1) - 0.5) > 0.1
    )
    assert np.abs(fast - (in_ball.astype(int) + in_box.astype(int)))[clear].max() < 0.1


def test_orient_faces_makes_flipped_shells_consistent_and_outward():
    ball = trimesh.creation.icosphere(subdivisions=2)
    faces = ball.faces.copy()
    faces[:30] = faces[:30, ::-1]  # a patch wound the wrong way
    inside_out = trimesh.creation.icosphere(subdivisions=1, radius=0.3)
    inside_out.apply_translation([2.0, 0.0, 0.0])
    vertices = np.vstack([ball.vertices, inside_out.vertices])
    faces = np.vstack([faces, inside_out.faces[:, ::-1] + len(ball.vertices)])
    fixed, flipped = orient_faces(vertices, faces)
    assert flipped == 30 + len(inside_out.faces)
    for part in (fixed[: len(ball.faces)], fixed[len(ball.faces) :]):
        mesh = trimesh.Trimesh(vertices, part, process=False)
        assert mesh.is_winding_consistent and mesh.volume > 0


def test_iso_cut_follows_the_zero_line_exactly():
    grid = trimesh.creation.box().subdivide().subdivide()
    v, f = np.asarray(grid.vertices), np.asarray(grid.faces)
    field = v[:, 2] - 0.1  # keep z < 0.1
    cut_v, cut_f = iso_cut(v, f, field)
    loops = boundary_loops(cut_f)
    assert len(loops) == 1
    assert np.allclose(cut_v[loops[0], 2], 0.1)
    assert cut_v[:, 2].max() <= 0.1 + 1e-12
    assert (edge_counts(cut_f)[1] <= 2).all()


def _bumpy_disk(n_rings: int = 14, n_sectors: int = 48) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A disk mesh with a wavy, non-planar border and a bump in the middle."""
    vertices = [[0.0, 0.0, 0.0]]
    for i in range(1, n_rings + 1):
        r = i / n_rings
        t = np.linspace(0, 2 * np.pi, n_sectors, endpoint=False)
        vertices += [[r * np.cos(a), r * np.sin(a), 0.0] for a in t]
    vertices = np.asarray(vertices)
    faces = []
    for j in range(n_sectors):
        faces.append([0, 1 + j, 1 + (j + 1) % n_sectors])
    for i in range(n_rings - 1):
        a0, b0 = 1 + i * n_sectors, 1 + (i + 1) * n_sectors
        for j in range(n_sectors):
            j1 = (j + 1) % n_sectors
            faces += [[a0 + j, b0 + j, b0 + j1], [a0 + j, b0 + j1, a0 + j1]]
    faces = np.asarray(faces)
    r = np.linalg.norm(vertices[:, :2], axis=1)
    angle = np.arctan2(vertices[:, 1], vertices[:, 0])
    vertices[:, 2] = 0.6 * np.exp(-8 * r**2) + 0.15 * r**2 * np.cos(2 * angle)  # saddle-shaped border
    return vertices, faces, boundary_loops(faces)[0]


def test_flatten_meets_the_border_exactly_and_keeps_every_edge_vector_elsewhere():
    vertices, faces, loop = _bumpy_disk()
    frame = border_plane(vertices, loop)
    assert frame.rotation[2] @ [0.0, 0.0, 1.0] > 0.99  # the part's side is +z
    config = StitchConfig(unbend_host=False, border_smoothing=0)
    flat, measures = flatten_part(vertices, faces, loop, frame, config)
    assert measures["border_height_range_before"] > 0.2
    assert np.all(flat[loop, 2] == 0.0)  # exact, not approximately
    # Poisson editing: the Laplacian of the result equals the original's at every free vertex.
    lap = graph_laplacian(faces, len(vertices))
    free = np.setdiff1d(np.arange(len(vertices)), loop)
    before = lap @ frame.to_local(vertices)
    after = lap @ flat
    assert np.abs(after[free] - before[free]).max() < 1e-9
    assert flat[:, 2].max() > 0.4  # the bump is still there, on the +z side


def test_host_unbending_flattens_a_spherical_host_and_keeps_the_bump():
    vertices, faces, loop = _bumpy_disk()
    r2 = (vertices[:, :2] ** 2).sum(axis=1)
    vertices[:, 2] = 0.4 * np.exp(-30 * r2) - (2.0 - np.sqrt(4.0 - r2))  # bump on a sphere of radius 2
    frame = border_plane(vertices, loop)
    flat, measures = flatten_part(vertices, faces, loop, frame, StitchConfig(border_smoothing=0))
    assert measures["host_unbent"]
    host = r2 > 0.3
    assert np.abs(flat[host, 2]).max() < 0.01  # the host is flat now (it sagged 0.27 at the border)
    assert abs(flat[:, 2].max() - 0.4) < 0.03  # the bump keeps its height above the host


def test_untangle_loop_makes_a_crossing_border_simple():
    t = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    loop = np.stack([np.cos(t) + 0.9 * np.cos(3 * t), np.sin(t) + 0.9 * np.sin(3 * t)], axis=1)[::-1]
    loop = loop[::-1]  # counter-clockwise overall
    assert loop_self_crossings(loop) > 0
    simple, modes = untangle_loop(loop, iterations=0)
    assert loop_self_crossings(simple) == 0 and signed_area_2d(simple) > 0 and modes >= 1


def test_plane_triangulation_keeps_every_border_edge_of_a_concave_loop():
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    radius = 0.45 + 0.25 * np.cos(5 * t)  # a star: deep concave notches
    loop = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)
    points, tris = triangulate_plane(loop, 0.05)
    p = points[tris]
    area = 0.5 * (
        (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
        - (p[:, 1, 1] - p[:, 0, 1]) * (p[:, 2, 0] - p[:, 0, 0])
    )
    assert (area > 0).all()
    assert abs(area.sum() - (4.0 - signed_area_2d(loop))) < 1e-9
    directed = {
        tuple(e) for e in np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]).tolist()
    }
    n = len(loop)
    assert all(((i + 1) % n, i) in directed for i in range(n))  # the plane runs each loop edge backwards


def test_triangulate_plane_rejects_a_clockwise_or_crossing_border():
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    circle = 0.5 * np.stack([np.cos(t), np.sin(t)], axis=1)
    with pytest.raises(Rejected) as clockwise:
        triangulate_plane(circle[::-1], 0.05)
    assert clockwise.value.stage == "stitch"
    bow = np.stack([0.5 * np.sin(t), 0.3 * np.sin(2 * t)], axis=1)
    with pytest.raises(Rejected, match="crosses itself"):
        triangulate_plane(bow, 0.05)


def test_split_chords_leaves_no_interior_edge_between_border_vertices():
    vertices = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    faces = np.array([[0, 1, 2], [0, 2, 3]])  # the diagonal 0-2 joins two border vertices
    v, f = split_chords(vertices, faces, np.array([0, 1, 2, 3]))
    edges, counts = edge_counts(f)
    interior = edges[counts == 2]
    assert not np.isin(interior, [0, 1, 2, 3]).all(axis=1).any()
    assert len(boundary_loops(f)) == 1 and len(v) == 5
