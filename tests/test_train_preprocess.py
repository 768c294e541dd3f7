"""The inference condition image: the GenVDM example inputs land on the grey square the way the
training renders' parts do; images without alpha fail in one sentence."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GENVDM_DATA, assert_one_sentence_error
from PIL import Image

from vdm.rig import FRONT_VIEW, PLANE_GREY, RENDER_SIZE
from vdm.train.preprocess import OBJECT_FILL, condition_image, read_rgba, square_box

INPUTS = sorted((GENVDM_DATA / "inputs").glob("*.png"))


def _template() -> np.ndarray:
    """The condition with no object: white canvas and the grey square."""
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    clear.putpixel((4, 4), (128, 128, 128, 255))  # one grey pixel: invisible on the square
    return condition_image(clear)


def test_the_reference_inputs_are_there():
    assert len(INPUTS) == 8, f"expected the 8 GenVDM example inputs in {GENVDM_DATA / 'inputs'}"


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_reference_inputs_land_inside_the_grey_square_at_training_scale(path):
    condition = condition_image(read_rgba(path))
    assert condition.shape == (RENDER_SIZE, RENDER_SIZE, 3)
    first, last = square_box()
    # The object's pixels differ from the template (white canvas, grey square).
    changed = np.abs(condition.astype(int) - _template().astype(int)).max(axis=-1) > 0
    ys, xs = np.nonzero(changed)
    assert first <= xs.min() and xs.max() < last and first <= ys.min() and ys.max() < last
    # Scale: the larger side of the opaque part is OBJECT_FILL of the square's side.
    extent = max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    assert abs(extent / (last - first) - OBJECT_FILL) < 0.02, extent
    # Centred on the square.
    assert abs((xs.min() + xs.max()) / 2 - (first + last - 1) / 2) <= 2
    assert abs((ys.min() + ys.max()) / 2 - (first + last - 1) / 2) <= 2


def test_grey_square_is_the_base_plane_of_the_front_render():
    """A real front render's plane covers exactly the grey square, in the same grey."""
    from render_shapes import ball_patch

    from vdm.render.renderer import PatchRenderer

    with PatchRenderer(RENDER_SIZE) as renderer:
        view = renderer.render(ball_patch(n_around=64, n_ball=24, n_plane=6), views=[FRONT_VIEW])[FRONT_VIEW]
    ys, xs = np.nonzero(view.mask)
    first, last = square_box()
    assert abs(xs.min() - first) <= 1 and abs(xs.max() + 1 - last) <= 1
    assert abs(ys.min() - first) <= 1 and abs(ys.max() + 1 - last) <= 1
    corner = view.rgb[first + 4, first + 4].astype(int)  # plane, away from the ball
    template = _template()
    assert np.abs(corner - template[first + 4, first + 4]).max() <= 2
    assert template[first + 4, first + 4, 0] == round(PLANE_GREY * 255)
    assert (template[: first - 1] == 255).all() and (view.rgb[: first - 1] == 255).all()


def test_images_without_alpha_fail_in_one_sentence(run_cli, tmp_path):
    rgb = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), (10, 200, 30)).save(rgb)
    result = run_cli("generate", rgb, "--model", tmp_path, "--out", tmp_path / "out")
    assert_one_sentence_error(result, "no alpha channel")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert_one_sentence_error(run_cli("generate", corrupt, "--out", tmp_path / "o"), "corrupt")
    opaque = tmp_path / "opaque.png"
    Image.new("RGBA", (32, 32), (10, 200, 30, 255)).save(opaque)
    assert_one_sentence_error(run_cli("generate", opaque, "--out", tmp_path / "o"), "transparent")
    assert not (tmp_path / "out").exists()
