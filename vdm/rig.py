"""The patch frame and the fixed 7-view orthographic camera rig (conventions sections 1 and 4).

Cameras follow the OpenGL convention: a camera looks down its local -z, local +y is image up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vdm.geometry import axes_from_forward

CAMERA_DISTANCE = 5.0
VIEW_EXTENT = 3.0  # the image spans [-1.5, 1.5] at the target, both ways
RENDER_SIZE = 512
TILE_SIZE = 320
PLANE_GREY = 0.5
# The heights a patch may span (section 1): the rig's views hold everything in [LOWEST_Z, HIGHEST_Z].
LOWEST_Z = -1.0
HIGHEST_Z = 1.7
# A stitched part's footprint stays inside [-1 + margin, 1 - margin]^2: how large parts look in the
# training renders, so also how large an inference picture is drawn on the grey square.
FOOTPRINT_MARGIN = 0.15


@dataclass(frozen=True)
class View:
    """One camera of the rig."""

    index: int
    azimuth_deg: float
    elevation_deg: float

    @property
    def name(self) -> str:
        """Where the camera looks from, as a person would say it (the stamp faces the front view;
        positive azimuth turns the camera toward +x, the picture's right; positive elevation toward
        +y, its top)."""
        if self.elevation_deg:
            return f"{abs(self.elevation_deg):.0f}° from {'above' if self.elevation_deg > 0 else 'below'}"
        if self.azimuth_deg:
            return f"turned {abs(self.azimuth_deg):.0f}° {'right' if self.azimuth_deg > 0 else 'left'}"
        return "face on"


VIEWS: tuple[View, ...] = (
    View(0, -60.0, 0.0),
    View(1, -30.0, 0.0),
    View(2, 0.0, 0.0),
    View(3, 30.0, 0.0),
    View(4, 60.0, 0.0),
    View(5, 0.0, 45.0),
    View(6, 0.0, -45.0),
)
FRONT_VIEW = 2
# Views of the 3 x 2 target grid, row-major (the Zero123++ output layout).
GRID_VIEWS: tuple[int, ...] = (0, 1, 3, 4, 5, 6)
GRID_ROWS, GRID_COLS = 3, 2


def camera_position(view: View) -> np.ndarray:
    """Camera centre: 5 (sin a cos e, sin e, cos a cos e)."""
    a, e = np.radians(view.azimuth_deg), np.radians(view.elevation_deg)
    return CAMERA_DISTANCE * np.array([np.sin(a) * np.cos(e), np.sin(e), np.cos(a) * np.cos(e)])


def camera_axes(view: View) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(right, up, forward) unit vectors; up is the projection of +y onto the image plane."""
    return axes_from_forward(-camera_position(view) / CAMERA_DISTANCE, np.array([0.0, 1.0, 0.0]))


def camera_to_world(view: View) -> np.ndarray:
    """4x4 pose of the camera in the patch frame (OpenGL: columns right, up, -forward, centre)."""
    right, up, forward = camera_axes(view)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, -forward, camera_position(view)
    return pose


def project(points: np.ndarray, view: View, size: int = RENDER_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Continuous pixel coordinates (x right, y down; pixel (i, j) covers [i, i+1) x [j, j+1))
    and the depth along the view direction, for (N, 3) patch-frame points."""
    right, up, forward = camera_axes(view)
    rel = np.asarray(points, dtype=np.float64) - camera_position(view)
    scale = size / VIEW_EXTENT
    px = np.stack([(rel @ right + VIEW_EXTENT / 2) * scale, (VIEW_EXTENT / 2 - rel @ up) * scale], axis=1)
    return px, rel @ forward


def pixel_rays(view: View, size: int = RENDER_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Origins (size*size, 3) on the camera plane and the shared direction of the view's pixel-centre rays,
    row-major from the top-left pixel."""
    right, up, forward = camera_axes(view)
    centres = (np.arange(size) + 0.5) / size * VIEW_EXTENT - VIEW_EXTENT / 2
    xs, ys = np.meshgrid(centres, -centres)
    origins = camera_position(view) + xs.reshape(-1, 1) * right + ys.reshape(-1, 1) * up
    return origins, forward
