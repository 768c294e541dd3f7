"""The "loaded mesh" of the conventions: a source's geometry flattened into one triangle mesh."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import trimesh

from vdm.errors import VdmError

SOURCE_KINDS = ("file", "builtin", "objaverse")
# Colour given to uncoloured parts of a source in which other parts carry colours.
NEUTRAL_RGBA = np.array([200, 200, 200, 255], dtype=np.uint8)


@dataclass(frozen=True)
class SourceRef:
    """Where a mesh comes from and the sha256 that identifies its exact bytes."""

    kind: str
    ref: str
    sha256: str

    @property
    def spec(self) -> str:
        """The string a user types for this source (`builtin:cow`, `objaverse:<uid>`, a path)."""
        return self.ref if self.kind == "file" else f"{self.kind}:{self.ref}"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref, "sha256": self.sha256}


@dataclass
class LoadedMesh:
    """All geometry of a source in file order, transforms applied: face ids index `faces`.

    `vertex_colors` (N, 4) uint8 holds the source's vertex/texture colours, or None when the
    source has none.
    """

    source: SourceRef
    vertices: np.ndarray
    faces: np.ndarray
    vertex_colors: np.ndarray | None = None
    _trimesh: trimesh.Trimesh | None = field(default=None, repr=False, compare=False)

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    def to_trimesh(self) -> trimesh.Trimesh:
        """A trimesh view of the same arrays (not processed: face ids stay valid); cached."""
        if self._trimesh is None:
            self._trimesh = trimesh.Trimesh(self.vertices, self.faces, process=False, validate=False)
            if self.vertex_colors is not None:
                self._trimesh.visual.vertex_colors = self.vertex_colors
        return self._trimesh


def check_geometry(vertices: np.ndarray, faces: np.ndarray, where: str, max_faces: int) -> None:
    """Raise VdmError with one sentence if the arrays are not a usable triangle mesh."""
    if faces.size == 0 or len(vertices) == 0:
        raise VdmError(f"{where} contains no triangles.")
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise VdmError(f"{where} has faces that are not triangles (shape {faces.shape}).")
    if len(faces) > max_faces:
        raise VdmError(
            f"{where} has {len(faces):,} faces, over the limit of {max_faces:,} (raise it with --max-faces)."
        )
    bad = ~np.isfinite(vertices).all(axis=1)
    if bad.any():
        n_bad = int(bad.sum())
        raise VdmError(
            f"{where} has {n_bad} vert{'ex' if n_bad == 1 else 'ices'} with NaN or infinite coordinates."
        )
    lo, hi = int(faces.min()), int(faces.max())
    if lo < 0 or hi >= len(vertices):
        raise VdmError(
            f"{where} has faces indexing vertex {lo if lo < 0 else hi}, outside 0..{len(vertices) - 1}."
        )


def _colours_of(mesh: trimesh.Trimesh) -> np.ndarray | None:
    """Per-vertex RGBA the source really carries (vertex, face or texture colours), else None."""
    visual = mesh.visual
    kind = getattr(visual, "kind", None)
    if kind == "texture":
        uv = getattr(visual, "uv", None)
        material = getattr(visual, "material", None)
        has_image = material is not None and getattr(material, "image", None) is not None
        if uv is None or len(uv) != len(mesh.vertices) or not has_image:
            return None
        return np.asarray(visual.to_color().vertex_colors, dtype=np.uint8)
    if kind in ("vertex", "face"):
        return np.asarray(visual.vertex_colors, dtype=np.uint8)
    return None


def flatten_scene(scene: trimesh.Scene, source: SourceRef, where: str, max_faces: int) -> LoadedMesh:
    """Bake every mesh instance of `scene` in trimesh's dump order and merge into one LoadedMesh."""
    meshes = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh)]
    meshes = [m for m in meshes if len(m.faces)]
    if not meshes:
        raise VdmError(f"{where} contains no triangles.")
    total = sum(len(m.faces) for m in meshes)
    if total > max_faces:
        raise VdmError(
            f"{where} has {total:,} faces, over the limit of {max_faces:,} (raise it with --max-faces)."
        )
    vertices, faces, colours = [], [], []
    offset = 0
    for m in meshes:
        v = np.asarray(m.vertices, dtype=np.float64)
        f = np.asarray(m.faces, dtype=np.int64)
        # Check each part against its own vertices before offsets hide an out-of-range index.
        check_geometry(v, f, where, max_faces)
        vertices.append(v)
        faces.append(f + offset)
        colours.append(_colours_of(m))
        offset += len(v)
    merged_colours = None
    if any(c is not None for c in colours):
        filled = [
            c if c is not None else np.tile(NEUTRAL_RGBA, (len(v), 1))
            for c, v in zip(colours, vertices, strict=True)
        ]
        merged_colours = np.concatenate(filled)
    return LoadedMesh(source, np.concatenate(vertices), np.concatenate(faces), merged_colours)


def canonical_sha256(tag: str, vertices: np.ndarray, faces: np.ndarray, colours: np.ndarray | None) -> str:
    """sha256 of a procedural mesh's canonical serialisation (little-endian float64/int64 arrays)."""
    h = hashlib.sha256(tag.encode())
    h.update(np.ascontiguousarray(vertices, dtype="<f8").tobytes())
    h.update(np.ascontiguousarray(faces, dtype="<i8").tobytes())
    if colours is not None:
        h.update(np.ascontiguousarray(colours, dtype=np.uint8).tobytes())
    return h.hexdigest()
