"""Pictures of the shipped selections stitched into patches, for docs/stitching.md:

    python scripts/stitching_gallery.py docs/img

For each record in vdm/data/selections: the source with the selected faces in red beside the
patch, written as `stitching_<name>.png`; a rejected record gets a line in the log instead.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

from lasso.engine import replay
from stitching.config import StitchConfig
from stitching.preview import render_mesh, render_patch
from stitching.selection import stitch_selection
from vdm.errors import Rejected
from vdm.images import write_png
from vdm.records import load_record, shipped_records
from vdm.sources import load_source

log = logging.getLogger(__name__)


def selection_picture(vertices: np.ndarray, faces: np.ndarray, ids: np.ndarray, size: int) -> np.ndarray:
    """The source around the selection, selected faces red, seen from outside the selection."""
    tri = vertices[faces]
    colours = np.full((len(faces), 3), 0.78)
    colours[ids] = (0.85, 0.2, 0.2)
    chosen = tri[ids].reshape(-1, 3)
    centre = chosen.mean(axis=0)
    normal = np.cross(tri[ids, 1] - tri[ids, 0], tri[ids, 2] - tri[ids, 0]).sum(axis=0)
    normal = normal / max(np.linalg.norm(normal), 1e-12)
    reach = float(np.linalg.norm(chosen - centre, axis=1).max())
    up = (0.0, 1.0, 0.0) if abs(normal[1]) < 0.9 else (0.0, 0.0, -1.0)
    eye = centre + normal * 3.2 * reach + np.asarray(up) * 0.8 * reach
    return render_mesh(
        tri.reshape(-1, 3), np.arange(3 * len(faces)).reshape(-1, 3), np.repeat(colours, 3, axis=0),
        eye=tuple(eye), target=tuple(centre), size=size, up=up,
    )  # fmt: skip


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = Path(argv[0] if argv else "docs/img")
    for path in shipped_records():
        record = load_record(path)
        mesh = load_source(record.source)
        ids = replay(record, mesh, f"Selection record {path}")
        left = selection_picture(mesh.vertices, mesh.faces, ids, 400)
        try:
            right = render_patch(stitch_selection(mesh, ids, StitchConfig()).patch, 400)
        except Rejected as exc:
            log.warning("%s: rejected at %s: %s", path.stem, exc.stage, exc.reason)
            continue
        target = out / f"stitching_{path.stem}.png"
        write_png(target, np.hstack([left, right]))
        log.info("wrote %s", target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
