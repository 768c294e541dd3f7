"""The part cut out of a picture for `vdm image`: RGBA as it is, a plain light background keyed out
(GenVDM refuses RGB pictures), a mask; a picture none of these gives is one sentence at once."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import BEFORE_THE_WORK_S, GENVDM_DATA, assert_one_sentence_error
from PIL import Image

from vdm.errors import VdmError
from vdm.train.cutout import cut_out


def _part_on(background: tuple[int, int, int], size: int = 128) -> np.ndarray:
    """A reddish disc with a light spot inside (a highlight the key must not punch out)."""
    yy, xx = np.mgrid[:size, :size]
    rgb = np.full((size, size, 3), background, dtype=np.uint8)
    disc = (yy - 64) ** 2 + (xx - 60) ** 2 < 40**2
    rgb[disc] = (170, 80, 60)
    rgb[(yy - 55) ** 2 + (xx - 50) ** 2 < 6**2] = background  # the highlight: the background's colour
    return rgb, disc


def test_a_plain_light_background_is_keyed_out_and_holes_inside_the_part_stay(tmp_path):
    rgb, disc = _part_on((238, 236, 230))
    Image.fromarray(rgb).save(tmp_path / "part.jpg", quality=92)  # a photo's compression noise
    alpha = np.asarray(cut_out(tmp_path / "part.jpg"))[..., 3] > 127
    assert (alpha == disc).mean() > 0.98  # the disc, its highlight included, and nothing else


def test_rgba_and_masked_pictures_are_taken_as_given(tmp_path):
    rgba = cut_out(GENVDM_DATA / "inputs" / "ear1.png")
    assert np.array_equal(
        np.asarray(rgba), np.asarray(Image.open(GENVDM_DATA / "inputs" / "ear1.png").convert("RGBA"))
    )
    rgb, disc = _part_on((30, 90, 40))  # a dark green background: not keyable, but a mask says
    Image.fromarray(rgb).save(tmp_path / "dark.png")
    Image.fromarray((disc * 255).astype(np.uint8)).save(tmp_path / "mask.png")
    alpha = np.asarray(cut_out(tmp_path / "dark.png", tmp_path / "mask.png"))[..., 3] > 127
    assert np.array_equal(alpha, disc)


def test_pictures_that_give_no_part_are_one_sentence(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "busy.png")
    rgb, _ = _part_on((30, 90, 40))
    Image.fromarray(rgb).save(tmp_path / "dark.png")
    Image.fromarray(np.full((64, 64, 3), 240, dtype=np.uint8)).save(tmp_path / "blank.png")
    for name, fragment in (("busy", "not one plain light colour"), ("dark", "not one plain light colour")):
        with pytest.raises(VdmError, match=fragment):
            cut_out(tmp_path / f"{name}.png")
    with pytest.raises(VdmError, match="leaves 0% of it as the part"):
        cut_out(tmp_path / "blank.png")
    start = time.perf_counter()
    result = run_cli("image", tmp_path / "busy.png", "--out", tmp_path / "o", "--model", tmp_path)
    assert_one_sentence_error(result, "give an RGBA picture of the part, or its mask with --mask")
    assert time.perf_counter() - start < BEFORE_THE_WORK_S
    missing = run_cli(
        "image", GENVDM_DATA / "inputs" / "ear1.png", "--out", tmp_path / "o", "--model", tmp_path / "none"
    )
    assert_one_sentence_error(missing, "There is no model at", "huggingface.co/datasets/yzyang/VDM_Dataset")
    assert not (tmp_path / "o").exists()  # nothing written
