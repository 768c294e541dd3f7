"""`vdm lasso`: the Polyscope viewer in which a curator lassos parts of meshes.

Orbit the camera as usual. In lasso mode (key L or the checkbox) left-drag draws the lasso as a
polyline over the 3D view and releasing closes it: a plain drag starts a new selection, shift+drag
adds, ctrl+drag subtracts; x-ray (key X) also takes faces hidden behind others. The selection is
drawn in orange on the mesh. The panel has undo/redo, grow/shrink, keep the largest or the clicked
component, drop small islands, a note, save, and previous/next source.

With `--proposals DIR` it is a review (lasso/review.py): each source's proposals from `vdm propose`
are shown one at a time, best first; key A accepts (saves the record as it is, edited or not),
R rejects, and the usual strokes and edits change a proposal before it is accepted. After the last
proposal of a source the next source with proposals opens; a stopped review resumes.

Everything happens in the user callback from ImGui input, so tests drive a whole session with
scripted mouse and key events under Polyscope's `openGL_mock` backend.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from vdm.errors import VdmError, short_reason
from vdm.lasso.preview import face_colours
from vdm.lasso.ps_camera import apply_camera, camera_from_polyscope, review_camera
from vdm.lasso.review import Review, save_record
from vdm.lasso.session import LassoSession
from vdm.records import Camera, Stroke
from vdm.sources import SourceConfig, load_source

log = logging.getLogger(__name__)

MESH_NAME = "mesh"
PANEL_WIDTH_PX = 330
MIN_POINT_SPACING_PX = 2.0
ADD_RGBA = (40, 140, 255, 255)
SUBTRACT_RGBA = (235, 40, 70, 255)


def _colour(rgba: tuple[int, int, int, int]) -> int:
    import polyscope.imgui as psim

    return psim.IM_COL32(*rgba)


class LassoApp:
    """The Polyscope user callback of a lasso session over a list of sources."""

    def __init__(
        self,
        sources: list[str],
        out_dir: Path,
        config: SourceConfig | None = None,
        proposals: Path | None = None,
    ) -> None:
        if not sources:
            raise VdmError("No sources to lasso.")
        self.sources = sources
        self.out_dir = Path(out_dir)
        self.review = None if proposals is None else Review.open(proposals, self.out_dir)
        self.config = config or SourceConfig()
        self.index = 0
        self.session: LassoSession | None = None
        self.lasso_mode = False
        self.xray = False
        self.picking_component = False
        self.island_faces = 50
        self.points: list[tuple[float, float]] = []
        self.drawing = False
        self.drag_op = "add"
        self.drag_replace = True
        self.drag_camera: Camera | None = None
        self.status = ""
        self.saved: list[Path] = []

    def install(self) -> None:
        """Become Polyscope's user callback, in a narrow right-hand panel, and open the first source."""
        import polyscope as ps

        ps.set_right_gui_pane_width(PANEL_WIDTH_PX)
        if self.review is not None:
            ps.set_build_default_gui_panels(False)  # a reviewer needs the view, not the structure list
        ps.set_user_callback(self)
        self.open(self.index)
        if self.review is not None and self.review.current is None:
            self.next_proposal()

    # -- sources ------------------------------------------------------------------------------------
    def open(self, index: int) -> None:
        """Load source `index` (wrapping around), show it and start a fresh session on it."""
        import polyscope as ps

        self.index = index % len(self.sources)
        spec = self.sources[self.index]
        ps.remove_all_structures()
        self.session, self.points, self.drawing = None, [], False
        if self.review is not None:
            self.review.queue = []  # until this source's proposals are read
        try:
            mesh = load_source(spec, self.config)
        except VdmError as exc:
            self.status = f"Could not load {spec}: {exc}"
            log.warning("%s", self.status)
            return
        ps.register_surface_mesh(MESH_NAME, mesh.vertices, mesh.faces, smooth_shade=False)
        ps.reset_camera_to_home_view()
        self.session = LassoSession(mesh)
        self.session.engine.prepare()  # occlusion rays are ready for the first lasso
        self.status = f"{spec}: {mesh.n_faces:,} faces"
        if self.review is not None:
            self.review.start(mesh.source)
            self._show_proposal()
        self._show_selection()

    # -- review -------------------------------------------------------------------------------------
    def _show_proposal(self) -> None:
        """Put the current proposal in the session, seen as its first stroke's camera saw it."""
        import polyscope as ps

        assert self.review is not None and self.session is not None
        proposal = self.review.current
        if proposal is None:
            self.status = f"{self.sources[self.index]}: no proposals left to review"
            return
        self.session.load(proposal)
        apply_camera(review_camera(proposal.strokes[0].camera, ps.get_window_size(), PANEL_WIDTH_PX))
        self.status = f"{len(self.review.queue)} left here. {proposal.note}"

    def decide(self, decision: str) -> None:
        """Accept (save the session's record) or reject the current proposal, then show the next."""
        if self.review is None or self.review.current is None or self.session is None:
            return
        saved = self.save() if decision == "accepted" else None
        self.review.decide(decision, saved)
        self.next_proposal()

    def next_proposal(self) -> None:
        """The current source's next proposal, else the first later source that has one."""
        assert self.review is not None
        for step in range(len(self.sources)):
            if step:
                self.open(self.index + 1)
            if self.review.current is not None:
                self._show_proposal()
                self._show_selection()
                return
        counts = self.review.counts()
        self.status = f"Review done: {counts['accepted']} accepted, {counts['rejected']} rejected."

    def _show_selection(self) -> None:
        import polyscope as ps

        if self.session is None:
            return
        colours = face_colours(self.session.mesh, self.session.face_ids)
        surface = ps.get_surface_mesh(MESH_NAME)
        surface.add_color_quantity("selection", colours, defined_on="faces", enabled=True)

    # -- the callback -------------------------------------------------------------------------------
    def __call__(self) -> None:
        """Polyscope's user callback: keyboard, mouse, lasso polyline, panel; once per frame."""
        try:
            self._keyboard()
            self._draw_lasso()  # before the mouse: a frame that ends the drag still shows its lasso
            self._mouse()
            self._panel()
        except VdmError as exc:
            self.status = short_reason(exc)

    def set_lasso_mode(self, on: bool) -> None:
        import polyscope as ps

        self.lasso_mode = on
        self.points, self.drawing = [], False
        ps.set_do_default_mouse_interaction(not on)

    def _keyboard(self) -> None:
        import polyscope.imgui as psim

        io = psim.GetIO()
        ctrl = io.KeyCtrl
        if ctrl and psim.IsKeyPressed(psim.ImGuiKey_S, False):  # even while the note box has the keys
            self.save()
        if io.WantCaptureKeyboard:  # typing a note: its letters are not commands
            return
        if psim.IsKeyPressed(psim.ImGuiKey_L, False) and not ctrl:
            self.set_lasso_mode(not self.lasso_mode)
        if psim.IsKeyPressed(psim.ImGuiKey_X, False) and not ctrl:
            self.xray = not self.xray
        if psim.IsKeyPressed(psim.ImGuiKey_Escape, False):
            self.points, self.drawing, self.picking_component = [], False, False
        if ctrl and psim.IsKeyPressed(psim.ImGuiKey_Z, False):
            self.redo() if io.KeyShift else self.undo()
        if ctrl and psim.IsKeyPressed(psim.ImGuiKey_Y, False):
            self.redo()
        if self.review is not None and not ctrl:
            if psim.IsKeyPressed(psim.ImGuiKey_A, False):
                self.decide("accepted")
            elif psim.IsKeyPressed(psim.ImGuiKey_R, False):
                self.decide("rejected")

    def _mouse(self) -> None:
        import polyscope.imgui as psim

        io = psim.GetIO()
        x, y = float(io.MousePos[0]), float(io.MousePos[1])
        if self.drawing:
            if psim.IsMouseDown(0):
                last = self.points[-1]
                if np.hypot(x - last[0], y - last[1]) >= MIN_POINT_SPACING_PX:
                    self.points.append((x, y))
            else:
                self._finish_lasso()
            return
        if io.WantCaptureMouse or not psim.IsMouseClicked(0) or self.session is None:
            return
        if self.picking_component:
            self._keep_clicked_component(x, y)
        elif self.lasso_mode:
            self.drawing, self.points = True, [(x, y)]
            self.drag_camera = camera_from_polyscope()  # the view the curator draws over
            self.drag_op = "subtract" if io.KeyCtrl else "add"
            self.drag_replace = not (io.KeyCtrl or io.KeyShift)

    def _finish_lasso(self) -> None:
        points, self.points, self.drawing = self.points, [], False
        if len(points) < 3 or self.session is None:
            return
        stroke = Stroke(
            camera=camera_from_polyscope(), polygon_px=tuple(points), op=self.drag_op, xray=self.xray
        )
        self.session.lasso(stroke, replace=self.drag_replace)
        self.status = f"{stroke.op}: {len(self.session.face_ids):,} faces selected"
        self._show_selection()

    def _keep_clicked_component(self, x: float, y: float) -> None:
        assert self.session is not None
        self.picking_component = False
        face = self.session.engine.face_at(camera_from_polyscope(), (x, y))
        if face is None or not self.session.selected[face]:
            self.status = "That click is not on the selection; no component kept."
            return
        self.edit("keep_component", face=face)

    def _draw_lasso(self) -> None:
        import polyscope.imgui as psim

        if len(self.points) < 2:
            return
        colour = _colour(SUBTRACT_RGBA if self.drag_op == "subtract" else ADD_RGBA)
        polyline = np.asfortranarray(np.asarray(self.points, dtype=np.float32))
        psim.GetForegroundDrawList().AddPolyline(polyline, colour, psim.ImDrawFlags_Closed, 2.5)

    # -- actions ------------------------------------------------------------------------------------
    def edit(self, op: str, face: int | None = None, min_faces: int | None = None) -> None:
        if self.session is None:
            return
        self.session.edit(op, face=face, min_faces=min_faces)
        self.status = f"{op.replace('_', ' ')}: {len(self.session.face_ids):,} faces selected"
        self._show_selection()

    def undo(self) -> None:
        if self.session is not None and self.session.undo():
            self._show_selection()

    def redo(self) -> None:
        if self.session is not None and self.session.redo():
            self._show_selection()

    def save(self) -> Path | None:
        if self.session is None:
            return None
        path = save_record(self.session.record(), self.out_dir)
        self.saved.append(path)
        self.status = f"saved {path}"
        return path

    # -- the panel ----------------------------------------------------------------------------------
    def _panel(self) -> None:
        import polyscope.imgui as psim

        psim.Text(f"Source {self.index + 1} / {len(self.sources)}")
        psim.TextWrapped(self.sources[self.index])
        if psim.Button("< Previous"):
            self.open(self.index - 1)
        psim.SameLine()
        if psim.Button("Next >"):
            self.open(self.index + 1)
        psim.Separator()
        changed, on = psim.Checkbox("Lasso mode (L)", self.lasso_mode)
        if changed:
            self.set_lasso_mode(on)
        _, self.xray = psim.Checkbox("X-ray (X)", self.xray)
        psim.TextDisabled("drag: new  shift+drag: add  ctrl+drag: subtract")
        if self.review is not None and self.review.current is not None:
            psim.Separator()
            if psim.Button("Accept (A)"):
                self.decide("accepted")
            psim.SameLine()
            if psim.Button("Reject (R)"):
                self.decide("rejected")
        session = self.session
        if session is not None:
            psim.Text(f"{len(session.face_ids):,} of {session.mesh.n_faces:,} faces selected")
            self._buttons(session)
            changed, note = psim.InputText("Note", session.note)
            if changed:
                session.note = note
            if psim.Button("Save (Ctrl+S)"):
                self.save()
        if self.status:
            psim.TextWrapped(self.status)

    def _buttons(self, session: LassoSession) -> None:
        import polyscope.imgui as psim

        if psim.Button("Undo (Ctrl+Z)"):
            self.undo()
        psim.SameLine()
        if psim.Button("Redo (Ctrl+Y)"):
            self.redo()
        psim.SameLine()
        if psim.Button("Clear"):
            session.clear()
            self._show_selection()
        if psim.Button("Grow"):
            self.edit("grow")
        psim.SameLine()
        if psim.Button("Shrink"):
            self.edit("shrink")
        psim.SameLine()
        if psim.Button("Keep largest"):
            self.edit("keep_largest")
        if psim.Button("Keep clicked component"):
            self.picking_component = True
            self.status = "Click a face of the component to keep."
        psim.PushItemWidth(90)
        _, self.island_faces = psim.InputInt("##islands", self.island_faces)
        psim.PopItemWidth()
        self.island_faces = max(1, self.island_faces)
        psim.SameLine()
        if psim.Button("Drop smaller islands"):
            self.edit("drop_islands", min_faces=self.island_faces)


