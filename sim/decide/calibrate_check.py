"""The posterior-predictive check, two ways, against the export's figures per period.

Parameter sets are drawn from the fit's uncertainty: the log-factors from a normal with the inverse observed
information as covariance, the accept share from its Jeffreys posterior (beta(accepted + 1/2, declined + 1/2)).

- The p-value (Gelman, Meng and Stern's posterior-predictive p-value with the chi-square discrepancy): for
  each draw, counts replicated with the export's own sends from the likelihood's chances, and the share of
  draws whose replicated counts are at least as far from the draw's expectation as the export's are.
- The simulator bands: the whole simulator, the scenario replayed over the export's dates with drawn
  behaviour (one replication each, its own seed), read as the export reads (answered by the export date,
  within the response window); the figure shows their 95% band per period and the count of periods inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.scenario import Scenario
from ..output.experiment import run
from .calibrate_fit import ResponseModel
from .calibrate_params import fitted_behaviour
from .calibrate_replay import Periods, Replay, replay_scenario, sent_inmails


@dataclass
class Check:
    """Observed and simulated figures per period (rows of the simulated arrays are draws)."""

    labels: list[str]
    observed_sent: np.ndarray
    observed_rate: np.ndarray
    observed_accept: np.ndarray
    fitted_rate: np.ndarray  # the likelihood's c_j at the estimate
    sim_sent: np.ndarray
    sim_rate: np.ndarray
    sim_accept: np.ndarray
    p_value: float
    inside: int  # periods whose observed answered share lies inside the simulator's 95% band


def _per_period(scenario: Scenario, periods: Periods, replay: Replay, seed: int) -> np.ndarray:
    """sent, answered in time and accepted in time per period, from one replication of `scenario`."""
    inmails = sent_inmails(run(scenario, replications=1, seed=seed, tables=True).tables["inmails"])
    sent = inmails["sent_at"].to_numpy(dtype=float)
    delay = inmails["responded_at"].to_numpy(dtype=float) - sent
    limit = replay.as_of - sent if replay.window is None else np.minimum(replay.as_of - sent, replay.window)
    answered = np.isfinite(delay) & (delay <= limit)
    accepted = answered & (inmails["outcome"].astype(str) == "accepted").to_numpy()
    out = np.zeros((3, len(periods.start)))
    for j in range(len(periods.start)):
        mine = (sent >= periods.start[j]) & (sent < periods.end[j]) & (sent < replay.as_of)
        out[:, j] = mine.sum(), (mine & answered).sum(), (mine & accepted).sum()
    return out


def percentiles(sims: np.ndarray, qs: list[float]) -> np.ndarray:
    """Per column (period), the percentiles `qs` of the finite values (NaN where a period has none)."""
    out = np.full((len(qs), sims.shape[1] if sims.ndim == 2 else 0), np.nan)
    for j in range(out.shape[1]):
        column = sims[:, j][np.isfinite(sims[:, j])]
        if column.size:
            out[:, j] = np.percentile(column, qs)
    return out


def _discrepancy(successes: np.ndarray, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Chi-square distance of binomial counts from their expectation (rows: draws)."""
    p = np.clip(p, 1e-9, 1 - 1e-9)
    var = trials * p * (1 - p)
    return np.asarray(
        np.sum(np.where(trials > 0, (successes - trials * p) ** 2 / np.where(var > 0, var, 1), 0.0), axis=-1)
    )


PREDICTIVE_DRAWS = 2000


def predictive_p_value(model: ResponseModel, x_hat: np.ndarray, cov: np.ndarray, rng: np.random.Generator) -> float:
    """Posterior-predictive p-value of the answered and accepted counts per period (see the module)."""
    periods = model.periods
    lows, highs = np.array(model.bounds).T
    xs = np.clip(rng.multivariate_normal(x_hat, cov, size=PREDICTIVE_DRAWS), lows, highs)
    used = model.used
    chance = np.clip(np.array([model.curve(x)[used] for x in xs]), 0, 1)
    q = rng.beta(periods.accepted.sum() + 0.5, periods.declined.sum() + 0.5, size=(PREDICTIVE_DRAWS, 1))
    sent = np.round(periods.sent[used]).astype(np.int64)
    answered_rep = rng.binomial(sent, chance)
    accepted_rep = rng.binomial(answered_rep, np.broadcast_to(q, answered_rep.shape))
    observed = _discrepancy(periods.responded[used], periods.sent[used], chance) + _discrepancy(
        periods.accepted[used], periods.responded[used], q
    )
    replicated = _discrepancy(answered_rep, sent, chance) + _discrepancy(accepted_rep, answered_rep, q)
    return float(np.mean(replicated >= observed))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def predictive_check(
    scenario: Scenario, model: ResponseModel, x_hat: np.ndarray, cov: np.ndarray, draws: int, seed: int
) -> Check:
    """The p-value, and `draws` replays of the simulator at drawn parameter sets (see the module)."""
    periods, replay = model.periods, model.replay
    rng = np.random.default_rng([seed, 0xC4EC])
    lows, highs = np.array(model.bounds).T
    replayed = replay_scenario(scenario, replay.sim_start, replay.as_of)
    sims = []
    for m in range(draws):
        x = np.clip(rng.multivariate_normal(x_hat, cov), lows, highs)
        values = dict(zip(model.names, np.exp(x).tolist(), strict=True))
        values["accept_share"] = float(rng.beta(periods.accepted.sum() + 0.5, periods.declined.sum() + 0.5))
        data = replayed.model_dump(mode="json")
        data["behaviour"] = fitted_behaviour(replayed, values)
        sims.append(_per_period(Scenario.model_validate(data), periods, replay, seed + 1 + m))
    sim = np.array(sims).reshape(draws, 3, len(periods.start))
    sim_rate = _ratio(sim[:, 1], sim[:, 0])
    observed_rate = _ratio(periods.responded, periods.sent)
    inside = 0
    if draws:
        low, high = percentiles(sim_rate, [2.5, 97.5])
        inside = int(np.sum((observed_rate >= low) & (observed_rate <= high)))
    return Check(
        labels=periods.labels,
        observed_sent=periods.sent,
        observed_rate=observed_rate,
        observed_accept=_ratio(periods.accepted, periods.responded),
        fitted_rate=model.curve(x_hat),
        sim_sent=sim[:, 0],
        sim_rate=sim_rate,
        sim_accept=_ratio(sim[:, 2], sim[:, 1]),
        p_value=predictive_p_value(model, x_hat, cov, rng),
        inside=inside,
    )
