"""Confidence intervals over replications: one function per method, and the summary of a run's KPIs.

A KPI's interval respects its range (its registry `bounds`): a count's interval never goes below zero and
a share's stays within 0 and 1. Both are Student t intervals for the mean computed on a transformed scale
and mapped back (the delta method): log for non-negative KPIs, logit for shares. Far from the bounds they
agree with the plain t interval; near a bound they become asymmetric instead of crossing it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import special  # stdtrit is Student t's quantile (what scipy.stats.t.ppf calls), without stats' import

from .kpis import BY_NAME, KPIS, Bounds

Interval = dict[str, float | int | None]


def _finite(values: Iterable[float]) -> np.ndarray:
    return np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)


def confidence_interval(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean, standard deviation and a Student-t confidence interval over replications (NaNs dropped): for
    quantities of either sign, such as paired differences."""
    x = _finite(values)
    n = int(x.size)
    if n == 0:
        return {"mean": None, "std": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None, "n": 1}
    std = float(x.std(ddof=1))
    half = float(special.stdtrit(n - 1, 0.5 + level / 2)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def bounded_interval(values: Iterable[float], bounds: Bounds, level: float = 0.95) -> Interval:
    """As `confidence_interval`, for a KPI whose values lie in a range: "non_negative" (a t interval on the
    log scale, mean x exp(+-t se / mean)) or "share" (on the logit scale). A mean on the bound itself (all
    replications zero, or all one) has a zero-width interval there."""
    out = confidence_interval(values, level)
    mean, std, n = out["mean"], out["std"], int(out["n"] or 0)
    if mean is None or std is None or n < 2:
        return out
    t = float(special.stdtrit(n - 1, 0.5 + level / 2))
    se = float(std) / math.sqrt(n)
    m = float(mean)
    if bounds == "share":
        if m <= 0.0 or m >= 1.0:
            return {**out, "ci_low": m, "ci_high": m}
        centre, spread = math.log(m / (1 - m)), t * se / (m * (1 - m))
        out["ci_low"] = float(special.expit(centre - spread))
        out["ci_high"] = float(special.expit(centre + spread))
        return out
    if m <= 0.0:
        return {**out, "ci_low": 0.0, "ci_high": 0.0}
    factor = math.exp(min(t * se / m, 700.0))
    out["ci_low"], out["ci_high"] = m / factor, m * factor
    return out


def kpi_interval(kpi: str, values: Iterable[float], level: float = 0.95) -> Interval:
    """A KPI's mean and confidence interval by the method its registry range asks for."""
    entry = BY_NAME.get(kpi)
    if entry is None:
        return confidence_interval(values, level)
    return bounded_interval(values, entry.bounds, level)


def summarise(runs: pd.DataFrame) -> dict[str, Interval]:
    """Each KPI's mean, std and 95% CI over the replications in `runs`."""
    return {kpi: kpi_interval(kpi, runs[kpi].tolist()) for kpi in KPIS if kpi in runs}


def paired_text(table: pd.DataFrame) -> str:
    """A paired-differences table (`kpi`, `mean_a`, `mean_b`, `diff`, `ci_low`, `ci_high`, `excludes_zero`)
    for the terminal: each value in its KPI's format (12,440; 24.2%; +1.3 pp), one KPI per line."""
    from .kpis import format_difference, format_value

    head = f"{'KPI':<32} {'A':>12} {'B':>12} {'B - A':>12}  95% CI of B - A"
    lines = [head]
    for row in table.to_dict("records"):
        k = str(row["kpi"])
        low, high, a, b, diff = (float(row[c]) for c in ("ci_low", "ci_high", "mean_a", "mean_b", "diff"))
        ci = f"{format_difference(k, low)} to {format_difference(k, high)}"
        mark = "  *" if bool(row.get("excludes_zero", False)) else ""
        lines.append(f"{k:<32} {format_value(k, a):>12} {format_value(k, b):>12} {format_difference(k, diff):>12}"
                     f"  {ci}{mark}")  # fmt: skip
    lines.append("* the interval excludes zero")
    return "\n".join(lines)
