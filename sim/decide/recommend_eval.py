"""Replications of candidates, on common random numbers, run on the sweep's executors and kept on disk so
that a rerun of the same decision reuses every finished replication (it resumes)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..output.experiment import run_replication
from ..runner.executors import ExecutorSpec, run_tasks
from .recommend_money import events, fixed_costs, money_kpis
from .recommend_space import Candidate

CACHE_NAME = "evaluations.jsonl"


def _simulate(data: dict[str, Any], replication: int, seed: int) -> dict[str, float]:
    """The KPIs of one replication (no tables): the unit of work sent to an executor."""
    return run_replication(data, replication, seed, tables=False)[0]


class Evaluations:
    """Every replication run for a decision. With common random numbers, replication r of every candidate
    draws from the streams of (seed, r); without them each candidate has seeds of its own (for comparison)."""

    def __init__(
        self, seed: int, executor: ExecutorSpec, folder: Path | None = None, common_random_numbers: bool = True
    ) -> None:
        self.seed = seed
        self.executor = executor
        self.crn = common_random_numbers
        self.path = None if folder is None else folder / CACHE_NAME
        self.done: dict[tuple[str, int, int], dict[str, float]] = {}
        self.ran = 0
        self.reused = 0
        self._counted: set[tuple[str, int, int]] = set()
        self._fixed: dict[tuple[str, str], tuple[float, float]] = {}
        if self.path is not None and self.path.is_file():
            self._load(self.path)

    def _load(self, path: Path) -> None:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                self.done[(row["key"], int(row["seed"]), int(row["rep"]))] = dict(row["kpis"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by an interrupted run: that replication runs again

    def seed_of(self, candidate: Candidate) -> int:
        if self.crn:
            return self.seed
        return int(np.random.SeedSequence([self.seed, int(candidate.key, 16)]).generate_state(1)[0])

    def ensure(self, candidates: list[Candidate], replications: int) -> None:
        """Run replications 0..`replications`-1 of each candidate that are not done yet, all in one batch."""
        todo: list[tuple[Candidate, int]] = []
        for cand in candidates:
            seed = self.seed_of(cand)
            for r in range(replications):
                slot = (cand.key, seed, r)
                if slot in self.done:
                    if slot not in self._counted:
                        self._counted.add(slot)
                        self.reused += 1
                elif (cand, r) not in todo:
                    todo.append((cand, r))
        if not todo:
            return
        tasks = [(c.scenario.model_dump(mode="json"), r, self.seed_of(c)) for c, r in todo]
        out = None if self.path is None else self.path.open("a", encoding="utf-8")
        try:
            for outcome in run_tasks(_simulate, tasks, self.executor):
                if outcome.error is not None:
                    raise outcome.error
                cand, r = todo[outcome.index]
                slot = (cand.key, self.seed_of(cand), r)
                self.done[slot] = outcome.value
                self._counted.add(slot)
                self.ran += 1
                if out is not None:
                    out.write(json.dumps({"key": slot[0], "seed": slot[1], "rep": r, "kpis": outcome.value}) + "\n")
                    out.flush()
        finally:
            if out is not None:
                out.close()

    def rows(self, candidate: Candidate, replications: int) -> list[dict[str, float]]:
        """Replications 0..n-1 of `candidate`: its KPIs, money KPIs and events (all must be done)."""
        seed = self.seed_of(candidate)
        priced = (candidate.key, repr(candidate.scenario.costs))  # the key names the simulation, not the prices
        fixed = self._fixed.get(priced)
        if fixed is None:
            fixed = self._fixed[priced] = fixed_costs(candidate.scenario)
        rows = []
        for r in range(replications):
            kpis = self.done[(candidate.key, seed, r)]
            rows.append({**kpis, **money_kpis(candidate.scenario, kpis, fixed), **events(kpis)})
        return rows

    def count(self, candidate: Candidate) -> int:
        """How many leading replications of `candidate` are done."""
        seed = self.seed_of(candidate)
        n = 0
        while (candidate.key, seed, n) in self.done:
            n += 1
        return n


def column(rows: list[dict[str, float]], name: str) -> np.ndarray:
    return np.array([row[name] for row in rows], dtype=float)


def objective_values(rows: list[dict[str, float]], objective: str) -> np.ndarray:
    """Per-replication values of the objective, larger is better: responses, accepted, or minus the cost per
    response (a replication without a response counts its whole cost, as if it had one)."""
    if objective in ("responses", "responses_within_budget"):
        return column(rows, "responses")
    if objective == "accepted":
        return column(rows, "accepted")
    if objective == "cost_per_response":
        return np.array([-(r["total_cost"] / r["responses"] if r["responses"] else r["total_cost"]) for r in rows])
    raise ValueError(f"unknown objective {objective!r}")


def finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)] if values.size else values


def mean_or_nan(values: np.ndarray) -> float:
    kept = finite(values)
    return float(kept.mean()) if kept.size else math.nan
