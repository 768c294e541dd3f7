"""Where batch work runs (the miner's, `vdm pack`'s): local worker processes, or a Ray cluster.
No scheduler of our own.

Both run `fn(task)` for every task and yield results as they finish (any order; the dataset
writer restores input order). Both pin numeric libraries to one thread per worker, so a result
does not depend on how many threads a machine or a Ray worker happens to give it: the same
inputs give the same bytes on either executor and with any worker count.

A worker that dies (a segfault in a native library, the out-of-memory killer) does not stop the
run: the tasks it was running are retried once, alone; a task that kills its worker again comes
back as a `TaskFailure`. An exception raised by the task function itself is not a property of one
task (tasks report their own failures): it is a bug or a broken environment, and it stops the run
with one sentence (`WorkerError`); what was committed stays, and a rerun resumes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from vdm.atomic import os_reason
from vdm.errors import VdmError, short_reason
from vdm.wording import either

log = logging.getLogger(__name__)

# One thread per worker for OpenMP, OpenBLAS, MKL and numexpr: reproducible sums, no oversubscription.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "IGL_NUM_THREADS": "1",
}
EXECUTORS = ("process", "ray")


@dataclass
class TaskFailure:
    """A task whose worker died while running it, even when retried alone."""

    task: Any
    reason: str


class WorkerError(VdmError):
    """The task function raised: the run stops (the dataset stays resumable)."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(
            f"A worker failed with {type(exc).__name__} ({short_reason(exc)}); "
            "the dataset is intact: fix the cause and rerun the same command to resume."
        )


class Executor(Protocol):
    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]: ...


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables while worker processes are started, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


POLL_SECONDS = 0.5  # the driver wakes this often while tasks run: a blocked wait never sees a signal


def _worker_init() -> None:
    """Worker initializer: Ctrl-C is the driver's to handle (a terminal sends it to the whole
    process group; a worker would print its own traceback), and on Linux the kernel kills the
    worker when the driver dies (SIGKILL included), so no orphan keeps computing for a run that is
    gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # born blocked: see _sigint_ignored
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Hold Ctrl-C back while worker processes are started: a new process inherits the blocked
    signal from its first instruction (its initializer then ignores it), and the driver gets a
    Ctrl-C that came meanwhile as soon as the workers exist (ignoring it instead, as before, lost a
    Ctrl-C that landed in that window, and the miner ran on)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool at once (after Ctrl-C): its workers are terminated, not waited for."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


class ProcessExecutor:
    """`workers` local processes (spawned: no GL or thread state is inherited from the driver)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise VdmError(f"--workers must be at least 1, not {workers}.")
        self.workers = workers

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        queue: deque[tuple[int, Any]] = deque(enumerate(tasks))
        suspects: deque[tuple[int, Any]] = deque()  # were running when a worker died: retried alone
        context = multiprocessing.get_context("spawn")
        with _environment(THREAD_ENV):
            while queue or suspects:
                solo = bool(suspects)
                pool = ProcessPoolExecutor(
                    1 if solo else self.workers, mp_context=context, initializer=_worker_init
                )
                try:
                    yield from self._drain(pool, fn, suspects if solo else queue, solo, suspects)
                except (KeyboardInterrupt, GeneratorExit):
                    # Ctrl-C while waiting here, or the caller gave the run up (Ctrl-C or an error
                    # while it wrote a result: the generator is closed): end the workers at once
                    # instead of waiting for their tasks (that wait took over a minute).
                    _stop(pool)
                    raise
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)

    def _drain(
        self,
        pool: ProcessPoolExecutor,
        fn: Callable[[Any], Any],
        source: deque[tuple[int, Any]],
        solo: bool,
        suspects: deque[tuple[int, Any]],
    ) -> Iterator[Any]:
        """Keep at most `workers` tasks in flight until `source` is empty or the pool breaks."""
        running: dict[Future, tuple[int, Any]] = {}
        limit = 1 if solo else self.workers
        while source or running:
            while source and len(running) < limit:
                item = source.popleft()
                with _sigint_ignored():  # a worker process is born ignoring Ctrl-C (see _worker_init)
                    running[pool.submit(fn, item[1])] = item
            finished: set[Future] = set()
            while not finished:  # wake often: a Ctrl-C that another thread took is acted on here
                finished, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            broken = []
            for future in finished:
                item = running.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    broken.append(item)
                    continue
                except Exception as exc:
                    raise WorkerError(exc) from exc
                yield outcome
            if broken:
                broken += list(running.values())  # the pool is gone: everything in flight failed
                if solo:
                    for _, task in broken:
                        yield TaskFailure(
                            task, "Its worker process died twice running it (crash or out of memory)."
                        )
                else:
                    log.warning("a worker process died; retrying its %d task(s) one at a time", len(broken))
                    suspects.extend(sorted(broken, key=lambda item: item[0]))
                return


def _check_reachable(address: str | None) -> None:
    """Refuse at once, in one sentence, a Ray address that is not `auto` and that nothing answers
    at (ray.init would wait about 30 s first)."""
    if address in (None, "auto", "local"):
        return
    host_port = address.removeprefix("ray://").rsplit("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        raise VdmError(f"Ray address '{address}' is not 'auto', HOST:PORT or ray://HOST:PORT.")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=3).close()
    except OSError as exc:
        raise VdmError(f"Nothing answers at the Ray address '{address}' ({os_reason(exc)}).") from exc


class RayExecutor:
    """Tasks on a Ray cluster: the one at `address` ("auto": the local node's), a fresh local one
    when no address is given, or the Ray instance this process already initialised."""

    def __init__(self, address: str | None = None, cpus_per_task: float = 1.0) -> None:
        _check_reachable(address)  # before the dataset is opened or a progress bar drawn
        self.address = address
        self.cpus_per_task = cpus_per_task

    def _connect(self) -> Any:
        try:
            import ray
        except ImportError as exc:
            raise VdmError("The Ray executor needs the 'ray' package (pip install 'ray[default]').") from exc
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a new local instance"
                raise VdmError(f"Could not connect to Ray at {where} ({short_reason(exc)}).") from exc
        return ray

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        ray = self._connect()
        remote = ray.remote(fn).options(
            num_cpus=self.cpus_per_task, max_retries=1, runtime_env={"env_vars": THREAD_ENV}
        )
        limit = max(2, 2 * int(ray.cluster_resources().get("CPU", 1) / self.cpus_per_task))
        queue = deque(tasks)
        running: dict[Any, Any] = {}
        while queue or running:
            while queue and len(running) < limit:
                task = queue.popleft()
                running[remote.remote(task)] = task
            ready, _ = ray.wait(list(running), num_returns=1)
            task = running.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:  # the function raised
                raise WorkerError(exc.cause if exc.cause is not None else exc) from exc
            except ray.exceptions.RayError as exc:  # the worker or its node died, even after a retry
                outcome = TaskFailure(task, f"Its Ray worker died running it ({type(exc).__name__}).")
            yield outcome


def make_executor(kind: str, workers: int, address: str | None) -> Executor:
    """The executor a `vdm mine` command line asks for."""
    if kind == "process":
        if address is not None:
            raise VdmError("--address is only meaningful with --executor ray.")
        return ProcessExecutor(workers)
    if kind == "ray":
        return RayExecutor(address)
    raise VdmError(f"Unknown executor '{kind}' (use {either(EXECUTORS)}).")
