"""The headless selection engine on meshes with known answers (conventions section 2)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import trimesh
from lasso_polyscope import view_matrix

from vdm.errors import VdmError
from vdm.geometry import points_in_polygon
from vdm.lasso.camera import pixel_rays, project_points
from vdm.lasso.engine import replay, select_faces
from vdm.records import Camera, SelectionRecord, Stroke, load_record
from vdm.sources import LoadedMesh, SourceRef
from vdm.sources.mesh import canonical_sha256

W, H = 800, 600


def _mesh(vertices, faces, name="test") -> LoadedMesh:
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    sha = canonical_sha256(name, vertices, faces, None)
    return LoadedMesh(SourceRef("file", f"{name}.ply", sha), vertices, faces)


def _front_camera(distance=5.0, **kw) -> Camera:
    return Camera(
        eye=(0.0, 0.0, distance), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), width=W, height=H, **kw
    )


def _square(cx, cy, half) -> tuple[tuple[float, float], ...]:
    return ((cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half), (cx - half, cy + half))


@pytest.fixture(scope="module")
def sphere() -> LoadedMesh:
    s = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    return _mesh(s.vertices, s.faces, "sphere")


def _pinhole(points, distance=5.0, fov_deg=45.0):
    """Independent pinhole model of a camera on +z looking at the origin, y up."""
    focal = (H / 2) / np.tan(np.radians(fov_deg) / 2)
    depth = distance - points[:, 2]
    return np.stack([W / 2 + focal * points[:, 0] / depth, H / 2 - focal * points[:, 1] / depth], axis=1)


def test_sphere_seen_from_plus_z_selects_exactly_the_front_cap(sphere):
    centroids = sphere.vertices[sphere.faces].mean(axis=1)
    stroke = Stroke(_front_camera(), _square(W / 2, H / 2, 120.0))
    ids = select_faces(sphere, [stroke])
    assert ids.dtype == np.int64 and np.all(np.diff(ids) > 0)
    px = _pinhole(centroids)
    in_square = np.all(np.abs(px - [W / 2, H / 2]) < 120.0, axis=1)
    # From (0, 0, 5) the visible cap of the unit sphere is z > 1/5; keep away from its rim.
    expected = in_square & (centroids[:, 2] > 0.25)
    undecided = in_square & (np.abs(centroids[:, 2] - 0.2) <= 0.05)
    chosen = np.zeros(len(centroids), dtype=bool)
    chosen[ids] = True
    assert np.array_equal(chosen & ~undecided, expected & ~undecided)
    assert expected.sum() > 200 and chosen.sum() >= expected.sum()
    # The back half projects inside the square as well but is hidden; x-ray takes it.
    assert not chosen[centroids[:, 2] < 0].any()
    xray = select_faces(sphere, [Stroke(_front_camera(), _square(W / 2, H / 2, 120.0), xray=True)])
    assert np.array_equal(np.flatnonzero(in_square), xray)


def test_whole_silhouette_gives_the_visible_hemisphere(sphere):
    centroids = sphere.vertices[sphere.faces].mean(axis=1)
    ids = select_faces(sphere, [Stroke(_front_camera(), _square(W / 2, H / 2, 290.0))])
    chosen = np.zeros(len(centroids), dtype=bool)
    chosen[ids] = True
    assert chosen[centroids[:, 2] > 0.25].all()
    assert not chosen[centroids[:, 2] < 0.15].any()


@pytest.fixture(scope="module")
def plate_scene() -> tuple[LoadedMesh, dict[str, np.ndarray]]:
    """A small triangle at z=0 behind a plate at z=1, a second triangle beside the plate, and a
    triangle facing away from the camera: all seen from +z."""
    vertices = [
        # 0: hidden triangle at z = 0 (faces +z)
        (-0.1, -0.1, 0.0),
        (0.1, -0.1, 0.0),
        (0.0, 0.1, 0.0),
        # 1, 2: plate at z = 1 covering [-0.5, 0.5]^2 (faces +z)
        (-0.5, -0.5, 1.0),
        (0.5, -0.5, 1.0),
        (0.5, 0.5, 1.0),
        (-0.5, 0.5, 1.0),
        # 3: visible triangle beside the plate (faces +z)
        (0.9, -0.1, 0.0),
        (1.1, -0.1, 0.0),
        (1.0, 0.1, 0.0),
        # 4: triangle beside the plate, wound to face -z (a back face)
        (-1.1, -0.1, 0.0),
        (-1.0, 0.1, 0.0),
        (-0.9, -0.1, 0.0),
    ]
    faces = [(0, 1, 2), (3, 4, 5), (3, 5, 6), (7, 8, 9), (10, 11, 12)]
    return _mesh(vertices, faces, "plate"), {}


def test_occluded_face_needs_xray(plate_scene):
    mesh, _ = plate_scene
    everything = _square(W / 2, H / 2, 290.0)
    assert select_faces(mesh, [Stroke(_front_camera(), everything)]).tolist() == [1, 2, 3]
    assert select_faces(mesh, [Stroke(_front_camera(), everything, xray=True)]).tolist() == [0, 1, 2, 3, 4]
    ortho = _front_camera(projection="orthographic", ortho_height=3.0)
    assert select_faces(mesh, [Stroke(ortho, everything)]).tolist() == [1, 2, 3]
    assert select_faces(mesh, [Stroke(ortho, everything, xray=True)]).tolist() == [0, 1, 2, 3, 4]
    # Seen from behind the triangles (-z) the plate is hidden behind nothing but faces away, the
    # small triangles face away too, except the one wound toward -z.
    back = Camera(eye=(0.0, 0.0, -5.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), width=W, height=H)
    assert select_faces(mesh, [Stroke(back, everything)]).tolist() == [4]


def test_faces_behind_the_camera_are_never_selected(plate_scene):
    mesh, _ = plate_scene
    inside_plate = Camera(eye=(0.0, 0.0, 0.5), target=(0.0, 0.0, 1.5), up=(0.0, 1.0, 0.0), width=W, height=H)
    everything = ((-1e6, -1e6), (1e6, -1e6), (1e6, 1e6), (-1e6, 1e6))
    assert select_faces(mesh, [Stroke(inside_plate, everything, xray=True)]).tolist() == [1, 2]


def test_add_then_subtract_in_order(sphere):
    camera = _front_camera()
    big = Stroke(camera, _square(W / 2, H / 2, 150.0))
    left_half = Stroke(camera, ((0.0, 0.0), (W / 2, 0.0), (W / 2, H), (0.0, H)), op="subtract")
    ids = select_faces(sphere, [big, left_half])
    centroids = sphere.vertices[sphere.faces].mean(axis=1)
    assert len(ids) and np.all(centroids[ids, 0] >= 0)  # centroids on the cut line stay
    everything_big = select_faces(sphere, [big])
    assert np.array_equal(ids, everything_big[centroids[everything_big, 0] >= 0])
    # Order matters: subtracting first and adding after keeps the whole square.
    assert np.array_equal(
        select_faces(sphere, [left_half.__class__(camera, left_half.polygon_px, "subtract"), big]),
        everything_big,
    )
    assert select_faces(sphere, [big, Stroke(camera, big.polygon_px, op="subtract")]).size == 0


def test_orthographic_projection_maps_the_view_height_to_the_window():
    camera = _front_camera(projection="orthographic", ortho_height=2.0)
    aspect = W / H
    points = np.array([[0.0, 0.0, 0.0], [aspect, 1.0, -3.0], [-aspect, -1.0, 2.0]])
    px, depth = project_points(camera, points)
    np.testing.assert_allclose(px, [[W / 2, H / 2], [W, 0.0], [0.0, H]], atol=1e-9)
    np.testing.assert_allclose(depth, [5.0, 8.0, 3.0])
    origins, directions = pixel_rays(camera, px)
    np.testing.assert_allclose(origins[:, :2], points[:, :2], atol=1e-12)
    np.testing.assert_allclose(directions, [[0.0, 0.0, -1.0]] * 3)


def test_pixel_rays_invert_the_projection():
    camera = Camera(
        eye=(1.0, 2.0, 3.0), target=(0.2, -0.1, 0.3), up=(0.0, 1.0, 0.0), fov_y_deg=60.0, width=W, height=H
    )
    rng = np.random.default_rng(0)
    pixels = rng.uniform([0, 0], [W, H], size=(50, 2))
    origins, directions = pixel_rays(camera, pixels)
    points = origins + directions * rng.uniform(0.5, 5.0, size=(50, 1))
    again, depth = project_points(camera, points)
    np.testing.assert_allclose(again, pixels, atol=1e-7)
    assert np.all(depth > 0)
    # The view matrix is glm::lookAt: the eye maps to the origin, the target onto -z.
    m = view_matrix(camera)
    np.testing.assert_allclose(m @ [1.0, 2.0, 3.0, 1.0], [0, 0, 0, 1], atol=1e-12)
    target_cam = m @ [0.2, -0.1, 0.3, 1.0]
    np.testing.assert_allclose(target_cam[:2], 0.0, atol=1e-12)
    assert target_cam[2] < 0


def _reference_inside(point, polygon) -> bool:
    """Textbook even-odd crossing test in exact integer arithmetic (coordinates doubled, so the
    half-pixel grid is integral); on the outline = outside."""
    x, y = (round(2 * c) for c in point)
    inside = False
    n = len(polygon)
    for k in range(n):
        (ax, ay), (bx, by) = ((round(2 * c) for c in polygon[i]) for i in (k, (k + 1) % n))
        if (
            (bx - ax) * (y - ay) == (by - ay) * (x - ax)
            and min(ax, bx) <= x <= max(ax, bx)
            and (min(ay, by) <= y <= max(ay, by))
        ):
            return False
        # x < ax + (y - ay) (bx - ax) / (by - ay), multiplied through by (by - ay) with its sign.
        if (ay <= y < by and (x - ax) * (by - ay) < (y - ay) * (bx - ax)) or (
            by <= y < ay and (x - ax) * (by - ay) > (y - ay) * (bx - ax)
        ):
            inside = not inside
    return inside


def test_polygon_test_matches_exact_reference_on_hard_cases():
    rng = np.random.default_rng(3)
    star = [(20.0, 2.0), (31.0, 36.0), (2.0, 15.0), (38.0, 15.0), (9.0, 36.0)]
    # A pentagram: even-odd leaves its centre outside and its tips inside.
    assert points_in_polygon(np.array([[20.0, 20.0], [20.0, 5.0]]), np.array(star)).tolist() == [False, True]
    lasso = [(float(x), float(y)) for x, y in rng.integers(0, 40, size=(30, 2))]  # self-intersecting
    grid = np.array([(x / 2, y / 2) for x in range(-2, 82) for y in range(-2, 82)], dtype=np.float64)
    for polygon in (lasso, [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)], star):
        got = points_in_polygon(grid, np.array(polygon))
        expected = [_reference_inside(p, polygon) for p in grid]
        assert got.tolist() == expected
    square = np.array([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)])
    on_outline = np.array([[0.0, 5.0], [10.0, 5.0], [5.0, 0.0], [5.0, 10.0], [0.0, 0.0], [10.0, 10.0]])
    assert not points_in_polygon(on_outline, square).any()


def test_replay_checks_source_and_cached_ids(sphere, tmp_path):
    stroke = Stroke(_front_camera(), _square(W / 2, H / 2, 100.0))
    ids = select_faces(sphere, [stroke])
    record = SelectionRecord(source=sphere.source, strokes=[stroke], face_ids=ids.tolist(), note="cap")
    again = load_record(record.save(tmp_path))
    # The same record; its relative path (from the working folder) comes back absolute.
    assert again.id == record.id and again.face_ids == record.face_ids and again.strokes == record.strokes
    assert again.source.ref == os.path.abspath(record.source.ref)
    replayed = replay(again, sphere)
    assert np.array_equal(replayed, ids)
    # A fresh copy of the mesh (new engine, new Embree scene) gives byte-identical ids.
    copy = _mesh(sphere.vertices.copy(), sphere.faces.copy(), "sphere")
    assert replay(again, copy).tobytes() == ids.tobytes()

    changed = _mesh(sphere.vertices * 1.01, sphere.faces, "sphere")
    with pytest.raises(VdmError, match="the file changed or is another mesh") as info:
        replay(again, changed)
    assert str(info.value).count(".") >= 1 and "\n" not in str(info.value)
    wrong = SelectionRecord(source=sphere.source, strokes=[stroke], face_ids=ids[1:].tolist())
    with pytest.raises(VdmError, match=r"selects \d+ faces but it caches \d+"):
        replay(wrong, sphere)
    out_of_range = SelectionRecord(source=sphere.source, strokes=[stroke], face_ids=[sphere.n_faces + 5])
    with pytest.raises(VdmError, match="out of range"):
        replay(out_of_range, sphere)
