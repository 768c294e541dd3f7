"""The part cut out of a picture, as the model's condition needs it: an RGBA picture as it is, a
picture with a mask (`--mask`: white is the part), or an RGB picture of the part on a plain light
background, which is keyed out (GenVDM itself refuses RGB pictures).

Keying: the background's colour is the median of the picture's border; the pixels within KEY_DISTANCE
of it that are connected to the border are background (a light spot inside the part stays part),
and the alpha is softened over one pixel at the edge. A border that is not one plain light colour,
or a key that leaves almost nothing or almost everything, is refused in one sentence saying what to
give instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import binary_fill_holes, gaussian_filter, label

from vdm.errors import VdmError
from vdm.images import open_image
from vdm.train.preprocess import read_rgba

KEY_DISTANCE = 40.0  # RGB distance (0-255 per channel) from the background colour that is background
BORDER_SPREAD = 24.0  # the border's colours may spread this much (median distance) and still be plain
LIGHT = 150  # a keyable background is at least this bright (each channel)
PART_SHARE = (0.01, 0.95)  # the part must cover between these shares of the picture


def cut_out(path: Path, mask: Path | None = None) -> Image.Image:
    """The part as an RGBA picture (the reason in one sentence when this picture cannot give one)."""
    if mask is not None:
        return _with_mask(path, mask)
    image = open_image(path)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return read_rgba(path)
    return _keyed(path, np.asarray(image.convert("RGB")))


def _with_mask(path: Path, mask_path: Path) -> Image.Image:
    rgb = open_image(path).convert("RGB")
    mask = open_image(mask_path).convert("L")
    if mask.size != rgb.size:
        size = f"{rgb.size[0]}x{rgb.size[1]}"
        raise VdmError(f"Mask {mask_path} is {mask.size[0]}x{mask.size[1]} pixels, the picture {size}.")
    alpha = np.asarray(mask)
    _check_share(path, alpha > 127, "the mask")
    return Image.fromarray(np.dstack([np.asarray(rgb), alpha]), "RGBA")


def _keyed(path: Path, rgb: np.ndarray) -> Image.Image:
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float64)
    colour = np.median(border, axis=0)
    spread = float(np.median(np.linalg.norm(border - colour, axis=1)))
    if spread > BORDER_SPREAD or (colour < LIGHT).any():
        raise VdmError(
            f"Image {path} has no transparent background and its border is not one plain light colour; "
            "give an RGBA picture of the part, or its mask with --mask."
        )
    near = np.linalg.norm(rgb.astype(np.float64) - colour, axis=-1) < KEY_DISTANCE
    pieces, _ = label(near)
    edge = np.unique(np.concatenate([pieces[0], pieces[-1], pieces[:, 0], pieces[:, -1]]))
    background = np.isin(pieces, edge[edge > 0])
    part = binary_fill_holes(~background)
    _check_share(path, part, "keying its background out")
    alpha = np.clip(gaussian_filter(part.astype(np.float64), 0.7) * 255.0, 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def _check_share(path: Path, part: np.ndarray, how: str) -> None:
    share = float(part.mean())
    if not PART_SHARE[0] <= share <= PART_SHARE[1]:
        raise VdmError(
            f"In image {path}, {how} leaves {share:.0%} of it as the part; give an RGBA picture of the part "
            "on a transparent background, or a mask that is white on the part only."
        )
