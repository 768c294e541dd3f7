"""Pictures of selections: the mesh with its selected faces highlighted, seen through a stroke's camera
(with the lasso outlines drawn) and from the side, rendered by Polyscope headless (EGL).

Curators and reviewers look at these instead of reading face ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vdm.errors import VdmError, short_reason
from vdm.geometry import area_vectors
from vdm.lasso.ps_camera import apply_camera
from vdm.records import Camera, Stroke
from vdm.sources import LoadedMesh

SELECTED_RGB = (0.95, 0.35, 0.1)
UNCOLOURED_RGB = (0.72, 0.74, 0.78)
ADD_OUTLINE = (20, 110, 255)
SUBTRACT_OUTLINE = (230, 20, 60)


@dataclass(frozen=True)
class PreviewView:
    """One picture: the camera it is taken with, the strokes whose outlines it draws, a caption."""

    camera: Camera
    strokes: tuple[Stroke, ...] = ()
    caption: str = ""


def init_polyscope(backend: str = "openGL3_egl") -> bool:
    """Start Polyscope headless for pictures; a running window is reused, the blank mock backend is
    not. True when this call started it (the caller then shuts it down)."""
    import polyscope as ps

    if ps.is_initialized() and ps.get_render_engine_backend_name() == "openGL_mock":
        ps.shutdown()
    started = not ps.is_initialized()
    if started:
        ps.set_verbosity(0)  # keep stdout for the command's own output
        ps.set_use_prefs_file(False)
        ps.set_allow_headless_backends(True)
        try:
            ps.init(backend)
        except Exception as exc:  # Polyscope raises RuntimeError subclasses for every backend failure
            raise VdmError(
                f"Polyscope could not start {backend} to render pictures ({short_reason(exc)})."
            ) from exc
    ps.set_ground_plane_mode("none")
    return started


def face_colours(mesh: LoadedMesh, face_ids: np.ndarray) -> np.ndarray:
    """(F, 3) float colours: the source's own colours (or grey), selected faces in orange."""
    if mesh.vertex_colors is not None:
        colours = mesh.vertex_colors[mesh.faces, :3].astype(np.float64).mean(axis=1) / 255.0
    else:
        colours = np.tile(UNCOLOURED_RGB, (mesh.n_faces, 1))
    colours[np.asarray(face_ids, dtype=np.int64)] = SELECTED_RGB
    return colours


SIDE_TURN_DEG = 60.0  # the side views turn this far from the part's own facing direction
ABOVE_TILT_DEG = 50.0  # and the last one tilts this far toward the camera's up
PART_FILL = 0.4  # the part's radius as a share of a view's height


