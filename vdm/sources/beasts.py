"""Procedural four-legged beasts whose parts are known: meshes to measure `vdm propose` on.

Each beast is a polygon soup built as Objaverse assets are (separate shells that intersect): a
torso on four legs standing on y = 0, a neck and a head facing +z, and, drawn from its seed,
ears, horns, a wide-based nose with no neck, warts and spikes on the back, and a tail. Every part
comes with its tip (vdm.sources.tips). Y is up, as in glTF. Vertices are rounded to 1e-6 so a
beast, and so its sha256, is the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from vdm.sources.creature import EYE, HORN, INNER_EAR, SKIN, SNOUT, Part, ellipsoid, soup_arrays, tube
from vdm.sources.tips import Tip

BEASTS = 8  # builtin:beast1 ... builtin:beast8


def _surface_point(centre: np.ndarray, radii: np.ndarray, direction) -> np.ndarray:
    """Where the ray from an axis-aligned ellipsoid's centre along `direction` leaves it."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    return np.asarray(centre) + d / np.sqrt(np.sum((d / np.asarray(radii)) ** 2))


@dataclass
class _Beast:
    """A beast being built: its shells in file order and the tips of its parts."""

    rng: np.random.Generator
    parts: list[Part] = field(default_factory=list)
    tips: list[Tip] = field(default_factory=list)

    def add(self, part: Part, name: str | None = None, kind: str = "", grows_from=None) -> None:
        """Add a shell; a named one is a part whose tip is its vertex farthest from `grows_from`."""
        self.parts.append(part)
        if name is not None:
            vertices = part[0]
            tip = vertices[np.argmax(np.linalg.norm(vertices - np.asarray(grows_from), axis=1))]
            self.tips.append(Tip(name, kind, tuple(float(x) for x in tip)))


def _body(beast: _Beast) -> tuple[np.ndarray, np.ndarray]:
    """Torso and legs; returns the torso's centre and radii."""
    rng = beast.rng
    centre = np.array([0.0, rng.uniform(0.8, 1.1), 0.0])
    radii = np.array([rng.uniform(0.42, 0.55), rng.uniform(0.35, 0.45), rng.uniform(0.85, 1.1)])
    beast.add(ellipsoid(centre, radii, SKIN, subdivisions=4))
    leg_radius = rng.uniform(0.09, 0.13)
    t = np.linspace(0.0, 1.0, 16)
    for x_sign, z_sign, name in (
        (1, 1, "front left"),
        (-1, 1, "front right"),
        (1, -1, "back left"),
        (-1, -1, "back right"),
    ):
        top = centre + np.array([x_sign * 0.55 * radii[0], -0.2 * radii[1], z_sign * 0.6 * radii[2]])
        spine = top + np.outer(t, [0.0, -(top[1] - 0.3 * leg_radius), 0.0])
        spine[:, 2] += z_sign * 0.05 * np.sin(np.pi * t)
        beast.add(tube(spine, leg_radius * (1.25 - 0.25 * t), SKIN), f"{name} leg", "limb", top)
    return centre, radii


def _head(beast: _Beast, torso: np.ndarray, torso_radii: np.ndarray) -> None:
    """Neck, head, eyes, nose, ears and (most often) horns."""
    rng = beast.rng
    neck_base = torso + np.array([0.0, 0.45 * torso_radii[1], 0.8 * torso_radii[2]])
    centre = neck_base + np.array([0.0, rng.uniform(0.45, 0.6), rng.uniform(0.35, 0.5)])
    radii = np.array([rng.uniform(0.26, 0.32), rng.uniform(0.24, 0.3), rng.uniform(0.32, 0.4)])
    t = np.linspace(0.0, 1.0, 12)
    beast.add(tube(neck_base + np.outer(t, centre - neck_base), np.full(12, 0.6 * radii[0]), SKIN))
    beast.add(ellipsoid(centre, radii, SKIN, subdivisions=4))
    nose_radii = np.array([rng.uniform(0.6, 0.8), rng.uniform(0.45, 0.6), rng.uniform(0.45, 0.7)]) * radii[0]
    nose_at = _surface_point(centre, radii, (0.0, -0.25, 1.0)) - np.array([0.0, 0.0, 0.3 * nose_radii[2]])
    beast.add(ellipsoid(nose_at, nose_radii, SNOUT, subdivisions=3), "nose", "head part", centre)
    horn_length = rng.uniform(0.3, 0.5) if rng.random() < 0.7 else 0.0
    for sign, side in ((1.0, "left"), (-1.0, "right")):
        eye_at = _surface_point(centre, radii, (sign * 0.55, 0.35, 0.75))
        beast.add(ellipsoid(eye_at, np.full(3, 0.28 * radii[0]), EYE, subdivisions=2))
        tilt = rng.uniform(20.0, 45.0)
        turn = (0.0, 10.0, sign * tilt)
        direction = np.array([sign * np.cos(np.radians(tilt)), np.sin(np.radians(tilt)), -0.2])
        length = rng.uniform(0.22, 0.32)
        ear_at = _surface_point(centre, radii, direction + np.array([0.0, 0.3, 0.0]))
        ear_at = ear_at + direction / np.linalg.norm(direction) * 0.5 * length
        beast.add(ellipsoid(ear_at, (length, 0.05, 0.12), SKIN, 3, turn), f"{side} ear", "head part", centre)
        beast.add(
            ellipsoid(ear_at + np.array([0.0, 0.02, 0.03]), (0.75 * length, 0.03, 0.08), INNER_EAR, 2, turn)
        )
        if horn_length:
            base = _surface_point(centre, radii, (sign * 0.45, 0.9, 0.1)) - np.array([0.0, 0.03, 0.0])
            s = np.linspace(0.0, 1.0, 20)
            spine = base + horn_length * np.stack([sign * 0.45 * s, s - 0.3 * s**2, -0.5 * s**2], axis=1)
            beast.add(tube(spine, 0.09 * (1.0 - s) ** 0.9 + 0.004, HORN), f"{side} horn", "head part", base)


