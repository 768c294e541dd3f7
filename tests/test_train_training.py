"""Training the tiny model for real on a small rendered dataset: it overfits, resumes exactly, and the
CLI trains, validates, checkpoints and generates; bad datasets fail in one sentence."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import GENVDM_DATA, assert_one_sentence_error
from PIL import Image
from train_data import unet_state, write_ball_dataset

from vdm.train.config import AugmentConfig, GenerateConfig, TrainConfig, ValidationConfig
from vdm.train.loading import checkpoints
from vdm.train.trainer import train


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_ball_dataset(tmp_path_factory.mktemp("train") / "dataset")


def _config(dataset: Path, out: Path, **changes) -> TrainConfig:
    settings = dict(
        model="tiny",
        batch_size=2,
        learning_rate=2e-3,
        warmup_steps=10,
        validation=ValidationConfig(fraction=0.0),
        checkpoint_every=10_000,
        threads=1,
        augment=AugmentConfig.off(),
    )
    return TrainConfig(data=dataset, out=out, **(settings | changes))


@pytest.mark.slow
def test_tiny_model_overfits_two_samples(dataset, tmp_path):
    summary = train(_config(dataset, tmp_path / "run", steps=150, cond_drop=0.0))
    assert summary.step == 150 and summary.checkpoint == tmp_path / "run" / "checkpoint-150"
    assert summary.loss_end < 0.2 * summary.loss_start, (summary.loss_start, summary.loss_end)
    assert np.mean(summary.last_losses) < 0.5 * np.mean(summary.first_losses)


def test_the_evaluation_loss_does_not_depend_on_how_it_is_chunked(dataset, tmp_path):
    from vdm.train.model import tiny_model
    from vdm.train.reference import ReferenceUNet
    from vdm.train.trainer import _eval_batch, evaluation_loss

    model = tiny_model(seed=1)
    net = ReferenceUNet(model.unet, model.train_scheduler().alphas_cumprod)
    entries = [{"patch_id": "00ba11-a0"}, {"patch_id": "01ba11-a0"}]
    batch = _eval_batch(_config(dataset, tmp_path), model, entries)
    losses = [evaluation_loss(net, model, batch, seed=3, chunk=chunk) for chunk in (1, 3, 8)]
    assert max(losses) - min(losses) < 1e-6 * max(losses), losses
    assert evaluation_loss(net, model, batch, seed=4, chunk=8) != losses[0]  # the noise is the seed's


def test_resumed_run_equals_an_uninterrupted_one(dataset, tmp_path):
    steps = 6
    augment = AugmentConfig()
    interrupted = train(_config(dataset, tmp_path / "a", steps=steps, stop_at=steps // 2, augment=augment))
    assert interrupted.step == steps // 2
    half = unet_state(interrupted.checkpoint)
    resumed = train(_config(dataset, tmp_path / "a", steps=steps, resume=True, augment=augment))
    assert resumed.start_step == steps // 2 and resumed.step == steps
    straight = train(_config(dataset, tmp_path / "b", steps=steps, augment=augment))
    a, b = unet_state(resumed.checkpoint), unet_state(straight.checkpoint)
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-6, msg=name)
    assert any(not torch.equal(half[name], a[name]) for name in a)  # the resumed half did train


def test_cli_trains_validates_and_generates(run_cli, dataset, tmp_path):
    run = tmp_path / "run"
    common = ["--model", "tiny", "--batch-size", "1", "--val-fraction", "0.5", "--threads", "1"]
    common += ["--val-steps", "2"]
    result = run_cli(
        "train", "--data", dataset, "--out", run, "--steps", "4", "--checkpoint-every", "2", *common
    )
    assert result.code == 0, result.err
    assert [step for step, _ in checkpoints(run)] == [2, 4]
    # progress as plain lines where stderr is not a terminal (a log file): the first step, the last
    assert re.search(r"^training: 1/4 steps \(loss \d\.\d{4}\), \d+ s elapsed, about", result.err, re.M)
    assert re.search(r"^training: 4/4 steps \(loss \d\.\d{4}\), \d+ s elapsed$", result.err, re.M)
    latest = run / "checkpoint-4"
    state_files = ("optimizer.bin", "scheduler.bin", "random_states_0.pkl", "trainer_state.json")
    for name in ("model_index.json", *state_files):
        assert (latest / name).is_file(), name
    assert not (latest / "model.safetensors").exists()  # weights live once, in unet/
    assert json.loads((latest / "trainer_state.json").read_text())["step"] == 4
    assert sorted(p.name for p in (run / "validation").iterdir()) == ["step-0000004.json", "step-0000004.png"]
    errors = json.loads((run / "validation" / "step-0000004.json").read_text())
    assert sorted(map(int, errors["per_view"])) == [0, 1, 3, 4, 5, 6]
    assert all(0.0 < value <= 180.0 for value in errors["per_view"].values())  # a random model errs
    (patch_errors,) = errors["per_patch"].values()  # one held-out patch, its views' errors
    assert patch_errors == errors["per_view"]
    assert list((run / "logs").rglob("events.out.tfevents.*"))

    out = tmp_path / "generated"
    image = GENVDM_DATA / "inputs" / "ear1.png"
    result = run_cli("generate", image, "--model", run, "--out", out, "--steps", "2", "--threads", "1")
    assert result.code == 0, result.err
    grid = np.asarray(Image.open(out / "grid.png"))
    assert grid.shape == (960, 640, 3)
    for k in (0, 1, 3, 4, 5, 6):
        normal = np.asarray(Image.open(out / f"normal_{k}.png"))
        mask = np.asarray(Image.open(out / f"mask_{k}.png"))
        assert normal.shape == (320, 320, 3) and mask.shape == (320, 320)
        assert set(np.unique(mask)) <= {0, 255}
        assert (normal[mask == 0] == 255).all()  # white background
    assert Image.open(out / "condition.png").size == (512, 512)

    # Resuming a finished run without more steps is a user error.
    again = run_cli("train", "--data", dataset, "--out", run, "--steps", "4", "--resume", *common)
    assert_one_sentence_error(again, "already at step 4")
    # A new run into a directory holding one would overwrite its checkpoints: refused.
    fresh = run_cli("train", "--data", dataset, "--out", run, "--steps", "8", *common)
    assert_one_sentence_error(fresh, "--resume")


def test_bad_datasets_fail_in_one_sentence(run_cli, dataset, tmp_path):
    args = ["--model", "tiny", "--steps", "2", "--val-fraction", "0", "--threads", "1"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_sentence_error(run_cli("train", "--data", empty, "--out", tmp_path / "r1", *args), "manifest")
    broken = tmp_path / "broken"
    write_ball_dataset(broken)
    first = json.loads((broken / "manifest.jsonl").read_text().splitlines()[0])["patch_id"]
    for k in (0, 1, 2):
        (broken / "views" / first / f"normal_{k}.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
        (broken / "views" / first / f"rgb_{k}.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    result = run_cli("train", "--data", broken, "--out", tmp_path / "r2", *args)
    assert_one_sentence_error(result, "corrupt")
    result = run_cli("train", "--data", dataset, "--out", tmp_path / "r3", "--resume", *args)
    assert_one_sentence_error(result, "no checkpoint")


def _frozen_to_fp16(directory: Path) -> Path:
    """A tiny base model whose frozen parts are stored in fp16, as the hub's are."""
    from vdm.train.loading import save_model
    from vdm.train.model import tiny_model

    model = tiny_model(seed=5)
    for module in (model.vae, model.vision_encoder, model.text_encoder):
        module.half()
    return save_model(model, directory)


