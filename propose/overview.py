"""The overview picture of a mesh's proposals: each in its own colour with its rank at its tip,
seen from four sides, so a curator judges the whole set at a glance."""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vdm.errors import printable
from vdm.geometry import axes_from_forward
from vdm.images import write_png
from vdm.lasso.camera import project_points
from vdm.lasso.engine import engine_for
from vdm.lasso.preview import PreviewView, contact_sheet, face_colours, render_views
from vdm.propose.proposals import ProposalSet
from vdm.records import Camera
from vdm.wording import counted

SIDES_DEGREES = (0, 90, 180, 270)
SIDE_NAMES = ("front", "right", "back", "left")
TITLE_HEIGHT = 44
ELEVATION_DEGREES = 20.0
TILE = (640, 480)


def proposal_colours(count: int) -> list[tuple[float, float, float]]:
    """Distinct saturated colours (golden-ratio hues), the same for the same rank every time."""
    return [colorsys.hsv_to_rgb((0.08 + 0.618034 * i) % 1.0, 0.85, 0.95) for i in range(count)]


def _cameras(found: ProposalSet) -> list[Camera]:
    """Orthographic cameras from four sides, a little above, each framing the mesh tightly."""
    vertices = np.asarray(found.mesh.vertices, dtype=np.float64)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    centre, radius = (lo + hi) / 2.0, float(np.linalg.norm(hi - lo)) / 2.0 or 1.0
    cameras = []
    for side in SIDES_DEGREES:
        a, e = np.radians(side), np.radians(ELEVATION_DEGREES)
        towards = np.array([np.sin(a) * np.cos(e), np.sin(e), np.cos(a) * np.cos(e)])
        right, up, _ = axes_from_forward(-towards, np.array([0.0, 1.0, 0.0]))
        across, along = (vertices - centre) @ right, (vertices - centre) @ up
        middle = centre + right * (across.max() + across.min()) / 2 + up * (along.max() + along.min()) / 2
        extent = max(np.ptp(along), np.ptp(across) * TILE[1] / TILE[0])
        cameras.append(
            Camera(
                eye=tuple(middle + 3.0 * radius * towards),
                target=tuple(middle),
                up=(0.0, 1.0, 0.0),
                projection="orthographic",
                ortho_height=1.15 * float(extent),
                width=TILE[0],
                height=TILE[1],
            )
        )
    return cameras


def write_overview(found: ProposalSet, path: Path) -> Path:
    """The four-sided picture of `found`'s proposals, ranks drawn where the part's tip is in view."""
    mesh = found.mesh
    colours = face_colours(mesh, np.zeros(0, dtype=np.int64))
    palette = proposal_colours(len(found.proposals))
    for proposal, colour in zip(found.proposals, palette, strict=True):
        colours[proposal.face_ids] = colour
    cameras = _cameras(found)
    captions = [f"{name} ({side} deg)" for name, side in zip(SIDE_NAMES, SIDES_DEGREES, strict=True)]
    views = [PreviewView(c, (), caption) for c, caption in zip(cameras, captions, strict=True)]
    pictures = render_views(mesh, np.zeros(0, dtype=np.int64), views, colours=colours)
    engine = engine_for(mesh)
    font = ImageFont.load_default(size=22)
    for camera, picture in zip(cameras, pictures, strict=True):
        draw = ImageDraw.Draw(picture)
        for proposal, colour in zip(found.proposals, palette, strict=True):
            pixel = project_points(camera, proposal.part.tip[None])[0][0]
            seen = engine.face_at(camera, (float(pixel[0]), float(pixel[1])))
            if seen is None or seen not in set(proposal.face_ids.tolist()):
                continue  # the tip is hidden from this side
            fill = tuple(int(255 * c * 0.6) for c in colour)
            draw.text(
                tuple(pixel),
                str(proposal.rank),
                fill=fill,
                font=font,
                anchor="mm",
                stroke_width=3,
                stroke_fill=(255, 255, 255),
            )
    sheet = contact_sheet([pictures[:2], pictures[2:]], TILE)
    titled = Image.new("RGB", (sheet.width, sheet.height + TITLE_HEIGHT), "white")
    titled.paste(sheet, (0, TITLE_HEIGHT))
    title = (
        f"{printable(mesh.source.spec)}: {counted(len(found.proposals), 'proposed part')}, numbered by rank"
    )
    ImageDraw.Draw(titled).text((12, 10), title, fill=(0, 0, 0), font=ImageFont.load_default(size=24))
    return write_png(path, titled)
