"""Confidence intervals over replications."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .kpis import KPIS


def confidence_interval(values: Iterable[float], level: float = 0.95) -> dict[str, float | int | None]:
    """Mean, standard deviation and a Student-t confidence interval over replications (NaNs dropped)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = int(x.size)
    if n == 0:
        return {"mean": None, "std": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None, "n": 1}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def summarise(runs: pd.DataFrame) -> dict[str, dict[str, float | int | None]]:
    """Each KPI's mean, std and 95% CI over the replications in `runs`."""
    return {kpi: confidence_interval(runs[kpi].tolist()) for kpi in KPIS if kpi in runs}
