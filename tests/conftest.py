"""Shared test helpers: run the `vdm` CLI in-process and capture its exit status and output, or
start it as its own process group (for tests that interrupt or kill it)."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# Third-party fixtures kept inside the project (tests/data/genvdm/NOTICE): a clone passes its
# tests with nothing beside it, and a missing fixture fails the test that reads it.
GENVDM_DATA = Path(__file__).resolve().parent / "data" / "genvdm"
REPO = Path(__file__).resolve().parents[1]
# A refusal that must come before the work, in seconds: the work takes tens of seconds to minutes
# (a demo, a training run, a reconstruction), a refusal well under a second on a quiet machine; the
# bound leaves room for a machine busy with the other half of the suite (pytest-xdist).
BEFORE_THE_WORK_S = 20.0


def start_vdm(*args: object, stdout: int = subprocess.PIPE) -> subprocess.Popen:
    """`python -m vdm ARGS` in a new session (os.killpg reaches it and its workers), stderr piped,
    with Ctrl-C handled as in a terminal's foreground job. A suite started in the background of a
    script (`make test &`) inherits SIGINT ignored, and so would the child (it then ran on through
    the Ctrl-C test's SIGINT); a handler set here becomes the default in the child at exec."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "vdm", *map(str, args)],
            env={**os.environ, "PYTHONPATH": str(REPO)},
            start_new_session=True,
            stdout=stdout,
            stderr=subprocess.PIPE,
        )
    finally:
        signal.signal(signal.SIGINT, previous)


@functools.cache
def stitched_shipped(name: str):
    """The shipped selection `name` (vdm/data/selections/<name>.json) replayed on its built-in mesh
    and stitched with the default settings, once per test process: the bake, stitching and brush
    tests all start from these."""
    from vdm.lasso.engine import replay
    from vdm.records import load_record, shipped_record
    from vdm.stitching import stitch_selection

    record = load_record(shipped_record(name))
    mesh = builtin_mesh(record.source.spec)
    return stitch_selection(mesh, replay(record, mesh, f"{name}.json"))


@functools.cache
def builtin_mesh(spec: str):
    """A built-in source loaded once per test process (tests must not change it)."""
    from vdm.sources import load_source

    return load_source(spec)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Call `app.cli.main` with arguments; returns exit status, stdout and stderr."""
    from vdm.app.cli import main

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


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails like a machine without network would (local
    sockets, which worker processes talk through, still connect)."""
    import socket

    connect = socket.socket.connect

    def refuse(sock, address):
        if isinstance(address, tuple):  # an internet address; a local socket's is a path
            raise OSError("network disabled in this test")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *_a, **_k: (_ for _ in ()).throw(socket.gaierror(-2, "no DNS"))
    )


@pytest.fixture
def immutable(tmp_path):
    """A folder nothing can be written in, root included (chattr +i)."""
    folder = tmp_path / "immutable"
    folder.mkdir()
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    yield folder
    subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's chromium, headless, with a fresh profile, downloads allowed (tests/app_browser.py),
    one per test module that drives `vdm app`."""
    from app_browser import chromium

    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def pytest_configure(config):
    """Refuse to start when pytest-xdist's groups (`--dist loadgroup`) would be silently dropped:
    xdist 3.8 writes a test's group into its `_nodeid`, which pytest 9.2 no longer reads (its ids
    are `_id`); the demo then runs once per worker and the tests that start processes of their own
    run side by side. constraints.txt pins a pytest that reads it (docs/setup.md)."""
    from importlib.metadata import version

    from packaging.version import Version

    dropped = Version(version("pytest")) >= Version("9.2") and Version(version("pytest-xdist")) < Version(
        "3.9"
    )
    if config.getoption("dist", "no") == "loadgroup" and dropped:
        raise pytest.UsageError(
            f"pytest {pytest.__version__} drops pytest-xdist's test groups; "
            "install the pytest that constraints.txt pins (make setup)."
        )
