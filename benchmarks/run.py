"""Run every benchmark and print one table: `python -m benchmarks.run [module ...]`."""

from __future__ import annotations

import importlib
import sys

from benchmarks.table import print_table

# One module per stage, each with `run() -> list[Row]`.
MODULES = ("benchmarks.sources",)


def main(argv: list[str]) -> None:
    names = [f"benchmarks.{a}" for a in argv] or list(MODULES)
    rows = []
    for name in names:
        rows += importlib.import_module(name).run()
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
