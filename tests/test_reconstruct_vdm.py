"""VDM files (conventions section 6), vdm2mesh, metrics, and one-sentence errors for bad input."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import BEFORE_THE_WORK_S, GENVDM_DATA, assert_one_sentence_error

from vdm.errors import VdmError
from vdm.images import compose_grid
from vdm.patch import PART, PLANE, read_patch
from vdm.reconstruct.inputs import load_normal_views
from vdm.rig import GRID_VIEWS
from vdm.surface_metrics import chamfer, fscore, normal_consistency, sample_surface
from vdm.vdm_file import read_vdm, write_vdm
from vdm.vdm_grid import pixel_centres, vdm_to_patch

EAR3 = GENVDM_DATA / "ear3.exr"


def analytic_displacement(n: int) -> np.ndarray:
    """A smooth bump with sideways shear: R, G, B all non-trivial, zero near the border."""
    x, y = pixel_centres(n)
    bump = np.exp(-(x**2 + y**2) / 0.1)
    return np.stack([0.2 * y * bump, -0.1 * x * bump, 0.5 * bump], -1).astype(np.float32)


def test_written_exr_is_section_6_exactly(tmp_path):
    import OpenEXR

    disp = analytic_displacement(64)
    disp[0, 5] = 1.0  # a border pixel: must be written as 0
    path = write_vdm(tmp_path / "v.exr", disp)
    assert not list(tmp_path.glob(".*partial*"))
    with OpenEXR.File(str(path), separate_channels=True) as exr:
        channels = exr.channels()
        assert set(channels) == {"R", "G", "B"}
        for name in "RGB":
            assert channels[name].pixels.dtype == np.float32 and channels[name].pixels.shape == (64, 64)
        r, b = channels["R"].pixels, channels["B"].pixels
    # row 0 is y = +1: R = 0.2 y bump is positive in the top half, negative in the bottom half
    assert r[16, 32] > 0.0 and r[48, 32] < 0.0
    assert b.max() == pytest.approx(disp[1:-1, 1:-1, 2].max())
    back = read_vdm(path)
    for edge in (back[0], back[-1], back[:, 0], back[:, -1]):
        assert (edge == 0.0).all()
    assert np.array_equal(back[1:-1, 1:-1], disp[1:-1, 1:-1])


def test_vdm2mesh_inverts_a_known_displacement(tmp_path, run_cli):
    n = 48
    disp = analytic_displacement(n)
    write_vdm(tmp_path / "v.exr", disp)
    result = run_cli("vdm2mesh", tmp_path / "v.exr", "--out", tmp_path / "m.ply")
    assert result.code == 0, result.err
    patch = read_patch(tmp_path / "m.ply")
    grid = patch.vertices.reshape(n + 2, n + 2, 3)
    x, y = pixel_centres(n)
    expected = np.stack([x + disp[..., 0], y + disp[..., 1], disp[..., 2]], -1)
    expected[[0, -1], :] = np.stack([x, y, np.zeros_like(x)], -1)[[0, -1], :]
    expected[:, [0, -1]] = np.stack([x, y, np.zeros_like(x)], -1)[:, [0, -1]]
    assert np.abs(grid[1:-1, 1:-1] - expected).max() < 1e-5
    border = np.concatenate([grid[0], grid[-1], grid[:, 0], grid[:, -1]])
    assert (border[:, 2] == 0.0).all() and np.allclose(np.abs(border[:, :2]).max(1), 1.0)
    assert set(np.unique(patch.labels)) == {PLANE, PART}
    # faces point to +z on the flat part
    tri = patch.vertices[patch.faces]
    normal_z = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])[:, 2]
    assert (normal_z[np.abs(tri[..., 2]).max(1) == 0] > 0).all()


def test_ear3_loads_as_an_ear_on_the_plane():
    disp = read_vdm(EAR3)
    assert disp.shape == (512, 512, 3) and disp.dtype == np.float32
    patch = vdm_to_patch(disp, 128)
    z = patch.vertices[:, 2]
    assert 0.5 < z.max() < 0.6 and z.min() > -0.2
    assert 0.6 < (patch.labels == PART).mean() < 0.9
    # the ear leans sideways (R and G are real displacements), so it is not a height field
    assert np.abs(disp[..., :2]).max() > 0.2


def test_metrics_see_a_shift():
    truth = vdm_to_patch(read_vdm(EAR3), 96)
    a = sample_surface(truth, 5000, seed=0)
    b = sample_surface(truth, 5000, seed=1)
    assert chamfer(a.points, b.points) < 0.02
    assert fscore(a.points, b.points, 0.05) > 0.99
    assert normal_consistency(a, b) > 0.95
    shifted = b.points + np.array([0.0, 0.0, 0.1])
    assert chamfer(a.points, shifted) > 0.05
    assert fscore(a.points, shifted, 0.05) < 0.5


def test_bad_vdm_files(tmp_path, run_cli):
    assert_one_sentence_error(
        run_cli("vdm2mesh", tmp_path / "none.exr", "--out", tmp_path / "m.ply"), "exist"
    )
    (tmp_path / "junk.exr").write_bytes(b"not an exr")
    assert_one_sentence_error(run_cli("vdm2mesh", tmp_path / "junk.exr", "--out", tmp_path / "m.ply"))
    write_vdm(tmp_path / "v.exr", analytic_displacement(16))
    assert_one_sentence_error(run_cli("vdm2mesh", tmp_path / "v.exr", "--out", tmp_path / "m.obj"), ".ply")
    assert not (tmp_path / "m.ply").exists()


def flat_views(size: int = 32) -> dict[int, np.ndarray]:
    image = np.full((size, size, 3), 255, dtype=np.uint8)
    image[8:24, 8:24] = (128, 128, 255)
    return {k: image.copy() for k in GRID_VIEWS}


def test_missing_views_and_wrong_grid(tmp_path, run_cli):
    from PIL import Image

    views = flat_views()
    (tmp_path / "dir").mkdir()
    for k in (0, 1, 3):
        Image.fromarray(views[k]).save(tmp_path / "dir" / f"normal_{k}.png")
    result = run_cli("reconstruct", tmp_path / "dir", "--out", tmp_path / "out")
    assert_one_sentence_error(result, "normal_4.png")
    Image.fromarray(np.full((500, 500, 3), 255, np.uint8)).save(tmp_path / "grid.png")
    result = run_cli("reconstruct", tmp_path / "grid.png", "--out", tmp_path / "out")
    assert_one_sentence_error(result, "500 pixels wide and 500 high")
    assert_one_sentence_error(run_cli("reconstruct", tmp_path / "nothing", "--out", tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_all_background_and_nan_pixels(tmp_path, run_cli):
    from PIL import Image

    views = flat_views()
    views[5][:] = 255
    Image.fromarray(compose_grid(views, tile=32)).save(tmp_path / "grid.png")
    result = run_cli("reconstruct", tmp_path / "grid.png", "--out", tmp_path / "out")
    assert_one_sentence_error(result, "view 5", "background")
    Image.fromarray(compose_grid(flat_views(), tile=32)).save(tmp_path / "good.png")
    loaded = load_normal_views(tmp_path / "good.png", 16)
    assert set(loaded.normals) == set(GRID_VIEWS) and loaded.size == 16
    assert loaded.masks[0].sum() == 64 and np.allclose(
        loaded.normals[0][loaded.masks[0]], [0.0, 0.0, 1.0], atol=0.01
    )
    floats = {k: np.zeros((32, 32, 3), np.float32) for k in GRID_VIEWS}
    for image in floats.values():
        image[..., 2] = 1.0
    floats[3][4, 4] = np.nan
    with pytest.raises(VdmError, match="view 3 has NaN"):
        load_normal_views(floats, 32)
    assert load_normal_views({k: v for k, v in floats.items() if k != 3} | {3: floats[0]}, 16).size == 16


def _grid_of(tile: np.ndarray) -> np.ndarray:
    return compose_grid({k: tile for k in GRID_VIEWS}, tile=tile.shape[0])


def test_what_is_not_a_set_of_normal_maps_is_refused_at_once(tmp_path, run_cli):
    from PIL import Image

    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    noise[:8] = 255  # a white band: only the vectors give it away
    tilted = np.full((64, 64, 3), (191, 128, 238), np.uint8)  # unit normals everywhere, no white
    tilted[16:48, 16:48] = (128, 128, 255)
    cases = {
        "noise": (_grid_of(noise), "do not encode unit vectors"),
        "black": (np.zeros((192, 128, 3), np.uint8), "one uniform colour"),
        "grey": (np.full((192, 128, 3), 128, np.uint8), "one uniform colour"),
        "no_background": (_grid_of(tilted), "no white background"),
    }
    for name, (grid, fragment) in cases.items():
        Image.fromarray(grid).save(tmp_path / f"{name}.png")
        start = time.perf_counter()
        result = run_cli("reconstruct", tmp_path / f"{name}.png", "--out", tmp_path / "out")
        assert_one_sentence_error(result, fragment)
        assert time.perf_counter() - start < BEFORE_THE_WORK_S, name
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for k, image in flat_views().items():
        Image.fromarray(image if k != 4 else np.asarray(Image.fromarray(image).resize((48, 48)))).save(
            mixed / f"normal_{k}.png"
        )
    assert_one_sentence_error(run_cli("reconstruct", mixed, "--out", tmp_path / "out"), "view 4 is 48x48")
    assert not (tmp_path / "out").exists()


def test_tiny_and_truncated_vdm_files_are_one_sentence(tmp_path, run_cli):
    import OpenEXR

    channels = {name: np.zeros((2, 2), np.float32) for name in "RGB"}
    with OpenEXR.File({"compression": OpenEXR.NO_COMPRESSION}, channels) as tiny:
        tiny.write(str(tmp_path / "tiny.exr"))
    result = run_cli("vdm2mesh", tmp_path / "tiny.exr", "--out", tmp_path / "m.ply")
    assert_one_sentence_error(result, "is 2x2 pixels; a VDM has at least 3x3")
    data = write_vdm(tmp_path / "v.exr", analytic_displacement(64)).read_bytes()
    (tmp_path / "cut.exr").write_bytes(data[: len(data) // 2])
    # OpenEXR's C++ library prints its own lines to the process's stderr: only our sentence is left.
    command = ["vdm2mesh", str(tmp_path / "cut.exr"), "--out", str(tmp_path / "o.ply")]
    cut = subprocess.run(
        [sys.executable, "-m", "vdm", *command],
        capture_output=True,
        text=True,
    )
    lines = [line for line in cut.stderr.splitlines() if line.strip()]
    assert cut.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: VDM file"), cut.stderr
