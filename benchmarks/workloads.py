"""The reference workloads of `make bench` (and of tests/test_bench_counts.py, which pins their work).

A recruiter contract under the `seed` rules, the simple behaviour model, every recruiter trying 50 sends a
workday, credits that never bind (a huge monthly grant, no cap) and a response-rate rule that never judges
(policy_min_sent huge). The daily (1,000) and first-week (200) limits stay: the first week's limit binds on
its Friday. The candidate pool holds exactly one candidate per planned send, so nobody runs out.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

SEED = 20260105
START = date(2026, 1, 5)  # a Monday
SENDS_PER_DAY = 50


def workdays(days: int) -> int:
    return sum(1 for d in range(days) if (START + timedelta(days=d)).weekday() < 5)


def scenario(seats: int, days: int = 90, engine: str = "fast") -> dict[str, Any]:
    """The workload as a scenario dict (load it with `sim.load_scenario`)."""
    return {
        "name": f"bench-{seats}-seats-{days}-days",
        "seed": SEED,
        "start": START.isoformat(),
        "horizon_days": days,
        "replications": 1,
        "engine": engine,
        "rules": {
            "preset": "seed",
            "overrides": {
                "plans.recruiter.monthly_credits": 1_000_000_000,
                "plans.recruiter.cap_months": None,
                "policy_min_sent": 1_000_000_000,
            },
        },
        "accounts": [{"name": "contract", "plan": "recruiter", "seats": seats}],
        "team": [{"name": "recruiters", "count": seats, "daily_target": SENDS_PER_DAY}],
        "candidates": {"population": seats * SENDS_PER_DAY * workdays(days)},
        "behaviour": {
            "model": "simple",
            "response_probability": 0.2,
            "accept_share": 0.6,
            "read_delay": {"dist": "exponential", "mean_days": 2},
            "reply_delay": {"dist": "lognormal", "median_days": 1, "sigma": 1},
        },
    }
