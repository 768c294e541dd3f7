"""`vdm mine`: selection records to a dataset (conventions section 7), in parallel and resumably.

The driver reads the records, skips those the dataset already holds, hands the rest to an
executor (local processes or Ray), writes each result's files as it arrives and commits the
manifest lines in input order. It ends with a summary table and a contact sheet of the dataset.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from vdm.atomic import os_reason
from vdm.dataset import load_training_pair
from vdm.errors import VdmError
from vdm.executors import Executor, TaskFailure
from vdm.mine.check import damaged_text
from vdm.mine.config import MineConfig
from vdm.mine.worker import PATCH_KIND, RecordResult, RecordTask, mine_record
from vdm.mine.writer import DatasetWriter
from vdm.records import load_record

log = logging.getLogger(__name__)

SHEET_NAME = "contact_sheet.png"
SHEET_PATCHES = 48


def mine_task(item: tuple[RecordTask, MineConfig]) -> RecordResult:
    """The executors' unit of work (a module-level function: local processes and Ray pickle it)."""
    task, config = item
    return mine_record(task, config)


def record_files(inputs: Sequence[str | Path]) -> list[Path]:
    """RECORDS arguments to input files: files as given, directories' selection records (*.json)
    and patches (*.ply) sorted, in order."""
    files: list[Path] = []
    for given in map(Path, inputs):
        if given.is_dir():
            found = sorted([*given.glob("*.json"), *given.glob("*.ply")])
            if not found:
                raise VdmError(f"Directory {given} holds no selection records (*.json) or patches (*.ply).")
            files += found
        elif given.is_file():
            files.append(given)
        else:
            raise VdmError(f"Selection record {given} does not exist.")
    if not files:
        raise VdmError("No selection records were given.")
    return files


