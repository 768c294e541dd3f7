"""Images every stage shares: PNG read and write (the one place), and the encodings of
conventions sections 4 and 5 (normal maps, the 3 x 2 grid)."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from vdm.atomic import write_bytes_atomic
from vdm.errors import VdmError
from vdm.rig import GRID_COLS, GRID_ROWS, GRID_VIEWS, TILE_SIZE

BACKGROUND = 255
PNG_LEVEL = 1  # zlib level: most of the size for a fraction of the time of the default
# The largest picture vdm decodes: an 8K photo of a part fits (8192 x 8192, 256 MiB as RGBA); a
# larger one is refused from its header, before a byte of it is decoded.
MAX_SIDE = 8192
MAX_PIXELS = MAX_SIDE * MAX_SIDE


def _too_large(path: str | os.PathLike[str], size: str) -> VdmError:
    return VdmError(
        f"Image {os.fsdecode(path)} is {size} pixels; vdm reads images of at most {MAX_PIXELS:,} pixels "
        f"({MAX_SIDE} x {MAX_SIDE}): scale it down first."
    )


def open_image(path: str | os.PathLike[str]) -> Image.Image:
    """An image file, loaded; a missing or corrupt file, or one of more than MAX_PIXELS pixels,
    fails with one sentence. The size comes from the header before anything is decoded, and PIL's
    own decompression-bomb warning and error become that sentence."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our limit is lower
            image = Image.open(path)
    except FileNotFoundError as exc:
        raise VdmError(f"Image {os.fsdecode(path)} does not exist.") from exc
    except Image.DecompressionBombError as exc:  # PIL refuses more than twice its own limit at once
        raise _too_large(path, f"more than {2 * Image.MAX_IMAGE_PIXELS:,}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise VdmError(f"Image {os.fsdecode(path)} is corrupt or not an image.") from exc
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _too_large(path, f"{width} x {height}")
        try:
            image.load()
        except (OSError, SyntaxError, ValueError) as exc:
            raise VdmError(f"Image {os.fsdecode(path)} is corrupt or not an image.") from exc
        return image


def read_image(path: str | os.PathLike[str], mode: str = "RGB") -> np.ndarray:
    """An image file as a uint8 array in a PIL mode (RGB, RGBA, L); one sentence if unreadable."""
    return np.asarray(open_image(path).convert(mode))


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    """An 8-bit image (array or PIL image) as PNG bytes: the same pixels give the same bytes."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=PNG_LEVEL)
    return buffer.getvalue()


def write_png(path: str | os.PathLike[str], image: np.ndarray | Image.Image) -> Path:
    """Write an 8-bit PNG through a temporary name; returns the path."""
    write_bytes_atomic(path, png_bytes(image))
    return Path(path)


def encode_normals(normals: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit patch-frame normals (H, W, 3) to 8-bit RGB round((n + 1) / 2 * 255); background white."""
    rgb = np.round((np.clip(normals, -1.0, 1.0) + 1.0) * 0.5 * 255.0).astype(np.uint8)
    rgb[~mask] = BACKGROUND
    return rgb


def decode_normals(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """8-bit normal map to (unit normals float32 (H, W, 3), foreground mask); white is background."""
    rgb = np.asarray(rgb)[..., :3]
    mask = ~(rgb == BACKGROUND).all(axis=-1)
    normals = rgb.astype(np.float32) / 255.0 * 2.0 - 1.0
    length = np.linalg.norm(normals, axis=-1, keepdims=True)
    normals = np.where(length > 1e-6, normals / np.maximum(length, 1e-6), 0.0).astype(np.float32)
    normals[~mask] = 0.0
    return normals, mask


def compose_grid(views: dict[int, np.ndarray], tile: int = TILE_SIZE) -> np.ndarray:
    """The 3 x 2 grid of views 0, 1, 3, 4, 5, 6 (row-major), each resized to `tile` pixels."""
    grid = np.full((GRID_ROWS * tile, GRID_COLS * tile, 3), BACKGROUND, dtype=np.uint8)
    for slot, k in enumerate(GRID_VIEWS):
        image = Image.fromarray(np.asarray(views[k])[..., :3])
        if image.size != (tile, tile):
            image = image.resize((tile, tile), Image.Resampling.LANCZOS)
        row, col = divmod(slot, GRID_COLS)
        grid[row * tile : (row + 1) * tile, col * tile : (col + 1) * tile] = np.asarray(image)
    return grid


def split_grid(grid: np.ndarray) -> dict[int, np.ndarray]:
    """The six tiles of a 3 x 2 grid image, keyed by view index."""
    grid = np.asarray(grid)
    tile_h, tile_w = grid.shape[0] // GRID_ROWS, grid.shape[1] // GRID_COLS
    tiles = {}
    for slot, k in enumerate(GRID_VIEWS):
        row, col = divmod(slot, GRID_COLS)
        tiles[k] = grid[row * tile_h : (row + 1) * tile_h, col * tile_w : (col + 1) * tile_w]
    return tiles
