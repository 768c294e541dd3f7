"""Which Objaverse objects a batch may use: a hand-made uid list (`--uids`) and an annotations table
(`--annotations`, optionally `--min-score`), read once into the set of uids kept.

The table layout is Objaverse++'s (huggingface.co/datasets/cindyxl/ObjaversePlusPlus): one row per
object, its uid in a `UID` column and its quality in `score` (0 low .. 3 superior). CSV, JSON (an
array of rows, or columns of values), JSON Lines and Parquet are read; `uid` and `object_uid` are
accepted as the uid column too.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vdm.atomic import os_reason
from vdm.errors import VdmError, short_reason
from vdm.source_config import ObjaverseSubset
from vdm.sources.objaverse import OBJAVERSE_PREFIX, UID_PATTERN
from vdm.wording import either

UID_COLUMNS = ("UID", "uid", "object_uid")
UID_NAMES = either(UID_COLUMNS)  # for messages
TABLE_SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson", ".parquet")
SHOWN_COLUMNS = 20  # columns a message names, at most

Rows = Iterator[tuple[str, dict[str, Any]]]  # (where: "line 7", the row by column)


def objaverse_subset(settings: ObjaverseSubset) -> frozenset[str] | None:
    """The uids a batch keeps, or None when neither --uids nor --annotations is given (all kept)."""
    if settings.min_score is not None and settings.annotations is None:
        raise VdmError("--min-score needs --annotations (the table whose scores it reads).")
    listed = read_uid_list(settings.uids) if settings.uids is not None else None
    if settings.annotations is None:
        return listed
    rated = read_annotations(settings.annotations, settings.min_score, settings.score_column)
    if listed is None:
        return rated
    kept = listed & rated
    if not kept:
        raise VdmError(
            f"Uid list {settings.uids} ({len(listed)} uids) and annotations table {settings.annotations} "
            f"({len(rated)} uids kept) have no object in common."
        )
    return kept


def left_out(kind: str, ref: str, subset: frozenset[str] | None) -> bool:
    """Whether a source is an Objaverse object outside the subset (other kinds never are)."""
    return subset is not None and kind == "objaverse" and ref not in subset


def read_uid_list(path: Path) -> frozenset[str]:
    """The uids of a text file: one `<uid>` or `objaverse:<uid>` a line; blank lines and everything
    after a `#` are ignored."""
    text = _read_text(path, "Uid list")
    uids = set()
    for number, line in enumerate(text.splitlines(), 1):
        uid = line.split("#", 1)[0].strip().removeprefix(OBJAVERSE_PREFIX)
        if not uid:
            continue
        if not UID_PATTERN.fullmatch(uid):
            raise VdmError(
                f"Uid list {path} line {number}: '{uid[:40]}' is not an Objaverse uid "
                "(32 lowercase hex digits)."
            )
        uids.add(uid)
    if not uids:
        raise VdmError(f"Uid list {path} lists no uid (only blank lines and comments).")
    return frozenset(uids)


def read_annotations(
    path: Path, min_score: float | None = None, score_column: str = "score"
) -> frozenset[str]:
    """The uids an annotations table lists; with `min_score`, only those whose `score_column` is at
    least that (an empty score counts as below it)."""
    columns, rows = _table(path)
    uid_column = next((c for c in UID_COLUMNS if c in columns), None)
    if uid_column is None:
        raise VdmError(
            f"Annotations table {path} has no uid column ({UID_NAMES}): its columns are {_names(columns)}."
        )
    if min_score is not None and score_column not in columns:
        raise VdmError(
            f"Annotations table {path} has no score column '{score_column}' (--score-column): "
            f"its columns are {_names(columns)}."
        )
    kept, dropped = set(), 0
    for where, row in rows:
        uid = str(row.get(uid_column) or "").strip().removeprefix(OBJAVERSE_PREFIX)
        if not uid:
            continue
        if min_score is not None:
            score = _score(row.get(score_column), path, where, score_column)
            if score is None or score < min_score:
                dropped += 1
                continue
        kept.add(uid)
    if not kept:
        if min_score is None:
            raise VdmError(f"Annotations table {path} lists no object.")
        raise VdmError(
            f"No object of annotations table {path} has a {score_column} of {min_score:g} or more "
            f"(all {dropped} were dropped)."
        )
    return frozenset(kept)


def _score(value: Any, path: Path, where: str, column: str) -> float | None:
    """A score as a number; None when the cell is empty (or NaN, as pandas writes an empty one)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "nan")):
        return None
    try:
        if isinstance(value, bool):  # a true/false flag is not a score
            raise ValueError
        score = float(value)
    except (TypeError, ValueError):
        raise VdmError(
            f"Annotations table {path} {where}: {column} '{str(value)[:40]}' is not a number."
        ) from None
    return None if math.isnan(score) else score


