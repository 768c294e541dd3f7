"""Normal views as a multi-view diffusion model makes them: seeded degradations of a patch's renders.

Clean renders of the rig agree with each other to the pixel; the six tiles of a Zero123++-style
model do not. Each degradation imitates one way they differ (`DEGRADATIONS`):

- `inconsistent`: each view is rendered from its own variant of the part: scaled about its
  footprint by up to 6 % and bent by a smooth random field of up to 0.03, both fading to nothing at
  the plane (six samples of a model are six plausible parts, not one).
- `tiles`: each view cut down to the tile a 960 x 640 grid gives (320 of 512 pixels, bilinear) and
  upsampled back (bicubic), as 8-bit images: detail blurred, white mixed into the outline.
- `non-unit`: encoded vectors whose length wanders smoothly between 0.88 and 1.12.
- `colour-shift`: each view's channels offset by up to 6 levels and scaled by up to 4 %.
- `background`: the background a near-white tint with a little noise, not exactly (255, 255, 255).
- `blurred-view`: one view blurred badly (Gaussian, sigma 2 % of its side).
- `all`: every one of the above at once.

With `all`, a view's colours drift first, then it is resized and blurred, then its background
tinted, as a generated image's would be. Views are encoded 8-bit normal maps (conventions section
5) of the six grid views, keyed by view index; the same patch, degradation, size and seed give the
same bytes.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from vdm.errors import VdmError
from vdm.images import BACKGROUND, decode_normals
from vdm.patch import PART, Patch
from vdm.rig import GRID_VIEWS, RENDER_SIZE, TILE_SIZE

DEGRADATIONS = ("inconsistent", "tiles", "non-unit", "colour-shift", "background", "blurred-view", "all")
SCALE = 0.06  # the most a view's part is scaled by (inconsistent)
BEND = 0.03  # the largest offset of the smooth random bend (inconsistent), patch units
BEND_FADE = 0.2  # the variant is the truth at z = 0 and fully deformed from this height
LENGTH = 0.12  # encoded vectors' lengths lie within 1 +- this (non-unit)
OFFSET = 6  # 8-bit levels a channel is offset by, at most (colour-shift)
GAIN = 0.04  # a channel is scaled by 1 +- this, at most (colour-shift)
TINT = (4, 16)  # the background is this many levels below white per channel (background)
TINT_NOISE = 2  # ... give or take this much per pixel
BLUR = 0.02  # sigma of the badly blurred view, a fraction of its side (blurred-view)


def part_variant(patch: Patch, rng: np.random.Generator) -> Patch:
    """The patch with its part scaled about its footprint and bent smoothly; the plane unmoved."""
    v = patch.vertices
    part = v[patch.labels == PART]
    centre = np.array([*part[:, :2].mean(axis=0), 0.0])
    scale = 1.0 + rng.uniform(-SCALE, SCALE)
    frequencies = rng.normal(size=(3, 3)) * np.pi  # wavelengths about one half-width
    phases = rng.uniform(0.0, 2.0 * np.pi, 3)
    bend = BEND * np.sin(v @ frequencies.T + phases)
    t = np.clip(v[:, 2] / BEND_FADE, 0.0, 1.0)
    weight = (t * t * (3.0 - 2.0 * t))[:, None]  # smoothstep: nothing moves at the plane
    return Patch(v + weight * ((scale - 1.0) * (v - centre) + bend), patch.faces, patch.labels)


def _renders(patch: Patch, size: int, rng: np.random.Generator, vary: bool) -> dict[int, np.ndarray]:
    from vdm.render.renderer import PatchRenderer

    with PatchRenderer(size) as renderer:
        if not vary:
            return {k: v.normal for k, v in renderer.render(patch, GRID_VIEWS).items()}
        return {k: renderer.render(part_variant(patch, rng), [k])[k].normal for k in GRID_VIEWS}


def _foreground(image: np.ndarray) -> np.ndarray:
    return ~(image == BACKGROUND).all(axis=-1)


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A smooth random field in [-1, 1] (features a tenth of the view across, twice its standard
    deviation reaching the ends)."""
    field = gaussian_filter(rng.normal(size=shape), 0.1 * shape[0])
    return np.clip(field / max(2.0 * float(field.std()), 1e-12), -1.0, 1.0)


