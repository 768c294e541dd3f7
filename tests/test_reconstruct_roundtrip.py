"""Round trips at --quality fast on the CPU: a true patch -> six normal renders -> reconstruct -> compare.

One mushroom (its cap overhangs the stem: not a height field) against the height-field baseline, and
the reference VDM ear3.exr through vdm2mesh.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GENVDM_DATA

from reconstruct.config import ReconstructConfig
from reconstruct.pipeline import reconstruct
from render.renderer import PatchRenderer
from vdm.patch import Patch
from vdm.shapes import mushroom_patch, under_cap_points
from vdm.surface_metrics import compare, one_sided, sample_surface
from vdm.vdm_file import read_vdm, vdm_to_patch

VIEW_SIZE = 128
EVAL_RESOLUTION = 256
CHAMFER_BOUND = 0.03  # patch half-widths (issue 7)


def normal_renders(patch: Patch) -> dict[int, np.ndarray]:
    with PatchRenderer(VIEW_SIZE) as renderer:
        return {k: v.normal for k, v in renderer.render(patch).items()}


def surface_of(path) -> Patch:
    return vdm_to_patch(read_vdm(path), EVAL_RESOLUTION)


@pytest.fixture(scope="module")
def mushroom_results(tmp_path_factory):
    views = normal_renders(mushroom_patch())
    out = tmp_path_factory.mktemp("mushroom")
    neural = reconstruct(views, out / "neural", ReconstructConfig(resolution=EVAL_RESOLUTION, progress=False))
    baseline = reconstruct(
        views, out / "baseline", ReconstructConfig(resolution=EVAL_RESOLUTION, baseline=True, progress=False)
    )
    return neural, baseline


def test_mushroom_overhang_round_trip(mushroom_results):
    neural, baseline = mushroom_results
    for result in (neural, baseline):
        assert result.vdm.is_file() and result.mesh.is_file() and result.preview.is_file()
    truth = mushroom_patch()
    ours, flat = compare(surface_of(neural.vdm), truth), compare(surface_of(baseline.vdm), truth)
    assert ours.chamfer < CHAMFER_BOUND, ours
    assert flat.chamfer > 1.5 * ours.chamfer, (ours, flat)
    # the overhang is there: the cap's underside is covered by the VDM's surface, not by the baseline's
    under = under_cap_points()
    ours_under = one_sided(under, sample_surface(surface_of(neural.vdm)).points)
    flat_under = one_sided(under, sample_surface(surface_of(baseline.vdm)).points)
    assert ours_under < 0.08 and flat_under > 2.0 * ours_under, (ours_under, flat_under)
    # and it is reached by folding: some pixels move sideways, some surface points face down
    assert np.abs(neural.displacement[..., :2]).max() > 0.1
    assert np.abs(baseline.displacement[..., :2]).max() == 0.0


def test_ear3_round_trip(tmp_path):
    truth = vdm_to_patch(read_vdm(GENVDM_DATA / "ear3.exr"), EVAL_RESOLUTION)
    result = reconstruct(
        normal_renders(truth), tmp_path, ReconstructConfig(resolution=EVAL_RESOLUTION, progress=False)
    )
    scores = compare(surface_of(result.vdm), truth)
    assert scores.chamfer < CHAMFER_BOUND, scores
