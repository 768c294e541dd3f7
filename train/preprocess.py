"""The inference condition image (conventions section 5): an RGBA picture of a part, scaled and
centred on the grey square that the base plane shows in the front render, on white.

Scale: stitching fits each part's footprint to (1 - margin) of the square's side, so the
object's larger side is made that fraction of the grey square, as in the training renders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from vdm.errors import VdmError
from vdm.images import BACKGROUND, open_image
from vdm.rig import FOOTPRINT_MARGIN, PLANE_GREY, RENDER_SIZE

SQUARE_FRACTION = 2.0 / 3.0  # the square [-1, 1]^2 in the 3.0-wide front view
OBJECT_FILL = 1.0 - FOOTPRINT_MARGIN  # larger side of the object / side of the square
ALPHA_THRESHOLD = 16  # alpha at or above this counts for the object's extent (soft edges do not)


def square_box(size: int = RENDER_SIZE) -> tuple[int, int]:
    """(first, last + 1) pixel of the grey square along either axis."""
    side = round(size * SQUARE_FRACTION)
    first = (size - side) // 2
    return first, first + side


def read_rgba(path: Path) -> Image.Image:
    """An RGBA image with a transparent background; anything else fails in one sentence."""
    image = open_image(path)
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        raise VdmError(
            f"Image {path} has no alpha channel ({image.mode}); "
            "give an RGBA image of the part on a transparent background."
        )
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba)[..., 3]
    if (alpha < ALPHA_THRESHOLD).all():
        raise VdmError(f"Image {path} is fully transparent, so it shows no part.")
    if (alpha >= ALPHA_THRESHOLD).all():
        raise VdmError(f"Image {path} has no transparent background around the part.")
    return rgba


def condition_image(rgba: Image.Image, size: int = RENDER_SIZE) -> np.ndarray:
    """The (size, size, 3) uint8 condition: white canvas, grey square, the object centred on it."""
    alpha = np.asarray(rgba)[..., 3]
    ys, xs = np.nonzero(alpha >= ALPHA_THRESHOLD)
    crop = rgba.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    first, last = square_box(size)
    scale = OBJECT_FILL * (last - first) / max(crop.size)
    width, height = max(1, round(crop.size[0] * scale)), max(1, round(crop.size[1] * scale))
    # Resize with premultiplied alpha, so transparent pixels do not bleed their colour into edges.
    resized = crop.convert("RGBa").resize((width, height), Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", (size, size), (BACKGROUND,) * 4)
    grey = round(PLANE_GREY * 255)
    canvas.paste((grey, grey, grey, 255), (first, first, last, last))
    canvas.alpha_composite(resized, ((size - width) // 2, (size - height) // 2))
    return np.asarray(canvas.convert("RGB"))


# GenVDM's inference (`attach_gray_center_square` as its inference.py calls it): the picture's short
# side at 512, a grey square 0.7 of it on white, the object 0.65 of the square, pasted (not blended).
GENVDM_SQUARE, GENVDM_OBJECT = 0.7, 0.65
# InstantMesh's (`resize_foreground(image, 0.85)`): the object 0.85 of a transparent square, on white.
INSTANTMESH_OBJECT = 0.85


def genvdm_condition(rgba: Image.Image, size: int = RENDER_SIZE) -> np.ndarray:
    """The condition as GenVDM makes it from an RGBA picture (for its released checkpoint)."""
    scale = size / min(rgba.size)
    rgba = rgba.resize((round(rgba.size[0] * scale), round(rgba.size[1] * scale)), Image.Resampling.BICUBIC)
    pixels = np.asarray(rgba).astype(np.float64) / 255.0
    alpha = pixels[..., 3:]
    rgb = pixels[..., :3] * alpha + (1.0 - alpha)  # on white
    height, width = alpha.shape[:2]
    side = int(min(height, width) * GENVDM_SQUARE)
    top, left = (height - side) // 2, (width - side) // 2
    canvas = np.ones((height, width, 3))
    canvas[top : top + side, left : left + side] = PLANE_GREY
    ys, xs = np.nonzero(alpha[..., 0] > 0)
    box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    fit = GENVDM_OBJECT * side / max(box[2] - box[0], box[3] - box[1])
    new = (max(1, int((box[2] - box[0]) * fit)), max(1, int((box[3] - box[1]) * fit)))
    crop_rgb = (
        Image.fromarray(np.round(rgb * 255).astype(np.uint8)).crop(box).resize(new, Image.Resampling.BILINEAR)
    )
    crop_alpha = (
        Image.fromarray(np.round(alpha[..., 0] * 255).astype(np.uint8))
        .crop(box)
        .resize(new, Image.Resampling.NEAREST)
    )
    y0, x0 = top + side // 2 - new[1] // 2, left + side // 2 - new[0] // 2
    region = canvas[y0 : y0 + new[1], x0 : x0 + new[0]]
    shown = np.asarray(crop_alpha) > 0
    region[shown] = np.asarray(crop_rgb, dtype=np.float64)[shown] / 255.0
    top, left = (height - size) // 2, (width - size) // 2  # the pipeline's centre crop to a square
    return np.round(canvas[top : top + size, left : left + size] * 255).astype(np.uint8)


def instantmesh_condition(rgba: Image.Image, size: int = RENDER_SIZE) -> np.ndarray:
    """The condition as InstantMesh makes it: the object filling INSTANTMESH_OBJECT of a square, on
    white (its pipeline composites RGBA on white)."""
    alpha = np.asarray(rgba)[..., 3]
    ys, xs = np.nonzero(alpha > 0)
    crop = rgba.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    side = round(max(crop.size) / INSTANTMESH_OBJECT)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(crop, ((side - crop.size[0]) // 2, (side - crop.size[1]) // 2))
    canvas = Image.new("RGBA", (side, side), (BACKGROUND,) * 4)
    canvas.alpha_composite(square)
    return np.asarray(canvas.convert("RGB").resize((size, size), Image.Resampling.BICUBIC))
