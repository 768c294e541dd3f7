"""Test helpers of lasso/: one Polyscope per test process, on the backend a test asks for, and
scripted key presses and mouse drags through ImGui's input queue."""

from __future__ import annotations

import numpy as np
import polyscope as ps

from vdm.lasso.camera import camera_frame
from vdm.records import Camera


def use_backend(backend: str) -> None:
    """Initialise Polyscope with `backend` ('openGL_mock' or 'openGL3_egl'), switching if needed."""
    if ps.is_initialized():
        if ps.get_render_engine_backend_name() == backend:
            ps.remove_all_structures()
            ps.clear_user_callback()
            return
        ps.shutdown()
    ps.set_use_prefs_file(False)
    ps.set_allow_headless_backends(True)
    ps.init(backend)
    ps.set_frame_tick_limit_fps_mode("ignore_limits")


def view_matrix(camera: Camera) -> np.ndarray:
    """4x4 world-to-camera matrix of a record's camera (OpenGL: it looks down -z), as `glm::lookAt`
    builds it: what Polyscope's own view matrix must equal."""
    f = camera_frame(camera)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = f.right, f.up, -f.forward
    m[:3, 3] = -m[:3, :3] @ f.eye
    return m


def press_key(key, mods=()) -> None:
    import polyscope.imgui as psim

    io = psim.GetIO()
    for mod in mods:
        io.AddKeyEvent(mod, True)
    io.AddKeyEvent(key, True)
    ps.frame_tick()
    io.AddKeyEvent(key, False)
    for mod in mods:
        io.AddKeyEvent(mod, False)
    ps.frame_tick()


def drag(points, mods=()) -> None:
    """Press at the first point (holding `mods`), move through the others, release."""
    import polyscope.imgui as psim

    io = psim.GetIO()
    io.AddMousePosEvent(*points[0])
    ps.frame_tick()
    assert not io.WantCaptureMouse  # the lasso is drawn over the 3D view, not a panel
    for mod in mods:
        io.AddKeyEvent(mod, True)
    io.AddMouseButtonEvent(0, True)
    ps.frame_tick()
    for p in points[1:]:
        io.AddMousePosEvent(*p)
        ps.frame_tick()
    io.AddMouseButtonEvent(0, False)
    ps.frame_tick()
    for mod in mods:
        io.AddKeyEvent(mod, False)
    ps.frame_tick()


def ellipse(cx, cy, rx, ry, n=40):
    """Whole pixels: ImGui floors mouse positions."""
    a = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return [
        (float(round(x)), float(round(y)))
        for x, y in zip(cx + rx * np.cos(a), cy + ry * np.sin(a), strict=True)
    ]
