"""A brush's VDM for each sculptor that reads vector displacement maps, in that tool's convention.

Ours (conventions section 6) is Blender's sculpt convention: row 0 at the top (+y), R = dX, G = dY,
B = dZ (the height), in brush radii. The others (sources in docs/bake.md, "Other sculptors"):

- ZBrush reads and writes tangent-space vector displacement maps through its FlipAndSwitch
  setting (Preferences > ImportExport > Vector Displacement Map). Setting 25 is Mudbox's absolute
  tangent space (minoue/UDIMTextureImporter3, whose code reads R along the tangent +u, G along the
  normal, B along N x T = +v): R = dX, G = dZ, B = dY. 32-bit float.
- Mudbox (Autodesk help: Vector Displacement Map extraction; Maya's displacement material):
  tangent space, x = tangent (+u), y = normal, z = binormal (+v): R = dX, G = dZ, B = dY; 32-bit
  float TIFF or EXR, and files named `<name>_vdm` are stamps.
- 3DCoat (manual, Sculpt > Vector Displacement): 3-channel 32-bit EXR are VDM alphas; it does not
  state its axes but offers to flip X/Y when saving one: R = dX, G = dY, B = dZ, 32-bit float (flip
  in 3DCoat if a stamp comes out mirrored).

All keep row 0 as the top of the image (v = 1). Each is a permutation of ours, so a round trip is
exact in float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vdm.vdm_file import write_vdm


@dataclass(frozen=True)
class SculptorFormat:
    """One tool's file: which of our channels (dX, dY, dZ) goes to R, G and B, and its naming."""

    tool: str
    channels: tuple[int, int, int]
    half: bool  # Blender's baker writes half floats; the others ask for 32-bit
    suffix: str  # the file name after the brush's name


FORMATS = {
    "blender": SculptorFormat("Blender 4.5 / 5.0", (0, 1, 2), True, ".exr"),
    "zbrush": SculptorFormat("ZBrush (TangentFlipAndSwitch 25)", (0, 2, 1), False, "_zbrush.exr"),
    "mudbox": SculptorFormat("Mudbox (tangent space stamp)", (0, 2, 1), False, "_vdm.exr"),
    "3dcoat": SculptorFormat("3DCoat (VDM alpha)", (0, 1, 2), False, "_3dcoat.exr"),
}


def to_format(displacement: np.ndarray, name: str) -> np.ndarray:
    """Our (N, N, 3) displacement in a tool's channel order."""
    return np.ascontiguousarray(displacement[..., list(FORMATS[name].channels)])


def write_format(folder: Path, stem: str, displacement: np.ndarray, name: str) -> Path:
    """The brush's file for a tool: `folder/<stem><suffix>`, ZIP-compressed."""
    fmt = FORMATS[name]
    return write_vdm(folder / f"{stem}{fmt.suffix}", to_format(displacement, name), half=fmt.half)
