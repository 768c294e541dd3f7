"""The shipped selections of real meshes (cow, bunny, creature) stitch into valid patches."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import builtin_mesh, stitched_shipped
from test_stitching import assert_valid_patch

from vdm.lasso.engine import replay
from vdm.records import load_record, shipped_records

EXPECTED = ["bunny-ear", "cow-ear", "cow-horn", "cow-nose", "creature-ear", "creature-horn", "creature-snout"]


def test_every_builtin_part_has_a_shipped_record():
    assert [p.stem for p in shipped_records()] == EXPECTED


@pytest.mark.parametrize("path", shipped_records(), ids=lambda p: p.stem)
def test_shipped_selection_stitches_into_a_valid_patch(path):
    record = load_record(path)
    mesh = builtin_mesh(record.source.spec)
    ids = replay(record, mesh, path.name)
    result = stitched_shipped(path.stem)
    assert result.report["accepted"]
    assert_valid_patch(result.patch)
    part = result.patch.vertices[result.patch.labels == 1]
    assert part[:, 2].max() > 0.3  # a real part stands out of the plane
    assert np.abs(part[:, :2]).max() <= 1.0 - 0.02
    if mesh.vertex_colors is not None:  # the creature's colours ride along onto the part
        colours = result.patch.vertex_colors
        source = {tuple(c) for c in mesh.vertex_colors[mesh.faces[ids].ravel(), :3].tolist()}
        assert {tuple(c) for c in colours[result.patch.labels == 1].tolist()} <= source
        assert (colours[result.patch.labels == 0] == 128).all()
    else:
        assert result.patch.vertex_colors is None
