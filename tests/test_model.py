"""The SimPy model: analytic checks, invariants on every table, determinism, and the example scenarios."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.config.distributions import Exponential, Fixed
from sim.model.reference import InvariantError, Outreach
from sim.rules import resolve

from .conftest import SCENARIOS, binomial_bound, unlimited


def _team(seats: int, target: int, **group: Any) -> dict[str, Any]:
    return {
        "accounts": [{"name": "contract", "plan": "recruiter", "seats": seats}],
        "team": [{"count": seats, "daily_target": target, **group}],
    }


def _analytic_scenario(preset: str, horizon: int, reply_mean: float, p: float) -> dict[str, Any]:
    return {
        "name": "analytic",
        "seed": 99,
        "horizon_days": horizon,
        "replications": 1,
        "rules": unlimited(preset),
        **_team(10, 100),
        "candidates": {
            "population": 200_000,
            "connections": {"first": 0, "second": 0.5, "third": 0.5},
            "open_profile_share": 0,
        },
        "behaviour": {
            "model": "simple",
            "response_probability": p,
            "accept_share": 0.5,
            "read_delay": {"dist": "fixed", "days": 1},
            "reply_delay": {"dist": "exponential", "mean_days": reply_mean},
        },
    }


def _delay_cdf(days: float, reply_mean: float) -> float:
    """F of read delay (fixed 1 day) plus reply delay (exponential), in closed form."""
    return Exponential(dist="exponential", mean_days=reply_mean).cdf(days - Fixed(dist="fixed", days=1).days)


def test_seed_refund_share_is_one_minus_p_times_F_of_7_days() -> None:
    p, reply_mean = 0.4, 3.0
    res = sim.run(_analytic_scenario("seed", 28, reply_mean, p))
    inmails = res.inmails
    settled = inmails[(inmails["cost"] == "credit") & (inmails["sent_at"] + 7 < 28)]
    n = len(settled)
    expected = 1 - p * (1 - math.exp(-(7 - 1) / reply_mean))
    assert expected == pytest.approx(1 - p * _delay_cdf(7, reply_mean))
    share = settled["refunded_at"].notna().mean()
    assert n > 5000
    assert abs(share - expected) < binomial_bound(expected, n), (share, expected, n)


def test_current_credit_back_share_is_p_times_F_of_90_days() -> None:
    p, reply_mean = 0.3, 40.0
    res = sim.run(_analytic_scenario("linkedin-current", 100, reply_mean, p))
    inmails = res.inmails
    settled = inmails[(inmails["cost"] == "credit") & (inmails["sent_at"] + 90 < 100)]
    n = len(settled)
    expected = p * (1 - math.exp(-(90 - 1) / reply_mean))
    share = settled["refunded_at"].notna().mean()
    assert n > 5000
    assert abs(share - expected) < binomial_bound(expected, n), (share, expected, n)


def test_refunds_happen_exactly_at_the_rule_times() -> None:
    res = sim.run(_analytic_scenario("seed", 21, 3.0, 0.4))
    refunded = res.inmails[res.inmails["refunded_at"].notna()]
    assert np.allclose(refunded["refunded_at"], refunded["sent_at"] + 7)
    no_response = refunded["responded_at"].isna() | (refunded["responded_at"] > refunded["sent_at"] + 7)
    assert no_response.all()


@pytest.fixture(scope="module")
def baseline() -> sim.Results:
    return sim.run(sim.load_scenario("scenarios/baseline.yaml", ["horizon_days=45", "replications=3"]))


@pytest.fixture(scope="module")
def blasting() -> sim.Results:
    return sim.run(sim.load_scenario("scenarios/blasting_team.yaml", ["horizon_days=60", "replications=2"]))


def _check_tables(res: sim.Results) -> None:
    rules = res.scenario.resolved_rules()
    for rep, credits in res.credits.groupby("replication"):
        tot = credits.groupby("kind")["amount"].sum()
        balance = (
            res.account_days[(res.account_days["replication"] == rep)].groupby("account")["credit_balance"].last().sum()
        )
        inflow = tot.get("grant", 0) + tot.get("refund", 0)
        outflow = tot.get("spend", 0) + tot.get("expire", 0) + tot.get("forfeit", 0)
        assert inflow == outflow + balance, f"replication {rep}: credits not conserved"
        assert (res.account_days["credit_balance"] >= 0).all()
        assert (credits[credits["kind"] == "refund"]["inmail"].value_counts() <= 1).all()
    sd = res.seat_days
    if rules.daily_limit is not None:
        assert sd["inmails_sent"].max() <= rules.daily_limit
    assert (res.inmails["cost"].isin(["credit", "open_profile", "connection", "none"])).all()
    paid = res.inmails[res.inmails["cost"] == "credit"]
    spends = res.credits[res.credits["kind"] == "spend"]
    assert len(paid) == len(spends)


def test_baseline_tables_satisfy_the_invariants(baseline: sim.Results) -> None:
    _check_tables(baseline)


def test_blasting_tables_satisfy_the_invariants(blasting: sim.Results) -> None:
    _check_tables(blasting)


def test_blasting_team_enters_warning_and_restriction(blasting: sim.Results) -> None:
    states = set(blasting.seat_days["policy_state"].astype(str))
    assert {"warning", "restricted"} <= states
    assert blasting.runs["sends_blocked_policy_restricted"].min() > 0


def test_baseline_never_warned(baseline: sim.Results) -> None:
    assert set(baseline.seat_days["policy_state"].astype(str)) == {"ok"}
    assert baseline.runs["policy_warnings"].sum() == 0


def test_same_seed_same_tables() -> None:
    scenario = sim.load_scenario("scenarios/baseline.yaml", ["horizon_days=20", "replications=2"])
    a, b = sim.run(scenario), sim.run(scenario)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(a.runs, b.runs)


def test_different_seeds_different_tables() -> None:
    scenario = sim.load_scenario("scenarios/baseline.yaml", ["horizon_days=20", "replications=1"])
    a, b = sim.run(scenario, seed=1), sim.run(scenario, seed=2)
    assert not a.inmails["candidate"].equals(b.inmails["candidate"])


def test_no_candidate_contacted_twice_across_the_team(baseline: sim.Results) -> None:
    per_rep = baseline.inmails.groupby("replication")["candidate"]
    assert (per_rep.nunique() == per_rep.size()).all()


def test_first_degree_messages_cost_nothing_and_are_not_inmails() -> None:
    scenario = {
        **_team(2, 20),
        "horizon_days": 10,
        "replications": 1,
        "candidates": {"population": 2000, "connections": {"first": 1.0, "second": 0.0, "third": 0.0}},
    }
    res = sim.run(scenario)
    assert (res.inmails["cost"] == "connection").all()
    assert res.runs.loc[0, "credits_spent"] == 0
    assert res.runs.loc[0, "inmails_sent"] == 0
    assert res.runs.loc[0, "free_messages_sent"] == len(res.inmails)


def test_pool_exhaustion_is_recorded_as_no_candidates() -> None:
    res = sim.run({**_team(1, 20), "horizon_days": 10, "replications": 1, "candidates": {"population": 30}})
    assert len(res.inmails) == 30
    assert res.runs.loc[0, "sends_blocked_no_candidates"] > 0


def test_empty_pool_blocks_with_no_credit() -> None:
    rules = {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": 5}}
    res = sim.run(
        {
            **_team(1, 20),
            "horizon_days": 5,
            "replications": 1,
            "rules": rules,
            "candidates": {"connections": {"first": 0, "second": 0.5, "third": 0.5}},
        }
    )
    assert res.runs.loc[0, "credits_spent"] == 5
    assert res.runs.loc[0, "sends_blocked_no_credit"] > 0


def test_first_week_limit_holds_on_a_new_seat() -> None:
    rules = {
        "preset": "seed",
        "overrides": {"plans.recruiter.monthly_credits": 10_000, "plans.recruiter.cap_months": None},
    }
    res = sim.run(
        {
            **_team(1, 100),
            "horizon_days": 14,
            "replications": 1,
            "start": "2026-01-07",
            "rules": rules,
            "candidates": {"connections": {"first": 0, "second": 0.5, "third": 0.5}},
        }
    )
    first_week = res.seat_days[res.seat_days["date"] <= date(2026, 1, 11)]  # Wednesday to Sunday of its first week
    assert first_week["inmails_sent"].sum() == 200
    assert res.runs.loc[0, "sends_blocked_first_week_limit"] > 0


def test_email_channel_spends_no_credit() -> None:
    scenario = {**_team(1, 10), "horizon_days": 10, "replications": 1}
    scenario["team"] = [{"count": 1, "daily_target": 10, "channel": "email"}]
    res = sim.run(scenario)
    assert (res.inmails["channel"] == "email").all()
    assert res.runs.loc[0, "credits_spent"] == 0
    assert res.runs.loc[0, "emails_sent"] == len(res.inmails) > 0


def test_broken_ledger_fails_loudly_with_seed_to_reproduce() -> None:
    scenario = sim.load_scenario({**_team(1, 5), "horizon_days": 5, "replications": 1})
    model = Outreach(scenario, 0)
    model.run()
    model.accounts["contract"].ledger.balance += 1
    with pytest.raises(InvariantError, match="seed 12345, replication 0"):
        model.check_invariants()


def test_resolved_scenario_reproduces_results() -> None:
    scenario = sim.load_scenario("scenarios/baseline.yaml", ["horizon_days=15", "replications=2"])
    first = sim.run(scenario)
    resolved = scenario.resolved_dict()
    resolved.pop("version")
    resolved["rules"].pop("resolved")
    again = sim.run(sim.load_scenario(resolved))
    pd.testing.assert_frame_equal(first.inmails, again.inmails)
    assert resolve("seed").plans["recruiter"].monthly_credits == 150


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_example_scenario_runs_with_a_short_horizon(path: Any, tmp_path: Any) -> None:
    """`inmail-sim run` on each file in scenarios/ (a sweep file runs its base scenario) writes a complete folder."""
    from sim.cli import main

    out = tmp_path / "out"
    code = main(
        [
            "run",
            str(path),
            "--out",
            str(out),
            "--replications",
            "2",
            "--set",
            "horizon_days=14",
            "--executor",
            "serial",
            "--quiet",
        ]
    )
    assert code == 0
    for name in ("summary.json", "runs.parquet", "inmails.parquet", "seat_days.parquet", "report.html"):
        assert (out / name).is_file(), name
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2
    assert (runs["inmails_sent"] + runs["free_messages_sent"] + runs["emails_sent"]).gt(0).all()


def test_rerunning_scenario_resolved_yaml_reproduces_the_tables(tmp_path: Any) -> None:
    from sim.cli import main

    first, again = tmp_path / "first", tmp_path / "again"
    args = ["--replications", "2", "--set", "horizon_days=14", "--quiet"]
    assert main(["run", "scenarios/baseline.yaml", "--out", str(first), *args]) == 0
    assert main(["run", str(first / "scenario.resolved.yaml"), "--out", str(again), "--quiet"]) == 0
    for name in ("runs", "inmails", "credits", "seat_days"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(first / f"{name}.parquet"), pd.read_parquet(again / f"{name}.parquet")
        )
