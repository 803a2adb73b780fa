"""Running a sweep's points: every replication of every point on one executor, each point handed on as soon
as its last replication finished, and the fingerprint that tells a rerun of the same sweep (to resume) from
another. The points themselves are expanded and validated in `sim.config.sweeps`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..config.sweeps import MAX_POINTS as MAX_POINTS
from ..config.sweeps import Point as Point
from ..config.sweeps import count_points as count_points
from ..config.sweeps import expand as expand
from ..config.sweeps import load_sweep as load_sweep
from ..config.sweeps import point_id as point_id
from .executors import ExecutorSpec, run_tasks
from .experiment import replicate


def fingerprint(points: list[Point], replications: int, seed: int, tables: str = "summary") -> str:
    """What makes a sweep folder resumable by this sweep: its points, replications, seed, tables and version."""
    payload = json.dumps(
        {
            "points": [[p.id, p.scenario.model_dump(mode="json")] for p in points],
            "replications": replications,
            "seed": seed,
            "tables": tables,
            "version": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class PointOutcome:
    """A finished point: the job's value of each replication (in order), or its first error."""

    point: Point
    values: list[Any]
    error: BaseException | None = None
    traceback: str = ""


def run_points(
    points: list[Point],
    replications: int,
    seed: int,
    executor: ExecutorSpec,
    job: Callable[..., Any],
    extra: Callable[[Point, int], tuple[Any, ...]] = lambda p, r: (),
    on_task: Callable[[], None] | None = None,
) -> Iterator[PointOutcome]:
    """Every replication of every point on `executor`, yielding each point as soon as its last replication
    finished; a failing replication fails its point only (the others go on)."""
    tasks = [
        (job, p.scenario.model_dump(mode="json"), r, seed, *extra(p, r)) for p in points for r in range(replications)
    ]
    owner = [p for p in points for _ in range(replications)]
    values: dict[str, dict[int, Any]] = {p.id: {} for p in points}
    failures: dict[str, tuple[BaseException, str]] = {}
    remaining = {p.id: replications for p in points}
    for outcome in run_tasks(replicate, tasks, executor):
        point = owner[outcome.index]
        rep = outcome.index % replications
        if outcome.error is not None:
            failures.setdefault(point.id, (outcome.error, outcome.traceback))
        else:
            values[point.id][rep] = outcome.value
        remaining[point.id] -= 1
        if on_task is not None:
            on_task()
        if remaining[point.id] == 0:
            got = values.pop(point.id)
            if point.id in failures:
                yield PointOutcome(point, [], *failures[point.id])
            else:
                yield PointOutcome(point, [got[r] for r in range(replications)])
