"""The record camera reproduces Polyscope's own view and projection (screen_coords_to_world_ray)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from lasso_polyscope import use_backend, view_matrix

from vdm.lasso.camera import pixel_rays, project_points
from vdm.lasso.ps_camera import apply_camera, camera_from_polyscope
from vdm.records import Camera


def _where_polyscope_ray_lands(camera: Camera, rays: np.ndarray) -> np.ndarray:
    """Pixels our camera gives to the points where Polyscope's rays meet its near plane.

    `screen_coords_to_world_ray` unprojects a pixel onto the near plane and returns the unit offset
    from the eye, in orthographic mode too; so the near-plane point lies on the pixel's true ray.
    """
    import polyscope as ps

    near = json.loads(ps.get_view_as_json())["nearClip"] * ps.get_length_scale()
    forward = np.asarray(camera.target) - np.asarray(camera.eye)
    forward /= np.linalg.norm(forward)
    points = np.asarray(camera.eye) + rays * (near / (rays @ forward))[:, None]
    return project_points(camera, points)[0]


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
def test_record_camera_is_the_camera_polyscope_uses(projection):
    import polyscope as ps

    use_backend("openGL_mock")
    rng = np.random.default_rng(7)
    ps.register_point_cloud("cloud", rng.uniform(-1.5, 1.5, size=(200, 3)))
    for width, height, eye, fov in [(1280, 720, (1.0, 2.0, 3.0), 45.0), (700, 900, (-2.5, -0.4, 1.2), 30.0)]:
        ps.set_window_size(width, height)
        ps.set_vertical_fov_degrees(fov)
        ps.set_view_projection_mode(projection)
        ps.look_at_dir(eye, (0.3, 0.1, -0.2), (0.0, 1.0, 0.0))
        # A deeper near plane keeps Polyscope's float32 unprojection precise (it only moves the
        # point where the ray is sampled, not the ray).
        ps.set_view_from_json(json.dumps({**json.loads(ps.get_view_as_json()), "nearClip": 0.5}))
        camera = camera_from_polyscope()
        assert camera.projection == projection and (camera.width, camera.height) == (width, height)
        np.testing.assert_allclose(view_matrix(camera), ps.get_camera_view_matrix(), atol=1e-6)
        pixels = np.vstack(
            [
                [[0, 0], [width, height], [width / 2, height / 2]],
                rng.uniform([0, 0], [width, height], size=(40, 2)),
            ]
        )
        rays = np.array([ps.screen_coords_to_world_ray(p) for p in pixels], dtype=np.float64)
        # Polyscope unprojects in float32: a few hundredths of a pixel at most.
        np.testing.assert_allclose(_where_polyscope_ray_lands(camera, rays), pixels, atol=0.01)
        if projection == "perspective":
            np.testing.assert_allclose(pixel_rays(camera, pixels)[1], rays, atol=1e-4)


def test_apply_camera_round_trips():
    import polyscope as ps

    use_backend("openGL_mock")
    ps.register_point_cloud("cloud", np.random.default_rng(1).uniform(-1, 1, size=(50, 3)))
    for camera in [
        Camera((0.3, 0.2, 4.0), (0.0, 0.1, 0.0), (0.0, 1.0, 0.0), "perspective", 38.0, None, 900, 600),
        Camera((2.0, 1.0, 2.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), "orthographic", 45.0, 2.5, 640, 480),
    ]:
        apply_camera(camera)
        again = camera_from_polyscope()
        np.testing.assert_allclose(view_matrix(again), view_matrix(camera), atol=1e-6)
        assert again.projection == camera.projection and (again.width, again.height) == (
            camera.width,
            camera.height,
        )
        if camera.projection == "perspective":
            assert again.fov_y_deg == pytest.approx(camera.fov_y_deg, abs=1e-5)
        else:
            assert again.ortho_height == pytest.approx(camera.ortho_height, rel=1e-6)
