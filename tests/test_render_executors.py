"""The miner's executors and dataset writer on their own: dying workers, bugs, torn files, journals."""

from __future__ import annotations

import json

import pytest
from render_tasks import square_or_die, square_or_raise

from mine.executors import ProcessExecutor, TaskFailure, WorkerError
from mine.worker import RecordResult
from mine.writer import JOURNAL_DIR, DatasetWriter, dumps_line


def test_a_dying_worker_fails_only_its_task():
    outcomes = list(ProcessExecutor(2).run(square_or_die, list(range(6))))
    failures = [o for o in outcomes if isinstance(o, TaskFailure)]
    assert sorted(o for o in outcomes if not isinstance(o, TaskFailure)) == [0, 1, 4, 16, 25]
    assert [f.task for f in failures] == [3] and failures[0].reason.endswith(".")


def test_an_exception_in_the_task_function_stops_the_run():
    with pytest.raises(WorkerError, match=r"ValueError \(two is not allowed\).*rerun the same command"):
        list(ProcessExecutor(1).run(square_or_raise, [0, 1, 2, 3]))


def _result(index: int, sid: str, patches: int, rejected: bool) -> RecordResult:
    result = RecordResult(index, sid)
    for a in range(patches):
        result.manifest.append({"patch_id": f"{sid}-a{a}", "selection_id": sid})
    if rejected:
        result.reject(sid, "stitch", "It failed")
    return result


def test_writer_cuts_torn_lines_replays_journals_and_never_duplicates(tmp_path):
    writer = DatasetWriter(tmp_path)
    writer.commit(_result(0, "aa", 2, False))
    writer.commit(_result(1, "bb", 0, True))
    clean = (tmp_path / "manifest.jsonl").read_bytes()
    # A kill mid-append leaves a torn line; a kill before the journal's deletion leaves the journal.
    with (tmp_path / "manifest.jsonl").open("ab") as f:
        f.write(b'{"patch_id": "cc-a0", "sel')
    cc = _result(2, "cc", 1, False)
    (tmp_path / JOURNAL_DIR).mkdir(exist_ok=True)
    (tmp_path / JOURNAL_DIR / "aa.json").write_text(
        json.dumps({"manifest": _result(0, "aa", 2, False).manifest, "rejected": []})
    )
    (tmp_path / JOURNAL_DIR / "cc.json").write_text(json.dumps({"manifest": cc.manifest, "rejected": []}))
    reopened = DatasetWriter(tmp_path)
    assert reopened.journals_replayed == 2 and reopened.done == {"aa", "bb", "cc"}
    assert (tmp_path / "manifest.jsonl").read_bytes() == clean + dumps_line(cc.manifest[0]).encode()
    reopened.close()
    assert not (tmp_path / JOURNAL_DIR).exists()
    # --retry-rejected forgets selections that have no accepted patch.
    assert reopened.forget_rejected_selections() == 1 and "bb" not in reopened.done
    assert (tmp_path / "rejected.jsonl").read_text() == ""
