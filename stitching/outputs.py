"""One selection record -> patch files and report on disk (what `vdm stitch` does)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from lasso.engine import replay
from stitching.augment import augment_patch
from stitching.config import StitchConfig
from stitching.selection import stitch_selection
from vdm.atomic import writable_dir, write_text_atomic
from vdm.errors import Rejected, VdmError
from vdm.patch import write_patch
from vdm.records import SelectionRecord, load_record
from vdm.source_config import SourceConfig
from vdm.sources import LoadedMesh, load_source

log = logging.getLogger(__name__)


def record_selection(
    record_path: Path, sources: SourceConfig | None = None
) -> tuple[SelectionRecord, LoadedMesh, np.ndarray]:
    """A record file, its loaded source and the faces its strokes select (checked by `replay`)."""
    record = load_record(record_path)
    mesh = load_source(record.source, sources)
    return record, mesh, replay(record, mesh, f"Selection record {record_path}")


def rejection_error(selection_id: str, exc: Rejected) -> VdmError:
    """A stitcher's refusal of a selection as the command's one sentence."""
    return VdmError(f"Selection {selection_id} was rejected at the {exc.stage} step: {exc.reason}")


def stitch_record(
    record_path: Path,
    out: Path,
    config: StitchConfig,
    augment: int = 0,
    seed: int = 0,
    preview: bool = False,
    sources: SourceConfig | None = None,
) -> dict:
    """Stitch one record into `out`; returns the report it writes. Rejections raise VdmError."""
    record, mesh, face_ids = record_selection(record_path, sources)
    writable_dir(out)  # before the Poisson solve
    selection = record.id
    report_path = out / f"{selection}.report.json"
    log.debug("stitching %s: %d faces of %s", selection, len(face_ids), record.source.spec)
    try:
        result = stitch_selection(mesh, face_ids, config)
        variants = augment_patch(result.patch, augment + 1, seed, config)[1:] if augment else []
    except Rejected as exc:
        report = {"selection_id": selection, "accepted": False, "stage": exc.stage, "reason": exc.reason}
        write_text_atomic(report_path, json.dumps(report, indent=1) + "\n")
        raise rejection_error(selection, exc) from exc
    written = [write_patch(out / f"{selection}.ply", result.patch)]
    for index, variant in enumerate(variants, start=1):
        written.append(write_patch(out / f"{selection}-a{index}.ply", variant.patch))
    report = {
        "selection_id": selection,
        **result.report,
        "augmentations": [{"index": i, **v.report} for i, v in enumerate(variants, start=1)],
        "seed": seed,
    }
    write_text_atomic(report_path, json.dumps(report, indent=1) + "\n")
    if preview:
        from stitching.preview import render_patch
        from vdm.images import write_png

        for path, patch in zip(written, [result.patch, *(v.patch for v in variants)], strict=True):
            write_png(path.with_suffix(".png"), render_patch(patch))
    for path in written:
        log.info("wrote %s", path)
    return report
