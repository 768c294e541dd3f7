"""A curator's lasso session on one mesh, without any GUI: strokes and edits, undo/redo, the record.

The GUI (lasso/gui.py) turns mouse and keyboard input into these calls; tests drive them directly.
The selection is always exactly what replaying the session's record gives: strokes and edits are
applied by the same engine, in the same order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from vdm.errors import VdmError
from vdm.lasso.engine import SelectionEngine, engine_for
from vdm.lasso.refine import apply_edit
from vdm.records import Edit, SelectionRecord, Stroke
from vdm.sources import LoadedMesh

log = logging.getLogger(__name__)


@dataclass
class _State:
    """One point of the history: the steps so far and the selection they give."""

    strokes: list[Stroke] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    selected: np.ndarray | None = None


class LassoSession:
    """Strokes and clean-up edits on one loaded mesh, with undo/redo and saving."""

    def __init__(self, mesh: LoadedMesh, note: str = "") -> None:
        self.mesh = mesh
        self.engine: SelectionEngine = engine_for(mesh)
        self.note = note
        self._history: list[_State] = [_State(selected=np.zeros(mesh.n_faces, dtype=bool))]
        self._position = 0

    # -- state --------------------------------------------------------------------------------------
    @property
    def _state(self) -> _State:
        return self._history[self._position]

    @property
    def strokes(self) -> list[Stroke]:
        return list(self._state.strokes)

    @property
    def edits(self) -> list[Edit]:
        return list(self._state.edits)

    @property
    def selected(self) -> np.ndarray:
        """Boolean mask over the mesh's faces (a copy)."""
        assert self._state.selected is not None
        return self._state.selected.copy()

    @property
    def face_ids(self) -> np.ndarray:
        return np.flatnonzero(self._state.selected).astype(np.int64)

    @property
    def can_undo(self) -> bool:
        return self._position > 0

    @property
    def can_redo(self) -> bool:
        return self._position < len(self._history) - 1

    def _push(self, state: _State) -> None:
        del self._history[self._position + 1 :]
        self._history.append(state)
        self._position += 1

    # -- steps --------------------------------------------------------------------------------------
    def lasso(self, stroke: Stroke, replace: bool = False) -> None:
        """Apply one stroke; `replace` starts a new selection with it (a plain drag in the GUI)."""
        faces = self.engine.stroke_faces(stroke)
        if replace:
            selected = np.zeros(self.mesh.n_faces, dtype=bool)
            strokes, edits = [stroke], []
        else:
            selected = self.selected
            strokes, edits = [*self._state.strokes, stroke], self.edits
        selected[faces] = stroke.op == "add"
        self._push(_State(strokes, edits, selected))
        log.debug("%s stroke: %d faces in it, %d selected", stroke.op, len(faces), selected.sum())

    def edit(self, op: str, face: int | None = None, min_faces: int | None = None) -> None:
        """Apply a clean-up edit (grow, shrink, keep_component, keep_largest, drop_islands)."""
        if not self._state.strokes:
            raise VdmError("Draw a lasso first: there is no selection to edit.")
        step = Edit(op, len(self._state.strokes), face=face, min_faces=min_faces)
        selected = apply_edit(self.engine.graph, self.selected, step)
        self._push(_State(self.strokes, [*self._state.edits, step], selected))

    def load(self, record: SelectionRecord) -> None:
        """Take a record's strokes, edits and note as the current selection (undoable), as a
        proposal under review is shown: the curator accepts it or edits it with the usual strokes."""
        selected = np.zeros(self.mesh.n_faces, dtype=bool)
        selected[self.engine.select(record.strokes, record.edits)] = True
        self.note = record.note
        self._push(_State(list(record.strokes), list(record.edits), selected))

    def clear(self) -> None:
        """Empty selection (undoable)."""
        self._push(_State(selected=np.zeros(self.mesh.n_faces, dtype=bool)))

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        self._position -= 1
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        self._position += 1
        return True

    # -- output -------------------------------------------------------------------------------------
    def record(self) -> SelectionRecord:
        """The selection record of the current state (strokes, edits, cached face ids, note)."""
        if not self._state.strokes:
            raise VdmError("Nothing to save: draw a lasso first.")
        return SelectionRecord(
            source=self.mesh.source,
            strokes=self.strokes,
            face_ids=self.face_ids.tolist(),
            note=self.note,
            edits=self.edits,
        )
