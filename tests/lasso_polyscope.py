"""Test helper of lasso/: one Polyscope per test process, on the backend a test asks for."""

from __future__ import annotations

import polyscope as ps


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
