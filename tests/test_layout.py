"""The package layers (docs/architecture.md): each package imports only the layers below it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("vdm", "lasso", "propose", "stitching", "render", "bake", "mine", "train", "reconstruct", "app")
# What each package may import besides itself (the core's `python -m vdm` shim aside).
ALLOWED = {
    "vdm": set(),
    "lasso": {"vdm"},
    "stitching": {"vdm", "lasso"},
    "propose": {"vdm", "lasso", "stitching"},
    "render": {"vdm"},
    "bake": {"vdm", "lasso", "stitching", "render"},
    "mine": {"vdm", "lasso", "stitching", "render", "bake"},
    "train": {"vdm"},
    "reconstruct": {"vdm", "stitching", "render", "bake"},
    "app": set(PACKAGES),
}
SHIMS = {ROOT / "vdm" / "__main__.py"}


def imported_packages(path: Path) -> set[str]:
    """The project packages a module imports (at any depth of its code)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package] - {package})
        for path in sorted((ROOT / package).rglob("*.py"))
        if path not in SHIMS
    }
    assert not {k: v for k, v in wrong.items() if v}


def test_lasso_modules_stay_small():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "lasso").glob("*.py")}
    assert max(sizes.values()) <= 400, sizes


def test_the_help_does_not_import_the_numerical_stages():
    code = "import sys, app.cli; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
    code += "('torch', 'pyrender', 'pymeshlab', 'scipy', 'diffusers', 'open3d', 'trimesh'))))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert loaded.stdout.split() == [], loaded.stdout
