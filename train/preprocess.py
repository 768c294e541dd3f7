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
