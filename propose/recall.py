"""How many of the parts a curator selected the proposals find: the measure of `vdm propose`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vdm.propose.parts import face_iou

MATCH_IOU = 0.3  # a proposal finds a hand-made selection when their faces overlap this much


def found_parts(selections: Sequence[np.ndarray], proposals: Sequence[np.ndarray]) -> list[bool]:
    """For each hand-made selection (face ids), whether some proposal's faces overlap it by
    MATCH_IOU or more (a curator's selection keeps a little more or less skin around the base)."""
    picked = [np.unique(np.asarray(p, dtype=np.int64)) for p in proposals]
    return [
        any(face_iou(np.unique(np.asarray(s, dtype=np.int64)), p) >= MATCH_IOU for p in picked)
        for s in selections
    ]


TIP_REACH = 0.02  # a proposal holds a tip when one of its faces lies this near it (x the mesh's size)


def tip_ranks(
    tips: Sequence[np.ndarray], proposals: Sequence[np.ndarray], centroids: np.ndarray, size: float
) -> list[int | None]:
    """For each annotated tip, the rank (1 = first) of the first proposal (face ids) with a face
    centroid within TIP_REACH x `size` of it; None when no proposal reaches it."""
    ranks: list[int | None] = []
    for tip in tips:
        near = np.linalg.norm(centroids - np.asarray(tip), axis=1) <= TIP_REACH * size
        ranks.append(next((rank for rank, p in enumerate(proposals, 1) if near[np.asarray(p)].any()), None))
    return ranks
