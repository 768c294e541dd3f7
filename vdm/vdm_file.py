"""The VDM file of conventions section 6, and the surface it encodes.

An N x N OpenEXR image, float32 R, G, B. Pixel (column i, row j) sits at the plane point
x = -1 + (2i + 1) / N, y = 1 - (2j + 1) / N (row 0 is y = +1) and stores (X - x, Y - y, Z), where
(X, Y, Z) is the surface point that (x, y, 0) moves to. Border pixels are exactly 0.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vdm.atomic import atomic_path
from vdm.errors import VdmError, short_reason
from vdm.patch import PART, PLANE, Patch

CHANNELS = ("R", "G", "B")
DEFAULT_RESOLUTION = 512  # VDM side in pixels (conventions section 6)
COMPRESSIONS = {"zip": "ZIP_COMPRESSION", "none": "NO_COMPRESSION"}  # what a VDM may be written with
MIN_PIXELS = 3  # the border ring is 0, so a smaller VDM displaces nothing


@contextlib.contextmanager
def _library_stderr_silenced() -> Iterator[None]:
    """Send what a C++ library prints to file descriptor 2 (OpenEXR's own error lines) to /dev/null
    meanwhile: the user gets our one sentence instead."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def pixel_centres(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) plane coordinates of the N x N pixel centres, each (N, N), row 0 at y = +1."""
    c = -1.0 + (2.0 * np.arange(n) + 1.0) / n
    x, y = np.meshgrid(c, -c)
    return x, y


def write_vdm(
    path: str | Path, displacement: np.ndarray, half: bool = False, compression: str = "zip"
) -> Path:
    """Write an (N, N, 3) displacement (R, G, B as above) as OpenEXR through a temporary name:
    float32 channels, or half with `half`; ZIP compression or `compression="none"`.

    Border pixels are written as exactly 0, whatever the array holds there."""
    import OpenEXR

    disp = np.array(displacement, dtype=np.float32)
    if disp.ndim != 3 or disp.shape[2] != 3 or disp.shape[0] != disp.shape[1] or disp.shape[0] < 3:
        raise VdmError(f"A VDM must be an N x N x 3 array; got shape {tuple(disp.shape)}.")
    if not np.isfinite(disp).all():
        raise VdmError("The displacement to write has non-finite values.")
    disp[[0, -1], :] = 0.0
    disp[:, [0, -1]] = 0.0
    if compression not in COMPRESSIONS:
        raise VdmError(f"Unknown EXR compression '{compression}' (use {' or '.join(COMPRESSIONS)}).")
    header = {"compression": getattr(OpenEXR, COMPRESSIONS[compression]), "type": OpenEXR.scanlineimage}
    dtype = np.float16 if half else np.float32
    channels = {name: np.ascontiguousarray(disp[..., c], dtype=dtype) for c, name in enumerate(CHANNELS)}
    path = Path(path)
    with atomic_path(path) as tmp, OpenEXR.File(header, channels) as exr:
        exr.write(str(tmp))
    return path


def vdm_picture(displacement: np.ndarray) -> np.ndarray:
    """A VDM as an 8-bit picture: each channel 128 + 127 d (d clipped to [-1, 1]), so the untouched
    plane is mid grey and the part shows in colour (for contact sheets)."""
    return np.round(128.0 + 127.0 * np.clip(displacement, -1.0, 1.0)).astype(np.uint8)


def vdm_bytes(displacement: np.ndarray, half: bool = False, compression: str = "zip") -> bytes:
    """The bytes of the VDM file `write_vdm` would write (the miner's workers return bytes)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="vdm-") as folder:
        return write_vdm(Path(folder) / "vdm.exr", displacement, half, compression).read_bytes()


def read_vdm(path: str | Path) -> np.ndarray:
    """Read a VDM EXR (float32 or half R, G, B) as an (N, N, 3) float32 array."""
    import OpenEXR

    path = Path(path)
    if not path.is_file():
        raise VdmError(f"VDM file {path} does not exist.")
    try:
        with _library_stderr_silenced(), OpenEXR.File(str(path), separate_channels=True) as exr:
            channels = {name: ch.pixels for name, ch in exr.channels().items()}
    except Exception as exc:  # OpenEXR raises plain RuntimeError/OSError for any unreadable file
        raise VdmError(f"VDM file {path} is not a readable OpenEXR image ({short_reason(exc)}).") from exc
    missing = [name for name in CHANNELS if name not in channels]
    if missing:
        raise VdmError(f"VDM file {path} has no {', '.join(missing)} channel; a VDM stores R, G and B.")
    disp = np.stack([np.asarray(channels[name], dtype=np.float32) for name in CHANNELS], axis=-1)
    if disp.shape[0] != disp.shape[1]:
        raise VdmError(f"VDM file {path} is {disp.shape[1]}x{disp.shape[0]} pixels; a VDM is square.")
    if disp.shape[0] < MIN_PIXELS:
        raise VdmError(
            f"VDM file {path} is {disp.shape[1]}x{disp.shape[0]} pixels; a VDM has at least "
            f"{MIN_PIXELS}x{MIN_PIXELS}."
        )
    if not np.isfinite(disp).all():
        raise VdmError(f"VDM file {path} has NaN or infinite pixels.")
    return disp


def resample(displacement: np.ndarray, n: int) -> np.ndarray:
    """The displacement bilinearly resampled at the pixel centres of an n x n VDM (border zero)."""
    from scipy.ndimage import map_coordinates

    size = displacement.shape[0]
    if n == size:
        return displacement
    x, y = pixel_centres(n)
    cols, rows = (x + 1.0) * size / 2.0 - 0.5, (1.0 - y) * size / 2.0 - 0.5
    out = np.stack(
        [map_coordinates(displacement[..., c], [rows, cols], order=1, mode="nearest") for c in range(3)], -1
    ).astype(np.float32)
    out[[0, -1], :] = 0.0
    out[:, [0, -1]] = 0.0
    return out


def splits_along_a_e(a: np.ndarray, b: np.ndarray, d: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Per cell with corners a (top left), b (right), d (below), e (below right), whether vdm2mesh
    cuts it along a-e: the shorter 3-D diagonal (ties: a-e)."""
    return np.linalg.norm(a - e, axis=-1) <= np.linalg.norm(b - d, axis=-1)


def grid_faces(rows: int, cols: int, vertices: np.ndarray | None = None) -> np.ndarray:
    """Two counter-clockwise (seen from +z, row 0 at the top) triangles per cell of a rows x cols
    grid. Given the grid's displaced `vertices`, each cell is split along its shorter diagonal in
    3-D: where a VDM stretches a cell (a steep or undercut wall), the other diagonal would cut a
    shortcut through a thin feature and make the decoded surface cross itself."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    b, d, e = a + 1, a + cols, a + cols + 1  # right, below, below-right
    main = np.stack([np.stack([a, d, e], 1), np.stack([a, e, b], 1)], 1)  # diagonal a-e
    if vertices is None:
        return np.concatenate([main[:, 0], main[:, 1]])
    other = np.stack([np.stack([a, d, b], 1), np.stack([b, d, e], 1)], 1)  # diagonal b-d
    shorter = splits_along_a_e(vertices[a], vertices[b], vertices[d], vertices[e])
    cells = np.where(shorter[:, None, None], main, other)
    return np.concatenate([cells[:, 0], cells[:, 1]])


def vdm_to_patch(displacement: np.ndarray, resolution: int | None = None) -> Patch:
    """The surface a VDM encodes: a grid on the square displaced by it, as a patch mesh.

    Vertices sit at the pixel centres (resampled to `resolution` first when given), plus a ring on
    the square's edge so the boundary lies exactly on it; labels are PART where the encoded point
    leaves the plane z = 0 (a pixel that only slides within the plane is plane)."""
    disp = resample(np.asarray(displacement, dtype=np.float32), resolution or displacement.shape[0])
    n = disp.shape[0]
    c = np.concatenate([[-1.0], -1.0 + (2.0 * np.arange(n) + 1.0) / n, [1.0]])
    x, y = np.meshgrid(c, -c)
    full = np.zeros((n + 2, n + 2, 3), dtype=np.float64)
    full[1:-1, 1:-1] = disp
    vertices = np.stack([x + full[..., 0], y + full[..., 1], full[..., 2]], -1).reshape(-1, 3)
    labels = np.where(full[..., 2].ravel() != 0.0, PART, PLANE).astype(np.uint8)
    return Patch(vertices, grid_faces(n + 2, n + 2, vertices), labels)


def surface_to_vdm(surface: np.ndarray, snap: float = 0.0) -> np.ndarray:
    """(N, N, 3) surface points at the pixel centres to a VDM: subtract the plane point, zero the
    border and every displacement shorter than `snap` (the undisplaced region is exactly 0)."""
    n = surface.shape[0]
    x, y = pixel_centres(n)
    disp = (np.asarray(surface, dtype=np.float64) - np.stack([x, y, np.zeros_like(x)], -1)).astype(np.float32)
    disp[np.linalg.norm(disp, axis=-1) < snap] = 0.0
    disp[[0, -1], :] = 0.0
    disp[:, [0, -1]] = 0.0
    return disp
