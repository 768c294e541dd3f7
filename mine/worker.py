"""One selection record through the whole miner: source, faces, stitch, augment, render.

`mine_record` runs in a worker (a local process or a Ray task) and returns everything the dataset
needs as bytes and JSON lines; it writes nothing. The driver writes the files and commits the
lines in input order, so the dataset is the same whatever ran the work and in which order.
Any failure becomes a rejected line with its stage and a one-sentence reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vdm.dataset import patch_paths, selection_file
from vdm.errors import Rejected, VdmError, short_reason
from vdm.mine.config import DATASET_VERSION, MineConfig
from vdm.records import SelectionRecord, parse_record

if TYPE_CHECKING:
    from vdm.patch import Patch
    from vdm.source_config import SourceConfig
    from vdm.sources import LoadedMesh, SourceRef

log = logging.getLogger(__name__)

PATCH_KIND = "patch"  # the source kind of an imported patch .ply


@dataclass
class RecordTask:
    """One input: its position in the input, where it came from, and its parsed JSON (a selection
    record), or the sha256 of a patch .ply to import."""

    index: int
    path: str
    selection_id: str
    record: dict[str, Any] | None  # None when the file could not be read as a record, or is a patch
    error: str = ""  # why not, one sentence
    patch_sha256: str | None = None  # an imported patch (source kind "patch") instead of a record
    synth: dict[str, int] | None = None  # a procedural patch of `vdm synth`: its seed and index


@dataclass(frozen=True)
class Origin:
    """What a dataset patch was made from: a selection record, or an imported patch file."""

    id: str
    source: dict[str, str]
    note: str
    created: str | None  # the selection's time (re-mining gives the same bytes); None for a patch
    extra: dict[str, Any] = field(default_factory=dict)  # more provenance for the manifest entry

    @classmethod
    def of_record(cls, record: SelectionRecord) -> Origin:
        return cls(record.id, record.source.to_json(), record.note, record.created)


@dataclass
class RecordResult:
    """What mining one record produced: files (dataset-relative path -> bytes) and JSON lines."""

    index: int
    selection_id: str
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def reject(self, item_id: str, stage: str, reason: str) -> None:
        reason = reason.strip()
        self.rejected.append(
            {
                "id": item_id,
                "selection_id": self.selection_id,
                "stage": stage,
                "reason": reason if reason.endswith(".") else reason + ".",
            }
        )


def augment_seed(seed: int, selection_id: str) -> int:
    """The augmentation seed of one selection: independent of input order and worker."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{selection_id}".encode()).digest()[:8], "little")


def plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python numbers and lists, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


@lru_cache(maxsize=4)
def _load_source(source: SourceRef, config: SourceConfig) -> LoadedMesh:
    """Loaded meshes are kept per worker: records of one asset usually come together."""
    from vdm.sources import load_source

    return load_source(source, config)


def _entry(origin: Origin, patch_id: str, index: int, variant: Any, patch_bytes: bytes) -> dict[str, Any]:
    patch = variant.patch
    quality = {
        "gates": variant.report.get("gates", {}),
        "vertices": len(patch.vertices),
        "faces": len(patch.faces),
        "max_height": float(patch.vertices[:, 2].max()),
    }
    return plain(
        {
            "patch_id": patch_id,
            "selection_id": origin.id,
            "source": origin.source,
            "note": origin.note,
            "augmentation": {"index": index, **variant.augmentation},
            "quality": quality,
            "files": {
                **patch_paths(patch_id),
                "selection": selection_file(origin.id),
                "patch_sha256": hashlib.sha256(patch_bytes).hexdigest(),
            },
            "version": DATASET_VERSION,
            "created": origin.created,  # the selection's time: re-mining gives the same bytes
            **origin.extra,
        }
    )


def mine_record(task: RecordTask, config: MineConfig) -> RecordResult:
    """Mine one record: never raises for a bad record, it is rejected with stage and reason."""
    start = time.perf_counter()
    result = RecordResult(task.index, task.selection_id)
    if task.patch_sha256 is not None or task.synth is not None:
        (_import_patch if task.synth is None else _synthetic_patch)(task, config, result)
        result.seconds = time.perf_counter() - start
        return result
    if task.record is None:
        result.reject(task.selection_id, "record", task.error)
        result.seconds = time.perf_counter() - start
        return result
    record, variants = _stitch(parse_record(task.record, f"Selection record {task.path}"), config, result)
    result.files[selection_file(record.id)] = record.dumps().encode("utf-8")
    for index, variant in enumerate(variants):
        _render_variant(Origin.of_record(record), index, variant, config, result)
    result.seconds = time.perf_counter() - start
    return result


def _add_patch(origin: Origin, read: Callable[[], Patch], config: MineConfig, result: RecordResult) -> None:
    """A patch that needs no stitching (an imported file, a procedural one): checked as a patch
    (conventions section 1), augmented, rendered and baked like a stitched one; refused with its
    reason otherwise."""
    from vdm.patch_checks import patch_problem
    from vdm.stitching import augment_patch

    kind = origin.source["kind"]
    try:
        patch = read()
        problem = patch_problem(patch)
        if problem is not None:
            raise VdmError(f"{origin.source['ref']} is not a patch (conventions section 1): {problem}")
        seed = augment_seed(config.augment.seed, origin.id)
        variants = augment_patch(patch, config.augment.count, seed, config.stitch)
    except VdmError as exc:
        result.reject(origin.id, kind, str(exc))
        return
    provenance = {"kind": kind, "id": origin.id, "source": origin.source, **origin.extra}
    result.files[selection_file(origin.id)] = (json.dumps(provenance, indent=1) + "\n").encode("utf-8")
    for index, variant in enumerate(variants):
        _render_variant(origin, index, variant, config, result)


