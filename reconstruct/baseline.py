"""The scalar height-field baseline: a displacement along z only, integrated from the front view's normals.

The front view (k = 2) looks straight down -z with image right = +x and up = +y, so its normals give
the slopes dz/dx = -nx / nz and dz/dy = -ny / nz (nz clamped: walls become steep slopes). The height
solves the Poisson equation (Laplacian of z = divergence of the slopes) on the VDM's pixel centres with
z = 0 outside the square, by a type-I discrete sine transform. It cannot hold an overhang by design.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dstn, idstn
from scipy.ndimage import map_coordinates

from vdm.images import decode_normals
from vdm.rig import VIEW_EXTENT
from vdm.vdm_grid import pixel_centres, surface_to_vdm

MIN_NZ = 0.1
SNAP = 1e-3


def height_field_vdm(front: np.ndarray, resolution: int) -> np.ndarray:
    """A VDM (R = G = 0, B = height) from the encoded front-view normal map."""
    normals, mask = decode_normals(front)
    normals[~mask] = (0.0, 0.0, 1.0)
    size = normals.shape[0]
    x, y = pixel_centres(resolution)
    cols = (x + VIEW_EXTENT / 2) / VIEW_EXTENT * size - 0.5
    rows = (VIEW_EXTENT / 2 - y) / VIEW_EXTENT * size - 0.5
    n = np.stack(
        [map_coordinates(normals[..., c], [rows, cols], order=1, mode="nearest") for c in range(3)], -1
    )
    nz = np.maximum(n[..., 2], MIN_NZ)
    p, q = -n[..., 0] / nz, -n[..., 1] / nz
    h = 2.0 / resolution
    divergence = np.gradient(p, h, axis=1) + np.gradient(q, -h, axis=0)
    k = np.arange(1, resolution + 1)
    eigen = (2.0 * np.cos(np.pi * k / (resolution + 1)) - 2.0) / h**2
    z = idstn(dstn(divergence, type=1) / (eigen[:, None] + eigen[None, :]), type=1)
    surface = np.stack([x, y, np.maximum(z, 0.0)], -1)
    return surface_to_vdm(surface, SNAP)
