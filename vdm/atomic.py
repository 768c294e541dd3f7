"""Write-then-rename, so an interrupted job never leaves a half-written output under its final name."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PARTIAL_MARK = ".partial-"


def partial_name(path: Path) -> Path:
    """Hidden temporary sibling of `path` that keeps its suffix (writers pick the format from it)."""
    return path.with_name(f".{path.stem}{PARTIAL_MARK}{os.getpid()}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is renamed onto `path`, on failure removed."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_name(final)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` through a temporary name."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temporary name."""
    write_bytes_atomic(path, text.encode("utf-8"))


def remove_partials(directory: str | os.PathLike[str]) -> int:
    """Delete temporary files left by killed writers under `directory`; returns how many."""
    removed = 0
    for leftover in Path(directory).rglob(f".*{PARTIAL_MARK}*"):
        if leftover.is_file():
            leftover.unlink()
            removed += 1
    return removed
