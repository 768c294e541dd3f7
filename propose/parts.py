"""Parts worth a stamp: what a ball too big for their neck cannot reach (a morphological top-hat).

At each neck radius r, opening the solid by a ball of radius r (erode, then dilate) keeps the body
and loses every part joined to it by a neck narrower than about 2r; each connected piece of the
difference is a candidate. Ears, horns, tails and fingers appear at small radii, noses and snouts
at larger ones; a part seen at several radii is kept once, at the radius that gives it its best
score: how far it sticks out of the body over the width of its neck. A piece holding two prongs
(an ear and the horn beside it) is split; a piece joined to the body at both ends has no tip; legs
the mesh stands on rank after every other part (docs/propose.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from vdm.propose.config import ProposeConfig
from vdm.propose.solid import Solid

NECK_DISTANCE_VOXELS = 1.8  # part voxels this close to the body form its neck (26-neighbours)
CONTAINED = 0.7  # a candidate with this share of its faces inside a kept one is that part again
CUBE = np.ones((3, 3, 3), dtype=bool)  # 26-neighbour connectivity
PRONG_LEVELS = (0.25, 0.5, 0.75)  # heights (x a piece's farthest from the body) its prongs are cut at
PRONG_RISE = 2.0  # a prong rises this many voxels above the level it is cut at


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
    neighbour_face_ids: np.ndarray  # faces around its base that belong to a neighbouring part
    bottom: float  # its lowest point's height (+y is up)
    limb: bool = False  # a leg the mesh stands on: a poor stamp, ranked after every other part

    @property
    def score(self) -> float:
        return self.protrusion / self.neck_width

    def neighbour_faces_in(self, face_ids: np.ndarray, share: float) -> np.ndarray:
        """The faces of a neighbouring part among `face_ids` when they are more than `share` of
        them (a second blob on the plane), else none."""
        taken = np.intersect1d(face_ids, self.neighbour_face_ids)
        return taken if taken.size > share * len(face_ids) else taken[:0]

    @property
    def axis(self) -> np.ndarray:
        """Unit direction from the neck to the tip: the way the part points."""
        direction = self.tip - self.base
        return direction / max(float(np.linalg.norm(direction)), 1e-12)

    def reason(self) -> str:
        limb = "; a leg the mesh stands on, ranked after the other parts" if self.limb else ""
        return (
            f"sticks out {self.protrusion:.3g} from a neck {self.neck_width:.3g} wide "
            f"(score {self.score:.2f}, found with a ball of radius {self.scale:.3g}){limb}"
        )


def _parts_at(
    solid: Solid, depth: np.ndarray, radius: float, config: ProposeConfig, centroids: np.ndarray
) -> list[Part]:
    """The pieces the opening by a ball of `radius` voxels removes, as parts. The skin kept around
    a part's base stops halfway to a neighbouring piece (an eye beside a snout): those faces are
    the part's `neighbour_face_ids`, which its lasso must not take (a second blob on the plane)."""
    body = ndimage.distance_transform_edt(~(depth > radius)) <= radius
    rest = solid.inside & ~body
    labels, count = ndimage.label(rest, structure=CUBE)
    if count == 0:
        return []
    from_body, nearest_body = ndimage.distance_transform_edt(~body, return_indices=True)
    body_pieces, _ = ndimage.label(body, structure=CUBE)
    count = _split_prongs(labels, count, from_body, config.min_part_voxels)
    total = float(solid.inside.sum())
    h = solid.spacing
    windows = ndimage.find_objects(labels)
    sizes = ndimage.sum_labels(rest, labels, np.arange(1, count + 1))
    pieces = np.flatnonzero(sizes >= config.min_part_voxels) + 1
    piece_voxels = np.argwhere(np.isin(labels, pieces))
    piece_of = labels[tuple(piece_voxels.T)]
    piece_height = from_body[tuple(piece_voxels.T)]
    parts = []
    for index in pieces:
        window = windows[index - 1]
        mask = labels[window] == index
        n_voxels = int(mask.sum())
        if n_voxels > config.max_part_fraction * total:
            continue
        offset = np.array([s.start for s in window])
        voxels = np.argwhere(mask) + offset
        distance = from_body[tuple(voxels.T)]
        neck = voxels[distance <= NECK_DISTANCE_VOXELS]
        if len(neck) == 0:
            continue  # a loose piece, not joined to the body
        if _bridges(neck, nearest_body, body_pieces):
            continue  # joined to the body at both ends (a leg between a hoof and the torso): no tip
        neck_width = 2.0 * np.sqrt(len(neck) / np.pi) * h
        tip = solid.centres(voxels[np.argmax(distance)][None])[0]
        base = solid.centres(neck).mean(axis=0)
        margin = config.margin * neck_width + h
        centres = solid.centres(voxels)
        lo, hi = centres.min(axis=0) - margin, centres.max(axis=0) + margin
        near = np.flatnonzero(np.all((centroids >= lo) & (centroids <= hi), axis=1))
        reach, _ = cKDTree(centres).query(centroids[near], distance_upper_bound=margin)
        # The skin around the base stops halfway to a neighbouring part (an eye beside a snout).
        other = _distance_to(solid, piece_voxels[piece_of != index], centroids[near], margin)
        face_ids = near[np.isfinite(reach) & (reach <= other)]
        # Faces on a neighbour's raised part (not on its neck, which is skin): a second blob.
        raised = piece_voxels[(piece_of != index) & (piece_height > NECK_DISTANCE_VOXELS)]
        on_raised = _distance_to(solid, raised, centroids[near], h) < reach
        neighbour_face_ids = near[on_raised & (other <= h)]
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
                neighbour_face_ids=np.sort(neighbour_face_ids).astype(np.int64),
                bottom=float(centres[:, 1].min()),
            )
        )
    return parts


