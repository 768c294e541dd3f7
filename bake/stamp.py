"""A brush's frame (conventions 6c): the region a bake's map moves (the part's footprint and its
transition band) centred on the brush centre and scaled to fill Blender's brush circle, and the patch
moved with it. The map itself is the patch frame's (bake.brush): only where its samples are taken
changes, so every section-6b property holds up to this centring and scale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vdm.bake.parameterize import Parameterization
from vdm.errors import VdmError
from vdm.geometry import signed_areas_2d
from vdm.patch import PLANE, Patch
from vdm.topology import boundary_loops

# A brush's moved region (the part and its transition band) is fitted into this radius of Blender's
# brush circle: the repairs may move a pixel or two past it, never to the circle (12 pixels at 512).
STAMP_RADIUS = 0.95
PLANE_SPACING = 0.05  # edge length of the fresh plane a brush's patch is joined into (brush units)


@dataclass(frozen=True)
class StampFit:
    """Where a brush puts its patch: the patch's plane point p lands at `scale` (p - `centre`)."""

    centre: tuple[float, float]
    scale: float

    def to_json(self) -> dict:
        return {"centre": list(self.centre), "scale": self.scale}

    def outside_square(self, resolution: int) -> float:
        """How many pixels of the patch frame's square (its image here, at this VDM's pixel size) lie
        outside the brush's square: bare plane that a brush VDM no longer holds."""
        low = self.scale * (-1.0 - np.asarray(self.centre))
        high = self.scale * (1.0 - np.asarray(self.centre))
        overlap = np.prod(np.clip(np.minimum(high, 1.0) - np.maximum(low, -1.0), 0.0, None))
        return float((np.prod(high - low) - overlap) * (resolution / 2.0) ** 2)


def stamp_fit(patch: Patch, mapping: Parameterization) -> StampFit:
    """Centre the region the map moves (the part's footprint and its band, area centroid in the
    square) on the brush's centre, and scale it so its farthest point lies at STAMP_RADIUS: the
    stamp grows under the cursor and Blender's circle holds all of it."""
    faces = patch.faces[mapping.free[patch.faces].any(axis=1)]
    area = np.abs(signed_areas_2d(mapping.uv, faces))
    centre = (mapping.uv[faces].mean(axis=1) * area[:, None]).sum(axis=0) / area.sum()
    reach = float(np.linalg.norm(mapping.uv[np.unique(faces)] - centre, axis=1).max())
    return StampFit((float(centre[0]), float(centre[1])), STAMP_RADIUS / reach)


def in_stamp_frame(patch: Patch, mapping: Parameterization, fit: StampFit) -> tuple[Patch, Parameterization]:
    """The patch and its map in the brush's frame: the region the map moves (and the ring of fixed
    plane around it) moved by the fit, joined into a fresh plane over the brush's square, so the
    patch a brush encodes is again a patch of conventions section 1 (the plane stays the identity)."""
    from vdm.stitching.plane import join_plane

    faces = patch.faces[mapping.free[patch.faces].any(axis=1)]
    used = np.unique(faces)
    remap = np.full(len(patch.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    loops = boundary_loops(remap[faces])
    if len(loops) != 1:
        raise VdmError("The plane around the part is not one ring: the patch's plane has a hole there.")
    centre = np.array([*fit.centre, 0.0])
    moved = fit.scale * (patch.vertices[used] - centre)
    vertices, joined, _ = join_plane(moved, remap[faces], loops[0], PLANE_SPACING)
    extra = len(vertices) - len(used)
    labels = np.r_[patch.labels[used], np.full(extra, PLANE, dtype=np.uint8)]
    colours = None
    if patch.vertex_colors is not None:
        ring_colour = patch.vertex_colors[used[loops[0][:1]]]  # the plane's own colour
        colours = np.vstack([patch.vertex_colors[used], np.repeat(ring_colour, extra, axis=0)])
    uv = np.vstack([fit.scale * (mapping.uv[used] - centre[:2]), vertices[len(used) :, :2]])
    free = np.r_[mapping.free[used], np.zeros(extra, dtype=bool)]
    return Patch(vertices, joined, labels, colours), replace(mapping, uv=uv, free=free)
