"""Selection records (conventions section 2): what a curator's lasso produces, as JSON.

Parsing validates everything a later stage relies on and reports the first problem in one
sentence that names the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vdm.atomic import write_text_atomic
from vdm.errors import VdmError
from vdm.sources.mesh import SOURCE_KINDS, SourceRef
from vdm.state_files import read_state_json

SCHEMA = "vdm.selection/1"
OPS = ("add", "subtract")
PROJECTIONS = ("perspective", "orthographic")
# Curator clean-up steps between strokes (lasso/refine.py): one ring more or less, keep the
# component holding a face or the largest one, drop islands under a size.
EDIT_OPS = ("grow", "shrink", "keep_component", "keep_largest", "drop_islands")
# The records shipped with the package for the built-in meshes (checked by lasso/builtin_selections.py).
SHIPPED_SELECTIONS_DIR = Path(__file__).resolve().parent / "data" / "selections"


def shipped_records() -> list[Path]:
    """The selection records shipped with vdm (cow, bunny, creature parts), sorted by name."""
    return sorted(SHIPPED_SELECTIONS_DIR.glob("*.json"))


def shipped_record(name: str) -> Path:
    """The shipped record of that name (e.g. 'cow-ear'); an unknown name fails in one sentence."""
    paths = shipped_records()
    for path in paths:
        if path.stem == name:
            return path
    names = ", ".join(p.stem for p in paths)
    raise VdmError(f"There is no shipped selection '{name}' (there are: {names}).")


@dataclass(frozen=True)
class Camera:
    """A viewer camera: look-at pose, projection and the window size in pixels."""

    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float]
    projection: str = "perspective"
    fov_y_deg: float = 45.0
    ortho_height: float | None = None
    width: int = 1280
    height: int = 720

    def to_json(self) -> dict[str, Any]:
        return {
            "eye": list(self.eye),
            "target": list(self.target),
            "up": list(self.up),
            "projection": self.projection,
            "fov_y_deg": self.fov_y_deg,
            "ortho_height": self.ortho_height,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class Stroke:
    """One closed lasso polygon in screen pixels (origin top-left, y down) and how it combines."""

    camera: Camera
    polygon_px: tuple[tuple[float, float], ...]
    op: str = "add"
    xray: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "xray": self.xray,
            "camera": self.camera.to_json(),
            "polygon_px": [list(p) for p in self.polygon_px],
        }


@dataclass(frozen=True)
class Edit:
    """A clean-up step applied to the selection once its first `after_strokes` strokes are applied.

    `face` names the component `keep_component` keeps; `min_faces` is the island size under which
    `drop_islands` removes islands. Records without edits omit the field (and keep their ids).
    """

    op: str
    after_strokes: int
    face: int | None = None
    min_faces: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"op": self.op, "after_strokes": self.after_strokes}
        if self.face is not None:
            data["face"] = self.face
        if self.min_faces is not None:
            data["min_faces"] = self.min_faces
        return data


@dataclass
class SelectionRecord:
    """A replayable selection: source identity, strokes in order, and the cached face ids."""

    source: SourceRef
    strokes: list[Stroke]
    face_ids: list[int] | None = None
    note: str = ""
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    edits: list[Edit] = field(default_factory=list)

    @property
    def id(self) -> str:
        return selection_id(self.source.sha256, self.strokes, self.edits)

    def to_json(self) -> dict[str, Any]:
        data = {
            "schema": SCHEMA,
            "id": self.id,
            "source": self.source.to_json(),
            "strokes": [s.to_json() for s in self.strokes],
            "face_ids": None if self.face_ids is None else [int(i) for i in self.face_ids],
            "note": self.note,
            "created": self.created,
        }
        if self.edits:
            data["edits"] = [e.to_json() for e in self.edits]
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1) + "\n"

    def save(self, directory: str | Path) -> Path:
        """Write `<directory>/<id>.json` through a temporary name; returns the path. A relative
        source path (given from the working folder) is written relative to `directory`, where
        `load_record` reads it from."""
        path = Path(directory) / f"{self.id}.json"
        record = self
        if self.source.kind == "file" and not Path(self.source.ref).is_absolute():
            ref = os.path.relpath(os.path.abspath(self.source.ref), os.path.abspath(directory))
            record = replace(self, source=replace(self.source, ref=ref))
        write_text_atomic(path, record.dumps())
        return path


def selection_id(source_sha256: str, strokes: list[Stroke], edits: list[Edit] | tuple[Edit, ...] = ()) -> str:
    """Stable hex id: sha256 of the source sha256, the strokes' (and any edits') canonical JSON, 16 digits."""
    content: dict[str, Any] = {"source_sha256": source_sha256, "strokes": [s.to_json() for s in strokes]}
    if edits:
        content["edits"] = [e.to_json() for e in edits]
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class _Reader:
    """Typed field access that fails with one sentence naming the record and the field."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, problem: str) -> VdmError:
        return VdmError(f"{self.where}: {problem}.")

    def get(self, obj: Any, key: str, kind: type | tuple[type, ...], path: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise self.fail(f"missing field '{path}{key}'")
        value = obj[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(f"field '{path}{key}' has the wrong type")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(f"field '{path}{key}' is not a finite number")
        return value

    def vec3(self, obj: Any, key: str, path: str) -> tuple[float, float, float]:
        value = self.get(obj, key, list, path)
        if len(value) != 3 or not all(_is_number(v) for v in value):
            raise self.fail(f"field '{path}{key}' must be three numbers")
        return (float(value[0]), float(value[1]), float(value[2]))


MAX_COORDINATE = 1e9  # camera points farther out are corrupt data (their products overflow)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _parse_camera(r: _Reader, obj: Any, path: str) -> Camera:
    projection = r.get(obj, "projection", str, path)
    if projection not in PROJECTIONS:
        raise r.fail(f"field '{path}projection' must be one of {', '.join(PROJECTIONS)}")
    fov = r.get(obj, "fov_y_deg", float, path)
    ortho = obj.get("ortho_height") if isinstance(obj, dict) else None
    if projection == "perspective" and not 0.0 < fov < 180.0:
        raise r.fail(f"field '{path}fov_y_deg' must be between 0 and 180 degrees")
    if projection == "orthographic" and not (_is_number(ortho) and ortho > 0):
        raise r.fail(f"field '{path}ortho_height' must be a positive number for an orthographic camera")
    width, height = r.get(obj, "width", int, path), r.get(obj, "height", int, path)
    if width <= 0 or height <= 0:
        raise r.fail(f"the camera at '{path}' has a non-positive window size")
    camera = Camera(
        eye=r.vec3(obj, "eye", path),
        target=r.vec3(obj, "target", path),
        up=r.vec3(obj, "up", path),
        projection=projection,
        fov_y_deg=fov,
        ortho_height=None if ortho is None else float(ortho),
        width=width,
        height=height,
    )
    for name in ("eye", "target"):
        point = getattr(camera, name)
        if max(abs(c) for c in point) > MAX_COORDINATE:
            raise r.fail(
                f"the camera {name} at '{path}{name}' lies {max(abs(c) for c in point):.3g} from the origin, "
                f"beyond the {MAX_COORDINATE:g} a camera of a mesh can be"
            )
    if math.dist(camera.eye, camera.target) == 0.0:
        raise r.fail(f"the camera at '{path}' has its eye on its target")
    if math.dist((0.0, 0.0, 0.0), camera.up) == 0.0:
        raise r.fail(f"the camera at '{path}' has a zero up direction")
    return camera


def _parse_stroke(r: _Reader, obj: Any, index: int) -> Stroke:
    path = f"strokes[{index}]."
    op = r.get(obj, "op", str, path)
    if op not in OPS:
        raise r.fail(f"field '{path}op' must be 'add' or 'subtract'")
    polygon = r.get(obj, "polygon_px", list, path)
    if len(polygon) < 3:
        raise r.fail(f"stroke {index} has {len(polygon)} polygon points; a lasso needs at least 3")
    if not all(isinstance(p, list) and len(p) == 2 and all(_is_number(c) for c in p) for p in polygon):
        raise r.fail(f"field '{path}polygon_px' must be a list of [x, y] pixel pairs")
    return Stroke(
        camera=_parse_camera(r, r.get(obj, "camera", dict, path), path + "camera."),
        polygon_px=tuple((float(x), float(y)) for x, y in polygon),
        op=op,
        xray=r.get(obj, "xray", bool, path),
    )


def _parse_edits(r: _Reader, data: dict[str, Any], n_strokes: int) -> list[Edit]:
    edits_obj = data.get("edits", [])
    if not isinstance(edits_obj, list):
        raise r.fail("field 'edits' must be a list")
    edits: list[Edit] = []
    for i, obj in enumerate(edits_obj):
        path = f"edits[{i}]."
        op = r.get(obj, "op", str, path)
        if op not in EDIT_OPS:
            raise r.fail(f"field '{path}op' must be one of {', '.join(EDIT_OPS)}")
        after = r.get(obj, "after_strokes", int, path)
        previous = edits[-1].after_strokes if edits else 1
        if not previous <= after <= n_strokes:
            raise r.fail(f"field '{path}after_strokes' must run from {previous} to {n_strokes} in order")
        face = r.get(obj, "face", int, path) if op == "keep_component" else None
        if face is not None and face < 0:
            raise r.fail(f"field '{path}face' is a negative face id")
        min_faces = r.get(obj, "min_faces", int, path) if op == "drop_islands" else None
        if min_faces is not None and min_faces < 1:
            raise r.fail(f"field '{path}min_faces' must be at least 1")
        edits.append(Edit(op, after, face, min_faces))
    return edits


def parse_record(data: Any, where: str = "Selection record") -> SelectionRecord:
    """Validate a decoded record and build it; raises VdmError with one sentence."""
    r = _Reader(where)
    if not isinstance(data, dict):
        raise r.fail("it is not a JSON object")
    if data.get("schema") != SCHEMA:
        raise r.fail(f"schema is {data.get('schema')!r}, expected '{SCHEMA}'")
    source_obj = r.get(data, "source", dict, "")
    kind = r.get(source_obj, "kind", str, "source.")
    if kind not in SOURCE_KINDS:
        raise r.fail(f"source kind '{kind}' is not one of {', '.join(SOURCE_KINDS)}")
    sha = r.get(source_obj, "sha256", str, "source.")
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise r.fail("source.sha256 is not a sha256 hex digest")
    source = SourceRef(kind, r.get(source_obj, "ref", str, "source."), sha)
    strokes_obj = r.get(data, "strokes", list, "")
    if not strokes_obj:
        raise r.fail("it has no strokes")
    strokes = [_parse_stroke(r, s, i) for i, s in enumerate(strokes_obj)]
    face_ids = data.get("face_ids")
    if face_ids is not None:
        if not isinstance(face_ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in face_ids
        ):
            raise r.fail("field 'face_ids' must be a list of integers or null")
        if any(i < 0 for i in face_ids):
            raise r.fail("field 'face_ids' has negative face ids")
    record = SelectionRecord(
        source=source,
        strokes=strokes,
        face_ids=face_ids,
        note=str(data.get("note", "")),
        created=str(data.get("created", "")),
        edits=_parse_edits(r, data, len(strokes)),
    )
    if "id" in data and data["id"] != record.id:
        raise r.fail(f"its id {data['id']!r} does not match its source and strokes (expected {record.id})")
    return record


def load_record(path: str | Path) -> SelectionRecord:
    """Read and validate a selection record file."""
    path = Path(path)
    where = f"Selection record {path}"
    if not path.is_file():
        raise VdmError(f"{where} does not exist.")
    data = read_state_json(path, "Selection record", lambda _: None)  # parse_record checks its shape
    record = parse_record(data, where)
    if record.source.kind == "file" and not Path(record.source.ref).is_absolute():
        # On disk a relative path is the record's folder's; in memory paths open from anywhere.
        absolute = os.path.abspath(path.parent / record.source.ref)
        record = replace(record, source=replace(record.source, ref=absolute))
    return record


def check_face_ids(record: SelectionRecord, n_faces: int, where: str = "Selection record") -> None:
    """Raise VdmError if the cached face ids (or an edit's face) do not index a mesh with `n_faces` faces."""
    ids = list(record.face_ids or []) + [e.face for e in record.edits if e.face is not None]
    if ids and max(ids) >= n_faces:
        raise VdmError(f"{where}: face id {max(ids)} is out of range for a mesh of {n_faces} faces.")
