"""render/: offscreen renders of a patch from the fixed 7-camera orthographic rig (and contact sheets).

Entry points (loaded on first use): `PatchRenderer` (one GL context, many patches),
`render_views(patch, size)` and `write_views(out, views)`.
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.render.renderer import PatchRenderer, render_views
    from vdm.render.views import write_views

__all__ = ["PatchRenderer", "render_views", "write_views"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "PatchRenderer": "vdm.render.renderer",
        "render_views": "vdm.render.renderer",
        "write_views": "vdm.render.views",
    },
)
