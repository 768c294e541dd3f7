"""`vdm dataset stats`: what a dataset is made of, for the curator building the 1,200 patches.

Counts by source kind and by source, histograms of the parts' heights and undercut shares, the
rejection reasons, near-duplicate patches, and one contact sheet per source. Near-duplicates are
found by a geometric hash: each patch's baked VDM mean-pooled to 16 x 16 (a 768-number shape
descriptor independent of the mesh's triangulation); two patches of different selections whose
descriptors differ by less than 0.01 RMS (patch units) are the same part mined twice. Augmented
copies of one selection are siblings by design and are not compared.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vdm.dataset import MANIFEST, REJECTED, damaged_patches, read_jsonl, read_manifest
from vdm.errors import VdmError, printable, reason_cause
from vdm.mine.check import damaged_text

log = logging.getLogger(__name__)

DESCRIPTOR_SIDE = 16
DUPLICATE_RMS = 0.01
HEIGHT_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.75)
UNDERCUT_BINS = (0.0, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0)
SHEET_DIR = "stats"
SHEET_PATCHES = 16


@dataclass
class DatasetStats:
    """The make-up of one dataset."""

    patches: int = 0
    selections: int = 0
    by_kind: Counter = field(default_factory=Counter)  # source kind -> patches
    by_source: Counter = field(default_factory=Counter)  # "kind:ref" -> patches
    heights: dict[str, int] = field(default_factory=dict)  # bin label -> patches
    undercut_shares: dict[str, int] = field(default_factory=dict)
    rejected: Counter = field(default_factory=Counter)  # (stage, cause: the reason, figures as N) -> count
    duplicates: list[tuple[str, str, float]] = field(default_factory=list)  # (patch, patch, RMS)
    sheets: list[Path] = field(default_factory=list)
    damaged: dict[str, str] = field(default_factory=dict)  # patch id -> what is wrong with its files

    def to_json(self) -> dict[str, Any]:
        return {
            "patches": self.patches,
            "selections": self.selections,
            "by_kind": dict(self.by_kind),
            "by_source": dict(self.by_source),
            "heights": self.heights,
            "undercut_shares": self.undercut_shares,
            "rejected": [
                {"stage": s, "reason": r, "count": c} for (s, r), c in sorted(self.rejected.items())
            ],
            "near_duplicates": [{"a": a, "b": b, "rms": d} for a, b, d in self.duplicates],
            "sheets": [str(p) for p in self.sheets],
            "damaged": self.damaged,
        }


def _histogram(values: list[float], bins: tuple[float, ...]) -> dict[str, int]:
    counts, _ = np.histogram(np.clip(values, bins[0], bins[-1]), bins=bins)
    return {f"{lo:g}-{hi:g}": int(c) for lo, hi, c in zip(bins[:-1], bins[1:], counts, strict=True)}


def descriptor(displacement: np.ndarray) -> np.ndarray:
    """The geometric hash of a VDM: its displacement mean-pooled to 16 x 16 x 3, flattened."""
    n = displacement.shape[0] - displacement.shape[0] % DESCRIPTOR_SIDE
    cell = n // DESCRIPTOR_SIDE
    pooled = displacement[:n, :n].reshape(DESCRIPTOR_SIDE, cell, DESCRIPTOR_SIDE, cell, 3).mean(axis=(1, 3))
    return pooled.ravel().astype(np.float64)


def near_duplicates(root: Path, manifest: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """Pairs of patches of different selections whose descriptors are within DUPLICATE_RMS."""
    from vdm.vdm_file import read_vdm

    entries = [e for e in manifest if "vdm" in e.get("files", {}) and (root / e["files"]["vdm"]).is_file()]
    if len(entries) < 2:
        return []
    codes = np.stack([descriptor(read_vdm(root / e["files"]["vdm"])) for e in entries])
    squared = (codes**2).sum(axis=1)
    distance = squared[:, None] + squared[None, :] - 2.0 * codes @ codes.T
    rms = np.sqrt(np.maximum(distance, 0.0) / codes.shape[1])
    selections = np.array([e["selection_id"] for e in entries])
    close = (rms < DUPLICATE_RMS) & (selections[:, None] != selections[None, :])
    pairs = np.argwhere(np.triu(close, k=1))
    return [(entries[i]["patch_id"], entries[j]["patch_id"], float(rms[i, j])) for i, j in pairs]


def _source_key(entry: dict[str, Any]) -> str:
    """A source's name: kind and reference; a synthetic patch's source is its generator."""
    source = entry.get("source") or {}
    if "generator" in entry:
        return f"{source.get('kind', '?')}:{entry['generator']['generator']}"
    return f"{source.get('kind', '?')}:{source.get('ref', '?')}"


def _sheets(root: Path, manifest: list[dict[str, Any]], out: Path) -> list[Path]:
    """One contact sheet per source (its first SHEET_PATCHES patches)."""
    import hashlib
    import re

    from vdm.mine.driver import write_dataset_sheet

    by_source: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest:
        by_source.setdefault(_source_key(entry), []).append(entry)
    written = []
    for key, entries in sorted(by_source.items()):
        kind, ref = key.split(":", 1)
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(ref).stem)[:40]
        name = f"{kind}-{readable}-{hashlib.sha256(key.encode()).hexdigest()[:8]}.png"
        shown = min(len(entries), SHEET_PATCHES)
        title = f"{root.resolve().name}, {kind} {Path(ref).name}: {shown} of its {len(entries)} patches"
        written.append(write_dataset_sheet(root, entries[:SHEET_PATCHES], SHEET_PATCHES, out / name, title))
    return written


def dataset_stats(root: str | Path, sheets: bool = True) -> DatasetStats:
    """The make-up of the dataset at `root` (and, with `sheets`, one contact sheet per source in
    DATASET/stats/). A damaged manifest or rejected.jsonl line is one sentence; patches whose files
    are missing or damaged are counted, named in a warning and left out of the duplicates and sheets."""
    root = Path(root)
    if not (root / MANIFEST).is_file():
        raise VdmError(f"{root} is not a dataset (it has no {MANIFEST}).")
    manifest = read_manifest(root)
    rejected = read_jsonl(root / REJECTED)
    stats = DatasetStats(patches=len(manifest), selections=len({e["selection_id"] for e in manifest}))
    stats.by_kind = Counter((e.get("source") or {}).get("kind", "?") for e in manifest)
    stats.by_source = Counter(_source_key(e) for e in manifest)
    quality = [e.get("quality") or {} for e in manifest]
    stats.heights = _histogram([q["max_height"] for q in quality if "max_height" in q], HEIGHT_BINS)
    shares = [q.get("brush", {}).get("undercut_share", 0.0) for q in quality]
    stats.undercut_shares = _histogram(shares, UNDERCUT_BINS)
    stats.rejected = Counter((r["stage"], reason_cause(r["reason"])) for r in rejected)
    stats.damaged = damaged_patches(root, manifest)
    if stats.damaged:
        log.warning(
            "%s: `vdm dataset check %s` lists them", damaged_text(stats.damaged), printable(str(root))
        )
    whole = [e for e in manifest if e["patch_id"] not in stats.damaged]
    stats.duplicates = near_duplicates(root, whole)
    if sheets and whole:
        stats.sheets = _sheets(root, whole, root / SHEET_DIR)
    return stats
