"""A part's faces as lasso strokes: what a curator would draw to select it, so it replays and edits.

Each stroke looks at the part orthographically, along its axis or tilted from it; its polygon is
the outline of the part's faces that this view sees (rasterised, closed a little, traced). Strokes
are added greedily while they bring the replayed selection closer to the part (intersection over
union), then the clean-up edit (none, keep the largest piece, drop islands) that fits best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage
from skimage.measure import approximate_polygon, find_contours

from vdm.geometry import axes_from_forward
from vdm.lasso.camera import camera_frame, project_points
from vdm.lasso.engine import SelectionEngine
from vdm.propose.parts import Part, face_iou
from vdm.records import Camera, Edit, Stroke

TILT_DEGREES = (0.0, 50.0, 80.0)  # views: along the axis, then tilted toward four sides
AZIMUTHS = 4
FRAME_FILL = 0.7  # the part's outline spans this much of the window's height or width
CLOSING_PX = 4  # the rasterised outline is dilated by this many pixels before tracing
POLYGON_TOLERANCE_PX = 1.0
SUBTRACTING_STROKES = 2  # strokes that take back faces, beyond the adding ones
MIN_GAIN = 0.01  # a stroke must raise the intersection over union by this much
ISLAND_FACES = 10


@dataclass(frozen=True)
class Lasso:
    """The strokes and edits that select a part, and how well their replay fits it."""

    strokes: list[Stroke]
    edits: list[Edit]
    face_ids: np.ndarray
    iou: float


def _directions(axis: np.ndarray) -> list[np.ndarray]:
    """View directions toward the part (the camera looks along minus these)."""
    helper = np.eye(3)[int(np.argmin(np.abs(axis)))]
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    out = []
    for tilt in TILT_DEGREES:
        t = np.radians(tilt)
        azimuths = [0.0] if tilt == 0.0 else np.arange(AZIMUTHS) * 2.0 * np.pi / AZIMUTHS
        for a in azimuths:
            out.append(np.cos(t) * axis + np.sin(t) * (np.cos(a) * u + np.sin(a) * v))
    return out


def _camera(engine: SelectionEngine, ids: np.ndarray, towards: np.ndarray, window: tuple[int, int]) -> Camera:
    """An orthographic camera from `towards`, its eye outside the mesh, the faces `ids` centred in
    its window (the middle of their extent across and up, not their mean, which an uneven part or
    skin pulls aside)."""
    world_up = np.array([0.0, 1.0, 0.0]) if abs(towards[1]) < 0.9 else np.array([0.0, 0.0, 1.0])
    right, up, _ = axes_from_forward(-towards, world_up)
    mean = engine.centroids[ids].mean(axis=0)
    across, along_up = (engine.centroids[ids] - mean) @ right, (engine.centroids[ids] - mean) @ up
    centre = mean + right * (across.min() + across.max()) / 2 + up * (along_up.min() + along_up.max()) / 2
    offsets = engine.centroids[ids] - centre
    width, height = window
    extent = max(np.ptp(offsets @ up), np.ptp(offsets @ right) * height / width, 1e-6 * engine.diagonal)
    eye = centre + towards * engine.diagonal
    return Camera(
        eye=tuple(round(float(c), 6) for c in eye),
        target=tuple(round(float(c), 6) for c in centre),
        up=tuple(round(float(c), 6) for c in world_up),
        projection="orthographic",
        ortho_height=round(float(extent / FRAME_FILL), 6),
        width=width,
        height=height,
    )


def _outline(engine: SelectionEngine, camera: Camera, ids: np.ndarray) -> list[tuple[float, float]] | None:
    """The traced outline (screen pixels) of the faces `ids` that `camera` sees, or None."""
    frame = camera_frame(camera)
    seen = ids[engine.visible(frame, ids)]
    if len(seen) == 0:
        return None
    vertices = np.asarray(engine.mesh.vertices, dtype=np.float64)
    pixels, _ = project_points(frame, vertices[np.asarray(engine.mesh.faces)[seen]].reshape(-1, 3))
    mask = Image.new("L", (camera.width, camera.height), 0)
    draw = ImageDraw.Draw(mask)
    for triangle in pixels.reshape(-1, 3, 2):
        draw.polygon([tuple(p) for p in triangle], fill=1, outline=1)
    filled = ndimage.binary_fill_holes(
        ndimage.binary_dilation(np.asarray(mask, dtype=bool), iterations=CLOSING_PX)
    )
    labels, count = ndimage.label(filled)
    if count == 0:
        return None
    largest = labels == 1 + int(np.argmax(ndimage.sum(filled, labels, range(1, count + 1))))
    contour = max(find_contours(np.pad(largest, 1).astype(float), 0.5), key=len)
    polygon = approximate_polygon(contour, POLYGON_TOLERANCE_PX)[:-1] - 1.0  # undo the padding
    if len(polygon) < 3:
        return None
    return [(round(float(c) + 0.5, 2), round(float(r) + 0.5, 2)) for r, c in polygon]


def _with_edit(
    engine: SelectionEngine, strokes: list[Stroke], target: np.ndarray
) -> tuple[list[Edit], np.ndarray, float]:
    """The clean-up edit (or none) after the last stroke whose replay fits the part best."""
    after = len(strokes)
    options = [[], [Edit("keep_largest", after)], [Edit("drop_islands", after, min_faces=ISLAND_FACES)]]
    best = None
    for edits in options:
        ids = engine.select(strokes, edits)
        score = face_iou(ids, target)
        if best is None or score > best[2] + 1e-12:
            best = (edits, ids, score)
    assert best is not None
    return best


def _strokes_towards(
    engine: SelectionEngine, axis: np.ndarray, ids: np.ndarray, window: tuple[int, int], op: str
) -> list[tuple[Stroke, np.ndarray]]:
    """One stroke per view direction around `axis`, outlining the faces `ids` that view sees."""
    strokes = []
    for towards in _directions(axis):
        camera = _camera(engine, ids, towards, window)
        polygon = _outline(engine, camera, ids)
        if polygon is not None:
            stroke = Stroke(camera=camera, polygon_px=tuple(polygon), op=op)
            strokes.append((stroke, engine.stroke_faces(stroke)))
    return strokes


def _apply(selected: np.ndarray, stroke: Stroke, faces: np.ndarray) -> np.ndarray:
    return np.union1d(selected, faces) if stroke.op == "add" else np.setdiff1d(selected, faces)


def _greedy(
    candidates: list[tuple[Stroke, np.ndarray]],
    chosen: list[Stroke],
    selected: np.ndarray,
    target: np.ndarray,
    max_strokes: int,
) -> np.ndarray:
    """Add to `chosen` the candidate strokes that raise the replay's fit to `target` most, while
    each raises it by MIN_GAIN; returns the selection they make."""
    score = face_iou(selected, target)
    while candidates and len(chosen) < max_strokes:
        gains = [face_iou(_apply(selected, stroke, faces), target) for stroke, faces in candidates]
        best = int(np.argmax(gains))
        if gains[best] < score + MIN_GAIN:
            break
        stroke, faces = candidates.pop(best)
        chosen.append(stroke)
        selected, score = _apply(selected, stroke, faces), gains[best]
    return selected


def lasso_part(
    engine: SelectionEngine, part: Part, window: tuple[int, int], max_strokes: int, neighbour_share: float
) -> Lasso | None:
    """Strokes (and an edit) whose replay selects about `part`'s faces; None if no view sees it.

    Strokes that outline the part come first; then, when more than `neighbour_share` of what they
    took belongs to a neighbouring part (beside its base), strokes that take those faces back, as a
    curator's subtracting lasso would.
    """
    target = part.face_ids
    chosen: list[Stroke] = []
    adding = _strokes_towards(engine, part.axis, target, window, "add")
    selected = _greedy(adding, chosen, np.zeros(0, dtype=np.int64), target, max_strokes)
    if not chosen:
        return None
    foreign = part.neighbour_faces_in(selected, neighbour_share)
    if foreign.size:
        taking_back = _strokes_towards(engine, part.axis, foreign, window, "subtract")
        _greedy(taking_back, chosen, selected, target, max_strokes + SUBTRACTING_STROKES)
    edits, face_ids, iou = _with_edit(engine, chosen, target)
    return Lasso(chosen, edits, face_ids, iou)
