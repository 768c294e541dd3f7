"""lasso/: select a part of a mesh by drawing a polygon on screen (Polyscope GUI and headless engine).

Entry points (loaded on first use): `replay(record, mesh, where)` (a record's face ids, checked
against its source and its cached ids: the one record-to-faces function of select, stitch and
mine), `select_faces(mesh, strokes)` and `run_lasso(...)` (the GUI).
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.lasso.engine import replay, select_faces
    from vdm.lasso.gui import run_lasso

__all__ = ["replay", "run_lasso", "select_faces"]
__getattr__, __dir__ = lazy_exports(
    __name__, {"replay": "vdm.lasso.engine", "select_faces": "vdm.lasso.engine", "run_lasso": "vdm.lasso.gui"}
)
