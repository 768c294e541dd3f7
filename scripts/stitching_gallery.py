"""Pictures of the shipped selections stitched into patches, for docs/stitching.md:

    python scripts/stitching_gallery.py docs/img

For each record in vdm/data/selections: the source with the selected faces highlighted beside the
patch, written as `stitching_<name>.png`; a rejected record gets a line in the log instead.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

from vdm.errors import Rejected
from vdm.images import write_png
from vdm.lasso.engine import replay
from vdm.lasso.preview import PreviewView, render_views
from vdm.records import load_record, shipped_records
from vdm.render.picture import patch_picture
from vdm.sources import load_source
from vdm.stitching.config import StitchConfig
from vdm.stitching.selection import stitch_selection

log = logging.getLogger(__name__)


def selection_picture(mesh, record, ids: np.ndarray, size: int) -> np.ndarray:
    """The source with the selected faces highlighted, seen from the record's first lasso camera."""
    view = PreviewView(record.strokes[0].camera, (), "")
    picture = render_views(mesh, ids, [view])[0]
    return np.asarray(picture.resize((round(picture.width * size / picture.height), size)))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = Path(argv[0] if argv else "docs/img")
    for path in shipped_records():
        record = load_record(path)
        mesh = load_source(record.source)
        ids = replay(record, mesh, f"Selection record {path}")
        left = selection_picture(mesh, record, ids, 400)
        try:
            right = patch_picture(stitch_selection(mesh, ids, StitchConfig()).patch, 400, (1,))
        except Rejected as exc:
            log.warning("%s: rejected at %s: %s", path.stem, exc.stage, exc.reason)
            continue
        target = out / f"stitching_{path.stem}.png"
        write_png(target, np.hstack([left, right]))
        log.info("wrote %s", target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
