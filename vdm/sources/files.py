"""Local mesh files: .glb/.gltf (scene graph with transforms), .obj, .ply, .off, .stl."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import trimesh

from vdm.errors import VdmError, printable, short_reason
from vdm.sources.file_facts import declared_faces, source_sha256
from vdm.sources.mesh import LoadedMesh, SourceRef, flatten_scene

log = logging.getLogger(__name__)

MESH_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".off", ".stl")


def load_file(path: Path, max_faces: int, kind: str = "file", ref: str | None = None) -> LoadedMesh:
    """Read a mesh file without any processing (so face ids are the file's own order).

    The file is read as bytes and parsed from memory (its external files through a resolver of its
    folder), so a file name the OS gives in any encoding loads; the face count its header declares
    is checked against `max_faces` before the body is parsed."""
    shown = printable(os.fsdecode(path))
    where = f"Mesh file {shown}" if kind == "file" else f"The {kind} source '{ref}' ({printable(path.name)})"
    if not path.exists():
        raise VdmError(f"{where} does not exist.")
    if not path.is_file():
        raise VdmError(f"{where} is not a file.")
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise VdmError(f"{where} has an unsupported type '{suffix}' (use one of {', '.join(MESH_SUFFIXES)}).")
    if path.stat().st_size == 0:
        raise VdmError(f"{where} is empty.")
    declared = declared_faces(path)
    if declared is not None and declared > max_faces:
        raise VdmError(
            f"{where} declares {declared:,} faces, over the limit of {max_faces:,} "
            "(raise it with --max-faces)."
        )
    data = path.read_bytes()
    try:
        scene = trimesh.load_scene(
            file_obj=io.BytesIO(data),
            file_type=suffix[1:],
            resolver=trimesh.resolvers.FilePathResolver(os.fspath(path.parent) + os.sep),
            process=False,
        )
    except Exception as exc:  # trimesh raises many types for corrupt input; all mean "unreadable"
        fmt = suffix[1:].upper()
        raise VdmError(
            f"{where} could not be read as {fmt}; it is corrupt or truncated ({short_reason(exc)})."
        ) from exc
    source = SourceRef(kind, ref if ref is not None else os.fsdecode(path), source_sha256(path, data))
    mesh = flatten_scene(scene, source, where, max_faces)
    log.debug("loaded %s: %d vertices, %d faces", shown, len(mesh.vertices), mesh.n_faces)
    return mesh
