"""Normal maps in other projects' frames, converted to this project's (conventions section 5: the patch
frame, RGB = (n + 1) / 2, white background).

GenVDM renders its training targets with BlenderProc 2.7.1, whose normal output rotates Blender's
world-space normal pass by each view's world-to-camera rotation: every tile is in ITS OWN camera's
frame (OpenGL axes: x right, y up, z toward the camera). GenVDM's reconstruction reads every tile
in the FRONT camera's frame instead. Their cameras sit at `5 (cos e cos a, cos e sin a, sin e)`
(world z up) tracking the origin with image up = world z, the patch's plane at world x = 0 facing
+x: with patch x = world y, patch y = world z, patch z = world x, that is this project's rig
exactly (conventions section 4), so the front camera's frame IS the patch frame, and view k's
camera frame is this rig's view k camera frame.

Which of the two a model's grids are in, only its output can say, and the bare plane says it: in
the front frame the plane is (0, 0, 1) in every tile; in per-view frames it tilts with the view
(azimuth -60: about (0.87, 0, 0.5)). `read_frame` measures it in the side tiles of each grid.
"""

from __future__ import annotations

import logging

import numpy as np

from vdm.images import encode_normals
from vdm.rig import VIEWS, camera_axes

log = logging.getLogger(__name__)

FRONT = "front"
CAMERA = "camera"
UNKNOWN = "unknown (read as front)"
PLANE_TOLERANCE_DEG = 12.0  # a pixel within this angle of a frame's plane normal shows the plane
PLANE_SHARE = 0.15  # ... and at least this share of a side tile's foreground must
SIDE_VIEWS = (0, 1, 3, 4)  # where the two frames' plane normals differ most


def camera_to_patch(view: int) -> np.ndarray:
    """3x3 rotation taking a normal in view k's OpenGL camera frame to the patch frame."""
    right, up, forward = camera_axes(VIEWS[view])
    return np.stack([right, up, -forward], axis=1)


def plane_normal(view: int, frame: str) -> np.ndarray:
    """The bare plane's normal (+z in the patch frame) as a tile of `view` holds it in `frame`."""
    up = np.array([0.0, 0.0, 1.0])
    return up if frame == FRONT else camera_to_patch(view).T @ up


def decode_tile(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Unit normals (H, W, 3) of a tile's 8-bit RGB as (n + 1) / 2; 0 on the background."""
    raw = np.asarray(rgb, dtype=np.float64)[..., :3] / 255.0 * 2.0 - 1.0
    normals = raw / np.maximum(np.linalg.norm(raw, axis=-1, keepdims=True), 1e-6)
    normals[background] = 0.0
    return normals


def plane_share(normals: np.ndarray, view: int, frame: str) -> float:
    """Share of a tile's foreground within PLANE_TOLERANCE_DEG of the plane's normal in `frame`."""
    foreground = np.abs(normals).sum(axis=-1) > 0.0
    if not foreground.any():
        return 0.0
    cosine = normals[foreground] @ plane_normal(view, frame)
    return float((cosine > np.cos(np.radians(PLANE_TOLERANCE_DEG))).mean())


def read_frame(tiles: dict[int, np.ndarray]) -> str:
    """The frame a grid's normals are in (FRONT or CAMERA), from the plane in its side tiles. A grid
    that shows the plane in neither is said in one sentence (a warning) and read as GenVDM's own
    reconstruction reads every grid, in the front frame ("unknown")."""
    shares = {f: min(plane_share(tiles[k], k, f) for k in SIDE_VIEWS) for f in (FRONT, CAMERA)}
    frame = max(shares, key=shares.get)
    if shares[frame] < PLANE_SHARE:
        log.warning(
            "The generated grid shows no bare plane in either frame a normal grid may use (the front "
            "view's, or each view's own; best %.0f%% of a side tile): it is read in the front view's "
            "frame, as GenVDM reads it; is this model made for VDM normal grids?",
            100 * shares[frame],
        )
        return UNKNOWN
    return frame


def to_patch_frame(normals: np.ndarray, view: int, frame: str) -> np.ndarray:
    """A tile's unit normals in the patch frame."""
    return normals @ camera_to_patch(view).T if frame == CAMERA else normals


def convert_tiles(
    tiles: dict[int, np.ndarray], background: dict[int, np.ndarray]
) -> tuple[dict[int, np.ndarray], str]:
    """Each grid view's tile (8-bit RGB, its background mask) as this project's normal map, and the
    frame the grid was found in."""
    decoded = {k: decode_tile(t, background[k]) for k, t in tiles.items()}
    frame = read_frame(decoded)
    return {k: encode_normals(to_patch_frame(n, k, frame), ~background[k]) for k, n in decoded.items()}, frame
