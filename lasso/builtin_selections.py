"""Selection records shipped with the package for the built-in meshes (vdm/data/selections/).

Each one is a lasso a curator would draw: the part plus a little of the surface around it, made of
a few strokes from cameras that see the part (the first along the surface around the part's base,
with a margin; the others hugging the part from the sides so its hidden faces are included), then a
clean-up edit (the largest connected piece on one-piece meshes; dropping stray islands on the
creature's polygon soup). The stitching stage and `vdm demo` start from these records.

Regenerate them after changing a definition or the engine, and look at the pictures:

    python -m lasso.builtin_selections --preview out/selections

`--check` verifies that the shipped files are what this module makes (the tests run it).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from vdm.atomic import write_text_atomic
from vdm.errors import VdmError
from vdm.records import SHIPPED_SELECTIONS_DIR, Camera, Edit, SelectionRecord, Stroke, load_record
from vdm.sources import LoadedMesh

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 800, 600
# Fixed so that regenerating a record gives the same bytes.
CREATED = "2026-11-22T00:00:00Z"
ISLAND_FACES = 10  # the creature's stray islands are smaller than this; its shells are far larger


def lasso(
    eye: tuple[float, float, float], target: tuple[float, float, float], polygon: tuple[tuple[int, int], ...]
) -> Stroke:
    """A visible-only add stroke from a 45-degree perspective camera (y up), 800 x 600 pixels."""
    camera = Camera(eye=eye, target=target, up=(0.0, 1.0, 0.0), width=WIDTH, height=HEIGHT)
    return Stroke(camera=camera, polygon_px=tuple((float(x), float(y)) for x, y in polygon))


@dataclass(frozen=True)
class BuiltinSelection:
    """How a shipped record is made: the source, the strokes in order and the clean-up edit."""

    name: str
    source: str
    note: str
    strokes: tuple[Stroke, ...]
    edits: tuple[str, ...] = ()

    def edit_steps(self) -> list[Edit]:
        """The edits, applied after the last stroke."""
        n = len(self.strokes)
        return [Edit(op, n, min_faces=ISLAND_FACES if op == "drop_islands" else None) for op in self.edits]

    @property
    def path(self) -> Path:
        return SHIPPED_SELECTIONS_DIR / f"{self.name}.json"


SELECTIONS: tuple[BuiltinSelection, ...] = (
    # The horn's base touches the ear's upper edge, so every lasso stays below it on screen: the ear's
    # front from the front and below, its back from behind and below, its top rim from above and
    # behind (where the horn is higher up on screen). A strip of horn makes the patch fold (gates).
    BuiltinSelection(
        name="cow-ear",
        source="builtin:cow",
        note="right ear, with the skin around its base",
        strokes=(
            lasso(
                eye=(0.5, 0.15, 0.95),
                target=(0.17, 0.37, 0.57),
                polygon=(
                    (350, 300),
                    (362, 268),
                    (385, 245),
                    (430, 232),
                    (485, 232),
                    (510, 255),
                    (505, 300),
                    (475, 345),
                    (435, 385),
                    (400, 405),
                    (360, 410),
                    (330, 395),
                    (318, 365),
                    (325, 335),
                    (345, 318),
                ),
            ),
            lasso(
                eye=(0.35, 0.1, 0.15),
                target=(0.17, 0.37, 0.57),
                polygon=(
                    (300, 240),
                    (330, 238),
                    (380, 268),
                    (440, 296),
                    (520, 298),
                    (560, 310),
                    (565, 370),
                    (520, 395),
                    (470, 395),
                    (420, 392),
                    (360, 375),
                    (330, 350),
                    (300, 290),
                ),
            ),
            lasso(
                eye=(0.45, 0.7, 0.4),
                target=(0.17, 0.37, 0.57),
                polygon=(
                    (360, 250),
                    (385, 240),
                    (420, 245),
                    (445, 268),
                    (470, 280),
                    (455, 300),
                    (420, 320),
                    (380, 330),
                    (355, 310),
                ),
            ),
        ),
        edits=("keep_largest",),
    ),
    BuiltinSelection(
        name="cow-horn",
        source="builtin:cow",
        note="right horn, with the skin around its base",
        strokes=(
            lasso(
                eye=(0.426, 1.002, 0.926),
                target=(0.14, 0.43, 0.64),
                polygon=(
                    (373, 350),
                    (327, 346),
                    (314, 334),
                    (327, 322),
                    (380, 292),
                    (372, 284),
                    (376, 280),
                    (368, 271),
                    (374, 250),
                    (389, 232),
                    (405, 220),
                    (414, 218),
                    (424, 224),
                    (446, 247),
                    (454, 261),
                    (452, 282),
                    (466, 280),
                    (496, 305),
                    (490, 311),
                    (492, 320),
                    (479, 332),
                    (437, 330),
                    (427, 320),
                    (407, 338),
                ),
            ),
            lasso(
                eye=(0.499, 0.49, 1.238),
                target=(0.14, 0.43, 0.64),
                polygon=(
                    (435, 360),
                    (422, 343),
                    (420, 334),
                    (429, 324),
                    (390, 350),
                    (383, 342),
                    (373, 348),
                    (360, 336),
                    (364, 328),
                    (356, 319),
                    (360, 302),
                    (330, 274),
                    (343, 262),
                    (417, 260),
                    (432, 268),
                    (446, 285),
                    (444, 309),
                    (432, 321),
                    (472, 312),
                    (492, 337),
                    (479, 350),
                    (456, 352),
                ),
            ),
            lasso(
                eye=(0.448, 0.553, 0.024),
                target=(0.14, 0.43, 0.64),
                polygon=(
                    (403, 386),
                    (374, 356),
                    (368, 345),
                    (380, 332),
                    (398, 335),
                    (360, 305),
                    (346, 274),
                    (368, 248),
                    (379, 258),
                    (407, 270),
                    (480, 288),
                    (500, 310),
                    (490, 334),
                    (463, 360),
                    (461, 358),
                    (457, 362),
                    (441, 354),
                    (444, 359),
                    (422, 384),
                    (413, 376),
                ),
            ),
        ),
        edits=("keep_largest",),
    ),
    BuiltinSelection(
        name="cow-nose",
        source="builtin:cow",
        note="nose and muzzle",
        strokes=(
            lasso(
                eye=(0.089, 0.259, 1.43),
                target=(0.0, 0.2, 0.84),
                polygon=(
                    (432, 386),
                    (382, 384),
                    (330, 339),
                    (324, 324),
                    (330, 285),
                    (338, 271),
                    (374, 230),
                    (388, 222),
                    (409, 216),
                    (432, 222),
                    (448, 230),
                    (472, 254),
                    (472, 264),
                    (484, 279),
                    (494, 323),
                    (488, 342),
                ),
            ),
            lasso(
                eye=(0.101, -0.307, 1.144),
                target=(0.0, 0.2, 0.84),
                polygon=(
                    (404, 396),
                    (392, 384),
                    (383, 392),
                    (352, 376),
                    (345, 382),
                    (332, 367),
                    (326, 342),
                    (328, 312),
                    (352, 264),
                    (367, 248),
                    (391, 246),
                    (416, 234),
                    (429, 236),
                    (438, 246),
                    (455, 254),
                    (482, 281),
                    (498, 307),
                    (480, 349),
                    (468, 362),
                    (465, 360),
                    (451, 374),
                    (436, 360),
                    (422, 366),
                    (416, 383),
                ),
            ),
        ),
        edits=("keep_largest",),
    ),
    BuiltinSelection(
        name="bunny-ear",
        source="builtin:bunny",
        note="right ear, with the head around its base",
        strokes=(
            lasso(
                eye=(0.515, 0.595, 0.745),
                target=(0.245, 0.46, 0.285),
                polygon=(
                    (290, 464),
                    (273, 452),
                    (270, 454),
                    (258, 442),
                    (258, 436),
                    (246, 424),
                    (244, 411),
                    (238, 405),
                    (242, 400),
                    (238, 396),
                    (236, 351),
                    (250, 328),
                    (320, 268),
                    (459, 184),
                    (497, 168),
                    (510, 168),
                    (548, 186),
                    (566, 205),
                    (572, 227),
                    (562, 245),
                    (562, 254),
                    (542, 270),
                    (544, 275),
                    (462, 354),
                    (401, 374),
                    (315, 412),
                    (314, 421),
                    (320, 432),
                    (318, 445),
                    (298, 462),
                    (294, 460),
                ),
            ),
            lasso(
                eye=(0.133, 0.88, -0.051),
                target=(0.245, 0.46, 0.285),
                polygon=(
                    (505, 382),
                    (495, 378),
                    (490, 380),
                    (484, 363),
                    (472, 350),
                    (382, 336),
                    (323, 320),
                    (273, 316),
                    (252, 318),
                    (243, 314),
                    (232, 314),
                    (226, 308),
                    (226, 300),
                    (236, 285),
                    (270, 252),
                    (299, 240),
                    (347, 236),
                    (426, 254),
                    (522, 291),
                    (514, 302),
                    (532, 332),
                    (528, 343),
                    (532, 347),
                    (522, 370),
                ),
            ),
        ),
        edits=("keep_largest",),
    ),
    BuiltinSelection(
        name="creature-ear",
        source="builtin:creature",
        note="right ear (skin and inner ear), with the head around its base",
        strokes=(
            lasso(
                eye=(2.914, 1.818, -0.17),
                target=(0.88, 0.55, -0.05),
                polygon=(
                    (418, 370),
                    (379, 370),
                    (340, 360),
                    (282, 306),
                    (280, 300),
                    (282, 290),
                    (328, 244),
                    (362, 230),
                    (418, 226),
                    (446, 232),
                    (471, 242),
                    (522, 290),
                    (524, 305),
                    (471, 358),
                    (455, 364),
                ),
            ),
            lasso(
                eye=(1.543, 1.213, 2.159),
                target=(0.88, 0.55, -0.05),
                polygon=(
                    (367, 350),
                    (352, 342),
                    (346, 328),
                    (348, 318),
                    (344, 314),
                    (360, 292),
                    (411, 258),
                    (451, 238),
                    (491, 228),
                    (506, 231),
                    (504, 245),
                    (496, 257),
                    (465, 288),
                    (415, 324),
                ),
            ),
            lasso(
                eye=(1.543, 1.213, -2.259),
                target=(0.88, 0.55, -0.05),
                polygon=(
                    (430, 346),
                    (391, 330),
                    (332, 288),
                    (306, 261),
                    (300, 247),
                    (300, 237),
                    (323, 234),
                    (355, 244),
                    (392, 262),
                    (435, 290),
                    (452, 312),
                    (448, 315),
                    (452, 321),
                    (452, 332),
                    (447, 342),
                ),
            ),
        ),
        edits=("drop_islands",),
    ),
    BuiltinSelection(
        name="creature-horn",
        source="builtin:creature",
        note="right horn, with the head around its base",
        strokes=(
            lasso(
                eye=(1.995, 3.328, -0.05),
                target=(0.6, 0.9, -0.05),
                polygon=(
                    (379, 374),
                    (354, 366),
                    (308, 320),
                    (298, 298),
                    (300, 287),
                    (310, 270),
                    (350, 230),
                    (367, 220),
                    (396, 224),
                    (450, 278),
                    (409, 320),
                    (394, 307),
                    (420, 333),
                ),
            ),
            lasso(
                eye=(1.373, 1.673, 2.528),
                target=(0.6, 0.9, -0.05),
                polygon=(
                    (396, 364),
                    (384, 362),
                    (368, 352),
                    (351, 356),
                    (334, 338),
                    (332, 327),
                    (378, 280),
                    (415, 252),
                    (468, 220),
                    (545, 188),
                    (454, 278),
                ),
            ),
            lasso(
                eye=(1.602, 1.651, -2.554),
                target=(0.6, 0.9, -0.05),
                polygon=(
                    (385, 346),
                    (342, 272),
                    (286, 212),
                    (332, 224),
                    (362, 238),
                    (410, 274),
                    (442, 307),
                    (441, 322),
                    (438, 318),
                    (426, 332),
                    (409, 342),
                ),
            ),
            lasso(
                eye=(3.333, 0.353, -0.323),
                target=(0.6, 0.9, -0.05),
                polygon=(
                    (351, 314),
                    (362, 279),
                    (392, 226),
                    (432, 182),
                    (486, 144),
                    (438, 219),
                    (420, 264),
                    (416, 295),
                    (411, 292),
                    (388, 292),
                    (378, 298),
                    (375, 296),
                    (367, 304),
                    (365, 302),
                ),
            ),
            lasso(
                eye=(-0.19, 3.534, -0.577),
                target=(0.6, 0.9, -0.05),
                polygon=(
                    (423, 346),
                    (419, 342),
                    (415, 346),
                    (400, 332),
                    (382, 301),
                    (335, 254),
                    (295, 226),
                    (240, 197),
                    (277, 202),
                    (348, 222),
                    (389, 242),
                    (428, 266),
                    (460, 299),
                    (468, 314),
                    (468, 322),
                    (461, 334),
                    (455, 330),
                    (442, 340),
                ),
            ),
        ),
        edits=("drop_islands",),
    ),
    BuiltinSelection(
        name="creature-snout",
        source="builtin:creature",
        note="snout, with the face around it",
        strokes=(
            lasso(
                eye=(0.0, -0.556, 3.293),
                target=(0.0, -0.2, 0.92),
                polygon=(
                    (416, 418),
                    (369, 416),
                    (333, 400),
                    (270, 340),
                    (256, 311),
                    (258, 280),
                    (276, 252),
                    (321, 206),
                    (340, 194),
                    (366, 182),
                    (420, 180),
                    (459, 194),
                    (478, 206),
                    (524, 252),
                    (534, 267),
                    (542, 288),
                    (542, 311),
                    (530, 340),
                    (466, 400),
                    (443, 412),
                ),
            ),
            lasso(
                eye=(1.883, -0.671, 2.332),
                target=(0.0, -0.2, 0.92),
                polygon=(
                    (404, 376),
                    (385, 376),
                    (360, 370),
                    (329, 350),
                    (312, 324),
                    (308, 297),
                    (318, 265),
                    (338, 242),
                    (374, 224),
                    (418, 222),
                    (433, 224),
                    (454, 237),
                    (474, 262),
                    (472, 267),
                    (480, 274),
                    (476, 284),
                    (480, 297),
                    (476, 306),
                    (476, 331),
                    (458, 357),
                    (443, 368),
                ),
            ),
            lasso(
                eye=(-1.883, -0.671, 2.332),
                target=(0.0, -0.2, 0.92),
                polygon=(
                    (414, 376),
                    (380, 374),
                    (356, 368),
                    (342, 357),
                    (324, 331),
                    (324, 306),
                    (318, 297),
                    (324, 282),
                    (320, 274),
                    (326, 267),
                    (326, 259),
                    (344, 237),
                    (366, 224),
                    (408, 222),
                    (439, 230),
                    (470, 250),
                    (486, 275),
                    (492, 304),
                    (488, 324),
                    (480, 340),
                    (451, 364),
                ),
            ),
        ),
        edits=("drop_islands",),
    ),
)


def builtin_selection_names() -> list[str]:
    """Names of the shipped records, e.g. 'cow-ear'."""
    return [s.name for s in SELECTIONS]


def builtin_selection_path(name: str) -> Path:
    """Path of a shipped record by name."""
    for selection in SELECTIONS:
        if selection.name == name:
            return selection.path
    raise VdmError(
        f"There is no shipped selection '{name}' (choose from {', '.join(builtin_selection_names())})."
    )


def make_record(selection: BuiltinSelection, mesh: LoadedMesh | None = None) -> SelectionRecord:
    """Run the engine on the built-in mesh (loaded unless given) and build the record with its face ids."""
    from lasso.engine import engine_for
    from vdm.sources import load_source

    mesh = mesh or load_source(selection.source)
    edits = selection.edit_steps()
    face_ids = engine_for(mesh).select(selection.strokes, edits)
    return SelectionRecord(
        source=mesh.source,
        strokes=list(selection.strokes),
        face_ids=face_ids.tolist(),
        note=selection.note,
        created=CREATED,
        edits=edits,
    )


def write_preview(selection: BuiltinSelection, record: SelectionRecord, path: Path) -> None:
    """Contact sheet: each stroke's view with its lasso, then the selection from four sides."""
    import numpy as np

    from lasso.preview import PreviewView, contact_sheet, orbit, render_views
    from vdm.sources import load_source

    mesh = load_source(selection.source)
    first = selection.strokes[0].camera
    views = [PreviewView(s.camera, (s,), f"stroke {i + 1}") for i, s in enumerate(selection.strokes)]
    views += [PreviewView(orbit(first, a), (), f"turned {a} deg") for a in (60, 120, 180, 300)]
    pictures = render_views(mesh, np.asarray(record.face_ids), views)
    half = (len(pictures) + 1) // 2
    sheet = contact_sheet([pictures[:half], pictures[half:]], (400, 300))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def write_overview(path: Path) -> None:
    """One sheet with every shipped selection: its first stroke's view (with the lasso) and the part
    turned 70 degrees, to see the part's other side was taken too."""
    import numpy as np

    from lasso.preview import PreviewView, contact_sheet, orbit, render_views
    from vdm.sources import load_source

    tiles = []
    for selection in SELECTIONS:
        mesh = load_source(selection.source)
        ids = np.asarray(load_record(selection.path).face_ids)
        first = selection.strokes[0]
        views = [
            PreviewView(first.camera, (first,), selection.name),
            PreviewView(orbit(first.camera, 70), ()),
        ]
        tiles += render_views(mesh, ids, views)
    rows = [tiles[i : i + 4] for i in range(0, len(tiles), 4)]
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows, (320, 240)).save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lasso.builtin_selections", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="Only verify the shipped files; write nothing.")
    parser.add_argument(
        "--preview", type=Path, help="Also write a contact sheet per selection into this folder."
    )
    parser.add_argument("--overview", type=Path, help="Also write one picture of all the selections (PNG).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stale = []
    for selection in SELECTIONS:
        record = make_record(selection)
        text = record.dumps()
        current = selection.path.read_text(encoding="utf-8") if selection.path.exists() else None
        if args.check:
            if current != text:
                stale.append(selection.name)
        elif current != text:
            write_text_atomic(selection.path, text)
            log.info("wrote %s (%d faces)", selection.path, len(record.face_ids or []))
        if args.preview:
            write_preview(
                selection,
                load_record(selection.path) if args.check else record,
                args.preview / f"{selection.name}.png",
            )
    if args.overview:
        write_overview(args.overview)
    if stale:
        log.error("out of date: %s (run python -m lasso.builtin_selections)", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
