"""`vdm synth` makes procedural patches that pass every gate, vary, hold undercuts and repeat byte
for byte; a dataset mixing synthetic, mined and imported patches trains the tiny model, and
`vdm dataset stats` reports its make-up."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from vdm.dataset import read_manifest
from vdm.mine.synth import GENERATORS, draw_spec, synth_patch
from vdm.patch import read_patch
from vdm.patch_checks import patch_problem
from vdm.surface_metrics import chamfer, sample_surface

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]  # minutes; it starts workers of its own

OPTIONS = ["--augmentations", "1", "--size", "64", "--workers", "2", "--no-sheet"]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_procedural_parts_are_patches_that_vary_and_hold_undercuts():
    from vdm.bake.metrics import undercut_points

    specs = [draw_spec(0, i) for i in range(60)]
    assert {s.generator for s in specs} == set(GENERATORS)  # every generator is drawn
    patches = [synth_patch(s) for s in specs]
    assert all(patch_problem(p) is None for p in patches)
    shares = [undercut_points(p, sample_surface(p, 3000, 0).points).mean() for p in patches]
    assert np.mean(np.array(shares) >= 0.05) > 1 / 3
    points = [sample_surface(p, 1500, 1).points for p in patches[:16]]
    distances = [chamfer(points[i], points[j]) for i in range(16) for j in range(i + 1, 16)]
    assert np.median(distances) > 0.05, np.median(distances)
    assert draw_spec(0, 3) == draw_spec(0, 3) and draw_spec(0, 3) != draw_spec(1, 3)


def test_synth_makes_count_gated_patches_the_same_bytes_every_time(run_cli, tmp_path):
    # 256-pixel VDMs: the bake refuses one of seed 0's first three parts, so a fourth is drawn
    args = ["--count", "3", "--seed", "0", "--resolution", "256", *OPTIONS]
    for out in ("a", "b"):
        result = run_cli("synth", *args, "--out", tmp_path / out)
        assert result.code == 0, result.err
    assert "vdm synth" in result.err and "parts given" in result.err  # its own summary, not mine's
    # progress lines into a file or a pipe (no terminal here), then the refused part drawn anew
    assert re.search(r"^synth: 1/3 parts \(accepted \d+, rejected \d+\), \d+ s elapsed", result.err, re.M)
    assert re.search(r"^synth: new draws for the refused: 1/1 parts", result.err, re.M), result.err
    manifest = read_manifest(tmp_path / "a")
    refused = [json.loads(line) for line in (tmp_path / "a" / "rejected.jsonl").read_text().splitlines()]
    assert len(manifest) == 3 and len(refused) == 1  # --count 3 gives 3
    for entry in manifest:
        assert entry["source"]["kind"] == "synthetic" and entry["generator"]["generator"] in GENERATORS
        assert entry["quality"]["brush"]["slide"] < 0.005  # every bake gate passed
        assert patch_problem(read_patch(tmp_path / "a" / entry["files"]["patch"])) is None
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_stats_count_rejections_by_stage_and_cause(tmp_path):
    from vdm.mine.stats import dataset_stats

    root = tmp_path / "data"
    root.mkdir()
    (root / "manifest.jsonl").write_text("")
    reasons = [
        ("bake", "The part needs a VDM of at least 459 pixels (it is 256); --resolution 512 would do."),
        ("bake", "The part needs a VDM of at least 330 pixels (it is 256); --resolution 512 would do."),
        ("stitch", "/data/creature-horn-3.json is not a disk (2 boundary loops)."),
    ]
    lines = [{"id": f"r{i}", "stage": stage, "reason": reason} for i, (stage, reason) in enumerate(reasons)]
    (root / "rejected.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    rejected = dataset_stats(root, sheets=False).rejected
    assert rejected == {
        ("bake", "The part needs a VDM of at least N pixels (it is N); --resolution N would do."): 2,
        ("stitch", "FILE is not a disk (N boundary loops)."): 1,
    }


def test_a_mixed_dataset_trains_the_tiny_model_and_stats_tell_its_make_up(run_cli, tmp_path):
    from vdm.patch import write_patch
    from vdm.shapes import curled_horn_patch
    from vdm.train.config import AugmentConfig, TrainConfig, ValidationConfig
    from vdm.train.trainer import train

    data = tmp_path / "data"
    record = REPO / "vdm" / "data" / "selections" / "cow-horn.json"
    horn = write_patch(tmp_path / "imported" / "horn.ply", curled_horn_patch())
    assert run_cli("mine", record, horn, "--out", data, *OPTIONS).code == 0
    assert run_cli("synth", "--count", "3", "--out", data, *OPTIONS).code == 0
    assert run_cli("dataset", "stats", data, "--json", tmp_path / "stats.json", "--no-sheets").code == 0
    figures = json.loads((tmp_path / "stats.json").read_text())
    assert figures["by_kind"] == {"builtin": 1, "patch": 1, "synthetic": 3}, figures["by_kind"]
    config = TrainConfig(
        data=data,
        out=tmp_path / "run",
        model="tiny",
        steps=40,
        batch_size=2,
        learning_rate=2e-3,
        warmup_steps=5,
        validation=ValidationConfig(fraction=0.0),
        checkpoint_every=10_000,
        threads=1,
        augment=AugmentConfig.off(),
        cond_drop=0.0,
    )
    summary = train(config)
    assert summary.step == 40 and summary.loss_end < 0.7 * summary.loss_start, summary