def _patch_task(index: int, path: Path) -> RecordTask:
    """An imported patch: its selection id is its bytes' (the same file twice is one patch)."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return RecordTask(
            index, str(path), str(path), None, f"Patch {path} cannot be read ({os_reason(exc)})."
        )
    return RecordTask(index, str(path), f"{PATCH_KIND}-{digest[:16]}", None, patch_sha256=digest)


def read_tasks(files: Sequence[Path]) -> list[RecordTask]:
    """One task per distinct record or patch, in input order; an unreadable file becomes a
    rejected task."""
    tasks, seen = [], set()
    for path in files:
        if path.suffix.lower() == ".ply":
            task = _patch_task(len(tasks), path)
            if task.selection_id not in seen:
                seen.add(task.selection_id)
                tasks.append(task)
            continue
        try:
            record = load_record(path)
        except VdmError as exc:
            if str(path) not in seen:
                seen.add(str(path))
                tasks.append(RecordTask(len(tasks), str(path), str(path), None, str(exc)))
            continue
        if record.id in seen:
            log.info("skipping %s: the same selection as an earlier record", path)
            continue
        seen.add(record.id)
        tasks.append(RecordTask(len(tasks), str(path), record.id, record.to_json()))
    return tasks


@dataclass
class MineSummary:
    """What one `vdm mine` run did."""

    records: int = 0  # distinct records given
    already_done: int = 0  # skipped: the dataset held them
    mined: int = 0  # records mined in this run
    accepted: int = 0  # patches added to the manifest in this run
    rejected: Counter = field(default_factory=Counter)  # (stage, reason) -> count, this run
    seconds: float = 0.0
    work_seconds: float = 0.0  # summed over records (worker time)
    dataset_patches: int = 0  # manifest lines in the dataset now
    sheet: Path | None = None

    @property
    def patches_per_minute(self) -> float:
        return 60.0 * self.accepted / self.seconds if self.seconds > 0 else 0.0

    def table(self) -> Table:
        table = Table(title="vdm mine", show_header=True)
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("records given", str(self.records))
        table.add_row("records already in the dataset", str(self.already_done))
        table.add_row("records mined now", str(self.mined))
        table.add_row("patches accepted now", str(self.accepted))
        for (stage, reason), count in sorted(self.rejected.items()):
            table.add_row(f"rejected at {stage}: {reason}", str(count))
        table.add_row("patches in the dataset", str(self.dataset_patches))
        table.add_row("wall time", f"{self.seconds:.1f} s")
        table.add_row("patches per minute", f"{self.patches_per_minute:.1f}")
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "already_done": self.already_done,
            "mined": self.mined,
            "accepted": self.accepted,
            "rejected": [
                {"stage": s, "reason": r, "count": c} for (s, r), c in sorted(self.rejected.items())
            ],
            "seconds": self.seconds,
            "work_seconds": self.work_seconds,
            "dataset_patches": self.dataset_patches,
            "patches_per_minute": self.patches_per_minute,
        }


def _failure_result(failure: TaskFailure) -> RecordResult:
    task: RecordTask = failure.task[0]
    result = RecordResult(task.index, task.selection_id)
    result.reject(task.selection_id, "worker", failure.reason)
    return result


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]mine"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[accepted]} patches, {task.fields[rejected]} rejected"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def mine(
    inputs: Sequence[str | Path],
    out: str | Path,
    config: MineConfig,
    executor: Executor,
    sheet: bool = True,
    retry_rejected: bool = False,
    console: Console | None = None,
) -> MineSummary:
    """Mine every record of `inputs` (files or directories) into the dataset `out`; records the
    dataset already holds are skipped (with `retry_rejected`, rejected selections are mined again)."""
    tasks = read_tasks(record_files(inputs))
    return mine_tasks(tasks, out, config, executor, sheet, retry_rejected, console)


def synth_tasks(count: int, seed: int) -> list[RecordTask]:
    """The tasks of `vdm synth`: procedural patch i of `seed` for i < count."""
    from vdm.mine.synth import SYNTHETIC_KIND

    return [
        RecordTask(
            i,
            f"{SYNTHETIC_KIND}-{seed}-{i}",
            f"synth-s{seed}-{i:05d}",
            None,
            synth={"seed": seed, "index": i},
        )
        for i in range(count)
    ]


def mine_tasks(
    tasks: list[RecordTask],
    out: str | Path,
    config: MineConfig,
    executor: Executor,
    sheet: bool = True,
    retry_rejected: bool = False,
    console: Console | None = None,
) -> MineSummary:
    """Mine the tasks the dataset `out` does not hold yet; write, commit in order, summarise."""
    start = time.perf_counter()
    console = console or Console(stderr=True)
    with DatasetWriter(out, config.dataset_settings()) as writer:
        if writer.partials_removed or writer.journals_replayed:
            log.info(
                "resuming %s: removed %d partial files, replayed %d journal(s)",
                out,
                writer.partials_removed,
                writer.journals_replayed,
            )
        if writer.damaged:
            log.warning("%s: their records are mined again", damaged_text(writer.damaged))
        if retry_rejected:
            log.info("mining %d rejected selection(s) again", writer.forget_rejected_selections())
        todo = [t for t in tasks if not writer.is_done(t.selection_id)]
        summary = MineSummary(records=len(tasks), already_done=len(tasks) - len(todo))
        _run(todo, config, executor, writer, summary, console)
        summary.dataset_patches = len(writer.manifest)
        if writer.damaged:  # their records were not among those given
            log.warning(
                "%s: give their records to `vdm mine` to restore them",
                damaged_text(writer.damaged, still=True),
            )
        whole = [e for e in writer.manifest if e["patch_id"] not in writer.damaged]
        if sheet and whole:
            summary.sheet = write_dataset_sheet(writer.root, whole)
    summary.seconds = time.perf_counter() - start
    console.print(summary.table())
    log.debug("summary: %s", json.dumps(summary.to_json()))
    return summary


def _run(
    todo: list[RecordTask],
    config: MineConfig,
    executor: Executor,
    writer: DatasetWriter,
    summary: MineSummary,
    console: Console,
) -> None:
    """Mine the records left to do; write each result as it arrives, commit them in input order."""
    ready: dict[int, RecordResult] = {}
    order = [t.index for t in todo]
    next_position = 0
    with _progress(console) as progress:
        bar = progress.add_task("mine", total=len(todo), accepted=0, rejected=0)
        # closing: on Ctrl-C or an error here the executor ends its workers now, not at exit
        with closing(executor.run(mine_task, [(t, config) for t in todo])) as outcomes:
            for outcome in outcomes:
                result = _failure_result(outcome) if isinstance(outcome, TaskFailure) else outcome
                writer.write_files(result)
                ready[result.index] = result
                while next_position < len(order) and order[next_position] in ready:
                    done = ready.pop(order[next_position])
                    writer.commit(done)
                    next_position += 1
                    summary.mined += 1
                    summary.accepted += len(done.manifest)
                    summary.work_seconds += done.seconds
                    summary.rejected.update((r["stage"], r["reason"]) for r in done.rejected)
                progress.update(
                    bar, advance=1, accepted=summary.accepted, rejected=sum(summary.rejected.values())
                )


def write_dataset_sheet(
    root: Path, manifest: list[dict[str, Any]], count: int = SHEET_PATCHES, path: Path | None = None
) -> Path:
    """A contact sheet of up to `count` patches spread evenly over the manifest: per patch its condition
    image, its normal grid and its baked VDM (mid grey where it leaves the plane alone); written to
    `path` (default DATASET/contact_sheet.png)."""
    from vdm.render.sheet import SheetEntry, write_contact_sheet
    from vdm.vdm_file import read_vdm
    from vdm.vdm_grid import vdm_picture

    step = max(1, len(manifest) / count)
    chosen = [manifest[int(i * step)] for i in range(min(count, len(manifest)))]
    entries = []
    for entry in chosen:
        pair = load_training_pair(root, entry)
        baked = root / entry["files"]["vdm"] if "vdm" in entry.get("files", {}) else None
        picture = vdm_picture(read_vdm(baked)) if baked is not None and baked.is_file() else None
        entries.append(SheetEntry(entry["patch_id"], pair.condition, pair.normal_grid, picture))
    return write_contact_sheet(path or root / SHEET_NAME, entries, tile=64, columns=4)
