"""Screen projection of a record's camera, exactly as Polyscope draws it.

Polyscope builds its view with `glm::lookAt` and its projection with `glm::perspective` (vertical
field of view, aspect = width / height) or, in orthographic mode, `glm::ortho` with a half height
of `2 tan(fov / 2) * length_scale`; a record stores that full view height as `ortho_height`.
Screen pixels have their origin at the top-left corner, x right, y down, and pixel (i, j) covers
[i, i+1) x [j, j+1), as mouse coordinates do.

Points are projected with element-wise float64 arithmetic (no BLAS), so the same record gives the
same pixels on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vdm.errors import VdmError
from vdm.geometry import look_at_axes
from vdm.records import Camera


@dataclass(frozen=True)
class CameraFrame:
    """A camera's orthonormal frame and its image-plane scale."""

    eye: np.ndarray
    right: np.ndarray
    up: np.ndarray
    forward: np.ndarray
    half_width: float  # perspective: tan of the half angle; orthographic: world units
    half_height: float
    perspective: bool
    width: int
    height: int


def camera_frame(camera: Camera) -> CameraFrame:
    """The frame `glm::lookAt(eye, target, up)` builds, and the half extents of the image plane."""
    eye = np.asarray(camera.eye, dtype=np.float64)
    right, up, forward = look_at_axes(eye, camera.target, camera.up)
    aspect = camera.width / camera.height
    if camera.projection == "perspective":
        half_height = float(np.tan(np.radians(camera.fov_y_deg) / 2.0))
    else:
        if camera.ortho_height is None or not camera.ortho_height > 0:
            raise VdmError("An orthographic camera needs a positive ortho_height.")
        half_height = camera.ortho_height / 2.0
    return CameraFrame(
        eye=eye,
        right=right,
        up=up,
        forward=forward,
        half_width=half_height * aspect,
        half_height=half_height,
        perspective=camera.projection == "perspective",
        width=camera.width,
        height=camera.height,
    )


def row_dot(points: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Row-wise dot product of (N, 3) with (3,) or (N, 3), in element-wise float64 operations with a
    fixed order (no BLAS, no reductions), so every machine rounds the same way."""
    return points[:, 0] * other[..., 0] + points[:, 1] * other[..., 1] + points[:, 2] * other[..., 2]


def project_points(camera: Camera | CameraFrame, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (N, 2) (origin top-left, y down) and depth along the view direction (N,).

    Points at or behind the eye (depth <= 0) get meaningless pixels; callers drop them by depth.
    """
    f = camera if isinstance(camera, CameraFrame) else camera_frame(camera)
    rel = np.asarray(points, dtype=np.float64) - f.eye
    x, y, depth = row_dot(rel, f.right), row_dot(rel, f.up), row_dot(rel, f.forward)
    if f.perspective:
        with np.errstate(divide="ignore", invalid="ignore"):
            safe = np.where(depth > 0, depth, 1.0)
            x, y = x / safe, y / safe
    ndc_x, ndc_y = x / f.half_width, y / f.half_height
    pixels = np.empty((len(rel), 2))
    pixels[:, 0] = (ndc_x + 1.0) * (0.5 * f.width)
    pixels[:, 1] = (1.0 - ndc_y) * (0.5 * f.height)
    return pixels, depth


def pixel_rays(camera: Camera | CameraFrame, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Origins and unit directions (N, 3) of the rays through screen pixels (N, 2).

    Perspective rays start at the eye; orthographic rays start on the plane through the eye.
    """
    f = camera if isinstance(camera, CameraFrame) else camera_frame(camera)
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
    ndc_x = pixels[:, 0] / (0.5 * f.width) - 1.0
    ndc_y = 1.0 - pixels[:, 1] / (0.5 * f.height)
    sx, sy = (ndc_x * f.half_width)[:, None], (ndc_y * f.half_height)[:, None]
    if f.perspective:
        directions = sx * f.right + sy * f.up + f.forward
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        return np.broadcast_to(f.eye, directions.shape).copy(), directions
    origins = f.eye + sx * f.right + sy * f.up
    return origins, np.broadcast_to(f.forward, origins.shape).copy()
