"""The two neural stages on small budgets: losses go down, and the same seed gives the same numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reconstruct.deform import DeformConfig, fit_deformation, sample_field
from reconstruct.encoding import GridConfig
from reconstruct.inputs import load_normal_views
from reconstruct.sdf import SdfConfig, build_rays, fit_sdf
from render.renderer import PatchRenderer
from vdm.shapes import mushroom_patch
from vdm.surface_metrics import sample_surface

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def views():
    with PatchRenderer(64) as renderer:
        return load_normal_views({k: v.normal for k, v in renderer.render(mushroom_patch()).items()}, 64)


def test_bare_plane_rays_exclude_the_part(views):
    bank = build_rays(views, CPU)
    bare, part = bank.bare_plane, bank.sees_part
    assert bare.any() and part.any() and not (bare & part).any()
    assert (bank.normals[bare][:, 2] > 0.99).all() and bank.hits_plane[bare].all()


def test_sdf_losses_fall_and_repeat(views):
    config = SdfConfig(iterations=80, rays=128, samples=24, grid=GridConfig(levels=4, finest_resolution=32))
    runs = []
    for _ in range(2):
        losses = []
        model = fit_sdf(
            views, config, CPU, seed=3, progress=lambda _step, loss, losses=losses: losses.append(loss)
        )
        runs.append((losses, model.encoding.volumes[-1].detach().clone()))
    (losses, volume), (again, volume_again) = runs
    first = np.mean([x["normal"] + x["mask"] for x in losses[:10]])
    last = np.mean([x["normal"] + x["mask"] for x in losses[-10:]])
    assert last < 0.7 * first, (first, last)
    assert losses == again and torch.equal(volume, volume_again)


def test_deformation_starts_flat_and_fits():
    target = sample_surface(mushroom_patch(), 4000, seed=0).points
    config = DeformConfig(iterations=150, points=512)
    losses = []
    field = fit_deformation(
        target, config, CPU, seed=1, progress=lambda _step, loss: losses.append(loss["chamfer"])
    )
    assert np.mean(losses[-10:]) < 0.6 * losses[0]
    surface = sample_field(field, 32)
    assert surface[..., 2].max() > 0.5  # it rose toward the cap
    untrained = sample_field(fit_deformation(target, DeformConfig(iterations=0), CPU, seed=1), 8)
    from vdm.vdm_file import pixel_centres

    x, y = pixel_centres(8)
    assert np.allclose(untrained, np.stack([x, y, np.zeros_like(x)], -1), atol=1e-6)
