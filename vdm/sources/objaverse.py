"""Objaverse objects through the real `objaverse` package, with a cache directory the user sets.

The package keeps everything under `<cache>/hf-objaverse-v1` (object-paths.json.gz, glbs/,
lvis-annotations.json.gz); with those files present it needs no network. Downloads are plain
urllib calls, so a socket timeout bounds them and a missing network fails fast, in one sentence.
"""

from __future__ import annotations

import contextlib
import re
import socket
import urllib.error
import warnings
from collections.abc import Iterator
from pathlib import Path

from vdm.errors import VdmError, short_reason
from vdm.sources.files import load_file
from vdm.sources.mesh import LoadedMesh

UID_PATTERN = re.compile(r"[0-9a-f]{32}")
NETWORK_TIMEOUT_S = 20.0


@contextlib.contextmanager
def _objaverse_at(cache_dir: Path, what: str) -> Iterator[object]:
    """The objaverse module pointed at `cache_dir`, with network failures turned into VdmError."""
    import objaverse

    previous_path, previous_timeout = objaverse._VERSIONED_PATH, socket.getdefaulttimeout()
    objaverse._VERSIONED_PATH = str(cache_dir / "hf-objaverse-v1")
    socket.setdefaulttimeout(NETWORK_TIMEOUT_S)
    try:
        yield objaverse
    except (urllib.error.URLError, TimeoutError, ConnectionError, socket.gaierror) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise VdmError(
            f"Cannot fetch {what}: not in the Objaverse cache {cache_dir}, and the network is "
            f"unreachable ({short_reason(reason)})."
        ) from exc
    finally:
        objaverse._VERSIONED_PATH = previous_path
        socket.setdefaulttimeout(previous_timeout)


def objaverse_glb(uid: str, cache_dir: Path) -> Path:
    """Path of the object's GLB in the cache, downloading it first when it is not there."""
    if not UID_PATTERN.fullmatch(uid):
        raise VdmError(f"'{uid}' is not an Objaverse uid (32 lowercase hex digits).")
    with _objaverse_at(cache_dir, f"Objaverse object {uid}") as objaverse, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = objaverse.load_objects([uid])
    if uid not in found:
        raise VdmError(f"Objaverse has no object with uid {uid}.")
    return Path(found[uid])


def load_objaverse(uid: str, cache_dir: Path, max_faces: int) -> LoadedMesh:
    """Load `objaverse:<uid>` as a loaded mesh."""
    return load_file(objaverse_glb(uid, cache_dir), max_faces, kind="objaverse", ref=uid)


def lvis_categories(cache_dir: Path) -> dict[str, list[str]]:
    """LVIS category -> Objaverse uids, for browsing what to lasso."""
    with _objaverse_at(cache_dir, "the Objaverse LVIS annotations") as objaverse:
        return objaverse.load_lvis_annotations()
