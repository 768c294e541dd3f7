"""The rig renderer against analytic truth: normals, masks, depth, pixel positions, colours."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import stitched_shipped
from render_shapes import BALL_CLASS, PLANE_CLASS, analytic_view, ball_patch, octahedra
from scipy import ndimage
from scipy.spatial import ConvexHull

from vdm.errors import VdmError
from vdm.images import decode_normals, read_image
from vdm.patch import PART, PLANE, Patch
from vdm.render.renderer import PatchRenderer, RenderConfig, render_views, write_views
from vdm.rig import FRONT_VIEW, RENDER_SIZE, VIEWS, project
from vdm.shapes import mushroom_patch

SIZE = RENDER_SIZE


@pytest.fixture(scope="module")
def renderer():
    with PatchRenderer(SIZE) as r:
        yield r


@pytest.fixture(scope="module")
def ball_views(renderer):
    return renderer.render(ball_patch())


def _angles_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(np.einsum("...i,...i->...", a, b), -1.0, 1.0)))


@pytest.mark.parametrize("k", range(len(VIEWS)))
def test_normals_masks_and_depth_match_the_analytic_ball(ball_views, k):
    images = ball_views[k]
    cls, truth, depth = analytic_view(VIEWS[k], SIZE)
    # Away from silhouettes and occlusion contours: every pixel whose 5x5 neighbourhood is one surface.
    interior = (ndimage.maximum_filter(cls, 5) == cls) & (ndimage.minimum_filter(cls, 5) == cls) & (cls > 0)
    assert interior.sum() > 0.6 * (cls > 0).sum()
    assert images.mask[interior].all()
    decoded, decoded_mask = decode_normals(images.normal)
    np.testing.assert_array_equal(decoded_mask, images.mask)  # background exactly white
    error = _angles_deg(decoded[interior], truth[interior])
    assert error.mean() < 1.0 and error.max() < 5.0, (error.mean(), error.max())
    exact = _angles_deg(images.normals[interior], truth[interior])  # before 8-bit encoding
    assert exact.mean() < 0.05 and exact.max() < 1.0, (exact.mean(), exact.max())
    assert np.abs(images.depth[interior] - depth[interior]).max() < 1e-3
    # The ball's undercut is seen from below (view 6) and its rim crease stays sharp: plane pixels
    # right next to the ball still have the plane's exact normal.
    plane = interior & (cls == PLANE_CLASS)
    assert np.abs(decoded[plane] - [0, 0, 1]).max() < 0.01
    assert (interior & (cls == BALL_CLASS)).any()
    # Masks: the analytic footprint to within one pixel, both ways.
    footprint, one_pixel = cls > 0, np.ones((3, 3), bool)
    assert not (images.mask & ~ndimage.binary_dilation(footprint, one_pixel)).any()
    assert not (footprint & ~ndimage.binary_dilation(images.mask, one_pixel)).any()


def test_every_id_pixel_centre_lies_in_its_triangle(ball_views):
    """The id pass is single-sampled: the triangle reported at a pixel covers its centre (no blend of
    neighbouring ids), checked with the rig's own projection."""
    patch = ball_patch()
    for k in (0, FRONT_VIEW, 6):
        images = ball_views[k]
        rows, cols = np.nonzero(images.mask)
        faces = patch.faces[images.face_ids[rows, cols]]
        px, _ = project(patch.vertices[faces.ravel()], VIEWS[k], SIZE)
        a, b, c = px.reshape(-1, 3, 2).transpose(1, 0, 2)
        p = np.stack([cols + 0.5, rows + 0.5], axis=1)

        def edge(u, v, w):
            return (v[:, 0] - u[:, 0]) * (w[:, 1] - u[:, 1]) - (v[:, 1] - u[:, 1]) * (w[:, 0] - u[:, 0])

        sign = np.sign(edge(a, b, c))
        # Signed distance (pixels) of the pixel centre inside each edge; rasterisers snap vertices
        # to 1/256 pixel, so a centre may be that far outside.
        inside = [sign * edge(u, v, p) / np.linalg.norm(v - u, axis=1) for u, v in ((a, b), (b, c), (c, a))]
        assert np.min(inside) > -0.01, np.min(inside)


