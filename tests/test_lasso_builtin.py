"""The selection records shipped for the built-in meshes: regenerated exactly, replayable, on the part."""

from __future__ import annotations

import numpy as np
import pytest

from lasso.builtin_selections import SELECTIONS, builtin_selection_names, builtin_selection_path, make_record
from lasso.engine import engine_for, replay
from vdm.errors import VdmError
from vdm.records import load_record
from vdm.sources import load_source
from vdm.sources.creature import creature_parts

# Each part: a point on it (nearest face must be selected) for the one-piece meshes, or the index of
# its shell(s) in the creature's file order.
PART_POINTS = {
    "cow-ear": (0.18, 0.368, 0.574),
    "cow-horn": (0.139, 0.446, 0.649),
    "cow-nose": (0.0, 0.2, 0.873),
    "bunny-ear": (0.3, 0.54, 0.24),
}
CREATURE_SHELLS = {"creature-ear": (4, 5), "creature-horn": (10,), "creature-snout": (6,)}
HEAD_SHELLS = (0, 1)


@pytest.fixture(scope="module")
def meshes():
    return {spec: load_source(spec) for spec in sorted({s.source for s in SELECTIONS})}


def _shell_ranges() -> list[tuple[int, int]]:
    ranges, start = [], 0
    for _, faces, _ in creature_parts():
        ranges.append((start, start + len(faces)))
        start += len(faces)
    return ranges


def test_the_issue_parts_are_shipped():
    assert set(builtin_selection_names()) >= {*PART_POINTS, *CREATURE_SHELLS}
    with pytest.raises(VdmError, match="no shipped selection 'cow-tail'"):
        builtin_selection_path("cow-tail")


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: s.name)
def test_shipped_record_is_regenerated_byte_for_byte_and_replays(selection, meshes):
    mesh = meshes[selection.source]
    shipped = selection.path.read_text(encoding="utf-8")
    assert make_record(selection, mesh).dumps() == shipped
    record = load_record(selection.path)
    ids = replay(record, mesh)
    assert ids.tolist() == record.face_ids and len(ids) > 100


@pytest.mark.parametrize("name", sorted(PART_POINTS))
def test_one_piece_selections_cover_their_part_in_one_region(name, meshes):
    selection = next(s for s in SELECTIONS if s.name == name)
    mesh = meshes[selection.source]
    engine = engine_for(mesh)
    chosen = np.zeros(mesh.n_faces, dtype=bool)
    chosen[load_record(selection.path).face_ids] = True
    n_components, _ = engine.graph.components(chosen)
    assert n_components == 1
    nearest = int(np.argmin(np.linalg.norm(engine.centroids - PART_POINTS[name], axis=1)))
    assert chosen[nearest]
    # A part, not half the head: a small share of the surface, close around the part point.
    areas = np.linalg.norm(engine.normals, axis=1) / 2
    assert areas[chosen].sum() < 0.06 * areas.sum()
    spread = np.linalg.norm(engine.centroids[chosen] - PART_POINTS[name], axis=1).max()
    assert spread < 0.3 * engine.diagonal


@pytest.mark.parametrize("name", sorted(CREATURE_SHELLS))
def test_creature_selections_take_the_part_shells_and_head_around_them(name, meshes):
    mesh = meshes["builtin:creature"]
    ids = np.asarray(load_record(builtin_selection_path(name)).face_ids)
    ranges = _shell_ranges()
    shell_of = np.searchsorted([end for _, end in ranges], ids, side="right")
    counts = np.bincount(shell_of, minlength=len(ranges) + 1)
    part = CREATURE_SHELLS[name]
    part_faces = sum(ranges[i][1] - ranges[i][0] for i in part)
    assert counts[list(part)].sum() > 0.45 * part_faces  # hidden insides (in the head) stay out
    head = counts[list(HEAD_SHELLS)].sum()
    assert 50 < head < 0.1 * (ranges[1][1] - ranges[0][0])  # a ring of head, not half the head
    others = [i for i in range(len(counts)) if i not in (*part, *HEAD_SHELLS)]
    assert counts[others].sum() == 0
    centroids = engine_for(mesh).centroids
    part_centre = np.concatenate([centroids[slice(*ranges[i])] for i in part]).mean(axis=0)
    head_ids = ids[np.isin(shell_of, HEAD_SHELLS)]
    assert np.linalg.norm(centroids[head_ids] - part_centre, axis=1).max() < 1.0
