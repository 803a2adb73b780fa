"""The response-rate rule ("13% rule") as a per-seat state machine: ok, warning, grace, restricted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sim.rules import BlockReason, Cost, PolicyState, ResponseRatePolicy, resolve
from sim.rules.policy import rate_is_low, rates_are_low, trailing_rates, window_end, window_start

from .helpers import Ids, make_account

OK, WARNING, GRACE, RESTRICTED = PolicyState.OK, PolicyState.WARNING, PolicyState.GRACE, PolicyState.RESTRICTED


def fresh(preset: str = "seed", **overrides: object) -> ResponseRatePolicy:
    return ResponseRatePolicy(resolve(preset, dict(overrides) if overrides else None))


def send(policy: ResponseRatePolicy, day: int, sent: int, responded: int = 0, bulk: bool = True) -> None:
    for _ in range(sent):
        policy.record_send(day, bulk)
    for _ in range(responded):
        policy.record_response(day)


def run(
    policy: ResponseRatePolicy,
    days: int,
    sent: Callable[[int], int] = lambda d: 10,
    responded: Callable[[int], int] = lambda d: 0,
) -> dict[int, PolicyState]:
    """Evaluate at the start of each day 0..days-1, then record that day's sends and responses to them."""
    states = {}
    for d in range(days):
        states[d] = policy.evaluate(d)
        send(policy, d, sent(d), responded(d), bulk=False)
    return states


def days_in(states: dict[int, PolicyState], state: PolicyState) -> list[int]:
    return [d for d, s in states.items() if s is state]


# With 10 sends a day and no response: days 0..9 hold 100 sends, so day 10 starts a 14-day warning (days 10..23),
# day 24 starts the 7-day wait (days 24..30), day 31 re-checks and restricts for 14 days (31..44), day 45 again.


def test_policy_warning_when_rate_below_13_percent_over_100_sent() -> None:
    policy = fresh()
    send(policy, 0, 100, 12)
    assert policy.evaluate(1) is WARNING
    assert policy.until == 15
    assert policy.warnings == 1


def test_policy_no_warning_below_100_sent() -> None:
    policy = fresh()
    send(policy, 0, 99, 0)
    assert policy.evaluate(1) is OK
    assert policy.warnings == 0


def test_policy_rate_exactly_13_percent_is_ok() -> None:
    policy = fresh()
    send(policy, 0, 100, 13)
    assert policy.evaluate(1) is OK


@pytest.mark.parametrize(
    ("sent", "responded", "state"), [(200, 26, OK), (200, 25, WARNING), (700, 91, OK), (700, 90, WARNING)]
)
def test_policy_threshold_is_inclusive_at_13_percent(sent: int, responded: int, state: PolicyState) -> None:
    policy = fresh()
    send(policy, 0, sent, responded)
    assert policy.evaluate(1) is state


@pytest.mark.parametrize(
    ("threshold", "sent", "responded"), [(0.07, 100, 7), (0.14, 50, 7), (0.07, 700, 49), (0.29, 100, 29)]
)
def test_policy_overridden_threshold_is_inclusive(threshold: float, sent: int, responded: int) -> None:
    # exactly at the threshold is ok ("at or above"), one response fewer is low
    policy = fresh(policy_threshold=threshold, policy_min_sent=50)
    send(policy, 0, sent, responded)
    assert policy.evaluate(1) is OK
    policy = fresh(policy_threshold=threshold, policy_min_sent=50)
    send(policy, 0, sent, responded - 1)
    assert policy.evaluate(1) is WARNING


def test_policy_window_is_trailing_14_days() -> None:
    policy = fresh()
    send(policy, 0, 100, 0)
    assert policy.evaluate(14) is WARNING  # days 0..13
    policy = fresh()
    send(policy, 0, 100, 0)
    assert policy.evaluate(15) is OK  # days 1..14: the day-0 sends left the window


def test_policy_does_not_count_the_day_being_started() -> None:
    policy = fresh()
    send(policy, 5, 100, 0)
    assert policy.window_counts(5) == (0, 0)
    assert policy.evaluate(5) is OK
    assert policy.evaluate(6) is WARNING


