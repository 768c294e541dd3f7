"""`vdm select` replays records headless; bad records and bad input end in one clear sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from conftest import assert_one_sentence_error

from vdm.lasso.engine import select_faces
from vdm.records import Camera, SelectionRecord, Stroke, load_record
from vdm.sources import load_source


@pytest.fixture
def sphere_and_record(tmp_path):
    """A sphere saved as a PLY file and a record made on it by the engine."""
    path = tmp_path / "sphere.ply"
    path.write_bytes(trimesh.creation.icosphere(subdivisions=3).export(file_type="ply"))
    mesh = load_source(str(path))
    camera = Camera(eye=(0.0, 0.0, 4.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), width=640, height=480)
    stroke = Stroke(camera, ((250.0, 170.0), (390.0, 170.0), (390.0, 310.0), (250.0, 310.0)))
    ids = select_faces(mesh, [stroke])
    record = SelectionRecord(mesh.source, [stroke], face_ids=ids.tolist(), note="cap")
    return path, record.save(tmp_path / "records"), ids


def test_select_writes_the_face_ids_in_every_format(run_cli, sphere_and_record, tmp_path):
    source, record_path, ids = sphere_and_record
    result = run_cli("select", source, "--record", record_path)
    assert result.code == 0, result.err
    assert [int(v) for v in result.out.split()] == ids.tolist()
    for suffix, read in [
        (".json", lambda p: json.loads(p.read_text())),
        (".txt", lambda p: [int(v) for v in p.read_text().split()]),
        (".npy", lambda p: np.load(p).tolist()),
    ]:
        out = tmp_path / f"ids{suffix}"
        assert run_cli("select", source, "--record", record_path, "--out", out).code == 0
        assert read(out) == ids.tolist()
    # A record without cached ids replays too.
    data = json.loads(record_path.read_text())
    data["face_ids"] = None
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(data))
    result = run_cli("select", source, "--record", bare)
    assert result.code == 0 and [int(v) for v in result.out.split()] == ids.tolist()


def test_select_preview_shows_the_selection_and_the_lasso(run_cli, sphere_and_record, tmp_path):
    from PIL import Image

    from vdm.lasso.preview import ADD_OUTLINE, SELECTED_RGB

    source, record_path, _ = sphere_and_record
    preview = tmp_path / "ids.png"  # `--preview` writes beside --out
    assert (
        run_cli("select", source, "--record", record_path, "--out", tmp_path / "ids.json", "--preview").code
        == 0
    )
    pixels = np.asarray(Image.open(preview).convert("RGB")).reshape(-1, 3).astype(int)
    # Lit orange faces keep orange's hue (red well above blue); the lasso outline is strongly blue
    # (the sheet's downscaling blends it, so compare hues, not exact colours).
    orange = (pixels[:, 0] > pixels[:, 2] + 80) & (pixels[:, 0] > 120)
    blue = pixels[:, 2] > pixels[:, 0] + 80
    assert orange.sum() > 2000 and blue.sum() > 200
    assert SELECTED_RGB[0] > SELECTED_RGB[2] and ADD_OUTLINE[2] > ADD_OUTLINE[0]


def test_every_preview_view_sees_the_selection_from_outside_the_mesh(sphere_and_record):
    """The views after the strokes' own: each from outside the whole mesh and each showing the
    selected cap (a turn about the stroke camera's target showed the cap from behind the sphere)."""
    from vdm.lasso.preview import render_views, selection_views

    source, record_path, ids = sphere_and_record
    mesh, record = load_source(str(source)), load_record(record_path)
    views = selection_views(mesh, ids, record.strokes[0].camera)
    radius = np.linalg.norm(mesh.vertices, axis=1).max()
    assert len(views) == 4 and all(np.linalg.norm(v.camera.eye) > radius for v in views)
    for view, picture in zip(views, render_views(mesh, ids, views), strict=True):
        pixels = np.asarray(picture.convert("RGB")).reshape(-1, 3).astype(int)
        orange = (pixels[:, 0] > pixels[:, 2] + 80) & (pixels[:, 0] > 120)
        assert orange.mean() > 0.02, (view.caption, orange.mean())


def _mutated(record_path, tmp_path, mutate):
    data = json.loads(record_path.read_text())
    mutate(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    return bad


def test_pictures_render_again_after_pyrender_made_its_own_context(sphere_and_record):
    """The demo pictures proposals (Polyscope, EGL), then renders patches (pyrender, its own EGL
    context); a selection picture after that must still render, with another window size."""
    from vdm.lasso.preview import PreviewView, render_views
    from vdm.render.renderer import PatchRenderer
    from vdm.shapes import hook_patch

    path, _, ids = sphere_and_record
    mesh = load_source(str(path))
    first = Camera((0.0, 0.0, 3.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), width=320, height=240)
    before = render_views(mesh, ids, [PreviewView(first)])[0]
    with PatchRenderer(64) as renderer:
        renderer.render(hook_patch())
    second = Camera(first.eye, first.target, first.up, width=240, height=180)
    after = render_views(mesh, ids, [PreviewView(second)])[0]
    assert after.size == (240, 180) and before.size == (320, 240)
    assert np.asarray(after).std() > 5  # a picture of the sphere, not a blank frame


@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        (lambda d: d.update(schema="vdm.selection/9"), ("schema is 'vdm.selection/9'",)),
        (
            lambda d: d["strokes"][0].update(polygon_px=[[1, 1], [5, 5]]),
            ("has 2 polygon points", "at least 3"),
        ),
        (lambda d: d.update(face_ids=[0, 10**6]), ("face id 1000000 is out of range",)),
        (lambda d: d.update(face_ids=d["face_ids"][1:]), ("but it caches",)),
        (lambda d: d["source"].update(sha256="0" * 64), ("the file changed or is another mesh",)),
    ],
)
def test_bad_records_give_one_sentence(run_cli, sphere_and_record, tmp_path, mutate, fragments):
    source, record_path, _ = sphere_and_record
    bad = _mutated(record_path, tmp_path, lambda d: (mutate(d), d.pop("id")))
    assert_one_sentence_error(run_cli("select", source, "--record", bad), *fragments)