def test_checkpoints_name_the_frozen_parts_and_the_finished_run_exports_them_as_they_were(dataset, tmp_path):
    from safetensors.torch import load_file

    from vdm.errors import VdmError
    from vdm.train.base_model import FROZEN, read_base
    from vdm.train.loading import load_model

    base = _frozen_to_fp16(tmp_path / "base16")
    run = tmp_path / "run"
    summary = train(_config(dataset, run, model=str(base), steps=3, checkpoint_every=2))
    for checkpoint in (run / "checkpoint-2", summary.checkpoint):
        assert not any((checkpoint / name).exists() for name in FROZEN), sorted(os.listdir(checkpoint))
        record = read_base(checkpoint)
        assert record.source == str(base) and record.files
    exported = run / "model"
    for name in read_base(summary.checkpoint).files:
        assert (exported / name).read_bytes() == (base / name).read_bytes(), name
    weights = load_file(exported / "vae" / "diffusion_pytorch_model.safetensors")
    assert {t.dtype for t in weights.values()} == {torch.float16}
    trained = unet_state(summary.checkpoint)
    complete = load_model(exported)
    lean = load_model(run, frozen_dtype=torch.float16)
    assert lean.vae.dtype == torch.float16 and lean.unet.dtype == torch.float32
    for name, tensor in trained.items():
        assert torch.equal(complete.unet.state_dict()[name], tensor), name
        assert torch.equal(lean.unet.state_dict()[name], tensor), name
    # A base that changed after training is refused in one sentence, not silently used.
    config = base / "vae" / "config.json"
    config.write_text(config.read_text().replace("{", '{"edited": 1,', 1))
    with pytest.raises(VdmError, match="changed since"):
        load_model(run)


