"""Money KPIs of one replication (total cost, cost per response, cost per accepted InMail) and the events a
constraint can bound, computed from the run's KPIs and the scenario's `costs:` block."""

from __future__ import annotations

import math

from ..config.costs import CostsSpec
from ..config.decide import EVENTS
from ..config.scenario import Scenario, ScenarioError

DAYS_PER_MONTH = 365.0 / 12.0
MONEY_KPIS: tuple[str, ...] = (
    "seat_cost",
    "time_cost",
    "total_cost",
    "cost_per_response",
    "cost_per_accepted",
)


def costs_of(scenario: Scenario) -> CostsSpec:
    """The scenario's costs, or the list prices when it has no `costs:` block."""
    return scenario.costs or CostsSpec()


def seat_cost(scenario: Scenario) -> float:
    """What the seats cost over the horizon: seats x price per seat per month x months."""
    costs = costs_of(scenario)
    months = scenario.horizon_days / DAYS_PER_MONTH
    total = 0.0
    for i, account in enumerate(scenario.accounts):
        try:
            price = costs.seat_price(account.plan)
        except KeyError:
            raise ScenarioError(
                [f"costs.seat_price_per_month: no price for plan {account.plan!r} (accounts.{i}.plan); give one"]
            ) from None
        total += account.seats * price * months
    return total


def personalised_share(scenario: Scenario) -> float:
    """The team's share of personalised messages, weighted by each group's planned volume."""
    weights = [g.count * g.daily_target for g in scenario.team]
    if not sum(weights):
        return 0.0
    return sum(w * g.personalised_share for w, g in zip(weights, scenario.team, strict=True)) / sum(weights)


def money_kpis(scenario: Scenario, kpis: dict[str, float]) -> dict[str, float]:
    """Total cost of seats plus, when an hourly cost is given, of writing the messages sent (InMails and
    emails, personalised at the team's planned share); and that cost per response and per accepted InMail."""
    costs = costs_of(scenario)
    seats = seat_cost(scenario)
    time = 0.0
    if costs.recruiter_hourly_cost is not None:
        share = personalised_share(scenario)
        sent = kpis["inmails_sent"] + kpis["emails_sent"]
        minutes = sent * (share * costs.minutes_per_personalised_message + (1 - share) * costs.minutes_per_bulk_message)
        time = costs.recruiter_hourly_cost * minutes / 60.0
    total = seats + time
    return {
        "seat_cost": seats,
        "time_cost": time,
        "total_cost": total,
        "cost_per_response": total / kpis["responses"] if kpis["responses"] else math.nan,
        "cost_per_accepted": total / kpis["accepted"] if kpis["accepted"] else math.nan,
    }


def events(kpis: dict[str, float]) -> dict[str, float]:
    """1.0 where the event happened in this replication, else 0.0."""
    return {name: float(kpis[kpi] > 0) for name, (kpi, _) in EVENTS.items()}
