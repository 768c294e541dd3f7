"""Selection records (conventions section 2): round trip, stable ids, one-sentence rejection."""

from __future__ import annotations

import json
import warnings

import pytest

from vdm.errors import VdmError
from vdm.records import Camera, SelectionRecord, Stroke, check_face_ids, load_record, parse_record
from vdm.sources.mesh import SourceRef

SHA = "ab" * 32


def _record(**overrides) -> SelectionRecord:
    camera = Camera(eye=(0.0, 0.0, 3.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0))
    stroke = Stroke(camera=camera, polygon_px=((10.0, 10.0), (200.0, 15.0), (120.0, 300.0)))
    fields = {"source": SourceRef("builtin", "cow", SHA), "strokes": [stroke], "face_ids": [3, 1, 2]}
    fields.update(overrides)
    return SelectionRecord(**fields)


def test_round_trip_is_byte_identical(tmp_path):
    record = _record(note="ear, left")
    path = record.save(tmp_path)
    assert path.name == f"{record.id}.json"
    again = load_record(path)
    assert again.dumps() == record.dumps()
    assert again.id == record.id and again.face_ids == [3, 1, 2]


def test_id_depends_on_source_and_strokes_only():
    a, b = _record(note="x"), _record(note="y", face_ids=None)
    assert a.id == b.id and len(a.id) == 16
    other = _record(source=SourceRef("builtin", "cow", "cd" * 32))
    assert other.id != a.id


def _bad(mutate) -> dict:
    data = _record().to_json()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.update(schema="vdm.selection/0"), "schema"),
        (lambda d: d["strokes"][0].update(polygon_px=[[0, 0], [1, 1]]), "at least 3"),
        (lambda d: d["strokes"][0].update(op="xor"), "'add' or 'subtract'"),
        (lambda d: d.update(strokes=[]), "no strokes"),
        (lambda d: d["source"].update(sha256="nothex"), "sha256"),
        (lambda d: d["strokes"][0]["camera"].update(projection="fisheye"), "projection"),
        (lambda d: d.update(id="0" * 16), "does not match"),
        (lambda d: d.update(face_ids=[1, -4]), "negative"),
        (lambda d: d["strokes"][0].pop("camera"), "missing field 'strokes[0].camera'"),
        (lambda d: d["strokes"][0]["camera"].update(eye=[1e308, 0, 0]), "camera eye at 'strokes[0]"),
        (lambda d: d["strokes"][0]["camera"].update(up=[0, 0, 0]), "zero up direction"),
    ],
)
def test_bad_records_give_one_sentence(mutate, fragment):
    with warnings.catch_warnings(), pytest.raises(VdmError) as info:
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        parse_record(_bad(mutate), "Selection record r.json")
    message = str(info.value)
    assert fragment in message and message.startswith("Selection record r.json: ") and message.endswith(".")
    assert "\n" not in message


def test_not_json_and_face_ids_out_of_range(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{not json")
    with pytest.raises(VdmError, match="not valid JSON"):
        load_record(path)
    path.write_text(json.dumps(_record(face_ids=[0, 99]).to_json()))
    with pytest.raises(VdmError, match="face id 99 is out of range"):
        check_face_ids(load_record(path), n_faces=50)
