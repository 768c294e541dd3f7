"""Dataset pictures a person can read: patches named by their notes and sources (not ids), a title,
and each panel's name above the columns."""

from __future__ import annotations

import numpy as np
from train_data import write_ball_dataset

from vdm.dataset import load_training_pair, read_manifest
from vdm.images import read_image
from vdm.mine.driver import patch_label, write_dataset_sheet
from vdm.render.sheet import HEADING_HEIGHT, TITLE_HEIGHT, SheetEntry, cell, contact_sheet


def _ink(region: np.ndarray) -> bool:
    return bool((region[..., :3] < 128).any())


def test_a_dataset_sheet_names_each_patch_and_its_panels(tmp_path):
    root = write_ball_dataset(tmp_path / "balls")
    entries = read_manifest(root)
    entries[0] |= {
        "note": "right horn",
        "source": {"kind": "builtin", "ref": "cow"},
        "augmentation": {"index": 2},
    }
    entries[1] |= {"generator": {"generator": "nose"}, "source": {"kind": "synthetic"}}
    assert [patch_label(e) for e in entries] == ["cow a2: right horn", "synthetic a0: nose"]

    sheet = read_image(write_dataset_sheet(root, entries))
    pair = load_training_pair(root, entries[0])
    plain = [SheetEntry(patch_label(e), pair.condition, pair.normal_grid) for e in entries]
    assert sheet.shape[0] == contact_sheet(plain, 64).shape[0] + TITLE_HEIGHT  # the title's band
    assert _ink(sheet[:TITLE_HEIGHT, :200])  # "balls: 2 of its 2 patches"
    headings = sheet[TITLE_HEIGHT : TITLE_HEIGHT + HEADING_HEIGHT]
    width = cell(plain[0], 64).shape[1]
    for left in (6, 6 + 2 * 64 + 6, 6 + width + 6):  # front view, six normal maps; the next column's
        assert _ink(headings[:, left : left + 40]), left
    named = cell(plain[0], 64)
    unnamed = cell(SheetEntry("", pair.condition, pair.normal_grid), 64)
    assert _ink(named[-14:]) and not _ink(unnamed[-14:])  # the caption is the name
