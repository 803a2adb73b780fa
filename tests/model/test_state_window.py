"""A forecast's state keeps each seat's InMails of the response-rate window; the fast engine holds them in the
first columns of its [seat, day] arrays, as far back as the rules' window judged on the first day reads
(`window_start(rules, 0)`), which the matured reading moves `policy_maturity_days` further back than the
window's length. History on the window's first day once landed in the arrays' last columns (a negative
index), so the fast engine's trailing rates differed from the reference's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim
from sim.config.state import first_window_day
from sim.model.fast import FastOutreach
from sim.model.reference import Outreach
from sim.output.tables import replication_tables

ROOT = Path(__file__).resolve().parents[2]


def _forecast(reading: str) -> dict[str, Any]:
    """scenarios/forecast.yaml under `reading`, each seat with InMails (none answered) on the first two days
    the window judged on the as-of date reads."""
    data = yaml.safe_load((ROOT / "scenarios" / "forecast.yaml").read_text())
    data["replications"] = 1
    overrides = {"policy_reading": reading, "policy_maturity_days": 5, "policy_min_sent": 50}
    data["rules"] = {"preset": "seed", "overrides": overrides}
    first = first_window_day(sim.load_scenario(data).resolved_rules())
    for seat in data["state"]["seats"]:
        old = [{"day": first + i, "sent": 11, "responses": 0} for i in range(2)]
        seat["history"] = old + [d for d in seat["history"] if d["day"] >= first + 2]
    return data


@pytest.mark.parametrize("reading", ["matured", "responses_so_far"])
def test_state_history_on_the_windows_first_day_gives_identical_tables(reading: str) -> None:
    scenario = sim.load_scenario(_forecast(reading))
    model = FastOutreach(scenario, 0)
    assert model.pol_offset == -first_window_day(scenario.resolved_rules())
    expected = replication_tables(Outreach(scenario, 0).run(), scenario)
    got = replication_tables(model.run(), scenario)
    for name in ("inmails", "seat_days", "account_days", "credits"):
        pd.testing.assert_frame_equal(expected[name], got[name], check_exact=True, obj=name)
    assert got["seat_days"]["trailing_rate"].notna().any()
