"""Normal views made to disagree a little, as a diffusion model's six tiles do: each view's normals
turned by a few degrees about a random axis, per-pixel noise, a blur, and one tile shifted by a few
pixels. Seeded: the same seed gives the same views."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.spatial.transform import Rotation

from vdm.images import decode_normals, encode_normals

TURN_DEG = 3.0  # each view's normals turned by this much
NOISE = 0.05  # per-component Gaussian noise on the unit normals
BLUR_PX = 0.8  # Gaussian blur of the normals (sigma, pixels)
SHIFT_PX = 2  # the shifted tile moves by this many pixels right and down
SHIFTED_VIEW = 4


def perturb_views(views: dict[int, np.ndarray], seed: int = 0) -> dict[int, np.ndarray]:
    """The encoded normal maps `views` with the disagreements above."""
    rng = np.random.default_rng(seed)
    out = {}
    for k in sorted(views):
        normals, mask = decode_normals(views[k])
        axis = rng.normal(size=3)
        turn = Rotation.from_rotvec(np.radians(TURN_DEG) * axis / np.linalg.norm(axis))
        normals = turn.apply(normals.reshape(-1, 3)).reshape(normals.shape)
        normals = normals + rng.normal(scale=NOISE, size=normals.shape)
        weight = gaussian_filter(mask.astype(float), BLUR_PX)
        normals = np.stack([gaussian_filter(normals[..., c] * mask, BLUR_PX) for c in range(3)], -1)
        normals /= np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-6)
        mask = weight > 0.5
        if k == SHIFTED_VIEW:
            normals = np.roll(normals, (SHIFT_PX, SHIFT_PX), axis=(0, 1))
            mask = np.roll(mask, (SHIFT_PX, SHIFT_PX), axis=(0, 1))
        out[k] = encode_normals(normals, mask)
    return out
