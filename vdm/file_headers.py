"""Cheap checks that a file is there and is what its name says, from its size and first bytes.

A rerun of `vdm mine` and `vdm dataset check` look at every file of every patch this way: a few
hundred bytes read per file instead of a decode, so a dataset of thousands of patches is checked
in seconds. What is found is a short phrase ('is missing', 'is not a PNG image') for a sentence.
"""

from __future__ import annotations

import os
from pathlib import Path

from vdm.atomic import os_reason

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the last chunk of every complete PNG
EXR_MAGIC = b"\x76\x2f\x31\x01"
PLY_MAGIC = (b"ply\n", b"ply\r\n")
HEAD_BYTES = 4096  # enough for a PLY header's end_header line


def _png_problem(head: bytes, tail: bytes) -> str | None:
    if not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return "is not a PNG image"
    if tail != PNG_END:
        return "is cut short (a PNG without its end)"
    return None


def _ply_problem(head: bytes) -> str | None:
    if not head.startswith(PLY_MAGIC):
        return "is not a PLY file"
    if b"end_header" not in head:
        return "is cut short (a PLY header without its end)"
    return None


def file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why the file at `path` cannot be what its suffix says (.png, .exr, .ply, .json), read from
    its size, its first bytes and (for a PNG) its last; None when it looks whole."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            return "is not a file"
        with path.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
            stream.seek(max(size - len(PNG_END), 0))
            tail = stream.read()
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({os_reason(exc)})"
    if size == 0:
        return "is empty"
    suffix = path.suffix.lower()
    if suffix == ".png":
        return _png_problem(head, tail)
    if suffix == ".exr" and not head.startswith(EXR_MAGIC):
        return "is not an OpenEXR image"
    if suffix == ".ply":
        return _ply_problem(head)
    if suffix == ".json" and not head.lstrip().startswith(b"{"):
        return "is not a JSON object"
    return None
