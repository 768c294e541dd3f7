"""The selection records shipped for the built-in meshes: they replay exactly, and select the part."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vdm.errors import VdmError
from vdm.lasso.builtin_selections import main, replayed_record
from vdm.lasso.engine import engine_for, replay
from vdm.records import load_record, shipped_record, shipped_records
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
    sources = {load_record(path).source.spec for path in shipped_records()}
    return {spec: load_source(spec) for spec in sorted(sources)}


def _shell_ranges() -> list[tuple[int, int]]:
    ranges, start = [], 0
    for _, faces, _ in creature_parts():
        ranges.append((start, start + len(faces)))
        start += len(faces)
    return ranges


def test_the_issue_parts_are_shipped():
    assert {p.stem for p in shipped_records()} >= {*PART_POINTS, *CREATURE_SHELLS}
    with pytest.raises(VdmError, match="no shipped selection 'cow-tail'"):
        shipped_record("cow-tail")


@pytest.mark.parametrize("path", shipped_records(), ids=lambda p: p.stem)
def test_shipped_record_replays_byte_for_byte(path, meshes):
    assert replayed_record(path).dumps() == path.read_text(encoding="utf-8")
    record = load_record(path)
    ids = replay(record, meshes[record.source.spec])
    assert ids.tolist() == record.face_ids and len(ids) > 100


def test_the_check_tool_passes_and_finds_a_stale_record(tmp_path, monkeypatch, caplog):
    assert main([]) == 0
    stale = tmp_path / "cow-ear.json"
    record = load_record(shipped_record("cow-ear"))
    stale.write_text(replace(record, face_ids=record.face_ids[1:]).dumps())
    monkeypatch.setattr("vdm.lasso.builtin_selections.shipped_records", lambda: [stale])
    assert main([]) == 1 and "cow-ear" in caplog.text
    assert main(["--update"]) == 0 and load_record(stale).face_ids == record.face_ids


@pytest.mark.parametrize("name", sorted(PART_POINTS))
def test_one_piece_selections_cover_their_part_in_one_region(name, meshes):
    record = load_record(shipped_record(name))
    mesh = meshes[record.source.spec]
    engine = engine_for(mesh)
    chosen = np.zeros(mesh.n_faces, dtype=bool)
    chosen[record.face_ids] = True
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
    ids = np.asarray(load_record(shipped_record(name)).face_ids)
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