def _names(columns: list[str]) -> str:
    shown = ", ".join(columns[:SHOWN_COLUMNS]) or "none"
    return shown + (f" and {len(columns) - SHOWN_COLUMNS} more" if len(columns) > SHOWN_COLUMNS else "")


def _read_text(path: Path, what: str) -> str:
    if not path.exists():
        raise VdmError(f"{what} {path} does not exist.")
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise VdmError(f"{what} {path} cannot be read ({os_reason(exc)}).") from None
    except UnicodeDecodeError:
        raise VdmError(f"{what} {path} is not UTF-8 text.") from None


def _table(path: Path) -> tuple[list[str], Rows]:
    """A table's column names and its rows, by its suffix."""
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise VdmError(f"Annotations table {path} is not a {', '.join(TABLE_SUFFIXES)} file.")
    if suffix == ".parquet":
        return _parquet(path)
    text = _read_text(path, "Annotations table")
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        columns = [c for c in reader.fieldnames or [] if c]
        return columns, ((f"line {reader.line_num}", row) for row in reader)
    return _json_rows(path, text, lines=suffix != ".json")


def _json_rows(path: Path, text: str, lines: bool) -> tuple[list[str], Rows]:
    """JSON rows: an array of objects, an object of columns (lists or {row: value}), or, for JSON
    Lines (or a .json file that turns out to be one), one object a line."""
    data: Any = None
    if not lines:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":  # several documents: JSON Lines under a .json name
                raise VdmError(f"Annotations table {path} is not valid JSON (line {exc.lineno}).") from None
            lines = True
    if lines:
        data = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    data.append(json.loads(line))
                except json.JSONDecodeError:
                    raise VdmError(f"Annotations table {path} line {number} is not a JSON object.") from None
    if isinstance(data, dict) and all(isinstance(v, (list, dict)) for v in data.values()):
        data = _columns_to_rows(data)
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise VdmError(f"Annotations table {path} is not a list of objects (one per Objaverse object).")
    columns = list(dict.fromkeys(key for row in data[:1000] for key in row))
    where = "line" if lines else "record"
    return columns, ((f"{where} {i}", row) for i, row in enumerate(data, 1))


def _columns_to_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """{column: [values]} or {column: {row key: value}} (pandas' to_json default) as rows."""
    keys = list(
        dict.fromkeys(k for v in data.values() for k in (v if isinstance(v, dict) else range(len(v))))
    )
    rows = []
    for key in keys:
        row = {}
        for column, values in data.items():
            if isinstance(values, dict):
                row[column] = values.get(key)
            else:
                row[column] = values[key] if isinstance(key, int) and key < len(values) else None
        rows.append(row)
    return rows


def _parquet(path: Path) -> tuple[list[str], Rows]:
    if not path.exists():
        raise VdmError(f"Annotations table {path} does not exist.")
    import pyarrow  # the objaverse package depends on it
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pyarrow.ArrowException) as exc:
        raise VdmError(f"Annotations table {path} cannot be read as Parquet ({short_reason(exc)}).") from None

    def rows() -> Rows:
        number = 0
        for batch in parquet.iter_batches():
            for row in batch.to_pylist():
                number += 1
                yield f"row {number}", row

    return list(parquet.schema_arrow.names), rows()
