"""Patch PLY files (section 3) and the image encodings (section 5) round-trip exactly."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from conftest import assert_one_sentence_error

from vdm.errors import VdmError
from vdm.images import compose_grid, decode_normals, encode_normals, split_grid
from vdm.patch import PART, PLANE, Patch, patch_ply_bytes, read_patch, write_patch


def _patch(colours: bool) -> Patch:
    grid = trimesh.creation.box()
    labels = (grid.vertices[:, 2] > 0).astype(np.uint8)
    rgb = np.tile([10, 200, 30], (len(grid.vertices), 1)) if colours else None
    return Patch(grid.vertices, grid.faces, labels, rgb)


@pytest.mark.parametrize("colours", [False, True])
def test_patch_ply_round_trip(tmp_path, colours):
    patch = _patch(colours)
    path = write_patch(tmp_path / "p.ply", patch)
    again = read_patch(path)
    np.testing.assert_array_equal(again.vertices, patch.vertices.astype(np.float32))
    np.testing.assert_array_equal(again.faces, patch.faces)
    np.testing.assert_array_equal(again.labels, patch.labels)
    assert set(np.unique(again.labels)) <= {PLANE, PART}
    assert (again.vertex_colors is None) == (not colours)
    assert patch_ply_bytes(again) == path.read_bytes(), "deterministic bytes"
    # Other tools read it as a normal PLY with the label property.
    loaded = trimesh.load(path, process=False)
    assert len(loaded.faces) == len(patch.faces)
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_patch_files(tmp_path):
    path = write_patch(tmp_path / "p.ply", _patch(False))
    data = path.read_bytes()
    (tmp_path / "t.ply").write_bytes(data[:-7])
    with pytest.raises(VdmError, match="truncated"):
        read_patch(tmp_path / "t.ply")
    trimesh.creation.box().export(tmp_path / "plain.ply")
    with pytest.raises(VdmError, match="label"):
        read_patch(tmp_path / "plain.ply")
    with pytest.raises(VdmError, match="does not exist"):
        read_patch(tmp_path / "none.ply")


def test_a_patch_file_over_the_face_limit_is_refused_in_one_sentence(tmp_path, run_cli):
    path = write_patch(tmp_path / "p.ply", _patch(False))  # a box: 12 faces
    assert len(read_patch(path, max_faces=12).faces) == 12
    with pytest.raises(VdmError, match="declares 12 faces, over the limit of 11"):
        read_patch(path, max_faces=11)
    refused = run_cli("bake", path, "--out", tmp_path / "brush", "--max-faces", "11")
    assert_one_sentence_error(refused, "over the limit of 11", "--max-faces")
    assert not (tmp_path / "brush").exists()


def test_normal_encoding_round_trip_and_background():
    rng = np.random.default_rng(0)
    n = rng.normal(size=(16, 16, 3))
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    mask = rng.random((16, 16)) > 0.3
    rgb = encode_normals(n, mask)
    assert (rgb[~mask] == 255).all()
    np.testing.assert_array_equal(rgb[mask], np.round((n[mask] + 1) / 2 * 255).astype(np.uint8))
    decoded, decoded_mask = decode_normals(rgb)
    np.testing.assert_array_equal(decoded_mask, mask)
    angle = np.degrees(np.arccos(np.clip((decoded[mask] * n[mask]).sum(-1), -1, 1)))
    assert angle.max() < 0.7, "8-bit quantisation error stays below a degree"


def test_grid_layout_is_row_major_views_0_1_3_4_5_6():
    views = {k: np.full((320, 320, 3), 10 * k, dtype=np.uint8) for k in range(7)}
    grid = compose_grid(views)
    assert grid.shape == (960, 640, 3)
    assert grid[0, 0, 0] == 0 and grid[0, 639, 0] == 10 and grid[320, 0, 0] == 30
    assert grid[639, 639, 0] == 40 and grid[640, 0, 0] == 50 and grid[959, 639, 0] == 60
    tiles = split_grid(grid)
    assert sorted(tiles) == [0, 1, 3, 4, 5, 6]
    for k, tile in tiles.items():
        assert tile.shape == (320, 320, 3) and (tile == 10 * k).all()
