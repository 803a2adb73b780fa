"""Confidence intervals respect each KPI's range: a count's never goes below zero, a share's stays in [0, 1]."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.output.stats import bounded_interval, confidence_interval, kpi_interval


def test_count_interval_is_not_negative_at_few_replications() -> None:
    """The bug: a 95% CI of -210.9 to 487.9 sends from a t interval on three replications."""
    values = [0.0, 0.0, 830.0]
    assert confidence_interval(values)["ci_low"] < 0  # the plain t interval crosses zero
    ci = kpi_interval("sends_blocked_no_credit", values)
    assert 0 < ci["ci_low"] < ci["mean"] < ci["ci_high"]


def test_all_zero_count_has_a_zero_interval() -> None:
    ci = kpi_interval("sends_blocked_daily_limit", [0, 0, 0])
    assert (ci["mean"], ci["ci_low"], ci["ci_high"]) == (0.0, 0.0, 0.0)


def test_far_from_the_bound_it_agrees_with_the_t_interval() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(5000, 50, size=20).tolist()
    t, b = confidence_interval(values), kpi_interval("inmails_sent", values)
    width = t["ci_high"] - t["ci_low"]
    assert abs(b["ci_low"] - t["ci_low"]) < 0.01 * width and abs(b["ci_high"] - t["ci_high"]) < 0.01 * width


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=12))
def test_share_interval_stays_within_zero_and_one(values: list[float]) -> None:
    ci = bounded_interval(values, "share")
    assert 0.0 <= ci["ci_low"] <= ci["mean"] + 1e-12 and ci["mean"] - 1e-12 <= ci["ci_high"] <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=12))
def test_count_interval_is_never_negative(values: list[int]) -> None:
    ci = bounded_interval([float(v) for v in values], "non_negative")
    assert 0.0 <= ci["ci_low"] <= ci["mean"] * (1 + 1e-12) <= ci["ci_high"] * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_t_interval_is_the_student_t_interval(values: list[float], level: float) -> None:
    """The interval is mean +- t(n-1) s / sqrt(n) with scipy.stats' t quantile (computed with its special
    function, so that a run need not import scipy.stats)."""
    from scipy import stats

    x = np.asarray(values)
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * float(x.std(ddof=1)) / np.sqrt(x.size)
    ci = confidence_interval(values, level)
    assert ci["ci_low"] == float(x.mean()) - half and ci["ci_high"] == float(x.mean()) + half
