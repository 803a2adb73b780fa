"""`seat_days.responses` counts what the `responses` KPI counts (issue 12): replies to InMails whose outcome
the resolved rules' `response_kinds` count, never replies to 1st-degree connection messages or to emails,
so that the daily table reconciles with the KPI on both engines and on every path of the fast engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim.model import ENGINES
from sim.output.kpis import replication_kpis
from sim.output.tables import replication_tables


def _mixed_team(monthly_credits: int) -> dict[str, Any]:
    """InMail senders (a fifth of their candidates 1st-degree connections) beside email senders, answered
    often and quickly so that every kind of reply falls inside the run."""
    return {
        "accounts": [{"name": "contract", "plan": "recruiter", "seats": 3}],
        "team": [
            {"name": "inmail", "count": 3, "daily_target": 12, "working_hours": [9, 17]},
            {"name": "mail", "count": 2, "daily_target": 10, "channel": "email", "working_hours": [8, 15]},
        ],
        "rules": {"preset": "seed", "overrides": {"plans.recruiter.monthly_credits": monthly_credits}},
        "behaviour": {"model": "simple", "response_probability": 0.6},
        "candidates": {
            "population": 6000,
            "known_email_share": 0.5,
            "connections": {"first": 0.2, "second": 0.5, "third": 0.3},
        },
        "horizon_days": 35,
        "seed": 5,
    }


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("monthly_credits", [100_000, 150])  # credits never bind (whole days) / bind (replayed)
def test_seat_day_responses_sum_to_the_responses_kpi(engine: str, monthly_credits: int) -> None:
    scenario = sim.load_scenario(_mixed_team(monthly_credits))
    out = ENGINES[engine](scenario, 0, scenario.seed).run()
    kpis = replication_kpis(out, scenario.resolved_rules())
    seat_days = replication_tables(out, scenario)["seat_days"]
    # the scenario has replies the KPI leaves out: to connection messages and to emails
    messages = out.messages
    answered = np.isfinite(np.asarray(messages.responded_at, dtype=float))
    cost = np.asarray(messages.cost, dtype=str)
    assert (answered & (cost == "connection")).sum() > 0
    assert (answered & (np.asarray(messages.channel, dtype=str) == "email")).sum() > 0
    assert kpis["responses"] > 0
    assert int(seat_days["responses"].sum()) == kpis["responses"]
    assert int(out.responses.sum()) == kpis["responses"]
