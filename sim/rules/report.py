"""The InMail report's rule: which responses LinkedIn's InMail report (analytics.csv) shows as answered.

LinkedIn's report counts a response only when it came within `report_window_days` of sending (30 under
`linkedin-current`); a later one stays pending there, although the refund and response-rate rules see it.
The report's response rate counts the outcomes the rules count as a response (`response_kinds`)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .presets import Rules

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def reported_answered(rules: Rules, sent_at: FloatArray, responded_at: FloatArray) -> BoolArray:
    """Whether each message's response shows in the report: it has one (`responded_at` finite; NaN or inf:
    none) and, with a report window, it came by `sent_at` + the window. Compared as times, as the tables hold
    them (`responded_at` is `sent_at` + the delay, and rounding keeps the order: a delay of exactly the window
    is inside)."""
    responded_at = np.asarray(responded_at, dtype=np.float64)
    answered: BoolArray = np.isfinite(responded_at)
    window = rules.report_window_days
    if window is None:
        return answered
    within: BoolArray = answered & (responded_at <= np.asarray(sent_at, dtype=np.float64) + window)
    return within


def report_window(rules: Rules) -> float | None:
    """Days after sending within which the report shows a response; None: whenever it came."""
    window = rules.report_window_days
    return None if window is None else float(window)
