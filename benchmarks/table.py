"""The row type every benchmark module returns, and the table they are printed in."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.table import Table

from vdm.console import table_console


@dataclass(frozen=True)
class Row:
    """One measured figure."""

    stage: str
    metric: str
    value: float
    unit: str
    note: str = ""


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall-clock seconds of `repeat` calls of `fn`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def save_rows(rows: list[Row], path: Path) -> None:
    """The rows as a JSON list (for a long benchmark whose table is wanted again later)."""
    path.write_text(json.dumps([asdict(row) for row in rows], indent=1))


def print_table(rows: list[Row]) -> None:
    table = Table(title="vdm benchmarks")
    for column in ("stage", "metric", "value", "unit", "note"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(row.stage, row.metric, f"{row.value:.4g}", row.unit, row.note)
    table_console().print(table)
