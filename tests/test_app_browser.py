"""`vdm app` in a real browser: Debian's chromium, headless, driven by Playwright (its own browser
download is not used) against `python -m vdm app` on a free local port.

The Picture tab makes a brush from a picture and ground-truth normal maps (the sunk ball rendered by
`vdm render`'s renderer: a tiny random model's normals are noise and its reconstruction fails, which
test_image.py covers), shows every output, and its downloads are the run's own files byte for byte;
a mistake is one sentence. The Dataset tab shows a tiny dataset's patches, pictures and rejections.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from app_browser import SERVE_S, UI_MS, started_app, wait_until_serving
from conftest import GENVDM_DATA, REPO
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect
from render_shapes import ball_patch
from train_data import write_ball_dataset

from vdm.images import compose_grid, write_png
from vdm.render.renderer import PatchRenderer
from vdm.rig import GRID_VIEWS
from vdm.vdm_file import read_vdm
from vdm.vdm_grid import vdm_picture

# A reconstruction (draft quality) and Blender's brush: half a minute or more on a busy 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app-browser")]  # one server, one browser

RUN_MS = 15 * 60 * 1000  # a brush: generous for a machine busy with the rest of the suite
PICTURE = GENVDM_DATA / "inputs" / "ear1.png"
WITH_VDM, WITHOUT_VDM = "00ba11-a0", "01ba11-a0"  # the tiny dataset's patches
REJECTION = "The part touches the square border."


@dataclass
class Served:
    url: str
    port: int
    runs: Path
    dataset: Path


def tiny_dataset(root: Path) -> Path:
    """Two ball patches (views and manifest), a baked VDM for the first (GenVDM's ear3.exr stands in)
    and one rejection."""
    write_ball_dataset(root)
    (root / "vdms").mkdir()
    shutil.copyfile(GENVDM_DATA / "ear3.exr", root / "vdms" / f"{WITH_VDM}.exr")
    rejection = {"id": "02ba11-a0", "stage": "stitch", "reason": REJECTION}
    (root / "rejected.jsonl").write_text(json.dumps(rejection) + "\n")
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """`vdm app` in its own process group, with its runs, Gradio's cache and its log in a tmp folder."""
    root = tmp_path_factory.mktemp("app")
    dataset = tiny_dataset(root / "dataset")
    with started_app(root, "--out", root / "runs", "--dataset", dataset) as (server, url, port):
        wait_until_serving(url, server, root / "server.log")
        yield Served(url, port, root / "runs", dataset)


@pytest.fixture
def page(browser: BrowserContext, served: Served) -> Iterator[Page]:
    page = browser.new_page()
    page.set_default_timeout(UI_MS)
    page.goto(served.url)
    page.locator("#run").wait_for()
    yield page
    page.close()


def ball_grid(path: Path) -> Path:
    """Six ground-truth normal maps of the sunk ball as one grid PNG."""
    with PatchRenderer(320) as renderer:
        views = renderer.render(ball_patch(n_around=96, n_ball=32, n_plane=8))
    return write_png(path, compose_grid({k: views[k].normal for k in GRID_VIEWS}))


def upload(page: Page, field: str, path: Path) -> None:
    page.set_input_files(f"#{field} input[type=file]", path)
    page.locator(f"#{field} img").wait_for()


def picture_bytes(page: Page, selector: str) -> np.ndarray:
    """The pixels of a picture the page shows (fetched from its src)."""
    source = page.locator(selector).get_attribute("src")
    return np.asarray(Image.open(io.BytesIO(page.request.get(source).body())))


def test_a_picture_and_its_normal_maps_become_a_brush_in_the_browser(page, served, tmp_path):
    upload(page, "picture", PICTURE)
    upload(page, "normals", ball_grid(tmp_path / "grid.png"))
    page.get_by_role("button", name="Settings ▼").click()
    page.locator("#quality label", has_text="draft").click()  # a first look in seconds
    page.click("#run")
    # progress per step, the reconstruction's own bar beneath it
    page.locator("#condition .progress-level", has_text="3/4 reconstruct the VDM").wait_for(timeout=RUN_MS)
    page.locator("#blend-file a[download]").wait_for(timeout=RUN_MS)
    (run,) = served.runs.iterdir()
    assert run.name.split("-")[2] == "ear1"
    assert json.loads((run / "report.json").read_text())["reconstruct"]["quality"] == "draft"
    assert page.locator("#condition img").get_attribute("src").endswith("/cutout.png")  # no model ran
    assert page.locator("#grid img").get_attribute("src").endswith("/grid.png")
    assert page.locator("#preview img").get_attribute("src").endswith("/preview.png")
    model_file = page.locator("#brush3d a[download]").get_attribute("href")
    assert page.request.get(model_file).body() == (run / "brush.glb").read_bytes()
    expect(page.locator("#brush3d canvas")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text(str(run))
    for field, name in (("vdm-file", "vdm.exr"), ("blend-file", "brush.blend")):
        with page.expect_download() as download:
            page.click(f"#{field} a[download]")
        assert download.value.suggested_filename == name
        assert Path(download.value.path()).read_bytes() == (run / name).read_bytes(), name
    page.wait_for_timeout(2000)  # the 3-D view draws its first frames
    page.screenshot(path=tmp_path / "app.png", full_page=True)


def test_a_picture_without_a_model_or_normal_maps_is_one_sentence(page, served):
    before = set(served.runs.iterdir()) if served.runs.exists() else set()
    upload(page, "picture", PICTURE)
    page.click("#run")
    toast = page.locator("[data-testid='toast-body']")
    expect(toast).to_contain_text("vdm image needs a model")
    assert "Traceback" not in page.content()
    assert (set(served.runs.iterdir()) if served.runs.exists() else set()) == before  # nothing written


def test_the_dataset_tab_shows_patches_pictures_and_rejections(page, served):
    page.get_by_role("tab", name="Dataset").click()
    expect(page.locator("#dataset-counts")).to_contain_text("2 patches, 1 rejected")
    expect(page.locator("#gallery img")).to_have_count(2)
    expect(page.locator("#patches")).to_contain_text(WITHOUT_VDM)
    expect(page.locator("#rejections")).to_contain_text(REJECTION)
    page.locator("#patch-vdm img").wait_for()  # the first patch is shown: its VDM as a picture
    truth = vdm_picture(read_vdm(served.dataset / "vdms" / f"{WITH_VDM}.exr"))
    assert np.array_equal(picture_bytes(page, "#patch-vdm img")[..., :3], truth)
    front = np.asarray(Image.open(served.dataset / "views" / WITH_VDM / "rgb_2.png").convert("RGB"))
    assert np.array_equal(picture_bytes(page, "#patch-rgb img")[..., :3], front)
    page.locator("#gallery img").nth(1).click()  # the second patch: no VDM baked
    expect(page.locator("#patch input")).to_have_value(WITHOUT_VDM)
    expect(page.locator("#patch-vdm img")).to_have_count(0)
    page.fill("#dataset textarea", str(served.dataset / "missing"))
    page.press("#dataset textarea", "Enter")
    expect(page.locator("[data-testid='toast-body']")).to_contain_text("is not a vdm dataset")
    assert "Traceback" not in page.content()


def test_a_taken_port_is_one_sentence(served, tmp_path):
    port = served.port
    again = subprocess.run(
        [sys.executable, "-m", "vdm", "app", "--port", str(port), "--out", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(REPO), "GRADIO_ANALYTICS_ENABLED": "False"},
        capture_output=True,
        text=True,
        timeout=SERVE_S,
    )
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        f"error: Cannot serve on 127.0.0.1:{port}: the port is taken or the address is not this "
        "machine's (choose another with --port or --host)."
    )
    assert "Traceback" not in again.stderr