def _turned(vector: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    """`vector` turned about the unit `axis` (Rodrigues)."""
    a = np.radians(degrees)
    return vector * np.cos(a) + np.cross(axis, vector) * np.sin(a) + axis * (axis @ vector) * (1 - np.cos(a))


def selection_views(mesh: LoadedMesh, face_ids: np.ndarray, camera: Camera) -> list[PreviewView]:
    """The selection from the direction it faces (its area-weighted normal), from either side and
    from above: orthographic cameras aimed at its centre from outside the whole mesh, so no view is
    inside the body, and every view faces the part (a turn about a stroke camera's target put the
    eye inside the head and showed the selection from behind the body)."""
    ids = np.asarray(face_ids, dtype=np.int64)
    corners = mesh.vertices[mesh.faces[ids]]
    vectors = area_vectors(mesh.vertices, mesh.faces[ids])
    weights = np.linalg.norm(vectors, axis=1)
    centre = (corners.mean(axis=1) * weights[:, None]).sum(axis=0) / max(weights.sum(), 1e-300)
    facing = vectors.sum(axis=0)
    if np.linalg.norm(facing) < 1e-12:  # a closed selection faces nowhere: look as the stroke did
        facing = np.asarray(camera.eye, dtype=np.float64) - np.asarray(camera.target, dtype=np.float64)
    facing = facing / np.linalg.norm(facing)
    up = np.asarray(camera.up, dtype=np.float64)
    up = up - (up @ facing) * facing
    if np.linalg.norm(up) < 1e-6:
        up = np.eye(3)[int(np.argmin(np.abs(facing)))]
        up = up - (up @ facing) * facing
    up /= np.linalg.norm(up)
    right = np.cross(facing, up)
    part = float(np.linalg.norm(corners.reshape(-1, 3) - centre, axis=1).max())
    away = float(np.linalg.norm(mesh.vertices - centre, axis=1).max()) + part  # outside the mesh
    directions = {
        "the part, facing it": facing,
        f"from its left, {SIDE_TURN_DEG:.0f} deg": _turned(facing, up, -SIDE_TURN_DEG),
        f"from its right, {SIDE_TURN_DEG:.0f} deg": _turned(facing, up, SIDE_TURN_DEG),
        f"from above, {ABOVE_TILT_DEG:.0f} deg": _turned(facing, right, ABOVE_TILT_DEG),
    }
    views = []
    for caption, direction in directions.items():
        view_up = up - (up @ direction) * direction
        view = Camera(
            eye=tuple(float(c) for c in centre + away * direction),
            target=tuple(float(c) for c in centre),
            up=tuple(float(c) for c in view_up / np.linalg.norm(view_up)),
            projection="orthographic",
            ortho_height=part / PART_FILL,
            width=camera.width,
            height=camera.height,
        )
        views.append(PreviewView(view, (), caption))
    return views


def selection_sheet(
    mesh: LoadedMesh, face_ids: np.ndarray, strokes: Sequence[Stroke], tile: tuple[int, int]
) -> Image.Image:
    """A selection's preview sheet: each stroke's view with its lasso, then `selection_views`."""
    views = [PreviewView(s.camera, (s,), f"stroke {i + 1} ({s.op})") for i, s in enumerate(strokes)]
    pictures = render_views(mesh, face_ids, views + selection_views(mesh, face_ids, strokes[0].camera))
    half = (len(pictures) + 1) // 2
    return contact_sheet([pictures[:half], pictures[half:]], tile)


def render_views(
    mesh: LoadedMesh, face_ids: np.ndarray, views: Sequence[PreviewView], colours: np.ndarray | None = None
) -> list[Image.Image]:
    """One RGB picture per view, the selection highlighted (or the faces in `colours`, (F, 3) in
    [0, 1]) and each view's lasso outlines drawn."""
    import polyscope as ps

    started = init_polyscope()
    ps.remove_all_structures()
    surface = ps.register_surface_mesh("mesh", mesh.vertices, mesh.faces, smooth_shade=False)
    if colours is None:
        colours = face_colours(mesh, face_ids)
    surface.add_color_quantity("selection", colours, defined_on="faces", enabled=True)
    pictures = []
    for view in views:
        apply_camera(view.camera)
        rgb = ps.screenshot_to_buffer(transparent_bg=False)[:, :, :3]
        picture = Image.fromarray(np.ascontiguousarray(rgb))
        draw = ImageDraw.Draw(picture)
        for stroke in view.strokes:
            outline = [tuple(p) for p in stroke.polygon_px]
            colour = ADD_OUTLINE if stroke.op == "add" else SUBTRACT_OUTLINE
            draw.line([*outline, outline[0]], fill=colour, width=3 if stroke.xray else 2)
        if view.caption:
            draw.text(
                (10, 8),
                view.caption,
                fill=(0, 0, 0),
                font=ImageFont.load_default(size=max(14, picture.height // 24)),
            )
        pictures.append(picture)
    ps.remove_all_structures()
    if started:
        # Its EGL context stops being current when another library (pyrender) makes its own in
        # this process; a Polyscope left running would then fail at its next picture.
        ps.shutdown()
    return pictures


def contact_sheet(rows: Sequence[Sequence[Image.Image]], tile: tuple[int, int] = (480, 360)) -> Image.Image:
    """Rows of pictures scaled into equal tiles on a white sheet."""
    n_cols = max(len(r) for r in rows)
    sheet = Image.new("RGB", (n_cols * tile[0], len(rows) * tile[1]), "white")
    for i, row in enumerate(rows):
        for j, picture in enumerate(row):
            fitted = picture.copy()
            fitted.thumbnail(tile)
            sheet.paste(fitted, (j * tile[0], i * tile[1]))
    return sheet
