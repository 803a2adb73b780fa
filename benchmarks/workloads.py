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


def _segmented(s: dict[str, Any]) -> None:
    s["behaviour"] = {"model": "segmented", "accept_share": 0.6}


def _linkedin_current(s: dict[str, Any]) -> None:
    s["rules"]["preset"] = "linkedin-current"


def _expiring(s: dict[str, Any]) -> None:
    # each monthly grant is a batch that expires a month after it arrives: a batch expires every month
    s["rules"]["overrides"]["plans.recruiter.batch_expiry_days"] = 30


def _credits_bind(s: dict[str, Any]) -> None:
    s["rules"]["overrides"]["plans.recruiter.monthly_credits"] = 150


def _rule_binds(s: dict[str, Any]) -> None:
    del s["rules"]["overrides"]["policy_min_sent"]
    s["behaviour"]["response_probability"] = 0.08


def _email(s: dict[str, Any]) -> None:
    seats = s["accounts"][0]["seats"]
    mail = seats // 5
    s["accounts"][0]["seats"] = seats - mail
    s["team"] = [
        {"name": "recruiters", "count": seats - mail, "daily_target": SENDS_PER_DAY},
        {"name": "mailers", "count": mail, "daily_target": SENDS_PER_DAY, "channel": "email"},
    ]
    # every email sender skips candidates without a known address: twice the pool, half of it with one
    s["candidates"] = {"population": 2 * s["candidates"]["population"], "known_email_share": 0.5}


PATHS: dict[str, tuple[int, Any]] = {
    "reference": (90, None),
    "segmented": (90, _segmented),
    "linkedin-current": (90, _linkedin_current),
    "expiring": (180, _expiring),
    "credits-bind": (90, _credits_bind),
    "rule-binds": (90, _rule_binds),
    "email": (90, _email),
}
"""The feature paths of `make bench` (issue 14): name -> (days, change to the reference workload)."""


def path_scenario(path: str, seats: int = 1000, engine: str = "fast") -> dict[str, Any]:
    """The reference workload changed to take one feature path of the engines (`PATHS`)."""
    days, change = PATHS[path]
    s = scenario(seats, days, engine)
    s["name"] = f"bench-{path}-{seats}-seats-{days}-days"
    if change is not None:
        change(s)
    return s
