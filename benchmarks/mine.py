"""The whole miner: patches per minute for stitch + 5 augmentations + 7 views of 512^2 and a 512^2
baked VDM per patch, with 1 and 2 local worker processes (the speed-up), and the time that rate
gives 1,200 patches.

Records: the selections shipped in vdm/data/selections (built-in meshes), or a directory given as
`python -m benchmarks.mine DIR`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.table import Row, print_table
from vdm.records import SHIPPED_SELECTIONS_DIR

TARGET_PATCHES = 1200


def run(records: Path = SHIPPED_SELECTIONS_DIR, workers: tuple[int, ...] = (1, 2)) -> list[Row]:
    from rich.console import Console

    from vdm.executors import ProcessExecutor
    from vdm.mine.config import MineConfig
    from vdm.mine.driver import mine

    if not sorted(records.glob("*.json")):
        return [Row("mine", "patches/min", 0.0, "patches/min", f"no records in {records}")]
    rows, rates = [], {}
    quiet = Console(stderr=True, quiet=True)
    for count in workers:
        with tempfile.TemporaryDirectory() as out:
            summary = mine(
                [records], Path(out) / "dataset", MineConfig(), ProcessExecutor(count), False, console=quiet
            )
        rates[count] = summary.patches_per_minute
        note = f"{summary.accepted} patches from {summary.mined} records in {summary.seconds:.0f} s"
        rows.append(Row("mine", f"patches/min, {count} worker(s)", rates[count], "patches/min", note))
    best = max(rates, key=rates.get)
    if rates[best] > 0:
        hours = TARGET_PATCHES / rates[best] / 60.0
        rows.append(Row("mine", f"{TARGET_PATCHES} patches", hours, "h", f"at the {best}-worker rate"))
    if 1 in rates and len(rates) > 1 and rates[1] > 0:
        rows.append(Row("mine", f"speed-up {best} vs 1 worker", rates[best] / rates[1], "x", ""))
    return rows


if __name__ == "__main__":
    print_table(run(Path(sys.argv[1])) if len(sys.argv) > 1 else run())
