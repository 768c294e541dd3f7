"""The miner's executors and dataset writer on their own: dying workers, bugs, torn files, journals."""

from __future__ import annotations

import json
import logging
import os

import pytest
from render_tasks import square_or_die, square_or_raise

from vdm.errors import VdmError
from vdm.executors import ProcessExecutor, TaskFailure, WorkerError
from vdm.folder_lock import LOCK_NAME
from vdm.mine.worker import RecordResult
from vdm.mine.writer import JOURNAL_DIR, DatasetWriter, dumps_line


@pytest.mark.xdist_group("processes")
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


SETTINGS = {"version": "test", "augmentations": 2, "size": 8}


def _done(writer: DatasetWriter, *selections: str) -> set[str]:
    return {s for s in selections if writer.is_done(s)}


def test_writer_cuts_torn_lines_replays_journals_and_never_duplicates(tmp_path):
    with DatasetWriter(tmp_path, SETTINGS) as writer:
        writer.commit(_result(0, "aa", 2, False))
        writer.commit(_result(1, "bb", 0, True))
    clean = (tmp_path / "manifest.jsonl").read_bytes()
    # A kill mid-append leaves a torn line; a kill before the journal's deletion leaves the journal.
    with (tmp_path / "manifest.jsonl").open("ab") as f:
        f.write(b'{"patch_id": "cc-a0", "sel')
    cc = _result(2, "cc", 2, False)
    (tmp_path / JOURNAL_DIR).mkdir(exist_ok=True)
    (tmp_path / JOURNAL_DIR / "aa.json").write_text(
        json.dumps({"manifest": _result(0, "aa", 2, False).manifest, "rejected": []})
    )
    (tmp_path / JOURNAL_DIR / "cc.json").write_text(json.dumps({"manifest": cc.manifest, "rejected": []}))
    reopened = DatasetWriter(tmp_path, SETTINGS)
    assert reopened.journals_replayed == 2 and _done(reopened, "aa", "bb", "cc", "dd") == {"aa", "bb", "cc"}
    expected = clean + "".join(dumps_line(e) for e in cc.manifest).encode()
    assert (tmp_path / "manifest.jsonl").read_bytes() == expected
    reopened.close()
    assert not (tmp_path / JOURNAL_DIR).exists()
    # --retry-rejected forgets selections that have no accepted patch.
    assert reopened.forget_rejected_selections() == 1 and not reopened.is_done("bb")
    assert (tmp_path / "rejected.jsonl").read_text() == ""


def test_a_record_whose_last_line_was_torn_away_is_mined_again(tmp_path):
    with DatasetWriter(tmp_path, SETTINGS) as writer:
        writer.commit(_result(0, "aa", 2, False))
    # A kill mid-append, and the journal already gone: only the torn line knew about aa-a1.
    data = (tmp_path / "manifest.jsonl").read_bytes()
    (tmp_path / "manifest.jsonl").write_bytes(data[: data.index(b"aa-a1") + 3])
    with DatasetWriter(tmp_path, SETTINGS) as reopened:
        assert not reopened.is_done("aa")
        reopened.commit(_result(0, "aa", 2, False))  # the rerun: aa-a0 is not written twice
    assert (tmp_path / "manifest.jsonl").read_bytes() == data


def test_other_settings_are_refused_naming_each_difference(tmp_path):
    DatasetWriter(tmp_path, SETTINGS).close()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(VdmError, match=r"size 8 here, 128 asked\); .*new --out"):
        DatasetWriter(tmp_path, {**SETTINGS, "size": 128})
    with pytest.raises(VdmError, match=r"augmentations 2 here, 3 asked"):
        DatasetWriter(tmp_path, {**SETTINGS, "augmentations": 3})
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # refused before changing anything


@pytest.mark.xdist_group("processes")
def test_one_miner_per_dataset_and_a_dead_owner_is_taken_over(tmp_path, caplog):
    owner = rf"being mined by process {os.getpid()}"
    with DatasetWriter(tmp_path, SETTINGS), pytest.raises(VdmError, match=owner):
        DatasetWriter(tmp_path, SETTINGS)
    # A killed miner's lock: the file names it, but nobody holds it any more.
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 999_999, "host": "here", "started": 0.0}))
    (tmp_path / ".patches-x.partial-999999.ply").write_text("torn")
    with caplog.at_level(logging.WARNING), DatasetWriter(tmp_path, SETTINGS) as writer:
        assert writer.partials_removed == 1
    assert "taking over the lock of process 999999" in caplog.text
    assert not (tmp_path / LOCK_NAME).exists()
