"""What a mesh file says about itself before it is parsed: the files it pulls in, and its face count.

- **Identity covers every byte** the mesh is made from: a .gltf's external buffers and images, an
  .obj's material libraries and their textures. A file that references nothing keeps the plain
  sha256 of its bytes (so records made on it stay valid); otherwise the sha256 also covers each
  referenced file's name and bytes, in reference order (a missing one counts as missing).
- **Face counts from the header** where the format has one (PLY, OFF, binary STL, glTF/GLB
  accessors), so `--max-faces` refuses a huge file before it is read into memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path
from urllib.parse import unquote

HEAD_BYTES = 1 << 16  # enough for any PLY or OFF header
MTL_MAP_KEYS = (b"map_", b"bump", b"disp", b"decal", b"norm", b"refl")


def _gltf_json(data: bytes, suffix: str) -> dict | None:
    """The JSON of a .gltf, or of a .glb's first chunk; None if it cannot be read as one."""
    try:
        if suffix == ".glb":
            if len(data) < 20 or data[:4] != b"glTF":
                return None
            length, kind = struct.unpack_from("<II", data, 12)
            if kind != 0x4E4F534A:  # "JSON"
                return None
            return json.loads(data[20 : 20 + length].decode("utf-8"))
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, struct.error):
        return None


def _gltf_references(document: dict) -> list[str]:
    uris = [entry.get("uri") for key in ("buffers", "images") for entry in document.get(key, []) or []]
    return [unquote(u) for u in uris if isinstance(u, str) and not u.startswith("data:")]


def _obj_references(path: Path, data: bytes) -> list[str]:
    """Material libraries of an .obj, each followed by the texture files it names."""
    found: list[str] = []
    for match in re.finditer(rb"^[ \t]*mtllib[ \t]+(.+?)[ \t]*\r?$", data, re.MULTILINE):
        library = match.group(1).decode("utf-8", errors="surrogateescape")
        found.append(library)
        mtl = path.parent / library
        if not mtl.is_file():
            continue
        for line in mtl.read_bytes().splitlines():
            words = line.strip().split()
            if len(words) >= 2 and words[0].lower().startswith(MTL_MAP_KEYS):
                found.append(words[-1].decode("utf-8", errors="surrogateescape"))
    return found


def referenced_files(path: Path, data: bytes) -> list[str]:
    """Paths (relative to the file's folder) of the other files a mesh file is made from."""
    suffix = path.suffix.lower()
    if suffix in (".gltf", ".glb"):
        document = _gltf_json(data, suffix)
        return _gltf_references(document) if document else []
    if suffix == ".obj":
        return _obj_references(path, data)
    return []


def source_sha256(path: Path, data: bytes) -> str:
    """The identity of a mesh file: its bytes and those of every file it references."""
    own = hashlib.sha256(data).hexdigest()
    references = referenced_files(path, data)
    if not references:
        return own
    h = hashlib.sha256(f"vdm.source/2 {own}".encode())
    for name in references:
        other = path.parent / name
        digest = hashlib.sha256(other.read_bytes()).hexdigest() if other.is_file() else "missing"
        h.update(f"\n{name}\0{digest}".encode("utf-8", errors="surrogateescape"))
    return h.hexdigest()


def _ply_faces(head: bytes) -> int | None:
    end = head.find(b"end_header")
    if not head.startswith(b"ply") or end < 0:
        return None
    for line in head[:end].splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == b"element" and words[1] == b"face" and words[2].isdigit():
            return int(words[2])
    return None


def _off_faces(head: bytes) -> int | None:
    lines = [ln.split(b"#")[0].split() for ln in head.splitlines()[:50]]
    words = [w for ln in lines for w in ln][:4]
    if not words or not words[0].endswith(b"OFF"):
        return None
    counts = words[1:4]
    return int(counts[1]) if len(counts) >= 2 and counts[1].isdigit() else None


def _stl_faces(head: bytes, size: int) -> int | None:
    if len(head) < 84:
        return None
    count = struct.unpack_from("<I", head, 80)[0]
    return count if size == 84 + 50 * count else None  # binary STL (an ASCII one has no count)


def _gltf_faces(document: dict) -> int | None:
    accessors, meshes = document.get("accessors", []), document.get("meshes", [])
    try:
        per_mesh = []
        for mesh in meshes:
            total = 0
            for primitive in mesh.get("primitives", []):
                if primitive.get("mode", 4) != 4:  # only triangle lists become faces
                    continue
                index = primitive.get("indices", primitive.get("attributes", {}).get("POSITION"))
                total += int(accessors[index]["count"]) // 3 if index is not None else 0
            per_mesh.append(total)
        uses = [node["mesh"] for node in document.get("nodes", []) if "mesh" in node]
        return sum(per_mesh[i] for i in uses) if uses else sum(per_mesh)
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def declared_faces(path: Path) -> int | None:
    """The face count a mesh file declares before its body, or None where the format has none."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        if suffix == ".glb" and len(head) >= 20 and head[:4] == b"glTF":
            head += fh.read(max(0, struct.unpack_from("<I", head, 12)[0] + 20 - len(head)))
    if suffix == ".ply":
        return _ply_faces(head)
    if suffix == ".off":
        return _off_faces(head)
    if suffix == ".stl":
        return _stl_faces(head, size)
    if suffix == ".glb":
        document = _gltf_json(head, suffix)
        return _gltf_faces(document) if document else None
    if suffix == ".gltf" and size <= 64 << 20:
        document = _gltf_json(path.read_bytes(), suffix)
        return _gltf_faces(document) if document else None
    return None
