"""A dataset's layout (conventions section 7): its paths, the manifest and the training pairs.

The one place that names a dataset's files: mine/ writes datasets through these paths and
train/ reads them. Its .jsonl files are read through the guarded reader (vdm.state_files), and a
patch's files are checked from their sizes and headers (vdm.file_headers) by `entry_problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vdm.errors import VdmError
from vdm.file_headers import file_problem
from vdm.images import compose_grid, read_image
from vdm.rig import FRONT_VIEW, GRID_VIEWS, VIEWS
from vdm.state_files import Shape, Wrong, json_object, read_json_lines

MANIFEST = "manifest.jsonl"
REJECTED = "rejected.jsonl"
SETTINGS = "settings.json"  # what decides the dataset's bytes, written by its first miner
VIEW_KINDS = ("rgb", "normal", "mask")  # the images of every view, as render/views.py writes them
PATCH_FILES = ("patch", "selection", "vdm")  # the files of a manifest line's "files" besides its views
LINE_ADVICE = "repair or delete that line, and rerun `vdm mine` to mine its record again"


def _manifest_line(value: Any) -> Wrong | None:
    """A manifest line: an object with a patch id and a selection id, its files (when it names
    them) as dataset-relative paths."""
    wrong = json_object(patch_id=str, selection_id=str)(value)
    if wrong is None and "files" in value:
        files = value["files"]
        if not isinstance(files, dict) or not all(isinstance(p, str) for p in files.values()):
            return Wrong("its 'files' is not an object of paths", "files")
    return wrong


LINE_SHAPES: dict[str, tuple[str, Shape]] = {
    MANIFEST: ("Manifest", _manifest_line),
    REJECTED: ("Rejections file", json_object(id=str, stage=str, reason=str)),
}


def line_shape(name: str) -> tuple[str, Shape]:
    """What a dataset's .jsonl file of that name is called in a sentence, and its lines' shape."""
    return LINE_SHAPES.get(name, ("JSON-lines file", json_object()))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every line of a dataset's .jsonl file (none when it is missing). A line that is not UTF-8,
    not JSON or not the shape readers rely on is one sentence naming the file and the line; a
    torn last line from a killed writer is skipped with a warning."""
    what, shape = line_shape(path.name)
    return read_json_lines(path, what, shape, LINE_ADVICE)


def read_manifest(dataset: str | Path) -> list[dict[str, Any]]:
    """The accepted patches of a dataset directory, in manifest order."""
    dataset = Path(dataset)
    if not (dataset / MANIFEST).is_file():
        raise VdmError(f"{dataset} is not a vdm dataset: it has no {MANIFEST}.")
    return read_jsonl(dataset / MANIFEST)


def entry_source(entry: dict[str, Any]) -> str:
    """The mesh source a manifest line's patch came from, as a source spec (builtin:cow,
    objaverse:<uid>, a file's path), or its kind where there is no mesh (synthetic, patch)."""
    source = entry.get("source") or {}
    kind, ref = source.get("kind", ""), source.get("ref", "")
    if kind in ("builtin", "objaverse"):
        return f"{kind}:{ref}"
    return ref if kind == "file" else kind


def patch_paths(patch_id: str) -> dict[str, str]:
    """Dataset-relative paths of one patch: its mesh, its views folder and its baked VDM."""
    return {"patch": f"patches/{patch_id}.ply", "views": f"views/{patch_id}", "vdm": f"vdms/{patch_id}.exr"}


def selection_file(selection_id: str) -> str:
    """Dataset-relative path of the selection record a patch came from."""
    return f"selections/{selection_id}.json"


def view_file(kind: str, k: int) -> str:
    """<kind>_<k>.png: a view's file name in a views folder, kind one of rgb, normal, mask
    (also what `vdm render` writes, conventions section 8)."""
    return f"{kind}_{k}.png"


def view_path(dataset: Path, patch_id: str, kind: str, k: int) -> Path:
    """DATASET/views/<patch_id>/<kind>_<k>.png."""
    return dataset / patch_paths(patch_id)["views"] / view_file(kind, k)


def entry_files(entry: dict[str, Any]) -> list[str]:
    """The dataset-relative files a manifest line names in its "files": the patch, its selection
    record, its VDM and every image of its views folder (a line without "files" names none)."""
    files = entry.get("files", {})
    named = [files[key] for key in PATCH_FILES if key in files]
    folders = [files["views"]] if "views" in files else []
    return named + [
        f"{folder}/{view_file(kind, v.index)}" for folder in folders for v in VIEWS for kind in VIEW_KINDS
    ]


def entry_problem(dataset: Path, entry: dict[str, Any]) -> str | None:
    """What is wrong with a manifest line's files ('vdms/x.exr is missing (and 2 more files)'),
    from sizes and headers only; None when every file looks whole."""
    problems = [
        f"{relative} {problem}"
        for relative in entry_files(entry)
        if (problem := file_problem(dataset / relative))
    ]
    if len(problems) > 1:
        return f"{problems[0]} (and {len(problems) - 1} more {'file' if len(problems) == 2 else 'files'})"
    return problems[0] if problems else None


def damaged_patches(dataset: Path, entries: list[dict[str, Any]]) -> dict[str, str]:
    """Patch id -> what is wrong with its files, for the manifest lines whose files are not whole."""
    return {e["patch_id"]: problem for e in entries if (problem := entry_problem(dataset, e)) is not None}


@dataclass
class TrainingPair:
    """One patch as the trainer sees it: the front RGB render and the 3 x 2 normal grid."""

    patch_id: str
    condition: np.ndarray  # (512, 512, 3) uint8, view 2
    normal_grid: np.ndarray  # (960, 640, 3) uint8, views 0, 1, 3, 4, 5, 6


def load_training_pair(dataset: str | Path, entry: dict[str, Any]) -> TrainingPair:
    """Read one manifest entry's condition image and build its normal grid."""
    dataset = Path(dataset)
    patch_id = entry["patch_id"]
    condition = read_image(view_path(dataset, patch_id, "rgb", FRONT_VIEW))
    normals = {k: read_image(view_path(dataset, patch_id, "normal", k)) for k in GRID_VIEWS}
    return TrainingPair(patch_id, condition, compose_grid(normals))