MARKERS = np.array([[0.0, 0.0, 0.0], [0.5, -0.3, 0.8], [-0.6, 0.5, 1.1], [0.9, 0.8, 0.2], [-0.8, -0.7, -0.5]])


@pytest.mark.parametrize("k", range(len(VIEWS)))
def test_known_points_land_on_their_predicted_pixels(renderer, k):
    radius = 0.03
    markers = octahedra(MARKERS, radius)
    marker_vertices = markers.vertices
    images = renderer.render(markers, views=[k])[k]
    j, i = np.divmod(np.arange(SIZE * SIZE), SIZE)
    centres = np.stack([i + 0.5, j + 0.5], axis=1)
    px, depth = project(MARKERS, VIEWS[k], SIZE)
    labels, count = ndimage.label(images.mask)
    assert count == len(MARKERS)
    for (x, y), d, i in zip(px, depth, range(len(MARKERS)), strict=True):
        col, row = int(np.floor(x)), int(np.floor(y))
        assert images.mask[row, col], f"marker {i} is not on pixel ({col}, {row}) in view {k}"
        assert images.face_ids[row, col] // 8 == i
        assert d - radius * np.sqrt(3) <= images.depth[row, col] <= d
        # The marker covers exactly the pixel centres inside the convex hull of its projected corners.
        corners, _ = project(marker_vertices[6 * i : 6 * i + 6], VIEWS[k], SIZE)
        hull = ConvexHull(corners).equations
        distance = (centres @ hull[:, :2].T + hull[:, 2]).max(axis=1)  # > 0 outside, in pixels
        clear = np.abs(distance) > 0.01
        expected = (distance < 0).reshape(SIZE, SIZE)
        blob = labels == labels[row, col]
        np.testing.assert_array_equal(blob[clear.reshape(SIZE, SIZE)], expected[clear.reshape(SIZE, SIZE)])


def test_colours_background_and_lighting(renderer, ball_views):
    front = ball_views[FRONT_VIEW]
    for images in ball_views.values():  # the RGB is antialiased: its edge pixels may blend
        assert (images.rgb[~ndimage.binary_dilation(images.mask)] == 255).all()
        assert (images.normal[~images.mask] == 255).all()
    # A camera-facing surface shows its albedo: the plane is the grey 0.5 square, the ball top the
    # part colour.
    assert np.abs(front.rgb[100, 256].astype(int) - 128).max() <= 1
    top = np.round(np.asarray(RenderConfig().part_colour) * 255)
    assert np.abs(front.rgb[256, 256].astype(int) - top).max() <= 2
    # Carried vertex colours replace the part colour; the plane stays grey.
    patch = ball_patch()
    patch.vertex_colors = np.tile(np.array([[30, 160, 220]], np.uint8), (len(patch.vertices), 1))
    coloured = renderer.render(patch, views=[FRONT_VIEW])[FRONT_VIEW]
    assert np.abs(coloured.rgb[256, 256].astype(int) - [30, 160, 220]).max() <= 2
    np.testing.assert_array_equal(coloured.rgb[100, 256], front.rgb[100, 256])


def test_renderer_reuse_is_deterministic_and_stateless(renderer, ball_views):
    markers = octahedra(MARKERS, 0.05)
    renderer.render(markers)
    again = renderer.render(ball_patch())
    for k, images in ball_views.items():
        for field in ("rgb", "normal", "mask", "depth", "face_ids"):
            np.testing.assert_array_equal(getattr(again[k], field), getattr(images, field))
    shared = render_views(markers, size=64)  # the per-process shared renderer of another size
    assert set(shared) == set(range(7)) and shared[0].rgb.shape == (64, 64, 3)
    with PatchRenderer(32) as other:  # closing another renderer leaves this one working
        other.render(markers, views=[0])
    np.testing.assert_array_equal(
        renderer.render(markers, views=[3])[3].normal, renderer.render(markers)[3].normal
    )


