"""Mesh sources: every kind loads as the conventions' loaded mesh, and bad input fails in one sentence."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import trimesh
from conftest import assert_one_sentence_error
from objaverse_cache import write_objaverse_cache

from vdm.errors import VdmError
from vdm.sources import Credit, SourceConfig, builtin_names, load_source, parse_source, source_credits
from vdm.sources.builtin import PYMESHLAB_SAMPLES, pymeshlab_sample_dir
from vdm.sources.file_facts import source_sha256


def _transform(translate, angle_deg=0.0, axis=(0, 0, 1), scale=1.0) -> np.ndarray:
    m = trimesh.transformations.rotation_matrix(np.radians(angle_deg), axis)
    m[:3, :3] *= scale
    m[:3, 3] = translate
    return m


@pytest.fixture
def multi_node_glb(tmp_path) -> tuple[Path, list[tuple[trimesh.Trimesh, np.ndarray]]]:
    """A GLB whose scene graph nests transforms: returns the path and (mesh, world transform) pairs."""
    box = trimesh.creation.box(extents=(1.0, 0.5, 0.25))
    ball = trimesh.creation.icosphere(subdivisions=1, radius=0.3)
    cone = trimesh.creation.cone(radius=0.2, height=0.6, sections=12)
    scene = trimesh.Scene()
    parent = _transform((1.0, 2.0, 3.0), 30.0, (0, 1, 0), 2.0)
    child = _transform((0.5, 0.0, -1.0), 90.0, (1, 0, 0))
    scene.add_geometry(box, node_name="body", geom_name="body", transform=parent)
    scene.add_geometry(ball, node_name="head", geom_name="head", parent_node_name="body", transform=child)
    scene.add_geometry(cone, node_name="horn", geom_name="horn", transform=_transform((-2.0, 0.0, 0.0)))
    path = tmp_path / "creature.glb"
    path.write_bytes(scene.export(file_type="glb"))
    return path, [(box, parent), (ball, parent @ child), (cone, _transform((-2.0, 0.0, 0.0)))]


def test_glb_scene_graph_is_flattened_with_transforms_in_file_order(multi_node_glb):
    path, parts = multi_node_glb
    mesh = load_source(str(path))
    assert mesh.source.kind == "file" and mesh.source.ref == str(path)
    assert mesh.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert mesh.n_faces == sum(len(m.faces) for m, _ in parts)
    # trimesh's own flattening order is the contract: same faces, same triangle positions.
    reference = trimesh.load_scene(str(path), process=False).to_mesh()
    np.testing.assert_array_equal(mesh.faces, reference.faces)
    np.testing.assert_allclose(mesh.vertices, reference.vertices, atol=1e-6)
    # And every part sits where its nested node transforms put it.
    for original, world in parts:
        expected = trimesh.transform_points(original.vertices, world)
        lo, hi = expected.min(axis=0), expected.max(axis=0)
        inside = np.all((mesh.vertices >= lo - 1e-5) & (mesh.vertices <= hi + 1e-5), axis=1)
        assert inside.sum() >= len(np.unique(np.round(expected, 5), axis=0)), "part not at its world position"


@pytest.mark.parametrize("suffix", [".obj", ".ply", ".off", ".stl", ".glb"])
def test_every_local_format_loads_the_same_triangles(tmp_path, suffix):
    original = trimesh.creation.annulus(r_min=0.3, r_max=1.0, height=0.4, sections=16)
    path = tmp_path / f"ring{suffix}"
    original.export(path)
    mesh = load_source(str(path))
    assert mesh.n_faces == len(original.faces)
    got = np.sort(np.round(mesh.vertices[mesh.faces].reshape(-1, 9), 5), axis=0)
    want = np.sort(np.round(original.vertices[original.faces].reshape(-1, 9), 5), axis=0)
    np.testing.assert_allclose(got, want, atol=1e-5)


EXPECTED_FACES = {"cow": 5804, "bunny": 56172, "bunny10k_textured": 9999, "airplane": 10796, "bone": 3022}


@pytest.mark.parametrize("name", sorted(PYMESHLAB_SAMPLES))
def test_builtin_pymeshlab_meshes_load_with_file_identity(name):
    mesh = load_source(f"builtin:{name}")
    path = pymeshlab_sample_dir() / PYMESHLAB_SAMPLES[name]
    assert mesh.source.kind == "builtin" and mesh.source.ref == name
    own = hashlib.sha256(path.read_bytes()).hexdigest()
    if name == "bunny10k_textured":  # its .mtl and texture are part of what it is made from
        assert mesh.source.sha256 == source_sha256(path, path.read_bytes()) != own
    else:
        assert mesh.source.sha256 == own
    if name in EXPECTED_FACES:
        assert mesh.n_faces == EXPECTED_FACES[name]
    assert np.isfinite(mesh.vertices).all()


def test_textured_bunny_carries_its_texture_as_vertex_colours():
    mesh = load_source("builtin:bunny10k_textured")
    assert mesh.vertex_colors is not None and mesh.vertex_colors.shape == (len(mesh.vertices), 4)
    assert len(np.unique(mesh.vertex_colors[:, :3], axis=0)) >= 20, "texture colours, not one flat colour"


def test_procedural_creature_is_a_deterministic_polygon_soup():
    first, second = load_source("builtin:creature"), load_source("builtin:creature")
    assert first.source.sha256 == second.source.sha256
    np.testing.assert_array_equal(first.vertices, second.vertices)
    tm = first.to_trimesh()
    components = tm.split(only_watertight=False)
    assert len(components) >= 10, "separate shells (head halves, ears, snout, eyes, horns)"
    unique = np.unique(first.vertices, axis=0)
    assert len(unique) < len(first.vertices), "duplicated vertices along the head seam"
    assert (tm.area_faces < 1e-12).sum() >= 3, "a few degenerate faces"
    # Shells intersect: some ear vertices lie inside the head ellipsoid (radii 1, 0.9, 0.95).
    head_q = (first.vertices / np.array([1.0, 0.9, 0.95])) ** 2
    inside_head = head_q.sum(axis=1) < 0.98
    ear_and_horn = np.abs(first.vertices[:, 0]) > 0.3
    assert (inside_head & ear_and_horn & (first.vertices[:, 1] > 0.3)).any()
    assert first.vertex_colors is not None and len(np.unique(first.vertex_colors, axis=0)) >= 4


def test_builtin_names_cover_the_pymeshlab_samples_and_creature():
    assert {"cow", "bunny", "bunny10k_textured", "airplane", "bone", "creature"} <= set(builtin_names())


def test_parse_source():
    assert parse_source("builtin:cow") == ("builtin", "cow")
    assert parse_source("objaverse:" + "a" * 32) == ("objaverse", "a" * 32)
    assert parse_source("meshes/x.glb") == ("file", "meshes/x.glb")
    with pytest.raises(VdmError, match="names no builtin object"):
        parse_source("builtin:")


# --- Objaverse, served from a prepared cache with the network cut off ---------------------------

UID = "0123456789abcdef0123456789abcdef"
MISSING_UID = "fedcba9876543210fedcba9876543210"
UNANNOTATED_UID = "00112233445566778899aabbccddeeff"  # its metadata shard is not in the cache
ANNOTATION = {  # the fields of an Objaverse annotation that a brush's credit reads, as Sketchfab gives them
    "uid": UID,
    "name": "Horned cow",
    "license": "by",
    "user": {"username": "jdoe", "displayName": "Jane Doe"},
    "viewerUrl": f"https://sketchfab.com/3d-models/{UID}",
}


@pytest.fixture
def objaverse_cache(tmp_path, multi_node_glb) -> Path:
    """A cache laid out the way objaverse 0.1.7 writes one: object paths, one GLB, LVIS."""
    return write_objaverse_cache(
        tmp_path / "objaverse-cache",
        [UID, MISSING_UID, UNANNOTATED_UID],
        annotations={UID: ANNOTATION},
        glbs={UID: multi_node_glb[0].read_bytes()},
        lvis={"horned_cow": [UID, MISSING_UID], "teapot": []},
        shards={UNANNOTATED_UID: "000-043"},
    )


@pytest.mark.usefixtures("no_network")
def test_objaverse_uid_loads_from_cache_without_network(objaverse_cache, multi_node_glb):
    mesh = load_source(f"objaverse:{UID}", SourceConfig(objaverse_cache=objaverse_cache))
    assert mesh.source.kind == "objaverse" and mesh.source.ref == UID
    assert mesh.source.sha256 == hashlib.sha256(multi_node_glb[0].read_bytes()).hexdigest()
    assert mesh.n_faces == load_source(str(multi_node_glb[0])).n_faces


@pytest.mark.usefixtures("no_network")
def test_objaverse_download_offline_fails_at_once_naming_the_cache(objaverse_cache, run_cli):
    result = run_cli("info", f"objaverse:{MISSING_UID}", "--objaverse-cache", objaverse_cache)
    assert_one_sentence_error(result, str(objaverse_cache), MISSING_UID, "network")
    assert not list(objaverse_cache.rglob("*.tmp")), "no partial download left behind"


@pytest.mark.usefixtures("no_network")
def test_an_objaverse_objects_licence_and_author_come_from_its_cached_annotations(objaverse_cache):
    from vdm.bake.asset import brush_asset

    config = SourceConfig(objaverse_cache=objaverse_cache)
    specs = [f"objaverse:{UID}", f"objaverse:{MISSING_UID}", "builtin:cow", "scan.ply"]
    credits = source_credits(specs, config)  # the object with no annotations, a built-in and a file: none
    credit = Credit("CC BY 4.0", "Jane Doe", "Horned cow", f"https://sketchfab.com/3d-models/{UID}")
    assert credits == {f"objaverse:{UID}": credit}
    asset = brush_asset("Horn", Path("horn.exr"), Path("icon.png"), f"objaverse:{UID}", "", 512, credit)
    assert (asset.license, asset.author) == ("CC BY 4.0", "Jane Doe")
    assert asset.description.endswith(f"From \u201cHorned cow\u201d by Jane Doe ({credit.url}), CC BY 4.0.")
    with pytest.raises(VdmError, match=r"not in the Objaverse cache .* network is unreachable"):
        source_credits([f"objaverse:{UNANNOTATED_UID}"], config)  # one sentence, at once, offline
    shard = objaverse_cache / "hf-objaverse-v1" / "metadata" / "000-042.json.gz"
    shard.write_bytes(shard.read_bytes()[:40])  # a download cut short
    with pytest.raises(VdmError, match=r"cannot be read .* delete that folder"):
        source_credits([f"objaverse:{UID}"], config)


@pytest.mark.usefixtures("no_network")
def test_objaverse_unknown_uid_and_malformed_uid(objaverse_cache):
    config = SourceConfig(objaverse_cache=objaverse_cache)
    with pytest.raises(VdmError, match="has no object with uid"):
        load_source("objaverse:" + "9" * 32, config)
    with pytest.raises(VdmError, match="is not an Objaverse uid"):
        load_source("objaverse:not-a-uid", config)


@pytest.mark.usefixtures("no_network")
def test_lvis_listing_from_cache(objaverse_cache, run_cli):
    result = run_cli("sources", "--lvis", "--objaverse-cache", objaverse_cache)
    assert result.code == 0 and "horned_cow\t2" in result.out
    result = run_cli("sources", "--lvis", "horned_cow", "--objaverse-cache", objaverse_cache)
    assert result.out.split() == [f"objaverse:{UID}", f"objaverse:{MISSING_UID}"]


@pytest.mark.usefixtures("no_network")
def test_real_urllib_without_network_is_fast():
    """The real objaverse code path reaches urllib and fails through our guard (no hang)."""
    with pytest.raises(OSError):
        urllib.request.urlopen("https://huggingface.co", timeout=1)


# --- Bad input: one sentence, non-zero exit ----------------------------------------------------


def _triangle_ply(face_line: str = "3 0 1 2", n_faces: int = 1) -> str:
    body = "0 0 0\n1 0 0\n0 1 0\n" + (face_line + "\n" if n_faces else "")
    return (
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
        f"element face {n_faces}\nproperty list uchar int vertex_indices\nend_header\n{body}"
    )


def _bad_inputs(tmp_path: Path, good_glb: bytes) -> dict[str, tuple[Path, str]]:
    files = {
        "missing": (tmp_path / "nothing-here.glb", "does not exist"),
        "truncated_glb": (tmp_path / "truncated.glb", "corrupt or truncated"),
        "corrupt_glb": (tmp_path / "corrupt.glb", "corrupt or truncated"),
        "empty_mesh": (tmp_path / "empty.ply", "no triangles"),
        "nan_vertices": (tmp_path / "nan.obj", "NaN"),
        "face_out_of_range": (tmp_path / "oor.ply", "outside 0..2"),
        "unsupported": (tmp_path / "mesh.fbx", "unsupported type"),
    }
    files["truncated_glb"][0].write_bytes(good_glb[: len(good_glb) // 2])
    files["corrupt_glb"][0].write_bytes(b"glTF" + bytes(range(256)) * 4)
    files["empty_mesh"][0].write_text(_triangle_ply(n_faces=0))
    files["nan_vertices"][0].write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    files["face_out_of_range"][0].write_text(_triangle_ply("3 0 1 7"))
    files["unsupported"][0].write_text("not a mesh")
    return files


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "truncated_glb",
        "corrupt_glb",
        "empty_mesh",
        "nan_vertices",
        "face_out_of_range",
        "unsupported",
    ],
)
def test_bad_mesh_files_give_one_sentence(tmp_path, multi_node_glb, run_cli, case):
    path, fragment = _bad_inputs(tmp_path, multi_node_glb[0].read_bytes())[case]
    result = run_cli("info", path)
    assert_one_sentence_error(result, fragment)


def test_face_limit_is_configurable(run_cli, multi_node_glb):
    path = multi_node_glb[0]
    assert run_cli("info", path).code == 0
    assert_one_sentence_error(run_cli("info", path, "--max-faces", "10"), "over the limit of 10")
    with pytest.raises(VdmError, match="over the limit"):
        load_source("builtin:creature", SourceConfig(max_faces=100))


def test_unknown_builtin_lists_the_names(run_cli):
    assert_one_sentence_error(run_cli("info", "builtin:dragon"), "dragon", "cow")


def test_every_command_has_help(run_cli):
    from typer.main import get_command

    from vdm.app.cli import app

    names = sorted(get_command(app).commands)
    assert {"info", "sources", "demo"} <= set(names)
    for name in names:
        result = run_cli(name, "--help")
        assert result.code == 0 and "Usage" in result.out, name
