"""Checks before work: is the scenario within this machine's reach, and is the results folder ours alone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ..config.scenario import Scenario

BYTES_PER_MESSAGE = 400  # message log, tables and the ledger row, per message held in memory
BYTES_PER_CANDIDATE = 48  # attribute and behaviour arrays per candidate, per replication in flight
BYTES_PER_SENDER_DAY = 200  # daily tables per sender and day
BYTES_PER_DAILY_ATTEMPT = 64  # the fast engine's arrays for one day's send attempts (times, keys, checks)
MESSAGES_PER_SECOND = 20_000  # reference engine with tables, measured on a 2-core machine (conservative)
ATTEMPTS_PER_SECOND = 2_000_000  # send attempts refused or beyond the population, fast engine (conservative)
MAX_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Estimate:
    """Rough resources one `run` of a scenario needs, and what to change when they are too much."""

    messages: int
    attempts: int
    memory_bytes: int
    seconds: float
    problems: tuple[str, ...]


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def held_candidates(scenario: Scenario) -> int:
    """How many candidates a replication holds at once: a few blocks of the contact order, drawn as the run
    reaches them (`sim.model.drawn`), or the whole pool when a model with fit scores reorders it."""
    from ..model.drawn import BLOCK  # here: the engines need not be imported to check a scenario

    pool = scenario.candidates.population + scenario.candidates.arrivals_per_day * max(scenario.horizon_days - 1, 0)
    return pool if scenario.behaviour.model == "segmented" else min(pool, 4 * BLOCK)


def estimate(scenario: Scenario, replications: int | None = None, tables: bool = True) -> Estimate:
    """Upper-bound estimate of messages, peak memory and run time, with the settings to change if too large.

    The work is sized by what the team tries (daily targets x workdays x recruiters), not only by the
    candidates: attempts beyond the population are refused one by one and still cost time and memory."""
    reps = scenario.replications if replications is None else replications
    weeks = scenario.horizon_days / 7
    daily = [g.count * g.daily_target for g in scenario.team]
    per_rep = sum(d * len(g.workdays) * weeks for d, g in zip(daily, scenario.team, strict=True))
    attempts = int(per_rep * reps)
    messages = int(min(per_rep, scenario.candidates.population) * reps)
    senders = sum(g.count for g in scenario.team)
    memory = held_candidates(scenario) * BYTES_PER_CANDIDATE * 2 + sum(daily) * BYTES_PER_DAILY_ATTEMPT
    if tables:
        memory += messages * BYTES_PER_MESSAGE + senders * scenario.horizon_days * BYTES_PER_SENDER_DAY * reps
    seconds = messages / MESSAGES_PER_SECOND + attempts / ATTEMPTS_PER_SECOND
    seconds += reps * scenario.candidates.population / 5e6
    limit = int(0.8 * _total_memory())
    problems = []
    busiest = max(range(len(daily)), key=daily.__getitem__) if daily else 0
    target = f"team.{busiest}.daily_target" if daily else "the team's daily_target"
    if memory > limit:
        problems.append(
            f"needs about {memory / 2**30:.1f} GiB of memory, more than the {limit / 2**30:.1f} GiB"
            " this machine can give;"
            f" lower {target}, team counts, candidates.population, horizon_days or replications"
        )
    if seconds > MAX_SECONDS:
        problems.append(
            f"would take about {seconds / 3600:.1f} hours; lower {target}, replications, horizon_days or the"
            " team size, or run a sweep on a Dask cluster"
        )
    return Estimate(messages, attempts, memory, seconds, tuple(problems))


class FolderBusyError(RuntimeError):
    """Another process is writing the same results folder."""


class FolderLock:
    """An exclusive lock beside a results folder (`.NAME.lock`, an flock taken with the filelock library),
    so two runs into one folder are refused, not mixed. The kernel releases it when its process dies, so a
    crashed run never leaves a lock that holds, and two processes can never both take it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder.parent / f".{folder.name}.lock"
        self._lock: Any = None

    def __enter__(self) -> FolderLock:
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644))  # an OSError here names the path
        self._lock = FileLock(self.path, timeout=0, thread_local=False)
        try:
            self._lock.acquire()
        except Timeout:
            raise FolderBusyError(
                f"another inmail-sim process is writing {self.folder} (lock {self.path}); wait for it to finish"
            ) from None
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if self._lock is not None:
            self.path.unlink(missing_ok=True)  # while held: a process waiting on this file retries on a new one
            self._lock.release()
            self._lock = None