def init_viewer(backend: str = "auto", window: tuple[int, int] = (1280, 720)) -> None:
    """Start Polyscope with a window; one clear sentence when there is no display to open it on."""
    import polyscope as ps

    if backend in ("auto", "openGL3_glfw") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise VdmError(
            "There is no display for the lasso window ($DISPLAY is not set); "
            "run it on a desktop or under xvfb-run."
        )
    ps.set_program_name("vdm lasso")
    ps.set_use_prefs_file(False)
    ps.set_window_size(*window)
    try:
        ps.init(backend)
    except Exception as exc:  # Polyscope raises RuntimeError subclasses for every backend failure
        raise VdmError(f"Polyscope could not open its window ({short_reason(exc)}).") from exc
    ps.set_ground_plane_mode("shadow_only")


def run_lasso(
    sources: list[str],
    out_dir: Path,
    config: SourceConfig,
    window: tuple[int, int] = (1280, 720),
    proposals: Path | None = None,
) -> list[Path]:
    """Open the viewer on the first source (with `proposals`: the first with proposals to review)
    and run until the window closes; returns the saved records."""
    import polyscope as ps

    app = LassoApp(sources, out_dir, config, proposals)  # a bad proposals folder fails before the window
    init_viewer(window=window)
    app.install()
    ps.show()
    return app.saved
