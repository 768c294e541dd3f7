"""Other projects' Zero123++ UNets in their own file layouts (tiny models of the real architecture):
GenVDM's Lightning checkpoint and InstantMesh's bare UNet state dict load onto the base with every
weight where it belongs; a wrong or truncated file is one sentence; their grids' normals (GenVDM's
two possible frames) come back in the patch frame; each model gets its authors' condition image."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import GENVDM_DATA, assert_one_sentence_error
from PIL import Image
from render_shapes import ball_patch

from vdm.errors import VdmError
from vdm.images import decode_normals
from vdm.render.renderer import PatchRenderer
from vdm.rig import GRID_VIEWS
from vdm.train.foreign import GENVDM, UNET, apply_foreign_unet, read_foreign_unet
from vdm.train.loading import load_model, save_model
from vdm.train.model import tiny_model
from vdm.train.normal_frames import CAMERA, FRONT, UNKNOWN, camera_to_patch, convert_tiles, plane_normal


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny base saved in the hub layout, and a fine-tuned UNet (other weights) in both layouts."""
    folder = tmp_path_factory.mktemp("foreign")
    base = save_model(tiny_model(seed=3), folder / "base")
    tuned = {k: v + 0.01 * torch.randn_like(v) for k, v in tiny_model(seed=4).unet.state_dict().items()}
    lightning = {
        "epoch": 3,
        "global_step": 1200,
        "pytorch-lightning_version": "2.1.2",
        "state_dict": {
            **{f"unet.unet.{k}": v for k, v in tuned.items()},
            "betas": torch.linspace(0.00085, 0.012, 10),
        },
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 1e-5, "params": [0]}]}],
    }
    torch.save(lightning, folder / "example.ckpt")
    torch.save(tuned, folder / "diffusion_pytorch_model.bin")
    return base, folder, tuned


@pytest.mark.parametrize(("name", "kind"), [("example.ckpt", GENVDM), ("diffusion_pytorch_model.bin", UNET)])
def test_each_layout_loads_its_weights_into_the_bases_unet(files, name, kind):
    base, folder, tuned = files
    foreign = read_foreign_unet(folder / name)
    assert foreign.kind == kind
    model = apply_foreign_unet(load_model(base), foreign)
    loaded = model.unet.state_dict()
    assert set(loaded) == set(tuned)
    for key, value in tuned.items():
        assert torch.equal(loaded[key], value), key
    untouched = tiny_model(seed=3)  # the frozen parts are the base's
    assert torch.equal(
        model.vae.state_dict()["decoder.conv_out.weight"],
        untouched.vae.state_dict()["decoder.conv_out.weight"],
    )


def test_a_wrong_or_truncated_file_is_one_sentence(files, tmp_path):
    base, folder, tuned = files
    truncated = tmp_path / "cut.ckpt"
    truncated.write_bytes((folder / "example.ckpt").read_bytes()[:4000])
    with pytest.raises(VdmError, match="not a readable PyTorch checkpoint"):
        read_foreign_unet(truncated)
    torch.save({"state_dict": {"model.weight": torch.zeros(2)}}, tmp_path / "other.ckpt")
    with pytest.raises(VdmError, match=r"without a UNet under 'unet\.unet\.'"):
        read_foreign_unet(tmp_path / "other.ckpt")
    torch.save({"weight": torch.zeros(2)}, tmp_path / "other.bin")
    with pytest.raises(VdmError, match="neither a GenVDM checkpoint nor a UNet state dict"):
        read_foreign_unet(tmp_path / "other.bin")
    wide = {k: v for k, v in tuned.items() if not k.startswith("conv_out")}
    torch.save(wide, tmp_path / "partial.bin")
    with pytest.raises(VdmError, match="does not fit the base model's UNet"):
        apply_foreign_unet(load_model(base), read_foreign_unet(tmp_path / "partial.bin"))


def _patch_frame_tiles():
    with PatchRenderer(128) as renderer:
        views = renderer.render(ball_patch(n_around=64, n_ball=24, n_plane=6))
    return {k: views[k].normal for k in GRID_VIEWS}


@pytest.mark.parametrize("frame", [FRONT, CAMERA])
def test_grids_in_either_frame_come_back_in_the_patch_frame(frame):
    """Our renders' normals (patch frame) written as a model of either frame would write them (on
    white, GenVDM's near-white background), found and converted back within 8-bit rounding."""
    truth = _patch_frame_tiles()
    tiles, background = {}, {}
    for k, encoded in truth.items():
        normals, mask = decode_normals(encoded)
        theirs = normals if frame == FRONT else normals @ camera_to_patch(k)  # patch -> camera frame
        rgb = np.where(mask[..., None], np.round((theirs + 1.0) / 2.0 * 255.0), 255).astype(np.uint8)
        tiles[k], background[k] = rgb, (rgb > 240).all(axis=-1)
    converted, found = convert_tiles(tiles, background)
    assert found == frame
    for k in truth:
        ours, mask = decode_normals(truth[k])
        back, back_mask = decode_normals(converted[k])
        both = mask & back_mask
        angle = np.degrees(np.arccos(np.clip((ours * back).sum(-1)[both], -1.0, 1.0)))
        assert both.sum() > 0.9 * mask.sum() and angle.mean() < 1.0, (k, angle.mean())
    assert np.allclose(plane_normal(0, CAMERA), [np.sqrt(3) / 2, 0.0, 0.5])  # azimuth -60: tilted


def test_a_grid_without_a_plane_is_said_and_read_in_the_front_frame(caplog):
    rng = np.random.default_rng(0)
    tiles = {k: rng.integers(0, 200, (32, 32, 3), dtype=np.uint8) for k in GRID_VIEWS}
    background = {k: np.zeros((32, 32), dtype=bool) for k in GRID_VIEWS}
    _, found = convert_tiles(tiles, background)
    assert found == UNKNOWN and "shows no bare plane" in caplog.text


def test_generate_with_a_genvdm_checkpoint_uses_their_condition(files, tmp_path, run_cli):
    from vdm.train.preprocess import genvdm_condition, read_rgba

    base, folder, _ = files
    picture = GENVDM_DATA / "inputs" / "ear1.png"  # GenVDM's own example input
    out = tmp_path / "gen"
    args = ["--model", folder / "example.ckpt", "--base", base, "--steps", "2", "--device", "cpu"]
    result = run_cli("generate", picture, "--out", out, *args)
    assert result.code == 0, result.err
    report = json.loads((out / "generate.json").read_text())
    assert report["kind"] == GENVDM and report["frame"] in (FRONT, CAMERA, UNKNOWN)
    condition = np.asarray(Image.open(out / "condition.png"))
    assert np.array_equal(condition, genvdm_condition(read_rgba(picture)))
    assert Image.open(out / "grid.png").size == (640, 960)
    bad = run_cli("generate", picture, "--out", out, "--model", tmp_path / "nothing.ckpt")
    assert_one_sentence_error(bad, "does not exist")
