"""Step 5: seeded augmentations of a patch: rotation about z, uniform scale and offset in the square.

The "core" of a patch (every face that is not flat base plane: the part and its smoothed seam) is
moved by the similarity transform and the plane is re-triangulated around it, so each variant is
again one clean disk with the square as its border. Augmentation i draws from the seed sequence
(seed, i): it does not depend on how many were asked for, and index 0 is the identity (the patch
as stitched).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vdm.errors import Rejected
from vdm.meshtools import compact
from vdm.patch import PLANE, Patch
from vdm.stitching.config import StitchConfig
from vdm.stitching.gates import check_gates, detail_change, measure_gates
from vdm.stitching.plane import join_plane
from vdm.topology import boundary_loops


@dataclass
class Augmented:
    """One variant: its patch, the transform that made it, and its re-measured gates."""

    patch: Patch
    augmentation: dict  # {"rotation_deg", "scale", "offset": [dx, dy]}
    report: dict


@dataclass
class _Core:
    vertices: np.ndarray
    faces: np.ndarray
    labels: np.ndarray
    colours: np.ndarray | None
    loop: np.ndarray


def _core(patch: Patch) -> _Core:
    v, f = patch.vertices, patch.faces
    flat = ((patch.labels[f] == PLANE) & (v[f][:, :, 2] == 0.0)).all(axis=1)
    vertices, faces, kept = compact(v, f[~flat])
    loops = boundary_loops(faces)
    if len(loops) != 1:
        raise Rejected("augment", f"The patch's part has {len(loops)} borders with the plane instead of one.")
    colours = patch.vertex_colors[kept] if patch.vertex_colors is not None else None
    return _Core(vertices, faces, patch.labels[kept], colours, loops[0])


def _draw(core: _Core, rng: np.random.Generator, config: StitchConfig) -> tuple[float, float, np.ndarray]:
    """Rotation (degrees), scale and offset that keep the core inside the square's margin."""
    rotation = float(rng.uniform(0.0, 360.0))
    lo_s, hi_s = config.augment_scale
    reach = float(np.linalg.norm(core.vertices[:, :2], axis=1).max())
    fit = (1.0 - config.augment_margin) / max(reach, 1e-12)
    height_fit = config.gates.max_height / max(float(core.vertices[:, 2].max()), 1e-12)
    scale = float(rng.uniform(lo_s, hi_s)) * min(1.0, fit, height_fit)
    xy = _rotate(core.vertices[:, :2], rotation) * scale
    room_lo = -1.0 + config.augment_margin - xy.min(axis=0)
    room_hi = 1.0 - config.augment_margin - xy.max(axis=0)
    offset = np.array([rng.uniform(a, b) if b > a else 0.0 for a, b in zip(room_lo, room_hi, strict=True)])
    return rotation, scale, offset


def _rotate(xy: np.ndarray, degrees: float) -> np.ndarray:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return xy @ np.array([[c, s], [-s, c]])


def _variant(core: _Core, rotation: float, scale: float, offset: np.ndarray, config: StitchConfig) -> Patch:
    moved = np.c_[_rotate(core.vertices[:, :2], rotation) * scale + offset, core.vertices[:, 2] * scale]
    moved[core.loop, 2] = 0.0
    vertices, faces, plane_labels = join_plane(moved, core.faces, core.loop, config.target_edge_length)
    labels = plane_labels.copy()
    labels[: len(moved)] = core.labels
    colours = None
    if core.colours is not None:
        colours = np.tile(np.array([128, 128, 128], dtype=np.uint8), (len(vertices), 1))
        colours[: len(moved)] = core.colours[:, :3]
    return Patch(vertices, faces, labels, colours)


def augment_patch(patch: Patch, count: int, seed: int, config: StitchConfig | None = None) -> list[Augmented]:
    """`count` variants of a stitched patch; index i is augmentation i (patch id `<selection>-a<i>`)."""
    config = config or StitchConfig()
    if count < 1:
        return []
    core = _core(patch)
    out = []
    for index in range(count):
        if index == 0:
            rotation, scale, offset = 0.0, 1.0, np.zeros(2)
            variant = Patch(
                patch.vertices.copy(), patch.faces.copy(), patch.labels.copy(), patch.vertex_colors
            )
            detail = 0.0
        else:
            rng = np.random.default_rng([seed, index])
            rotation, scale, offset = _draw(core, rng, config)
            variant = _variant(core, rotation, scale, offset, config)
            expected = np.c_[_rotate(core.vertices[:, :2], rotation), core.vertices[:, 2]] * scale
            detail = detail_change(
                expected,
                variant.vertices[: len(core.vertices)],
                core.faces,
                np.ones(len(core.vertices), bool),
            )
        gates = measure_gates(variant, config.gates, detail)
        augmentation = {
            "rotation_deg": rotation,
            "scale": scale,
            "offset": [float(offset[0]), float(offset[1])],
        }
        report = {
            "augmentation": augmentation,
            "gates": gates,
            "accepted": all(g["pass"] for g in gates.values()),
        }
        check_gates(gates, "augment")
        out.append(Augmented(variant, augmentation, report))
    return out
