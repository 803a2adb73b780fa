"""Checks before work: is the scenario within this machine's reach, and is the results folder ours alone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..config.scenario import Scenario

BYTES_PER_MESSAGE = 400  # message log, tables and the ledger row, per message held in memory
BYTES_PER_CANDIDATE = 48  # attribute and behaviour arrays per candidate, per replication in flight
BYTES_PER_SENDER_DAY = 200  # daily tables per sender and day
MESSAGES_PER_SECOND = 20_000  # reference engine with tables, measured on a 2-core machine (conservative)
MAX_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Estimate:
    """Rough resources one `run` of a scenario needs, and what to change when they are too much."""

    messages: int
    memory_bytes: int
    seconds: float
    problems: tuple[str, ...]


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def estimate(scenario: Scenario, replications: int | None = None, tables: bool = True) -> Estimate:
    """Upper-bound estimate of messages, peak memory and run time, with the settings to change if too large."""
    reps = scenario.replications if replications is None else replications
    weeks = scenario.horizon_days / 7
    per_rep = sum(g.count * g.daily_target * len(g.workdays) * weeks for g in scenario.team)
    messages = int(min(per_rep, scenario.candidates.population) * reps)
    senders = sum(g.count for g in scenario.team)
    memory = scenario.candidates.population * BYTES_PER_CANDIDATE * 2
    if tables:
        memory += messages * BYTES_PER_MESSAGE + senders * scenario.horizon_days * BYTES_PER_SENDER_DAY * reps
    seconds = messages / MESSAGES_PER_SECOND + reps * scenario.candidates.population / 5e6
    limit = int(0.8 * _total_memory())
    problems = []
    if memory > limit:
        problems.append(
            f"needs about {memory / 2**30:.1f} GiB of memory, more than the {limit / 2**30:.1f} GiB"
            " this machine can give;"
            " lower candidates.population, horizon_days, replications or the team's daily_target"
        )
    if seconds > MAX_SECONDS:
        problems.append(
            f"would take about {seconds / 3600:.1f} hours; lower replications, horizon_days or the team size,"
            " or run a sweep on a Dask cluster"
        )
    return Estimate(messages, memory, seconds, tuple(problems))


class FolderBusyError(RuntimeError):
    """Another process is writing the same results folder."""


class FolderLock:
    """An exclusive lock file beside a results folder, so two runs into one folder are refused, not mixed."""

    def __init__(self, folder: Path) -> None:
        self.path = folder.parent / f".{folder.name}.lock"
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                self._fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                os.write(self._fd, str(os.getpid()).encode())
                return self
            except FileExistsError:
                if not self._stale():
                    raise FolderBusyError(
                        f"another inmail-sim process is writing {self.path.parent / self.path.name[1:-5]} "
                        f"(lock {self.path}); wait for it or remove the lock if that process is gone"
                    ) from None
                self.path.unlink(missing_ok=True)
        raise FolderBusyError(f"could not take the lock {self.path}")

    def _stale(self) -> bool:
        """A lock whose process no longer exists (e.g. killed with SIGKILL) does not hold."""
        try:
            pid = int(self.path.read_text().strip() or "0")
        except (OSError, ValueError):
            return True
        if pid <= 0:
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self.path.unlink(missing_ok=True)
