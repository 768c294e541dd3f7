"""The fixed lighting of the RGB renders: Lambert shading with an ambient term and one key light
fixed in the camera frame, calibrated so that a surface facing the camera shows its albedo
unchanged. The base plane in the front view is then exactly the grey 0.5 square of the inference
condition image (conventions section 5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vdm.geometry import axes_from_forward

GAMMA = 2.2  # the lit shader outputs pow(linear, 1 / 2.2)


@dataclass(frozen=True)
class Lighting:
    """An ambient term plus one directional key light fixed in the camera frame."""

    ambient: float = 0.3
    # Direction toward the key light in camera coordinates (x right, y up, z toward the viewer):
    # from the upper left, in front.
    key_direction: tuple[float, float, float] = (-0.35, 0.45, 1.0)

    def key_unit(self) -> np.ndarray:
        d = np.asarray(self.key_direction, dtype=np.float64)
        return d / np.linalg.norm(d)

    def key_intensity(self) -> float:
        """Key light intensity for which a camera-facing surface receives exactly 1 in total."""
        return (1.0 - self.ambient) / float(self.key_unit()[2])

    def pose_in_camera(self) -> np.ndarray:
        """4x4 pose of the key light relative to the camera (it shines along its local -z)."""
        z = self.key_unit()
        x, y, _ = axes_from_forward(-z, np.array([0.0, 1.0, 0.0]))
        pose = np.eye(4)
        pose[:3, 0], pose[:3, 1], pose[:3, 2] = x, y, z
        return pose


def to_linear(srgb: np.ndarray) -> np.ndarray:
    """Colours in [0, 1] (sRGB, as images store them) to the linear albedo the shader multiplies."""
    return np.clip(np.asarray(srgb, dtype=np.float64), 0.0, 1.0) ** GAMMA
