"""`vdm synth`: procedural patches with known undercuts, for pre-training and exact evaluation.

Each patch comes from a generator and parameters drawn from a seed: index i of seed s draws from
numpy's generator seeded [s, i, d], d = 0, or 1, 2, ... where the draw before missed a gate.
Generators: horns and tusks curling over their base, hooks, mushrooms and caps, ears whose helix
folds over, bulbs on stalks, noses and fins, built by the analytic constructions of `vdm.shapes`
(tubes swept along curves, surfaces of revolution, the plane stitched on), turned about z, with
smooth detail noise along the part's normals. The parameters are the patch's provenance (the
manifest's `generator`); the same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vdm.patch import Patch, part_faces
from vdm.shapes import revolved_rings, ring_patch, swept_rings

SYNTHETIC_KIND = "synthetic"
FOOTPRINT = 0.8  # every part stays inside [-0.8, 0.8]^2 (the augmentations need room)
MAX_DRAWS = 8  # tries per patch before its last rejection is recorded
SCALE = (0.7, 1.4)  # the whole part is scaled by a factor drawn from this range
PLANE_SPACING = 0.03  # edge length of the plane around the part (the stitcher's default)


@dataclass(frozen=True)
class SynthSpec:
    """One procedural patch: its generator, its parameters and the noise and turn applied."""

    generator: str
    params: dict[str, float]
    scale: float
    turn_deg: float
    offset: tuple[float, float]  # where the part stands, as a share of the room it leaves
    noise_amplitude: float
    noise_seed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "params": self.params,
            "scale": self.scale,
            "turn_deg": self.turn_deg,
            "offset": list(self.offset),
            "noise_amplitude": self.noise_amplitude,
            "noise_seed": self.noise_seed,
        }

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()


def _arc(start: np.ndarray, heading: float, radius: float, sweep: float, n: int) -> np.ndarray:
    """Centres along a circular arc in the xz-plane from `start`, first heading at angle `heading`
    (0 = up +z, pi/2 = +x), turning toward +x by `sweep` radians."""
    t = np.linspace(0.0, sweep, n)
    centre = start + radius * np.array([np.cos(heading), 0.0, -np.sin(heading)])
    angle = heading + t
    return np.stack([centre[0] - radius * np.cos(angle), np.zeros(n), centre[2] + radius * np.sin(angle)], 1)


Rings = tuple[np.ndarray, np.ndarray]  # (tip point, rings of the part from the tip down to the plane)


def _tube(rise: float, radius: float, sweep: float, base: float, tip: float, width: float) -> Rings:
    """A tube rising `rise`, then curling toward +x along an arc: horns, tusks, hooks, ears, fins."""
    n_rise = max(int(40 * rise), 4)
    stem = np.stack([np.zeros(n_rise), np.zeros(n_rise), np.linspace(0.0, rise, n_rise, endpoint=False)], 1)
    curl = _arc(np.array([0.0, 0.0, rise]), 0.0, radius, sweep, 60)
    centres = np.concatenate([stem, curl])
    radii = np.linspace(base, tip, len(centres))
    return swept_rings(centres, radii, width=width)


def _revolved(profile: list[tuple[float, float]]) -> Rings:
    """A surface of revolution through (r, z) control points, from the top (r = 0) to the plane."""
    points = np.asarray(profile, dtype=np.float64)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    t = np.linspace(0.0, arc[-1], 121)
    dense = np.stack([np.interp(t, arc, points[:, 0]), np.interp(t, arc, points[:, 1])], 1)
    return revolved_rings(dense, n_around=128)


def _horn(p: dict[str, float]) -> Rings:
    return _tube(p["rise"], p["curl"], p["sweep"], p["base"], p["tip"], 1.0)


def _hook(p: dict[str, float]) -> Rings:
    return _tube(p["rise"], p["curl"], p["sweep"], p["base"], 0.6 * p["base"], 1.0)


def _ear(p: dict[str, float]) -> Rings:
    return _tube(p["rise"], p["curl"], p["sweep"], p["base"], 0.4 * p["base"], p["width"])


def _fin(p: dict[str, float]) -> Rings:
    return _tube(p["rise"], 1.0, 0.3, p["base"], 0.3 * p["base"], p["width"])


def _mushroom(p: dict[str, float]) -> Rings:
    cap, stem, height, thick = p["cap"], p["stem"], p["height"], p["thick"]
    return _revolved(
        [
            (0.0, height + thick),
            (0.7 * cap, height + 0.7 * thick),
            (cap, height),
            (0.8 * cap, height - 0.05),
            (stem, height - 0.1),
            (stem, 0.0),
        ]
    )


def _bulb(p: dict[str, float]) -> Rings:
    bulb, stalk, height = p["bulb"], p["stalk"], p["height"]
    theta = np.linspace(0.0, np.pi * 0.85, 24)
    ball = [(bulb * np.sin(a), height + bulb * np.cos(a)) for a in theta]
    return _revolved([*ball, (stalk, height - bulb * 0.95), (stalk, 0.0)])


def _nose(p: dict[str, float]) -> Rings:
    """A bump with a rounded tip over a narrower base: a nose, a knob (no undercut when wide)."""
    return _revolved(
        [
            (0.0, p["height"]),
            (0.6 * p["tip"], 0.95 * p["height"]),
            (p["tip"], 0.7 * p["height"]),
            (p["base"], 0.0),
        ]
    )


GENERATORS: dict[str, tuple[Callable[[dict[str, float]], Rings], dict[str, tuple[float, float]]]] = {
    "horn": (
        _horn,
        {
            "rise": (0.0, 0.3),
            "curl": (0.2, 0.4),
            "sweep": (2.0, 3.0),
            "base": (0.1, 0.18),
            "tip": (0.02, 0.05),
        },
    ),
    "hook": (_hook, {"rise": (0.3, 0.6), "curl": (0.15, 0.3), "sweep": (2.8, 3.4), "base": (0.06, 0.1)}),
    "ear": (
        _ear,
        {
            "rise": (0.3, 0.55),
            "curl": (0.1, 0.18),
            "sweep": (2.4, 3.0),
            "base": (0.04, 0.07),
            "width": (3.0, 5.0),
        },
    ),
    "fin": (_fin, {"rise": (0.3, 0.6), "base": (0.05, 0.08), "width": (3.0, 6.0)}),
    "mushroom": (
        _mushroom,
        {"cap": (0.35, 0.6), "stem": (0.1, 0.22), "height": (0.3, 0.6), "thick": (0.1, 0.3)},
    ),
    "bulb": (_bulb, {"bulb": (0.2, 0.35), "stalk": (0.06, 0.12), "height": (0.35, 0.6)}),
    "nose": (_nose, {"height": (0.2, 0.5), "tip": (0.1, 0.25), "base": (0.2, 0.45)}),
}


def draw_spec(seed: int, index: int, draw: int = 0) -> SynthSpec:
    """The spec of patch `index` of seed `seed` (its `draw`-th try: a draw whose patch misses a
    gate is replaced by the next)."""
    rng = np.random.default_rng([seed, index, draw])
    names = sorted(GENERATORS)
    name = names[int(rng.integers(len(names)))]
    ranges = GENERATORS[name][1]
    params = {key: round(float(rng.uniform(*ranges[key])), 4) for key in sorted(ranges)}
    scale = round(float(rng.uniform(*SCALE)), 4)
    turn = round(float(rng.uniform(0.0, 360.0)), 2)
    offset = (round(float(rng.uniform(-1.0, 1.0)), 4), round(float(rng.uniform(-1.0, 1.0)), 4))
    noise = round(float(rng.uniform(0.0, 0.012)), 4)
    return SynthSpec(name, params, scale, turn, offset, noise, int(rng.integers(2**31)))


def _detail_noise(points: np.ndarray, normals: np.ndarray, amplitude: float, seed: int) -> np.ndarray:
    """A smooth random offset along the normals: a sum of six plane waves of wavelengths 0.1-0.4."""
    rng = np.random.default_rng(seed)
    waves = rng.normal(size=(6, 3))
    waves *= (2.0 * np.pi / rng.uniform(0.1, 0.4, 6) / np.linalg.norm(waves, axis=1))[:, None]
    phases = rng.uniform(0.0, 2.0 * np.pi, 6)
    height = np.sin(points @ waves.T + phases).sum(axis=1) / np.sqrt(6.0)
    return points + amplitude * height[:, None] * normals


def synth_patch(spec: SynthSpec) -> Patch:
    """The patch a spec describes: the part scaled, turned about z, shrunk to fit the footprint
    where it must be and moved within the room left, the detail noise on everything off the plane,
    and the square plane joined around its base by the stitcher's plane triangulation."""
    from vdm.stitching.plane import join_plane
    from vdm.topology import boundary_loops

    build, _ = GENERATORS[spec.generator]
    tip, rings = build(spec.params)
    a = np.radians(spec.turn_deg)
    turn = np.array([[np.cos(a), np.sin(a), 0.0], [-np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    tip, rings = spec.scale * tip @ turn, spec.scale * rings @ turn
    reach = max(np.abs(rings[..., :2]).max(), np.abs(tip[:2]).max())
    if reach > FOOTPRINT:
        tip, rings, reach = tip * FOOTPRINT / reach, rings * FOOTPRINT / reach, FOOTPRINT
    shift = np.r_[np.asarray(spec.offset) * (FOOTPRINT - reach), 0.0]
    whole = ring_patch(tip + shift, rings + shift)
    used, faces = np.unique(part_faces(whole), return_inverse=True)
    v, faces = whole.vertices[used].copy(), faces.reshape(-1, 3)
    if spec.noise_amplitude > 0:
        from vdm.geometry import vertex_normals

        lifted = v[:, 2] > 1e-9  # the base ring on the plane stays on it
        normals = vertex_normals(v, faces)
        v[lifted] = _detail_noise(v[lifted], normals[lifted], spec.noise_amplitude, spec.noise_seed)
    (loop,) = boundary_loops(faces)
    vertices, faces, labels = join_plane(v, faces, loop, PLANE_SPACING)
    return Patch(vertices, faces, labels)