def test_policy_response_counts_for_the_day_its_inmail_was_sent() -> None:
    policy = fresh()
    send(policy, 0, 100, 0)
    for _ in range(13):
        policy.record_response(0)  # late responses to day-0 InMails
    assert policy.window_counts(3) == (100, 13)
    assert policy.trailing_rate(3) == 0.13
    assert policy.evaluate(3) is OK


def test_policy_trailing_rate_none_without_sends() -> None:
    assert fresh().trailing_rate(10) is None


@pytest.mark.parametrize("preset", ["seed", "linkedin-current"])
def test_policy_recheck_7_days_after_warning_ends(preset: str) -> None:
    states = run(fresh(preset), 32)
    assert days_in(states, OK) == list(range(10))
    assert days_in(states, WARNING) == list(range(10, 24))
    assert days_in(states, GRACE) == list(range(24, 31))
    assert states[31] is RESTRICTED


@pytest.mark.parametrize("preset", ["seed", "linkedin-current"])
def test_policy_restriction_repeats_while_rate_low(preset: str) -> None:
    policy = fresh(preset)
    states = run(policy, 60)
    assert days_in(states, RESTRICTED) == list(range(31, 60))
    assert policy.restrictions == 3  # entered on days 31, 45 and 59
    assert policy.until == 73
    assert policy.warnings == 1


def test_policy_recovery_returns_to_ok() -> None:
    # from day 31 on, 2 responses to each day's 10 sends (20%): the restriction ending on day 45 is not renewed
    policy = fresh()
    states = run(policy, 50, responded=lambda d: 2 if d >= 31 else 0)
    assert days_in(states, RESTRICTED) == list(range(31, 45))
    assert days_in(states, OK)[-5:] == [45, 46, 47, 48, 49]
    assert policy.restrictions == 1


def test_policy_recheck_passes_returns_to_ok_without_restriction() -> None:
    # responses pick up during the warning: at the re-check (day 31) days 17..30 hold 140 sends, 28 responses
    policy = fresh()
    states = run(policy, 35, responded=lambda d: 2 if d >= 10 else 0)
    assert days_in(states, GRACE) == list(range(24, 31))
    assert [states[d] for d in range(31, 35)] == [OK] * 4
    assert policy.restrictions == 0


def test_policy_warns_again_after_recovering() -> None:
    policy = fresh()
    states = run(policy, 50, responded=lambda d: 2 if 10 <= d < 40 else 0)
    # ok again at 31; responses stop after day 39: day 44 holds days 30..43 (140 sent, 20 responses, 14.3%),
    # day 45 holds days 31..44 (140 sent, 18 responses, 12.9%)
    assert states[31] is OK
    assert states[44] is OK
    assert states[45] is WARNING
    assert policy.warnings == 2


def test_policy_recheck_zero_days_goes_straight_to_restriction() -> None:
    policy = fresh(policy_recheck_days=0)
    states = run(policy, 25)
    assert days_in(states, WARNING) == list(range(10, 24))
    assert days_in(states, GRACE) == []
    assert states[24] is RESTRICTED


def test_policy_recheck_zero_days_straight_to_ok_when_recovered() -> None:
    policy = fresh(policy_recheck_days=0)
    states = run(policy, 25, responded=lambda d: 3 if d >= 10 else 0)
    assert states[24] is OK


def test_policy_evaluate_twice_a_day_changes_nothing() -> None:
    policy = fresh()
    send(policy, 0, 100, 0)
    assert policy.evaluate(1) is WARNING
    assert policy.evaluate(1) is WARNING
    assert policy.warnings == 1
    assert policy.until == 15


def test_policy_restricted_blocks_bulk_allows_25_one_to_one() -> None:
    policy = fresh()
    run(policy, 31)
    assert policy.evaluate(31) is RESTRICTED
    assert not policy.allows(31, bulk=True)
    for _ in range(25):
        assert policy.allows(31, bulk=False)
        policy.record_send(31, bulk=False)
    assert not policy.allows(31, bulk=False)
    assert policy.allows(32, bulk=False)  # a new day, a new allowance
    assert not policy.allows(32, bulk=True)


