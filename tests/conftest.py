"""Shared helpers for tests of the simulation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def binomial_bound(p: float, n: int, z: float = 3.29) -> float:
    """Half-width of a two-sided 99.9% normal-approximation interval for a proportion p from n trials."""
    return z * math.sqrt(p * (1 - p) / n)


def unlimited(preset: str = "seed", **rules: Any) -> dict[str, Any]:
    """Rule overrides under which credits, limits and the response-rate rule never bind."""
    return {
        "preset": preset,
        "overrides": {
            "plans.recruiter.monthly_credits": 1_000_000,
            "plans.recruiter.cap_months": None,
            "daily_limit": None,
            "first_week_limit": None,
            "policy_min_sent": 1_000_000_000,
            **rules,
        },
    }


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
