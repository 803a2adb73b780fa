"""A forecast's `state:`: both engines start from it with identical tables, exactly as the rules say
(batches keep their ages, seats their policy state and window, InMails in flight answered or refunded by
`credit_back`), and a state the rules could not have produced is refused with the field named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from sim.config.scenario import Scenario
from sim.model.fast import FastOutreach
from sim.model.reference import Outreach, ReplicationOutput
from sim.output.results import replication_tables

TABLES = ("inmails", "seat_days", "account_days", "credits")
AS_OF = "2026-01-05"


def _state(**changes: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "as_of": AS_OF,
        "accounts": [
            {"account": "contract", "batches": [{"created": -20, "credits": 40}, {"created": -3.5, "credits": 1}]}
        ],
        "seats": [
            {
                "seat": 0,
                "activation_day": -30,
                "credits_this_period": 20,
                "history": [{"day": -d, "sent": 20, "responses": 1} for d in range(1, 8)],
                "policy": {"state": "warning", "since": -2},
            },
            {"seat": 1, "activation_day": -3, "history": [{"day": -1, "sent": 10, "responses": 3}]},
        ],
        "in_flight": [
            {"seat": 0, "sent_at": -1.5, "response_delay": 2.0},
            {"seat": 0, "sent_at": -5.5},
            {"seat": 1, "sent_at": -0.6, "response_delay": 1.3, "outcome": "declined"},
        ],
    }
    state.update(changes)
    return state


def _scenario(
    state: dict[str, Any], preset: str = "seed", plan: str = "recruiter", seats: int = 2, **kw: Any
) -> Scenario:
    data: dict[str, Any] = {
        "start": AS_OF,
        "horizon_days": 30,
        "rules": {"preset": preset},
        "accounts": [{"name": "contract", "plan": plan, "seats": seats, "start_day": -10}],
        "team": [{"count": seats, "daily_target": 25}],
        "state": state,
        **kw,
    }
    return Scenario.model_validate(data)


def _both(scenario: Scenario, replication: int = 0) -> ReplicationOutput:
    ref = Outreach(scenario, replication).run()
    out = FastOutreach(scenario, replication).run()
    expected, got = replication_tables(ref, scenario), replication_tables(out, scenario)
    for name in TABLES:
        pd.testing.assert_frame_equal(expected[name], got[name], check_exact=True, obj=name)
    return ref


def test_both_engines_start_from_a_state_with_identical_tables() -> None:
    ref = _both(_scenario(_state()))
    days = replication_tables(ref, _scenario(_state()))["account_days"]
    # the state's 41 credits go first; the unanswered paid InMail sent at -5.5 gets its credit back at 1.5
    assert days.loc[0, "credits_spent"] == 41 and days.loc[0, "credit_balance"] == 0
    credits = replication_tables(ref, _scenario(_state()))["credits"]
    carried = credits[credits["inmail"] >= 1000]
    assert carried[["time", "kind", "seat"]].values.tolist() == [[1.5, "refund", 0]]
    seat_days = replication_tables(ref, _scenario(_state()))["seat_days"]
    # seat 0 was in a warning since day -2: it lasts the preset's 14 days, to day 11
    states = seat_days[seat_days["seat"] == 0].set_index("day")["policy_state"]
    assert (states.loc[0:11] == "warning").all()


def test_both_engines_agree_under_current_rules_with_expiring_batches() -> None:
    state = _state(
        accounts=[{"account": "contract", "batches": [{"created": -85, "credits": 3}, {"created": -1, "credits": 2}]}],
        seats=[{"seat": 0, "activation_day": -40, "history": [{"day": -1, "sent": 3}]}],
        in_flight=[{"seat": 0, "sent_at": -0.5, "response_delay": 0.75}],
    )
    scenario = _scenario(state, preset="linkedin-current", plan="premium_career", seats=1)
    ref = _both(scenario)
    credits = replication_tables(ref, scenario)["credits"]
    expired = credits[credits["kind"] == "expire"]
    assert expired["time"].tolist()[:1] == [5.0] or not len(expired)  # the -85 batch is 90 days old on day 5
    refund = credits[(credits["kind"] == "refund") & (credits["inmail"] >= 0)]
    assert 0.25 in refund["time"].tolist()  # answered 0.75 days after sending: credit back at once


def test_a_restricted_seat_stays_restricted_in_both_engines() -> None:
    history = [{"day": -d, "sent": 20, "responses": 0} for d in range(1, 15)]
    state = _state(
        seats=[{"seat": 0, "activation_day": -60, "history": history, "policy": {"state": "restricted", "since": -1}}],
        in_flight=[],
    )
    scenario = _scenario(state, seats=1)
    ref = _both(scenario)
    seat_days = replication_tables(ref, scenario)["seat_days"].set_index("day")
    assert (seat_days.loc[0:12, "policy_state"] == "restricted").all()
    assert seat_days.loc[0, "sends_blocked_policy_restricted"] > 0


def test_a_list_of_states_is_taken_in_turn_by_replications() -> None:
    one, two = _state(), _state(accounts=[], in_flight=[])
    scenario = _scenario([one, two])
    first = replication_tables(_both(scenario, 0), scenario)["account_days"]
    second = replication_tables(_both(scenario, 1), scenario)["account_days"]
    assert first.loc[0, "credits_spent"] == 41 and second.loc[0, "credits_spent"] == 0


BROKEN = [
    ({"as_of": "2026-01-06"}, "state.as_of"),
    ({"accounts": [{"account": "contract", "batches": [{"created": -1, "credits": 999}]}]}, "state.accounts.0.batches"),
    ({"accounts": [{"account": "nope", "batches": []}]}, "state.accounts.0.account"),
    (
        {"seats": [{"seat": 0, "activation_day": -9, "history": [{"day": -1, "sent": 1001}]}], "in_flight": []},
        "state.seats.0.history.0.sent",
    ),
    ({"seats": [{"seat": 0, "history": [{"day": -1, "sent": 1}]}], "in_flight": []}, "state.seats.0.history.0.day"),
    ({"seats": [{"seat": 0, "policy": {"state": "restricted"}}], "in_flight": []}, "state.seats.0.policy.since"),
    (
        {"seats": [{"seat": 0, "policy": {"state": "warning", "since": -30}}], "in_flight": []},
        "state.seats.0.policy.since",
    ),
    ({"seats": [{"seat": 5}], "in_flight": []}, "state.seats.0.seat"),
    (
        {
            "seats": [
                {"seat": 0, "activation_day": -3, "history": [{"day": -2, "sent": 150}, {"day": -1, "sent": 60}]}
            ],
            "in_flight": [],
        },
        "state.seats.0.history",
    ),
    ({"in_flight": [{"seat": 0, "sent_at": -9.0}]}, "state.in_flight.0"),
    ({"in_flight": [{"seat": 0, "sent_at": -1.0, "response_delay": 0.5}]}, "state.in_flight.0.response_delay"),
    ({"in_flight": [{"seat": 1, "sent_at": -2.5}]}, "state.seats.1.history"),
]


@pytest.mark.parametrize(("change", "field"), BROKEN)
def test_a_broken_state_is_refused_naming_the_field(change: dict[str, Any], field: str, tmp_path: Path) -> None:
    data = _scenario(_state()).model_dump(mode="json")
    data["state"] = _state(**change)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    done = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert field in done.stderr and "Traceback" not in done.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True)


def test_state_from_flags_are_checked_naming_the_flag(tmp_path: Path) -> None:
    scenario = Path(__file__).parent.parent / "scenarios" / "forecast.yaml"
    done = _cli("run", str(scenario), "--at", "3", "--out", str(tmp_path / "a"))
    assert done.returncode == 2 and "--at" in done.stderr and not (tmp_path / "a").exists()
    done = _cli("run", str(scenario), "--state-from", str(tmp_path), "--out", str(tmp_path / "b"))
    assert done.returncode == 2 and "--state-from" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "b").exists()


def test_the_forecast_scenario_runs_and_writes_its_forecast(tmp_path: Path) -> None:
    scenario = Path(__file__).parent.parent / "scenarios" / "forecast.yaml"
    done = _cli("run", str(scenario), "--out", str(tmp_path / "f"), "--no-report", "--replications", "2", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "forecast from" in done.stdout
    data = json.loads((tmp_path / "f" / "forecast.json").read_text())
    assert data["as_of"] == "2026-03-16" and data["in_flight_credits_due_back"] == 2
    done = _cli("run", str(scenario), "--state-from", str(tmp_path / "f"), "--at", "5", "--out", str(tmp_path / "g"),
                "--no-report", "--quiet", "--jobs", "1")  # fmt: skip
    assert done.returncode == 2 and "--state-from" in done.stderr  # a forecast's folder: chain from the first run


@pytest.mark.parametrize("preset", ["seed", "linkedin-current"])
def test_both_engines_agree_from_a_runs_state_with_many_inmails_in_flight(preset: str, tmp_path: Path) -> None:
    from sim.output.state import forecast_scenario

    data = {
        "name": "first",
        "horizon_days": 21,
        "replications": 1,
        "rules": {"preset": preset, "overrides": {"plans.recruiter.monthly_credits": 400}},
        "accounts": [{"name": "contract", "plan": "recruiter", "seats": 3}],
        "team": [{"count": 3, "daily_target": 25}],
        "candidates": {"population": 5000},
        "behaviour": {"response_probability": 0.12},
    }
    path = tmp_path / "first.yaml"
    path.write_text(yaml.safe_dump(data))
    done = _cli("run", str(path), "--out", str(tmp_path / "first"), "--no-report", "--quiet", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    scenario = forecast_scenario(Scenario.model_validate({**data, "horizon_days": 20}), tmp_path / "first", 15)
    state = scenario.state[0] if isinstance(scenario.state, list) else scenario.state
    assert state is not None and len(state.in_flight) > 10
    _both(scenario.model_copy(update={"seed": 7}))