def test_open_mesh_is_drawn_from_both_sides(renderer):
    """A decoded surface need not be closed: a sheet seen from behind still covers its pixels."""
    sheet = Patch(
        [[-0.5, -0.5, 0.2], [0.5, -0.5, 0.2], [0.5, 0.5, 0.2], [-0.5, 0.5, 0.2]],
        [[0, 2, 1], [0, 3, 2]],  # wound clockwise seen from +z: its normal points down
        [PLANE, PART, PART, PLANE],
    )
    images = renderer.render(sheet, views=[FRONT_VIEW])[FRONT_VIEW]
    px, _ = project(np.array([[-0.5, 0.5, 0.2], [0.5, -0.5, 0.2]]), VIEWS[FRONT_VIEW], SIZE)
    (c0, r0), (c1, r1) = np.round(px).astype(int)
    assert images.mask.sum() == (c1 - c0) * (r1 - r0)
    decoded, _ = decode_normals(images.normal)
    assert np.abs(decoded[images.mask] - [0, 0, -1]).max() < 0.01  # the mesh's own normal


def test_write_views_layout(tmp_path, ball_views):
    written = write_views(tmp_path, ball_views)
    assert sorted(p.name for p in written) == sorted(
        f"{kind}_{k}.png" for kind in ("rgb", "normal", "mask") for k in range(7)
    )
    for k, images in ball_views.items():
        np.testing.assert_array_equal(read_image(tmp_path / f"rgb_{k}.png"), images.rgb)
        np.testing.assert_array_equal(read_image(tmp_path / f"normal_{k}.png"), images.normal)
        mask = read_image(tmp_path / f"mask_{k}.png", mode="L")
        assert set(np.unique(mask)) <= {0, 255}
        np.testing.assert_array_equal(mask == 255, images.mask)
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_meshes_are_refused_in_one_sentence(renderer):
    with pytest.raises(VdmError, match="no triangles"):
        renderer.render(Patch(np.zeros((3, 3)), np.zeros((0, 3)), np.zeros(3)))
    with pytest.raises(VdmError, match="missing vertices"):
        renderer.render(Patch(np.zeros((3, 3)), [[0, 1, 3]], np.zeros(3)))
    with pytest.raises(VdmError, match="non-finite"):
        renderer.render(Patch([[0, 0, np.nan], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]], np.zeros(3)))


def test_render_command_writes_the_rig_views(tmp_path, run_cli):
    from vdm.patch import write_patch

    patch = write_patch(tmp_path / "ball.ply", ball_patch(n_around=64, n_ball=16, n_plane=4))
    result = run_cli("render", patch, "--out", tmp_path / "views", "--size", "64", "--depth-maps")
    assert result.code == 0, result.err
    names = {p.name for p in (tmp_path / "views").iterdir()}
    expected = {
        f"{kind}_{k}.{ext}"
        for k in range(7)
        for kind, ext in [("rgb", "png"), ("normal", "png"), ("mask", "png"), ("depth", "npy")]
    }
    assert names == expected | {"sheet.png"}
    assert read_image(tmp_path / "views" / "normal_2.png").shape == (64, 64, 3)
    depth = np.load(tmp_path / "views" / "depth_2.npy")
    assert depth.dtype == np.float32 and depth.max() > 4.0


def test_render_command_bad_input(tmp_path, run_cli):
    from conftest import assert_one_sentence_error

    assert_one_sentence_error(
        run_cli("render", tmp_path / "none.ply", "--out", tmp_path / "o"), "does not exist"
    )
    (tmp_path / "junk.ply").write_bytes(b"not a ply")
    assert_one_sentence_error(run_cli("render", tmp_path / "junk.ply", "--out", tmp_path / "o"), "not a PLY")
    assert not (tmp_path / "o").exists()