def test_a_changed_source_file_is_refused(run_cli, sphere_and_record):
    source, record_path, _ = sphere_and_record
    mesh = trimesh.load(source, process=False)
    mesh.vertices *= 1.001
    source.write_bytes(mesh.export(file_type="ply"))
    assert_one_sentence_error(run_cli("select", source, "--record", record_path), "the file changed")


def test_bad_arguments_give_one_sentence(run_cli, sphere_and_record, tmp_path, monkeypatch):
    source, record_path, _ = sphere_and_record
    assert_one_sentence_error(run_cli("select", source, "--record", tmp_path / "none.json"), "does not exist")
    assert_one_sentence_error(
        run_cli("select", source, "--record", record_path, "--out", tmp_path / "ids.csv"),
        "must end in one of",
    )
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert_one_sentence_error(run_cli("lasso", source), "no display")
    assert_one_sentence_error(run_cli("lasso", source, "--window", "big"), "--window must look like 1280x720")
    assert_one_sentence_error(run_cli("lasso", tmp_path / "records" / "none"), "does not exist")


def test_source_lists_expand_folders_and_lvis_categories(tmp_path):
    import gzip

    from vdm.errors import VdmError
    from vdm.sources import SourceConfig
    from vdm.sources.listing import expand_sources

    folder = tmp_path / "meshes"
    folder.mkdir()
    for name in ("b.obj", "a.glb", "notes.txt", "c.PLY"):
        (folder / name).write_text("x")
    cache = tmp_path / "cache"
    (cache / "hf-objaverse-v1").mkdir(parents=True)
    with gzip.open(cache / "hf-objaverse-v1" / "lvis-annotations.json.gz", "wt") as fh:
        json.dump({"horse": ["a" * 32, "b" * 32], "teapot": []}, fh)
    config = SourceConfig(objaverse_cache=cache)
    assert expand_sources([str(folder), "lvis:horse", "builtin:cow"], config) == [
        str(folder / "a.glb"),
        str(folder / "b.obj"),
        str(folder / "c.PLY"),
        "objaverse:" + "a" * 32,
        "objaverse:" + "b" * 32,
        "builtin:cow",
    ]
    with pytest.raises(VdmError, match="no LVIS category 'zebra'"):
        expand_sources(["lvis:zebra"], config)
    with pytest.raises(VdmError, match="No sources to lasso"):
        expand_sources(["lvis:teapot"], config)
    (tmp_path / "empty").mkdir()
    with pytest.raises(VdmError, match="has no mesh files"):
        expand_sources([str(tmp_path / "empty")], config)
