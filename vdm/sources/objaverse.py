"""Objaverse objects through the real `objaverse` package, with a cache directory the user sets.

The package keeps everything under `<cache>/hf-objaverse-v1` (object-paths.json.gz, glbs/,
lvis-annotations.json.gz, metadata/<shard>.json.gz: each object's Sketchfab annotations, its
licence and author among them); with those files present it needs no network. Downloads are plain
urllib calls, so a socket timeout bounds them and a missing network fails fast, in one sentence.
"""

from __future__ import annotations

import contextlib
import re
import socket
import urllib.error
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vdm.errors import VdmError, short_reason
from vdm.sources.files import load_file
from vdm.sources.mesh import LoadedMesh

UID_PATTERN = re.compile(r"[0-9a-f]{32}")
NETWORK_TIMEOUT_S = 20.0
# Sketchfab's licence slugs (Objaverse's `license` annotation) as a licence is named; Sketchfab's
# Creative Commons licences are version 4.0. A slug not listed here is carried as it is.
LICENCE_NAMES = {
    "by": "CC BY 4.0",
    "by-sa": "CC BY-SA 4.0",
    "by-nd": "CC BY-ND 4.0",
    "by-nc": "CC BY-NC 4.0",
    "by-nc-sa": "CC BY-NC-SA 4.0",
    "by-nc-nd": "CC BY-NC-ND 4.0",
    "cc0": "CC0 1.0",
}


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


@dataclass(frozen=True)
class Credit:
    """Who made a source mesh and under which licence: what a brush made from it carries (most of
    Objaverse is CC BY: a shared brush must credit its author)."""

    licence: str  # "CC BY 4.0"
    author: str
    title: str
    url: str

    def sentence(self) -> str:
        """The credit as a brush's description ends with it."""
        work = f"\u201c{self.title}\u201d" if self.title else "an Objaverse object"
        by = f" by {self.author}" if self.author else ""
        where = f" ({self.url})" if self.url else ""
        licence = f", {self.licence}" if self.licence else ""
        return f"From {work}{by}{where}{licence}."


def objaverse_credit(uid: str, cache_dir: Path) -> Credit:
    """The licence, author, title and page of an Objaverse object, from its annotations (the
    metadata shard that holds it, downloaded into the cache first when it is not there)."""
    with _objaverse_at(cache_dir, f"the Objaverse annotations of {uid}") as objaverse:
        try:
            found = objaverse.load_annotations([uid])
        except KeyError:  # the object paths do not know the uid
            found = {}
    meta = found.get(uid)
    if not isinstance(meta, dict):
        raise VdmError(f"Objaverse has no annotations for uid {uid}.")
    slug, user = str(meta.get("license") or ""), meta.get("user") or {}
    return Credit(
        licence=LICENCE_NAMES.get(slug, slug),
        author=str(user.get("displayName") or user.get("username") or ""),
        title=str(meta.get("name") or ""),
        url=str(meta.get("viewerUrl") or ""),
    )
