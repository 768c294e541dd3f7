"""`vdm bake`: real patches (the shipped selections, stitched) and analytic undercut patches to VDMs
that encode them, leave the plane alone and keep the undercuts (conventions section 6b)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import assert_one_sentence_error, stitched_shipped
from render_shapes import ball_patch, octahedra

from vdm.bake.brush import bake_patch
from vdm.bake.config import BakeConfig
from vdm.bake.metrics import brush_scores, unseen_points
from vdm.bake.sample import GridSample, sample_grid
from vdm.bake.untangle import fold_counts, untangle
from vdm.geometry import self_intersecting_faces, signed_areas_2d
from vdm.patch import Patch, read_patch, write_patch
from vdm.patch_checks import patch_problem
from vdm.records import load_record, shipped_record, shipped_records
from vdm.rig import GRID_VIEWS
from vdm.shapes import curled_horn_patch, folded_ear_patch, hook_patch, mushroom_patch
from vdm.vdm_file import read_vdm
from vdm.vdm_grid import vdm_to_patch

CHAMFER, SLIDE, CREASE, RECALL = 0.003, 0.005, 0.01, 0.98
CENTRED = 0.05  # a brush's moved region centred this close to the brush centre (conventions 6c)


def _assert_good_brush(patch: Patch, name: str, config: BakeConfig | None = None) -> None:
    """Section 6b: encodes the patch, leaves the plane alone, keeps the undercuts, border exactly 0,
    and no face of the decoded grid crosses another (exact test); in both frames, and as a brush
    (6c) centred on the brush centre with nothing outside Blender's circle."""
    config = config or BakeConfig()
    for frame in ("patch", "brush"):
        framed = replace(config, frame=frame)
        brush = bake_patch(patch, framed)
        d = brush.displacement
        assert d.shape == (config.resolution, config.resolution, 3) and d.dtype == np.float32
        assert not d[[0, -1]].any() and not d[:, [0, -1]].any(), "border pixels exactly 0"
        scale = brush.fit.scale if brush.fit else 1.0  # a brush's fit scales every length (6c)
        scores = brush_scores(d, brush.patch, fit=brush.fit)
        assert scores.chamfer < CHAMFER * scale, (name, frame, scores)
        assert scores.slide < SLIDE * scale and scores.lift < SLIDE * scale, (name, frame, scores)
        assert scores.crease < CREASE, (name, frame, scores)
        if scores.undercut_share > 0.01:
            assert scores.undercut_recall >= RECALL, (name, frame, scores)
        assert scores.self_intersections == 0, (name, frame, scores)
        if frame == "brush":
            assert scores.centre_offset < CENTRED and scores.outside_circle == 0.0, (name, scores)
            assert brush.report["outside_circle"] == 0.0, "the fit leaves the circle's edge untouched"
            assert patch_problem(brush.patch) is None, "a brush's patch is a patch of section 1"
        # The map itself folds nowhere and leaves the plane away from the part exactly in place.
        mapping = brush.mapping
        assert (signed_areas_2d(mapping.uv, brush.patch.faces) > 0).all(), name
        fixed = ~mapping.free
        assert np.array_equal(mapping.uv[fixed], brush.patch.vertices[fixed, :2])


@pytest.mark.parametrize("path", shipped_records(), ids=lambda p: p.stem)
def test_every_shipped_selection_bakes_into_a_good_brush(path):
    _assert_good_brush(stitched_shipped(path.stem).patch, path.stem)


ANALYTIC = {
    "mushroom": (mushroom_patch, BakeConfig()),
    "sunk ball": (lambda: ball_patch(n_around=128, n_ball=48, n_plane=12), BakeConfig()),
    "curled horn": (curled_horn_patch, BakeConfig()),
    # a tube squeezed into its footprint: the grid at band 0.08 folds (30 faces, 46 crossing), 2.5x
    # the band folds nowhere and slides the plane 0.0038
    "hook": (hook_patch, BakeConfig()),
    "folded ear": (folded_ear_patch, BakeConfig()),
}


@pytest.mark.parametrize("name", sorted(ANALYTIC))
def test_analytic_undercut_patches_bake_into_good_brushes(name):
    make, config = ANALYTIC[name]
    _assert_good_brush(make(), name, config)


