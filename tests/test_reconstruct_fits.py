"""Single reconstructions judged on their own, at the default quality on the CPU: the demo's
held-out horn grown out to its tip, and a failed fit made again. Apart from the brush module's
shared runs (one xdist group), so that the workers share them out.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import stitched_shipped
from render_shapes import normal_renders

from vdm.bake.metrics import STRAY, BrushGates, brush_scores
from vdm.reconstruct import pipeline
from vdm.reconstruct.config import ReconstructConfig
from vdm.reconstruct.pipeline import reconstruct
from vdm.rig import GRID_VIEWS
from vdm.shapes import hook_patch

pytestmark = pytest.mark.slow


def test_the_demo_held_out_horn_grows_out_to_its_tip(tmp_path):
    """The demo's held-out creature horn from its renders at the demo's 256 pixels, at the demo's
    seed: before the sharpness warm-up (sdf.sharpness) its tip stopped 0.2-0.3 short and the upper
    horn lay beside the truth (stray 1.55 %, p99 0.028, recall 0.905); with it, at most 0.1 % at
    seeds 0-3."""
    truth = stitched_shipped("creature-horn").patch
    result = reconstruct(normal_renders(truth, 256), tmp_path, ReconstructConfig(progress=False))
    scores = brush_scores(result.displacement, truth, seen_by=GRID_VIEWS)
    gates = BrushGates()  # a baked dataset VDM's limits (section 6b)
    assert scores.stray_share < gates.stray_share and scores.stray_p99 < STRAY, scores
    assert scores.undercut_recall >= gates.undercut_recall and scores.chamfer < 0.005, scores
    assert scores.slide < 0.01 and scores.self_intersections == 0, scores


def test_a_fit_that_grows_a_dome_over_the_plane_is_made_again(tmp_path, caplog, monkeypatch):
    """Without the sharpness warm-up, at seed 3 stage 1's start hemisphere does not dissolve but
    grows into a dome that swallows the hook's stem (79 % of the surface stray, before the refit);
    the dome lies where the views prove space empty, so the fit is made again at seed 4 with that
    space carved. (The warm-up makes this fit sound; the refit stays for the fits that still fail.)"""
    fast = pipeline.quality_settings("fast")
    unwarmed = replace(fast, sdf=replace(fast.sdf, warm_share=0.0))
    monkeypatch.setattr(pipeline, "quality_settings", lambda _quality: unwarmed)
    truth = hook_patch()
    result = reconstruct(normal_renders(truth), tmp_path, ReconstructConfig(seed=3, progress=False))
    assert "a failed fit; made again at seed 4" in caplog.text
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["stage1"]["fits"] == 2 and report["stage1"]["empty_space_share"] < 0.1
    scores = brush_scores(result.displacement, truth, seen_by=GRID_VIEWS)
    assert scores.stray_share < 0.05 and scores.chamfer < 0.015, scores  # 0.79 and 0.035 before
    assert scores.slide < 0.01 and scores.self_intersections == 0, scores