def _apart(rng: np.random.Generator, draw, taken: list[np.ndarray], spacing: float) -> np.ndarray:
    """A point from `draw(rng)` at least `spacing` from every point in `taken` (which it joins), so
    two parts never merge into one blob; the farthest of 50 draws when none is that far."""
    best, best_gap = None, -1.0
    for _ in range(50):
        point = draw(rng)
        gap = min((float(np.linalg.norm(point - other)) for other in taken), default=np.inf)
        if gap > best_gap:
            best, best_gap = point, gap
        if gap >= spacing:
            break
    taken.append(best)
    return best


def _back(beast: _Beast, torso: np.ndarray, radii: np.ndarray) -> None:
    """Spikes along the back, warts on the flanks and (most often) a tail, none touching another."""
    rng = beast.rng
    t = np.linspace(0.0, 1.0, 10)
    taken: list[np.ndarray] = []
    for k in range(int(rng.integers(0, 4))):
        top = _apart(
            rng, lambda r: _surface_point(torso, radii, (0.0, 1.0, r.uniform(-0.6, 0.5))), taken, 0.35
        )
        spine = top - np.array([0.0, 0.05, 0.0]) + np.outer(t, [0.0, rng.uniform(0.18, 0.28), -0.05])
        beast.add(tube(spine, 0.07 * (1.0 - t) + 0.003, HORN, 16), f"spike {k + 1}", "body part", top)
    for k in range(int(rng.integers(1, 4))):
        side = 1 if k % 2 else -1

        def draw(r: np.random.Generator, side: int = side) -> np.ndarray:
            angle = side * r.uniform(0.35, 1.1)
            return _surface_point(torso, radii, (np.sin(angle), np.cos(angle), r.uniform(-0.5, 0.4)))

        at = _apart(rng, draw, taken, 0.5)
        beast.add(
            ellipsoid(at, np.full(3, rng.uniform(0.09, 0.13)), SKIN, 3), f"wart {k + 1}", "body part", torso
        )
    if rng.random() < 0.8:
        base = _surface_point(torso, radii, (0.0, 0.2, -1.0)) + np.array([0.0, 0.0, 0.04])
        s = np.linspace(0.0, 1.0, 24)
        spine = base + np.stack([0.05 * np.sin(3 * s), 0.1 * s - 0.45 * s**2, -0.5 * s], axis=1)
        beast.add(tube(spine, 0.045 * (1.0 - 0.6 * s), SKIN, 16), "tail", "body part", base)


def beast_parts(seed: int) -> tuple[list[Part], list[Tip]]:
    """The shells of beast `seed` in file order (turned about +y by its seed), and its tips."""
    beast = _Beast(np.random.default_rng(seed))
    torso, radii = _body(beast)
    _head(beast, torso, radii)
    _back(beast, torso, radii)
    turn = Rotation.from_euler("y", beast.rng.uniform(-25.0, 25.0), degrees=True).as_matrix()
    parts = [(np.round(v @ turn.T, 6), f, colour) for v, f, colour in beast.parts]
    tips = [Tip(t.name, t.kind, tuple(float(x) for x in np.round(turn @ t.point, 6))) for t in beast.tips]
    return parts, tips


def beast_arrays(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (float64), faces (int64) and RGBA vertex colours of beast `seed`."""
    vertices, faces, colours = soup_arrays(beast_parts(seed)[0])
    return vertices, np.concatenate(faces), colours


def beast_tips(seed: int) -> list[Tip]:
    """The annotated tips of beast `seed` (in the mesh's own coordinates)."""
    return beast_parts(seed)[1]
