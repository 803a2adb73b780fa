"""The KPI registry is the one place a KPI is defined: every entry is complete, and the report, the figures
and compare hold no KPI table of their own."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import get_args

import numpy as np

from sim.output.kpis import BY_NAME, HEADLINE, KPIS, REGISTRY, Bounds, Counts, Format, format_value
from sim.rules import Movement

from ..conftest import ROOT


def _counts() -> Counts:
    blocked = {r: np.zeros(5, dtype=np.int64) for r in
               ("no_credit", "seat_credit_limit", "daily_limit", "first_week_limit", "policy_restricted",
                "no_candidates")}  # fmt: skip
    blocked["no_credit"][3:] = 2
    return Counts(
        messages={("credit", "accepted"): 3, ("credit", "none"): 7, ("connection", "accepted"): 5},
        counts_as_response=frozenset({"accepted", "declined"}).__contains__,
        follow_ups=1,
        moved={m: 0 for m in Movement} | {Movement.SPEND: 10, Movement.REFUND: 7, Movement.GRANT: 20},
        balance_end=17,
        blocked=blocked,
        policy_warnings=0,
        policy_restrictions=0,
        restricted_seat_days=0,
    )


def test_every_kpi_has_every_field() -> None:
    counts = _counts()
    assert len(set(KPIS)) == len(REGISTRY)
    for kpi in REGISTRY:
        assert kpi.name and kpi.unit and kpi.words, kpi.name
        assert kpi.fmt in get_args(Format) and kpi.bounds in get_args(Bounds), kpi.name
        value = kpi.compute(counts)
        assert isinstance(value, int | float), kpi.name
        assert isinstance(format_value(kpi.name, value), str)
    assert set(HEADLINE) <= set(KPIS) and "sends_blocked_no_candidates" in HEADLINE
    assert "follow_ups_sent" in KPIS


def test_responses_count_replies_to_inmails_only() -> None:
    """A reply to a 1st-degree connection message is not a response to an InMail (the registry's definition)."""
    counts = _counts()
    assert BY_NAME["responses"].compute(counts) == 3
    assert BY_NAME["response_rate"].compute(counts) == 0.3
    assert BY_NAME["first_day_out_of_credit"].compute(counts) == 3
    assert BY_NAME["days_out_of_credit"].compute(counts) == 2
    assert math.isnan(BY_NAME["first_day_out_of_candidates"].compute(counts))


def test_terminal_numbers_are_readable() -> None:
    assert format_value("inmails_sent", 12440.0) == "12,440"
    assert format_value("inmails_sent", 12440.4) == "12,440"
    assert format_value("response_rate", 0.2417) == "24.2%"
    assert format_value("first_day_out_of_credit", 17, "2026-01-05") == "22 Jan 2026"


def _kpi_tables(path: Path) -> list[str]:
    """Literal KPI tables in a module: dicts keyed by two or more KPI names, sequences of three or more."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        items = (
            node.keys
            if isinstance(node, ast.Dict)
            else node.elts
            if isinstance(node, ast.Tuple | ast.List | ast.Set)
            else []
        )
        names = [n.value for n in items if isinstance(n, ast.Constant) and n.value in BY_NAME]
        if len(names) >= (2 if isinstance(node, ast.Dict) else 3):
            found.append(f"{path.name}:{node.lineno}: {names}")
    return found


def test_presentation_and_compare_hold_no_kpi_table() -> None:
    """No module of sim/present, nor compare or sweep, keeps a table of KPIs (words, units, formats, lists)."""
    paths = [
        *sorted((ROOT / "sim/present").rglob("*.py")),
        ROOT / "sim/runner/compare.py",
        ROOT / "sim/runner/sweep.py",
    ]
    assert [t for p in paths if p.is_file() for t in _kpi_tables(p)] == []
