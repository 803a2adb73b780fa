"""Ranking and selection with constraints: Kim and Nelson's fully sequential procedure (KN), with a
sequential feasibility check of each constraint.

No maintained PyPI package implements KN on our own replications (PyPRS 1.0 pins Ray and draws its own
random numbers), so the procedure is written here from the paper:
  S.-H. Kim and B. L. Nelson (2001), "A fully sequential procedure for indifference-zone selection in
  simulation", ACM TOMACS 11(3), 251-273 (procedure KN with c = 1).
Every candidate gets n0 replications; the variance of each pairwise difference S2_il (small under common
random numbers, which is why they cut the replications needed) sets how long the pair must be compared;
candidate i is eliminated by a candidate l known to meet the constraints once
    mean_i(r) < mean_l(r) - max(0, delta / (2r) * (h2 * S2_il / delta^2 - r)),
    h2 = (n0 - 1) * ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1).
A candidate stays in play until its constraints are decided (as in Andradoettir and Kim 2010, "Fully
sequential procedures for comparing constrained systems via simulation", NRL 57(5)): a probability is met
when its one-sided Wilson upper bound at `confidence` is at most the limit, broken when the lower bound is
above it; a mean, with the one-sided t bound. Replications go only to candidates still in play.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..config.decide import Constraint

MEETS, FAILS, OPEN = "meets", "fails", "open"


@dataclass
class Standing:
    """Where one candidate ended: `state` is chosen, in play, eliminated or infeasible, with the reason."""

    index: int
    state: str = "in play"
    reason: str = ""
    checks: dict[str, str] = field(default_factory=dict)


def wilson(events: int, n: int, confidence: float) -> tuple[float, float]:
    """The two-sided Wilson score interval of a probability at `confidence`."""
    if n == 0:
        return 0.0, 1.0
    ci = stats.binomtest(events, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def t_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The two-sided Student t interval of a mean at `confidence` (a point when the values do not vary)."""
    kept = values[np.isfinite(values)]
    if kept.size == 0:
        return math.nan, math.nan
    mean = float(kept.mean())
    if kept.size < 2 or float(kept.std(ddof=1)) == 0.0:
        return mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, kept.size - 1)) * float(kept.std(ddof=1)) / math.sqrt(kept.size)
    return mean - half, mean + half


def check(constraint: Constraint, values: np.ndarray, confidence: float) -> str:
    """Whether `values` (0/1 events, or a KPI) meet `constraint` at one-sided `confidence`, fail it, or not
    yet either."""
    two_sided = 2 * confidence - 1
    if constraint.event is not None:
        assert constraint.max_probability is not None
        low, high = wilson(int(values.sum()), int(values.size), two_sided)
        limit = constraint.max_probability
        return MEETS if high <= limit else FAILS if low > limit else OPEN
    low, high = t_interval(values, two_sided)
    if math.isnan(low):
        return OPEN
    if constraint.max is not None:
        return MEETS if high <= constraint.max else FAILS if low > constraint.max else OPEN
    assert constraint.min is not None
    return MEETS if low >= constraint.min else FAILS if high < constraint.min else OPEN


def eta_h2(k: int, n0: int, alpha: float) -> float:
    """KN's h^2 for k candidates, n0 first-stage replications and error alpha (c = 1)."""
    return float((n0 - 1) * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1))


@dataclass
class Problem:
    """What selection needs: how many candidates, how to run more replications of some, and per candidate
    the objective (larger is better) and each constraint's per-replication values over the first n."""

    k: int
    run: Callable[[list[int], int], None]
    objective: Callable[[int, int], np.ndarray]
    constraint_values: Callable[[int, int, Constraint], np.ndarray]
    constraints: list[Constraint]


@dataclass
class Selection:
    standings: list[Standing]
    replications: dict[int, int]
    chosen: int | None
    delta: float
    rounds: int


