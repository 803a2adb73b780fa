"""Runs chain: `run --state-from DIR [--at DAY]` carries on from a results folder's state as if the run had
gone on. Where the state pins everything (nobody sends after the as-of date), the forecast's daily ledger
and seat tables are the original run's own later days; otherwise the days after the as-of date have the
same distribution of every daily KPI, by a two-sample test whose power is stated."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from scipy import stats

AT = 20
HORIZON = 40


def _scenario(path: Path, *, horizon: int, target: int = 30, population: int = 20_000, replications: int = 1) -> Path:
    data: dict[str, Any] = {
        "name": path.stem,
        "start": "2026-01-05",
        "horizon_days": horizon,
        "replications": replications,
        "rules": {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": 120}},
        "accounts": [{"name": "contract", "plan": "recruiter", "seats": 3, "start_day": 0}],
        "team": [{"count": 3, "daily_target": target, "workdays": ["mon", "tue", "wed", "thu", "fri", "sat"]}],
        "candidates": {"population": population, "arrivals_per_day": 0},
        "behaviour": {"response_probability": 0.11},
    }
    path.write_text(yaml.safe_dump(data))
    return path


def _run(scenario: Path, out: Path, *extra: str) -> None:
    cmd = [sys.executable, "-m", "sim.cli", "run", str(scenario), "--out", str(out), "--no-report", "--quiet"]
    done = subprocess.run([*cmd, "--jobs", "1", *extra], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _daily(folder: Path, since: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    seats = pd.read_parquet(folder / "seat_days.parquet")
    accounts = pd.read_parquet(folder / "account_days.parquet")
    seats = seats[seats["day"] >= since].assign(day=lambda d: d["day"] - since)
    accounts = accounts[accounts["day"] >= since].assign(day=lambda d: d["day"] - since)
    return seats.reset_index(drop=True), accounts.reset_index(drop=True)


def test_a_state_that_pins_everything_gives_the_runs_own_later_days(tmp_path: Path) -> None:
    at = 12
    whole = _scenario(tmp_path / "whole.yaml", horizon=HORIZON, population=600)  # the pool is gone by day 12
    _run(whole, tmp_path / "whole")
    rest = _scenario(tmp_path / "rest.yaml", horizon=HORIZON - at, target=0)
    _run(rest, tmp_path / "rest", "--state-from", str(tmp_path / "whole"), "--at", str(at))
    seats, accounts = _daily(tmp_path / "whole", at)
    assert seats["sent"].sum() == 0  # nobody could send after day 12: the state pins the rest
    got_seats, got_accounts = _daily(tmp_path / "rest", 0)
    ledger = [
        "day",
        "credit_balance",
        "credits_granted",
        "credits_spent",
        "credits_refunded",
        "credits_expired",
        "credits_forfeited",
    ]
    pd.testing.assert_frame_equal(accounts[ledger], got_accounts[ledger], check_exact=True)
    assert (
        accounts["credits_refunded"].sum() > 0 and accounts["credits_granted"].sum() > 0
    )  # credits came back, a grant came
    policy = ["seat", "day", "responses", "policy_state", "trailing_rate"]
    pd.testing.assert_frame_equal(seats[policy], got_seats[policy], check_exact=False, rtol=1e-12)


def _kpis(folder: Path, since: int) -> pd.DataFrame:
    """Each replication's KPIs over the days from `since` on (the daily tables)."""
    seats, accounts = _daily(folder, since)
    last = accounts["day"].max()
    per_seat = seats.groupby("replication").agg(
        sent=("sent", "sum"),
        responses=("responses", "sum"),
        blocked_no_credit=("sends_blocked_no_credit", "sum"),
        blocked_policy=("sends_blocked_policy_restricted", "sum"),
        restricted_seat_days=("policy_state", lambda s: int((s == "restricted").sum())),
    )
    per_account = accounts.groupby("replication").agg(
        spent=("credits_spent", "sum"), refunded=("credits_refunded", "sum")
    )
    per_account["balance_end"] = accounts[accounts["day"] == last].groupby("replication")["credit_balance"].sum()
    return per_seat.join(per_account)


REPLICATIONS = 34
ALPHA = 0.01  # over all KPIs (Bonferroni): each KPI's test is at ALPHA / number of KPIs


def _power(n: int, effect: float, alpha: float) -> float:
    """Power of a two-sided two-sample test with `n` a side to see a shift of `effect` standard deviations
    (normal approximation)."""
    z = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.cdf(effect * math.sqrt(n / 2) - z))


@pytest.mark.slow
def test_chained_runs_have_the_distribution_of_one_run(tmp_path: Path) -> None:
    # Welch's t-test on 34 replications a side sees a shift of one standard deviation of any one of the 8
    # KPIs with power 0.80 at its level 0.01 / 8 (normal approximation)
    assert _power(REPLICATIONS, 1.0, ALPHA / 8) >= 0.8
    whole = _scenario(tmp_path / "whole.yaml", horizon=HORIZON, replications=REPLICATIONS)
    first = _scenario(tmp_path / "first.yaml", horizon=AT, replications=REPLICATIONS)
    rest = _scenario(tmp_path / "rest.yaml", horizon=HORIZON - AT, replications=REPLICATIONS)
    _run(whole, tmp_path / "whole", "--seed", "1")
    _run(first, tmp_path / "first", "--seed", "2")
    _run(rest, tmp_path / "rest", "--seed", "3", "--state-from", str(tmp_path / "first"))
    one, chained = _kpis(tmp_path / "whole", AT), _kpis(tmp_path / "rest", 0)
    assert one["restricted_seat_days"].sum() > 0 and one["blocked_no_credit"].sum() > 0  # the rules bind
    assert len(one.columns) == 8
    for kpi in one.columns:
        a, b = one[kpi].to_numpy(float), chained[kpi].to_numpy(float)
        p = stats.ttest_ind(a, b, equal_var=False).pvalue if a.std() + b.std() > 0 else 1.0
        assert p > ALPHA / len(one.columns), f"{kpi}: one run {a.mean():.1f}, chained {b.mean():.1f} (p {p:.2g})"
