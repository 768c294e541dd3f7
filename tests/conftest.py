"""Shared test helpers: run the `vdm` CLI in-process and capture its exit status and output."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


def _reference_dir() -> Path:
    """The third-party reference data (ear3.exr, inputs/): $VDM_REFERENCE_DIR, else ../shared/reference
    beside the checkout (where the project keeps it), else shared/reference inside it."""
    root = Path(__file__).resolve().parents[1]
    candidates = [os.environ.get("VDM_REFERENCE_DIR"), root.parent / "shared" / "reference"]
    candidates.append(root / "shared" / "reference")
    for candidate in candidates:
        if candidate and (Path(candidate) / "ear3.exr").is_file():
            return Path(candidate)
    return root.parent / "shared" / "reference"  # missing: the tests reading it fail and name it


REFERENCE_DIR = _reference_dir()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Call `app.cli.main` with arguments; returns exit status, stdout and stderr."""
    from app.cli import main

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["vdm", *map(str, args)])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def assert_one_sentence_error(result: CliResult, *fragments: str) -> None:
    """A user error: non-zero exit, a single 'error: ...' line on stderr, no traceback."""
    assert result.code != 0, result
    lines = [line for line in result.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ") and lines[0].endswith("."), lines[0]
    assert "Traceback" not in result.err + result.out
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
