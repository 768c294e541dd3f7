"""docs/failure-modes.md, round 3 (issue 30): checkpoints proven before a resume, datasets that
heal, every state file through one guarded reader, pictures bounded before they are decoded, paths
whose bytes are not UTF-8, proposal batches complete per mesh, and parts too tall for the views."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_sentence_error
from render_shapes import ball_patch
from train_data import unet_state, write_ball_dataset

from vdm.errors import VdmError
from vdm.patch import Patch, write_patch
from vdm.train.config import AugmentConfig, TrainConfig, ValidationConfig

MINE = ["--workers", "1", "--size", "32", "--augmentations", "1", "--resolution", "256", "--no-sheet"]
TRAIN = ["--model", "tiny", "--batch-size", "1", "--threads", "1", "--val-fraction", "0"]


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def not_utf8(folder: Path) -> Path:
    """A folder inside `folder` whose name holds the byte 0xff, as `ls` shows it: 'u sp\\xff'."""
    path = Path(os.fsdecode(os.fsencode(folder) + b"/u sp\xff"))
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def patch_file(tmp_path_factory) -> Path:
    return write_patch(tmp_path_factory.mktemp("patch") / "ball.ply", ball_patch(64, 16, 4))


@pytest.fixture(scope="module")
def mined(patch_file, tmp_path_factory) -> Path:
    """A dataset of one imported patch, mined small (32-pixel views, a 256-pixel VDM)."""
    from vdm.bake.config import BakeConfig
    from vdm.executors import ProcessExecutor
    from vdm.mine.config import MineConfig
    from vdm.mine.driver import mine
    from vdm.stitching.config import Augmentations

    out = tmp_path_factory.mktemp("mined") / "dataset"
    config = MineConfig(augment=Augmentations(count=1), size=32, bake=BakeConfig(resolution=256))
    mine([patch_file], out, config, ProcessExecutor(1), sheet=False)
    return out


@pytest.fixture(scope="module")
def balls(tmp_path_factory) -> Path:
    return write_ball_dataset(tmp_path_factory.mktemp("balls") / "dataset")


def _train_config(data: Path, out: Path, **changes) -> TrainConfig:
    settings = dict(
        model="tiny",
        batch_size=1,
        steps=2,
        checkpoint_every=1,
        validation=ValidationConfig(fraction=0.0),
        threads=1,
        augment=AugmentConfig.off(),
    )
    return TrainConfig(data=data, out=out, **(settings | changes))


@pytest.fixture(scope="module")
def run(balls, tmp_path_factory) -> Path:
    """A tiny training run with checkpoints at steps 1 and 2."""
    from vdm.train.trainer import train

    out = tmp_path_factory.mktemp("run") / "run"
    train(_train_config(balls, out))
    return out


# 1. Checkpoints proven before they are trusted.


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("unet/diffusion_pytorch_model.safetensors", "it lacks unet/diffusion_pytorch_model.safetensors"),
        ("unet", "it lacks unet/diffusion_pytorch_model.safetensors"),
        ("optimizer.bin", "it lacks optimizer.bin"),
        ("scheduler.bin", "it lacks scheduler.bin"),
        ("random_states_0.pkl", "it lacks random_states_0.pkl"),
        ("base_model.json", "it lacks base_model.json"),
        ("cut optimizer.bin", "its optimizer.bin is not a torch archive"),
        ("cut unet/diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors is cut short"),
        ("empty trainer_state.json", "its trainer_state.json is damaged: line 1 is not valid JSON"),
        ("lora", "it lacks unet_lora/pytorch_lora_weights.safetensors"),
    ],
)
def test_a_checkpoint_is_proven_file_by_file(run, tmp_path, damage, problem):
    from vdm.train.checkpoints import checkpoint_problem

    checkpoint = shutil.copytree(run / "checkpoint-2", tmp_path / "checkpoint-2")
    assert checkpoint_problem(checkpoint, 1) is None
    kind, _, name = damage.rpartition(" ")
    target = checkpoint / name
    if kind == "cut":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif kind == "empty":
        target.write_text("")
    elif name == "lora":  # a LoRA run's checkpoint holds an adapter, not the UNet
        state = json.loads((checkpoint / "trainer_state.json").read_text())
        state["config"]["lora_rank"] = 4
        (checkpoint / "trainer_state.json").write_text(json.dumps(state))
    elif target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    assert problem in checkpoint_problem(checkpoint, 1)
    assert "random_states_1.pkl" in checkpoint_problem(run / "checkpoint-2", 2)  # every process's RNG


def test_resume_passes_over_a_damaged_checkpoint_and_never_trains_on_the_base(run, balls, tmp_path, caplog):
    from vdm.train.trainer import train

    out = shutil.copytree(run, tmp_path / "run")
    shutil.rmtree(out / "checkpoint-2" / "unet")  # the trained weights are gone
    with caplog.at_level(logging.WARNING):
        summary = train(_train_config(balls, out, steps=3, resume=True))
    assert summary.start_step == 1 and summary.step == 3  # from checkpoint-1, not the base
    assert "passing over checkpoint-2 (it lacks unet/diffusion_pytorch_model.safetensors)" in caplog.text
    assert "resuming checkpoint-1" in caplog.text
    assert (out / "checkpoint-2" / "unet").is_dir()  # trained again on the way
    straight = shutil.copytree(run, tmp_path / "straight")
    train(_train_config(balls, straight, steps=3, resume=True))
    a, b = unet_state(out / "checkpoint-3"), unet_state(straight / "checkpoint-3")
    assert all(np.array_equal(a[name].numpy(), b[name].numpy()) for name in a)


def test_resume_refuses_when_no_checkpoint_is_intact(run, balls, tmp_path, run_cli):
    out = shutil.copytree(run, tmp_path / "run")
    shutil.rmtree(out / "checkpoint-2" / "unet")
    (out / "checkpoint-1" / "optimizer.bin").unlink()
    result = run_cli("train", "--data", balls, "--out", out, *TRAIN, "--steps", "3", "--resume")
    assert_one_sentence_error(
        result,
        f"No checkpoint in {out} can be resumed",
        "checkpoint-2 (it lacks unet/diffusion_pytorch_model.safetensors)",
        "checkpoint-1 (it lacks optimizer.bin)",
    )


# 2. Datasets that heal.


def test_a_rerun_of_mine_restores_missing_files_and_check_names_them(mined, patch_file, tmp_path, run_cli):
    out = shutil.copytree(mined, tmp_path / "dataset")
    before = tree(out)
    (entry,) = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    (out / entry["files"]["vdm"]).unlink()
    (out / entry["files"]["patch"]).unlink()
    (out / entry["files"]["views"] / "normal_3.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")

    check = run_cli("dataset", "check", out)
    assert_one_sentence_error(check, f"Dataset {out} has 1 problem(s)")
    assert check.out == f"{entry['patch_id']}: {entry['files']['patch']} is missing (and 2 more files)\n"
    stats = run_cli("dataset", "stats", out, "--no-sheets")
    assert stats.code == 0 and "1 patch has missing or damaged files" in " ".join(stats.err.split())

    rerun = run_cli("mine", patch_file, "--out", out, *MINE)
    assert rerun.code == 0, rerun.err
    assert "their records are mined again" in " ".join(rerun.err.split())
    assert tree(out) == before  # every file back, byte for byte; the manifest as it was
    again = run_cli("dataset", "check", out)
    assert again.code == 0 and "1 patches, every line and file in place" in again.out


def test_damaged_lines_are_reported_by_number_never_skipped(mined, tmp_path, run_cli):
    out = shutil.copytree(mined, tmp_path / "dataset")
    good = (out / "manifest.jsonl").read_bytes()
    (out / "manifest.jsonl").write_bytes(good + b'{"patch_id": "x", "sel\n' + good)  # a corrupt middle line
    (out / "rejected.jsonl").write_bytes(b'{"id": "a", "stage": "record", "reason": "r."}\n[1, 2]\n')
    check = run_cli("dataset", "check", out)
    assert_one_sentence_error(check, "has 2 problem(s)")
    assert check.out.splitlines() == [
        "manifest.jsonl line 2 is not valid JSON (Unterminated string starting at)",
        "rejected.jsonl line 2 is not what vdm writes: it holds a list, not an object",
    ]
    stats = run_cli("dataset", "stats", out)
    assert_one_sentence_error(
        stats, f"Manifest {out / 'manifest.jsonl'} is damaged: line 2 is not valid JSON"
    )


# 3. Every state file through one guarded reader.


def test_a_manifest_line_that_is_not_utf8_is_one_sentence_for_every_reader(
    mined, patch_file, tmp_path, run_cli
):
    out = shutil.copytree(mined, tmp_path / "dataset")
    (out / "manifest.jsonl").write_bytes((out / "manifest.jsonl").read_bytes() + b'{"note": "caf\xe9"}\n')
    expected = f"Manifest {out / 'manifest.jsonl'} is damaged: line 2 is not UTF-8 text"
    assert_one_sentence_error(run_cli("dataset", "stats", out), expected)
    assert_one_sentence_error(run_cli("mine", patch_file, "--out", out, *MINE), expected)
    assert_one_sentence_error(run_cli("train", "--data", out, "--out", tmp_path / "run", *TRAIN), expected)


def test_settings_of_the_wrong_shape_are_one_sentence(mined, patch_file, tmp_path, run_cli):
    out = shutil.copytree(mined, tmp_path / "dataset")
    (out / "settings.json").write_text("[]\n")
    result = run_cli("mine", patch_file, "--out", out, *MINE)
    assert_one_sentence_error(
        result,
        f"The dataset settings {out / 'settings.json'} is damaged: line 1: it holds a list, not an object",
    )


def test_an_emptied_trainer_state_is_one_sentence_on_resume(run, balls, tmp_path, run_cli):
    out = shutil.copytree(run, tmp_path / "run")
    shutil.rmtree(out / "checkpoint-1")
    (out / "checkpoint-2" / "trainer_state.json").write_text("")
    result = run_cli("train", "--data", balls, "--out", out, *TRAIN, "--steps", "3", "--resume")
    assert_one_sentence_error(result, "its trainer_state.json is damaged: line 1 is not valid JSON")


def test_a_damaged_review_journal_names_its_line(tmp_path):
    from vdm.lasso.review import JOURNAL, Review

    (tmp_path / "proposals").mkdir()
    journal = tmp_path / JOURNAL
    journal.parent.mkdir()
    for text, problem in [
        ('{"decided": null}', "line 1: its 'decided' is null, not an object"),
        ('{\n "decided": {\n  "p1": {"decision": "maybe"}}}', "line 3: the decision on p1 is not one of"),
        ("", "line 1 is not valid JSON"),
    ]:
        journal.write_text(text)
        with pytest.raises(VdmError) as refused:
            Review.open(tmp_path / "proposals", tmp_path)
        assert f"The review journal {journal} is damaged: {problem}" in str(refused.value)
    journal.write_bytes(b'{"decided": {}}\n\xff\n')
    with pytest.raises(VdmError, match="line 2 is not UTF-8 text"):
        Review.open(tmp_path / "proposals", tmp_path)


def test_a_damaged_proposal_index_names_its_line(tmp_path):
    from vdm.proposal_index import SCHEMA, index_path, read_proposals
    from vdm.sources import load_source

    source = load_source("builtin:creature").source
    index = index_path(tmp_path, source.sha256)
    index.parent.mkdir()
    index.write_text(json.dumps({"schema": SCHEMA, "proposals": [{"rank": 1}]}, indent=1))
    with pytest.raises(VdmError, match=r"is damaged: line 3: proposal 1 names no record file"):
        read_proposals(tmp_path, source)
    index.write_text('{"schema": "vdm.proposals/0", "proposals": []}')
    with pytest.raises(VdmError, match=r"line 1: its schema is 'vdm.proposals/0'"):
        read_proposals(tmp_path, source)


# 4. Pictures bounded before they are decoded.


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that declares a size and holds no pixels: only reading its header is safe."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    data = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)
    return path


def test_pictures_too_large_are_refused_from_their_header_without_a_library_warning(
    tmp_path, run_cli, recwarn
):
    huge = _png_header(tmp_path / "huge.png", 20000, 20000)
    large = _png_header(tmp_path / "large.png", 10000, 10000)
    grid = _png_header(tmp_path / "grid.png", 12000, 18000)
    limit = "vdm reads images of at most 67,108,864 pixels (8192 x 8192)"
    result = run_cli("generate", huge, "--out", tmp_path / "a", "--model", "tiny-run")
    assert_one_sentence_error(result, f"Image {huge} is more than 178,956,970 pixels", limit)
    result = run_cli("generate", large, "--out", tmp_path / "b", "--model", "tiny-run")
    assert_one_sentence_error(result, f"Image {large} is 10000 x 10000 pixels", limit)
    result = run_cli("reconstruct", grid, "--out", tmp_path / "c")
    assert_one_sentence_error(result, f"Image {grid} is more than 178,956,970 pixels", limit)
    assert not [w for w in recwarn if "DecompressionBomb" in w.category.__name__]


# 5. Paths as the OS gives them.


def test_mine_stats_and_vdm2mesh_in_a_folder_whose_name_is_not_utf8(patch_file, tmp_path, run_cli):
    folder = not_utf8(tmp_path)
    source = Path(shutil.copy(patch_file, folder / "ball.ply"))
    dataset = folder / "dataset"
    assert run_cli("mine", source, "--out", dataset, *MINE).code == 0
    assert run_cli("mine", source, "--out", dataset, *MINE).code == 0  # the rerun finds it done
    (entry,) = [json.loads(line) for line in (dataset / "manifest.jsonl").read_text().splitlines()]
    assert entry["source"]["ref"] == str(source)  # the path as the OS gave it, through JSON and back
    assert run_cli("dataset", "check", dataset).code == 0
    assert run_cli("dataset", "stats", dataset, "--no-sheets").code == 0
    assert run_cli("vdm2mesh", dataset / entry["files"]["vdm"], "--out", folder / "m.ply").code == 0
    missing = run_cli("render", folder / "none.ply", "--out", tmp_path / "views")
    assert_one_sentence_error(missing, f"{tmp_path}/u sp\\xff/none.ply does not exist")
    assert "\\udcff" not in missing.err


def test_bake_into_a_folder_whose_name_is_not_utf8(patch_file, tmp_path, run_cli):
    folder = not_utf8(tmp_path)
    result = run_cli("bake", shutil.copy(patch_file, folder / "ball.ply"), "--out", folder / "brush")
    assert result.code == 0, result.err
    assert {"vdm.exr", "mesh.ply", "preview.png"} <= {p.name for p in (folder / "brush").iterdir()}


def test_train_and_resume_in_folders_whose_names_are_not_utf8(balls, tmp_path, run_cli):
    folder = not_utf8(tmp_path)
    data = shutil.copytree(balls, folder / "dataset")
    result = run_cli("train", "--data", data, "--out", folder / "run", *TRAIN, "--steps", "1")
    assert result.code == 0, result.err
    again = run_cli("train", "--data", data, "--out", folder / "run", *TRAIN, "--steps", "1", "--resume")
    assert_one_sentence_error(again, f"The run in {tmp_path}/u sp\\xff/run is already at step 1")
    assert (folder / "run" / "model" / "unet").is_dir()


def test_the_exr_reader_and_writer_take_any_path(tmp_path):
    from vdm.vdm_file import read_vdm, write_vdm

    displacement = np.random.default_rng(0).normal(size=(16, 16, 3)).astype(np.float32)
    path = write_vdm(not_utf8(tmp_path) / "v.exr", displacement)
    assert np.array_equal(read_vdm(path)[1:-1, 1:-1], displacement[1:-1, 1:-1])


# 6. Proposal batches complete per mesh.


def test_a_rerun_finishes_a_mesh_whose_overview_is_missing(tmp_path):
    import trimesh

    from vdm.propose.batch import propose_sources
    from vdm.propose.config import ProposeConfig
    from vdm.source_config import SourceConfig

    knob = [trimesh.creation.icosphere(subdivisions=3), trimesh.creation.capsule(height=1.4, radius=0.2)]
    knob[1].apply_translation([0.0, 0.0, 1.2])
    mesh = tmp_path / "knob.ply"
    trimesh.util.concatenate(knob).export(mesh)
    out, config = tmp_path / "proposals", ProposeConfig(count=1, grid=48, stitch_check=False)
    propose_sources([str(mesh)], out, config, SourceConfig())
    (overview,) = (out / "proposals").glob("*.png")
    assert overview.name.startswith("knob-")  # named after the mesh, not only its hash
    overview.unlink()  # as a kill (or a full disk) between the index and the picture leaves it
    (line,), failed = propose_sources([str(mesh)], out, config, SourceConfig())
    assert not failed and "done before" not in line and overview.is_file()
    (line,), _ = propose_sources([str(mesh)], out, config, SourceConfig())
    assert "done before" in line


# 7. `vdm render` refuses a part too tall for its views.


def test_render_refuses_a_part_too_tall_for_the_views(patch_file, tmp_path, run_cli):
    from vdm.patch import read_patch

    ball = read_patch(patch_file)
    tall = write_patch(
        tmp_path / "tall.ply", Patch(ball.vertices * (1.0, 1.0, 1500.0 / 0.9), ball.faces, ball.labels)
    )
    result = run_cli("render", tall, "--out", tmp_path / "views", "--size", "64")
    assert_one_sentence_error(result, f"{tall} rises to z = 1500, above the z = 1.7 the rig's views hold")
    assert not (tmp_path / "views").exists()


def test_generating_from_a_run_passes_over_a_checkpoint_without_its_weights(tmp_path, caplog):
    """`vdm generate --model RUN` never samples with the base's UNet because the newest checkpoint
    lost its own: it takes the newest checkpoint that has them, saying so, or refuses."""
    from vdm.train.loading import model_directory, save_model
    from vdm.train.model import tiny_model

    run = tmp_path / "run"
    for step in (1, 2):
        save_model(tiny_model(seed=step), run / f"checkpoint-{step}")
    (run / "checkpoint-2" / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    assert model_directory(run) == run / "checkpoint-1"
    assert "checkpoint-2 has unet/diffusion_pytorch_model.safetensors that is missing" in caplog.text
    (run / "checkpoint-1" / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(VdmError, match=r"No checkpoint of .* holds its trained weights"):
        model_directory(run)
