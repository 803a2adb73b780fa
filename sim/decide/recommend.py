"""`recommend`: the plan (lever values) that does best on the objective of a scenario's `decide:` block while
keeping its constraints, chosen by ranking and selection on common random numbers (after an Optuna search
when the space is large)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config.decide import Constraint, DecideSpec
from ..config.scenario import Scenario, ScenarioError, load_scenario
from ..output.results import KPIS
from ..runner.executors import ExecutorSpec
from .recommend_eval import Evaluations, column, objective_values
from .recommend_money import MONEY_KPIS
from .recommend_search import search
from .recommend_select import Problem, Selection, select
from .recommend_space import Candidate, Space


@dataclass
class Recommendation:
    """A decision's outcome: the candidates ranked, the one chosen (or None), and how it was reached."""

    base: Scenario
    spec: DecideSpec
    candidates: list[Candidate]
    selection: Selection
    evaluations: Evaluations
    method: str
    searched: int
    seed: int

    @property
    def chosen(self) -> Candidate | None:
        i = self.selection.chosen
        return None if i is None else self.candidates[i]

    def table(self) -> pd.DataFrame:
        from .recommend_output import ranked_table

        return ranked_table(self)

    def why(self) -> str:
        from .recommend_output import explain

        return explain(self)

    def recommended_scenario(self) -> dict[str, object] | None:
        from .recommend_output import recommended_scenario

        return recommended_scenario(self)

    def save(self, folder: str | Path) -> Path:
        from .recommend_output import save

        return save(self, Path(folder))


def _problem(cands: list[Candidate], ev: Evaluations, spec: DecideSpec, constraints: list[Constraint]) -> Problem:
    def run(indices: list[int], n: int) -> None:
        ev.ensure([cands[i] for i in indices], n)

    def objective(i: int, n: int) -> np.ndarray:
        return objective_values(ev.rows(cands[i], n), spec.objective)

    def values(i: int, n: int, c: Constraint) -> np.ndarray:
        rows = ev.rows(cands[i], n)
        return column(rows, c.event if c.event is not None else str(c.kpi))

    return Problem(len(cands), run, objective, values, constraints)


def _check_constraint_kpis(spec: DecideSpec) -> None:
    """A KPI constraint must name a KPI of a replication or a money KPI."""
    known = [*KPIS, *MONEY_KPIS]
    bad = [
        f"decide.constraints.{i}.kpi: unknown KPI (known: {', '.join(known)}) (got {c.kpi!r})"
        for i, c in enumerate(spec.constraints)
        if c.kpi is not None and c.kpi not in known
    ]
    if bad:
        raise ScenarioError(bad)


def recommend(
    scenario: Scenario | str | Path,
    folder: Path | None = None,
    executor: ExecutorSpec | None = None,
    seed: int | None = None,
) -> Recommendation:
    """Decide `scenario.decide`: rank every candidate (method ranking, or auto on a small space), or search
    with Optuna and rank the shortlist. With `folder`, replications are kept there and reused by a rerun."""
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if base.decide is None:
        raise ScenarioError(["decide: this scenario has no decide section (levers, objective, constraints)"])
    spec = base.decide
    root = base.seed if seed is None else seed
    space = Space(base)
    _check_constraint_kpis(spec)
    ev = Evaluations(root, executor or ExecutorSpec("serial"), folder, spec.common_random_numbers)
    constraints = spec.all_constraints()
    method = spec.method
    if method == "auto":
        method = "ranking" if space.size <= spec.ranking_limit else "search"
    searched = 0
    if method == "ranking":
        cands = space.candidates()
    else:

        def score(cand: Candidate) -> tuple[float, list[np.ndarray]]:
            ev.ensure([cand], spec.first_replications)
            rows = ev.rows(cand, spec.first_replications)
            values = [column(rows, c.event if c.event is not None else str(c.kpi)) for c in constraints]
            return float(np.nanmean(objective_values(rows, spec.objective))), values

        cands, searched = search(space, spec.trials, spec.shortlist, root, score, constraints)
    problem = _problem(cands, ev, spec, constraints)
    counts = spec.objective != "cost_per_response"  # one response (or accept) is the least worth telling apart
    selection = select(
        problem,
        spec.confidence,
        spec.first_replications,
        spec.max_replications,
        spec.step,
        spec.indifference,
        least_delta=1.0 if counts else 1e-9,
    )
    return Recommendation(base, spec, cands, selection, ev, method, searched, root)
