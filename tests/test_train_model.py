"""The Zero123++ model of train/: reference attention, the loading path (tiny models saved in the hub
layout), and the one-sentence failures of loading."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
import torch
from conftest import assert_one_sentence_error

from vdm.errors import VdmError
from vdm.train.loading import load_model, save_model
from vdm.train.model import tiny_model
from vdm.train.reference import ReferenceUNet
from vdm.train.sampling import SampleConfig, sample_grids


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tiny model is fastest on one thread, and the cores are shared
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "model"
    save_model(tiny_model(seed=3), path)
    return path


def _net(model):
    return ReferenceUNet(model.unet, model.train_scheduler().alphas_cumprod).eval()


def test_reference_attention_carries_the_condition():
    model = tiny_model()
    net = _net(model)
    torch.manual_seed(0)
    sample, states = torch.randn(1, 4, 12, 8), torch.randn(1, 77, 32)
    cond, noise = torch.randn(2, 1, 4, 8, 8), torch.randn(1, 4, 8, 8)
    t = torch.tensor([300])
    with torch.no_grad():
        a, b = (net(sample, t, states, c, noise) for c in cond)
        again = net(sample, t, states, cond[0], noise)
    assert torch.equal(a, again)
    assert (a - b).abs().max() > 1e-3  # only the condition latent differs: it reaches the output


def test_gradient_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    inputs = (torch.randn(2, 4, 12, 8), torch.tensor([10, 700]), torch.randn(2, 77, 32))
    cond, noise = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    grads = []
    for checkpointing in (False, True):
        model = tiny_model(seed=1)
        if checkpointing:
            model.unet.enable_gradient_checkpointing()
        net = _net(model).train()
        net(*inputs, cond, noise).square().mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
    assert torch.allclose(grads[0], grads[1], atol=1e-6)


def test_saved_tiny_model_loads_through_the_hub_path_with_the_same_outputs(saved_tiny):
    index = json.loads((saved_tiny / "model_index.json").read_text())
    assert index["_class_name"] == "Zero123PlusPipeline" and index["vision_encoder"][-1] == (
        "CLIPVisionModelWithProjection"
    )
    assert (saved_tiny / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    original, loaded = tiny_model(seed=3), load_model(saved_tiny)
    condition = np.full((64, 64, 3), 200, dtype=np.uint8)
    condition[16:48, 16:48] = (200, 90, 40)
    config = SampleConfig(steps=3, guidance=4.0, seed=7)
    grids = [sample_grids(m, _net(m), [condition], config)[0] for m in (original, loaded)]
    assert grids[0].shape == (96, 64, 3)
    assert np.array_equal(grids[0], grids[1])
    other = sample_grids(loaded, _net(loaded), [condition], SampleConfig(steps=3, guidance=4.0, seed=8))[0]
    assert not np.array_equal(grids[0], other)  # the seed matters, so equality above means something


def test_hub_id_offline_fails_fast_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    start = time.perf_counter()
    with pytest.raises(VdmError, match="not in the Hugging Face cache") as info:
        load_model("sudo-ai/zero123plus-v1.2")
    assert time.perf_counter() - start < 30
    assert str(info.value).endswith(".") and "\n" not in str(info.value)


def test_other_architectures_fail_in_one_sentence(run_cli, saved_tiny, tmp_path):
    sd = tmp_path / "sd"
    sd.mkdir()
    index = {"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}
    (sd / "model_index.json").write_text(json.dumps(index))
    image = tmp_path / "part.png"
    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[20:40, 20:40] = 255
    from PIL import Image

    Image.fromarray(rgba).save(image)
    result = run_cli("generate", image, "--model", sd, "--out", tmp_path / "out")
    assert_one_sentence_error(result, "StableDiffusionPipeline", "not Zero123++")
    # The same layout, but a UNet built for another text width: the parts do not fit together.
    mixed = tmp_path / "mixed"
    shutil.copytree(saved_tiny, mixed)
    wide = tiny_model().unet
    from diffusers import UNet2DConditionModel

    UNet2DConditionModel.from_config({**wide.config, "cross_attention_dim": 64}).save_pretrained(
        mixed / "unet"
    )
    assert_one_sentence_error(run_cli("generate", image, "--model", mixed, "--out", tmp_path / "o2"), "fit")
    # A UNet whose weights do not match its folder's class at all.
    (mixed / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"not safetensors")
    assert_one_sentence_error(run_cli("generate", image, "--model", mixed, "--out", tmp_path / "o3"), "unet")
    assert not (tmp_path / "out").exists()


def test_hub_id_loads_from_the_hugging_face_cache_offline(saved_tiny, tmp_path, monkeypatch):
    """The hub-id path end to end, without network: a snapshot in the cache layout huggingface_hub uses."""
    import huggingface_hub.constants as constants

    cache = tmp_path / "cache"
    repo = cache / "models--vdm-test--tiny-zero123plus"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(saved_tiny, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    loaded = load_model("vdm-test/tiny-zero123plus")
    original = tiny_model(seed=3)
    for name, tensor in original.unet.state_dict().items():
        assert torch.equal(tensor, loaded.unet.state_dict()[name]), name
    assert loaded.ramping_coefficients == original.ramping_coefficients and loaded.tile_size == 32


def test_a_hub_scheduler_samples_with_trailing_timesteps(saved_tiny, tmp_path):
    """The hub's sudo-ai/zero123plus-v1.2 scheduler config says linspace; loading it samples trailing,
    and saving keeps trailing."""
    import shutil

    hub_like = tmp_path / "hub"
    shutil.copytree(saved_tiny, hub_like)
    scheduler_config = hub_like / "scheduler" / "scheduler_config.json"
    config = json.loads(scheduler_config.read_text())
    scheduler_config.write_text(json.dumps({**config, "timestep_spacing": "linspace"}))
    loaded = load_model(hub_like)
    loaded.scheduler.set_timesteps(75)
    timesteps = loaded.scheduler.timesteps.tolist()
    assert (timesteps[0], timesteps[-1]) == (999, 12)
    again = load_model(save_model(loaded, tmp_path / "saved"))
    assert again.scheduler.config.timestep_spacing == "trailing"
    assert (
        json.loads((tmp_path / "saved" / "scheduler" / "scheduler_config.json").read_text())[
            "timestep_spacing"
        ]
        == "trailing"
    )
