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
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vdm.atomic import os_reason
from vdm.dataset import entry_source, load_training_pair
from vdm.errors import VdmError, reason_cause
from vdm.executors import Executor, TaskFailure
from vdm.mine.check import damaged_text
from vdm.mine.config import MineConfig
from vdm.mine.worker import PATCH_KIND, RecordResult, RecordTask, mine_record
from vdm.mine.writer import DatasetWriter
from vdm.progress import WorkProgress
from vdm.records import load_record
from vdm.sources.subset import left_out, objaverse_subset

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
    """What one `vdm mine` (or `vdm synth`) run did."""

    command: str = "mine"
    records: int = 0  # distinct records given
    already_done: int = 0  # skipped: the dataset held them
    mined: int = 0  # records mined in this run
    accepted: int = 0  # patches added to the manifest in this run
    rejected: Counter = field(default_factory=Counter)  # (stage, cause) -> count, this run (reason_cause)
    seconds: float = 0.0
    work_seconds: float = 0.0  # summed over records (worker time)
    dataset_patches: int = 0  # manifest lines in the dataset now
    sheet: Path | None = None
    short_by: int = 0  # parts still missing after the last round (synth)

    @property
    def patches_per_minute(self) -> float:
        return 60.0 * self.accepted / self.seconds if self.seconds > 0 else 0.0

    def table(self) -> Table:
        table = Table(title=f"vdm {self.command}", show_header=True)
        table.add_column("what")
        table.add_column("count", justify="right")
        noun = "parts" if self.command == "synth" else "records"
        table.add_row(f"{noun} given", str(self.records))
        table.add_row(f"{noun} already in the dataset", str(self.already_done))
        table.add_row(f"{noun} mined now", str(self.mined))
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
    dataset already holds are skipped (with `retry_rejected`, rejected selections are mined again);
    records of Objaverse objects outside the subset (--uids, --annotations) are left out."""
    subset = objaverse_subset(config.sources.subset)  # read first: a bad file fails before the work
    tasks = read_tasks(record_files(inputs))
    if subset is not None:
        given = len(tasks)
        tasks = [
            t
            for t in tasks
            if not (t.record and left_out(t.record["source"]["kind"], t.record["source"]["ref"], subset))
        ]
        if given and not tasks:
            raise VdmError(f"The subset (--uids, --annotations) leaves out all {given} records given.")
        log.info(
            "the subset left out %d of %d record(s): their Objaverse objects are not in it",
            given - len(tasks),
            given,
        )
    return mine_tasks(tasks, out, config, executor, sheet, retry_rejected, console)


def synth_tasks(count: int, seed: int, start: int = 0) -> list[RecordTask]:
    """The tasks of `vdm synth`: procedural part i of `seed` for start <= i < start + count."""
    from vdm.mine.synth import SYNTHETIC_KIND

    return [
        RecordTask(
            i,
            f"{SYNTHETIC_KIND}-{seed}-{i}",
            f"synth-s{seed}-{i:05d}",
            None,
            synth={"seed": seed, "index": i},
        )
        for i in range(start, start + count)
    ]


TOP_UP_ROUNDS = 4  # rounds of new draws for the parts the gates refused, at most


@dataclass
class SynthPlan:
    """`vdm synth --count N`: N accepted parts. Parts 0..N-1 first; each part the gates refuse is
    replaced by the next index, round after round (TOP_UP_ROUNDS at most). The indices follow from
    the dataset alone, so a rerun resumes the same rounds."""

    count: int
    seed: int
    tried: int = 0  # parts 0..tried-1 have been given to the miner

    def first(self) -> list[RecordTask]:
        self.tried = self.count
        return synth_tasks(self.count, self.seed)

    def accepted(self, writer: DatasetWriter) -> int:
        made = {e["selection_id"] for e in writer.manifest}
        return sum(task.selection_id in made for task in synth_tasks(self.tried, self.seed))

    def more(self, writer: DatasetWriter) -> list[RecordTask]:
        """New parts for those refused so far (none when N are in)."""
        missing = self.count - self.accepted(writer)
        tasks = synth_tasks(missing, self.seed, self.tried) if missing > 0 else []
        self.tried += len(tasks)
        return tasks


def synth(
    plan: SynthPlan, out: str | Path, config: MineConfig, executor: Executor, sheet: bool = True
) -> MineSummary:
    """`vdm synth`: the plan's parts, topped up until `plan.count` are accepted."""
    summary = mine_tasks(plan.first(), out, config, executor, sheet, command="synth", top_up=plan.more)
    if summary.short_by:
        log.warning(
            "%d of the %d parts asked for were made: the gates refused the rest %d rounds of new draws "
            "running (rejected.jsonl says why)",
            plan.count - summary.short_by,
            plan.count,
            TOP_UP_ROUNDS,
        )
    return summary


