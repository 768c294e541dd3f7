"""How many of the parts a curator selected the proposals find: the measure of `vdm propose`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vdm.propose.parts import face_iou
from vdm.sources.tips import Tip

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


def tips_held(
    tips: Sequence[np.ndarray], proposals: Sequence[np.ndarray], centroids: np.ndarray, size: float
) -> np.ndarray:
    """(tips, proposals) booleans: whether a proposal (face ids) has a face centroid within
    TIP_REACH x `size` of a tip."""
    held = np.zeros((len(tips), len(proposals)), dtype=bool)
    for i, tip in enumerate(tips):
        near = np.linalg.norm(centroids - np.asarray(tip), axis=1) <= TIP_REACH * size
        held[i] = [near[np.asarray(p, dtype=np.int64)].any() for p in proposals]
    return held


@dataclass(frozen=True)
class TipRecall:
    """How the proposals of one mesh meet its annotated tips."""

    found: int  # stamp-worthy tips (head and body parts) some proposal holds
    wanted: int
    missed: list[str]  # their names
    limbs_last: bool  # no proposal holding a limb ranks above one holding a head part
    two_parts: int  # proposals holding two or more annotated parts (a second blob)


def tip_recall(
    tips: Sequence[Tip], proposals: Sequence[np.ndarray], centroids: np.ndarray, size: float
) -> TipRecall:
    """Recall of `tips` by the ranked `proposals` (face ids) of a mesh of `size` (its longest side);
    a tip's rank is the first proposal holding it."""
    held = tips_held([t.point for t in tips], proposals, centroids, size)
    ranks = [int(np.argmax(row)) + 1 if row.any() else None for row in held]
    stamps = [(t, r) for t, r in zip(tips, ranks, strict=True) if t.stamp]
    limbs = [r for t, r in zip(tips, ranks, strict=True) if not t.stamp and r is not None]
    heads = [r for t, r in zip(tips, ranks, strict=True) if t.kind == "head part" and r is not None]
    return TipRecall(
        found=sum(r is not None for _, r in stamps),
        wanted=len(stamps),
        missed=[t.name for t, r in stamps if r is None],
        limbs_last=not limbs or not heads or min(limbs) > max(heads),
        two_parts=int((held.sum(axis=0) >= 2).sum()),
    )
