"""Mesh files as the OS and their authors give them: identity over every byte a mesh is made from,
file names in any encoding, face limits read from the header, malformed headers."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh
from conftest import BEFORE_THE_WORK_S, assert_one_sentence_error

from vdm.errors import VdmError
from vdm.lasso.engine import replay
from vdm.patch import read_patch, write_patch
from vdm.records import Camera, SelectionRecord, Stroke
from vdm.shapes import mushroom_patch
from vdm.sources import load_source
from vdm.sources.file_facts import declared_faces

BOX_FACES = 12


def _gltf(directory: Path) -> Path:
    for name, data in trimesh.Scene(trimesh.creation.box()).export(file_type="gltf").items():
        (directory / name).write_bytes(data)
    return directory / "model.gltf"


def test_a_gltf_is_identified_by_its_external_buffers_too(tmp_path):
    path = _gltf(tmp_path)
    before = load_source(str(path))
    camera = Camera(eye=(0.0, 0.0, 5.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), width=64, height=64)
    stroke = Stroke(camera, ((0.0, 0.0), (64.0, 0.0), (64.0, 64.0), (0.0, 64.0)), xray=True)
    record = SelectionRecord(before.source, [stroke])
    # New geometry in the .bin only (the vertex positions, 8 x 3 float32): the .gltf is unchanged.
    positions = next(p for p in tmp_path.glob("*.bin") if p.stat().st_size == 8 * 3 * 4)
    positions.write_bytes((np.frombuffer(positions.read_bytes(), "<f4") * 8).astype("<f4").tobytes())
    after = load_source(str(path))
    assert np.ptp(after.vertices) > 4 * np.ptp(before.vertices)
    assert after.source.sha256 != before.source.sha256
    with pytest.raises(VdmError, match="the file changed"):
        replay(record, after)


def test_an_obj_is_identified_by_its_material_and_texture_too(tmp_path):
    box = trimesh.creation.box()
    (tmp_path / "box.obj").write_text(
        "mtllib box.mtl\n"
        + "".join(f"v {x} {y} {z}\n" for x, y, z in box.vertices)
        + "usemtl skin\n"
        + "".join(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in box.faces)
    )
    (tmp_path / "box.mtl").write_text("newmtl skin\nKd 1 1 1\nmap_Kd -s 1 1 1 skin.png\n")
    (tmp_path / "skin.png").write_bytes(b"first texture")
    first = load_source(str(tmp_path / "box.obj")).source.sha256
    (tmp_path / "skin.png").write_bytes(b"second texture")
    second = load_source(str(tmp_path / "box.obj")).source.sha256
    (tmp_path / "box.mtl").write_text("newmtl skin\nKd 1 0 0\nmap_Kd -s 1 1 1 skin.png\n")
    third = load_source(str(tmp_path / "box.obj")).source.sha256
    assert len({first, second, third}) == 3


@pytest.mark.parametrize("suffix", [".ply", ".obj", ".stl", ".off", ".glb"])
def test_file_names_that_are_not_utf8_load(tmp_path, suffix, run_cli):
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9" + suffix.encode()))
    trimesh.creation.box().export(path)
    assert load_source(str(path)).n_faces == BOX_FACES
    result = run_cli("info", path)
    assert result.code == 0 and "12" in result.out, result.err


def _huge_ply_header(path: Path, faces: int) -> Path:
    header = (
        "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
        f"property float z\nelement face {faces}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    path.write_bytes(header.encode() + bytes(36))  # the body is not there: it must never be read
    return path


def test_face_limits_come_from_the_header_before_parsing(tmp_path, run_cli):
    ply = _huge_ply_header(tmp_path / "huge.ply", 5_770_000)
    start = time.perf_counter()
    result = run_cli("info", ply, "--max-faces", "1000000")
    assert_one_sentence_error(result, "declares 5,770,000 faces", "--max-faces")
    assert time.perf_counter() - start < BEFORE_THE_WORK_S  # the body (5.77 M faces) is never read
    stl = tmp_path / "many.stl"
    stl.write_bytes(bytes(80) + struct.pack("<I", 3) + bytes(50 * 3))
    (tmp_path / "many.off").write_text("OFF\n# a comment\n4 2000000 0\n")
    trimesh.creation.box().export(tmp_path / "box.glb")
    assert [declared_faces(p) for p in (ply, stl, tmp_path / "many.off", tmp_path / "box.glb")] == [
        5_770_000,
        3,
        2_000_000,
        BOX_FACES,
    ]
    assert_one_sentence_error(run_cli("info", tmp_path / "box.glb", "--max-faces", "11"), "declares 12")


def test_a_malformed_patch_header_is_one_sentence(tmp_path, run_cli):
    good = write_patch(tmp_path / "good.ply", mushroom_patch()).read_bytes()
    bad = tmp_path / "bad.ply"
    bad.write_bytes(good.replace(b"element vertex ", b"element vertex abc ", 1))
    with pytest.raises(VdmError, match="malformed PLY header"):
        read_patch(bad)
    assert_one_sentence_error(run_cli("render", bad, "--out", tmp_path / "views"), "malformed PLY header")
