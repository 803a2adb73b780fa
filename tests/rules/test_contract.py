"""What a plan gives an account (sim.rules.contract), and the rule checks a forecast's state asks for: each
rule once, exact."""

from __future__ import annotations

from sim.rules import Calendar, CreditLedger, PolicyState, ResponseRatePolicy, resolve
from sim.rules.account import over_seat_monthly_limit
from sim.rules.contract import (
    account_labels,
    grant_per_seat,
    has_expired,
    monthly_grant,
    pool_cap,
    pool_size,
    seats_share_one_account,
)
from sim.rules.limits import over_daily_limit, over_first_week_limit
from sim.rules.policy import state_days

from .helpers import MONDAY, make_account


def test_recruiter_seats_share_one_pool_granted_per_seat() -> None:
    rules = resolve("seed")
    assert seats_share_one_account(rules, "recruiter") and pool_size(rules, "recruiter", 4) == 4
    assert monthly_grant(rules, "recruiter", 4) == 4 * 150
    assert pool_cap(rules, "recruiter", 4) == 3 * 4 * 150
    assert account_labels(rules, "recruiter", "team", 4) == ["team"]


def test_single_member_plans_give_each_seat_its_own_account() -> None:
    rules = resolve("seed")
    assert not seats_share_one_account(rules, "premium") and pool_size(rules, "premium", 3) == 1
    assert monthly_grant(rules, "premium", 3) == 5
    assert account_labels(rules, "premium", "job", 3) == ["job-1", "job-2", "job-3"]
    assert account_labels(rules, "premium", "job", 1) == ["job"]


def test_no_cap_without_cap_months() -> None:
    rules = resolve("seed", {"plans": {"recruiter": {"cap_months": None}}})
    assert pool_cap(rules, "recruiter", 2) is None


def test_the_account_asks_the_contract_for_its_grant_and_cap() -> None:
    account = make_account("seed", "recruiter", seats=2)
    assert account.monthly_grant == monthly_grant(account.rules, "recruiter", 2)
    assert account.ledger.cap == pool_cap(account.rules, "recruiter", 2)


def test_a_batch_has_expired_when_its_expiry_time_is_reached() -> None:
    rules = resolve("linkedin-current")
    assert has_expired(rules, "sales_navigator", -90.0)  # exactly 90 days old at day 0
    assert not has_expired(rules, "sales_navigator", -89.5)
    assert not has_expired(resolve("seed"), "recruiter", -1000.0)  # seed batches never expire


def test_daily_limit_is_past_only_above_it() -> None:
    rules = resolve("seed", {"daily_limit": 20})
    assert over_daily_limit(rules, 20) is None and over_daily_limit(rules, 21) == 20
    assert over_daily_limit(resolve("seed", {"daily_limit": None}), 10**9) is None


def test_first_week_limit_counts_only_the_first_week() -> None:
    rules = resolve("seed", {"first_week_limit": 10, "first_week_mode": "rolling_7_days"})
    calendar = Calendar(MONDAY)
    assert over_first_week_limit(rules, calendar, -10, {-10: 6, -4: 4, -3: 50}) is None  # day -3 is after it
    assert over_first_week_limit(rules, calendar, -10, {-10: 6, -5: 5}) == (11, 10)


def test_first_week_of_a_calendar_week_seat_starts_on_its_monday() -> None:
    rules = resolve("seed", {"first_week_limit": 10, "first_week_mode": "calendar_week"})
    calendar = Calendar(MONDAY)  # day 0 a Monday: activation on day -4 (a Thursday) is in the week of day -7
    assert over_first_week_limit(rules, calendar, -4, {-4: 6, -1: 5}) == (11, 10)
    assert over_first_week_limit(rules, calendar, -4, {-4: 6, 0: 5}) is None  # day 0: the next week


def test_seat_monthly_limit_is_past_only_above_it() -> None:
    rules = resolve("seed", {"seat_monthly_limit": 40})
    assert over_seat_monthly_limit(rules, 40) is None and over_seat_monthly_limit(rules, 41) == 40


def test_each_policy_state_lasts_its_rule_days() -> None:
    rules = resolve("seed", {"policy_warning_days": 9, "policy_recheck_days": 3, "policy_restricted_days": 11})
    assert [state_days(rules, s) for s in PolicyState] == [0, 9, 3, 11]


def test_a_resumed_state_began_on_its_since_day() -> None:
    policy = ResponseRatePolicy(resolve("seed"))
    assert policy.since() is None
    policy.resume(PolicyState.RESTRICTED, -5)
    assert policy.since() == -5 and policy.until == -5 + state_days(policy.rules, PolicyState.RESTRICTED)


def test_a_ledger_opened_on_dated_batches_expires_them_by_its_rule() -> None:
    ledger = CreditLedger(cap=None, batch_expiry_days=30.0)
    ledger.open_on([(-25.0, 10), (-5.0, 4)])
    assert [b.expires_at for b in ledger.batches] == [5.0, 25.0]
    assert ledger.expire_due(5.0) == 10 and ledger.balance == 4


def test_an_empty_like_ledger_keeps_the_rules_not_the_credits() -> None:
    ledger = CreditLedger(cap=50, batch_expiry_days=30.0)
    ledger.grant(0.0, 20)
    fresh = ledger.empty_like()
    assert (fresh.cap, fresh.batch_expiry_days, fresh.balance) == (50, 30.0, 0)


def test_each_seat_brings_its_plans_monthly_credits() -> None:
    rules = resolve("seed", {"plans": {"recruiter": {"monthly_credits": 40}}})
    assert grant_per_seat(rules, "recruiter") == 40 and monthly_grant(rules, "recruiter", 3) == 120
