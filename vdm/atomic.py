"""Safe writing: write-then-rename, outputs checked before the work, and every write error one sentence.

- `atomic_path` / `write_bytes_atomic`: an interrupted job never leaves a half-written file under
  its final name; `durable=True` also fsyncs the file and its folder (journals).
- `staged_files`: many files that appear together or not at all (a view folder).
- `writable_dir` / `writable_file`: checked before heavy work, so a bad `--out` fails in under a
  second instead of after the work.
- A failing write raises `WriteError` (a VdmError) that names the path and the cause.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vdm.errors import VdmError

PARTIAL_MARK = ".partial-"
STAGING_PREFIX = ".staging-"


class WriteError(VdmError):
    """An output could not be written: the path and the operating system's reason."""

    def __init__(self, path: str | os.PathLike[str], exc: OSError) -> None:
        super().__init__(f"Cannot write {os.fsdecode(path)}: {os_reason(exc)}.")


def os_reason(exc: OSError) -> str:
    """The cause of an OSError in a few words, lower case (e.g. 'no space left on device')."""
    reasons = {
        errno.ENOSPC: "no space left on device",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "the operation is not permitted (an immutable file or folder?)",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EEXIST: "a file of that name is in the way",
        errno.EISDIR: "it is a folder",
        errno.EDQUOT: "the disk quota is exceeded",
    }
    return reasons.get(exc.errno, (exc.strerror or type(exc).__name__).lower())


def partial_name(path: Path) -> Path:
    """Hidden temporary sibling of `path` that keeps its suffix (writers pick the format from it)."""
    return path.with_name(f".{path.stem}{PARTIAL_MARK}{os.getpid()}{path.suffix}")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:  # a file where a folder should be
        raise VdmError(
            f"Cannot write {os.fsdecode(directory)}: it, or a folder above it, is a file, not a folder."
        ) from exc
    except OSError as exc:
        raise WriteError(directory, exc) from exc


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], durable: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is renamed onto `path`, on failure removed.
    With `durable`, the file and then its folder are fsynced (the rename survives a power loss)."""
    final = Path(path)
    _make_dirs(final.parent)
    tmp = partial_name(final)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, final)
        if durable:
            _fsync_dir(final.parent)
    except OSError as exc:
        raise WriteError(final, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, durable: bool = False) -> None:
    """Write `data` to `path` through a temporary name."""
    with atomic_path(path, durable) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | os.PathLike[str], text: str, durable: bool = False) -> None:
    """Write `text` (UTF-8) to `path` through a temporary name."""
    write_bytes_atomic(path, text.encode("utf-8"), durable)


@contextlib.contextmanager
def staged_files(out: str | os.PathLike[str]) -> Iterator[Path]:
    """A hidden staging folder inside `out`: what the block writes there is moved into `out`, file
    by file with atomic renames, only once the whole block succeeded (renames need no space, so a
    full disk leaves nothing new under a final name); on failure the staging folder is removed."""
    out = Path(out)
    _make_dirs(out)
    try:
        stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as exc:
        raise WriteError(out, exc) from exc
    try:
        yield stage
        for written in sorted(stage.iterdir()):
            try:
                os.replace(written, out / written.name)
            except OSError as exc:
                raise WriteError(out / written.name, exc) from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def writable_dir(path: str | os.PathLike[str], create: bool = False) -> Path:
    """Check that the folder `path` can be written in, or created and written in (one sentence if
    not): commands call it before their heavy work. Nothing is created unless `create`, so a
    command refused later for bad input leaves no empty folder behind."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise VdmError(f"Cannot write {os.fsdecode(path)}: it is a file, not a folder.")
    if create:
        _make_dirs(path)
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise VdmError(f"Cannot write {os.fsdecode(path)}: {os.fsdecode(existing)} is a file, not a folder.")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".probe-") as probe:
            probe.write(b"0")
            probe.flush()
    except OSError as exc:
        raise WriteError(path, exc) from exc
    return path


def writable_file(path: str | os.PathLike[str]) -> Path:
    """Check that the file `path` can be written (its folder writable, no folder in its place)."""
    path = Path(path)
    if path.is_dir():
        raise VdmError(f"Cannot write {os.fsdecode(path)}: it is a folder, not a file.")
    writable_dir(path.parent)
    return path


def remove_partials(directory: str | os.PathLike[str]) -> int:
    """Delete what killed writers left under `directory` (temporary files and staging folders);
    returns how many. Only the owner of a directory may call it (a miner holds the dataset lock)."""
    removed = 0
    for leftover in Path(directory).rglob(f".*{PARTIAL_MARK}*"):
        if leftover.is_file():
            leftover.unlink()
            removed += 1
    for staging in Path(directory).rglob(f"{STAGING_PREFIX}*"):
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            removed += 1
    return removed
