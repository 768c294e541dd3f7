"""docs/failure-modes.md, tried for real: outputs that cannot be written (an immutable folder, a full
disk, --out under a regular file), Ctrl-C, and the small things a user meets first."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import BEFORE_THE_WORK_S, assert_one_sentence_error, builtin_mesh, start_vdm
from PIL import Image
from render_shapes import ball_patch
from train_data import write_ball_dataset

from vdm.errors import VdmError
from vdm.images import compose_grid
from vdm.patch import write_patch
from vdm.records import SelectionRecord, load_record, shipped_record
from vdm.rig import GRID_VIEWS
from vdm.sources import load_source
from vdm.vdm_file import write_vdm

RECORD = shipped_record("creature-ear")


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 256 KiB (tmpfs): what a full disk looks like to a command."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """One valid input for every command: a patch, a VDM, normal views, a dataset, an image."""
    root = tmp_path_factory.mktemp("inputs")
    views = {}
    image = np.full((32, 32, 3), 255, np.uint8)
    image[8:24, 8:24] = (128, 128, 255)
    for k in GRID_VIEWS:
        views[k] = image
    Image.fromarray(compose_grid(views, tile=32)).save(root / "grid.png")
    picture = np.zeros((64, 64, 4), np.uint8)
    picture[16:48, 16:48] = (200, 120, 90, 255)
    Image.fromarray(picture).save(root / "part.png")
    return {
        "patch": write_patch(root / "ball.ply", ball_patch(n_around=64, n_ball=16, n_plane=4)),
        "vdm": write_vdm(root / "v.exr", np.zeros((512, 512, 3), np.float32)),
        "grid": root / "grid.png",
        "dataset": write_ball_dataset(root / "dataset"),
        "image": root / "part.png",
    }


def _commands(inputs: dict[str, Path], out: Path) -> dict[str, list]:
    return {
        "select": ["select", "builtin:creature", "--record", RECORD, "--out", out / "ids.json"],
        "stitch": ["stitch", RECORD, "--out", out / "patches"],
        "render": ["render", inputs["patch"], "--out", out / "views", "--size", "64"],
        "vdm2mesh": ["vdm2mesh", inputs["vdm"], "--out", out / "m.ply"],
        "mine": ["mine", RECORD, "--out", out / "dataset", "--workers", "1", "--size", "32"],
        "train": ["train", "--data", inputs["dataset"], "--out", out / "run", "--model", "tiny"],
        "generate": ["generate", inputs["image"], "--out", out / "gen", "--model", "tiny-run"],
        "reconstruct": ["reconstruct", inputs["grid"], "--out", out / "vdm"],
        "demo": ["demo", "--out", out / "demo"],
    }


COMMANDS = ["select", "stitch", "render", "vdm2mesh", "mine", "train", "generate", "reconstruct", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_in_an_immutable_folder_is_one_sentence_at_once(command, inputs, immutable, run_cli):
    start = time.perf_counter()
    result = run_cli(*_commands(inputs, immutable)[command])
    assert_one_sentence_error(result, f"Cannot write {immutable}", "not permitted")
    assert time.perf_counter() - start < BEFORE_THE_WORK_S, "refused before the work"


@pytest.mark.parametrize("command", ["render", "stitch", "mine", "reconstruct", "train"])
def test_an_output_under_a_regular_file_is_one_sentence(command, inputs, tmp_path, run_cli):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    result = run_cli(*_commands(inputs, blocker)[command])
    assert_one_sentence_error(result, "is a file, not a folder")


def test_a_full_disk_leaves_nothing_under_a_final_name(inputs, small_disk, run_cli):
    views = small_disk / "views"
    result = run_cli("render", inputs["patch"], "--out", views, "--size", "512")
    assert_one_sentence_error(result, "no space left on device")
    assert [p.name for p in views.iterdir()] == []  # no view under its final name, no staging left
    result = run_cli("vdm2mesh", inputs["vdm"], "--out", small_disk / "m.ply")
    assert_one_sentence_error(result, f"Cannot write {small_disk / 'm.ply'}", "no space left on device")
    assert not list(small_disk.glob("*.ply")) and not list(small_disk.glob(".*"))


def test_the_exr_writer_on_a_full_disk_is_one_sentence(inputs, small_disk, run_cli):
    noise = np.random.default_rng(0).normal(size=(512, 512, 3)).astype(np.float32)  # 3 MB, incompressible
    with pytest.raises(VdmError) as refused:
        write_vdm(small_disk / "v.exr", noise)
    assert str(refused.value) == f"Cannot write {small_disk / 'v.exr'}: no space left on device."
    assert not list(small_disk.iterdir())  # nothing under the final name, no temporary file either
    result = run_cli("bake", inputs["patch"], "--out", small_disk / "brush")
    assert_one_sentence_error(result, f"Cannot write {small_disk / 'brush'}", "no space left on device")


def test_training_onto_a_full_disk_is_one_sentence_and_keeps_no_half_checkpoint(inputs, small_disk, run_cli):
    run = small_disk / "run"
    args = ["--model", "tiny", "--steps", "2", "--batch-size", "1", "--threads", "1", "--val-fraction", "0"]
    result = run_cli("train", "--data", inputs["dataset"], "--out", run, *args)
    errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert len(errors) == 1 and "Cannot write" in errors[0] and "no space left" in errors[0]
    assert not list(run.glob("checkpoint-*")) and not list(run.glob(".checkpoint-*"))
    assert not (run / "base").exists() and not (run / ".base.partial").exists()  # no half base either


@pytest.mark.xdist_group("processes")
def test_ctrl_c_ends_the_miner_with_one_line(tmp_path):
    records = tmp_path / "records"
    records.mkdir()
    for name in ("creature-ear", "creature-horn", "creature-snout", "cow-ear"):
        (records / f"{name}.json").write_bytes(shipped_record(name).read_bytes())
    run = start_vdm("mine", records, "--out", tmp_path / "d", "--workers", "2")
    deadline = time.monotonic() + 60
    while not (tmp_path / "d" / "settings.json").exists():  # the workers are busy from here on
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.05)
    time.sleep(2.0)
    os.killpg(run.pid, signal.SIGINT)  # what a terminal sends to the whole process group
    _, err = run.communicate(timeout=60)
    text = err.decode()
    assert run.returncode == 130, text[-2000:]
    assert "Traceback" not in text and [line for line in text.splitlines() if "error" in line] == [
        "error: interrupted."
    ]


def test_info_prints_the_whole_sha256(run_cli):
    mesh = builtin_mesh("builtin:creature")
    result = run_cli("info", "builtin:creature")
    assert result.code == 0 and mesh.source.sha256 in result.out


def test_an_unreachable_ray_address_is_refused_at_once(tmp_path, run_cli):
    start = time.perf_counter()
    result = run_cli("mine", RECORD, "--out", tmp_path / "d", "--executor", "ray", "--address", "127.0.0.1:9")
    assert_one_sentence_error(result, "Nothing answers at the Ray address '127.0.0.1:9'")
    assert time.perf_counter() - start < BEFORE_THE_WORK_S
    bad = run_cli("mine", RECORD, "--out", tmp_path / "d", "--executor", "ray", "--address", "nowhere")
    assert_one_sentence_error(bad, "is not 'auto', HOST:PORT")


def test_a_relative_source_path_is_the_record_folders(tmp_path, monkeypatch):
    (tmp_path / "meshes").mkdir()
    write_patch(tmp_path / "meshes" / "ball.ply", ball_patch(n_around=32, n_ball=8, n_plane=2))
    monkeypatch.chdir(tmp_path)
    mesh = load_source("meshes/ball.ply")  # as the curator typed it, from the working folder
    assert mesh.source.ref == "meshes/ball.ply"
    saved = SelectionRecord(mesh.source, load_record(RECORD).strokes).save(tmp_path / "records")
    assert '"ref": "../meshes/ball.ply"' in saved.read_text()
    monkeypatch.chdir(tmp_path / "meshes")  # elsewhere: the record still finds its mesh
    again = load_record(saved)
    assert again.source.ref == str(tmp_path / "meshes" / "ball.ply")
    assert load_source(again.source).source.sha256 == mesh.source.sha256
