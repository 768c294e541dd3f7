"""The reconstruction input: six patch-frame normal maps (views 0, 1, 3, 4, 5, 6) and their masks.

NORMALS is a 3 x 2 grid PNG (conventions section 4), a directory with normal_<k>.png (and optionally
mask_<k>.png) as `vdm render` writes it, or, from Python, a dict {k: array}: uint8 encoded normal
maps (white background) or float (H, W, 3) unit normals with zero vectors on the background.
Every view is resampled to the working size: normals by area averaging, masks by majority. An 8-bit
view as a model makes it is read as its render would be: a near-white background made white
(`whiten_background`) and a blended outline unblended (`unmix_outline`); docs/reconstruct.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import binary_dilation, binary_erosion, distance_transform_edt

from vdm.dataset import view_file
from vdm.errors import VdmError
from vdm.images import BACKGROUND, decode_normals, read_image, split_grid
from vdm.rig import FRONT_VIEW, GRID_COLS, GRID_ROWS, GRID_VIEWS

MIN_SIZE = 16


@dataclass
class NormalViews:
    """Unit normals (S, S, 3) float32 and boolean masks (S, S) per view index, all one size."""

    normals: dict[int, np.ndarray]
    masks: dict[int, np.ndarray]

    @property
    def size(self) -> int:
        return next(iter(self.masks.values())).shape[0]


def _from_grid(path: Path) -> dict[int, np.ndarray]:
    grid = read_image(path)
    h, w = grid.shape[:2]
    if w % GRID_COLS or h % GRID_ROWS or h // GRID_ROWS != w // GRID_COLS:
        raise VdmError(
            f"Normal grid {path} is {w} pixels wide and {h} high; a grid is {GRID_ROWS} rows x {GRID_COLS} "
            "columns of square tiles (e.g. 640 wide and 960 high)."
        )
    return split_grid(grid)


def _from_directory(path: Path) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    missing = [view_file("normal", k) for k in GRID_VIEWS if not (path / view_file("normal", k)).is_file()]
    if missing:
        raise VdmError(
            f"Directory {path} lacks {', '.join(missing)}; the six views {', '.join(map(str, GRID_VIEWS))} "
            "are needed."
        )
    views = {k: read_image(path / view_file("normal", k)) for k in GRID_VIEWS}
    masks = {
        k: read_image(path / view_file("mask", k))[..., 0] > 127
        for k in GRID_VIEWS
        if (path / view_file("mask", k)).is_file()
    }
    return views, masks


def read_views(source: Path | str) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Encoded normal maps and the masks given beside them, from a grid PNG or a view directory."""
    path = Path(source)
    if path.is_dir():
        return _from_directory(path)
    if path.is_file():
        return _from_grid(path), {}
    raise VdmError(
        f"Normals {path} do not exist (give a normal grid PNG 640 wide and 960 high, or a directory of "
        "normal_<k>.png)."
    )


def front_view(source: Path | str) -> np.ndarray:
    """The encoded front view (normal_2.png) of a view directory: the height-field baseline's input."""
    path = Path(source) / f"normal_{FRONT_VIEW}.png"
    if not path.is_file():
        raise VdmError(
            f"The height-field baseline needs the front view {path}; give a `vdm render` directory."
        )
    return read_image(path)


UNIT_TOLERANCE = 0.25  # |length - 1| beyond this is no unit normal (a model's: within 0.2; noise: 38 %)
MAX_NON_UNIT = 0.2  # share of a view's foreground pixels allowed beyond the tolerance
OUTLINE = 0.06  # of the side: foreground this close to the background may be blended with it (blur, resizing)
BLEND_MIN, BLEND_RESIDUAL = 0.05, 0.04  # an outline pixel this far toward white, this near the line: blended
BLENDED_VIEW = 0.5  # a view is unblended when this share of its outline's pixels looks blended (renders: 0)
BLEND_KEPT = 0.5  # ... and the patch's while it is less than this far (it covers most of the pixel)
LIGHT = 216  # a colour this light in all three channels encodes no unit normal (each component > 0.69)
TINT_TOLERANCE = 16  # levels (in any channel) from the border's light colour that are still background


def whiten_background(image: np.ndarray) -> np.ndarray:
    """An 8-bit view with a near-white background made exactly white (section 5). A generated view's
    background is a light tint with noise, not (255, 255, 255), and a blurred one fades into it; its
    colour is the median of the image's outer ring of pixels where that is light enough to encode no
    unit normal, and every pixel within TINT_TOLERANCE of it is background. Other views are returned
    as they are."""
    rgb = np.asarray(image)[..., :3]
    ring = np.concatenate([rgb[0], rgb[-1], rgb[1:-1, 0], rgb[1:-1, -1]])
    colour = np.median(ring, axis=0)
    if (colour < LIGHT).any():
        return rgb
    near = (np.abs(rgb.astype(np.int16) - colour.astype(np.int16)) <= TINT_TOLERANCE).all(axis=-1)
    return np.where(near[..., None], np.uint8(BACKGROUND), rgb)


