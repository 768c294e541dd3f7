"""`vdm pack`: shipped selections and a bad part to one brush library, resumed, opened in bpy 4.5 and
5.0; and each other sculptor's file read back through that tool's documented convention."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_one_sentence_error
from render_shapes import octahedra

from vdm.bake.blend import CATALOG_FILE, catalog_id
from vdm.bake.formats import FORMATS, write_format
from vdm.bake.pack import LIBRARY, WORK
from vdm.patch import write_patch
from vdm.records import shipped_record
from vdm.vdm_file import read_vdm
from vdm.vdm_grid import vdm_to_patch

PARTS = ("cow-horn", "creature-horn", "bunny-ear")
pytestmark = pytest.mark.xdist_group("pack")  # one library, made once, on one worker


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """A library of three shipped selections and one mesh that is not a patch, packed once."""
    from rich.console import Console

    from vdm.bake.config import BakeConfig
    from vdm.bake.pack import pack

    folder = tmp_path_factory.mktemp("parts")
    for name in PARTS:
        (folder / f"{name}.json").write_bytes(shipped_record(name).read_bytes())
    write_patch(folder / "two-blobs.ply", octahedra(np.array([[0.0, 0.0, 0.5], [0.5, 0.5, 0.5]]), 0.1))
    (folder / "cow horn again.json").write_bytes(shipped_record("cow-horn").read_bytes())  # packed once
    (folder / "0123456789abcdef.report.json").write_text('{"accepted": true}')  # vdm stitch's: not a part
    (folder / "empty.json").write_text("")  # left out with its reason, the rest packed
    out = tmp_path_factory.mktemp("pack") / "library"
    pack([folder], out, BakeConfig(half=True), ("mudbox",), 2, Console(stderr=True))
    return folder, out


def test_the_library_holds_each_part_named_sorted_and_says_what_it_left_out(library):
    _, out = library
    summary = json.loads((out / "pack.json").read_text())
    names = [b["name"] for b in summary["brushes"]]
    assert names == ["Right ear", "Right horn (cow)", "Right horn (creature)"]  # by catalog, then name
    assert [b["catalog"] for b in summary["brushes"]] == ["ear/bunny", "horn/cow", "horn/creature"]
    empty, blobs = summary["left_out"]
    assert empty["part"].endswith("empty.json") and "damaged" in empty["reason"]
    assert blobs["part"].endswith("two-blobs.ply") and "not a patch" in blobs["reason"]
    for name in names:
        assert (out / "vdm" / f"{name}.exr").is_file() and (out / "previews" / f"{name}.png").is_file()
        assert (out / "mudbox" / f"{name}_vdm.exr").is_file()
    catalogs = (out / CATALOG_FILE).read_text()
    assert all(catalog_id(c) in catalogs for c in ("ear/bunny", "horn/cow", "horn/creature", "horn", "ear"))
    install = (out / "INSTALL.md").read_text()
    assert "Asset Libraries" in install and "`mudbox/`" in install and "`zbrush/`" not in install  # made only
    from PIL import Image

    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width > 3 * 160 and sheet.height > 160


def test_a_folder_holding_other_files_or_another_library_is_refused(library, run_cli, tmp_path):
    _, out = library
    other = run_cli("pack", shipped_record("cow-ear"), "--out", out)  # would drop the three brushes
    assert_one_sentence_error(other, "holds a library with 3 parts not among these inputs")
    mine = tmp_path / "my project"
    mine.mkdir()
    (mine / "INSTALL.md").write_text("my notes")
    assert_one_sentence_error(
        run_cli("pack", shipped_record("cow-ear"), "--out", mine), "already holds other files"
    )
    assert (mine / "INSTALL.md").read_text() == "my notes"


def test_a_library_being_packed_is_not_packed_twice_at_once(run_cli, tmp_path):
    from vdm.folder_lock import FolderLock

    out = tmp_path / "library"
    out.mkdir()
    with FolderLock(out, "held", "wait"):  # another vdm pack into the same --out, still running
        busy = run_cli("pack", shipped_record("cow-ear"), "--out", out)
    assert_one_sentence_error(busy, f"Library {out} is being packed by process", "pack into another --out")


def test_a_second_run_bakes_nothing_again(library, run_cli):
    folder, out = library
    before = {p: p.stat().st_mtime_ns for p in (out / WORK).glob("*/vdm.exr")}
    result = run_cli("pack", folder, "--out", out, "--workers", "1")
    assert result.code == 0, result.err
    assert "3 of 4 parts baked before" in result.err or "4 of 4 parts baked before" in result.err
    assert {p: p.stat().st_mtime_ns for p in (out / WORK).glob("*/vdm.exr")} == before


@pytest.mark.parametrize("version", ["4.5", "5.0"])
def test_blender_opens_the_library_with_every_brush_its_icon_catalog_and_stamp(library, version):
    from blender_check import inspect_blend

    _, out = library
    brushes, surfaces = inspect_blend(out / LIBRARY, version)
    summary = {b["name"]: b for b in json.loads((out / "pack.json").read_text())["brushes"]}
    assert sorted(b["name"] for b in brushes) == sorted(summary)
    for brush in brushes:
        assert brush["asset"] and brush["sculpt_shelf"] and brush["preview_custom"], brush
        assert brush["catalog_id"] == catalog_id(summary[brush["name"]]["catalog"])
        assert (brush["license"], brush["author"]) == (
            summary[brush["name"]]["licence"],
            summary[brush["name"]]["author"],
        )
        assert brush["map_mode"] == "AREA_PLANE" and not brush["pressure_strength"] and brush["packed"]
        n = brush["size"][0]
        grid = vdm_to_patch(read_vdm(out / "vdm" / f"{brush['name']}.exr")).vertices.reshape(n + 2, n + 2, 3)
        assert np.abs(surfaces[brush["name"]] - grid[1:-1, 1:-1]).max() < 1e-5  # inside its circle, all of it


def test_unknown_format_and_an_empty_input_are_one_sentence(run_cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_sentence_error(
        run_cli("pack", empty, "--out", tmp_path / "o", "--format", "maya"), "Unknown --format"
    )
    assert_one_sentence_error(run_cli("pack", empty, "--out", tmp_path / "o"), "nothing to pack")


# Each tool's convention as its documentation states it (docs/bake.md, "Other sculptors"): where the
# plane point (x, y) of the pixel goes, from the file's R, G, B (row 0 at the top, +y).
DOCUMENTED = {
    "blender": lambda x, y, r, g, b: (x + r, y + g, b),  # sculpt VDM: R=X-x, G=Y-y, B=Z
    "mudbox": lambda x, y, r, g, b: (x + r, y + b, g),  # x tangent (+u), y normal, z binormal (+v)
    "zbrush": lambda x, y, r, g, b: (x + r, y + b, g),  # TangentFlipAndSwitch 25 = Mudbox absolute tangent
    "3dcoat": lambda x, y, r, g, b: (x + r, y + g, b),  # 32-bit RGB VDM alpha, B = height
}


@pytest.mark.parametrize("tool", sorted(FORMATS))
def test_each_sculptors_file_decodes_through_its_documented_convention_to_our_surface(tool, tmp_path):
    from vdm.vdm_grid import pixel_centres

    rng = np.random.default_rng(7)
    ours = np.zeros((64, 64, 3), dtype=np.float32)
    ours[1:-1, 1:-1] = rng.uniform(-0.4, 0.6, (62, 62, 3)).astype(np.float32)
    path = write_format(tmp_path, "stamp", ours, tool)
    assert path.name == f"stamp{FORMATS[tool].suffix}"
    r, g, b = np.moveaxis(read_vdm(path), -1, 0)
    x, y = pixel_centres(64)
    theirs = np.stack(DOCUMENTED[tool](x, y, r, g, b), axis=-1)
    expected = ours + np.stack([x, y, np.zeros_like(x)], axis=-1)
    tolerance = 1e-3 if FORMATS[tool].half else 0.0  # half floats for Blender, as its baker writes
    assert np.abs(theirs - expected).max() <= tolerance
