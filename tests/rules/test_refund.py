"""The refund rule (sim/rules/refund.py): exact, one behaviour per test, scalar and batch forms alike."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.rules import resolve
from sim.rules.refund import answered_in_window, credit_back, credit_back_batch, earliest_credit_back

SEED = resolve("seed")
CURRENT = resolve("linkedin-current")


def test_seed_credit_comes_back_at_the_window_end_without_a_response() -> None:
    assert credit_back(SEED, 2.25, None) == 2.25 + 7


def test_seed_response_exactly_at_the_window_end_keeps_the_credit() -> None:
    # the delay 6 + 1 is exactly 7: judged on the delay, not on (sent + 6) + 1 against sent + 7
    sent = 1.9619689608500035
    assert (sent + 6) + 1 > sent + 7  # absolute times would put the response one step after the window
    assert credit_back(SEED, sent, 6.0 + 1.0) is None


def test_seed_response_just_after_the_window_returns_the_credit() -> None:
    assert credit_back(SEED, 0.0, math.nextafter(7.0, math.inf)) == 7.0


def test_current_response_exactly_at_the_window_end_returns_the_credit() -> None:
    assert credit_back(CURRENT, 0.1, 90.0) == 0.1 + 90.0


def test_current_response_after_the_window_keeps_nothing_back() -> None:
    assert credit_back(CURRENT, 0.0, math.nextafter(90.0, math.inf)) is None


def test_current_pending_inmail_earns_nothing() -> None:
    assert credit_back(CURRENT, 3.0, None) is None


def test_both_presets_compare_the_delay_with_the_window_the_same_way() -> None:
    for rules in (SEED, CURRENT):
        window = rules.refund_window_days
        assert answered_in_window(rules, window)
        assert not answered_in_window(rules, math.nextafter(window, math.inf))
        assert not answered_in_window(rules, None)


def test_overridden_window_is_the_one_judged() -> None:
    rules = resolve("seed", {"refund_window_days": 5})
    assert credit_back(rules, 1.0, 5.0) is None
    assert credit_back(rules, 1.0, 5.5) == 6.0


def test_earliest_credit_back_is_the_window_under_seed_and_at_once_under_current() -> None:
    assert earliest_credit_back(SEED) == 7
    assert earliest_credit_back(CURRENT) == 0


@pytest.mark.parametrize("rules", [SEED, CURRENT], ids=["seed", "current"])
@settings(max_examples=60, deadline=None)
@given(
    sent=st.lists(st.floats(0, 400, allow_nan=False), min_size=1, max_size=40),
    delays=st.lists(st.one_of(st.none(), st.floats(0, 200, allow_nan=False)), min_size=40, max_size=40),
)
def test_batch_form_agrees_with_the_scalar_form(rules: object, sent: list[float], delays: list[float | None]) -> None:
    from sim.rules import Rules

    assert isinstance(rules, Rules)
    delays = delays[: len(sent)]
    batch = credit_back_batch(
        rules, np.asarray(sent), np.asarray([math.inf if d is None else d for d in delays], dtype=float)
    )
    for i, (s, d) in enumerate(zip(sent, delays, strict=True)):
        one = credit_back(rules, s, d)
        assert (math.inf if one is None else one) == batch[i]
