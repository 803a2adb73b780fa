"""recommend: the known optimum is found, common random numbers save replications, the recommended plan keeps
its limits on fresh seeds, reruns resume, bad decide input exits 2 naming the field, and the KN procedure
picks the best of synthetic normal candidates at its stated confidence."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from sim.config.decide import Constraint
from sim.config.scenario import load_scenario
from sim.decide.recommend import recommend
from sim.decide.recommend_eval import Evaluations
from sim.decide.recommend_money import DAYS_PER_MONTH, extra_credit_cost, money_kpis, seat_cost
from sim.decide.recommend_select import Problem, select, wilson
from sim.decide.recommend_space import Space
from sim.runner.executors import ExecutorSpec

from ..conftest import ROOT

LIMIT = 0.10
DAILY_TARGETS = [7, 8, 9, 10, 11]


def one_seat(decide: dict[str, Any] | None = None, horizon_days: int = 35) -> dict[str, Any]:
    """One Recruiter seat with credits to spare and a 6% response rate: any seat that sends 100 InMails in
    14 days (10 workdays) breaks the 13% rule, so the largest daily target clear of it is 9 (90 in 14 days)."""
    return {
        "name": "known_optimum",
        "seed": 11,
        "horizon_days": horizon_days,
        "rules": {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": 100_000, "daily_limit": None}},
        "accounts": [{"plan": "recruiter", "seats": 1}],
        "team": [{"count": 1, "daily_target": 5, "personalised_share": 0.0}],
        "candidates": {
            "population": 5000,
            "connections": {"first": 0, "second": 0.5, "third": 0.5},
            "open_profile_share": 0,
        },
        "behaviour": {"model": "simple", "response_probability": 0.06},
        "decide": decide
        or {
            "levers": [{"key": "daily_target", "values": DAILY_TARGETS}],
            "objective": "responses",
            "constraints": [{"event": "any_seat_restricted", "max_probability": LIMIT}],
            "first_replications": 6,
            "max_replications": 40,
            "step": 6,
        },
    }


def test_finds_the_largest_daily_target_clear_of_the_rule(tmp_path: Path) -> None:
    rec = recommend(load_scenario(one_seat()), tmp_path)
    assert rec.chosen is not None and dict(rec.chosen.values) == {"daily_target": 9}
    table = rec.table()
    states = dict(zip(table["daily_target"], table["state"], strict=True))
    assert states[10] == states[11] == "infeasible"
    assert states[7] == states[8] == "eliminated"
    # replications go where they decide: the plans breaking the rule stop after the first stage
    reps = rec.selection.replications
    assert reps[DAILY_TARGETS.index(10)] == reps[DAILY_TARGETS.index(11)] == 6
    assert sum(reps.values()) < len(DAILY_TARGETS) * reps[DAILY_TARGETS.index(9)]


def test_recommended_plan_keeps_its_limit_on_fresh_seeds(tmp_path: Path) -> None:
    """Run the written recommended.yaml on 60 fresh replications: the restriction is not more likely than the
    limit (the one-sided Wilson lower bound at 95% stays below it)."""
    rec = recommend(load_scenario(one_seat()), tmp_path)
    rec.save(tmp_path)
    fresh = load_scenario(yaml.safe_load((tmp_path / "recommended.yaml").read_text()))
    ev = Evaluations(seed=987_654, executor=ExecutorSpec("serial"))
    from sim.decide.recommend_space import Candidate, simulation_key

    cand = Candidate((), fresh, simulation_key(fresh))
    ev.ensure([cand], 60)
    hits = [row["any_seat_restricted"] for row in ev.rows(cand, 60)]
    low, _ = wilson(int(sum(hits)), len(hits), 0.90)
    assert low <= LIMIT


def test_rerun_reuses_every_replication(tmp_path: Path) -> None:
    first = recommend(load_scenario(one_seat()), tmp_path)
    again = recommend(load_scenario(one_seat()), tmp_path)
    assert first.evaluations.ran > 0 and again.evaluations.ran == 0
    assert again.evaluations.reused == first.evaluations.ran
    assert again.table().equals(first.table())


def test_common_random_numbers_need_fewer_replications() -> None:
    """The same decision without constraints on close candidates, with and without common random numbers:
    the pairwise differences vary less on common numbers, so KN tells them apart sooner."""
    decide = {
        "levers": [{"key": "personalised_share", "values": [0.0, 0.3, 0.6]}],
        "objective": "responses",
        "indifference": 1.0,
        "first_replications": 5,
        "max_replications": 400,
        "step": 5,
    }
    base = one_seat(decide)
    base["behaviour"] = {"model": "segmented"}  # personalised messages are answered more (x1.4)
    base["team"][0]["daily_target"] = 8
    spent = {}
    for crn in (True, False):
        scenario = load_scenario({**base, "decide": {**decide, "common_random_numbers": crn}})
        rec = recommend(scenario)
        assert rec.chosen is not None and dict(rec.chosen.values) == {"personalised_share": 0.6}
        spent[crn] = rec.evaluations.ran
    assert 2 * spent[True] < spent[False]


def test_search_finds_the_known_optimum(tmp_path: Path) -> None:
    decide = {
        "levers": [{"key": "daily_target", "low": 4, "high": 14}],
        "objective": "responses",
        "constraints": [{"event": "any_seat_restricted", "max_probability": LIMIT}],
        "method": "search",
        "trials": 25,
        "shortlist": 3,
        "first_replications": 5,
        "max_replications": 40,
        "step": 6,
    }
    rec = recommend(load_scenario(one_seat(decide)), tmp_path)
    assert rec.method == "search" and len(rec.candidates) == 3
    assert rec.chosen is not None and dict(rec.chosen.values) == {"daily_target": 9}
    assert "Optuna" in rec.why()


def test_kn_picks_the_best_at_its_confidence() -> None:
    """Five normal candidates, the best one indifference-zone (delta) above the others, independent draws:
    the probability of picking it is at least 95%; out of 60 runs the count of right picks is checked against
    the 0.1% quantile of Binomial(60, 0.95)."""
    means, delta, sd = np.array([0.0, 0.0, 0.0, 0.0, 1.0]), 1.0, 2.0
    right = 0
    runs = 60
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        data = means[:, None] + sd * rng.standard_normal((5, 2000))
        problem = Problem(5, lambda idx, n: None, lambda i, n, d=data: d[i, :n], lambda i, n, c: np.zeros(n), [])
        sel = select(problem, 0.95, 10, 2000, 1, delta)
        right += sel.chosen == 4
    assert right >= stats.binom.ppf(0.001, runs, 0.95)


def test_kn_constraint_probability_is_checked_with_wilson() -> None:
    """A candidate breaking its probability limit for sure is dropped although it has the best objective."""
    best = np.arange(100.0)
    problem = Problem(
        2,
        lambda idx, n: None,
        lambda i, n: best[:n] + (10.0 if i == 1 else 0.0),
        lambda i, n, c: np.ones(n) if i == 1 else np.zeros(n),
        [Constraint(event="any_seat_restricted", max_probability=0.2)],
    )
    sel = select(problem, 0.95, 10, 100, 5, 1.0)
    assert sel.chosen == 0 and sel.standings[1].state == "infeasible"


def test_money_kpis_from_list_prices() -> None:
    costs = {"seat_price_per_month": {"recruiter": 600}, "recruiter_hourly_cost": 30, "minutes_per_bulk_message": 1}
    scenario = load_scenario({**one_seat(), "costs": costs})
    months = 35 / DAYS_PER_MONTH
    assert math.isclose(seat_cost(scenario), 600 * months)
    money = money_kpis(scenario, {"inmails_sent": 120, "emails_sent": 0, "responses": 4, "accepted": 2})
    assert math.isclose(money["time_cost"], 30 * 120 * 1 / 60)
    assert math.isclose(money["cost_per_response"], (600 * months + 60) / 4)
    assert math.isclose(money["cost_per_accepted"], (600 * months + 60) / 2)


def test_space_validates_levers() -> None:
    bad = one_seat({"levers": [{"key": "team.0.nope", "values": [1]}, {"key": "daily_target", "group": "x",
                                                                        "values": [1]}]})  # fmt: skip
    with pytest.raises(Exception) as err:
        Space(load_scenario(bad))
    text = str(err.value)
    assert "decide.levers.0.key" in text and "decide.levers.1.group" in text


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "sim.cli", "recommend", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_cli_bad_decide_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    data = one_seat()
    data["decide"]["objective"] = "most_responses"
    data["decide"]["constraints"][0]["max_probability"] = 1.5
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    done = _cli(str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "decide.objective" in done.stderr and "decide.constraints.0.max_probability" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_cli_writes_the_folder_and_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(one_seat()))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused = _cli(str(path), "--out", str(mine), cwd=tmp_path)
    assert refused.returncode == 2 and (mine / "notes.txt").read_text() == "keep me"
    done = _cli(str(path), "--out", str(tmp_path / "rec"), "--executor", "serial", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Recommended: daily_target=9" in done.stdout
    for name in ("ranked.csv", "recommendation.json", "recommended.yaml", "tradeoff.png", "report.html"):
        assert (tmp_path / "rec" / name).is_file(), name
    assert "Recommended: daily_target=9" in (tmp_path / "rec" / "report.html").read_text()


def test_budget_keeps_the_plan_within_it() -> None:
    """Most responses within a budget: seats cost the same in every replication, so the budget is decided
    at once; the largest team it pays for is chosen."""
    price = 100.0
    months = 35 / DAYS_PER_MONTH
    decide = {
        "levers": [{"key": "seats", "values": [1, 2, 3]}],
        "objective": "responses_within_budget",
        "budget": 2.5 * price * months,
        "first_replications": 8,  # KN's first stage sets how long a pair is compared: 4 is too few to rely on
        "max_replications": 40,
        "step": 8,
    }
    data = {**one_seat(decide), "costs": {"seat_price_per_month": {"recruiter": price}}}
    rec = recommend(load_scenario(data))
    assert rec.chosen is not None and dict(rec.chosen.values) == {"seats": 2}
    states = dict(zip(rec.table()["seats"], rec.table()["state"], strict=True))
    assert states[3] == "infeasible" and states[1] == "eliminated"


def test_extra_credits_are_simulated_and_charged() -> None:
    """Raising a plan's monthly credits above the preset's grant buys extra credits at the plan's price."""
    base = one_seat()
    base["rules"] = {"preset": "linkedin-current", "overrides": {"plans.premium_business.monthly_credits": 40}}
    base["accounts"] = [{"plan": "premium_business", "seats": 2}]
    base["team"][0]["count"] = 2
    scenario = load_scenario({**base, "decide": None})
    months = 35 / DAYS_PER_MONTH
    assert math.isclose(extra_credit_cost(scenario), (40 - 15) * 2 * months * 10.0)
    listed = load_scenario({**base, "rules": {"preset": "linkedin-current"}, "decide": None})
    assert extra_credit_cost(listed) == 0.0
    ev = Evaluations(seed=3, executor=ExecutorSpec("serial"))
    from sim.decide.recommend_space import Candidate, simulation_key

    granted = []
    for s in (scenario, listed):
        cand = Candidate((), s, simulation_key(s))
        ev.ensure([cand], 1)
        granted.append(ev.rows(cand, 1)[0]["credits_granted"])
    assert granted[0] > granted[1]


def test_process_pool_gives_the_same_ranking_as_serial() -> None:
    scenario = load_scenario(one_seat())
    serial = recommend(scenario, executor=ExecutorSpec("serial")).table()
    pooled = recommend(scenario, executor=ExecutorSpec("processes", jobs=2)).table()
    assert pooled.equals(serial)