def _encode(vectors: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Vectors encoded as section 5 does, without normalising them; background pixels kept."""
    rgb = np.clip(np.rint((vectors + 1.0) / 2.0 * 255.0), 0, 254)  # 255 in all three is background
    return np.where(_foreground(image)[..., None], rgb, image).astype(np.uint8)


def tiles(image: np.ndarray) -> np.ndarray:
    """Down to a grid tile's share of a render (320 of 512 pixels) and back up, as 8-bit images."""
    size = image.shape[0]
    tile = max(1, round(size * TILE_SIZE / RENDER_SIZE))
    small = Image.fromarray(image).resize((tile, tile), Image.Resampling.BILINEAR)
    return np.asarray(small.resize((size, size), Image.Resampling.BICUBIC))


def non_unit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Encoded vectors whose lengths wander smoothly within 1 +- LENGTH."""
    normals, _ = decode_normals(image)
    length = 1.0 + LENGTH * _smooth_field(image.shape[:2], rng)
    return _encode(normals * length[..., None], image)


def colour_shift(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each channel of the foreground scaled by 1 +- GAIN and offset by +- OFFSET levels."""
    gain = 1.0 + rng.uniform(-GAIN, GAIN, 3)
    offset = rng.uniform(-OFFSET, OFFSET, 3)
    shifted = np.clip(np.rint(image.astype(np.float64) * gain + offset), 0, 254)
    return np.where(_foreground(image)[..., None], shifted, image).astype(np.uint8)


def background_tint(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The background a near-white tint (TINT levels below white per channel) with per-pixel noise."""
    tint = BACKGROUND - rng.integers(*TINT, size=3, endpoint=True)
    noise = rng.integers(-TINT_NOISE, TINT_NOISE, size=image.shape, endpoint=True)
    background = np.clip(tint + noise, 0, BACKGROUND)
    return np.where(_foreground(image)[..., None], image, background).astype(np.uint8)


def blurred(image: np.ndarray) -> np.ndarray:
    """The whole encoded image blurred (Gaussian, sigma BLUR of its side), outline and all."""
    sigma = BLUR * image.shape[0]
    channels = [gaussian_filter(image[..., c].astype(np.float64), sigma) for c in range(3)]
    return np.clip(np.rint(np.stack(channels, -1)), 0, BACKGROUND).astype(np.uint8)


def degraded_views(
    patch: Patch, degradation: str, size: int = RENDER_SIZE, seed: int = 0
) -> dict[int, np.ndarray]:
    """The six grid views of `patch` rendered at `size` pixels and degraded (module docstring)."""
    if degradation not in DEGRADATIONS:
        raise VdmError(f"Unknown degradation {degradation!r}; use one of {', '.join(DEGRADATIONS)}.")
    rng = np.random.default_rng(seed)
    every = degradation == "all"
    views = _renders(patch, size, rng, vary=every or degradation == "inconsistent")
    blurred_view = GRID_VIEWS[rng.integers(len(GRID_VIEWS))]
    out = {}
    chosen = set(DEGRADATIONS) if every else {degradation}
    for k in GRID_VIEWS:
        image = np.asarray(views[k])[..., :3]
        if "non-unit" in chosen:
            image = non_unit(image, rng)
        if "colour-shift" in chosen:
            image = colour_shift(image, rng)
        if "tiles" in chosen:
            image = tiles(image)
        if "blurred-view" in chosen and k == blurred_view:
            image = blurred(image)
        if "background" in chosen:
            image = background_tint(image, rng)
        out[k] = image
    return out