def test_bake_command_writes_the_brush_in_every_encoding(tmp_path, run_cli):
    source = write_patch(tmp_path / "ball.ply", ball_patch(n_around=96, n_ball=32, n_plane=8))
    out = tmp_path / "brush"
    result = run_cli("bake", source, "--out", out, "--resolution", "256", "--half", "--compression", "none")
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == ["mesh.ply", "preview.png", "report.json", "vdm.exr"]
    import OpenEXR

    with OpenEXR.File(str(out / "vdm.exr"), separate_channels=True) as exr:
        assert {ch.pixels.dtype for ch in exr.channels().values()} == {np.dtype(np.float16)}
        assert exr.header()["compression"] == OpenEXR.NO_COMPRESSION
    mesh = read_patch(out / "mesh.ply")
    assert len(mesh.vertices) == (256 + 2) ** 2  # vdm2mesh's grid of the written VDM
    disc = tmp_path / "disc"
    assert run_cli("bake", source, "--out", disc, "--frame", "patch", "--border", "disc").code == 0
    d = read_vdm(disc / "vdm.exr")
    c = -1.0 + (2.0 * np.arange(512) + 1.0) / 512
    radius = np.hypot(*np.meshgrid(c, c))
    assert not d[radius >= 1.0].any() and d[radius < 0.5].any()
    refused = run_cli("bake", source, "--out", disc, "--border", "disc")  # a brush (the default)
    assert_one_sentence_error(refused, "--border disc is for --frame patch")


@pytest.mark.usefixtures("no_network")
def test_a_brush_from_an_objaverse_object_carries_its_licence_and_author_into_blender(tmp_path, run_cli):
    """The patch `vdm stitch` made of an Objaverse object (its report names the uid) bakes to a brush
    whose asset has the object's licence and author, and a description that credits it, from the
    annotations in the Objaverse cache; without them the brush is still made, with a warning."""
    from blender_check import inspect_blend
    from objaverse_cache import write_objaverse_cache

    uid = "0123456789abcdef0123456789abcdef"
    annotation = {"name": "Horned cow", "license": "by-nc", "user": {"displayName": "Jane Doe"}}
    annotation["viewerUrl"] = f"https://sketchfab.com/3d-models/{uid}"
    write_objaverse_cache(tmp_path / "cache", [uid], annotations={uid: annotation})
    patch = write_patch(tmp_path / "parts" / "bump.ply", ball_patch(n_around=64, n_ball=16, n_plane=6))
    report = {"source": {"kind": "objaverse", "ref": uid}, "note": "round bump"}
    (tmp_path / "parts" / "bump.report.json").write_text(json.dumps(report))
    args = ["--blend", "--resolution", "256"]
    result = run_cli(
        "bake", patch, "--out", tmp_path / "brush", *args, "--objaverse-cache", tmp_path / "cache"
    )
    assert result.code == 0, result.err
    (brush,), _ = inspect_blend(tmp_path / "brush" / "brush.blend", "4.5")
    assert (brush["license"], brush["author"]) == ("CC BY-NC 4.0", "Jane Doe")
    about = json.loads((tmp_path / "brush" / "report.json").read_text())["brush"]
    assert (about["licence"], about["author"]) == ("CC BY-NC 4.0", "Jane Doe")  # for ZBrush's files too
    assert brush["description"].endswith(
        f"\u201cHorned cow\u201d by Jane Doe (https://sketchfab.com/3d-models/{uid}), CC BY-NC 4.0."
    )
    bare = run_cli("bake", patch, "--out", tmp_path / "bare", *args, "--objaverse-cache", tmp_path / "empty")
    assert bare.code == 0 and (tmp_path / "bare" / "brush.blend").is_file(), bare.err
    assert "no licence or author" in " ".join(bare.err.split())  # the log wraps its lines


def test_a_bake_over_another_leaves_none_of_its_files_and_packs_under_its_name(tmp_path, run_cli):
    from vdm.bake.pack import gather

    ball = write_patch(tmp_path / "ball.ply", ball_patch(n_around=96, n_ball=32, n_plane=8))
    out = tmp_path / "brush"
    common = ("--out", out, "--resolution", "256")
    assert run_cli("bake", ball, *common, "--name", "Round knob", "--format", "mudbox").code == 0
    assert json.loads((out / "report.json").read_text())["brush"]["name"] == "Round knob"
    assert (out / "Round knob_vdm.exr").is_file()
    assert run_cli("bake", ball, *common, "--name", "Second knob").code == 0  # no --format this time
    assert sorted(p.name for p in out.iterdir()) == ["mesh.ply", "preview.png", "report.json", "vdm.exr"]
    (part,) = gather([out], "settings").parts  # vdm pack names it as the bake did
    assert (part.kind, part.note, part.source) == ("brush", "Second knob", str(ball))


