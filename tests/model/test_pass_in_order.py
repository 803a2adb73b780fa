"""The fast engine's pass in order refuses a stretch of attempts at once when every pool is empty and the
candidate in line costs a credit (`in_order._penniless`, `in_order.refusals`): the same tables as the
reference engine, which refuses them one by one, with the stretch made as short as one attempt so that it
is taken wherever it can be."""

from __future__ import annotations

from typing import Any

import pytest

import sim
from sim.model.fast import in_order

from ..test_engines import _both, _random_scenario


@pytest.fixture
def stretches(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Refuse every stretch at once, however short; the reasons given to each stretch refused so."""
    given: list[bytes] = []
    refusals = in_order.refusals

    def counted(*args: Any) -> bytes:
        codes = refusals(*args)
        given.append(codes)
        return codes

    monkeypatch.setattr(in_order, "PENNILESS_STRETCH", 1)
    monkeypatch.setattr(in_order, "refusals", counted)
    return given


def _credit_bound(preset: str, **overrides: Any) -> sim.Scenario:
    """Two credit-bound accounts; the seats of the first start a week apart (new seats in their first week
    beside seats that have emptied the pool)."""
    accounts = [
        {"name": "a", "plan": "recruiter", "seats": 3, "onboarding_interval_days": 7},
        {"name": "b", "plan": "recruiter", "seats": 2},
    ]
    team = [
        {"name": "blast", "count": 3, "account": "a", "daily_target": 30, "bulk_share": 0.9},
        {"name": "care", "count": 2, "account": "b", "daily_target": 12, "personalised_share": 0.8},
    ]
    rules = {"preset": preset, "overrides": {"plans.recruiter.monthly_credits": 25, **overrides}}
    return sim.load_scenario({"seed": 11, "horizon_days": 45, "rules": rules, "accounts": accounts, "team": team,
                              "candidates": {"population": 20_000, "open_profile_share": 0.2}})  # fmt: skip


@pytest.mark.parametrize("preset", ["seed", "linkedin-current"])
def test_stretches_refused_at_once_give_identical_tables(preset: str, stretches: list[bytes]) -> None:
    _, out = _both(_credit_bound(preset))
    assert out.blocked["no_credit"].sum() > 0
    assert stretches


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"seat_monthly_limit": 60}, in_order.R_SEAT_LIMIT),
        ({"daily_limit": 8}, in_order.R_DAILY),
        ({"first_week_limit": 10, "first_week_mode": "rolling_7_days"}, in_order.R_FIRST_WEEK),
        ({"policy_min_sent": 20, "policy_threshold": 0.3}, in_order.R_POLICY),
    ],
)
def test_a_stretch_gives_each_attempt_the_reason_its_seat_would(
    overrides: dict[str, Any], reason: int, stretches: list[bytes]
) -> None:
    """Seats out of room for another reason inside a stretch say so (seat limit, daily, first week, policy)."""
    _both(_credit_bound("seed", **overrides))
    given = set(b"".join(stretches))
    assert {in_order.R_NO_CREDIT, reason} <= given


def test_out_of_candidates_mid_day_gives_identical_tables(stretches: list[bytes]) -> None:
    scenario = _credit_bound("seed")
    scenario = sim.load_scenario({**scenario.model_dump(mode="json"), "candidates": {"population": 700}})
    _, out = _both(scenario)
    assert out.blocked["no_candidates"].sum() > 0


@pytest.mark.parametrize("i", range(16))
def test_random_scenarios_with_every_stretch_refused_at_once(i: int, stretches: list[bytes]) -> None:
    _both(_random_scenario(i))
