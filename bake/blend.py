"""brush.blend: the VDM as a ready sculpt brush in a Blender file, made with Blender's own Python
module (bpy, on PyPI) in its separate environment.

bpy 4.5 is built against numpy 1.26 and the toolkit runs on numpy 2, so bpy lives in its own
virtual environment (`.venv-blender`, made by `make setup`; or the Python `$VDM_BLENDER_PYTHON`
names) and runs `bake/blend_script.py` there. Files written by bpy 4.5 open in Blender 4.5 LTS and
later (brushes are assets from Blender 4.3 on).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from vdm.atomic import atomic_path
from vdm.errors import VdmError, short_reason

SCRIPT = Path(__file__).with_name("blend_script.py")
BLENDER_VENV = Path(__file__).resolve().parents[1] / ".venv-blender"
BLENDER_PYTHON_ENV = "VDM_BLENDER_PYTHON"
TIMEOUT_S = 300


def blender_python() -> Path:
    """The Python that has bpy: $VDM_BLENDER_PYTHON, else the project's .venv-blender."""
    given = os.environ.get(BLENDER_PYTHON_ENV)
    python = Path(given) if given else BLENDER_VENV / "bin" / "python"
    if not python.is_file():
        raise VdmError(
            f"--blend needs Blender's Python module (bpy 4.5): run `make setup` (it makes "
            f"{BLENDER_VENV.name}) or set {BLENDER_PYTHON_ENV} to a Python that has bpy."
        )
    return python


def run_blender_script(script: Path, *arguments: str) -> str:
    """Run a script with Blender's Python; its stdout, or one sentence when it fails."""
    try:
        done = subprocess.run(
            [str(blender_python()), str(script), *arguments],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise VdmError(f"Blender's Python did not finish within {TIMEOUT_S} s.") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise VdmError(f"Blender's Python failed ({short_reason(last)}).")
    return done.stdout


def write_blend(vdm: Path, out: Path) -> Path:
    """Write `out` (a .blend) holding a Draw brush that stamps the VDM file `vdm` (packed inside)."""
    with atomic_path(out) as tmp:
        run_blender_script(SCRIPT, "write", str(Path(vdm).resolve()), str(tmp.resolve()))
    return out
