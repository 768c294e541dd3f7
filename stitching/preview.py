"""A picture of a patch (pyrender, offscreen): for docs, `vdm stitch --preview` and eyeballing."""

from __future__ import annotations

import os

import numpy as np

from vdm.geometry import look_at_axes
from vdm.patch import PART, Patch

PART_COLOUR = np.array([0.80, 0.55, 0.35])
PLANE_COLOUR = np.array([0.5, 0.5, 0.5])


def render_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    colours: np.ndarray,
    eye: tuple[float, float, float],
    target: tuple[float, float, float],
    size: int = 480,
    up: tuple[float, float, float] = (0.0, 0.0, 1.0),
    yfov_deg: float = 35.0,
) -> np.ndarray:
    """RGB uint8 image of a mesh with per-vertex float colours, seen from `eye` toward `target`."""
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    import pyrender
    import trimesh

    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.visual.vertex_colors = np.c_[np.clip(colours, 0, 1), np.ones(len(colours))]
    scene = pyrender.Scene(bg_color=[1.0, 1.0, 1.0, 1.0], ambient_light=[0.35, 0.35, 0.35])
    scene.add(pyrender.Mesh.from_trimesh(mesh, smooth=True))
    right, true_up, forward = look_at_axes(eye, target, up)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, true_up, -forward, eye
    scene.add(pyrender.PerspectiveCamera(yfov=np.radians(yfov_deg)), pose=pose)
    scene.add(pyrender.DirectionalLight(intensity=3.0), pose=pose)
    renderer = pyrender.OffscreenRenderer(size, size)
    try:
        colour, _ = renderer.render(scene)
    finally:
        renderer.delete()
    return np.asarray(colour[:, :, :3])


def render_patch(patch: Patch, size: int = 480) -> np.ndarray:
    """The patch from the front-right and above, part in its colours (or tan), plane grey."""
    if patch.vertex_colors is not None:
        colours = patch.vertex_colors[:, :3] / 255.0
    else:
        colours = np.where((patch.labels == PART)[:, None], PART_COLOUR, PLANE_COLOUR)
    return render_mesh(
        patch.vertices, patch.faces, colours, eye=(2.2, -3.4, 2.9), target=(0.0, 0.0, 0.35), size=size
    )
