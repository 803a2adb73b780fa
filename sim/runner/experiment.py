"""Replications of a scenario: the engine call, seeds, the checks of run arguments, running replications on
an executor and the loop that adds replications until a KPI is precise enough.

What becomes of a replication (its KPIs, its tables written somewhere) is decided by the layer above, which
hands in a picklable `job(scenario, replication, seed, *extra)`: the runner knows nothing of tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ..config.scenario import Scenario
from ..model import ENGINES
from ..model.fast import FastOutreach
from .executors import ExecutorSpec, run_tasks

AUTO_MIN_REPLICATIONS = 3
CHUNK_ROWS = 1 << 16  # per-InMail and credits rows the fast engine hands to a sink at a time
TABLES_OPTIONS = ("full", "summary")


def max_replications() -> int:
    """The most replications a scenario may ask for (the schema's bound, so the CLI and the API agree)."""
    for item in Scenario.model_fields["replications"].metadata:
        bound = getattr(item, "le", None)
        if isinstance(bound, int):
            return bound
    return 10_000  # pragma: no cover - the schema states the bound


def tables_mode(tables: bool | str) -> str:
    """`tables` as one of "full" (True: every table), "summary" (KPIs and the daily tables) or "none"
    (False: KPIs only)."""
    if tables is True or tables == "full":
        return "full"
    if tables is False or tables == "none":
        return "none"
    if tables == "summary":
        return "summary"
    raise ValueError(f"tables: expected full, summary or none (got {tables!r})")


def check_replications(replications: Any, name: str = "replications") -> int:
    """`replications` as a whole number from 1 to the schema's bound, or ValueError naming `name`."""
    if isinstance(replications, bool) or not isinstance(replications, int):
        raise ValueError(f"{name}: expected a whole number (got {replications!r})")
    top = max_replications()
    if not 1 <= replications <= top:
        raise ValueError(f"{name}: must be from 1 to {top:,} (got {replications})")
    return replications


def check_seed(seed: Any, name: str = "seed") -> int:
    """`seed` as a whole number of 0 or more (the random streams' root), or ValueError naming `name`."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{name}: expected a whole number (got {seed!r})")
    if not 0 <= seed < 2**63:
        raise ValueError(f"{name}: must be from 0 to 2**63 - 1 (got {seed})")
    return seed


def check_precision(precision: Any, name: str = "precision") -> float:
    """A relative CI half-width strictly between 0 and 1, or ValueError naming `name`."""
    if isinstance(precision, bool) or not isinstance(precision, int | float) or not 0 < precision < 1:
        raise ValueError(f"{name}: must be a number between 0 and 1, such as 0.05 (got {precision!r})")
    return float(precision)


def build_engine(scenario: Scenario, replication: int, seed: int, kept: str, sink: Any = None) -> Any:
    """The engine of one replication (kept: "full" keeps every row, "summary" counters only); with a `sink`
    the fast engine hands its per-InMail and credits rows to it a chunk at a time.

    Replication r always draws from the streams of (seed, r), whatever executor runs it and whatever
    scenario it belongs to: that is what makes options comparable with common random numbers."""
    engine = ENGINES.get(scenario.engine)
    if engine is None:
        raise ValueError(f"engine {scenario.engine!r} is not available (have: {', '.join(ENGINES)})")
    if sink is not None and kept == "full" and engine is FastOutreach:
        return FastOutreach(scenario, replication, seed, tables="full", sink=sink, chunk_rows=CHUNK_ROWS)
    return engine(scenario, replication, seed, tables=kept)


def replicate(job: Callable[..., Any], data: dict[str, Any], replication: int, seed: int, *extra: Any) -> Any:
    """One task: the scenario (sent as plain data to workers) validated again, then `job` on it."""
    return job(Scenario.model_validate(data), replication, seed, *extra)


def progress_bar(total: int, label: str, enabled: bool) -> Any:
    """A tqdm bar on stderr, or None."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="rep", file=sys.stderr, dynamic_ncols=True)


def run_jobs(
    scenario: Scenario,
    replications: Sequence[int],
    seed: int,
    executor: ExecutorSpec,
    job: Callable[..., Any],
    extra: Callable[[int], tuple[Any, ...]] = lambda r: (),
) -> Iterator[tuple[int, Any]]:
    """(replication, job's value) for each replication as it finishes; the first error is raised."""
    data = scenario.model_dump(mode="json")
    tasks = [(job, data, r, seed, *extra(r)) for r in replications]
    for outcome in run_tasks(replicate, tasks, executor):
        if outcome.error is not None:
            raise outcome.error
        yield replications[outcome.index], outcome.value


def run_in_order(
    scenario: Scenario,
    replications: Iterable[int],
    seed: int,
    executor: ExecutorSpec,
    job: Callable[..., Any],
    progress: Any = None,
) -> list[Any]:
    """The job's value of each replication, in replication order."""
    reps = list(replications)
    values: dict[int, Any] = {}
    for rep, value in run_jobs(scenario, reps, seed, executor, job):
        values[rep] = value
        if progress is not None:
            progress.update(1)
    return [values[r] for r in reps]


def until_precise(
    label: str,
    batch: Callable[[range, Any], list[float]],
    enough: Callable[[list[float]], bool],
    max_replications: int,
    batch_size: int,
    progress: bool = False,
) -> int:
    """Run batches of replications (`batch` returns the KPI of each) until `enough` says the KPI is precise
    or `max_replications` ran; returns how many ran. The first batch is AUTO_MIN_REPLICATIONS, the others
    `batch_size`, so the answer does not depend on timing."""
    size = max(AUTO_MIN_REPLICATIONS, batch_size)
    values: list[float] = []
    bar = progress_bar(max_replications, f"{label} (auto)", progress)
    try:
        while len(values) < max_replications:
            start = len(values)
            stop = min(max_replications, start + (AUTO_MIN_REPLICATIONS if start == 0 else size))
            values += batch(range(start, stop), bar)
            if enough(values):
                break
    finally:
        if bar is not None:
            bar.close()
    return len(values)
