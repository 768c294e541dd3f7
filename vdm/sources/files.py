"""Local mesh files: .glb/.gltf (scene graph with transforms), .obj, .ply, .off, .stl."""

from __future__ import annotations

import logging
from pathlib import Path

import trimesh

from vdm.errors import VdmError, short_reason
from vdm.sources.mesh import LoadedMesh, SourceRef, file_sha256, flatten_scene

log = logging.getLogger(__name__)

MESH_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".off", ".stl")


def load_file(path: Path, max_faces: int, kind: str = "file", ref: str | None = None) -> LoadedMesh:
    """Read a mesh file without any processing (so face ids are the file's own order)."""
    where = f"Mesh file {path}" if kind == "file" else f"The {kind} source '{ref}' ({path.name})"
    if not path.exists():
        raise VdmError(f"{where} does not exist.")
    if not path.is_file():
        raise VdmError(f"{where} is not a file.")
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise VdmError(f"{where} has an unsupported type '{suffix}' (use one of {', '.join(MESH_SUFFIXES)}).")
    if path.stat().st_size == 0:
        raise VdmError(f"{where} is empty.")
    try:
        scene = trimesh.load_scene(str(path), process=False)
    except Exception as exc:  # trimesh raises many types for corrupt input; all mean "unreadable"
        fmt = suffix[1:].upper()
        raise VdmError(
            f"{where} could not be read as {fmt}; it is corrupt or truncated ({short_reason(exc)})."
        ) from exc
    source = SourceRef(kind, ref if ref is not None else str(path), file_sha256(str(path)))
    mesh = flatten_scene(scene, source, where, max_faces)
    log.debug("loaded %s: %d vertices, %d faces", path, len(mesh.vertices), mesh.n_faces)
    return mesh
