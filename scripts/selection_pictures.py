"""Pictures of the shipped selection records for the docs (docs/lasso.md):

    python scripts/selection_pictures.py --preview out/selections --overview docs/img/lasso_selections.png

`--preview DIR`: per record, each stroke's view with its lasso, then the selection from four sides.
`--overview PNG`: one sheet with every record's first stroke and the part turned 70 degrees.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from vdm.images import write_png
from vdm.lasso.preview import PreviewView, contact_sheet, render_views, selection_sheet, selection_views
from vdm.records import SelectionRecord, load_record, shipped_records
from vdm.sources import load_source


def write_preview(record: SelectionRecord, path: Path) -> None:
    """Each stroke's view with its lasso, then the selection from the way it faces, its sides and above."""
    mesh = load_source(record.source)
    write_png(path, selection_sheet(mesh, np.asarray(record.face_ids), record.strokes, (400, 300)))


def write_overview(path: Path) -> None:
    """One sheet: every shipped record's first stroke (with the lasso) and the part from its side."""
    tiles = []
    for record_path in shipped_records():
        record = load_record(record_path)
        first = record.strokes[0]
        mesh, ids = load_source(record.source), np.asarray(record.face_ids)
        side = selection_views(mesh, ids, first.camera)[1]
        tiles += render_views(mesh, ids, [PreviewView(first.camera, (first,), record_path.stem), side])
    rows = [tiles[i : i + 4] for i in range(0, len(tiles), 4)]
    write_png(path, contact_sheet(rows, (320, 240)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preview", type=Path, help="Write a contact sheet per record into this folder.")
    parser.add_argument("--overview", type=Path, help="Write one picture of all the records (PNG).")
    args = parser.parse_args()
    for record_path in shipped_records() if args.preview else ():
        write_preview(load_record(record_path), args.preview / f"{record_path.stem}.png")
    if args.overview:
        write_overview(args.overview)


if __name__ == "__main__":
    main()
