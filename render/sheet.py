"""Contact sheets: per patch, the condition image beside its 3 x 2 normal grid (and its baked VDM),
named as a person names the part, under a title and the panels' names.

What a person looks at to judge a render or a dataset at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vdm.images import compose_grid, write_png
from vdm.render.views import ViewImages
from vdm.rig import FRONT_VIEW, GRID_COLS, GRID_ROWS, GRID_VIEWS

CAPTION = 16  # pixels of text under each cell
GAP = 6
TITLE_HEIGHT = 30
HEADING_HEIGHT = 18


@dataclass
class SheetEntry:
    """One patch on a sheet."""

    label: str
    condition: np.ndarray  # (H, W, 3) uint8, the front RGB render
    normal_grid: np.ndarray  # (3 t, 2 t, 3) uint8, views 0, 1, 3, 4, 5, 6
    vdm: np.ndarray | None = None  # (N, N, 3) uint8, the baked VDM as a picture (vdm_picture)


def entry_from_views(label: str, views: dict[int, ViewImages]) -> SheetEntry:
    """A sheet entry from freshly rendered views."""
    return SheetEntry(label, views[FRONT_VIEW].rgb, compose_grid({k: views[k].normal for k in GRID_VIEWS}))


def _resized(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image[..., :3]).resize((width, height), Image.Resampling.LANCZOS))


def cell(entry: SheetEntry, tile: int) -> np.ndarray:
    """The condition image (2 tiles square, vertically centred) left of the normal grid, then the
    baked VDM where there is one, captioned."""
    height = GRID_ROWS * tile
    width = 2 * tile + GAP + GRID_COLS * tile + (GAP + 2 * tile if entry.vdm is not None else 0)
    canvas = Image.new("RGB", (width, height + CAPTION), "white")
    top = (height - 2 * tile) // 2
    canvas.paste(Image.fromarray(_resized(entry.condition, 2 * tile, 2 * tile)), (0, top))
    grid = _resized(entry.normal_grid, GRID_COLS * tile, GRID_ROWS * tile)
    canvas.paste(Image.fromarray(grid), (2 * tile + GAP, 0))
    if entry.vdm is not None:
        canvas.paste(Image.fromarray(_resized(entry.vdm, 2 * tile, 2 * tile)), (width - 2 * tile, top))
    font = _font(tile)
    label = _fitted(entry.label, font, width - 4)
    ImageDraw.Draw(canvas).text((2, height + 1), label, fill=(0, 0, 0), font=font)
    return np.asarray(canvas)


HEADINGS = ("front view", "six normal maps", "baked VDM")


def _headings(width: int, tile: int, with_vdm: bool) -> list[tuple[int, str]]:
    """Where each panel of a cell starts, and its name."""
    spots = [(0, HEADINGS[0]), (2 * tile + GAP, HEADINGS[1])]
    return spots + ([(width - 2 * tile, HEADINGS[2])] if with_vdm else [])


def _fitted(text: str, font: ImageFont.ImageFont, width: float) -> str:
    """`text`, or where it is wider than `width` pixels, cut with an ellipsis."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "...") > width:
        text = text[:-1]
    return text + "..."


def contact_sheet(
    entries: Sequence[SheetEntry], tile: int = 64, columns: int = 4, title: str = ""
) -> np.ndarray:
    """All entries' cells in rows of `columns`, on white, under a title and the panels' names."""
    if not entries:
        raise ValueError("a contact sheet needs at least one entry")
    cells = [cell(e, tile) for e in entries]
    h, w = cells[0].shape[:2]
    columns = min(columns, len(cells))
    rows = -(-len(cells) // columns)
    top = (TITLE_HEIGHT if title else 0) + HEADING_HEIGHT
    image = Image.new("RGB", (columns * (w + GAP) + GAP, top + rows * (h + GAP) + GAP), "white")
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((GAP, 6), title, fill=(0, 0, 0), font=ImageFont.load_default(size=18))
    with_vdm = any(e.vdm is not None for e in entries)
    for col in range(columns):
        for x, text in _headings(w, tile, with_vdm):
            left = GAP + col * (w + GAP) + x
            draw.text((left, top - HEADING_HEIGHT + 3), text, fill=(90, 90, 90), font=_font(tile))
    for i, c in enumerate(cells):
        r, col = divmod(i, columns)
        image.paste(Image.fromarray(c), (GAP + col * (w + GAP), top + GAP + r * (h + GAP)))
    return np.asarray(image)


def _font(tile: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=max(10, min(16, tile // 5)))


def write_contact_sheet(
    path: str | Path, entries: Sequence[SheetEntry], tile: int = 64, columns: int = 4, title: str = ""
) -> Path:
    """Write a contact sheet PNG through a temporary name; returns the path."""
    path = Path(path)
    write_png(path, contact_sheet(entries, tile, columns, title))
    return path


def icon_sheet(
    icons: Sequence[tuple[str, str, np.ndarray]], title: str, columns: int = 8, tile: int = 160
) -> np.ndarray:
    """Named pictures (a brush library's icons: name, catalog, picture) in rows of `columns` under
    a title, the name and, in grey, the catalog under each picture: what a person scans to find a
    brush. A name too long for its tile is cut with an ellipsis, never wrapped mid-word."""
    if not icons:
        raise ValueError("a sheet needs at least one picture")
    font = ImageFont.load_default(size=13)
    head = ImageFont.load_default(size=20)
    caption, title_height = 34, 36
    columns = min(columns, len(icons))
    rows = -(-len(icons) // columns)
    width = max(columns * (tile + GAP) + GAP, round(head.getlength(title)) + 2 * GAP)
    sheet = Image.new("RGB", (width, title_height + rows * (tile + caption + GAP)), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((GAP, 8), title, fill=(0, 0, 0), font=head)
    for i, (name, catalog, picture) in enumerate(icons):
        r, c = divmod(i, columns)
        x, y = GAP + c * (tile + GAP), title_height + r * (tile + caption + GAP)
        image = Image.fromarray(picture)
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGB"), mask=image.getchannel("A") if image.mode == "RGBA" else None)
        sheet.paste(background.resize((tile, tile), Image.Resampling.LANCZOS), (x, y))
        draw.text((x + 2, y + tile + 2), _fitted(name, font, tile - 4), fill=(0, 0, 0), font=font)
        draw.text((x + 2, y + tile + 17), _fitted(catalog, font, tile - 4), fill=(110, 110, 110), font=font)
    return np.asarray(sheet)