@pytest.mark.parametrize(("state", "day"), [(OK, 0), (WARNING, 10), (GRACE, 24)])
def test_policy_only_restricted_blocks_bulk(state: PolicyState, day: int) -> None:
    policy = fresh()
    states = run(policy, day + 1)
    assert states[day] is state is policy.state
    assert policy.allows(day, bulk=True)


def test_policy_values_overridable_via_resolve() -> None:
    policy = fresh(
        "linkedin-current",
        policy_threshold=0.2,
        policy_min_sent=50,
        policy_window_days=7,
        policy_warning_days=3,
        policy_recheck_days=2,
        policy_restricted_days=5,
        policy_restricted_daily_allowance=1,
    )
    send(policy, 0, 50, 9)  # 18% < 20%, 50 >= 50
    assert policy.evaluate(1) is WARNING
    assert policy.until == 4
    assert policy.evaluate(4) is GRACE
    assert policy.until == 6
    # day 6: the window is days -1..5, which still holds day 0
    assert policy.evaluate(6) is RESTRICTED
    assert policy.until == 11
    assert policy.allows(6, bulk=False)
    policy.record_send(6, bulk=False)
    assert not policy.allows(6, bulk=False)
    assert policy.evaluate(11) is OK  # window 4..10: 1 sent < 50


def test_policy_overridden_window_drops_old_sends() -> None:
    policy = fresh(policy_window_days=7)
    send(policy, 0, 100, 0)
    assert policy.evaluate(7) is WARNING
    policy = fresh(policy_window_days=7)
    send(policy, 0, 100, 0)
    assert policy.evaluate(8) is OK


# --- through the account -----------------------------------------------------------------------------------------


def test_policy_restricted_seat_via_account() -> None:
    # current: open-profile InMails are free and count in the response rate; 10 a day without responses
    acc = make_account("linkedin-current", "recruiter")
    acc.grant(0)
    ids = Ids()
    for day in range(31):
        acc.start_day(day)
        for i in range(10):
            assert acc.try_send(day + i / 100, 1, ids(), open_profile=True, bulk=False).allowed
    assert acc.start_day(31) == {1: RESTRICTED}
    assert acc.try_send(31.1, 1, ids()).reason is BlockReason.POLICY_RESTRICTED  # bulk
    for i in range(25):
        assert acc.try_send(31.2 + i / 1000, 1, ids(), bulk=False).cost is Cost.CREDIT
    assert acc.try_send(31.5, 1, ids(), bulk=False).reason is BlockReason.POLICY_RESTRICTED
    assert acc.start_day(32) == {1: RESTRICTED}
    assert acc.try_send(32.1, 1, ids(), bulk=False).cost is Cost.CREDIT
    assert acc.ledger.balance == 150 - 26


def test_policy_counts_responses_via_account() -> None:
    acc = make_account("linkedin-current", "recruiter")
    acc.grant(0)
    ids = Ids()
    for i in range(100):
        assert acc.try_send(i / 1000, 1, ids()).cost is Cost.CREDIT
    for i in range(12):
        assert acc.counts_as_response("quick_reply")
        acc.response(1, i / 1000)
    assert acc.seats[1].policy.window_counts(6) == (100, 12)
    acc.response(1, 13 / 1000)
    assert acc.start_day(6) == {1: OK}  # 13 of 100


def test_policy_block_comes_before_other_limits() -> None:
    acc = make_account(
        "seed",
        "recruiter",
        overrides={"policy_min_sent": 1, "policy_window_days": 30, "plans.recruiter.monthly_credits": 1},
    )
    acc.grant(0)
    assert acc.try_send(0.5, 1, 1).cost is Cost.CREDIT
    assert acc.start_day(1) == {1: WARNING}  # 1 sent, 0 responses
    assert acc.start_day(15) == {1: GRACE}
    assert acc.start_day(22) == {1: RESTRICTED}
    # out of credit and restricted: a bulk send is refused as restricted, a one-to-one one for want of credit
    assert acc.try_send(22.5, 1, 2).reason is BlockReason.POLICY_RESTRICTED
    assert acc.try_send(22.6, 1, 3, bulk=False).reason is BlockReason.NO_CREDIT


