"""The preview image of a VDM: the surface it encodes, shaded, from three angles of the rig, each named."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vdm.patch import Patch
from vdm.render.picture import PICTURE_SIZE, PICTURE_VIEWS, height_coloured, patch_picture
from vdm.rig import PLANE_GREY, VIEWS
from vdm.vdm_grid import moved_vertices, vdm_to_patch

PLANE_MESH_RESOLUTION = 128  # the bare plane is drawn on a grid this coarse (33k faces) ...
MOVED_MARGIN = 2  # ... under the VDM's own grid where it moves and this many pixels around it
UNDER_PLANE = 1e-4  # how far below z = 0 the coarse plane lies, so the VDM's own grid is drawn over it
OUTSIDE_GREY = 0.68  # the plane outside the brush's circle, lighter: where a stamp never reaches
NAME_BAND = 26  # pixels of the band above the views that names them


def write_preview(path: str | Path, displacement: np.ndarray, size: int = PICTURE_SIZE) -> Path:
    """Render the displaced plane and write its three views as one PNG, each named above it."""
    from vdm.images import write_png

    picture = patch_picture(stamp_coloured(preview_patch(displacement)), size)
    write_png(path, _named_views(picture, PICTURE_VIEWS))
    return Path(path)


def preview_patch(displacement: np.ndarray) -> Patch:
    """The surface drawn: the VDM's own decoded grid where it moves (and MOVED_MARGIN pixels around),
    over a coarse grid of the bare plane just below z = 0. Drawn at full resolution the plane costs
    four times the time of a 128-pixel grid; resampled to 128 pixels the whole VDM showed hairs at
    the foot of a part that the brush does not have (a wall squeezed into a few pixels, sampled
    between its foot and its top)."""
    from scipy.ndimage import binary_dilation

    decoded = vdm_to_patch(displacement)
    moved = moved_vertices(displacement)
    moved[1:-1, 1:-1] = binary_dilation(moved[1:-1, 1:-1], iterations=MOVED_MARGIN)  # the edge ring stays
    used, faces = np.unique(decoded.faces[moved.reshape(-1)[decoded.faces].all(axis=1)], return_inverse=True)
    plane = vdm_to_patch(np.zeros((PLANE_MESH_RESOLUTION,) * 2 + (3,), dtype=np.float32))
    under = plane.vertices - (0.0, 0.0, UNDER_PLANE)
    return Patch(
        np.vstack([decoded.vertices[used], under]),
        np.vstack([faces.reshape(-1, 3), plane.faces + len(used)]),
        np.r_[decoded.labels[used], plane.labels],
    )


def _named_views(picture: np.ndarray, views: tuple[int, ...]) -> Image.Image:
    """The views side by side under a white band that names each (`View.name`)."""
    size = picture.shape[0]
    canvas = Image.new("RGB", (picture.shape[1], size + NAME_BAND), "white")
    canvas.paste(Image.fromarray(picture), (0, NAME_BAND))
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=NAME_BAND * 0.6)
    for column, k in enumerate(views):
        text = f"{VIEWS[k].name} (view {k})"
        left = column * size + (size - font.getlength(text)) / 2
        draw.text((left, NAME_BAND * 0.2), text, fill=(60, 60, 60), font=font)
    return canvas


def stamp_coloured(patch: Patch) -> Patch:
    """The decoded surface coloured by geometry (`height_coloured`), the plane lighter outside the
    brush circle: where a stamp never reaches."""
    x, y = patch.vertices[:, 0], patch.vertices[:, 1]
    return height_coloured(patch, np.where(np.hypot(x, y) > 1.0, OUTSIDE_GREY, PLANE_GREY))


def _load_renderer() -> None:
    import vdm.render.renderer  # noqa: F401 (pyrender, trimesh, PyOpenGL: a third of a second)


def preview_process() -> ProcessPoolExecutor:
    """A process that writes a brush's EXR and draws its preview (`submit(write_preview, path,
    displacement)`), started at once so that it loads the renderer on the second core while the
    caller makes the VDM, and draws while the caller scores it. Forked from a bare fork server (a
    plain fork would copy the caller's threads' locks: a caller that has run torch or OpenMP could
    deadlock it): the worker loads the renderer itself and leaves with os._exit, while the server,
    which leaves through a whole interpreter shutdown when the caller ends, holds nothing to tear
    down (it held the renderer once, and kept a piped `vdm bake` waiting 0.3 s after it was done).
    The first submit waits for the server to start, so a thread makes it."""
    context = multiprocessing.get_context("forkserver" if sys.platform == "linux" else "spawn")
    if sys.platform == "linux":
        context.set_forkserver_preload([])
    pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
    threading.Thread(target=pool.submit, args=(_load_renderer,), daemon=True).start()
    return pool
