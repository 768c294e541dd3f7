"""Reconstruction judged as a brush (conventions section 6b), at the default quality on the CPU:
a true patch -> six normal renders -> `reconstruct` -> the section-6b figures against the truth,
next to the height-field baseline. Undercut recall counts the undercuts the six views see.

Shapes: the mushroom (its cap overhangs the stem), a ball sunk into the plane (more than a
hemisphere), a horn curling over its base, an ear whose helix folds over its front, a hook, and
GenVDM's ear3.exr. Every one is asked for no crossing face (the hook's stem base crossed 42 times
before bake.uncross).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from conftest import GENVDM_DATA
from normal_perturbation import perturb_views
from render_shapes import ball_patch, normal_renders
from scipy.spatial import cKDTree

from vdm.bake.config import BakeConfig
from vdm.bake.metrics import brush_scores
from vdm.patch import PART, Patch, read_patch
from vdm.reconstruct.config import ReconstructConfig
from vdm.reconstruct.pipeline import reconstruct
from vdm.rig import GRID_VIEWS
from vdm.shapes import curled_horn_patch, folded_ear_patch, hook_patch, mushroom_patch, under_cap_points
from vdm.surface_metrics import sample_surface
from vdm.vdm_file import read_vdm
from vdm.vdm_grid import vdm_to_patch

# minutes in all: `make test` runs it, `make test-fast` leaves it out; one worker runs the module, so
# its reconstructions (`runs`) are made once (the mushroom's serves two tests) and start first
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reconstruct-brush")]

SHAPES = {
    "mushroom": mushroom_patch,
    "sunk-ball": ball_patch,
    "curled-horn": curled_horn_patch,
    "folded-ear": folded_ear_patch,
    "hook": hook_patch,
}
RECALL = 0.95  # the least undercut recall, of what the views see


@cache
def _truth(name: str) -> Patch:
    return SHAPES[name]()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Reconstructions by (shape, kind), made on first use."""
    made = {}

    def run(name: str, kind: str = "neural"):
        if (name, kind) not in made:
            views = normal_renders(_truth(name))
            if kind == "perturbed":
                views = perturb_views(views, seed=1)
            out = tmp_path_factory.mktemp(f"{name}-{kind}")
            config = ReconstructConfig(baseline=kind == "baseline", progress=False)
            result = reconstruct(views, out, config)
            made[name, kind] = result, brush_scores(result.displacement, _truth(name), seen_by=GRID_VIEWS)
        return made[name, kind]

    return run


def _assert_border_exact(displacement: np.ndarray) -> None:
    for edge in (displacement[0], displacement[-1], displacement[:, 0], displacement[:, -1]):
        assert (edge == 0.0).all()


@pytest.mark.parametrize("name", SHAPES)
def test_a_reconstructed_vdm_is_a_good_brush(runs, name):
    result, scores = runs(name)
    assert scores.chamfer < 0.015, scores
    assert scores.undercut_recall >= RECALL, scores
    assert scores.slide < 0.01 and scores.lift < 0.01, scores  # the plane around the part stays put
    assert scores.crease < 0.02, scores
    _assert_border_exact(result.displacement)
    assert scores.self_intersections == 0, scores
    # mesh.ply labels the part where the surface leaves the plane, the preview shows three angles
    mesh = read_patch(result.mesh)
    assert 0.02 < (mesh.labels == PART).mean() < 0.5
    assert result.preview.is_file() and result.stage1.is_file()
    _, baseline = runs(name, "baseline")
    assert baseline.chamfer > 3.0 * scores.chamfer, (scores, baseline)
    missed, baseline_missed = 1.0 - scores.undercut_recall, 1.0 - baseline.undercut_recall
    assert baseline_missed > 3.0 * missed, (scores, baseline)


def test_the_mushroom_keeps_the_cap_underside_the_views_see(runs):
    result, _ = runs("mushroom")
    surface = sample_surface(vdm_to_patch(result.displacement, 256)).points
    baseline, _ = runs("mushroom", "baseline")
    under = under_cap_points()
    ours = one_sided(under, surface)
    flat = one_sided(under, sample_surface(vdm_to_patch(baseline.displacement, 256)).points)
    assert ours < 0.08 and flat > 2.0 * ours, (ours, flat)
    assert np.abs(result.displacement[..., :2]).max() > 0.1  # reached by moving pixels sideways
    assert np.abs(baseline.displacement[..., :2]).max() == 0.0


def test_normals_that_disagree_a_little_still_give_a_clean_brush(runs):
    _, scores = runs("curled-horn", "perturbed")
    assert scores.chamfer < 0.025, scores
    assert scores.self_intersections == 0, scores
    assert scores.slide < 0.01 and scores.crease < 0.02, scores


def test_ear3_round_trip_with_the_disc_border(tmp_path):
    truth = vdm_to_patch(read_vdm(GENVDM_DATA / "ear3.exr"), 256)
    result = reconstruct(
        normal_renders(truth), tmp_path, ReconstructConfig(bake=BakeConfig(border="disc"), progress=False)
    )
    assert brush_scores(result.displacement, truth, crossings=-1).chamfer < 0.015
    n = result.displacement.shape[0]
    c = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    outside = np.hypot(*np.meshgrid(c, c)) > 1.0
    assert (result.displacement[outside] == 0.0).all()


def one_sided(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance from the points a to the points b (how well b covers a)."""
    return float(cKDTree(b).query(a)[0].mean())
