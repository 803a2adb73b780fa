"""The refund rule: whether, and when, a paid InMail's credit comes back to its pool.

It is decided from how long the InMail's first counting response took (its delay from sending), never by
comparing absolute event times, so that both presets are judged the same way and exactly at the window's
boundary: under `no_response` (seed) the credit comes back at the window's end unless a counting response
came within the window; under `response` (current) it comes back when a counting response arrives within
the window. Pending InMails earn nothing under `response`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from .presets import RefundRule, Rules

FloatArray = npt.NDArray[np.float64]


def answered_in_window(rules: Rules, response_delay: float | None) -> bool:
    """Whether a counting response came within the refund window (`response_delay` None: no response)."""
    return response_delay is not None and response_delay <= rules.refund_window_days


def earliest_credit_back(rules: Rules) -> float:
    """The shortest time after sending at which a credit can come back: at once under `response`, at the
    window's end under `no_response`."""
    return 0.0 if rules.refund_rule is RefundRule.RESPONSE else rules.refund_window_days


def credit_back(rules: Rules, sent_at: float, response_delay: float | None) -> float | None:
    """When the credit of a paid InMail sent at `sent_at` comes back, given the delay of its first counting
    response (None: it never gets one); None when it never comes back."""
    answered = answered_in_window(rules, response_delay)
    if rules.refund_rule is RefundRule.NO_RESPONSE:
        return None if answered else sent_at + rules.refund_window_days
    return sent_at + response_delay if answered and response_delay is not None else None


def credit_back_batch(rules: Rules, sent_at: FloatArray, response_delay: FloatArray) -> FloatArray:
    """`credit_back` for arrays: `response_delay` inf where no counting response comes; inf where no credit
    comes back."""
    answered = response_delay <= rules.refund_window_days
    if rules.refund_rule is RefundRule.NO_RESPONSE:
        back: FloatArray = np.where(answered, math.inf, sent_at + rules.refund_window_days)
    else:
        back = np.where(answered, sent_at + response_delay, math.inf)
    return back
