"""One writer per output folder: `FOLDER/.lock`, held for the whole run (a miner's dataset, a
`vdm pack` library).

The lock is an exclusive `flock` on the file, which the kernel drops when its owner dies however
it dies (SIGKILL included), so two runs can never both hold it and a dead owner's lock is free
at once. The file names its owner (PID, host, start time): a second run refuses in one sentence
naming it, and a run that finds the name of a dead owner in a free lock takes it over with one
warning line. Under Ray the miner's driver, which alone writes the dataset, holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from vdm.errors import VdmError

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"


def _owner_text(owner: dict[str, Any]) -> str:
    started = owner.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if isinstance(started, float) else "?"
    return f"process {owner.get('pid', '?')} on {owner.get('host', '?')} (started {when})"


def _read_owner(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    try:
        owner = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


class FolderLock:
    """The lock of one output folder; use as a context manager around the whole run. `busy` is
    the sentence's start ("Dataset D is being mined"), `advice` its end ("mine into another --out")."""

    def __init__(self, root: Path, busy: str, advice: str) -> None:
        self.path = Path(root) / LOCK_NAME
        self.busy, self.advice = busy, advice
        self.owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise VdmError naming the miner that holds it."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _read_owner(fd)
                os.close(fd)
                raise VdmError(
                    f"{self.busy} by {_owner_text(owner)}: wait for it to finish or {self.advice}."
                ) from None
            # The holder before us may have removed the file after we opened it: lock the live one.
            try:
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        previous = _read_owner(fd)
        if previous:
            log.warning("taking over the lock of %s, which is no longer running", _owner_text(previous))
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(self.owner).encode("utf-8"))
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file, then drop the lock (in that order: see `acquire`)."""
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
