"""The InMail report's rule (sim/rules/report.py): a response shows in the report only within the report
window (linkedin-current: 30 days), exactly at its boundary; without a window, whenever it came."""

from __future__ import annotations

import math

import numpy as np

from sim.rules import preset
from sim.rules.presets import value_source
from sim.rules.report import report_window, reported_answered

CURRENT = preset("linkedin-current")
SEED = preset("seed")


def test_report_window_is_30_days_under_linkedin_current_from_the_help_pages() -> None:
    assert report_window(CURRENT) == 30.0
    assert value_source("linkedin-current", "report_window_days") == "H"


def test_report_window_is_none_under_seed_as_a_design_decision() -> None:
    assert report_window(SEED) is None
    assert value_source("seed", "report_window_days") == "D"


def test_a_response_exactly_at_the_window_shows_in_the_report() -> None:
    sent = np.array([0.3, 12.75, 40.1])
    responded = sent + 30.0
    assert reported_answered(CURRENT, sent, responded).tolist() == [True, True, True]


def test_a_response_after_the_window_stays_pending_in_the_report() -> None:
    sent = np.array([0.3, 12.75])
    responded = sent + np.array([30.0001, 45.0])
    assert reported_answered(CURRENT, sent, responded).tolist() == [False, False]


def test_no_response_never_shows_as_answered() -> None:
    sent = np.array([1.0, 2.0])
    responded = np.array([math.nan, math.inf])
    assert reported_answered(CURRENT, sent, responded).tolist() == [False, False]
    assert reported_answered(SEED, sent, responded).tolist() == [False, False]


def test_without_a_window_every_response_shows_whenever_it_came() -> None:
    sent = np.array([0.0, 0.0])
    responded = np.array([2.0, 300.0])
    assert reported_answered(SEED, sent, responded).tolist() == [True, True]


def test_an_overridden_window_is_the_one_applied() -> None:
    rules = CURRENT.model_copy(update={"report_window_days": 7})
    sent = np.array([0.0, 0.0])
    assert reported_answered(rules, sent, np.array([7.0, 7.5])).tolist() == [True, False]
