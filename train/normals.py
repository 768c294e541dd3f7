"""Generated normal maps: the foreground mask, cleaned tiles and the angular error against truth."""

from __future__ import annotations

import numpy as np

from vdm.images import decode_normals, encode_normals

# A pixel decodes to a vector of length 1 on the patch and sqrt(3) on the white background; a
# generated pixel is foreground if it is closer to unit length.
FOREGROUND_MAX_LENGTH = (1.0 + np.sqrt(3.0)) / 2.0


def clean_normal_map(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A generated 8-bit normal map to (re-encoded unit normals with exact white background, mask)."""
    raw = np.asarray(rgb)[..., :3].astype(np.float32) / 255.0 * 2.0 - 1.0
    length = np.linalg.norm(raw, axis=-1)
    mask = (length < FOREGROUND_MAX_LENGTH) & (length > 1e-3)
    normals = raw / np.maximum(length, 1e-6)[..., None]
    return encode_normals(normals, mask), mask


def mean_angular_error(generated: np.ndarray, truth: np.ndarray) -> float:
    """Mean angle in degrees between generated and true normals over the truth's foreground; a
    pixel the generated map leaves as background counts as 90 degrees."""
    truth_normals, truth_mask = decode_normals(truth)
    if not truth_mask.any():
        return 0.0
    cleaned, _ = clean_normal_map(generated)
    gen_normals, _ = decode_normals(cleaned)
    cosine = np.clip((gen_normals * truth_normals).sum(axis=-1)[truth_mask], -1.0, 1.0)
    return float(np.degrees(np.arccos(cosine)).mean())