# --- batch forms: the trailing rate and the low-rate test --------------------------------------------------------


def test_rates_are_low_agrees_with_rate_is_low() -> None:
    rules = resolve("seed")
    sent = np.array([0, 99, 100, 100, 100, 250, 1000])
    responded = np.array([0, 0, 12, 13, 14, 32, 129])
    batch = rates_are_low(rules, sent, responded)
    assert batch.tolist() == [rate_is_low(rules, int(s), int(r)) for s, r in zip(sent, responded, strict=True)]
    assert batch.tolist() == [False, False, True, False, False, True, True]


def test_exactly_the_threshold_is_not_low() -> None:
    rules = resolve("seed", {"policy_threshold": 0.07})
    assert not rate_is_low(rules, 100, 7)
    assert not rates_are_low(rules, np.array([100]), np.array([7]))[0]


def test_trailing_rates_agree_with_trailing_rate() -> None:
    policy = ResponseRatePolicy(resolve("seed"))
    policy.record_sends(3, 40, one_to_one=0)
    for _ in range(9):
        policy.record_response(3)
    sent, responded = policy.window_counts(5)
    assert trailing_rates(np.array([sent, 0]), np.array([responded, 0]))[0] == policy.trailing_rate(5) == 9 / 40
    assert np.isnan(trailing_rates(np.array([0]), np.array([0]))[0]) and policy.trailing_rate(40) is None


def test_one_to_one_room_counts_down_a_restricted_seats_allowance() -> None:
    policy = ResponseRatePolicy(resolve("seed"))
    policy.state = PolicyState.RESTRICTED
    assert policy.one_to_one_room(8) == 25
    policy.record_sends(8, 10, one_to_one=10)
    assert policy.one_to_one_room(8) == 15 and policy.allows(8, bulk=False) and not policy.allows(8, bulk=True)
    assert policy.one_to_one_room(9) == 25


def test_window_start_follows_the_window_rule_value() -> None:
    assert window_start(resolve("seed"), 20) == 6
    assert window_start(resolve("seed", {"policy_window_days": 30}), 20) == -10


# --- the rule's reading: responses so far, or matured InMails only ----------------------------------------------


def test_matured_reading_leaves_out_inmails_younger_than_the_maturity_lag() -> None:
    rules = resolve("seed", {"policy_reading": "matured", "policy_maturity_days": 7})
    policy = ResponseRatePolicy(rules)
    policy.record_sends(2, 50, one_to_one=0)  # 28 days before day 30: outside the window
    policy.record_sends(10, 120, one_to_one=0)  # in [day 9, day 23): counted
    policy.record_sends(25, 300, one_to_one=0)  # younger than 7 days at day 30: not yet counted
    for _ in range(20):
        policy.record_response(10)
    assert (window_start(rules, 30), window_end(rules, 30)) == (9, 23)
    assert policy.window_counts(30) == (120, 20)


def test_responses_so_far_reading_counts_the_whole_trailing_window() -> None:
    rules = resolve("seed")
    policy = ResponseRatePolicy(rules)
    policy.record_sends(25, 300, one_to_one=0)
    assert (window_start(rules, 30), window_end(rules, 30)) == (16, 30)
    assert policy.window_counts(30) == (300, 0)


def test_matured_reading_does_not_judge_a_fresh_blast() -> None:
    """300 InMails sent yesterday with no answer yet are judged low under responses_so_far, not when matured."""
    so_far = resolve("seed")
    matured = resolve("seed", {"policy_reading": "matured"})
    for rules, low in ((so_far, True), (matured, False)):
        policy = ResponseRatePolicy(rules)
        policy.record_sends(29, 300, one_to_one=0)
        assert policy.evaluate(30) is (PolicyState.WARNING if low else PolicyState.OK)
