"""`vdm stitch R.json --out DIR`: files written atomically, reports, augmentations, user errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from conftest import assert_one_sentence_error
from stitching_geometry import horn_asset, two_balls_asset

from vdm.lasso.camera import project_points
from vdm.lasso.engine import select_faces
from vdm.patch import patch_ply_bytes, read_patch
from vdm.records import Camera, SelectionRecord, Stroke
from vdm.sources import LoadedMesh, load_source
from vdm.stitching import stitch_selection

TOP_CAMERA = Camera(eye=(0.0, 0.0, 5.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), width=640, height=480)


def _as_file(mesh: LoadedMesh, path: Path) -> LoadedMesh:
    trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(path)
    return load_source(str(path))


def _lasso_around(camera: Camera, centre: tuple[float, float, float], radius: float, xray: bool) -> Stroke:
    """A lasso drawn around a circle of the asset (in the plane z = centre z) as seen from above."""
    t = np.linspace(0.0, 2.0 * np.pi, 24, endpoint=False)
    ring = np.stack([radius * np.cos(t), radius * np.sin(t), np.zeros_like(t)], axis=1) + centre
    pixels, _ = project_points(camera, ring)
    return Stroke(camera=camera, polygon_px=tuple(map(tuple, pixels.tolist())), xray=xray)


HORN_STROKE = _lasso_around(TOP_CAMERA, (0.0, 0.0, 1.0), 0.7, xray=False)
SMALL_BALL_STROKE = _lasso_around(TOP_CAMERA, (2.0, 0.0, 0.0), 0.45, xray=True)


def _record(
    mesh: LoadedMesh, directory: Path, stroke: Stroke = HORN_STROKE, cache: bool = True
) -> tuple[SelectionRecord, Path]:
    """A record as the lasso saves it: its stroke and, with `cache`, the face ids it selects."""
    ids = select_faces(mesh, [stroke]) if cache else None
    record = SelectionRecord(
        source=mesh.source, strokes=[stroke], face_ids=None if ids is None else ids.tolist(), note="horn"
    )
    return record, record.save(directory)


@pytest.fixture(scope="module")
def horn_file(tmp_path_factory):
    mesh, _ = horn_asset()
    return _as_file(mesh, tmp_path_factory.mktemp("src") / "horn.ply")


def test_stitch_writes_the_patch_its_augmentations_and_a_report(run_cli, horn_file, tmp_path):
    mesh = horn_file
    record, path = _record(mesh, tmp_path)
    ids = np.asarray(record.face_ids)
    out = tmp_path / "out"
    result = run_cli("stitch", path, "--out", out, "--augmentations", "3", "--seed", "5", "--preview")
    assert result.code == 0, result.err
    sid = record.id
    names = sorted(p.name for p in out.iterdir())
    stems = [sid, f"{sid}-a1", f"{sid}-a2"]
    assert names == sorted([f"{sid}.report.json", *(s + ".ply" for s in stems), *(s + ".png" for s in stems)])
    report = json.loads((out / f"{sid}.report.json").read_text())
    assert report["accepted"] and report["selection_id"] == sid and report["seed"] == 5
    assert [a["index"] for a in report["augmentations"]] == [1, 2]
    assert all(a["accepted"] for a in report["augmentations"])
    # The file holds exactly what the library makes from the same faces.
    expected = stitch_selection(mesh, ids).patch
    assert (out / f"{sid}.ply").read_bytes() == patch_ply_bytes(expected)
    assert read_patch(out / f"{sid}-a2.ply").labels.sum() > 0
    # a brush baked from any of these patches is named by the record's note, from the report
    from vdm.patch import patch_origin

    for stem in stems:
        assert patch_origin(out / f"{stem}.ply") == (record.note, mesh.source.spec)
    (tmp_path / "loose.ply").write_bytes((out / f"{sid}.ply").read_bytes())
    assert patch_origin(tmp_path / "loose.ply") == ("", str(tmp_path / "loose.ply"))


def test_stitch_replays_the_strokes_when_the_record_caches_no_faces(run_cli, horn_file, tmp_path):
    mesh = horn_file
    record, path = _record(mesh, tmp_path, cache=False)
    out = tmp_path / "out"
    assert run_cli("stitch", path, "--out", out).code == 0
    strokes_ids = select_faces(mesh, record.strokes)
    assert (out / f"{record.id}.ply").read_bytes() == patch_ply_bytes(
        stitch_selection(mesh, strokes_ids).patch
    )


def test_a_rejected_selection_exits_with_one_sentence_and_records_why(run_cli, tmp_path):
    mesh, small_ball = two_balls_asset()
    mesh = _as_file(mesh, tmp_path / "balls.ply")
    record, path = _record(mesh, tmp_path, SMALL_BALL_STROKE)
    assert record.face_ids == small_ball.tolist()  # the whole small ball: a part with no border
    out = tmp_path / "out"
    result = run_cli("stitch", path, "--out", out)
    assert_one_sentence_error(result, "rejected at the trim step", "closed surface")
    report = json.loads((out / f"{record.id}.report.json").read_text())
    assert report == {
        "selection_id": record.id,
        "accepted": False,
        "stage": "trim",
        "reason": report["reason"],
    }
    assert not (out / f"{record.id}.ply").exists()


def test_a_changed_source_or_a_missing_record_is_one_sentence(run_cli, horn_file, tmp_path):
    mesh = horn_file
    _, path = _record(mesh, tmp_path)
    data = json.loads(path.read_text())
    data["source"]["sha256"] = "0" * 64
    data.pop("id")
    path.write_text(json.dumps(data))
    assert_one_sentence_error(run_cli("stitch", path, "--out", tmp_path / "o"), "the file changed")
    assert_one_sentence_error(
        run_cli("stitch", tmp_path / "nope.json", "--out", tmp_path / "o"), "does not exist"
    )
    bad = run_cli("stitch", path, "--out", tmp_path / "o", "--poisson-backend", "cgal")
    assert_one_sentence_error(bad, "Unknown Poisson backend")


def test_stale_cached_faces_are_refused_as_select_and_mine_refuse_them(run_cli, horn_file, tmp_path):
    record, _ = _record(horn_file, tmp_path)
    stale = SelectionRecord(record.source, record.strokes, record.face_ids[:-5], record.note)
    path = stale.save(tmp_path / "stale")
    result = run_cli("stitch", path, "--out", tmp_path / "out")
    assert_one_sentence_error(result, "5 selected faces not cached")
    assert not (tmp_path / "out").exists()
    selected = run_cli("select", horn_file.source.ref, "--record", path)
    assert_one_sentence_error(selected, "5 selected faces not cached")
