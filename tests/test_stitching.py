"""stitch_selection and augment_patch on real geometry: ground truth, gates, determinism, refusals."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import builtin_mesh
from stitching_geometry import horn_asset, mushroom_asset, mushroom_error, two_balls_asset

from vdm.errors import Rejected
from vdm.patch import PART, PLANE, Patch, patch_ply_bytes, read_patch, write_patch
from vdm.stitching import StitchConfig, augment_patch, stitch_selection
from vdm.stitching.gates import measure_gates
from vdm.topology import boundary_loops

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mushroom():
    mesh, ids = mushroom_asset()
    return mesh, ids, stitch_selection(mesh, ids)


@pytest.fixture(scope="module")
def horn():
    mesh, ids = horn_asset()
    return mesh, ids, stitch_selection(mesh, ids)


def assert_valid_patch(patch: Patch) -> None:
    """The conventions' patch: one disk whose only border is the square's edge, exactly on z = 0."""
    loops = boundary_loops(patch.faces)
    assert len(loops) == 1
    border = patch.vertices[loops[0]]
    assert np.all(border[:, 2] == 0.0)
    assert np.all(np.abs(border[:, :2]).max(axis=1) == 1.0)
    assert patch.vertices[:, 2].min() >= -1.0
    assert set(np.unique(patch.labels)) == {PLANE, PART}


def test_mushroom_bent_onto_a_sphere_comes_back_within_one_percent(mushroom):
    """The ground truth: a soup of three overlapping shells, one with flipped faces, bent on R = 2."""
    _, _, result = mushroom
    report = result.report
    assert report["accepted"] and all(g["pass"] for g in report["gates"].values())
    assert report["extract"]["asset_faces_reoriented"] == 150  # the careless export's flipped faces
    assert report["extract"]["buried_samples"] > 0  # the stem inside the sphere and the cap
    assert report["flatten"]["host_unbent"]
    assert_valid_patch(result.patch)
    part = result.patch.vertices[result.patch.labels == PART]
    error = mushroom_error(part)
    assert error < 0.01, f"Chamfer {error:.4f} of the part's size"
    # The undercut survived: points under the cap, above the plane, outside the stem.
    top = part[:, 2].max()
    radius = np.linalg.norm(part[:, :2] - part[part[:, 2] > 0.8 * top][:, :2].mean(axis=0), axis=1)
    assert ((part[:, 2] > 0.3 * top) & (part[:, 2] < 0.6 * top) & (radius > 0.35 * top)).sum() > 50


def test_report_is_json_and_measures_every_gate(mushroom):
    import json

    _, _, result = mushroom
    gates = json.loads(json.dumps(result.report))["gates"]
    assert set(gates) == {
        "one_component", "edge_manifold", "oriented", "disk_topology", "border_on_square",
        "border_flatness", "normals_up", "self_intersections", "height_range", "part_height",
        "part_inside_square", "detail_kept",
    }  # fmt: skip
    assert gates["border_flatness"]["value"] == 0.0
    assert gates["self_intersections"]["value"] == 0
    assert 0.0 <= gates["detail_kept"]["value"] < 0.05


def test_gates_catch_broken_patches(horn):
    _, _, result = horn
    patch, limits = result.patch, StitchConfig().gates
    holed = Patch(patch.vertices, np.delete(patch.faces, len(patch.faces) // 3, axis=0), patch.labels)
    assert not measure_gates(holed, limits, 0.0)["disk_topology"]["pass"]
    flipped = patch.faces.copy()
    flipped[5] = flipped[5, ::-1]
    assert not measure_gates(Patch(patch.vertices, flipped, patch.labels), limits, 0.0)["oriented"]["pass"]
    lifted = patch.vertices.copy()
    lifted[boundary_loops(patch.faces)[0][3], 2] = 1e-4
    assert not measure_gates(Patch(lifted, patch.faces, patch.labels), limits, 0.0)["border_flatness"]["pass"]
    crossed = patch.vertices.copy()
    crossed[patch.labels == PART, :2] += 0.3  # the part slid across the plane, its walls through it
    crossed[patch.labels == PART, 2] -= 0.05
    assert (
        measure_gates(Patch(crossed, patch.faces, patch.labels), limits, 0.0)["self_intersections"]["value"]
        > 0
    )


def test_a_patch_failing_a_gate_is_rejected_not_returned():
    mesh, ids = horn_asset()
    strict = StitchConfig(gates=StitchConfig().gates.__class__(max_detail_change=-1.0))
    with pytest.raises(Rejected) as caught:
        stitch_selection(mesh, ids, strict)
    assert caught.value.stage == "gates" and "local shape" in caught.value.reason


def test_same_input_gives_the_same_bytes_in_this_and_a_fresh_process(horn):
    mesh, ids, result = horn
    digest = hashlib.sha256(patch_ply_bytes(result.patch)).hexdigest()
    assert hashlib.sha256(patch_ply_bytes(stitch_selection(mesh, ids).patch)).hexdigest() == digest
    script = (
        "import hashlib, sys; sys.path.insert(0, 'tests');"
        "from stitching_geometry import horn_asset; from stitching import stitch_selection;"
        "from vdm.patch import patch_ply_bytes; m, ids = horn_asset();"
        "print(hashlib.sha256(patch_ply_bytes(stitch_selection(m, ids).patch)).hexdigest())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    fresh = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.strip() == digest


def test_patch_file_round_trip(horn, tmp_path):
    _, _, result = horn
    path = write_patch(tmp_path / "p.ply", result.patch)
    back = read_patch(path)
    assert_valid_patch(back)
    assert np.array_equal(back.faces, result.patch.faces) and np.array_equal(back.labels, result.patch.labels)


def test_augmentations_are_seeded_valid_and_independent_of_the_count(horn):
    _, _, result = horn
    variants = augment_patch(result.patch, 3, seed=7)
    assert len(variants) == 3
    assert patch_ply_bytes(variants[0].patch) == patch_ply_bytes(result.patch)
    assert variants[0].augmentation == {"rotation_deg": 0.0, "scale": 1.0, "offset": [0.0, 0.0]}
    for variant in variants[1:]:
        assert_valid_patch(variant.patch)
        assert variant.report["accepted"] and variant.report["gates"]["detail_kept"]["value"] < 1e-6
        aug = variant.augmentation
        assert set(aug) == {"rotation_deg", "scale", "offset"} and 0.0 < aug["scale"] <= 1.0
        # The part is the stitched part moved by exactly that similarity transform.
        part_height = variant.patch.vertices[variant.patch.labels == PART, 2].max()
        assert part_height == pytest.approx(result.patch.vertices[:, 2].max() * aug["scale"], rel=1e-9)
    assert variants[1].augmentation != variants[2].augmentation
    again = augment_patch(result.patch, 2, seed=7)
    assert patch_ply_bytes(again[1].patch) == patch_ply_bytes(variants[1].patch)
    other = augment_patch(result.patch, 2, seed=8)
    assert other[1].augmentation != variants[1].augmentation


def test_open3d_backend_gives_a_valid_patch_too():
    mesh, ids = horn_asset()
    result = stitch_selection(mesh, ids, StitchConfig(backend="open3d"))
    assert_valid_patch(result.patch)
    assert result.report["config"]["backend"] == "open3d"


@pytest.mark.parametrize(
    ("case", "stage", "words"),
    [
        ("empty", "extract", "empty"),
        ("whole", "extract", "of the mesh's area"),
        ("scattered", "extract", "Keep largest (in the lasso) keeps that piece alone"),
        ("closed", "trim", "closed surface"),
    ],
)
def test_bad_selections_are_rejected_with_one_clear_reason(case, stage, words):
    if case == "closed":
        mesh, ids = two_balls_asset()
    else:
        mesh, ids = horn_asset()
        ids = {
            "empty": np.zeros(0, dtype=np.int64),
            "whole": np.arange(mesh.n_faces),
            "scattered": np.arange(0, mesh.n_faces, mesh.n_faces // 12),
        }[case]
    with pytest.raises(Rejected) as caught:
        stitch_selection(mesh, ids)
    assert caught.value.stage == stage
    reason = caught.value.reason
    assert words in reason and reason.endswith(".") and reason.count(". ") == 0


def test_a_few_scattered_faces_are_refused_as_too_small_not_as_buried():
    mesh = builtin_mesh("builtin:creature")
    with pytest.raises(Rejected, match=r"too small to stitch: its 12 faces give \d+ surface samples"):
        stitch_selection(mesh, np.arange(0, mesh.n_faces, mesh.n_faces // 12)[:12])