def _import_patch(task: RecordTask, config: MineConfig, result: RecordResult) -> None:
    """An artist's or another project's patch .ply."""
    from vdm.patch import read_patch

    source = {"kind": PATCH_KIND, "ref": task.path, "sha256": task.patch_sha256 or ""}
    _add_patch(
        Origin(task.selection_id, source, "", None),
        lambda: read_patch(task.path, config.sources.max_faces),
        config,
        result,
    )


def _synthetic_patch(task: RecordTask, config: MineConfig, result: RecordResult) -> None:
    """A procedural patch of `vdm synth`: the first of its index's drawn specs whose patches all pass
    every gate (a draw can make a part that crosses itself or needs more pixels); the generator and
    its parameters are its provenance."""
    from vdm.mine.synth import MAX_DRAWS, SYNTHETIC_KIND, draw_spec, synth_patch

    seed, index = (task.synth or {})["seed"], (task.synth or {})["index"]
    for draw in range(MAX_DRAWS):
        spec = draw_spec(seed, index, draw)
        source = {"kind": SYNTHETIC_KIND, "ref": f"{task.path}-{spec.generator}", "sha256": spec.digest()}
        extra = {"generator": {**spec.to_json(), "draw": draw}}
        origin = Origin(task.selection_id, source, spec.generator, None, extra)
        attempt = RecordResult(result.index, result.selection_id)
        _add_patch(origin, lambda spec=spec: synth_patch(spec), config, attempt)
        if not attempt.rejected or draw == MAX_DRAWS - 1:
            result.files, result.manifest, result.rejected = attempt.files, attempt.manifest, attempt.rejected
            return


def _stitch(
    record: SelectionRecord, config: MineConfig, result: RecordResult
) -> tuple[SelectionRecord, list[Any]]:
    """Source, faces, stitch and augment: the record with its face ids and the variants; on failure
    the record is rejected and no variant returned."""
    from vdm.lasso.engine import with_face_ids
    from vdm.stitching import augment_patch, stitch_selection

    stage = "source"
    try:
        mesh = _load_source(record.source, config.sources)
        stage = "select"
        record = with_face_ids(record, mesh, f"Selection {record.id}")
        stage = "stitch"
        stitched = stitch_selection(mesh, record.face_ids, config.stitch)
        stage = "augment"
        seed = augment_seed(config.augment.seed, record.id)
        return record, augment_patch(stitched.patch, config.augment.count, seed, config.stitch)
    except Rejected as exc:
        result.reject(record.id, exc.stage, exc.reason)
    except VdmError as exc:
        result.reject(record.id, stage, str(exc))
    except Exception as exc:  # a bug or a library failure: recorded, logged, and the run goes on
        log.warning("selection %s failed at %s", record.id, stage, exc_info=True)
        result.reject(record.id, stage, f"Unexpected {type(exc).__name__} ({short_reason(exc)})")
    return record, []


def _render_variant(
    origin: Origin,
    index: int,
    variant: Any,
    config: MineConfig,
    result: RecordResult,
) -> None:
    from vdm.patch import patch_ply_bytes
    from vdm.render.renderer import shared_renderer
    from vdm.render.views import view_pngs

    patch_id = f"{origin.id}-a{index}"
    try:
        views = shared_renderer(config.size).render(variant.patch)
    except VdmError as exc:
        result.reject(patch_id, "render", str(exc))
        return
    except Exception as exc:
        log.warning("patch %s failed to render", patch_id, exc_info=True)
        result.reject(patch_id, "render", f"Unexpected {type(exc).__name__} ({short_reason(exc)})")
        return
    baked = _bake(patch_id, variant.patch, config, result)
    if baked is None:
        return
    vdm_file, brush = baked
    paths = patch_paths(patch_id)
    patch_bytes = patch_ply_bytes(variant.patch)
    result.files[paths["patch"]] = patch_bytes
    for name, data in view_pngs(views).items():
        result.files[f"{paths['views']}/{name}"] = data
    result.files[paths["vdm"]] = vdm_file
    entry = _entry(origin, patch_id, index, variant, patch_bytes)
    entry["quality"]["brush"] = brush
    result.manifest.append(entry)


def _bake(patch_id: str, patch: Any, config: MineConfig, result: RecordResult) -> tuple[bytes, dict] | None:
    """The patch's ground-truth VDM (its bytes) and its section-6b figures; a bake that fails or
    misses the gates rejects the patch (and returns None)."""
    from vdm.bake.brush import bake_patch
    from vdm.bake.metrics import BrushGates, brush_scores, gate_failure
    from vdm.vdm_file import vdm_bytes

    bake = config.bake
    try:
        brush = bake_patch(patch, bake)
        scores = brush_scores(brush.displacement, brush.patch, crossings=brush.report["crossing"])
    except VdmError as exc:
        result.reject(patch_id, "bake", str(exc))
        return None
    except Exception as exc:
        log.warning("patch %s failed to bake", patch_id, exc_info=True)
        result.reject(patch_id, "bake", f"Unexpected {type(exc).__name__} ({short_reason(exc)})")
        return None
    failure = gate_failure(scores, BrushGates())
    if failure is not None:
        result.reject(patch_id, "bake", failure)
        return None
    return vdm_bytes(brush.displacement, bake.half, bake.compression), scores.to_json()
