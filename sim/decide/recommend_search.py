"""Search of a space too large to rank whole: Optuna's TPE sampler (seeded, so a rerun asks for the same
candidates and finds them done) proposes lever values, each candidate gets the first replications on common
random numbers, constraints steer the sampler (Optuna's trial constraints), and the best few candidates go on
to ranking and selection, which decides between them ("clean-up" after a search: Boesel, Nelson and Kim
2003, "Using ranking and selection to 'clean up' after simulation optimization", Operations Research 51(5))."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..config.decide import Constraint
from .recommend_space import Candidate, LeverKeys, Space


def _violation(constraint: Constraint, values: np.ndarray) -> float:
    """How far the estimate is past the limit (<= 0 when within it), for Optuna's constraints_func."""
    mean = float(np.nanmean(values)) if values.size else 0.0
    if constraint.event is not None:
        assert constraint.max_probability is not None
        return mean - constraint.max_probability
    if constraint.max is not None:
        return (mean - constraint.max) / max(abs(constraint.max), 1e-9)
    assert constraint.min is not None
    return (constraint.min - mean) / max(abs(constraint.min), 1e-9)


def _suggest(trial: object, lever: LeverKeys) -> object:
    """A value of `lever`: numbers by their position (so neighbours are near), other values as categories."""
    n = len(lever.choices)
    if lever.ordered and n > 1:
        order = sorted(range(n), key=lambda i: lever.choices[i])
        return lever.choices[order[trial.suggest_int(lever.label, 0, n - 1)]]  # type: ignore[attr-defined]
    return lever.choices[trial.suggest_categorical(lever.label, list(range(n)))]  # type: ignore[attr-defined]


def search(
    space: Space,
    trials: int,
    shortlist: int,
    seed: int,
    score: Callable[[Candidate], tuple[float, list[np.ndarray]]],
    constraints: list[Constraint],
) -> tuple[list[Candidate], int]:
    """Up to `shortlist` distinct candidates, best first: those whose estimates keep every constraint, by
    mean objective, then the others by how little they break them. `score` runs a candidate's first
    replications and gives its mean objective and each constraint's values. Also: how many were seen."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed % (2**32), n_startup_trials=min(10, max(2, trials // 4)))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    seen: dict[str, tuple[Candidate, float, float]] = {}
    for _ in range(trials):
        trial = study.ask()
        values = {lever.label: _suggest(trial, lever) for lever in space.levers}
        cand = space.candidate(values)
        mean, per_constraint = score(cand)
        violations = [_violation(c, v) for c, v in zip(constraints, per_constraint, strict=True)]
        for i, v in enumerate(violations):
            trial.set_constraint(f"c{i}", v)
        study.tell(trial, mean)
        worst = max([0.0, *violations])
        seen[cand.key] = (cand, mean, worst)
        if len(seen) >= space.size:
            break  # every candidate has been seen
    ranked = sorted(seen.values(), key=lambda item: (item[2] > 0, item[2], -item[1]))
    return [cand for cand, _, _ in ranked[:shortlist]], len(seen)