def check_normal_map(k: int, image: np.ndarray) -> None:
    """Refuse, in one sentence, an 8-bit view that is not a normal map: a uniform image, no white
    background, or pixels that do not encode unit vectors (random noise, a photo, a black image);
    pixels near the outline are not counted (a blurred view mixes them with the background)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] < 3:
        return
    rgb = image[..., :3]
    background = (rgb == BACKGROUND).all(axis=-1)
    if background.all():
        return  # all background: refused below with its own sentence
    if (rgb == rgb[0, 0]).all():
        raise VdmError(f"Normal view {k} is one uniform colour: it is not a normal map.")
    if not background.any():
        raise VdmError(
            f"Normal view {k} has no white background: a normal map shows the patch on white (section 5)."
        )
    inner = binary_erosion(~background, iterations=max(1, round(OUTLINE * rgb.shape[0])))
    encoded = rgb[inner if inner.any() else ~background].astype(np.float32) / 255.0 * 2.0 - 1.0
    off = np.abs(np.linalg.norm(encoded, axis=-1) - 1.0) > UNIT_TOLERANCE
    if off.mean() > MAX_NON_UNIT:
        raise VdmError(
            f"Normal view {k} is not a normal map: {off.mean():.0%} of its pixels do not encode unit "
            "vectors (conventions section 5)."
        )


def unmix_outline(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode an 8-bit view (decode_normals), its outline unblended from the white background. A
    tile upsampled or a view blurred blends the outline's pixels with white: in decoded space
    c = (1 - f) c_in + f w, w = (1, 1, 1), c_in the patch's own colour, which the nearest pixel
    inside the outline band still shows (a model's colours are not unit vectors, so c_in is read,
    not solved for). Where a pixel of the band lies on that segment (f above BLEND_MIN, off it by
    less than BLEND_RESIDUAL), it takes c_in's normal and stays the patch's only while f < BLEND_KEPT.
    A view whose outline is hard (under BLENDED_VIEW of its pixels blended: a render, where a pure
    normal may happen to lie on such a segment) is decoded as it is.
    Without this the blend tilted the plane's outline toward (1, 1, 1), the square's edge read as
    part, and stage 1 grew a part along it (320-pixel tiles of a 128-pixel render)."""
    normals, mask = decode_normals(image)
    near = mask & binary_dilation(~mask, iterations=max(1, round(OUTLINE * mask.shape[0])))
    core = mask & ~near
    if not core.any() or not near.any():
        return normals, mask
    _, (rows, cols) = distance_transform_edt(~core, return_indices=True)
    c = np.asarray(image)[..., :3].astype(np.float64) / 255.0 * 2.0 - 1.0
    inner = c[rows, cols]
    towards = 1.0 - inner
    f = ((c - inner) * towards).sum(-1) / np.maximum((towards * towards).sum(-1), 1e-6)
    residual = np.linalg.norm(c - inner - f[..., None] * towards, axis=-1)
    blended = near & (f > BLEND_MIN) & (residual < BLEND_RESIDUAL)
    edge = mask & binary_dilation(~mask)
    if (blended & edge).sum() < BLENDED_VIEW * edge.sum():
        return decode_normals(image)  # a hard outline (a render): its pixels are the patch's own
    normals = np.where(blended[..., None], normals[rows, cols], normals)
    mask = mask & ~(blended & (f >= BLEND_KEPT))
    normals[~mask] = 0.0
    return normals, mask


def _decode(k: int, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] < 3 or image.shape[0] != image.shape[1]:
        raise VdmError(f"Normal view {k} has shape {image.shape}; a view is a square H x W x 3 image.")
    if image.shape[0] < MIN_SIZE:
        raise VdmError(f"Normal view {k} is {image.shape[0]} pixels wide; use at least {MIN_SIZE}.")
    if image.dtype == np.uint8:
        return unmix_outline(image)
    values = image[..., :3].astype(np.float32)
    if not np.isfinite(values).all():
        raise VdmError(f"Normal view {k} has NaN or infinite pixels.")
    length = np.linalg.norm(values, axis=-1)
    mask = length > 0.5
    return np.where(mask[..., None], values / np.maximum(length, 1e-6)[..., None], 0.0), mask


def _resize(normals: np.ndarray, mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    if normals.shape[0] == size:
        return normals.astype(np.float32), mask

    def area(channel: np.ndarray) -> np.ndarray:
        image = Image.fromarray(channel.astype(np.float32), mode="F")
        return np.asarray(image.resize((size, size), Image.Resampling.BOX))

    coverage = area(mask.astype(np.float32))
    summed = np.stack([area(normals[..., c]) for c in range(3)], -1)
    length = np.linalg.norm(summed, axis=-1, keepdims=True)
    keep = (coverage > 0.5) & (length[..., 0] > 1e-3)
    return np.where(keep[..., None], summed / np.maximum(length, 1e-6), 0.0).astype(np.float32), keep


def load_normal_views(
    source: Path | str | dict[int, np.ndarray], size: int, masks: dict[int, np.ndarray] | None = None
) -> NormalViews:
    """Validate and decode the six views at `size` pixels; masks are given or the non-white pixels."""
    if isinstance(source, dict):
        images, given = source, dict(masks or {})
    else:
        images, given = read_views(source)
    missing = [k for k in GRID_VIEWS if k not in images]
    if missing:
        raise VdmError(
            f"Views {', '.join(map(str, missing))} are missing; the six views "
            f"{', '.join(map(str, GRID_VIEWS))} are needed."
        )
    sizes = {k: np.asarray(images[k]).shape[:2] for k in GRID_VIEWS}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"view {k} is {w}x{h}" for k, (h, w) in sizes.items())
        raise VdmError(f"The six normal views must have one size, but {listed}.")
    normals, out_masks = {}, {}
    for k in GRID_VIEWS:
        image = np.asarray(images[k])
        if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] >= 3:
            image = whiten_background(image)
        check_normal_map(k, image)
        n, m = _decode(k, image)
        if k in given:
            if np.asarray(given[k]).shape != m.shape:
                raise VdmError(f"The mask of view {k} is not the size of its normal map.")
            m = m & np.asarray(given[k], dtype=bool)
        if not m.any():
            raise VdmError(f"Normal view {k} is all background: there is nothing to reconstruct.")
        normals[k], out_masks[k] = _resize(n, m, size)
    return NormalViews(normals, out_masks)
