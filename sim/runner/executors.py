"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Every executor returns the same results for the same tasks: a task carries its own seed and replication
index, and results are put back in task order whatever order they finish in.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal

ExecutorName = Literal["serial", "processes", "dask"]


EXECUTORS: tuple[ExecutorName, ...] = ("serial", "processes", "dask")
MAX_JOBS = 1024
SCHEDULER_TIMEOUT_S = 5  # how long to wait for a Dask scheduler before saying it cannot be reached


class ExecutorError(ValueError):
    """An executor that cannot be used as asked (bad input or environment: exit status 2)."""


@dataclass(frozen=True)
class ExecutorSpec:
    """How to run tasks: `kind`, number of local workers, and an existing Dask scheduler's address.

    Raises ExecutorError naming the parameter for an unknown kind or a number of jobs out of range."""

    kind: ExecutorName = "processes"
    jobs: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ExecutorError(f"executor: expected one of {', '.join(EXECUTORS)} (got {self.kind!r})")
        if self.jobs is not None and (
            isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or not 1 <= self.jobs <= MAX_JOBS
        ):
            raise ExecutorError(f"jobs: must be a whole number from 1 to {MAX_JOBS} (got {self.jobs!r})")
        if self.scheduler is not None and (not isinstance(self.scheduler, str) or not self.scheduler.strip()):
            raise ExecutorError(f"scheduler: expected an address such as tcp://host:8786 (got {self.scheduler!r})")

    @property
    def workers(self) -> int:
        return max(1, self.jobs or os.cpu_count() or 1)


@dataclass
class Outcome:
    """What one task gave: its index in the task list and a value, or the error it raised."""

    index: int
    value: Any = None
    error: BaseException | None = None
    traceback: str = ""


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, BaseException | None, str]:
    import traceback

    try:
        return fn(*args), None, ""
    except Exception as err:  # a failing task is reported, not fatal to the others
        return None, err, traceback.format_exc()


def in_process(executor: ExecutorSpec, n_tasks: int) -> bool:
    """Whether `run_tasks` runs this many tasks one after the other in this process."""
    return executor.kind == "serial" or (executor.kind == "processes" and (executor.workers == 1 or n_tasks == 1))


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], executor: ExecutorSpec) -> Iterator[Outcome]:
    """Run `fn(*task)` for every task; yield each Outcome as it finishes (errors are caught per task).

    However the caller stops (an error, KeyboardInterrupt, SIGTERM raised as `Terminated`, closing the
    generator), pool and Dask workers are stopped and joined before this returns or raises."""
    if not tasks:
        return
    if in_process(executor, len(tasks)):
        for i, args in enumerate(tasks):
            value, error, tb = _call(fn, args)
            yield Outcome(i, value, error, tb)
        return
    if executor.kind == "processes":
        yield from _run_pool(fn, tasks, executor.workers)
    elif executor.kind == "dask":
        yield from _run_dask(fn, tasks, executor)
    else:
        raise ValueError(f"unknown executor {executor.kind!r}")


def _worker_signals() -> None:
    """Workers leave SIGINT to the parent (a Ctrl-C reaches the whole process group) and die on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop every worker of `pool` now and wait for them to exit, so none writes on after we return."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join(timeout=10)
        if worker.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
            worker.kill()
            worker.join()
    pool.shutdown(wait=True)


def _run_pool(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], workers: int) -> Iterator[Outcome]:
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_worker_signals)
    finished = False
    try:
        pending: dict[Future[Any], int] = {pool.submit(_call, fn, args): i for i, args in enumerate(tasks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                value, error, tb = future.result()
                yield Outcome(i, value, error, tb)
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _stop_pool(pool)


def _run_dask(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], executor: ExecutorSpec) -> Iterator[Outcome]:
    import importlib

    try:
        dd: Any = importlib.import_module("dask.distributed")
    except ImportError as err:  # pragma: no cover - dask is a declared dependency of the dask extra
        raise RuntimeError("the dask executor needs `pip install 'inmail-sim[dask]'`") from err
    cluster = None
    if executor.scheduler:
        client = _connect(dd, executor.scheduler)
    else:
        cluster = dd.LocalCluster(
            n_workers=executor.workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = dd.Client(cluster)
    futures: list[Any] = []
    try:
        futures = [client.submit(_call, fn, args, pure=False) for args in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in dd.as_completed(futures):
            value, error, tb = future.result()
            yield Outcome(index[future.key], value, error, tb)
    finally:
        if futures:
            with contextlib.suppress(Exception):  # the client is closed next in any case
                client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()


def _connect(dd: Any, address: str) -> Any:
    """A client of the scheduler at `address`, or ExecutorError within SCHEDULER_TIMEOUT_S seconds."""
    import dask

    wait_s = f"{SCHEDULER_TIMEOUT_S}s"
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": wait_s}):
            return dd.Client(address, timeout=wait_s)
    except (OSError, TimeoutError) as err:
        raise ExecutorError(
            f"--scheduler {address}: no Dask scheduler answered within {SCHEDULER_TIMEOUT_S} s ({type(err).__name__})"
        ) from None
    except (ValueError, TypeError) as err:
        raise ExecutorError(f"--scheduler {address!r}: not a scheduler address ({err})") from None
