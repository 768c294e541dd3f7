"""Run every benchmark and print one table: `python -m benchmarks.run [module ...]`.

Every module in benchmarks/ other than this one and `table` is a benchmark with `run() -> list[Row]`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks.table import print_table

NOT_BENCHMARKS = {"run", "table", "gpu"}  # gpu: the GPU check, its own command


def benchmark_modules() -> list[str]:
    """Names of the benchmark modules, sorted."""
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    return sorted(m.name for m in found if m.name not in NOT_BENCHMARKS)


def main(argv: list[str]) -> None:
    rows = []
    for name in argv or benchmark_modules():
        rows += importlib.import_module(f"benchmarks.{name}").run()
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
