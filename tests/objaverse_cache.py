"""An Objaverse cache laid out the way objaverse 0.1.7 writes one, for tests that run offline."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def shard_of(uid: str, shards: dict[str, str]) -> str:
    """The GLB/metadata shard an object lies in (default 000-042)."""
    return shards.get(uid, "000-042")


def write_objaverse_cache(
    root: Path,
    uids: list[str],
    annotations: dict[str, dict] | None = None,
    glbs: dict[str, bytes] | None = None,
    lvis: dict[str, list[str]] | None = None,
    shards: dict[str, str] | None = None,
) -> Path:
    """`root` holding hf-objaverse-v1/: the object paths of `uids`, their GLBs where given, each
    annotated object's metadata in its shard's file, and the LVIS categories where given."""
    shards = shards or {}
    versioned = root / "hf-objaverse-v1"
    (versioned / "metadata").mkdir(parents=True)
    paths = {uid: f"glbs/{shard_of(uid, shards)}/{uid}.glb" for uid in uids}
    with gzip.open(versioned / "object-paths.json.gz", "wt") as fh:
        json.dump(paths, fh)
    for uid, data in (glbs or {}).items():
        (versioned / paths[uid]).parent.mkdir(parents=True, exist_ok=True)
        (versioned / paths[uid]).write_bytes(data)
    by_shard: dict[str, dict[str, dict]] = {}
    for uid, annotation in (annotations or {}).items():
        by_shard.setdefault(shard_of(uid, shards), {})[uid] = annotation
    for shard, found in by_shard.items():
        with gzip.open(versioned / "metadata" / f"{shard}.json.gz", "wt") as fh:
            json.dump(found, fh)
    if lvis is not None:
        with gzip.open(versioned / "lvis-annotations.json.gz", "wt") as fh:
            json.dump(lvis, fh)
    return root
