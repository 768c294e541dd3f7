"""The review mode of the lasso (`vdm lasso SOURCES --proposals DIR`), driven with real key and mouse
input through Polyscope's user callback (`openGL_mock` backend): accept, reject, edit, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import builtin_mesh
from lasso_polyscope import drag, ellipse, press_key, use_backend

from vdm.lasso.camera import project_points
from vdm.lasso.engine import replay
from vdm.lasso.gui import PANEL_WIDTH_PX, LassoApp
from vdm.lasso.ps_camera import camera_from_polyscope
from vdm.lasso.review import JOURNAL
from vdm.proposal_index import read_proposals
from vdm.propose.config import ProposeConfig
from vdm.propose.proposals import propose, write_proposals
from vdm.records import load_record
from vdm.sources import load_source

SOURCES = ["builtin:cow", "builtin:creature"]


@pytest.fixture(scope="module")
def proposals_dir(tmp_path_factory):
    """Four proposals on the cow and two on the creature (not stitch-checked: that is propose's test)."""
    folder = tmp_path_factory.mktemp("proposals")
    for spec, count in zip(SOURCES, (4, 2), strict=True):
        config = ProposeConfig(count=count, stitch_check=False)
        write_proposals(propose(load_source(spec), config, progress=False), folder, config)
    return folder


def _review(proposals_dir, out, window=(1280, 720)):
    import polyscope as ps

    use_backend("openGL_mock")
    ps.set_window_size(*window)  # the reviewer's window
    app = LassoApp(SOURCES, out, proposals=proposals_dir)
    app.install()
    ps.frame_tick()
    return app


def _on_screen(app, proposal) -> tuple[np.ndarray, np.ndarray]:
    """The top-left and bottom-right pixels of the proposal's faces in the review's view now."""
    mesh = app.session.mesh
    pixels, _ = project_points(
        camera_from_polyscope(), mesh.vertices[mesh.faces[proposal.face_ids]].reshape(-1, 3)
    )
    return pixels.min(axis=0), pixels.max(axis=0)


def _assert_framed(app, proposal, window):
    """The window stays the reviewer's (not the proposal camera's 800 x 600), and the proposed part
    lies whole in the area left of the panel, centred there and filling a good share of it."""
    import polyscope as ps

    assert tuple(ps.get_window_size()) == window
    assert (proposal.strokes[0].camera.width, proposal.strokes[0].camera.height) != window
    (left, top), (right, bottom) = _on_screen(app, proposal)
    free = window[0] - PANEL_WIDTH_PX
    assert left >= 0 and right <= free and top >= 0 and bottom <= window[1], (left, right, top, bottom)
    assert (
        abs((left + right) / 2 - free / 2) < 0.05 * free
        and abs((top + bottom) / 2 - window[1] / 2) < 0.05 * window[1]
    )
    assert max((right - left) / free, (bottom - top) / window[1]) > 0.4


def test_accept_reject_edit_and_resume_a_review(proposals_dir, tmp_path):
    import polyscope as ps
    import polyscope.imgui as psim

    out = tmp_path / "selections"
    cow = read_proposals(proposals_dir, builtin_mesh("builtin:cow").source)
    app = _review(proposals_dir, out, window=(1600, 900))
    try:
        assert app.review.current.id == cow[0].id  # best first, shown as its strokes and edits
        assert app.session.strokes == cow[0].strokes and app.session.face_ids.tolist() == cow[0].face_ids
        _assert_framed(app, cow[0], (1600, 900))

        press_key(psim.ImGuiKey_A)  # accept as proposed: the same record
        assert [load_record(p).id for p in app.saved] == [cow[0].id]
        assert load_record(app.saved[0]).face_ids == cow[0].face_ids
        press_key(psim.ImGuiKey_R)  # reject: nothing saved
        assert len(app.saved) == 1 and app.review.current.id == cow[2].id

        press_key(psim.ImGuiKey_L)  # edit the third with the usual strokes: shift+drag adds skin around it
        before = len(app.session.face_ids)
        (left, top), (right, bottom) = _on_screen(app, cow[2])
        around = ellipse(
            (left + right) / 2, (top + bottom) / 2, 0.6 * (right - left) + 30, 0.6 * (bottom - top) + 30
        )
        drag(around, mods=(psim.ImGuiMod_Shift,))  # a ring of skin a little wider than the part
        assert len(app.session.face_ids) > before
        press_key(psim.ImGuiKey_L)
        press_key(psim.ImGuiKey_A)
        edited = load_record(app.saved[-1])
        assert edited.strokes[:-1] == cow[2].strokes and len(edited.strokes) == len(cow[2].strokes) + 1
        assert np.array_equal(replay(edited, app.session.mesh), np.asarray(edited.face_ids))
    finally:
        ps.clear_user_callback()
        ps.set_do_default_mouse_interaction(True)

    journal = json.loads((out / JOURNAL).read_text())["decided"]
    assert [journal[p.id]["decision"] for p in cow[:3]] == ["accepted", "rejected", "accepted"]
    assert journal[cow[2].id]["saved"] == f"{edited.id}.json"
    assert sorted(p.name for p in out.glob("*.json")) == sorted([f"{cow[0].id}.json", f"{edited.id}.json"])

    resumed = _review(proposals_dir, out)  # the review stopped: it resumes at the fourth
    try:
        assert resumed.review.current.id == cow[3].id
        press_key(psim.ImGuiKey_A)  # the cow is done: the creature opens at its best proposal
        creature = read_proposals(proposals_dir, builtin_mesh("builtin:creature").source)
        assert resumed.session.mesh.source.ref == "creature" and resumed.review.current.id == creature[0].id
        press_key(psim.ImGuiKey_R)
        press_key(psim.ImGuiKey_R)
        assert resumed.review.current is None and resumed.status == "Review done: 3 accepted, 3 rejected."
    finally:
        ps.clear_user_callback()
        ps.set_do_default_mouse_interaction(True)


def test_a_missing_proposals_folder_is_one_sentence(tmp_path, run_cli):
    from conftest import assert_one_sentence_error

    result = run_cli("lasso", "builtin:cow", "--proposals", tmp_path / "nowhere", "--out", tmp_path / "sel")
    assert_one_sentence_error(result, "does not exist")