def _prongs(distance: np.ndarray, min_voxels: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The prongs of one piece (`distance` from the body inside it, 0 outside): labels and the
    prong ids, or None when it has one. A prong is a connected set of voxels farther from the body
    than a level (PRONG_LEVELS x the piece's farthest) that rises PRONG_RISE voxels above it; the
    lowest level that parts two prongs is used."""
    peak = float(distance.max())
    for fraction in PRONG_LEVELS:
        level = fraction * peak
        prongs, count = ndimage.label(distance > level, structure=CUBE)
        if count < 2:
            continue
        ids = np.arange(1, count + 1)
        sizes = ndimage.sum_labels(np.ones_like(distance), prongs, ids)
        rises = ndimage.maximum(distance, prongs, ids) - level
        kept = ids[(sizes >= min_voxels) & (rises >= PRONG_RISE)]
        if len(kept) >= 2:
            return prongs, kept
    return None


def _distance_to(solid: Solid, voxels: np.ndarray, points: np.ndarray, bound: float) -> np.ndarray:
    """Distance from each point to the nearest of `voxels`' centres (inf beyond `bound` or none)."""
    if len(voxels) == 0:
        return np.full(len(points), np.inf)
    return cKDTree(solid.centres(voxels)).query(points, distance_upper_bound=bound)[0]


def _split_prongs(labels: np.ndarray, count: int, from_body: np.ndarray, min_voxels: int) -> int:
    """Split, in place, each piece that holds two or more prongs (an ear and the horn beside it,
    which a large ball cannot part) into one piece per prong, each voxel going to its nearest
    prong; returns the new piece count."""
    for index, window in enumerate(ndimage.find_objects(labels)[:count], start=1):
        if window is None:
            continue
        mask = labels[window] == index
        found = _prongs(np.where(mask, from_body[window], 0.0), min_voxels)
        if found is None:
            continue
        prongs, kept = found
        seeds = np.argwhere(np.isin(prongs, kept))
        voxels = np.argwhere(mask)
        _, nearest = cKDTree(seeds).query(voxels)
        owner = np.searchsorted(kept, prongs[tuple(seeds[nearest].T)])
        new_ids = np.r_[index, count + 1 + np.arange(len(kept) - 1)]
        labels[window][tuple(voxels.T)] = new_ids[owner]
        count += len(kept) - 1
    return count


def _bridges(neck: np.ndarray, nearest_body: np.ndarray, body_pieces: np.ndarray) -> bool:
    """Whether a piece's neck touches two separate pieces of the body, each along a tenth of it."""
    touched = body_pieces[tuple(nearest_body[(slice(None), *neck.T)])]
    counts = np.bincount(touched[touched > 0])
    return int((counts >= 0.1 * len(neck)).sum()) >= 2


def face_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two sorted face-id sets."""
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / max(a.size + b.size - common, 1)


def same_part(a: Part, b: Part, iou: float) -> bool:
    """Two candidates are one part when they share a tip (a part and the same part with more of its
    base, found at a larger radius), when most of their faces are shared (intersection over union
    above `iou`), or when most of the smaller one's faces lie in the larger one (a horn, and the horn
    with the forehead beside it)."""
    shared_tip = float(np.linalg.norm(a.tip - b.tip)) < 0.5 * min(a.neck_width, b.neck_width)
    common = np.intersect1d(a.face_ids, b.face_ids, assume_unique=True).size
    inside = common / max(min(a.face_ids.size, b.face_ids.size), 1)
    return shared_tip or face_iou(a.face_ids, b.face_ids) > iou or inside > CONTAINED


def stands_on(part: Part, solid: Solid, band: float) -> bool:
    """Whether `part` is a leg the mesh stands on: it reaches the ground (within `band` x the solid's
    height of its lowest point; +y is up, as in glTF). Tables, chairs and animals carry their weight
    on such parts (or their hooves), and none makes a stamp an artist wants."""
    rows = np.flatnonzero(solid.inside.any(axis=(0, 2)))
    lowest = solid.origin[1] + (rows[0] + 0.5) * solid.spacing
    height = (rows[-1] - rows[0]) * solid.spacing
    return bool(part.bottom - lowest <= band * height + solid.spacing)


def find_parts(centroids: np.ndarray, solid: Solid, config: ProposeConfig) -> list[Part]:
    """Candidate parts of the solid (faces picked by their `centroids`), one per part (overlaps kept
    at their best radius): legs the mesh stands on last, the rest best score first."""
    depth = ndimage.distance_transform_edt(solid.inside)
    thickest = float(depth.max())
    found: list[Part] = []
    for fraction in config.scales:
        radius = fraction * thickest
        if radius >= config.min_scale_voxels:
            found += _parts_at(solid, depth, radius, config, centroids)
    floor = config.min_length * thickest * solid.spacing
    found = [p for p in found if p.score >= config.min_protrusion and p.protrusion >= floor]
    found = [replace(p, limb=stands_on(p, solid, config.ground_band)) for p in found]
    found.sort(key=lambda p: (p.limb, -p.score, p.scale, int(p.face_ids[0])))
    kept: list[Part] = []
    for part in found:
        if not any(same_part(part, other, config.same_part_iou) for other in kept):
            kept.append(part)
    return kept
