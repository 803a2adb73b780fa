"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Every executor returns the same results for the same tasks: a task carries its own seed and replication
index, and results are put back in task order whatever order they finish in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal

ExecutorName = Literal["serial", "processes", "dask"]


@dataclass(frozen=True)
class ExecutorSpec:
    """How to run tasks: `kind`, number of local workers, and an existing Dask scheduler's address."""

    kind: ExecutorName = "processes"
    jobs: int | None = None
    scheduler: str | None = None

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


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], executor: ExecutorSpec) -> Iterator[Outcome]:
    """Run `fn(*task)` for every task; yield each Outcome as it finishes (errors are caught per task)."""
    if not tasks:
        return
    if executor.kind == "serial" or (executor.kind == "processes" and (executor.workers == 1 or len(tasks) == 1)):
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


def _run_pool(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], workers: int) -> Iterator[Outcome]:
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)))
    try:
        pending: dict[Future[Any], int] = {pool.submit(_call, fn, args): i for i, args in enumerate(tasks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                value, error, tb = future.result()
                yield Outcome(i, value, error, tb)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _run_dask(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], executor: ExecutorSpec) -> Iterator[Outcome]:
    import importlib

    try:
        dd: Any = importlib.import_module("dask.distributed")
    except ImportError as err:  # pragma: no cover - dask is a declared dependency of the dask extra
        raise RuntimeError("the dask executor needs `pip install 'inmail-sim[dask]'`") from err
    cluster = None
    if executor.scheduler:
        client = dd.Client(executor.scheduler)
    else:
        cluster = dd.LocalCluster(
            n_workers=executor.workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = dd.Client(cluster)
    try:
        futures = [client.submit(_call, fn, args, pure=False) for args in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in dd.as_completed(futures):
            value, error, tb = future.result()
            yield Outcome(index[future.key], value, error, tb)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
