"""`vdm dataset check`: everything wrong with a dataset, by name, from sizes and headers.

It lists the manifest and rejected.jsonl lines that are not UTF-8, not JSON or not the shape vdm
writes (with their line numbers), a last line a killed miner cut short, and every patch whose
files are missing or damaged (vdm.dataset.entry_problem: the check a rerun of `vdm mine` makes
before it mines those records again). It reads a few bytes per file, so it takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vdm.dataset import MANIFEST, REJECTED, damaged_patches, line_shape
from vdm.errors import VdmError, printable
from vdm.state_files import scan_json_lines


@dataclass
class DatasetCheck:
    """What a check found: how many patches the manifest holds, and each problem in a line."""

    patches: int = 0
    problems: list[str] = field(default_factory=list)


def damaged_text(damaged: dict[str, str], still: bool = False) -> str:
    """'2 patches have missing or damaged files (first: vdms/x-a0.exr is missing)'."""
    count = (
        f"1 patch {'still ' * still}has"
        if len(damaged) == 1
        else f"{len(damaged)} patches {'still ' * still}have"
    )
    return f"{count} missing or damaged files (first: {printable(next(iter(damaged.values())))})"


def check_dataset(root: str | Path) -> DatasetCheck:
    """Every damaged line and every patch with missing or damaged files of the dataset at `root`."""
    root = Path(root)
    if not (root / MANIFEST).is_file():
        raise VdmError(f"{root} is not a dataset (it has no {MANIFEST}).")
    check = DatasetCheck()
    for name in (MANIFEST, REJECTED):
        what, shape = line_shape(name)
        lines = scan_json_lines(root / name, what, shape)
        check.problems += [f"{name} {problem}" for problem in lines.problems]
        if lines.torn is not None:
            check.problems.append(
                f"{name} line {lines.torn} was cut short by a killed miner (a rerun of `vdm mine` mines "
                "its record again)"
            )
        if name == MANIFEST:
            check.patches = len(lines.lines)
            damaged = damaged_patches(root, lines.values)
            check.problems += [f"{patch_id}: {problem}" for patch_id, problem in damaged.items()]
    return check