def _launch(*args) -> subprocess.CompletedProcess:
    """`accelerate launch` of vdm train with two CPU processes (gloo), gradient checkpointing on."""
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
    command += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "vdm"]
    command += ["train", "--model", "tiny", "--batch-size", "1", "--threads", "1", "--lr", "1e-3"]
    command += ["--warmup", "1", "--val-fraction", "0", "--gradient-checkpointing", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
@pytest.mark.xdist_group("processes")
def test_two_processes_with_gradient_checkpointing_train_and_resume_exactly(dataset, tmp_path):
    steps = ["--steps", "4", "--checkpoint-every", "2"]
    first = _launch("--data", dataset, "--out", tmp_path / "a", *steps, "--stop-at", "2")
    assert first.returncode == 0, first.stderr[-3000:]
    checkpoint = tmp_path / "a" / "checkpoint-2"
    assert sorted(p.name for p in checkpoint.glob("random_states_*.pkl")) == [
        "random_states_0.pkl",
        "random_states_1.pkl",
    ]  # two processes really trained together
    resumed = _launch("--data", dataset, "--out", tmp_path / "a", *steps, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    straight = _launch("--data", dataset, "--out", tmp_path / "b", *steps)
    assert straight.returncode == 0, straight.stderr[-3000:]
    a, b = unet_state(tmp_path / "a" / "checkpoint-4"), unet_state(tmp_path / "b" / "checkpoint-4")
    half = unet_state(checkpoint)
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-6, msg=name)
    assert any(not torch.equal(half[name], a[name]) for name in a)


def test_the_genvdm_recipe_trains_from_the_cli(run_cli, dataset, tmp_path):
    run = tmp_path / "run"
    args = ["--model", "tiny", "--steps", "2", "--threads", "1", "--val-fraction", "0", "--recipe", "genvdm"]
    result = run_cli("train", "--data", dataset, "--out", run, *args)
    assert result.code == 0, result.err
    state = json.loads((run / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["config"]["batch_size"] == 6 and state["config"]["augment_condition_views"] == "(0, 1, 2)"
    bad = run_cli("train", "--data", dataset, "--out", tmp_path / "r2", "--model", "tiny", "--recipe", "x")
    assert_one_sentence_error(bad, "recipe")


@pytest.mark.slow
def test_lora_trains_the_tiny_model_saves_a_lean_adapter_and_exports_a_fused_model(dataset, tmp_path):
    from vdm.train.base_model import read_base
    from vdm.train.generate import generate
    from vdm.train.loading import load_model
    from vdm.train.lora import LORA_DIR, has_lora
    from vdm.train.reference import ReferenceUNet

    run = tmp_path / "run"
    summary = train(_config(dataset, run, steps=250, cond_drop=0.0, lora_rank=16, learning_rate=1e-2))
    assert summary.loss_end < 0.2 * summary.loss_start, (summary.loss_start, summary.loss_end)
    checkpoint = summary.checkpoint
    assert (checkpoint / LORA_DIR).is_dir() and not (checkpoint / "unet").exists()
    base = run / "base"
    assert "unet/diffusion_pytorch_model.safetensors" in read_base(checkpoint).files  # the UNet is named
    adapter = sum(t.numel() for t in unet_state(checkpoint).values())
    unet_bytes = (base / "unet" / "diffusion_pytorch_model.safetensors").stat().st_size
    assert 0 < adapter * 4 < 0.5 * unet_bytes, (adapter, unet_bytes)

    # The checkpoint loads with the adapter on its base UNet; the export is a plain, fused UNet that
    # predicts the same v.
    lean, complete = load_model(run), load_model(run / "model")
    assert has_lora(lean.unet) and not has_lora(complete.unet)
    assert not any(".lora_" in name for name in complete.unet.state_dict())
    plain = load_model(base)
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(1, 4, 12, 8, generator=g)
    cond = torch.randn(1, 4, 8, 8, generator=g)
    noise = torch.randn(1, 4, 8, 8, generator=g)
    t = torch.tensor([500])
    states = plain.prompt_states()
    with torch.no_grad():
        v_lean, v_complete, v_plain = (
            ReferenceUNet(m.unet, m.train_scheduler().alphas_cumprod)(latents, t, states, cond, noise)
            for m in (lean, complete, plain)
        )
    torch.testing.assert_close(v_complete, v_lean, rtol=1e-4, atol=1e-4)
    assert (v_lean - v_plain).abs().max() > 1e-2  # the adapter changed the model
    written = generate(GENVDM_DATA / "inputs" / "ear1.png", run, tmp_path / "gen", GenerateConfig(steps=2))
    assert np.asarray(Image.open(tmp_path / "gen" / "grid.png")).shape == (960, 640, 3) and written


def test_a_lora_run_resumes_exactly_and_only_with_its_rank(run_cli, dataset, tmp_path):
    args = ["--model", "tiny", "--batch-size", "1", "--threads", "1", "--val-fraction", "0", "--lr", "1e-2"]
    full = [*args, "--steps", "4", "--checkpoint-every", "2"]
    args = [*full, "--lora-rank", "4"]
    assert run_cli("train", "--data", dataset, "--out", tmp_path / "a", *args, "--stop-at", "2").code == 0
    refused = run_cli("train", "--data", dataset, "--out", tmp_path / "a", *full, "--resume")
    assert_one_sentence_error(refused, "--lora-rank 4")
    assert run_cli("train", "--data", dataset, "--out", tmp_path / "a", *args, "--resume").code == 0
    assert run_cli("train", "--data", dataset, "--out", tmp_path / "b", *args).code == 0
    a, b = unet_state(tmp_path / "a" / "checkpoint-4"), unet_state(tmp_path / "b" / "checkpoint-4")
    half = unet_state(tmp_path / "a" / "checkpoint-2")
    assert a.keys() == b.keys() and all(".lora_" in name for name in a)
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-6, msg=name)
    assert any(not torch.equal(half[name], a[name]) for name in a)
