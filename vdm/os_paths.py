"""Paths as the OS gives them, handed to libraries that only take UTF-8 names.

A folder's name may hold bytes that are not UTF-8 (Python keeps them in a str as surrogates).
Python's own file functions open such paths; several libraries do not (tokenizers, safetensors'
loader, TensorBoard's writer take a str they encode as UTF-8, and fail). For those, `utf8_alias`
gives the same folder under a UTF-8 name: a symbolic link in a temporary folder, removed after.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def is_utf8(path: str | os.PathLike[str]) -> bool:
    """The path's name is UTF-8 all through (no byte the OS gave is held as a surrogate)."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def utf8_alias(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """`folder` itself when its path is UTF-8; otherwise (the folder is created if need be) a UTF-8
    path that leads to it through a symbolic link, for as long as the block runs."""
    folder = Path(folder)
    if is_utf8(folder):
        yield folder
        return
    folder.mkdir(parents=True, exist_ok=True)
    links = Path(tempfile.mkdtemp(prefix="vdm-path-"))
    try:
        alias = links / "folder"
        alias.symlink_to(folder.resolve(), target_is_directory=True)
        yield alias
    finally:
        shutil.rmtree(links, ignore_errors=True)
