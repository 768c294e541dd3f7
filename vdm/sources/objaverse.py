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
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vdm.errors import VdmError, short_reason
from vdm.sources.files import load_file
from vdm.sources.mesh import LoadedMesh

UID_PATTERN = re.compile(r"[0-9a-f]{32}")
OBJAVERSE_PREFIX = "objaverse:"  # a SOURCE naming an Objaverse object: objaverse:<uid>
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


def objaverse_source(uid: str) -> str:
    """The SOURCE string of an Objaverse object."""
    return OBJAVERSE_PREFIX + uid


def objaverse_uid(spec: str) -> str | None:
    """The uid a SOURCE string names, or None when it names no Objaverse object."""
    return spec.removeprefix(OBJAVERSE_PREFIX) if spec.startswith(OBJAVERSE_PREFIX) else None


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


def objaverse_credits(uids: Iterable[str], cache_dir: Path) -> dict[str, Credit]:
    """The licence, author, title and page of Objaverse objects, from their annotations: each
    metadata shard that holds one is read once (downloaded into the cache first when it is not
    there). A uid Objaverse has no annotations for is left out; a shard that cannot be read (cut
    short by an interrupted download, not gzip, not JSON) is one sentence that says to delete it."""
    wanted = sorted(set(uids))
    malformed = next((uid for uid in wanted if not UID_PATTERN.fullmatch(uid)), None)
    if malformed is not None:
        raise VdmError(f"'{malformed}' is not an Objaverse uid (32 lowercase hex digits).")
    if not wanted:
        return {}
    metadata = cache_dir / "hf-objaverse-v1" / "metadata"
    try:
        what = wanted[0] if len(wanted) == 1 else f"{len(wanted)} objects"
        with _objaverse_at(cache_dir, f"the Objaverse annotations of {what}") as objaverse:
            try:
                found = objaverse.load_annotations(wanted)
            except KeyError:  # a uid the object paths do not know: the others one by one
                found = {}
                for uid in wanted:
                    with contextlib.suppress(KeyError):
                        found |= objaverse.load_annotations([uid])
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise VdmError(
            f"The Objaverse annotations in {metadata} cannot be read ({short_reason(exc)}); delete "
            "that folder and they are downloaded again."
        ) from exc
    return {uid: _credit(found[uid]) for uid in wanted if isinstance(found.get(uid), dict)}


def _credit(meta: dict) -> Credit:
    """A credit from one object's Sketchfab annotation."""
    slug, user = str(meta.get("license") or ""), meta.get("user")
    author = user.get("displayName") or user.get("username") if isinstance(user, dict) else user
    return Credit(
        licence=LICENCE_NAMES.get(slug, slug),
        author=str(author or ""),
        title=str(meta.get("name") or ""),
        url=str(meta.get("viewerUrl") or ""),
    )
