"""The lasso GUI driven headless: scripted mouse and key events through Polyscope's user callback
(`openGL_mock` backend) make the same record as the engine, with the camera Polyscope used."""

from __future__ import annotations

import numpy as np
import pytest
from lasso_polyscope import use_backend

from lasso.camera import pixel_rays
from lasso.engine import engine_for, replay, select_faces
from lasso.gui import LassoApp
from lasso.ps_camera import apply_camera
from lasso.refine import keep_component
from vdm.records import Camera, load_record

W, H = 1280, 720
FRONT = Camera((0.0, 0.4, 1.75), (0.0, 0.33, 0.6), (0.0, 1.0, 0.0), "perspective", 45.0, None, W, H)
RIGHT = Camera((1.2, 0.5, 1.1), (0.1, 0.33, 0.6), (0.0, 1.0, 0.0), "perspective", 45.0, None, W, H)


@pytest.fixture
def app(tmp_path):
    import polyscope as ps

    use_backend("openGL_mock")
    ps.set_window_size(W, H)
    lasso_app = LassoApp(["builtin:cow", "builtin:creature"], tmp_path / "out")
    lasso_app.install()
    ps.frame_tick()
    yield lasso_app
    ps.clear_user_callback()
    ps.set_do_default_mouse_interaction(True)


def _key(key, mods=()) -> None:
    import polyscope as ps
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


def _drag(points, mods=()) -> None:
    """Press at the first point (holding `mods`), move through the others, release."""
    import polyscope as ps
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


def _ellipse(cx, cy, rx, ry, n=40):
    """Whole pixels: ImGui floors mouse positions."""
    a = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return [
        (float(round(x)), float(round(y)))
        for x, y in zip(cx + rx * np.cos(a), cy + ry * np.sin(a), strict=True)
    ]


def _assert_camera_is_polyscopes(stroke) -> None:
    """The stroke's camera gives the rays Polyscope itself casts through the lasso's points."""
    import polyscope as ps

    pixels = np.asarray(stroke.polygon_px)
    ours = pixel_rays(stroke.camera, pixels)[1]
    theirs = np.array([ps.screen_coords_to_world_ray(p) for p in pixels])
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    assert (stroke.camera.width, stroke.camera.height) == (W, H)


def test_scripted_session_makes_the_engine_record(app):
    import polyscope.imgui as psim

    _key(psim.ImGuiKey_L)
    assert app.lasso_mode
    apply_camera(FRONT)
    head = _ellipse(640, 400, 150, 130)
    _drag(head)  # plain drag: a new selection
    first = app.session.strokes
    assert len(first) == 1 and first[0].op == "add" and first[0].polygon_px == tuple(head)
    _assert_camera_is_polyscopes(first[0])
    n_head = len(app.session.face_ids)
    assert n_head > 50

    apply_camera(RIGHT)
    side = _ellipse(560, 330, 120, 90)
    _drag(side, mods=(psim.ImGuiMod_Shift,))  # shift adds
    _key(psim.ImGuiKey_X)  # x-ray on
    cut = _ellipse(640, 400, 60, 60)
    _drag(cut, mods=(psim.ImGuiMod_Ctrl,))  # ctrl subtracts
    strokes = app.session.strokes
    assert [(s.op, s.xray) for s in strokes] == [("add", False), ("add", False), ("subtract", True)]
    for stroke in strokes[1:]:
        _assert_camera_is_polyscopes(stroke)
    assert np.array_equal(app.session.face_ids, select_faces(app.session.mesh, strokes))

    # Undo and redo through the keyboard; a clean-up edit; the note; save with ctrl+S.
    after_cut = app.session.face_ids
    _key(psim.ImGuiKey_Z, (psim.ImGuiMod_Ctrl,))
    assert len(app.session.strokes) == 2 and len(app.session.face_ids) > len(after_cut)
    _key(psim.ImGuiKey_Y, (psim.ImGuiMod_Ctrl,))
    assert np.array_equal(app.session.face_ids, after_cut)
    app.edit("keep_largest")
    app.session.note = "head, right side"
    _key(psim.ImGuiKey_S, (psim.ImGuiMod_Ctrl,))
    assert len(app.saved) == 1
    record = load_record(app.saved[0])
    assert record.note == "head, right side" and [e.op for e in record.edits] == ["keep_largest"]
    assert record.strokes == strokes and record.source == app.session.mesh.source
    selected = engine_for(app.session.mesh).select(record.strokes, record.edits)
    assert np.array_equal(replay(record, app.session.mesh), selected)
    assert record.face_ids == app.session.face_ids.tolist()

    # A plain drag starts over; escape and the L key leave lasso mode.
    apply_camera(FRONT)
    _drag(_ellipse(700, 300, 40, 40))
    assert len(app.session.strokes) == 1 and not app.session.edits
    _key(psim.ImGuiKey_L)
    assert not app.lasso_mode


def test_keep_the_clicked_component_and_step_to_the_next_source(app):
    import polyscope as ps
    import polyscope.imgui as psim

    _key(psim.ImGuiKey_L)
    apply_camera(FRONT)
    # Two separate blobs on the head: around both ears.
    left, right = _ellipse(520, 330, 45, 35), _ellipse(760, 330, 45, 35)
    _drag(left)
    _drag(right, mods=(psim.ImGuiMod_Shift,))
    both = app.session.selected
    assert app.session.engine.graph.components(both)[0] >= 2
    app.picking_component = True  # the "Keep clicked component" button
    io = psim.GetIO()
    io.AddMousePosEvent(760, 330)
    ps.frame_tick()
    io.AddMouseButtonEvent(0, True)
    ps.frame_tick()
    io.AddMouseButtonEvent(0, False)
    ps.frame_tick()
    face = app.session.engine.face_at(app.session.strokes[-1].camera, (760, 330))
    assert face is not None and both[face]
    assert np.array_equal(app.session.selected, keep_component(app.session.engine.graph, both, face))
    assert app.session.edits[-1].face == face

    app.open(app.index + 1)
    assert app.session.mesh.source.ref == "creature" and len(app.session.face_ids) == 0
    app.open(app.index + 1)  # wraps around
    assert app.session.mesh.source.ref == "cow"


def test_a_source_that_fails_to_load_is_reported_and_skipped(tmp_path):
    import polyscope as ps

    use_backend("openGL_mock")
    broken = tmp_path / "broken.obj"
    broken.write_bytes(b"")
    app = LassoApp([str(broken), "builtin:creature"], tmp_path / "out")
    app.install()
    ps.frame_tick()
    assert app.session is None and "is empty" in app.status
    app.open(app.index + 1)
    assert app.session is not None and app.session.mesh.source.ref == "creature"
    ps.clear_user_callback()
