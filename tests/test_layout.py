"""The package layers (docs/architecture.md): one import namespace, each stage imports only the layers
below it, the core imports no stage and no module imports another that imports it back."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("lasso", "propose", "stitching", "render", "bake", "mine", "train", "reconstruct", "app")
# What each layer may import besides itself: "core" is the vdm/ folder, the others are vdm.<stage>.
ALLOWED = {
    "core": set(),
    "lasso": {"core"},
    "render": {"core"},
    "train": {"core"},
    "stitching": {"core", "lasso", "render"},
    "propose": {"core", "lasso", "stitching", "render"},
    "bake": {"core", "lasso", "stitching", "render"},
    "reconstruct": {"core", "stitching", "render", "bake"},
    "mine": {"core", "lasso", "stitching", "render", "bake"},
    "app": {"core", *STAGES},
}
# `python -m vdm` needs vdm/__main__.py: it is the roof's entry (it imports vdm.app.cli and nothing
# imports it), not a module of the core.
ENTRY = "vdm.__main__"


def module_files() -> dict[str, Path]:
    """Every module of the project by its import name (vdm.<stage>.x lives in <stage>/x.py)."""
    found = {}
    for folder, prefix in [("vdm", "vdm"), *((s, f"vdm.{s}") for s in STAGES)]:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if folder == "vdm" and parts[0] in STAGES:
                continue
            name = ".".join((prefix, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = module_files()


def layer(module: str) -> str:
    part = module.split(".")[1] if module.count(".") else ""
    return part if part in STAGES else "core"


def imports_of(path: Path) -> set[str]:
    """The project modules a module imports, at any depth of its code (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES}
    return found


GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


@pytest.mark.parametrize("stage", ("core", *STAGES))
def test_each_layer_imports_only_the_layers_below(stage):
    wrong = {
        name: sorted(target for target in targets if layer(target) not in ALLOWED[stage] | {stage})
        for name, targets in GRAPH.items()
        if layer(name) == stage and name != ENTRY
    }
    assert not {k: v for k, v in wrong.items() if v}


def test_the_entry_shim_is_the_roofs():
    assert GRAPH[ENTRY] == {"vdm.app.cli"}
    assert not [name for name, targets in GRAPH.items() if ENTRY in targets]


def test_no_module_imports_one_that_imports_it_back():
    """Strongly connected components of the import graph (Tarjan): each must be one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    # A package's __init__ that names its submodules' entry points lazily is not an import.
    assert cycles == []


def test_the_install_puts_one_top_level_package(tmp_path):
    """A wheel of the project holds exactly one import package, `vdm`, and a dist name free on PyPI."""
    assert 'name = "vdm-stamps"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    source = tmp_path / "source"  # built from a copy: setuptools writes build/ beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("vdm", *STAGES):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    wheel_command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*wheel_command, "-w", tmp_path, source], check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"vdm"}
    for stage in STAGES:
        assert f"vdm/{stage}/__init__.py" in names
    assert "vdm/data/selections/cow-horn.json" in names


def test_python_m_vdm_works_beside_a_users_train_py_and_app_py(tmp_path):
    """`python -m` puts the working folder first on sys.path: a user's train.py or app.py must not
    shadow a stage (the documented `accelerate launch -m vdm train` runs from such folders)."""
    for name in ("train", "app", "lasso", "render"):
        (tmp_path / f"{name}.py").write_text("raise SystemExit('the user module was imported')\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    for args in (["--help"], ["train", "--help"], ["sources"]):
        run = subprocess.run(
            [sys.executable, "-m", "vdm", *args], capture_output=True, text=True, cwd=tmp_path, env=env
        )
        assert run.returncode == 0, run.stderr
        assert "user module" not in run.stdout + run.stderr
    assert "builtin:cow" in run.stdout


def test_the_help_does_not_import_the_numerical_stages():
    code = "import sys, vdm.app.cli; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
    code += "('torch', 'pyrender', 'pymeshlab', 'scipy', 'diffusers', 'open3d', 'trimesh'))))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert loaded.stdout.split() == [], loaded.stdout


def test_lasso_modules_stay_small():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "lasso").glob("*.py")}
    assert max(sizes.values()) <= 400, sizes
