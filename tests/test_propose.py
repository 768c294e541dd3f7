"""`vdm propose`: parts found by their necks, lassoed as replayable records, checked by stitching."""

from __future__ import annotations

import colorsys
import json
import re
from dataclasses import replace

import numpy as np
import pytest
import trimesh
from conftest import assert_one_sentence_error, builtin_mesh

from vdm.images import read_image
from vdm.lasso.engine import engine_for, replay
from vdm.proposal_index import read_proposals
from vdm.propose.config import ProposeConfig
from vdm.propose.overview import proposal_colours
from vdm.propose.proposals import ProposalSet, _try_part, propose
from vdm.propose.recall import found_parts, tip_recall, tips_held
from vdm.propose.strokes import lasso_part
from vdm.records import load_record, shipped_records
from vdm.sources import load_source
from vdm.sources.builtin import builtin_tips
from vdm.sources.creature import EYE
from vdm.stitching.selection import stitch_selection

ARMS = {  # direction -> (radius, length) of a capsule pushed through a unit sphere
    (1.0, 0.0, 0.0): (0.16, 0.9),
    (0.0, 1.0, 0.0): (0.22, 0.7),
    (-0.6, -0.3, 0.74): (0.12, 0.8),
}


def sphere_with_arms(path) -> None:
    """A polygon soup: a sphere and three capsules that pierce it, never joined (as Objaverse has them)."""
    shells = [trimesh.creation.icosphere(subdivisions=4, radius=1.0)]
    for direction, (radius, length) in ARMS.items():
        d = np.asarray(direction) / np.linalg.norm(direction)
        arm = trimesh.creation.capsule(height=length + 0.5, radius=radius, count=[24, 24])
        arm.apply_transform(trimesh.geometry.align_vectors([0, 0, 1], d))
        arm.apply_translation(d * (0.75 + (length + 0.5) / 2 - 0.25))
        shells.append(arm)
    trimesh.util.concatenate(shells).export(path)


@pytest.mark.parametrize("name", [pytest.param("cow", marks=pytest.mark.slow), "bunny", "creature"])
def test_the_top_ten_find_the_shipped_parts_and_most_stitch(name):
    mesh = builtin_mesh(f"builtin:{name}")
    found = propose(mesh, ProposeConfig(count=10), progress=False)
    records = [load_record(p) for p in shipped_records() if p.stem.startswith(f"{name}-")]
    hits = found_parts([r.face_ids for r in records], [p.face_ids for p in found.proposals])
    assert sum(hits) / len(hits) >= 0.8, [r.note for r, hit in zip(records, hits, strict=True) if not hit]
    refused = sum(r["reason"].startswith("stitching") for r in found.refused)
    assert len(found.proposals) / (len(found.proposals) + refused) >= 0.75
    ranking = [(p.part.limb, -p.part.score) for p in found.proposals]  # legs last, else best score first
    assert ranking == sorted(ranking) and len(found.proposals) <= 10
    for proposal in found.proposals:  # real strokes: the record replays to its cached faces
        assert np.array_equal(replay(proposal.record, mesh), proposal.face_ids)
        assert proposal.iou > 0.5 and proposal.record.note.startswith(f"proposal {proposal.rank}:")


