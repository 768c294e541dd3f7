"""Limiting an Objaverse batch to a uid list or to the objects an annotations table rates well
(--uids, --annotations, --min-score, --score-column): real files, `expand_sources` on objaverse: and
lvis: sources, one-sentence errors before any download, and `vdm mine` leaving records out."""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import assert_one_sentence_error

from vdm.dataset import read_jsonl, read_manifest
from vdm.errors import VdmError
from vdm.records import load_record, shipped_record
from vdm.source_config import ObjaverseSubset, SourceConfig
from vdm.sources.listing import expand_sources
from vdm.sources.mesh import SourceRef
from vdm.sources.subset import objaverse_subset, read_annotations, read_uid_list

A, B, C, D, E = (c * 32 for c in "abcde")
# Objaverse++'s columns (TCXX/ObjaversePlusPlus, annotation_model/annotate_all.py): the uid, then
# style, the quality score (0 low, 1 medium, 2 high, 3 superior) and the trait flags.
PP_COLUMNS = [
    "UID",
    "style",
    "score",
    "is_multi_object",
    "is_scene",
    "is_figure",
    "is_transparent",
    "is_single_color",
    "density",
]
SCORES = {A: 3, B: 1, C: 2, D: 0, E: 2}


def pp_row(uid: str, score: object) -> dict:
    return {
        "UID": uid,
        "style": "realistic",
        "score": score,
        "is_multi_object": "false",
        "is_scene": "false",
        "is_figure": "true",
        "is_transparent": "false",
        "is_single_color": "false",
        "density": "mid",
    }


def write_csv(path: Path, rows: list[dict], columns: list[str] = PP_COLUMNS) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def pp_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "annotated.csv", [pp_row(uid, s) for uid, s in SCORES.items()])


@pytest.fixture
def uid_list(tmp_path) -> Path:
    path = tmp_path / "keep.txt"
    path.write_text(f"# picked by hand\n{A}\n\n  objaverse:{C}   # the good horse\n# {B} not this one\n")
    return path


@pytest.fixture
def lvis_cache(tmp_path) -> Path:
    """An Objaverse cache holding the LVIS annotations and an object list without the objects: a
    uid that reaches the loader is refused at once (no network), one left out never gets there."""
    cache = tmp_path / "cache"
    (cache / "hf-objaverse-v1").mkdir(parents=True)
    with gzip.open(cache / "hf-objaverse-v1" / "lvis-annotations.json.gz", "wt") as fh:
        json.dump({"horse": [A, B, C, D]}, fh)
    with gzip.open(cache / "hf-objaverse-v1" / "object-paths.json.gz", "wt") as fh:
        json.dump({}, fh)
    return cache


def test_a_uid_list_skips_blank_lines_and_comments_and_takes_objaverse_specs(uid_list):
    assert read_uid_list(uid_list) == {A, C}


def test_an_objaverse_pp_table_keeps_the_objects_scored_at_least_the_minimum(tmp_path, pp_csv):
    assert read_annotations(pp_csv) == set(SCORES)  # no minimum: every object the table lists
    assert read_annotations(pp_csv, 2) == {A, C, E}
    assert read_annotations(pp_csv, 2.5) == {A}
    # The same table as Objaverse++ publishes it (annotated_800k.json: an array of rows), as JSON
    # Lines, as pandas' column layout, and as Parquet.
    rows = [pp_row(uid, s) for uid, s in SCORES.items()]
    (tmp_path / "pp.json").write_text(json.dumps(rows))
    (tmp_path / "pp.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    columns = {c: {str(i): r[c] for i, r in enumerate(rows)} for c in PP_COLUMNS}
    (tmp_path / "columns.json").write_text(json.dumps(columns))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "pp.parquet")
    for name in ("pp.json", "pp.jsonl", "columns.json", "pp.parquet"):
        assert read_annotations(tmp_path / name, 2) == {A, C, E}, name
    # Another score column, a lowercase uid column, an empty score (below any minimum).
    other = write_csv(
        tmp_path / "mine.csv",
        [{"uid": A, "aesthetic": "0.9"}, {"uid": B, "aesthetic": ""}, {"uid": C, "aesthetic": "0.2"}],
        ["uid", "aesthetic"],
    )
    assert read_annotations(other, 0.5, "aesthetic") == {A}
    assert read_annotations(other, 0.0, "aesthetic") == {A, C}


def test_both_files_keep_the_objects_in_both(uid_list, pp_csv):
    subset = objaverse_subset(ObjaverseSubset(uids=uid_list, annotations=pp_csv, min_score=2.5))
    assert subset == {A}
    assert objaverse_subset(ObjaverseSubset()) is None  # no subset: every object