def test_renders_of_undercut_patches_are_the_same_bytes_every_time():
    """A front and a back face can tie in depth at a silhouette pixel (a cap's top and its
    underside): the id pass must break the tie the same way in every renderer and every run."""
    patches = [mushroom_patch(), ball_patch(n_around=96, n_ball=24, n_plane=6)]
    first = None
    for _ in range(8):  # a new renderer each time: new scene nodes, new object ids
        with PatchRenderer(96) as fresh:
            renders = [fresh.render(p) for p in patches]
        digest = [
            (k, v.face_ids.tobytes(), v.normal.tobytes(), v.rgb.tobytes())
            for views in renders
            for k, v in sorted(views.items())
        ]
        first = first or digest
        assert digest == first


def _moved(patch: Patch, dx: float = 0.0, dz_vertex: float = 0.0) -> Patch:
    vertices = patch.vertices.copy()
    vertices[:, 0] += dx
    vertices[np.argmax(patch.labels), 2] += dz_vertex
    return Patch(vertices, patch.faces, patch.labels)


def test_render_command_refuses_what_is_not_a_patch(tmp_path, run_cli):
    from conftest import assert_one_sentence_error

    from vdm.patch import write_patch

    ball = ball_patch(n_around=48, n_ball=12, n_plane=4)
    doubled = Patch(ball.vertices, np.vstack([ball.faces, ball.faces[:1]]), ball.labels)
    squashed = ball.faces.copy()
    squashed[0, 1] = squashed[0, 0]
    cases = {
        "off_square": (_moved(ball, dx=3.0), "not the square's edge"),
        "below": (_moved(ball, dz_vertex=-3.0), "below the lowest z"),
        "non_manifold": (doubled, "edges shared by more than two faces"),
        "degenerate": (Patch(ball.vertices, squashed, ball.labels), "degenerate"),
        "two_pieces": (octahedra(np.array([[0.0, 0.0, 0.5], [0.5, 0.5, 0.5]]), 0.1), "is not a patch"),
    }
    for name, (patch, fragment) in cases.items():
        path = write_patch(tmp_path / f"{name}.ply", patch)
        out = tmp_path / f"out-{name}"
        assert_one_sentence_error(run_cli("render", path, "--out", out), fragment)
        assert not out.exists(), name


def test_pictures_for_people_colour_by_height_not_by_labels():
    """A stitched patch's label boundary has part-labelled vertices lying on the plane: coloured by
    label they draw a ragged fringe; coloured by height the plane stays grey up to the part's rise."""
    from vdm.render.picture import HEIGHT_RAMP, height_coloured

    stitched = stitched_shipped("cow-ear").patch
    colours = height_coloured(stitched).vertex_colors.astype(int)
    z = np.abs(stitched.vertices[:, 2])
    grey, clay = colours[z < 1e-9][0], colours[z >= HEIGHT_RAMP][0]
    assert (colours[z < 1e-9] == grey).all() and (colours[z >= HEIGHT_RAMP] == clay).all()
    low = z < 0.1 * HEIGHT_RAMP  # where the part meets the plane
    assert (stitched.labels[low] == PART).sum() > 10  # a label colouring paints these clay: the fringe
    assert np.abs(colours[low] - grey).max() <= 0.1 * np.abs(clay - grey).max() + 1


