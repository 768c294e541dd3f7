"""`vdm image`: a picture to a brush. With six normal maps already made it goes the whole way (the
brush centred, inside the circle, named, brush.blend written); with a GenVDM-layout tiny checkpoint it
runs the model as GenVDM runs it (a tiny random model's normals are noise: its VAE is untrained, and
reconstruction may refuse them, in one sentence after writing everything before it)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import GENVDM_DATA, stitched_shipped
from PIL import Image
from render_shapes import ball_patch

from vdm.images import compose_grid, write_png
from vdm.render.renderer import PatchRenderer
from vdm.rig import GRID_VIEWS

pytestmark = pytest.mark.slow  # a reconstruction (draft quality) and Blender's brush: half a minute


def test_a_picture_and_its_normal_maps_make_a_brush_for_blender(tmp_path, run_cli):
    from vdm.bake.metrics import stamp_placement
    from vdm.vdm_file import read_vdm

    with PatchRenderer(320) as renderer:
        views = renderer.render(ball_patch(n_around=96, n_ball=32, n_plane=8))
    grid = write_png(tmp_path / "grid.png", compose_grid({k: views[k].normal for k in GRID_VIEWS}))
    out = tmp_path / "brush"
    picture = GENVDM_DATA / "inputs" / "bump.png"
    result = run_cli(
        "image", picture, "--out", out, "--normals", grid, "--name", "Round bump", "--quality", "draft"
    )
    assert result.code == 0, result.err
    for name in (
        "cutout.png",
        "vdm.exr",
        "mesh.ply",
        "preview.png",
        "brush.blend",
        "icon.png",
        "report.json",
    ):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text())
    assert report["reconstruct"]["quality"] == "draft"
    assert list(report["seconds"]) == [
        "cut out the part",
        "six normal maps",
        "reconstruct the VDM",
        "the brush for Blender",
    ]
    offset, outside = stamp_placement(read_vdm(out / "vdm.exr"))
    assert offset < 0.05 and outside == 0.0  # a brush: centred, nothing outside Blender's circle
    assert "brush:" in result.out and "brush.blend" in result.out


def test_a_genvdm_checkpoint_runs_on_the_demos_held_out_picture(tmp_path, run_cli):
    from vdm.app.demo import part_picture
    from vdm.train.loading import save_model
    from vdm.train.model import tiny_model
    from vdm.train.preprocess import genvdm_condition, read_rgba

    base = save_model(tiny_model(seed=3), tmp_path / "base")
    weights = {f"unet.unet.{k}": v for k, v in tiny_model(seed=5).unet.state_dict().items()}
    torch.save({"state_dict": weights, "global_step": 10}, tmp_path / "genvdm.ckpt")
    picture = write_png(tmp_path / "horn.png", part_picture(stitched_shipped("creature-horn").patch, 256))
    out = tmp_path / "brush"
    args = [
        "--model",
        tmp_path / "genvdm.ckpt",
        "--base",
        base,
        "--steps",
        "2",
        "--device",
        "cpu",
        "--threads",
        "2",
    ]
    result = run_cli("image", picture, "--out", out, *args)
    condition = np.asarray(Image.open(out / "normals" / "condition.png"))
    assert np.array_equal(condition, genvdm_condition(read_rgba(out / "cutout.png")))  # their condition
    assert json.loads((out / "normals" / "generate.json").read_text())["kind"] == "genvdm"
    assert Image.open(out / "normals" / "grid.png").size == (640, 960)
    if result.code == 0:
        assert (out / "brush.blend").is_file()
    else:  # noise normals: refused in one sentence, with what came before kept
        errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and "Traceback" not in result.err, result.err
