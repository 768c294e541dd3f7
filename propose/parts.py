"""Parts worth a stamp: what a ball too big for their neck cannot reach (a morphological top-hat).

At each neck radius r, opening the solid by a ball of radius r (erode, then dilate) keeps the body
and loses every part joined to it by a neck narrower than about 2r; each connected piece of the
difference is a candidate. Ears, horns, tails and fingers appear at small radii, noses and snouts
at larger ones; a part seen at several radii is kept once, at the radius that gives it its best
score: how far it sticks out of the body over the width of its neck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from vdm.propose.config import ProposeConfig
from vdm.propose.solid import Solid

NECK_DISTANCE_VOXELS = 1.8  # part voxels this close to the body form its neck (26-neighbours)


@dataclass(frozen=True)
class Part:
    """One candidate: its faces (with skin around its base) and the figures that rank it."""

    face_ids: np.ndarray  # sorted int64
    scale: float  # the neck radius it was found at (mesh units)
    neck_width: float  # diameter of a disc of the neck's area
    protrusion: float  # how far its farthest voxel lies from the body
    volume_fraction: float  # of the whole solid
    tip: np.ndarray  # its point farthest from the body
    base: np.ndarray  # the centre of its neck

    @property
    def score(self) -> float:
        return self.protrusion / self.neck_width

    @property
    def axis(self) -> np.ndarray:
        """Unit direction from the neck to the tip: the way the part points."""
        direction = self.tip - self.base
        return direction / max(float(np.linalg.norm(direction)), 1e-12)

    def reason(self) -> str:
        return (
            f"sticks out {self.protrusion:.3g} from a neck {self.neck_width:.3g} wide "
            f"(score {self.score:.2f}, found with a ball of radius {self.scale:.3g})"
        )


def _parts_at(
    solid: Solid, depth: np.ndarray, radius: float, config: ProposeConfig, centroids: np.ndarray
) -> list[Part]:
    """The pieces the opening by a ball of `radius` voxels removes, as parts."""
    body = ndimage.distance_transform_edt(~(depth > radius)) <= radius
    rest = solid.inside & ~body
    labels, count = ndimage.label(rest, structure=np.ones((3, 3, 3), dtype=bool))
    if count == 0:
        return []
    from_body = ndimage.distance_transform_edt(~body)
    total = float(solid.inside.sum())
    h = solid.spacing
    parts = []
    for index, window in enumerate(ndimage.find_objects(labels), start=1):
        mask = labels[window] == index
        n_voxels = int(mask.sum())
        if n_voxels < config.min_part_voxels or n_voxels > config.max_part_fraction * total:
            continue
        offset = np.array([s.start for s in window])
        voxels = np.argwhere(mask) + offset
        distance = from_body[tuple(voxels.T)]
        neck = voxels[distance <= NECK_DISTANCE_VOXELS]
        if len(neck) == 0:
            continue  # a loose piece, not joined to the body
        neck_width = 2.0 * np.sqrt(len(neck) / np.pi) * h
        tip = solid.centres(voxels[np.argmax(distance)][None])[0]
        base = solid.centres(neck).mean(axis=0)
        margin = config.margin * neck_width + h
        centres = solid.centres(voxels)
        lo, hi = centres.min(axis=0) - margin, centres.max(axis=0) + margin
        near = np.flatnonzero(np.all((centroids >= lo) & (centroids <= hi), axis=1))
        reach, _ = cKDTree(centres).query(centroids[near], distance_upper_bound=margin)
        face_ids = near[np.isfinite(reach)]
        if len(face_ids) == 0:
            continue
        parts.append(
            Part(
                face_ids=np.sort(face_ids).astype(np.int64),
                scale=radius * h,
                neck_width=neck_width,
                protrusion=float(distance.max()) * h,
                volume_fraction=n_voxels / total,
                tip=tip,
                base=base,
            )
        )
    return parts


def face_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two sorted face-id sets."""
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / max(a.size + b.size - common, 1)


def same_part(a: Part, b: Part, iou: float) -> bool:
    """Two candidates are one part when they share a tip (a part and the same part with more of its
    base, found at a larger radius) or most of their faces."""
    shared_tip = float(np.linalg.norm(a.tip - b.tip)) < 0.5 * min(a.neck_width, b.neck_width)
    return shared_tip or face_iou(a.face_ids, b.face_ids) > iou


def find_parts(centroids: np.ndarray, solid: Solid, config: ProposeConfig) -> list[Part]:
    """Candidate parts of the solid (faces picked by their `centroids`), best score first, one per
    part (overlaps kept at their best radius)."""
    depth = ndimage.distance_transform_edt(solid.inside)
    thickest = float(depth.max())
    found: list[Part] = []
    for fraction in config.scales:
        radius = fraction * thickest
        if radius >= config.min_scale_voxels:
            found += _parts_at(solid, depth, radius, config, centroids)
    floor = config.min_length * thickest * solid.spacing
    found = [p for p in found if p.score >= config.min_protrusion and p.protrusion >= floor]
    found.sort(key=lambda p: (-p.score, p.scale, int(p.face_ids[0])))
    kept: list[Part] = []
    for part in found:
        if not any(same_part(part, other, config.same_part_iou) for other in kept):
            kept.append(part)
    return kept
