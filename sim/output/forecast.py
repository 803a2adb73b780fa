"""The forecast of a run that started from a state: from the as-of date, when each pool runs dry, which
seats face a warning or a restriction and when, and the credits of InMails in flight still due back. Written
as `forecast.json` in the results folder, with the lines the terminal prints."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ..config.scenario import Scenario
from ..model.state import replication_state
from ..rules.refund import credit_back


def _first_days(frame: pd.DataFrame, key: str, hit: pd.Series) -> dict[Any, tuple[float, float | None]]:
    """For each `key`: the share of replications where `hit` happens, and the median first day it does."""
    out: dict[Any, tuple[float, float | None]] = {}
    replications = frame["replication"].nunique()
    for name, part in frame.groupby(key, observed=True):
        firsts = part[hit.loc[part.index]].groupby("replication")["day"].min()
        out[name] = (len(firsts) / replications, float(firsts.median()) if len(firsts) else None)
    return out


def _due_back(scenario: Scenario, replications: list[int]) -> float:
    """Mean over replications of the credits of InMails in flight that come back within the horizon."""
    rules = scenario.resolved_rules()
    total = 0
    for r in replications:
        state = replication_state(scenario, r)
        for m in state.in_flight if state else []:
            counted = m.response_delay is not None and rules.counts_as_response(m.outcome)
            back = credit_back(rules, m.sent_at, m.response_delay if counted else None) if m.paid else None
            total += back is not None and 0 <= back < scenario.horizon_days
    return total / max(len(replications), 1)


def forecast(scenario: Scenario, folder: Path) -> dict[str, Any]:
    """The forecast of the run in `folder` (which started from `scenario.state`), as plain data."""
    accounts = pd.read_parquet(folder / "account_days.parquet")
    seats = pd.read_parquet(folder / "seat_days.parquet")
    replications = sorted(int(r) for r in accounts["replication"].unique())

    def date(day: float | None) -> str | None:
        return None if day is None else (scenario.start + timedelta(days=round(day))).isoformat()

    dry = _first_days(accounts, "account", accounts["credit_balance"] <= 0)
    restricted = _first_days(seats, "seat", seats["policy_state"] == "restricted")
    warned = _first_days(seats, "seat", seats["policy_state"] == "warning")
    return {
        "as_of": scenario.start.isoformat(),
        "horizon_days": scenario.horizon_days,
        "replications": len(replications),
        "pool_runs_dry": [
            {"account": a, "share_of_replications": s, "median_first_date": date(d)} for a, (s, d) in dry.items()
        ],
        "restrictions": [
            {"seat": int(k), "share_of_replications": s, "median_first_date": date(d)}
            for k, (s, d) in restricted.items()
            if s
        ],
        "warnings": [
            {"seat": int(k), "share_of_replications": s, "median_first_date": date(d)}
            for k, (s, d) in warned.items()
            if s
        ],
        "in_flight_credits_due_back": _due_back(scenario, replications),
    }


def forecast_lines(data: dict[str, Any]) -> list[str]:
    """The forecast in a few lines for the terminal."""
    lines = [f"forecast from {data['as_of']} over {data['horizon_days']} days:"]
    for p in data["pool_runs_dry"]:
        when = f", median {p['median_first_date']}" if p["median_first_date"] else ""
        lines.append(f"  pool {p['account']} runs dry in {p['share_of_replications']:.0%} of replications{when}")
    for key, words in (("restrictions", "restricted"), ("warnings", "warned")):
        for s in data[key]:
            lines.append(
                f"  seat {s['seat']} {words} in {s['share_of_replications']:.0%} of replications, median from "
                f"{s['median_first_date']}"
            )
    lines.append(f"  credits of InMails in flight due back: {data['in_flight_credits_due_back']:g} on average")
    return lines


def write_forecast(scenario: Scenario, folder: Path) -> list[str]:
    """Write `forecast.json` into the run's folder; the terminal's lines."""
    data = forecast(scenario, folder)
    (folder / "forecast.json").write_text(json.dumps(data, indent=2) + "\n")
    return forecast_lines(data)
