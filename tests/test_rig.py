"""The camera rig matches conventions section 4: positions, image axes and pixel mapping."""

from __future__ import annotations

import numpy as np
import pytest

from vdm.rig import (
    FRONT_VIEW,
    GRID_VIEWS,
    VIEWS,
    camera_axes,
    camera_position,
    camera_to_world,
    pixel_rays,
    project,
)


def test_view_table():
    assert [(v.azimuth_deg, v.elevation_deg) for v in VIEWS] == [
        (-60, 0),
        (-30, 0),
        (0, 0),
        (30, 0),
        (60, 0),
        (0, 45),
        (0, -45),
    ]
    assert FRONT_VIEW == 2 and GRID_VIEWS == (0, 1, 3, 4, 5, 6)


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: f"k{v.index}")
def test_camera_frame_is_orthonormal_and_looks_at_origin(view):
    right, up, forward = camera_axes(view)
    basis = np.stack([right, up, forward])
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.cross(right, up), -forward, atol=1e-12)  # right-handed, looks down -z
    np.testing.assert_allclose(np.linalg.norm(camera_position(view)), 5.0)
    np.testing.assert_allclose(forward, -camera_position(view) / 5.0, atol=1e-12)
    assert up[1] > 0 and abs(right[1]) < 1e-12, "image up is the projection of +y"
    pose = camera_to_world(view)
    np.testing.assert_allclose(pose[:3, 3], camera_position(view))


def test_front_view_axes_and_positive_azimuth_moves_toward_plus_x():
    right, up, _ = camera_axes(VIEWS[FRONT_VIEW])
    np.testing.assert_allclose(right, [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(up, [0, 1, 0], atol=1e-12)
    assert camera_position(VIEWS[3])[0] > 0 and camera_position(VIEWS[1])[0] < 0
    assert camera_position(VIEWS[5])[1] > 0 and camera_position(VIEWS[6])[1] < 0


def test_projection_of_known_points_in_the_front_view():
    pts = np.array([[0.0, 0.0, 0.0], [1.5, 1.5, 0.0], [-1.5, -1.5, 0.7], [1.0, 0.0, 0.0]])
    px, depth = project(pts, VIEWS[FRONT_VIEW], size=300)
    np.testing.assert_allclose(px, [[150, 150], [300, 0], [0, 300], [250, 150]], atol=1e-9)
    np.testing.assert_allclose(depth, [5.0, 5.0, 4.3, 5.0], atol=1e-12)


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: f"k{v.index}")
def test_pixel_rays_pass_through_their_pixel_centres(view):
    origins, direction = pixel_rays(view, size=8)
    hits = origins + 5.0 * direction  # on the plane through the origin facing the camera
    px, _ = project(hits, view, size=8)
    j, i = np.divmod(np.arange(64), 8)
    np.testing.assert_allclose(px, np.stack([i + 0.5, j + 0.5], axis=1), atol=1e-9)
