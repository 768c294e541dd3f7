"""The lasso GUI driven headless: scripted mouse and key events through Polyscope's user callback
(`openGL_mock` backend) make the same record as the engine, with the camera Polyscope used."""

from __future__ import annotations

import numpy as np
import pytest
from lasso_polyscope import drag, ellipse, press_key, use_backend

from vdm.lasso.camera import pixel_rays
from vdm.lasso.engine import engine_for, replay, select_faces
from vdm.lasso.gui import LassoApp
from vdm.lasso.ps_camera import apply_camera
from vdm.lasso.refine import keep_component
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

    press_key(psim.ImGuiKey_L)
    assert app.lasso_mode
    apply_camera(FRONT)
    head = ellipse(640, 400, 150, 130)
    drag(head)  # plain drag: a new selection
    first = app.session.strokes
    assert len(first) == 1 and first[0].op == "add" and first[0].polygon_px == tuple(head)
    _assert_camera_is_polyscopes(first[0])
    n_head = len(app.session.face_ids)
    assert n_head > 50

    apply_camera(RIGHT)
    side = ellipse(560, 330, 120, 90)
    drag(side, mods=(psim.ImGuiMod_Shift,))  # shift adds
    press_key(psim.ImGuiKey_X)  # x-ray on
    cut = ellipse(640, 400, 60, 60)
    drag(cut, mods=(psim.ImGuiMod_Ctrl,))  # ctrl subtracts
    strokes = app.session.strokes
    assert [(s.op, s.xray) for s in strokes] == [("add", False), ("add", False), ("subtract", True)]
    for stroke in strokes[1:]:
        _assert_camera_is_polyscopes(stroke)
    assert np.array_equal(app.session.face_ids, select_faces(app.session.mesh, strokes))

    # Undo and redo through the keyboard; a clean-up edit; the note; save with ctrl+S.
    after_cut = app.session.face_ids
    press_key(psim.ImGuiKey_Z, (psim.ImGuiMod_Ctrl,))
    assert len(app.session.strokes) == 2 and len(app.session.face_ids) > len(after_cut)
    press_key(psim.ImGuiKey_Y, (psim.ImGuiMod_Ctrl,))
    assert np.array_equal(app.session.face_ids, after_cut)
    app.edit("keep_largest")
    app.session.note = "head, right side"
    press_key(psim.ImGuiKey_S, (psim.ImGuiMod_Ctrl,))
    assert len(app.saved) == 1
    record = load_record(app.saved[0])
    assert record.note == "head, right side" and [e.op for e in record.edits] == ["keep_largest"]
    assert record.strokes == strokes and record.source == app.session.mesh.source
    selected = engine_for(app.session.mesh).select(record.strokes, record.edits)
    assert np.array_equal(replay(record, app.session.mesh), selected)
    assert record.face_ids == app.session.face_ids.tolist()

    # A plain drag starts over; escape and the L key leave lasso mode.
    apply_camera(FRONT)
    drag(ellipse(700, 300, 40, 40))
    assert len(app.session.strokes) == 1 and not app.session.edits
    press_key(psim.ImGuiKey_L)
    assert not app.lasso_mode


def test_keep_the_clicked_component_and_step_to_the_next_source(app):
    import polyscope as ps
    import polyscope.imgui as psim

    press_key(psim.ImGuiKey_L)
    apply_camera(FRONT)
    # Two separate blobs on the head: around both ears.
    left, right = ellipse(520, 330, 45, 35), ellipse(760, 330, 45, 35)
    drag(left)
    drag(right, mods=(psim.ImGuiMod_Shift,))
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
