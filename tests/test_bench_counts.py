"""The benchmark's pinned work: the 10-seat reference workload sends the same InMails and schedules the
same SimPy events as when the counts were pinned (benchmarks/expected_counts.json). A change that alters
the work of the model shows up here; time is never asserted. After a deliberate change, re-pin with
`.venv/bin/python benchmarks/run.py --update-counts`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import sim
from sim.model import ENGINES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import workloads  # noqa: E402

PINNED = json.loads((ROOT / "benchmarks" / "expected_counts.json").read_text())


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_ten_seat_workload_does_the_pinned_work(engine: str) -> None:
    scenario = sim.load_scenario(workloads.scenario(10, 90, engine))
    out = ENGINES[engine](scenario, 0, scenario.seed).run()
    costs = [str(c) for c in out.messages.cost]
    counts = {
        "messages": len(out.messages),
        "inmails_sent": sum(1 for c in costs if c in ("credit", "open_profile")),
        "events": int(out.events),
    }
    assert counts == PINNED[f"{engine}/10/90"]


def test_both_engines_do_the_same_work_but_the_fast_one_schedules_o_of_days_events() -> None:
    fast, reference = PINNED["fast/10/90"], PINNED["reference/10/90"]
    assert fast["messages"] == reference["messages"]
    assert fast["inmails_sent"] == reference["inmails_sent"]
    assert fast["events"] <= 90 + 3 < reference["events"]


def test_the_benchmark_measures_a_workload_with_its_tables() -> None:
    """`make bench` runs each workload through `one_run` (engine, KPIs and tables): a change to the API it
    calls breaks the benchmark, and this test, not only `make bench`."""
    import run as bench

    measured = bench.one_run("fast", 10, 10, True, "reference")
    assert measured["messages"] > 0 and measured["tables_seconds"] >= 0


def test_the_benchmark_counts_every_attempt_sent_or_refused() -> None:
    """The paths' ratio is attempts per second (issue 14): where credits bind, a refused attempt counts
    too, so every planned attempt is counted once, sent or not."""
    import run as bench
    import workloads

    measured = bench.one_run("fast", 10, 90, False, "credits-bind")
    planned = 10 * workloads.SENDS_PER_DAY * workloads.workdays(90)
    assert measured["messages"] < measured["attempts"] == planned
