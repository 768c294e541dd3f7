"""Curator clean-up helpers: one ring more or less, components by shared edges, islands; recorded edits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from vdm.errors import VdmError
from vdm.lasso.engine import replay
from vdm.lasso.refine import FaceGraph, drop_islands, grow, keep_component, keep_largest, shrink
from vdm.records import Camera, Edit, SelectionRecord, Stroke, load_record, parse_record
from vdm.sources import LoadedMesh, SourceRef
from vdm.sources.mesh import canonical_sha256


def _grid(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """An n x n grid of unit squares in the z = 0 plane, two triangles each (face 2k, 2k+1 = square k)."""
    xs, ys = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    vertices = np.stack([xs.ravel(), ys.ravel(), np.zeros(xs.size)], axis=1).astype(float)
    faces = []
    for i in range(n):
        for j in range(n):
            a, b, c, d = (
                i * (n + 1) + j,
                (i + 1) * (n + 1) + j,
                (i + 1) * (n + 1) + j + 1,
                i * (n + 1) + j + 1,
            )
            faces += [[a, b, c], [a, c, d]]
    return vertices, np.asarray(faces)


def _square_mask(n: int, cells: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(2 * n * n, dtype=bool)
    for i, j in cells:
        mask[2 * (i * n + j) : 2 * (i * n + j) + 2] = True
    return mask


def test_grow_and_shrink_by_one_ring():
    n = 10
    graph = FaceGraph(*_grid(n))
    block = _square_mask(n, [(i, j) for i in range(3, 6) for j in range(3, 6)])  # 3 x 3 squares
    grown = grow(graph, block)
    # Every triangle touching a block vertex: the 5 x 5 squares around it, less the two corner
    # triangles (of squares (2, 6) and (6, 2)) whose diagonal points away from the block.
    assert grown.sum() == 48 and not (block & ~grown).any()
    assert np.array_equal(grown, np.isin(graph.faces, np.unique(graph.faces[block])).any(axis=1))
    # Shrinking keeps the faces whose vertices all lie inside: only the centre square.
    assert np.array_equal(shrink(graph, block), _square_mask(n, [(4, 4)]))
    assert np.array_equal(shrink(graph, grown), block)
    assert shrink(graph, _square_mask(n, [(0, 0)])).sum() == 0


def test_components_by_shared_edges_and_welded_seams():
    n = 10
    vertices, faces = _grid(n)
    graph = FaceGraph(vertices, faces)
    big = _square_mask(n, [(i, j) for i in range(0, 4) for j in range(0, 4)])
    small = _square_mask(n, [(8, 8)])
    corner_touch = _square_mask(n, [(4, 4)])  # touches `big` at a single vertex only
    selection = big | small | corner_touch
    count, _ = graph.components(selection)
    assert count == 3
    assert np.array_equal(keep_largest(graph, selection), big)
    assert np.array_equal(keep_component(graph, selection, int(np.flatnonzero(small)[0])), small)
    assert np.array_equal(drop_islands(graph, selection, 3), big)
    assert np.array_equal(drop_islands(graph, selection, 2), selection)
    with pytest.raises(VdmError, match="not part of the selection"):
        keep_component(graph, selection, int(np.flatnonzero(~selection)[0]))
    # Split the grid along a seam with duplicated vertices: still one component once welded.
    half = faces[: n * n]
    other = faces[n * n :] + len(vertices)
    seamed = FaceGraph(np.vstack([vertices, vertices]), np.vstack([half, other]))
    everything = np.ones(2 * n * n, dtype=bool)
    assert seamed.components(everything)[0] == 1
    # Ties go to the component holding the smallest face id.
    two = _square_mask(n, [(0, 0), (9, 9)])
    assert np.flatnonzero(keep_largest(graph, two)).tolist() == [0, 1]


def _sphere_mesh() -> LoadedMesh:
    s = trimesh.creation.icosphere(subdivisions=3)
    vertices, faces = np.asarray(s.vertices), np.asarray(s.faces, dtype=np.int64)
    return LoadedMesh(
        SourceRef("file", "s.ply", canonical_sha256("s", vertices, faces, None)), vertices, faces
    )


def test_recorded_edits_replay_and_change_the_id(tmp_path):
    mesh = _sphere_mesh()
    camera = Camera(eye=(0.0, 0.0, 4.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0), width=400, height=400)
    left = Stroke(camera, ((120.0, 170.0), (170.0, 170.0), (170.0, 230.0), (120.0, 230.0)))
    right = Stroke(camera, ((250.0, 170.0), (290.0, 170.0), (290.0, 230.0), (250.0, 230.0)))
    plain = SelectionRecord(mesh.source, [left, right])
    edited = SelectionRecord(mesh.source, [left, right], edits=[Edit("keep_largest", 2), Edit("grow", 2)])
    both = replay(plain, mesh)
    kept = replay(edited, mesh)
    graph = FaceGraph(mesh.vertices, mesh.faces)
    chosen = np.zeros(mesh.n_faces, dtype=bool)
    chosen[both] = True
    assert graph.components(chosen)[0] == 2
    assert np.array_equal(np.flatnonzero(grow(graph, keep_largest(graph, chosen))), kept)
    assert edited.id != plain.id and "edits" not in plain.to_json()
    edited.face_ids = kept.tolist()
    again = load_record(edited.save(tmp_path))
    assert again.edits == edited.edits and np.array_equal(replay(again, mesh), kept)
    # An edit between strokes applies before the later strokes.
    early = SelectionRecord(mesh.source, [left, right], edits=[Edit("grow", 1)])
    expected = grow(
        graph, np.isin(np.arange(mesh.n_faces), replay(SelectionRecord(mesh.source, [left]), mesh))
    )
    expected[replay(SelectionRecord(mesh.source, [right]), mesh)] = True
    assert np.array_equal(replay(early, mesh), np.flatnonzero(expected))


@pytest.mark.parametrize(
    ("edits", "fragment"),
    [
        ([{"op": "smooth", "after_strokes": 1}], "must be one of grow"),
        ([{"op": "grow", "after_strokes": 2}], "must run from 1 to 1"),
        ([{"op": "grow"}], "missing field 'edits[0].after_strokes'"),
        ([{"op": "keep_component", "after_strokes": 1}], "missing field 'edits[0].face'"),
        ([{"op": "drop_islands", "after_strokes": 1, "min_faces": 0}], "at least 1"),
        ({"op": "grow"}, "must be a list"),
    ],
)
def test_bad_edits_give_one_sentence(edits, fragment):
    camera = Camera(eye=(0.0, 0.0, 4.0), target=(0.0, 0.0, 0.0), up=(0.0, 1.0, 0.0))
    data = SelectionRecord(
        SourceRef("builtin", "cow", "ab" * 32), [Stroke(camera, ((0, 0), (9, 0), (0, 9)))]
    ).to_json()
    data.pop("id")
    data["edits"] = edits
    with pytest.raises(VdmError) as info:
        parse_record(json.loads(json.dumps(data)), "Selection record r.json")
    message = str(info.value)
    assert fragment in message and message.endswith(".") and "\n" not in message
