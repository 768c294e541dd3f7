"""Progress of long work (`vdm mine`, `synth`, `pack`, `propose`, `train`): a live bar on a terminal,
and where the output is a file or a pipe (`2> mine.log`, CI, a cluster job) a plain line at the first
item, then every few seconds, then at the end, each with the count, the rate and the time left.

Rich and tqdm draw nothing useful into a file (rich nothing until its bar stops, tqdm a carriage
return per step), so a log of a six-hour run said nothing for six hours; the plain lines are what
`tail -f` shows instead.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from types import TracebackType
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

LINE_EVERY_S = 10.0  # a plain progress line at most this often


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class WorkProgress:
    """`with WorkProgress(console, "mine", total, "records") as progress: ... progress.advance(detail)`;
    `detail` is what the count is made of so far ("12 patches, 1 rejected"); `done` is the count a
    resumed job starts from (the time left is reckoned from this run's own pace)."""

    def __init__(
        self,
        console: Console,
        label: str,
        total: int,
        unit: str,
        every_s: float = LINE_EVERY_S,
        done: int = 0,
    ) -> None:
        self.console, self.label, self.total, self.unit, self.every_s = console, label, total, unit, every_s
        self.done = self._first = done
        self.detail = ""
        self._bar: Progress | None = None
        self._start = self._last_line = 0.0
        self._said = -1  # the count the last plain line gave

    def __enter__(self) -> WorkProgress:
        self._start = time.monotonic()
        if self.console.is_terminal:
            self._bar = Progress(
                TextColumn(self.label.replace("{", "{{").replace("}", "}}"), style="bold", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}", markup=False),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done, detail="")
        return self

    def advance(self, detail: str = "") -> None:
        """One more item done; `detail` replaces the last one."""
        self.done += 1
        self.detail = detail
        if self._bar is not None:
            self._bar.update(self._task, advance=1, detail=detail)
            return
        now = time.monotonic()
        if self.done == self._first + 1 or now - self._last_line >= self.every_s:
            self._line(now)

    def ended_early(self) -> None:
        """The work stopped before its total (enough was found): the total becomes what was done,
        so the last line gives no time left."""
        self.total = self.done
        self._said = -1
        if self._bar is not None:
            self._bar.update(self._task, total=self.done)

    def line(self) -> str:
        """The plain progress line as of now."""
        elapsed = time.monotonic() - self._start
        text = f"{self.label}: {self.done}/{self.total} {self.unit}"
        if self.detail:
            text += f" ({self.detail})"
        text += f", {_duration(elapsed)} elapsed"
        if self._first < self.done < self.total:
            pace = elapsed / (self.done - self._first)
            text += f", about {_duration(pace * (self.total - self.done))} left"
        return text

    def _line(self, now: float) -> None:
        self._last_line, self._said = now, self.done
        self.console.print(self.line(), highlight=False, soft_wrap=True, markup=False, emoji=False)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, traceback)
        elif self.done > self._first and self._said != self.done:
            self._line(time.monotonic())  # the last count, unless a line said it already


class _LogLines:
    """A file for tqdm that is not a terminal: each refresh becomes one plain line (tqdm would return
    the carriage to redraw in place, which a log file keeps as one endless line); the erasing
    refresh a closing bar makes (blank) is dropped."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def step_bar(
    iterable: Iterable | None = None, *, total: int | None = None, desc: str, enabled: bool = True
) -> Any:
    """A tqdm bar over the steps of one stage (a reconstruction, diffusion sampling): live on a
    terminal, and where stderr is a file or a pipe a plain ASCII line every LINE_EVERY_S seconds.
    It stays a tqdm bar either way: the web app shows tqdm bars as its progress (Gradio's
    track_tqdm)."""
    from tqdm import tqdm

    terminal = sys.stderr.isatty()
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        disable=not enabled,
        leave=not terminal,  # a log keeps the last count
        file=sys.stderr if terminal else _LogLines(sys.stderr),
        mininterval=0.5 if terminal else LINE_EVERY_S,
        ascii=not terminal,
    )
