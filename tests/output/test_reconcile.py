"""Every table of a run reconciles with the others: the weekly analytics equal the daily tables aggregated
(mean over replications), and the KPIs equal the daily tables summed."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="module")
def late_answers() -> Results:
    """linkedin-current with reply delays of 20 to 50 days and quick replies: some responses come after the
    report's 30-day window, before the horizon."""
    scenario = load_scenario(
        ROOT / "scenarios/current_rules.yaml",
        [
            "horizon_days=80",
            "behaviour={model: simple, response_probability: 0.3, quick_reply_share: 0.25, "
            "read_delay: {dist: fixed, days: 0}, reply_delay: {dist: uniform, low_days: 20, high_days: 50}}",
        ],
    )
    return run(scenario, replications=2, seed=5)


def _report_counts(results: Results, window: float | None) -> pd.DataFrame:
    """Per account, seat and week: InMails sent and answered within `window` by outcome, from the inmails table."""
    im = results.inmails[results.inmails["cost"].isin(["credit", "open_profile"])].copy()
    im["week"] = pd.to_datetime(im["sent_time"]).dt.strftime("%G-W%V")
    delay = im["responded_at"] - im["sent_at"]
    shown = delay.notna() & (delay <= (np.inf if window is None else window))
    outcome = im["outcome"].astype(str)
    for column, label in (("accepted", "accepted"), ("declined", "declined"), ("quick_replies", "quick_reply")):
        im[column] = (shown & (outcome == label)).astype(int)
    keys = ["account", "seat", "week"]
    counts = im.groupby(keys).agg(
        sent=("accepted", "size"), accepted=("accepted", "sum"), declined=("declined", "sum"),
        quick_replies=("quick_replies", "sum"),
    )  # fmt: skip
    counts.index = counts.index.set_levels(counts.index.levels[1].astype(str), level=1)
    return counts / results.runs["replication"].nunique()


def test_the_report_counts_responses_within_its_30_day_window_only(late_answers: Results) -> None:
    """LinkedIn's InMail report counts a response only within 30 days of sending; later ones stay pending."""
    report = late_answers.analytics()
    seats = report[report["seat"] != "all"].set_index(["account", "seat", "week"]).sort_index()
    expected = _report_counts(late_answers, 30.0).sort_index()
    whenever = _report_counts(late_answers, None).sort_index()
    assert (whenever["accepted"] > expected["accepted"]).any()  # some responses came late: the check has teeth
    for column in ("sent", "accepted", "declined", "quick_replies"):
        np.testing.assert_allclose(seats[column], expected[column], err_msg=column)
    answered = expected["accepted"] + expected["declined"] + expected["quick_replies"]
    np.testing.assert_allclose(seats["pending"], expected["sent"] - answered)
    np.testing.assert_allclose(seats["responses"], answered)  # linkedin-current counts quick replies
    np.testing.assert_allclose(seats["response_rate"], answered / expected["sent"])


def test_the_report_response_rate_counts_only_the_seed_rules_response_kinds() -> None:
    """Under seed (no report window) a quick reply shows in its column but not in the response rate."""
    scenario = load_scenario(
        ROOT / "scenarios/baseline.yaml",
        ["horizon_days=30", "behaviour={model: simple, response_probability: 0.3, quick_reply_share: 0.3}"],
    )
    report = run(scenario, replications=2, seed=3).analytics()
    seats = report[report["seat"] != "all"]
    assert seats["quick_replies"].sum() > 0  # quick replies came: the check has teeth
    np.testing.assert_allclose(seats["responses"], seats["accepted"] + seats["declined"])
    np.testing.assert_allclose(seats["response_rate"], seats["responses"] / seats["sent"])


def test_the_streamed_report_window_equals_the_in_memory_one(late_answers: Results, tmp_path: Path) -> None:
    """`inmail-sim run` sums the report's counts chunk by chunk as the engine streams rows: the same window."""
    import yaml

    from sim.cli.main import main

    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(late_answers.scenario.model_dump(mode="json")), encoding="utf-8")
    out = tmp_path / "streamed"
    args = ["run", str(path), "--out", str(out), "--replications", "2", "--seed", "5", "--quiet", "--no-report"]
    assert main([*args, "--tables", "full", "--executor", "serial"]) == 0
    streamed = pd.read_csv(out / "analytics.csv", dtype={"seat": str})
    in_memory = late_answers.analytics().astype({"account": str, "seat": str, "week": str})
    # analytics.csv holds the rate to 4 significant digits: half a unit of the 4th digit apart at most
    pd.testing.assert_frame_equal(streamed, in_memory, check_dtype=False, check_exact=False, rtol=5e-4)
