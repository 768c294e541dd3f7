"""`vdm mine` on real records of builtin:creature with the real stitching: the dataset layout, a
SIGKILL mid-run then resume, and the same bytes from local processes, one worker, and Ray."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_one_sentence_error, start_vdm
from render_records import creature_records

from vdm.bake.config import BakeConfig
from vdm.bake.metrics import brush_scores
from vdm.dataset import load_training_pair, read_jsonl, read_manifest, view_path
from vdm.executors import ProcessExecutor, RayExecutor
from vdm.images import read_image
from vdm.mine.config import MineConfig
from vdm.mine.driver import SHEET_NAME, mine
from vdm.mine.writer import JOURNAL_DIR
from vdm.patch import read_patch
from vdm.records import load_record
from vdm.stitching.config import Augmentations, StitchConfig
from vdm.vdm_file import read_vdm

pytestmark = pytest.mark.xdist_group("processes")  # it starts worker processes of its own

# Small and quick, every stage real: 2 augmentations, 96-pixel views, Poisson depth 6, 256-pixel VDMs.
CONFIG = MineConfig(
    augment=Augmentations(count=2), size=96, stitch=StitchConfig(depth=6), bake=BakeConfig(resolution=256)
)
CLI_OPTIONS = ["--augmentations", "2", "--size", "96", "--poisson-depth", "6", "--resolution", "256"]


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root (hidden ones included), by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("records")
    creature_records(directory)
    (directory / "broken.json").write_text("{ not json")
    return directory


@pytest.fixture(scope="module")
def clean(records, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "dataset"
    summary = mine([records], out, CONFIG, ProcessExecutor(2))
    assert summary.mined == 4 and summary.accepted == len(read_manifest(out))
    return out


def test_dataset_layout(clean, records):
    manifest = read_manifest(clean)
    rejected = [json.loads(line) for line in (clean / "rejected.jsonl").read_text().splitlines()]
    assert len(manifest) >= 2, "the eye and the crown stitch"
    assert {r["stage"] for r in rejected} >= {"record"}  # broken.json
    for r in rejected:
        assert set(r) == {"id", "selection_id", "stage", "reason"}
        assert r["reason"].endswith(".") and "\n" not in r["reason"]
    ids = [e["patch_id"] for e in manifest]
    assert len(ids) == len(set(ids))
    for entry in manifest:
        sid, index = entry["selection_id"], entry["augmentation"]["index"]
        assert entry["patch_id"] == f"{sid}-a{index}"
        assert {"rotation_deg", "scale", "offset"} <= set(entry["augmentation"])
        assert entry["quality"]["gates"] and entry["version"] and entry["created"]
        patch_file = clean / entry["files"]["patch"]
        assert hashlib.sha256(patch_file.read_bytes()).hexdigest() == entry["files"]["patch_sha256"]
        patch = read_patch(patch_file)
        assert np.abs(patch.vertices[:, :2]).max() <= 1.0 + 1e-6
        record = load_record(clean / "selections" / f"{sid}.json")
        assert record.id == sid and record.face_ids
        for k in range(7):
            for kind in ("rgb", "normal", "mask"):
                assert read_image(view_path(clean, entry["patch_id"], kind, k)).shape[:2] == (96, 96)
        # Its ground-truth VDM: decodes to the patch, within the section-6b gates.
        brush = entry["quality"]["brush"]
        assert brush["chamfer"] < 0.003 and brush["slide"] < 0.005
        displacement = read_vdm(clean / entry["files"]["vdm"])
        assert displacement.shape == (256, 256, 3)
        again = brush_scores(displacement, patch, crossings=-1)  # from the files, in float32
        assert again.chamfer == pytest.approx(brush["chamfer"], rel=0.05)
        pair = load_training_pair(clean, entry)  # the trainer's view of it
        assert pair.condition.shape == (96, 96, 3) and pair.normal_grid.shape == (960, 640, 3)
    assert read_image(clean / SHEET_NAME).shape[0] > 100
    assert not [p for p in tree(clean) if ".partial-" in p or JOURNAL_DIR in p]
    # A second run has nothing left to do and changes nothing.
    before = tree(clean)
    summary = mine([records], clean, CONFIG, ProcessExecutor(2))
    assert summary.mined == 0 and summary.already_done == 4
    assert tree(clean) == before


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.slow
def test_sigkill_then_rerun_gives_the_clean_dataset(clean, records, tmp_path, run_cli):
    out = tmp_path / "dataset"
    run = start_vdm("mine", records, "--out", out, *CLI_OPTIONS, "--workers", "1", stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _lines(out / "manifest.jsonl") + _lines(out / "rejected.jsonl") < 2 and run.poll() is None:
        assert time.monotonic() < deadline, "the first record never committed"
        time.sleep(0.05)
    # A second miner on the same dataset is refused while the first one runs, and touches nothing.
    second = run_cli("mine", records, "--out", out, *CLI_OPTIONS)
    assert_one_sentence_error(second, f"being mined by process {run.pid}")
    os.killpg(run.pid, signal.SIGKILL)  # the driver and its workers, mid-run
    run.wait()
    assert run.returncode == -signal.SIGKILL, run.stderr.read().decode()[-2000:]
    assert _lines(out / "manifest.jsonl") < _lines(clean / "manifest.jsonl"), "killed too late to test resume"
    # What a kill at a worse moment leaves: a half-written file, and the journal of a record whose
    # lines were appended just before the kill.
    (out / "views" / "x").mkdir(parents=True, exist_ok=True)
    (out / "views" / "x" / ".rgb_0.partial-999.png").write_bytes(b"\x89PNG half")
    journal = {
        kind: [json.loads(line) for line in (out / f"{kind}.jsonl").read_text().splitlines()][:1]
        for kind in ("manifest", "rejected")
    }
    sid = (journal["manifest"] or journal["rejected"])[0]["selection_id"]
    (out / JOURNAL_DIR).mkdir(exist_ok=True)
    (out / JOURNAL_DIR / f"{sid}.json").write_text(json.dumps(journal))

    rerun = start_vdm("mine", records, "--out", out, *CLI_OPTIONS, "--workers", "2")
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err.decode()[-3000:]
    (out / "views" / "x").rmdir()  # the empty folder the planted partial was in
    assert (out / "manifest.jsonl").read_bytes() == (clean / "manifest.jsonl").read_bytes()
    assert tree(out) == tree(clean)


@pytest.mark.slow
def test_ray_gives_the_same_bytes_as_the_process_pool(clean, records, tmp_path):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    try:
        mine([records], tmp_path / "dataset", CONFIG, RayExecutor())
    finally:
        ray.shutdown()
    assert tree(tmp_path / "dataset") == tree(clean)


def test_mine_refuses_bad_input_in_one_sentence(run_cli, tmp_path, records):
    out = tmp_path / "d"
    assert_one_sentence_error(run_cli("mine", tmp_path / "none.json", "--out", out), "does not exist")
    assert_one_sentence_error(run_cli("mine", tmp_path, "--out", out), "no selection records")
    assert_one_sentence_error(
        run_cli("mine", records, "--out", out, "--executor", "slurm"), "Unknown executor"
    )
    assert_one_sentence_error(run_cli("mine", records, "--out", out, "--address", "auto"), "--executor ray")
    (tmp_path / "file").write_text("x")
    assert_one_sentence_error(run_cli("mine", records, "--out", tmp_path / "file"), "is a file, not a folder")


def test_retry_rejected_mines_the_rejected_selections_again(clean, records, run_cli, tmp_path):
    out = tmp_path / "dataset"
    shutil.copytree(clean, out)
    rejected = {e["selection_id"] for e in read_jsonl(out / "rejected.jsonl")}
    manifest = (out / "manifest.jsonl").read_bytes()
    args = ["mine", records, "--out", out, "--workers", "1", "--no-sheet", *CLI_OPTIONS]
    again = run_cli(*args)
    assert again.code == 0 and re.search(r"records mined now\s*│\s*0\b", again.err), again.err
    retried = run_cli(*args, "--retry-rejected")
    assert retried.code == 0
    assert re.search(rf"records mined now\s*│\s*{len(rejected)}\b", retried.err), retried.err
    # The retried selections are rejected again for the same reasons: one line each, no duplicates.
    lines = read_jsonl(out / "rejected.jsonl")
    assert sorted(e["id"] for e in lines) == sorted(e["id"] for e in read_jsonl(clean / "rejected.jsonl"))
    assert (out / "manifest.jsonl").read_bytes() == manifest


@pytest.mark.slow
def test_mine_imports_patch_files_and_dataset_stats_reports_the_make_up(tmp_path, run_cli):
    from render_shapes import octahedra

    from vdm.patch import Patch, write_patch
    from vdm.shapes import curled_horn_patch

    patches = tmp_path / "patches"
    horn = curled_horn_patch()
    first = write_patch(patches / "horn.ply", horn)
    again = shutil.copy(first, patches / "horn-again.ply")  # the same bytes: one patch, named as first met
    taller = horn.vertices * (1.0, 1.0, 1.0 + 1e-3)  # another file, the same part
    nudged = Patch(taller, horn.faces, horn.labels)
    write_patch(patches / "horn-nudged.ply", nudged)
    write_patch(patches / "two.ply", octahedra(np.array([[0.0, 0.0, 0.5], [0.5, 0.5, 0.5]]), 0.1))
    out = tmp_path / "dataset"
    options = ["--augmentations", "2", "--size", "64", "--resolution", "512", "--workers", "1"]
    result = run_cli("mine", patches, "--out", out, *options)
    assert result.code == 0, result.err
    manifest = read_manifest(out)
    assert [e["patch_id"].rsplit("-", 1)[1] for e in manifest] == ["a0", "a1", "a0", "a1"]
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert manifest[0]["source"] == {"kind": "patch", "ref": str(again), "sha256": digest}
    assert manifest[0]["selection_id"] == f"patch-{digest[:16]}"
    for entry in manifest:
        assert read_patch(out / entry["files"]["patch"]).vertices.shape[1] == 3
        assert read_vdm(out / entry["files"]["vdm"]).shape == (512, 512, 3)
        assert load_training_pair(out, entry).normal_grid.shape[2] == 3
        assert entry["quality"]["brush"]["slide"] < 0.005  # the same brush gates as a mined patch
    selection = json.loads((out / manifest[0]["files"]["selection"]).read_text())
    assert selection["kind"] == "patch" and selection["source"]["sha256"] == digest
    (rejected,) = read_jsonl(out / "rejected.jsonl")
    assert rejected["stage"] == "patch" and "two.ply is not a patch" in rejected["reason"]
    before = tree(out)
    resumed = run_cli("mine", patches, "--out", out, *options)
    assert resumed.code == 0 and tree(out) == before  # resumed: nothing to do, nothing changed

    stats = run_cli("dataset", "stats", out, "--json", tmp_path / "stats.json")
    assert stats.code == 0, stats.err
    figures = json.loads((tmp_path / "stats.json").read_text())
    assert figures["patches"] == 4 and figures["selections"] == 2 and figures["by_kind"] == {"patch": 4}
    assert sum(figures["heights"].values()) == 4 and sum(figures["undercut_shares"].values()) == 4
    cause = "FILE is not a patch (conventions section N): The patch has N components."  # grouped by cause
    assert figures["rejected"] == [{"stage": "patch", "reason": cause, "count": 1}]
    pairs = {(d["a"], d["b"]) for d in figures["near_duplicates"]}
    assert (manifest[0]["patch_id"], manifest[2]["patch_id"]) in pairs  # the nudged horn is the same part
    assert all(a.rsplit("-", 1)[0] != b.rsplit("-", 1)[0] for a, b in pairs)  # siblings are not compared
    assert len(figures["sheets"]) == 2 and all(Path(p).is_file() for p in figures["sheets"])
    assert_one_sentence_error(run_cli("dataset", "stats", patches), "is not a dataset")
