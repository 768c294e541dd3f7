"""The headless selection engine: strokes of a selection record to face ids (conventions section 2).

A face is inside a stroke when its centroid projects strictly inside the stroke's polygon (even-odd
rule) and lies in front of the camera. Without x-ray it must also be visible: front-facing (its
winding faces the camera) and not hidden, i.e. a ray from the camera toward its centroid meets no
surface more than a small tolerance before reaching it. Occlusion is decided by ray casting on the
CPU (Embree through embreex), so a replay gives the same ids on any machine, unlike a GPU id buffer
whose rasterisation rules differ between drivers. Strokes apply in order: add = union,
subtract = difference.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from vdm.errors import VdmError
from vdm.geometry import area_vectors, points_in_polygon
from vdm.lasso.camera import CameraFrame, camera_frame, pixel_rays, project_points, row_dot
from vdm.lasso.refine import FaceGraph, apply_edit
from vdm.records import Camera, Edit, SelectionRecord, Stroke, check_face_ids
from vdm.sources import LoadedMesh

log = logging.getLogger(__name__)

# A surface closer than this fraction of the mesh's bounding-box diagonal in front of a centroid
# does not hide it: coincident duplicate shells (seams, z-fighting layers) count as visible, and
# Embree's float32 hit distances (errors about 1e-7 of the scene size) never decide a case.
OCCLUSION_TOLERANCE = 1e-4


class SelectionEngine:
    """Per-mesh state for selecting faces: centroids, face normals and the Embree scene (lazy)."""

    def __init__(self, mesh: LoadedMesh) -> None:
        self.mesh = mesh
        vertices = np.asarray(mesh.vertices, dtype=np.float64)
        faces = np.asarray(mesh.faces, dtype=np.int64)
        a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
        self.centroids = (a + b + c) / 3.0
        self.normals = area_vectors(vertices, faces)  # only their sign against the view matters
        lo, hi = vertices.min(axis=0), vertices.max(axis=0)
        self.center = (lo + hi) / 2.0
        self.diagonal = float(np.linalg.norm(hi - lo)) or 1.0
        self._scene = None
        self._graph: FaceGraph | None = None

    @property
    def n_faces(self) -> int:
        return len(self.centroids)

    @property
    def graph(self) -> FaceGraph:
        """Face adjacency for the curator edits (built on first use)."""
        if self._graph is None:
            self._graph = FaceGraph(self.mesh.vertices, self.mesh.faces)
        return self._graph

    def prepare(self) -> None:
        """Build the Embree scene now (about 2 s per million faces) rather than at the first stroke."""
        self._embree_scene()

    def _embree_scene(self):
        """The mesh in Embree, centred and scaled to unit size so float32 keeps its precision."""
        if self._scene is None:
            from embreex import rtcore_scene
            from embreex.mesh_construction import TriangleMesh

            self._scene = rtcore_scene.EmbreeScene()
            local = (np.asarray(self.mesh.vertices, dtype=np.float64) - self.center) / self.diagonal
            TriangleMesh(
                scene=self._scene,
                vertices=local.astype(np.float32),
                indices=np.ascontiguousarray(self.mesh.faces, dtype=np.int32),
            )
        return self._scene

    def stroke_faces(self, stroke: Stroke) -> np.ndarray:
        """Sorted ids of the faces one stroke covers (ignoring its op)."""
        if len(stroke.polygon_px) < 3:
            raise VdmError(
                f"A lasso needs at least 3 polygon points, this stroke has {len(stroke.polygon_px)}."
            )
        frame = camera_frame(stroke.camera)
        pixels, depth = project_points(frame, self.centroids)
        candidates = np.flatnonzero(depth > 0.0)
        inside = points_in_polygon(pixels[candidates], np.asarray(stroke.polygon_px, dtype=np.float64))
        candidates = candidates[inside]
        if not stroke.xray and len(candidates):
            candidates = candidates[self.visible(frame, candidates)]
        return candidates

    def visible(self, frame: CameraFrame, ids: np.ndarray) -> np.ndarray:
        """Mask of the faces `ids` that face the camera and that nothing hides."""
        centroids = self.centroids[ids]
        normals = self.normals[ids]
        if frame.perspective:
            facing = row_dot(normals, frame.eye - centroids) > 0.0
        else:
            facing = row_dot(normals, -frame.forward) > 0.0
        visible = np.zeros(len(ids), dtype=bool)
        if not facing.any():
            return visible
        front = np.flatnonzero(facing)
        # Rays start at the camera (perspective) or on the plane through it (orthographic) and
        # end just short of the centroid; any hit before that end hides the face.
        local = (centroids[front] - self.center) / self.diagonal
        if frame.perspective:
            origins = np.broadcast_to((frame.eye - self.center) / self.diagonal, local.shape)
            offsets = local - origins
            distances = np.linalg.norm(offsets, axis=1)
            directions = offsets / distances[:, None]
        else:
            distances = row_dot(centroids[front] - frame.eye, frame.forward) / self.diagonal
            directions = np.broadcast_to(frame.forward, local.shape)
            origins = local - distances[:, None] * directions
        limits = distances - OCCLUSION_TOLERANCE
        hits = self._embree_scene().run(
            np.ascontiguousarray(origins, dtype=np.float32),
            np.ascontiguousarray(directions, dtype=np.float32),
            dists=np.ascontiguousarray(limits, dtype=np.float32),
        )
        visible[front] = np.asarray(hits) < 0
        return visible

    def face_at(self, camera: Camera, pixel: tuple[float, float]) -> int | None:
        """The face seen at a screen pixel (the first surface the pixel's ray meets), or None."""
        origins, directions = pixel_rays(camera, np.asarray([pixel], dtype=np.float64))
        local = (origins - self.center) / self.diagonal
        hit = self._embree_scene().run(local.astype(np.float32), directions.astype(np.float32))
        return int(hit[0]) if hit[0] >= 0 else None

    def select(self, strokes: Sequence[Stroke], edits: Sequence[Edit] = ()) -> np.ndarray:
        """Apply the strokes in order (add = union, subtract = difference), each edit once the
        strokes before it are applied; sorted int64 face ids."""
        selected = np.zeros(self.n_faces, dtype=bool)
        pending = sorted(edits, key=lambda e: e.after_strokes)  # stable: same-step edits keep their order
        for done, stroke in enumerate(strokes, start=1):
            selected[self.stroke_faces(stroke)] = stroke.op == "add"
            while pending and pending[0].after_strokes <= done:
                selected = apply_edit(self.graph, selected, pending.pop(0))
        return np.flatnonzero(selected).astype(np.int64)


_engines: dict[int, tuple[weakref.ref, SelectionEngine]] = {}


def engine_for(mesh: LoadedMesh) -> SelectionEngine:
    """The engine of a loaded mesh, built once per mesh object and kept while the mesh lives."""
    key = id(mesh)
    entry = _engines.get(key)
    if entry is not None and entry[0]() is mesh:
        return entry[1]
    engine = SelectionEngine(mesh)
    # The callback holds the dict itself: at interpreter exit the module global may already be None.
    forget = lambda _ref, key=key, engines=_engines: engines.pop(key, None)  # noqa: E731
    _engines[key] = (weakref.ref(mesh, forget), engine)
    return engine


def select_faces(mesh: LoadedMesh, strokes: Sequence[Stroke]) -> np.ndarray:
    """Face ids (sorted, unique, int64) that the strokes select on the loaded mesh."""
    return engine_for(mesh).select(strokes)


def replay(record: SelectionRecord, mesh: LoadedMesh, where: str = "Selection record") -> np.ndarray:
    """Replay a record on its loaded source; checks the sha256 and the cached face ids.

    Raises VdmError with one sentence when the mesh is not the record's source (other bytes) or
    when the replayed ids differ from the ids the record caches.
    """
    if record.source.sha256 != mesh.source.sha256:
        raise VdmError(
            f"{where}: it was made on {record.source.spec} (sha256 {record.source.sha256[:12]}), "
            f"but {mesh.source.spec} has sha256 {mesh.source.sha256[:12]}: "
            "the file changed or is another mesh."
        )
    check_face_ids(record, mesh.n_faces, where)
    ids = engine_for(mesh).select(record.strokes, record.edits)
    if record.face_ids is not None:
        cached = np.unique(np.asarray(record.face_ids, dtype=np.int64))
        if not np.array_equal(cached, ids):
            missing = np.setdiff1d(cached, ids).size
            extra = np.setdiff1d(ids, cached).size
            raise VdmError(
                f"{where}: replaying its strokes selects {ids.size} faces but it caches {cached.size} "
                f"({missing} cached faces not selected, {extra} selected faces not cached)."
            )
    return ids


def with_face_ids(
    record: SelectionRecord, mesh: LoadedMesh, where: str = "Selection record"
) -> SelectionRecord:
    """A copy of `record` whose cached face ids are its replay on `mesh` (checked as `replay` checks):
    the one way from a record to its faces; the record given is left as it was."""
    return replace(record, face_ids=[int(i) for i in replay(record, mesh, where)])
