"""Module-level task functions for the executor tests (spawned workers import them by name)."""

from __future__ import annotations

import os
import signal


def square_or_die(x: int) -> int:
    """x * x, except that x == 3 kills its own worker process (a segfault, the OOM killer)."""
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def square_or_raise(x: int) -> int:
    """x * x, except that x == 2 raises (a bug in the task function)."""
    if x == 2:
        raise ValueError("two is not allowed")
    return x * x