def test_corner_normals_are_each_corner_s_smooth_faces_summed_as_the_definition_says():
    """The fast path (a vertex's faces summed once where no crease is near) gives, corner by corner,
    the definition's sum: the angle-weighted normals of the faces around the corner's vertex that
    meet its face at less than the crease angle. On the sunk ball, whose rim is a crease."""
    from vdm.geometry import face_normals
    from vdm.render.geometry import corner_angles, corner_normals

    ball = ball_patch(n_around=24, n_ball=8, n_plane=4)
    crease = RenderConfig().crease_angle_deg
    got = corner_normals(ball.vertices, ball.faces, crease)
    fn, angles = face_normals(ball.vertices, ball.faces), corner_angles(ball.vertices, ball.faces)
    around = [np.nonzero(ball.faces == v) for v in range(len(ball.vertices))]
    for f, face in enumerate(ball.faces):
        for c, v in enumerate(face):
            faces, corners = around[v]
            smooth = fn[faces] @ fn[f] >= np.cos(np.radians(crease))
            want = (fn[faces] * (angles[faces, corners] * smooth)[:, None]).sum(axis=0)
            assert np.allclose(got[f, c], want / np.linalg.norm(want), atol=1e-12)
    rim = (np.abs(ball.vertices[ball.faces][..., 2]) < 1e-12) & (ball.labels[ball.faces] == PART)
    assert (got[rim][:, 2] < 0.99).any() and (got[rim][:, 2] > 0.999).any()  # both sides of the crease


def test_a_vdm_preview_draws_the_vdm_s_own_grid_where_it_moves_over_a_coarse_plane():
    """Resampled to 128 pixels, the reconstructed hook's preview drew hairs at the stem's foot that
    its 512-pixel brush does not have: chords between pixels four apart on a wall squeezed into a
    few pixels. Now every point the VDM moves is drawn where it decodes, and the bare plane is a
    coarse grid just below z = 0 (it shows only where the VDM's own grid is not drawn)."""
    from vdm.render.vdm_preview import PLANE_MESH_RESOLUTION, UNDER_PLANE, preview_patch
    from vdm.vdm_grid import vdm_to_patch

    n = 512  # a brush's size
    xs, ys = np.meshgrid(np.arange(n), np.arange(n))
    displacement = np.zeros((n, n, 3), np.float32)
    stem = np.hypot(xs - 200.5, ys - 280.5) < 18.0  # a raised stem, leaning in x as a hook's foot does
    displacement[stem] = (0.15, 0.0, 0.5)
    drawn, decoded = preview_patch(displacement), vdm_to_patch(displacement)
    plane = drawn.vertices[:, 2] == -UNDER_PLANE
    assert plane.sum() == (PLANE_MESH_RESOLUTION + 2) ** 2
    own = {tuple(v) for v in decoded.vertices}
    assert all(tuple(v) in own for v in drawn.vertices[~plane])  # nothing drawn off the decoded grid
    assert len(drawn.faces) < 0.1 * len(decoded.faces)  # the plane is not drawn at 512 pixels
    raised = decoded.vertices[decoded.vertices[:, 2] > 0.0]
    assert {tuple(v) for v in raised} <= {tuple(v) for v in drawn.vertices[~plane]}


def test_a_vdm_preview_names_each_of_its_views(tmp_path):
    """preview.png: three views of the decoded surface, each named above it as a person would say
    where the camera looks from (the rig of docs/conventions.md section 4)."""
    from vdm.render.picture import PICTURE_SIZE, PICTURE_VIEWS
    from vdm.render.vdm_preview import NAME_BAND, write_preview

    assert [v.name for v in VIEWS] == [
        "turned 60° left",
        "turned 30° left",
        "face on",
        "turned 30° right",
        "turned 60° right",
        "45° from above",
        "45° from below",
    ]
    picture = read_image(write_preview(tmp_path / "preview.png", np.zeros((64, 64, 3), np.float32)))
    assert picture.shape == (PICTURE_SIZE + NAME_BAND, len(PICTURE_VIEWS) * PICTURE_SIZE, 3)
    band = picture[:NAME_BAND].min(axis=2)
    for column in range(len(PICTURE_VIEWS)):  # dark letters over each view
        assert (band[:, column * PICTURE_SIZE : (column + 1) * PICTURE_SIZE] < 128).sum() > 50
    assert (picture[NAME_BAND:].min(axis=2) < 250).mean() > 0.3  # the views: the plane, grey
