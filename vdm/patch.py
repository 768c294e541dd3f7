"""Patch meshes (conventions sections 1 and 3): the in-memory patch and its binary PLY file.

The file holds float32 vertices in the patch frame, int32 triangles and a per-vertex uint8
`label` (0 = base plane, 1 = part). Where the source carried colours, standard `red green blue`
uchar vertex properties follow (a project addition every PLY viewer understands).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vdm.atomic import atomic_path
from vdm.errors import VdmError

PLANE, PART = 0, 1


@dataclass
class Patch:
    """A stitched patch: one disk-topology mesh, its square border on z = 0, labels per vertex."""

    vertices: np.ndarray  # (N, 3) float, patch frame
    faces: np.ndarray  # (M, 3) int
    labels: np.ndarray  # (N,) uint8, PLANE or PART
    vertex_colors: np.ndarray | None = None  # (N, 3) or (N, 4) uint8, carried from the source

    def __post_init__(self) -> None:
        self.vertices = np.asarray(self.vertices, dtype=np.float64)
        self.faces = np.asarray(self.faces, dtype=np.int64)
        self.labels = np.asarray(self.labels, dtype=np.uint8)
        if self.vertex_colors is not None:
            self.vertex_colors = np.asarray(self.vertex_colors, dtype=np.uint8)[:, :3]


def part_faces(patch: Patch, touching: bool = False) -> np.ndarray:
    """The part's triangles: those with all three corners on the part, or with `touching` those
    with any corner on it (the part with the ring of faces where it meets the plane)."""
    on_part = patch.labels[patch.faces] == PART
    return patch.faces[on_part.any(axis=1) if touching else on_part.all(axis=1)]


def _vertex_dtype(with_colours: bool) -> np.dtype:
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if with_colours:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    return np.dtype([*fields, ("label", "u1")])


FACE_DTYPE = np.dtype([("n", "u1"), ("v", "<i4", (3,))])


def patch_ply_bytes(patch: Patch) -> bytes:
    """The binary little-endian PLY encoding of a patch (deterministic: same patch, same bytes)."""
    colours = patch.vertex_colors is not None
    vertex = np.empty(len(patch.vertices), dtype=_vertex_dtype(colours))
    vertex["x"], vertex["y"], vertex["z"] = patch.vertices.astype(np.float32).T
    if colours:
        vertex["red"], vertex["green"], vertex["blue"] = patch.vertex_colors.T
    vertex["label"] = patch.labels
    face = np.empty(len(patch.faces), dtype=FACE_DTYPE)
    face["n"] = 3
    face["v"] = patch.faces.astype(np.int32)
    colour_props = "property uchar red\nproperty uchar green\nproperty uchar blue\n" if colours else ""
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment vdm patch (conventions section 3)\n"
        f"element vertex {len(vertex)}\nproperty float x\nproperty float y\nproperty float z\n"
        f"{colour_props}property uchar label\n"
        f"element face {len(face)}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    return header.encode("ascii") + vertex.tobytes() + face.tobytes()


def write_patch(path: str | Path, patch: Patch) -> Path:
    """Write a patch PLY through a temporary name; returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(patch_ply_bytes(patch))
    return path


def read_patch(path: str | Path, max_faces: int | None = None) -> Patch:
    """Read a patch PLY written by `write_patch`; anything else, or more faces than `max_faces`
    (the header's count, before the body is decoded), fails with one sentence."""
    path = Path(path)
    where = f"Patch file {path}"
    if not path.is_file():
        raise VdmError(f"{where} does not exist.")
    data = path.read_bytes()
    end = data.find(b"end_header\n")
    if not data.startswith(b"ply\n") or end < 0:
        raise VdmError(f"{where} is not a PLY file.")
    header = data[:end].decode("ascii", errors="replace").splitlines()
    if "format binary_little_endian 1.0" not in header:
        raise VdmError(f"{where} is not a binary little-endian PLY (conventions section 3).")
    try:
        counts = {line.split()[1]: int(line.split()[2]) for line in header if line.startswith("element ")}
    except (IndexError, ValueError):
        raise VdmError(f"{where} has a malformed PLY header (an element line without a count).") from None
    if any(count < 0 for count in counts.values()):
        raise VdmError(f"{where} has a malformed PLY header (a negative element count).")
    props = [line.split()[-1] for line in header if line.startswith("property ") and "list" not in line]
    if "label" not in props or "vertex" not in counts or "face" not in counts:
        raise VdmError(f"{where} has no per-vertex 'label' property; it is not a vdm patch.")
    vdtype = _vertex_dtype("red" in props)
    n_v, n_f = counts["vertex"], counts["face"]
    if max_faces is not None and n_f > max_faces:
        raise VdmError(
            f"{where} declares {n_f:,} faces, over the limit of {max_faces:,} (raise it with --max-faces)."
        )
    body = data[end + len(b"end_header\n") :]
    if len(body) != n_v * vdtype.itemsize + n_f * FACE_DTYPE.itemsize:
        raise VdmError(f"{where} is truncated or has an unexpected layout.")
    vertex = np.frombuffer(body, dtype=vdtype, count=n_v)
    face = np.frombuffer(body, dtype=FACE_DTYPE, count=n_f, offset=n_v * vdtype.itemsize)
    if n_f and (face["n"] != 3).any():
        raise VdmError(f"{where} has faces that are not triangles.")
    colours = np.stack([vertex["red"], vertex["green"], vertex["blue"]], axis=1) if "red" in props else None
    vertices = np.stack([vertex["x"], vertex["y"], vertex["z"]], axis=1).astype(np.float64)
    faces = face["v"].astype(np.int64)
    if not np.isfinite(vertices).all() or (n_f and (faces.min() < 0 or faces.max() >= n_v)):
        raise VdmError(f"{where} has non-finite vertices or out-of-range faces.")
    return Patch(vertices, faces, vertex["label"].copy(), colours)


def patch_origin(patch_path: Path) -> tuple[str, str]:
    """The note and source of a patch `vdm stitch` wrote (from its report beside it: <selection
    id>.report.json, augmentations <id>-a<i>.ply included), or ("", the file) for any other .ply."""
    selection = patch_path.stem.split("-a")[0]
    report_path = patch_path.with_name(f"{selection}.report.json")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        source = report["source"]
        spec = source["ref"] if source["kind"] == "file" else f"{source['kind']}:{source['ref']}"
        return str(report.get("note") or ""), str(spec)
    except (OSError, ValueError, KeyError, TypeError):  # no report, or not vdm's: the file names it
        return "", str(patch_path)
