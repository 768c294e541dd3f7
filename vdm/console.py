"""The rich console that summary tables are printed on."""

from __future__ import annotations

from rich.console import Console

PIPE_WIDTH = 160  # columns when the output is a file or a pipe (rich would assume 80 and wrap)


def table_console(stderr: bool = False) -> Console:
    """A console as wide as the terminal, or PIPE_WIDTH columns when the output is not a terminal,
    so that tables in logs and files keep one line per row."""
    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=PIPE_WIDTH)