def mine_tasks(
    tasks: list[RecordTask],
    out: str | Path,
    config: MineConfig,
    executor: Executor,
    sheet: bool = True,
    retry_rejected: bool = False,
    console: Console | None = None,
    command: str = "mine",
    top_up: Callable[[DatasetWriter], list[RecordTask]] | None = None,
) -> MineSummary:
    """Mine the tasks the dataset `out` does not hold yet; write, commit in order, summarise. With
    `top_up`, then the tasks it gives for what is still missing, round after round (none: done)."""
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
        summary = MineSummary(command=command)
        for round_ in range(1 + (TOP_UP_ROUNDS if top_up is not None else 0)):
            todo = [t for t in tasks if not writer.is_done(t.selection_id)]
            summary.records += len(tasks)
            summary.already_done += len(tasks) - len(todo)
            label = command if round_ == 0 else f"{command}: new draws for the refused"
            _run(todo, config, executor, writer, summary, console, label)
            tasks = top_up(writer) if top_up is not None else []
            if not tasks:
                break
        summary.short_by = len(tasks)
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
    label: str,
) -> None:
    """Mine the records left to do; write each result as it arrives, commit them in input order."""
    if not todo:
        return
    unit = "parts" if summary.command == "synth" else "records"
    ready: dict[int, RecordResult] = {}
    order = [t.index for t in todo]
    next_position = 0
    # closing: on Ctrl-C or an error here the executor ends its workers now, not at exit
    with (
        WorkProgress(console, label, len(todo), unit) as progress,
        closing(executor.run(mine_task, [(t, config) for t in todo])) as outcomes,
    ):
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
                summary.rejected.update((r["stage"], reason_cause(r["reason"])) for r in done.rejected)
            progress.advance(f"accepted {summary.accepted}, rejected {sum(summary.rejected.values())}")


def patch_label(entry: dict[str, Any]) -> str:
    """A dataset patch as a person names it: its source and augmentation, then its record's note (or
    its generator): "cow a2: right horn" (the note last: a long one is what a sheet cuts)."""
    from vdm.bake.asset import source_name

    note = (entry.get("note") or entry.get("generator", {}).get("generator") or "part").strip()
    where = source_name(entry_source(entry) or "patch")
    return f"{where} a{entry.get('augmentation', {}).get('index', 0)}: {note}"


def write_dataset_sheet(
    root: Path,
    manifest: list[dict[str, Any]],
    count: int = SHEET_PATCHES,
    path: Path | None = None,
    title: str = "",
) -> Path:
    """A contact sheet of up to `count` patches spread evenly over the manifest: per patch its condition
    image, its normal grid and its baked VDM (mid grey where it leaves the plane alone), each named by
    `patch_label`; written to `path` (default DATASET/contact_sheet.png) under `title` (default: the
    dataset's folder and how many of its patches are shown)."""
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
        entries.append(SheetEntry(patch_label(entry), pair.condition, pair.normal_grid, picture))
    title = title or f"{root.resolve().name}: {len(chosen)} of its {len(manifest)} patches"
    return write_contact_sheet(path or root / SHEET_NAME, entries, tile=64, columns=4, title=title)