@pytest.mark.slow
def test_propose_finds_the_arms_of_a_soup_resumes_and_records_a_bad_source(tmp_path, run_cli):
    soup = tmp_path / "sphere-arms.ply"
    sphere_with_arms(soup)
    out = tmp_path / "proposals"
    result = run_cli("propose", soup, "--out", out, "--count", 5)
    assert result.code == 0, result
    assert re.search(r"^propose .*sphere-arms\.ply: 1/\d+ candidates \([01] kept\)", result.err, re.M)
    mesh = load_source(str(soup))
    records = read_proposals(out, mesh.source)
    assert len(records) == 3  # the three arms, nothing of the sphere
    tips = []
    for record in records:
        ids = replay(record, mesh)
        centre = mesh.vertices[mesh.faces[ids]].mean(axis=(0, 1))
        tips.append(centre / np.linalg.norm(centre))
    directions = [np.asarray(d) / np.linalg.norm(d) for d in ARMS]
    assert sorted(int(np.argmax([t @ d for d in directions])) for t in tips) == [0, 1, 2]
    assert all(max(t @ d for d in directions) > 0.95 for t in tips)
    index = json.loads(next((out / "proposals").glob("*.json")).read_text())
    assert [p["rank"] for p in index["proposals"]] == [1, 2, 3]
    again = propose(mesh, ProposeConfig(count=5, stitch_check=False), progress=False)  # deterministic
    assert [p.record.id for p in again.proposals] == [p["id"] for p in index["proposals"]]
    assert sorted(p.name for p in out.glob("*.json")) == sorted(p["record"] for p in index["proposals"])
    overview = read_image(next((out / "proposals").glob("*.png")), mode="HSV").astype(int)
    for colour in proposal_colours(3):  # every proposal is drawn in its hue (shading changes the value)
        hue = 255 * colorsys.rgb_to_hsv(*colour)[0]
        near = np.abs((overview[..., 0] - hue + 128) % 256 - 128) < 8
        assert (near & (overview[..., 1] > 120)).sum() > 2000

    broken = tmp_path / "broken.obj"
    broken.write_text("v 0 0 0\nf 1 2 3\n")
    again = run_cli("propose", soup, broken, "--out", out)
    assert_one_sentence_error(again, "1 of 2 sources failed")
    assert "done before" in again.out  # the soup is not proposed again
    failed = json.loads((out / "proposals" / "failed.json").read_text())
    assert list(failed) == [str(broken)]
    assert len(read_proposals(out, mesh.source)) == 3  # nothing written before is lost
    assert_one_sentence_error(run_cli("propose", tmp_path / "missing.obj", "--out", out), "does not exist")


def _snout(mesh, found):
    """The creature's snout proposal (the one holding its annotated tip)."""
    tips = [t for t in builtin_tips("creature") if t.name == "snout"]
    size = float(np.ptp(mesh.vertices, axis=0).max())
    held = tips_held(
        [t.point for t in tips], [p.face_ids for p in found.proposals], engine_for(mesh).centroids, size
    )
    return found.proposals[int(np.argmax(held[0]))]


def test_the_creature_snout_takes_no_piece_of_its_eyes_and_a_lasso_that_does_is_refused():
    mesh = builtin_mesh("builtin:creature")
    eye = np.flatnonzero((mesh.vertex_colors[mesh.faces][..., :3] == EYE[:3]).all(axis=(1, 2)))
    found = propose(mesh, ProposeConfig(count=5, stitch_check=False), progress=False)
    snout = _snout(mesh, found)
    assert np.intersect1d(snout.face_ids, eye).size == 0  # it took 104 eye faces: a blob on the plane
    patch = stitch_selection(mesh, snout.face_ids).patch
    assert (patch.vertex_colors[:, :3].astype(int).sum(axis=1) < 150).sum() == 0  # no dark eye blob

    # The same part told to keep the eyes it lies beside: its lasso takes them, and is refused.
    greedy = replace(snout.part, face_ids=np.union1d(snout.part.face_ids, eye), neighbour_face_ids=eye)
    config = ProposeConfig(stitch_check=False)
    lasso = lasso_part(engine_for(mesh), greedy, config.window, config.max_strokes, 1.0)
    assert np.intersect1d(lasso.face_ids, eye).size > config.neighbour_share * len(lasso.face_ids)
    refused = ProposalSet(mesh)
    _try_part(engine_for(mesh), mesh, greedy, config, refused)
    assert not refused.proposals
    assert re.fullmatch(
        r"its lasso also takes \d+ faces of a neighbouring part \(a second blob on the plane\)",
        refused.refused[0]["reason"],
    )


def test_legs_the_mesh_stands_on_rank_after_every_head_part():
    mesh = builtin_mesh("builtin:beast3")
    found = propose(mesh, ProposeConfig(stitch_check=False), progress=False)
    size = float(np.ptp(mesh.vertices, axis=0).max())
    tips = builtin_tips("beast3")
    recall = tip_recall(tips, [p.face_ids for p in found.proposals], engine_for(mesh).centroids, size)
    assert recall.limbs_last and recall.found / recall.wanted >= 0.8, recall
    limbs = [p.part.limb for p in found.proposals]
    assert limbs == sorted(limbs) and any(limbs)  # the legs come, after the rest
    legs = [t.point for t in tips if t.kind == "limb"]
    held = tips_held(legs, [p.face_ids for p in found.proposals], engine_for(mesh).centroids, size)
    for proposal, holds_a_leg in zip(found.proposals, held.any(axis=0), strict=True):
        if holds_a_leg:
            assert proposal.part.limb and "a leg the mesh stands on" in proposal.record.note
