"""What the rules say about how a message reaches a candidate: the automatic reminder of an unread InMail
(`reminder_after_days`, linkedin-current) and how much less an email is answered than an InMail
(`inmail_vs_email`). Scalar and batch forms side by side; the behaviour models ask these."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .presets import Rules

FloatArray = npt.NDArray[np.float64]


def email_response_probability(rules: Rules, inmail_probability: float) -> float:
    """The chance an email is answered, given the chance the same message as an InMail is."""
    return inmail_probability / rules.inmail_vs_email


def read_wait(rules: Rules, wait: float, after_reminder: float) -> float:
    """Days from sending to reading: `wait` without a reminder; where the rules send one to an InMail still
    unread, the candidate reads it `after_reminder` days after it (inf: the reminder goes unnoticed)."""
    remind = rules.reminder_after_days
    if remind is None or wait <= remind:
        return wait
    return min(wait, remind + after_reminder)


def read_waits(rules: Rules, wait: FloatArray, after_reminder: FloatArray) -> FloatArray:
    """`read_wait` for arrays."""
    remind = rules.reminder_after_days
    if remind is None:
        return wait
    waits: FloatArray = np.where(wait > remind, np.minimum(wait, remind + after_reminder), wait)
    return waits
