"""One selection record -> patch files and report on disk (what `vdm stitch` does)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from vdm.atomic import writable_dir, write_text_atomic
from vdm.errors import Rejected, VdmError
from vdm.lasso.engine import with_face_ids
from vdm.patch import write_patch
from vdm.records import SelectionRecord, load_record
from vdm.source_config import SourceConfig
from vdm.sources import LoadedMesh, load_source
from vdm.stitching.augment import augment_patch
from vdm.stitching.config import Augmentations, StitchConfig
from vdm.stitching.selection import stitch_selection

log = logging.getLogger(__name__)


def record_selection(
    record_path: Path, sources: SourceConfig | None = None
) -> tuple[SelectionRecord, LoadedMesh, np.ndarray]:
    """A record file (with its replayed face ids), its loaded source and those faces."""
    record = load_record(record_path)
    mesh = load_source(record.source, sources)
    record = with_face_ids(record, mesh, f"Selection record {record_path}")
    return record, mesh, np.asarray(record.face_ids, dtype=np.int64)


def rejection_error(selection_id: str, exc: Rejected) -> VdmError:
    """A stitcher's refusal of a selection as the command's one sentence."""
    return VdmError(f"Selection {selection_id} was rejected at the {exc.stage} step: {exc.reason}")


def stitch_record(
    record_path: Path,
    out: Path,
    config: StitchConfig,
    augment: Augmentations | None = None,
    preview: bool = False,
    sources: SourceConfig | None = None,
) -> dict:
    """Stitch one record into `out` with `augment.count - 1` variants beside it (none by default);
    returns the report it writes. Rejections raise VdmError."""
    augment = augment or Augmentations(count=1)
    record, mesh, face_ids = record_selection(record_path, sources)
    writable_dir(out)  # before the Poisson solve
    selection = record.id
    report_path = out / f"{selection}.report.json"
    log.debug("stitching %s: %d faces of %s", selection, len(face_ids), record.source.spec)
    try:
        result = stitch_selection(mesh, face_ids, config)
        variants = augment_patch(result.patch, augment.count, augment.seed, config)[1:]
    except Rejected as exc:
        report = {"selection_id": selection, "accepted": False, "stage": exc.stage, "reason": exc.reason}
        write_text_atomic(report_path, json.dumps(report, indent=1) + "\n")
        raise rejection_error(selection, exc) from exc
    written = [write_patch(out / f"{selection}.ply", result.patch)]
    for index, variant in enumerate(variants, start=1):
        written.append(write_patch(out / f"{selection}-a{index}.ply", variant.patch))
    report = {
        "selection_id": selection,
        "note": record.note,  # what names a brush baked from these patches (vdm.patch.patch_origin)
        **result.report,
        "augmentations": [{"index": i, **v.report} for i, v in enumerate(variants, start=1)],
        "seed": augment.seed,
    }
    write_text_atomic(report_path, json.dumps(report, indent=1) + "\n")
    if preview:
        from vdm.images import write_png
        from vdm.render.picture import height_coloured, patch_picture

        for path, patch in zip(written, [result.patch, *(v.patch for v in variants)], strict=True):
            write_png(path.with_suffix(".png"), patch_picture(height_coloured(patch)))
    for path in written:
        log.info("wrote %s", path)
    return report