def select(
    problem: Problem,
    confidence: float,
    n0: int,
    max_replications: int,
    step: int,
    delta: float | None = None,
    least_delta: float = 1e-9,
) -> Selection:
    """Run KN with feasibility checks until one candidate that meets every constraint is left, the pairs
    left are told apart, or `max_replications` is reached; then choose the best mean that meets them.
    `delta` (the indifference) defaults to 2% of the best first-stage mean, at least `least_delta`.

    A candidate clearly worse than one whose constraints are not decided yet waits (gets no replications)
    until that one is shown to meet them (then it is eliminated) or to break one (then it goes on)."""
    k = problem.k
    stand = [Standing(i) for i in range(k)]
    alive = list(range(k))
    problem.run(alive, n0)
    reps = dict.fromkeys(alive, n0)
    first = {i: problem.objective(i, n0) for i in alive}
    if delta is None:
        best = max(abs(float(np.nanmean(v))) for v in first.values())
        delta = max(0.02 * best, least_delta)
    h2 = eta_h2(k, n0, 1 - confidence) if k > 1 else 0.0
    s2 = {(i, j): float(np.var(first[i] - first[j], ddof=1)) for i in alive for j in alive if i != j}
    kn = _KN(problem, s2, h2, delta)
    r, rounds = n0, 0
    feasible: set[int] = set()
    while True:
        rounds += 1
        feasible = _screen(problem, stand, alive, reps, confidence)
        alive = [i for i in alive if stand[i].state == "in play"]
        waiting = kn.screen(stand, alive, feasible, reps)
        alive = [i for i in alive if stand[i].state == "in play"]
        active = [i for i in alive if i not in waiting]
        settled = all(i in feasible for i in alive) and kn.told_apart(alive, reps)
        if not alive or settled or (r >= max_replications and all(reps[i] >= r for i in active)):
            break
        r = min(max_replications, r + step) if all(reps[i] >= r for i in active) else r
        problem.run(active, r)
        for i in active:
            reps[i] = r
    chosen = _choose(problem, stand, alive, feasible, reps)
    return Selection(stand, reps, chosen, delta, rounds)


def _screen(
    problem: Problem, stand: list[Standing], alive: list[int], reps: dict[int, int], confidence: float
) -> set[int]:
    """Check every constraint of the candidates in play; drop those that fail one; return those meeting all."""
    feasible: set[int] = set()
    for i in alive:
        for c in problem.constraints:
            stand[i].checks[c.name] = check(c, problem.constraint_values(i, reps[i], c), confidence)
        states = list(stand[i].checks.values())
        if FAILS in states:
            broken = [name for name, s in stand[i].checks.items() if s == FAILS]
            stand[i].state, stand[i].reason = "infeasible", f"breaks {', '.join(broken)} after {reps[i]} replications"
        elif all(s == MEETS for s in states):
            feasible.add(i)
    return feasible


@dataclass
class _KN:
    """KN's pairwise screening; a pair is compared over the replications both have (common random numbers)."""

    problem: Problem
    s2: dict[tuple[int, int], float]
    h2: float
    delta: float

    def _worse(self, i: int, j: int, n: int) -> bool:
        w = max(0.0, self.delta / (2 * n) * (self.h2 * self.s2[(i, j)] / self.delta**2 - n))
        mi = float(np.nanmean(self.problem.objective(i, n)))
        mj = float(np.nanmean(self.problem.objective(j, n)))
        return mi < mj - w or (w == 0 and mi == mj and j < i and self.s2[(i, j)] == 0)

    def screen(self, stand: list[Standing], alive: list[int], feasible: set[int], reps: dict[int, int]) -> set[int]:
        """Eliminate each candidate clearly worse than one meeting the constraints; return those clearly worse
        than one still undecided (they wait)."""
        out: dict[int, tuple[int, int]] = {}
        waiting: set[int] = set()
        for i in alive:
            for j in alive:
                if j == i:
                    continue
                n = min(reps[i], reps[j])
                if self._worse(i, j, n):
                    if j in feasible:
                        out[i] = (j, n)
                        break
                    waiting.add(i)
        for i, (j, n) in out.items():
            stand[i].state, stand[i].reason = "eliminated", f"#{j}:{n}"
        return waiting - set(out)

    def told_apart(self, alive: list[int], reps: dict[int, int]) -> bool:
        """Whether every pair left has had KN's largest number of replications (no pair can still swap)."""
        return all(
            min(reps[i], reps[j]) >= self.h2 * self.s2[(i, j)] / self.delta**2 for i in alive for j in alive if i != j
        )


def _choose(
    problem: Problem, stand: list[Standing], alive: list[int], feasible: set[int], reps: dict[int, int]
) -> int | None:
    """The best mean among the candidates in play that meet every constraint (None when none does)."""
    ok = [i for i in alive if i in feasible]
    if not ok:
        return None
    n = min(reps[i] for i in ok)
    best = max(ok, key=lambda i: (float(np.nanmean(problem.objective(i, n))), -i))
    stand[best].state = "chosen"
    return best
