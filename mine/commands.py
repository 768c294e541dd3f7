"""The `vdm` command of mine/: `vdm mine` (many selection records to a dataset)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from vdm.cli_options import Exclude, vdm_command
from vdm.mine.config import MineConfig
from vdm.stitching.config import Augmentations

log = logging.getLogger(__name__)


Workers = Annotated[
    int | None, typer.Option("--workers", min=1, help="Local worker processes (default: the CPU count).")
]
Sheet = Annotated[
    bool, typer.Option("--sheet/--no-sheet", help="Write DATASET/contact_sheet.png at the end.")
]
# Synthetic parts are not stitched from a source: no source or stitching options, one patch each.
SynthConfig = Annotated[MineConfig, Exclude("sources", "stitch")]
SYNTH_DEFAULTS = MineConfig(augment=Augmentations(count=1))


def mine_command(
    records: Annotated[
        list[Path],
        typer.Argument(
            help="Selection record files (*.json), patch meshes to import (*.ply, source kind "
            "'patch'), or directories of them."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The dataset directory (created, or resumed).")],
    workers: Workers = None,
    executor: Annotated[
        str, typer.Option("--executor", help="Where the work runs: 'process' (this machine) or 'ray'.")
    ] = "process",
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="With --executor ray: the cluster address (e.g. ray://head:10001 or auto)."
        ),
    ] = None,
    sheet: Sheet = True,
    retry_rejected: Annotated[
        bool, typer.Option("--retry-rejected", help="Mine selections that rejected.jsonl holds again.")
    ] = False,
    *,
    config: MineConfig,
) -> None:
    """Stitch, augment and render every selection record into a dataset; resumable and parallel."""
    import os

    from vdm.executors import make_executor
    from vdm.mine.driver import mine

    summary = mine(
        records,
        out,
        config,
        make_executor(executor, workers or os.cpu_count() or 1, address),
        sheet=sheet,
        retry_rejected=retry_rejected,
    )
    if summary.sheet is not None:
        log.info("contact sheet: %s", summary.sheet)


def synth_command(
    out: Annotated[Path, typer.Option("--out", help="The dataset directory (created, or resumed).")],
    count: Annotated[
        int,
        typer.Option(
            "--count", min=1, help="Procedural parts to make (each one the gates refuse is drawn anew)."
        ),
    ] = 200,
    workers: Workers = None,
    sheet: Sheet = True,
    *,
    config: SynthConfig = SYNTH_DEFAULTS,
) -> None:
    """Procedural patches with known undercuts (horns, hooks, mushrooms, ears, bulbs, noses, fins),
    rendered and baked into a dataset like mined ones (source kind "synthetic")."""
    import os

    from vdm.executors import make_executor
    from vdm.mine.driver import SynthPlan, synth

    executor = make_executor("process", workers or os.cpu_count() or 1, None)
    synth(SynthPlan(count, config.augment.seed), out, config, executor, sheet=sheet)


def stats_command(
    dataset: Annotated[Path, typer.Argument(help="A dataset directory written by `vdm mine`.")],
    sheets: Annotated[
        bool,
        typer.Option("--sheets/--no-sheets", help="Write one contact sheet per source to DATASET/stats/."),
    ] = True,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")
    ] = None,
) -> None:
    """What a dataset is made of: sources, heights, undercut shares, rejections, near-duplicates."""
    import json

    from vdm.atomic import write_text_atomic
    from vdm.console import table_console
    from vdm.mine.stats import dataset_stats

    stats = dataset_stats(dataset, sheets=sheets)
    console = table_console()
    console.print(stats_table(stats))
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(stats.to_json(), indent=1) + "\n")


def stats_table(stats: Any) -> Any:
    """The figures of `vdm dataset stats` as one table."""
    from rich.table import Table

    table = Table(title="vdm dataset stats", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("patches", str(stats.patches))
    table.add_row("selections (and imported patches)", str(stats.selections))
    for kind, count in sorted(stats.by_kind.items()):
        table.add_row(f"source kind {kind}", str(count))
    table.add_row("sources", str(len(stats.by_source)))
    for label, count in stats.heights.items():
        table.add_row(f"height {label}", str(count))
    for label, count in stats.undercut_shares.items():
        table.add_row(f"undercut share {label}", str(count))
    for (stage, reason), count in sorted(stats.rejected.items()):
        table.add_row(f"rejected at {stage}: {reason}", str(count))
    table.add_row("near-duplicate pairs", str(len(stats.duplicates)))
    for a, b, rms in stats.duplicates[:20]:
        table.add_row(f"  {a} ~ {b}", f"{rms:.4f}")
    if stats.sheets:
        table.add_row("contact sheets", str(stats.sheets[0].parent))
    if stats.damaged:
        table.add_row("patches with missing or damaged files (vdm dataset check)", str(len(stats.damaged)))
    return table


def check_command(
    dataset: Annotated[Path, typer.Argument(help="A dataset directory written by `vdm mine`.")],
) -> None:
    """Check every manifest line and every patch's files (sizes and headers): print each problem
    by name, and exit with status 1 if there is any."""
    from vdm.errors import VdmError, printable
    from vdm.mine.check import check_dataset

    check = check_dataset(dataset)
    for problem in check.problems:
        typer.echo(printable(problem))
    if check.problems:
        raise VdmError(
            f"Dataset {dataset} has {len(check.problems)} problem(s), listed above: rerun `vdm mine` with "
            "its records to restore missing files, and repair or delete the damaged lines."
        )
    typer.echo(f"{printable(str(dataset))}: {check.patches} patches, every line and file in place.")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `vdm` app."""
    app.command("mine")(vdm_command(mine_command))
    app.command("synth")(vdm_command(synth_command))
    dataset = typer.Typer(help="Tools for a mined dataset.", no_args_is_help=True)
    dataset.command("stats")(vdm_command(stats_command))
    dataset.command("check")(vdm_command(check_command))
    app.add_typer(dataset, name="dataset")
