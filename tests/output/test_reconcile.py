"""Every table of a run reconciles with the others: the weekly analytics equal the daily tables aggregated
(mean over replications), and the KPIs equal the daily tables summed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.config.scenario import load_scenario
from sim.output.results import Results

from ..conftest import ROOT


@pytest.fixture(scope="module")
def results() -> Results:
    scenario = load_scenario(ROOT / "scenarios/blasting_team.yaml", ["horizon_days=40"])
    return run(scenario, replications=3, seed=11)


def _weeks(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["date"]).dt.strftime("%G-W%V")


def test_weekly_balance_end_is_the_mean_day_end_balance_of_the_weeks_last_day(results: Results) -> None:
    """The bug: `balance_end` was one replication's balance divided by the number of replications."""
    report = results.analytics()
    pool = report[report["seat"] == "all"].set_index(["account", "week"])
    days = results.account_days.assign(week=_weeks(results.account_days))
    last = days.sort_values("day").groupby(["replication", "account", "week"])[["credit_balance"]].last()
    expected = last.groupby(["account", "week"])["credit_balance"].mean()
    assert expected.std() > 0  # the balance moves over the weeks: the check has teeth
    pd.testing.assert_series_equal(pool["balance_end"].sort_index(), expected.sort_index(), check_names=False)
    expired = days.groupby(["account", "week"])["credits_expired"].sum() / 3
    np.testing.assert_allclose(pool["credits_expired"].sort_index(), expired.sort_index())


def test_weekly_sends_and_credits_equal_the_daily_tables(results: Results) -> None:
    report = results.analytics()
    seats = report[report["seat"] != "all"].groupby(["account", "week"])[["sent", "credits_spent"]].sum()
    seat_days = results.seat_days.assign(week=_weeks(results.seat_days))
    sent = seat_days.groupby(["account", "week"], observed=True)["inmails_sent"].sum() / 3
    np.testing.assert_allclose(seats["sent"].sort_index(), sent[sent > 0].sort_index())
    days = results.account_days.assign(week=_weeks(results.account_days))
    spent = days.groupby(["account", "week"])["credits_spent"].sum() / 3
    np.testing.assert_allclose(seats["credits_spent"].sort_index(), spent[spent > 0].sort_index())


def test_kpis_equal_the_daily_tables_summed(results: Results) -> None:
    runs = results.runs.set_index("replication")
    seat_days = results.seat_days.groupby("replication")
    np.testing.assert_array_equal(runs["inmails_sent"], seat_days["inmails_sent"].sum())
    for reason in ("no_credit", "policy_restricted", "no_candidates"):
        np.testing.assert_array_equal(runs[f"sends_blocked_{reason}"], seat_days[f"sends_blocked_{reason}"].sum())
    first = seat_days.apply(lambda d: d.loc[d["sends_blocked_no_credit"] > 0, "day"].min(), include_groups=False)
    np.testing.assert_array_equal(runs["first_day_out_of_credit"], first)
    end = results.account_days.sort_values("day").groupby(["replication", "account"])["credit_balance"].last()
    np.testing.assert_array_equal(runs["credit_balance_end"], end.groupby("replication").sum())
