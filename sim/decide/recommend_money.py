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
    "extra_credit_cost",
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


def extra_credit_cost(scenario: Scenario) -> float:
    """What the credits granted beyond the preset's monthly grant cost, where the plan sells them: a scenario
    buys them by raising `rules.overrides.plans.<plan>.monthly_credits` (per seat), so they are simulated."""
    from ..rules import UnknownPlanError, preset
    from ..rules.contract import grant_per_seat

    costs = costs_of(scenario)
    rules, listed = scenario.resolved_rules(), preset(scenario.rules.preset)
    months = scenario.horizon_days / DAYS_PER_MONTH
    total = 0.0
    for account in scenario.accounts:
        price = costs.credit_price(account.plan)
        try:
            extra = grant_per_seat(rules, account.plan) - grant_per_seat(listed, account.plan)
        except UnknownPlanError:  # a plan the preset does not define: no listed grant to compare with
            continue
        if price is not None and extra > 0:
            total += extra * account.seats * months * price
    return total


def personalised_share(scenario: Scenario) -> float:
    """The team's share of personalised messages, weighted by each group's planned volume."""
    weights = [g.count * g.daily_target for g in scenario.team]
    if not sum(weights):
        return 0.0
    return sum(w * g.personalised_share for w, g in zip(weights, scenario.team, strict=True)) / sum(weights)


def fixed_costs(scenario: Scenario) -> tuple[float, float]:
    """The costs that do not depend on a replication: seats, and extra credits."""
    return seat_cost(scenario), extra_credit_cost(scenario)


def money_kpis(
    scenario: Scenario, kpis: dict[str, float], fixed: tuple[float, float] | None = None
) -> dict[str, float]:
    """Total cost of seats, of extra credits bought, and, when an hourly cost is given, of writing the messages
    sent (InMails and emails, personalised at the team's planned share); and that cost per response and per
    accepted InMail. `fixed`: the scenario's `fixed_costs`, when the caller already has them."""
    costs = costs_of(scenario)
    seats, extra = fixed if fixed is not None else fixed_costs(scenario)
    time = 0.0
    if costs.recruiter_hourly_cost is not None:
        share = personalised_share(scenario)
        sent = kpis["inmails_sent"] + kpis["emails_sent"]
        minutes = sent * (share * costs.minutes_per_personalised_message + (1 - share) * costs.minutes_per_bulk_message)
        time = costs.recruiter_hourly_cost * minutes / 60.0
    total = seats + extra + time
    return {
        "seat_cost": seats,
        "extra_credit_cost": extra,
        "time_cost": time,
        "total_cost": total,
        "cost_per_response": total / kpis["responses"] if kpis["responses"] else math.nan,
        "cost_per_accepted": total / kpis["accepted"] if kpis["accepted"] else math.nan,
    }


def events(kpis: dict[str, float]) -> dict[str, float]:
    """1.0 where the event happened in this replication, else 0.0."""
    return {name: float(kpis[kpi] > 0) for name, (kpi, _) in EVENTS.items()}
