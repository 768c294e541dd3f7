"""The VDM file of conventions section 6: OpenEXR reading and writing (the grid it encodes is
vdm.vdm_grid).

An N x N OpenEXR image, float32 R, G, B. Pixel (column i, row j) sits at the plane point
x = -1 + (2i + 1) / N, y = 1 - (2j + 1) / N (row 0 is y = +1) and stores (X - x, Y - y, Z), where
(X, Y, Z) is the surface point that (x, y, 0) moves to. Border pixels are exactly 0.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vdm.atomic import os_reason, write_bytes_atomic
from vdm.errors import VdmError, short_reason
from vdm.wording import either

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


def vdm_bytes(displacement: np.ndarray, half: bool = False, compression: str = "zip") -> bytes:
    """The bytes of the VDM file of an (N, N, 3) displacement (R, G, B as above), encoded in
    memory: float32 channels, or half with `half`; ZIP compression or `compression="none"`.
    Border pixels are exactly 0, whatever the array holds there (the miner's workers return these
    bytes)."""
    import OpenEXR

    disp = np.array(displacement, dtype=np.float32)
    if disp.ndim != 3 or disp.shape[2] != 3 or disp.shape[0] != disp.shape[1] or disp.shape[0] < 3:
        raise VdmError(f"A VDM must be an N x N x 3 array; got shape {tuple(disp.shape)}.")
    if not np.isfinite(disp).all():
        raise VdmError("The displacement to write has non-finite values.")
    disp[[0, -1], :] = 0.0
    disp[:, [0, -1]] = 0.0
    if compression not in COMPRESSIONS:
        raise VdmError(f"Unknown EXR compression '{compression}' (use {either(COMPRESSIONS)}).")
    header = {"compression": getattr(OpenEXR, COMPRESSIONS[compression]), "type": OpenEXR.scanlineimage}
    dtype = np.float16 if half else np.float32
    channels = {name: np.ascontiguousarray(disp[..., c], dtype=dtype) for c, name in enumerate(CHANNELS)}
    stream = io.BytesIO()
    with OpenEXR.File(header, channels) as exr:
        exr.write(stream)
    return stream.getvalue()


def write_vdm(
    path: str | Path, displacement: np.ndarray, half: bool = False, compression: str = "zip"
) -> Path:
    """Write an (N, N, 3) displacement (R, G, B as above) as OpenEXR through a temporary name:
    float32 channels, or half with `half`; ZIP compression or `compression="none"`.

    Border pixels are written as exactly 0, whatever the array holds there. The image is encoded
    in memory and written by Python, so any path the OS gives is fine and a full disk is one
    sentence (vdm.atomic's WriteError)."""
    path = Path(path)
    write_bytes_atomic(path, vdm_bytes(displacement, half, compression))
    return path


def read_vdm(path: str | Path) -> np.ndarray:
    """Read a VDM EXR (float32 or half R, G, B) as an (N, N, 3) float32 array."""
    import OpenEXR

    path = Path(path)
    if not path.is_file():
        raise VdmError(f"VDM file {path} does not exist.")
    try:
        stream = path.open("rb")  # Python opens any path the OS gives; OpenEXR wants UTF-8 names
    except OSError as exc:
        raise VdmError(f"VDM file {path} cannot be read ({os_reason(exc)}).") from exc
    try:
        with stream, _library_stderr_silenced(), OpenEXR.File(stream, separate_channels=True) as exr:
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
