"""Blender brushes from VDMs: one .blend of brush assets (with Blender-rendered previews) and the
catalog file of its asset library, made with Blender's own Python module (bpy, on PyPI) in its
separate environment.

bpy is built against numpy 1.26 and the toolkit runs on numpy 2, so bpy lives in its own virtual
environment (`.venv-blender`, made by `make setup`; or the Python `$VDM_BLENDER_PYTHON` names) and
runs `bake/blend_script.py` there. Files written by bpy 4.5 LTS open in Blender 4.5 and 5.0 (brushes
are assets from Blender 4.3 on; the tests open them in both).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from vdm.atomic import atomic_path, write_text_atomic
from vdm.errors import VdmError, short_reason

SCRIPT = Path(__file__).with_name("blend_script.py")
BLENDER_VENV = Path(__file__).resolve().parents[1] / ".venv-blender"
BLENDER_PYTHON_ENV = "VDM_BLENDER_PYTHON"
TIMEOUT_S = 3600  # a library of thousands of brushes renders a preview each
CATALOG_FILE = "blender_assets.cats.txt"
CATALOG_ROOT = "VDM"
# Catalog ids are derived from their paths, so the same path has the same id in every library.
CATALOG_NAMESPACE = uuid.UUID("5b0c5e3e-9d7e-4a39-8d0e-6a1f3c2b7e11")
NAME_LENGTH = 63  # Blender's longest ID name (bytes)


@dataclass(frozen=True)
class BrushAsset:
    """One brush of a .blend: what the asset shelf shows and where its VDM is."""

    name: str
    vdm: Path
    description: str
    tags: tuple[str, ...]
    catalog: str  # a catalog path below CATALOG_ROOT, e.g. "horn/cow"
    preview: Path  # where Blender's rendered icon is also written (PNG)
    license: str = ""
    author: str = ""


def blender_python() -> Path:
    """The Python that has bpy: $VDM_BLENDER_PYTHON, else the project's .venv-blender."""
    given = os.environ.get(BLENDER_PYTHON_ENV)
    python = Path(given) if given else BLENDER_VENV / "bin" / "python"
    if not python.is_file():
        raise VdmError(
            f"Brushes for Blender need Blender's Python module (bpy 4.5): run `make setup` (it makes "
            f"{BLENDER_VENV.name}) or set {BLENDER_PYTHON_ENV} to a Python that has bpy."
        )
    return python


def run_blender_script(script: Path, *arguments: str, python: Path | None = None) -> str:
    """Run a script with Blender's Python; its stdout, or one sentence when it fails."""
    try:
        done = subprocess.run(
            [str(python or blender_python()), str(script), *arguments],
            capture_output=True,
            encoding="utf-8",
            errors="surrogateescape",  # paths it prints come back as the OS gave them
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise VdmError(f"Blender's Python did not finish within {TIMEOUT_S} s.") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise VdmError(f"Blender's Python failed ({short_reason(last)}).")
    return done.stdout


def catalog_id(catalog: str) -> str:
    """The catalog's UUID, the same for the same path everywhere."""
    return str(uuid.uuid5(CATALOG_NAMESPACE, f"{CATALOG_ROOT}/{catalog}"))


def write_catalogs(folder: Path, catalogs: list[str]) -> Path:
    """`blender_assets.cats.txt` of an asset library folder: each catalog path and its parents, in
    the format of Blender's manual (files/asset_libraries/catalogs)."""
    paths: set[str] = set()
    for catalog in catalogs:
        parts = [CATALOG_ROOT, *(p for p in catalog.split("/") if p)]
        paths |= {"/".join(parts[:i]) for i in range(1, len(parts) + 1)}
    lines = [
        "# This is an Asset Catalog Definition file for Blender.",
        "#",
        "# Empty lines and lines starting with `#` will be ignored.",
        "# The first non-ignored line should be the version indicator.",
        '# Other lines are of the format "UUID:catalog/path/for/assets:simple catalog name"',
        "",
        "VERSION 1",
        "",
    ]
    for path in sorted(paths):
        below = path.removeprefix(CATALOG_ROOT).lstrip("/")
        lines.append(f"{catalog_id(below)}:{path}:{path.replace('/', '-')}")
    return write_text_atomic(folder / CATALOG_FILE, "\n".join(lines) + "\n")


UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')  # not in a file name on any of the sculptors' systems


def file_stem(name: str) -> str:
    """A brush's name as a file name (characters no file system takes become '-')."""
    return UNSAFE.sub("-", name).strip(" .") or "brush"


def _entries(assets: list[BrushAsset]) -> list[dict]:
    return [
        {
            **{k: v for k, v in asdict(a).items() if k not in ("vdm", "preview", "catalog", "tags")},
            "exr": str(Path(a.vdm).resolve()),
            "packed_as": f"//{file_stem(a.name)}.exr",  # the baker's folders stay out of the .blend
            "preview": str(Path(a.preview).resolve()),
            "tags": list(a.tags),
            "catalog_id": catalog_id(a.catalog),
        }
        for a in assets
    ]


def _run_on(assets: list[BrushAsset], command: str, *arguments: str) -> None:
    with tempfile.TemporaryDirectory(prefix="vdm-blend-") as folder:
        manifest = Path(folder) / "brushes.json"
        manifest.write_text(json.dumps({"brushes": _entries(assets)}), encoding="utf-8")
        run_blender_script(SCRIPT, command, str(manifest), *arguments)


def render_icons(assets: list[BrushAsset]) -> None:
    """Blender renders the icon of each asset whose preview PNG is not there yet."""
    _run_on(assets, "icons")


def write_blend(assets: list[BrushAsset], out: Path) -> Path:
    """Write `out` (a .blend) holding one sculpt brush asset per entry (VDMs packed inside), each
    with its icon (rendered by Blender where its PNG is missing)."""
    names = [a.name for a in assets]
    if len(set(names)) != len(names):
        raise VdmError("Two brushes of one .blend share a name; each needs its own.")
    with atomic_path(out) as tmp:
        _run_on(assets, "write", str(Path(tmp).resolve()))
    return out