def test_expand_sources_leaves_out_the_objaverse_objects_outside_the_subset(
    tmp_path, lvis_cache, uid_list, pp_csv, caplog
):
    mesh = tmp_path / "part.obj"
    mesh.write_text("v 0 0 0\n")
    given = ["lvis:horse", f"objaverse:{E}", "builtin:cow", str(mesh)]
    everything = expand_sources(given, SourceConfig(objaverse_cache=lvis_cache))
    assert everything == [*(f"objaverse:{u}" for u in (A, B, C, D, E)), "builtin:cow", str(mesh)]

    caplog.set_level("INFO")
    config = SourceConfig(objaverse_cache=lvis_cache, subset=ObjaverseSubset(uids=uid_list))
    assert expand_sources(given, config) == [f"objaverse:{A}", f"objaverse:{C}", "builtin:cow", str(mesh)]
    assert "left out 3 of 5 Objaverse" in caplog.text
    rated = replace(config, subset=ObjaverseSubset(annotations=pp_csv, min_score=2))
    assert expand_sources(given, rated) == [*(f"objaverse:{u}" for u in (A, C, E)), "builtin:cow", str(mesh)]
    only_d = tmp_path / "d.txt"
    only_d.write_text(D + "\n")
    assert expand_sources(["lvis:horse"], replace(config, subset=ObjaverseSubset(uids=only_d))) == [
        f"objaverse:{D}"
    ]
    with pytest.raises(VdmError, match="leaves out all 1 Objaverse objects"):
        expand_sources([f"objaverse:{E}"], config)


def bad_files(tmp_path: Path, pp_csv: Path) -> list[tuple[list[str], tuple[str, ...]]]:
    """Flags naming bad files, and the fragments of the sentence each must give."""
    bad_line = tmp_path / "bad-line.txt"
    bad_line.write_text(f"{A}\n{B}\nobjaverse/horse.glb\n")
    comments = tmp_path / "comments.txt"
    comments.write_text("# nothing yet\n\n")
    no_uid = write_csv(tmp_path / "no-uid.csv", [{"name": A, "score": 3}], ["name", "score"])
    rows = [pp_row(A, 3), pp_row(B, "high"), pp_row(C, 1)]
    not_number = write_csv(tmp_path / "words.csv", rows)
    only_d = tmp_path / "d.txt"
    only_d.write_text(D + "\n")
    return [
        (["--uids", tmp_path / "missing.txt"], ("Uid list", "missing.txt", "does not exist")),
        (["--uids", bad_line], ("line 3", "'objaverse/horse.glb' is not an Objaverse uid")),
        (["--uids", comments], ("lists no uid",)),
        (["--annotations", tmp_path / "missing.csv"], ("Annotations table", "missing.csv", "does not exist")),
        (
            ["--annotations", no_uid],
            ("no uid column (UID, uid or object_uid)", "its columns are name, score"),
        ),
        (
            ["--annotations", pp_csv, "--min-score", "2", "--score-column", "quality"],
            ("no score column 'quality'", "--score-column", "its columns are UID, style, score"),
        ),
        (
            ["--annotations", not_number, "--min-score", "2"],
            ("words.csv line 3", "score 'high' is not a number"),
        ),
        (["--annotations", pp_csv, "--min-score", "4"], ("score of 4 or more", "all 5 were dropped")),
        (["--min-score", "2"], ("--min-score needs --annotations",)),
        (["--uids", only_d, "--annotations", pp_csv, "--min-score", "2"], ("no object in common",)),
        (["--uids", only_d], ("leaves out all 1 Objaverse objects",)),
    ]


def test_bad_subset_files_fail_in_one_sentence_before_any_download(tmp_path, pp_csv, run_cli, monkeypatch):
    import socket

    def refuse(*_args, **_kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    for flags, fragments in bad_files(tmp_path, pp_csv):
        result = run_cli(
            "propose", f"objaverse:{A}", "--out", tmp_path / "out", "--objaverse-cache", cache, *flags
        )
        assert_one_sentence_error(result, *fragments)
        assert not list(cache.iterdir()), flags  # the objaverse package was never asked for anything
    # The same checks stop `vdm mine` before it reads a record.
    flags, fragments = bad_files(tmp_path, pp_csv)[0]
    assert_one_sentence_error(
        run_cli("mine", shipped_record("cow-ear"), "--out", tmp_path / "d", *flags), *fragments
    )
    assert not (tmp_path / "d").exists()


def objaverse_record(directory: Path, uid: str) -> Path:
    """The cow-ear selection as if it had been lassoed on an Objaverse object."""
    record = load_record(shipped_record("cow-ear"))
    return replace(record, source=SourceRef("objaverse", uid, uid * 2)).save(directory)


@pytest.mark.xdist_group("processes")
def test_mine_leaves_out_the_records_of_objects_outside_the_subset(tmp_path, lvis_cache, uid_list, run_cli):
    records = tmp_path / "records"
    records.mkdir()
    builtin = load_record(shipped_record("cow-ear")).save(records)
    inside, outside = objaverse_record(records, A), objaverse_record(records, B)
    out = tmp_path / "dataset"
    options = ["--augmentations", "1", "--size", "64", "--resolution", "512", "--poisson-depth", "6"]
    options += ["--workers", "1", "--no-sheet", "--objaverse-cache", lvis_cache]
    result = run_cli("mine", records, "--out", out, "--uids", uid_list, *options)
    assert result.code == 0, result.err
    assert re.search(r"left out 1 of 3\s+record", result.err), result.err
    assert {e["source"]["kind"] for e in read_manifest(out)} == {"builtin"}  # the cow was mined
    rejected = {e["selection_id"]: e for e in read_jsonl(out / "rejected.jsonl")}
    # The object inside the subset was asked for (and is not in this cache); the one outside never was.
    assert (
        load_record(inside).id in rejected
        and "no object with uid" in rejected[load_record(inside).id]["reason"]
    )
    assert load_record(outside).id not in rejected
    assert load_record(builtin).id not in rejected