def test_bad_input_is_one_sentence(tmp_path, run_cli, immutable):
    two = write_patch(tmp_path / "two.ply", octahedra(np.array([[0.0, 0.0, 0.5], [0.5, 0.5, 0.5]]), 0.1))
    assert_one_sentence_error(run_cli("bake", two, "--out", tmp_path / "o"), "not a patch")
    tall = write_patch(tmp_path / "tall.ply", mushroom_patch())
    horn = write_patch(tmp_path / "horn.ply", curled_horn_patch())
    small = run_cli("bake", horn, "--out", tmp_path / "o", "--resolution", "256", "--frame", "patch")
    assert_one_sentence_error(small, "needs a VDM of at least", "--resolution 512 would do")
    assert_one_sentence_error(run_cli("bake", tall, "--out", immutable / "o"), "Cannot write")
    assert not (tmp_path / "o").exists()


def test_bake_is_the_same_bytes_every_time():
    patch = ball_patch(n_around=64, n_ball=16, n_plane=4)
    first = bake_patch(patch, BakeConfig(resolution=256)).displacement
    assert bake_patch(patch, BakeConfig(resolution=256)).displacement.tobytes() == first.tobytes()


@pytest.mark.parametrize("version", ["4.5", "5.0"])
def test_the_blend_file_is_a_named_brush_asset_that_blender_stamps_as_mesh_ply(tmp_path, run_cli, version):
    """bpy 4.5 LTS and 5.0 open the brush a selection bakes to: named after its part, set up as
    Blender's own baker sets one (plus no pressure on strength), an asset with a description, tags,
    a catalog of the folder's catalog file and a preview Blender rendered; Blender's own decoding of
    its texture where the brush acts (inside its circle) is mesh.ply's surface, nothing cut off."""
    from blender_check import inspect_blend

    from vdm.bake.blend import CATALOG_FILE, catalog_id
    from vdm.surface_metrics import chamfer

    out = tmp_path / "brush"
    result = run_cli("bake", shipped_record("cow-horn"), "--out", out, "--blend")
    assert result.code == 0, result.err
    (brush,), surfaces = inspect_blend(out / "brush.blend", version)
    assert brush["version"].startswith(version) and brush["name"] == "Right horn"
    assert brush["map_mode"] == "AREA_PLANE" and brush["vector_displacement"]
    assert brush["stroke_method"] == "ANCHORED" and brush["falloff"] == "CONSTANT"
    assert brush["strength"] == 1.0 and not brush["pressure_strength"]
    assert brush["extension"] == "EXTEND" and not brush["clamp"] and brush["colorspace"] == "Non-Color"
    assert brush["packed"] and brush["size"] == [512, 512]
    # packed, its path relative to the .blend (read back, Blender resolves it beside the library): the
    # baking machine's folders are not in the file
    assert brush["image_path"] == str(out.resolve() / "Right horn.exr")
    assert brush["asset"] and brush["sculpt_shelf"] and "right horn" in brush["description"]
    assert {"vdm", "horn", "cow", "512px"} <= set(brush["tags"])
    assert (
        brush["catalog_id"] == catalog_id("horn/cow")
        and brush["catalog_id"] in (out / CATALOG_FILE).read_text()
    )
    assert brush["preview_custom"] and brush["preview_size"][0] >= 128 and brush["preview_spread"] > 0.05
    grid = read_patch(out / "mesh.ply").vertices.reshape(514, 514, 3)[1:-1, 1:-1]
    stamped, everywhere = surfaces["Right horn"], surfaces["Right horn unmasked"]
    assert chamfer(stamped.reshape(-1, 3), grid.reshape(-1, 3)) < 0.002
    assert np.abs(stamped - grid).max() < 1e-5 and np.array_equal(stamped, everywhere), "nothing cut off"
    if version == "4.5":  # the check has teeth: the patch frame's horn reaches past the circle
        square = tmp_path / "square"
        assert (
            run_cli("bake", shipped_record("cow-horn"), "--out", square, "--frame", "patch", "--blend").code
            == 0
        )
        _, surfaces = inspect_blend(square / "brush.blend", version)
        assert np.abs(surfaces["Right horn"] - surfaces["Right horn unmasked"]).max() > 0.005


