"""Read the camera Polyscope is drawing with into a record's Camera, and put one back.

Polyscope has no projection-matrix getter; its projection follows from the vertical field of view,
the window size and, in orthographic mode, the scene's length scale (see lasso/camera.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np

from vdm.records import Camera


def camera_from_polyscope() -> Camera:
    """The record camera equal to Polyscope's current view, projection and window size."""
    import polyscope as ps

    view = np.asarray(ps.get_camera_view_matrix(), dtype=np.float64)
    rotation = view[:3, :3]
    eye = -rotation.T @ view[:3, 3]
    up, forward = rotation[1], -rotation[2]
    state = json.loads(ps.get_view_as_json())
    # Aim at the view centre's foot on the viewing ray: the same direction, a sensible distance.
    center = np.asarray(state.get("viewCenter", eye + forward), dtype=np.float64)
    distance = float(np.dot(center - eye, forward))
    if not distance > 1e-6:
        distance = ps.get_length_scale()
    fov = float(state["fov"])
    width, height = ps.get_window_size()
    orthographic = ps.get_view_projection_mode() == "orthographic"
    return Camera(
        eye=_rounded(eye),
        target=_rounded(eye + distance * forward),
        up=_rounded(up),
        projection="orthographic" if orthographic else "perspective",
        fov_y_deg=fov,
        ortho_height=4.0 * math.tan(math.radians(fov) / 2.0) * ps.get_length_scale()
        if orthographic
        else None,
        width=int(width),
        height=int(height),
    )


def _rounded(v: np.ndarray) -> tuple[float, float, float]:
    """Plain floats (Polyscope keeps float32; 9 significant digits survive a JSON round trip)."""
    return tuple(float(f"{x:.9g}") for x in v)  # type: ignore[return-value]


def apply_camera(camera: Camera) -> None:
    """Make Polyscope draw with `camera`: pose, projection, field of view and window size."""
    import polyscope as ps

    ps.set_window_size(camera.width, camera.height)
    ps.set_view_projection_mode(camera.projection)
    if camera.projection == "orthographic":
        assert camera.ortho_height is not None
        fov = math.degrees(2.0 * math.atan(camera.ortho_height / (4.0 * ps.get_length_scale())))
    else:
        fov = camera.fov_y_deg
    ps.set_vertical_fov_degrees(fov)
    ps.look_at_dir(camera.eye, camera.target, camera.up)


def review_camera(camera: Camera, window: tuple[int, int], panel_px: int) -> Camera:
    """A proposal's camera (made for its own small window) in the reviewer's window as it is: the
    same view direction, the part as large as fits, centred in the area left of the panel. The
    window is never resized; the strokes keep their own cameras, so replays are unchanged."""
    width, height = int(window[0]), int(window[1])
    if camera.projection != "orthographic" or camera.ortho_height is None:
        return replace(camera, width=width, height=height)
    free = max(width - panel_px, 1)
    seen_wide = camera.ortho_height * camera.width / camera.height  # what the proposal showed across
    tall = max(camera.ortho_height, seen_wide * height / free)  # both extents fit the free area
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (camera.eye, camera.target, camera.up))
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    shift = 0.5 * (width - free) * tall / height * right  # the camera right: the part moves left
    return replace(
        camera,
        eye=tuple(float(c) for c in eye + shift),
        target=tuple(float(c) for c in target + shift),
        ortho_height=float(tall),
        width=width,
        height=height,
    )
