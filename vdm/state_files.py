"""Every state file vdm reads back, read through one guarded reader.

A dataset's manifest and rejections, its settings, a trainer's state, the review journal, the
proposal index and the miner's journals are written by vdm, but a disk, an editor or a killed
process can leave anything in them. Each is read here: bytes that are not UTF-8, text that is not
JSON and JSON of the wrong shape all end in one sentence naming the file and the line (and, for a
wrong shape, the field), never in a traceback and never skipped without a word.

A JSON-lines file (the manifest, rejected.jsonl) may end in a line a killed writer did not finish:
it has no newline after it, and it is skipped with a warning (the miner cuts it and mines its
record again). A bad line anywhere else is an error.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vdm.atomic import os_reason
from vdm.errors import VdmError, printable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wrong:
    """What is wrong with a decoded value, and the field it is in (None: the value as a whole)."""

    problem: str
    field: str | None = None


Shape = Callable[[Any], Wrong | None]  # None when the value has the shape a reader relies on


class DamagedFile(VdmError):
    """A state file that is not what vdm wrote: one sentence naming it and what is wrong where."""

    def __init__(self, what: str, path: Path, problem: str, advice: str = "") -> None:
        self.problem = problem  # e.g. "line 3 is not valid JSON (Expecting value)"
        tail = f"; {advice}" if advice else ""
        super().__init__(f"{what} {os.fsdecode(path)} is damaged: {problem}{tail}.")


JSON_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "true or false", int: "an integer"}


def _kind_of(value: Any) -> str:
    """How JSON calls a decoded value's type ('an object', 'null', ...)."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return "a number"
    return next(name for kind, name in JSON_KINDS.items() if isinstance(value, kind))


def _is_kind(value: Any, kind: type) -> bool:
    """`value` is of the JSON kind `kind` (true and false are not integers here)."""
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def json_object(**fields: type) -> Shape:
    """The shape 'a JSON object with these fields of these kinds' (more fields may be there)."""

    def check(value: Any) -> Wrong | None:
        if not isinstance(value, dict):
            return Wrong(f"it holds {_kind_of(value)}, not an object")
        for name, kind in fields.items():
            if name not in value:
                return Wrong(f"it has no '{name}'", name)
            if not _is_kind(value[name], kind):
                return Wrong(f"its '{name}' is {_kind_of(value[name])}, not {JSON_KINDS[kind]}", name)
        return None

    return check


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _field_line(text: str, name: str | None) -> int:
    """The line where `"name":` first appears (the first line with text when there is no name)."""
    found = re.search(rf'"{re.escape(name)}"\s*:', text) if name else None
    first = len(text) - len(text.lstrip())
    return _line_at(text, found.start() if found else first)


def _read_text(path: Path, what: str, advice: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DamagedFile(what, path, f"it cannot be read ({os_reason(exc)})", advice) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DamagedFile(what, path, f"line {line} is not UTF-8 text", advice) from None


def read_state_json(path: str | os.PathLike[str], what: str, shape: Shape, advice: str = "") -> Any:
    """The JSON document of a state file, checked against `shape`; anything else is one sentence
    naming the file and the line ('{what} {path} is damaged: line N ...; {advice}.')."""
    path = Path(path)
    text = _read_text(path, what, advice)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DamagedFile(what, path, f"line {exc.lineno} is not valid JSON ({exc.msg})", advice) from None
    wrong = shape(value)
    if wrong is not None:
        raise DamagedFile(what, path, f"line {_field_line(text, wrong.field)}: {wrong.problem}", advice)
    return value


@dataclass
class JsonLines:
    """What a JSON-lines file holds: its good lines (number, value), the bad ones described, and
    the number of a last line a killed writer cut short (None if there is none)."""

    lines: list[tuple[int, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line 3 is not valid JSON (...)"
    torn: int | None = None

    @property
    def values(self) -> list[Any]:
        return [value for _, value in self.lines]


def _line_problem(raw: bytes, shape: Shape) -> tuple[Any, str | None]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"is not valid JSON ({exc.msg})"
    wrong = shape(value)
    return value, None if wrong is None else f"is not what vdm writes: {wrong.problem}"


def scan_json_lines(path: str | os.PathLike[str], what: str, shape: Shape) -> JsonLines:
    """Every line of a JSON-lines file, good or bad (a missing file holds none): what a check
    reports in full."""
    path = Path(path)
    found = JsonLines()
    if not path.exists():
        return found
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DamagedFile(what, path, f"it cannot be read ({os_reason(exc)})") from exc
    raws = data.split(b"\n")
    for number, raw in enumerate(raws, start=1):
        if not raw.strip():
            continue
        value, problem = _line_problem(raw, shape)
        if problem is None:
            found.lines.append((number, value))
        elif number == len(raws):  # no newline after it: a line a killed writer did not finish
            found.torn = number
        else:
            found.problems.append(f"line {number} {problem}")
    return found


def read_json_lines(path: str | os.PathLike[str], what: str, shape: Shape, advice: str) -> list[Any]:
    """The values of a JSON-lines file's lines (a missing file holds none). A bad line is one
    sentence naming the file and the line ('...; {advice}.'); a last line a killed writer cut short
    is skipped with a warning."""
    path = Path(path)
    found = scan_json_lines(path, what, shape)
    if found.problems:
        more = f" (and {len(found.problems) - 1} more)" if len(found.problems) > 1 else ""
        raise DamagedFile(what, path, found.problems[0] + more, advice)
    if found.torn is not None:
        shown = printable(os.fsdecode(path))
        log.warning("%s: line %d was cut short by a killed writer; it is left out", shown, found.torn)
    return found.values