def test_blend_without_blender_is_one_sentence_before_the_work(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv("VDM_BLENDER_PYTHON", str(tmp_path / "no-python"))
    source = write_patch(tmp_path / "ball.ply", ball_patch(n_around=32, n_ball=8, n_plane=2))
    result = run_cli("bake", source, "--out", tmp_path / "brush", "--blend")
    assert_one_sentence_error(result, "Brushes for Blender need Blender's Python module")
    assert not (tmp_path / "brush").exists()


def test_the_exact_crossing_test_passes_a_flat_grid_and_catches_a_fold():
    """MeshLab's float test flagged two halves of one flat cell on real brushes; the exact one must
    pass a fine, nearly flat grid and still catch a VDM pushed through itself."""
    n = 256
    ys, xs = np.mgrid[1 : -1 : n * 1j, -1 : 1 : n * 1j]
    bump = np.zeros((n, n, 3), dtype=np.float32)
    bump[..., 2] = 0.01 * np.exp(-8.0 * (xs**2 + ys**2))  # nearly coplanar neighbours everywhere
    flat = vdm_to_patch(bump)
    assert self_intersecting_faces(flat.vertices, flat.faces) == 0
    # A Z-fold across rows 100-140: forward rising, back falling through the first layer, forward.
    u = np.arange(30, dtype=np.float32)
    along = np.where(u < 10, u, np.where(u < 20, 20 - u, u - 20))  # pixels 100-129 land in 100-110
    height = np.where(u < 10, u, np.where(u < 20, 20 - 2 * (u - 10), u - 30)) * 0.002
    through = bump.copy()
    through[100:140, 100:130, 0] += (along - u) * 2.0 / n
    through[100:140, 100:130, 2] += height
    folded = vdm_to_patch(through)
    assert self_intersecting_faces(folded.vertices, folded.faces) > 0


def test_the_fold_repair_unfolds_the_grid_and_keeps_it_on_the_patch():
    """A fold put into a good sampled grid (a pixel pushed past its neighbours along the surface)
    is found and relaxed away; every repaired point still lies on the patch."""
    patch = ball_patch(n_around=96, n_ball=32, n_plane=8)
    brush = bake_patch(patch, BakeConfig(resolution=256))
    grid = sample_grid(patch, brush.mapping, 256)
    assert fold_counts(grid.points, grid.normals).sum() == 0
    points = grid.points.copy()
    rows, cols = np.nonzero(np.linalg.norm(brush.displacement, axis=-1) > 0.05)  # on the ball
    r, c = rows[len(rows) // 2], cols[len(cols) // 2]
    points[r, c] = points[r, c + 3]  # three pixels over: the cells between now face backward
    broken = GridSample(points, grid.normals.copy())
    assert fold_counts(broken.points, broken.normals).sum() > 0
    fixed = untangle(broken, patch)
    assert fixed.folded_before > 0 and fixed.folded_after == 0
    from vdm.bake.metrics import mesh_distance

    assert mesh_distance(fixed.grid.points.reshape(-1, 3), patch).max() < 1e-9
    decoded = vdm_to_patch(np.asarray(fixed.grid.points - (grid.points - brush.displacement), np.float32))
    assert self_intersecting_faces(decoded.vertices, decoded.faces) == 0


def test_the_repairs_count_near_the_part_is_the_exact_count_of_the_whole_grid():
    """bake.uncross tests only the faces that face down seen from +z and those over or under them;
    the count must still be the whole grid's, for a VDM folded through itself and for a block of
    bare plane slid over its neighbours (coplanar faces that overlap)."""
    from vdm.bake.uncross import crossing_pixels

    n = 256
    ys, xs = np.mgrid[1 : -1 : n * 1j, -1 : 1 : n * 1j]
    dome = np.zeros((n, n, 3), dtype=np.float32)
    dome[..., 2] = 0.3 * np.clip(1.0 - (xs**2 + ys**2) / 0.09, 0.0, None) ** 2  # 0 beyond 0.3
    folded = dome.copy()
    folded[120:126, 130:140, 0] -= 0.08  # pushed 10 pixels back over its neighbours
    folded[120:126, 130:140, 2] -= 0.02
    slid = np.zeros((n, n, 3), dtype=np.float32)
    slid[60:70, 60:70, 0] = 0.3  # bare plane slid 38 pixels over the plane beside it
    for name, displacement in (("dome", dome), ("folded", folded), ("slid", slid)):
        decoded = vdm_to_patch(displacement)
        exact = self_intersecting_faces(decoded.vertices, decoded.faces)
        assert crossing_pixels(displacement)[0] == exact, name
        assert (exact > 0) == (name != "dome"), (name, exact)


def test_the_dataset_gates_refuse_a_vdm_that_crosses_itself():
    """The miner rejects a baked patch whose decoded surface still crosses itself (the bake's own
    count); a count of -1 (not counted) passes, as does a VDM that meets every limit."""
    from dataclasses import replace

    from vdm.bake.metrics import BrushGates, BrushScores, gate_failure

    good = BrushScores(1e-4, 1e-4, 1e-4, 0.0, 0, 1.0, 0.2, 0.0, 0.0, 0.0, 0.0)
    assert gate_failure(good, BrushGates()) is None
    assert gate_failure(replace(good, self_intersections=-1), BrushGates()) is None
    assert gate_failure(replace(good, self_intersections=3), BrushGates()) == (
        "Its VDM's surface crosses itself at 3 faces (limit 0)."
    )


@pytest.mark.slow
def test_the_crossing_repair_smooths_apart_the_faces_that_cross():
    """The true hook mapped at the first band, without the wider bands a bake would try: its stem
    base, squeezed into its footprint, crosses itself where the wall meets the plane. The repair's
    own count (the faces near the part only) is the exact count over the whole grid; afterwards
    nothing crosses, only pixels near the crossing ones moved, and they stay near the patch."""
    from scipy.ndimage import binary_dilation

    from vdm.bake.metrics import mesh_distance
    from vdm.bake.parameterize import parameterize
    from vdm.bake.sample import to_displacement
    from vdm.bake.uncross import crossing_pixels, uncross

    patch, config = hook_patch(), BakeConfig()
    grid = untangle(sample_grid(patch, parameterize(patch, config), config.resolution), patch).grid
    sampled = to_displacement(grid.points, config.border)
    decoded = vdm_to_patch(sampled)
    count, crossing = crossing_pixels(sampled)
    assert count == self_intersecting_faces(decoded.vertices, decoded.faces) > 0
    repaired = uncross(sampled)
    assert repaired.crossing_before == count and repaired.crossing_after == 0
    fixed = vdm_to_patch(repaired.displacement)
    assert self_intersecting_faces(fixed.vertices, fixed.faces) == 0
    moved = np.abs(repaired.displacement - sampled).max(axis=-1) > 0
    near = binary_dilation(crossing, np.ones((3, 3), dtype=bool), iterations=16)  # 12 measured
    assert moved.any() and not (moved & ~near).any()
    assert mesh_distance(fixed.vertices, patch).max() < 0.015  # a pixel up the wall is 0.02
    assert not repaired.displacement[[0, -1]].any() and not repaired.displacement[:, [0, -1]].any()


def test_an_augmented_part_near_the_squares_edge_bakes_with_a_narrower_band():
    """Augmentation may move a part to within 0.92 of the edge; the band narrows there instead of
    the bake refusing (the demo's bunny-ear a1 did, before)."""
    from vdm.mine.worker import augment_seed
    from vdm.records import shipped_record
    from vdm.stitching import augment_patch

    record = load_record(shipped_record("bunny-ear"))
    moved = augment_patch(stitched_shipped("bunny-ear").patch, 3, augment_seed(0, record.id))[1].patch
    assert np.abs(moved.vertices[moved.labels == 1, :2]).max() > 0.9
    _assert_good_brush(moved, "bunny-ear a1")


def test_unseen_points_are_the_space_no_view_of_the_rig_sees():
    """Under the mushroom's cap beside its stem no view of the rig can see; beyond the cap, above it
    and inside its solid (where a decoded dent would be an error the views show) they can judge."""
    truth = mushroom_patch()
    under_cap = [[0.35, 0.0, 0.38], [0.0, -0.35, 0.38]]
    judged = [[0.9, 0.0, 0.05], [0.0, 0.0, 1.2], [0.0, 0.0, 0.75], [0.3, 0.0, 0.1]]
    points = np.array(under_cap + judged)
    assert unseen_points(truth, points, GRID_VIEWS).tolist() == [True] * 2 + [False] * 4
    assert unseen_points(truth, points[-1:], (2,)).all()  # from straight above, the cap hides the stem's foot
