"""Maximum likelihood for the export's counts, with profile-likelihood intervals.

Per report period j the export gives n_j InMails sent and R_j of them answered by the export date (accepted +
declined). Each InMail of period j is answered in time with probability

    c_j = k * w_j * (share of the replay's InMails of period j answered within their time left, delays x s)

(`calibrate_replay`): k scales the chance of a response, s every delay, w_j is the weekday factor of a daily
period. R_j is binomial(n_j, c_j) (a sum of independent InMails whose chances differ slightly within a period:
the binomial's variance is then a little larger than the truth, so intervals err wide). Accepted among the
answered is binomial with the accept share q, independent of the rest, so q has its own exact likelihood.
The replay's own noise is allowed for by widening the profile threshold by (1 + n / n_sim), the usual factor
of the simulated method of moments. A parameter whose 95% interval reaches its search bound is reported as not
identified by the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from .calibrate_replay import Periods, Replay

CHI2_95 = float(stats.chi2.ppf(0.95, 1))
BANDWIDTH = 0.05  # smoothing of the delay-scale step, in log-delay
MAX_DELAY_SCALE = 5.0
WEEKDAY_BOUNDS = (0.2, 5.0)
WEEKDAY_NAMES = {4: "friday", 5: "saturday", 6: "sunday"}  # Monday to Thursday is the reference


@dataclass(frozen=True)
class Estimate:
    """A fitted value with its 95% interval; `identified` is False when the interval reaches a bound."""

    name: str
    value: float
    low: float
    high: float
    identified: bool


def _binomial_ll(successes: np.ndarray, trials: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(np.sum(successes * np.log(p) + (trials - successes) * np.log1p(-p)))


class ResponseModel:
    """The likelihood of the answered counts as a function of log k, log s and the log weekday factors."""

    def __init__(self, periods: Periods, replay: Replay, weekdays: list[int], max_scale: float) -> None:
        self.periods, self.replay, self.weekdays = periods, replay, weekdays
        self.names = ["response", "delay_scale", *[WEEKDAY_NAMES[d] for d in weekdays]]
        self.bounds = [
            (np.log(1e-3), np.log(max_scale)),
            (np.log(replay.min_scale), np.log(MAX_DELAY_SCALE)),
            *[(np.log(WEEKDAY_BOUNDS[0]), np.log(WEEKDAY_BOUNDS[1])) for _ in weekdays],
        ]
        self.day_index = np.full(len(periods.start), -1)
        for i, day in enumerate(weekdays):
            self.day_index[replay.weekday == day] = i
        self.used = replay.n_sim > 0  # a period the replay sent nothing in cannot be modelled: left out
        self.left_out = int(np.sum((periods.sent > 0) & ~self.used))
        observed, simulated = float(periods.sent[self.used].sum()), float(replay.n_sim.sum())
        self.inflation = 1.0 + observed / max(simulated, 1.0)

    def curve(self, x: np.ndarray) -> np.ndarray:
        """c_j for log-parameters x."""
        c = np.exp(x[0]) * self.replay.answered_by_scale(float(x[1]), BANDWIDTH)
        if self.weekdays:
            factors = np.concatenate([np.exp(x[2:]), [1.0]])
            c = c * factors[self.day_index]
        return np.asarray(c)

    def loglik(self, x: np.ndarray) -> float:
        used = self.used
        return _binomial_ll(self.periods.responded[used], self.periods.sent[used], self.curve(x)[used])


def _maximise(f: Callable[[np.ndarray], float], x0: np.ndarray, bounds: list[tuple[float, float]]) -> np.ndarray:
    if not bounds:
        return x0
    if len(bounds) == 1:
        one = optimize.minimize_scalar(
            lambda v: -f(np.array([v])), bounds=bounds[0], method="bounded", options={"xatol": 1e-5}
        )
        return np.array([one.x])
    best = optimize.minimize(
        lambda x: -f(x),
        np.clip(x0, *np.array(bounds).T),
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-5, "fatol": 1e-7, "maxiter": 4000},
    )
    return np.asarray(best.x)


def fit(model: ResponseModel) -> np.ndarray:
    """The maximum-likelihood log-parameters (started from the scenario's values, k = s = w = 1)."""
    x0 = np.zeros(len(model.names))
    return _maximise(model.loglik, x0, model.bounds)


def _profile(model: ResponseModel, x_hat: np.ndarray, i: int, value: float) -> float:
    others = [b for k, b in enumerate(model.bounds) if k != i]

    def with_value(rest: np.ndarray) -> np.ndarray:
        return np.insert(rest, i, value)

    rest = _maximise(lambda r: model.loglik(with_value(r)), np.delete(x_hat, i), others)
    return model.loglik(with_value(rest))


def _endpoint(drop: Callable[[float], float], at: float, bound: float) -> tuple[float, bool]:
    """Where the likelihood has dropped by the threshold between the estimate and a bound (or the bound)."""
    if abs(bound - at) < 1e-9 or drop(bound) < 0:
        return bound, False
    return float(optimize.brentq(drop, at, bound, xtol=1e-3)), True


def profile_intervals(model: ResponseModel, x_hat: np.ndarray) -> list[Estimate]:
    """95% profile-likelihood intervals of k, s and the weekday factors (natural scale)."""
    best = model.loglik(x_hat)
    threshold = CHI2_95 * model.inflation
    out = []
    for i, name in enumerate(model.names):
        lo_b, hi_b = model.bounds[i]

        def drop(v: float, i: int = i) -> float:
            return 2 * (best - _profile(model, x_hat, i, v)) - threshold

        low, ok_low = _endpoint(drop, float(x_hat[i]), lo_b)
        high, ok_high = _endpoint(drop, float(x_hat[i]), hi_b)
        out.append(Estimate(name, float(np.exp(x_hat[i])), float(np.exp(low)), float(np.exp(high)), ok_low and ok_high))
    return out


def accept_share(accepted: float, declined: float) -> Estimate:
    """Accepted among the answered: the binomial maximum and its 95% profile-likelihood interval."""
    n = accepted + declined
    if n <= 0:
        return Estimate("accept_share", float("nan"), 0.0, 1.0, False)
    q = accepted / n

    def drop(p: float) -> float:
        ll = _binomial_ll(np.array([accepted]), np.array([n]), np.array([p]))
        top = _binomial_ll(np.array([accepted]), np.array([n]), np.array([q]))
        return 2 * (top - ll) - CHI2_95

    low = 0.0 if q <= 1e-12 else float(optimize.brentq(drop, 1e-12, q))
    high = 1.0 if q >= 1 - 1e-12 else float(optimize.brentq(drop, q, 1 - 1e-12))
    return Estimate("accept_share", q, low, high, 0 < accepted < n)


def covariance(model: ResponseModel, x_hat: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Inverse observed information of the log-parameters (central differences), widened for the replay's
    noise; used to draw parameter sets for the predictive check."""
    n = len(x_hat)
    hess = np.zeros((n, n))
    for a in range(n):
        for b in range(a, n):

            def at(da: float, db: float, a: int = a, b: int = b) -> float:
                x = x_hat.copy()
                x[a] += da
                x[b] += db
                return model.loglik(x)

            value = (at(step, step) - at(step, -step) - at(-step, step) + at(-step, -step)) / (4 * step * step)
            hess[a, b] = hess[b, a] = value
    info = -hess
    eigval, eigvec = np.linalg.eigh(info)
    eigval = np.maximum(eigval, 1e-6)  # a flat direction (not identified) gets a wide, finite spread
    return np.asarray(eigvec @ np.diag(1.0 / eigval) @ eigvec.T) * model.inflation


def weekday_test(model: ResponseModel, x_hat: np.ndarray, weekdays: list[int]) -> float | None:
    """p-value of the likelihood-ratio test of no weekday effect on `weekdays` (None when the data cannot
    show one). `model` may include the weekday factors (then `x_hat` is its estimate) or not."""
    if not weekdays:
        return None
    ceiling = float(np.exp(model.bounds[0][1]))
    if model.weekdays:
        without = ResponseModel(model.periods, model.replay, [], ceiling)
        ll1, ll0 = model.loglik(x_hat), without.loglik(fit(without))
    else:
        with_days = ResponseModel(model.periods, model.replay, weekdays, ceiling)
        ll1, ll0 = with_days.loglik(fit(with_days)), model.loglik(x_hat)
    stat = max(0.0, 2 * (ll1 - ll0)) / model.inflation
    return float(stats.chi2.sf(stat, len(weekdays)))


def seat_spread(
    sent: np.ndarray, responded: np.ndarray, expected: np.ndarray, n_params: int
) -> tuple[float, int, float]:
    """Pearson's chi-square of each seat's answered count per period against the fitted chance: do seats
    differ more than chance would make them? (statistic, degrees of freedom, p-value)"""
    used = (sent > 0) & (expected > 0) & (expected < 1)
    e = expected[used]
    stat = float(np.sum((responded[used] - sent[used] * e) ** 2 / (sent[used] * e * (1 - e))))
    dof = max(1, int(used.sum()) - n_params)
    return stat, dof, float(stats.chi2.sf(stat, dof))
