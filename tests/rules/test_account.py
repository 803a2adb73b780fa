"""The account: plan, pool, grants, refunds, free messages and the "may this seat send now" question."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sim.rules import (
    Account,
    BlockReason,
    Calendar,
    Cost,
    Decision,
    LedgerError,
    LedgerRow,
    Movement,
    PolicyState,
    UnknownPlanError,
    resolve,
)
from sim.rules.account import record_day
from sim.rules.contract import seats_share_one_account

from .helpers import MONDAY, Ids, make_account

SEED = "seed"
CURRENT = "linkedin-current"


# --- construction ------------------------------------------------------------------------------------------------


def test_account_needs_at_least_one_seat() -> None:
    with pytest.raises(ValueError, match="at least one seat"):
        Account(resolve(SEED), "recruiter", Calendar(MONDAY), [], [])


def test_account_needs_an_activation_day_per_seat() -> None:
    with pytest.raises(ValueError, match="one activation day per seat"):
        Account(resolve(SEED), "recruiter", Calendar(MONDAY), [1, 2], [0])


@pytest.mark.parametrize(
    ("preset", "plan"), [(SEED, "premium"), (SEED, "sales_navigator_team"), (CURRENT, "recruiter_lite")]
)
def test_single_member_plan_cannot_have_two_seats(preset: str, plan: str) -> None:
    with pytest.raises(ValueError, match="held by one member"):
        make_account(preset, plan, seats=2)


@pytest.mark.parametrize(("preset", "plan"), [(SEED, "premium_business"), (CURRENT, "sales_navigator_team")])
def test_account_on_a_plan_not_in_preset_is_an_error(preset: str, plan: str) -> None:
    with pytest.raises(UnknownPlanError):
        make_account(preset, plan)


def test_account_via_alias_uses_the_plan() -> None:
    acc = make_account(SEED, "premium_career")
    assert acc.plan_name == "premium_career"
    assert acc.monthly_grant == 5
    assert acc.ledger.cap == 15


# --- grants: how many, when -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "plan", "seats", "grant", "cap", "expiry"),
    [
        (SEED, "free", 1, 0, None, None),
        (SEED, "premium", 1, 5, 15, None),
        (SEED, "sales_navigator", 1, 20, 60, None),
        (SEED, "sales_navigator_team", 1, 30, 90, None),
        (SEED, "recruiter", 1, 150, 450, None),
        (SEED, "recruiter", 20, 3000, 9000, None),
        (CURRENT, "free", 1, 0, None, None),
        (CURRENT, "premium_career", 1, 5, 15, 90),
        (CURRENT, "premium_business", 1, 15, 45, 90),
        (CURRENT, "sales_navigator", 1, 50, 150, 90),
        (CURRENT, "recruiter_lite", 1, 30, 120, 90),
        (CURRENT, "recruiter", 1, 150, 600, None),
        (CURRENT, "recruiter", 3, 450, 1800, None),
        (CURRENT, "recruiter_professional_services", 3, 300, 1200, None),
    ],
)
def test_monthly_grant_cap_and_expiry_of_each_plan(
    preset: str, plan: str, seats: int, grant: int, cap: int | None, expiry: int | None
) -> None:
    acc = make_account(preset, plan, seats)
    assert acc.monthly_grant == grant
    assert acc.ledger.cap == cap
    assert acc.ledger.batch_expiry_days == expiry
    assert acc.grant(0) == grant
    assert acc.ledger.balance == grant


@pytest.mark.parametrize(("preset", "seats", "grant"), [(SEED, 3, 450), (CURRENT, 3, 450), (CURRENT, 7, 1050)])
def test_recruiter_pool_is_150_per_seat(preset: str, seats: int, grant: int) -> None:
    acc = make_account(preset, "recruiter", seats)
    assert acc.grant(0) == grant
    assert acc.ledger.balance == grant


def test_current_recruiter_professional_services_pool_is_100_per_seat() -> None:
    acc = make_account(CURRENT, "recruiter_professional_services", 4)
    assert acc.grant(0) == 400


def test_grant_on_billing_day_for_premium() -> None:
    # billed from Saturday 20 January 2024: 20 Jan, 20 Feb, 20 Mar, 20 Apr
    acc = make_account(SEED, "premium", contract=date(2024, 1, 20))
    assert acc.grant_days(120) == [19, 50, 79, 110]
    acc = make_account(CURRENT, "premium_career", contract=date(2024, 1, 20))
    assert acc.grant_days(120) == [19, 50, 79, 110]


def test_grant_on_first_of_month_for_sales_navigator() -> None:
    # subscribed 20 January 2024: the first credits on subscribing, then on each 1st: 1 Feb, 1 Mar, 1 Apr
    acc = make_account(SEED, "sales_navigator", contract=date(2024, 1, 20))
    assert acc.grant_days(120) == [19, 31, 60, 91]
    acc = make_account(CURRENT, "sales_navigator", contract=date(2024, 1, 20))
    assert acc.grant_days(120) == [19, 31, 60, 91]


def test_grant_on_first_of_month_from_a_first_of_month_start() -> None:
    acc = make_account(SEED, "sales_navigator_team")
    assert acc.grant_days(92) == [0, 31, 60, 91]


def test_grant_on_first_of_month_when_subscribed_before_the_simulation() -> None:
    acc = make_account(SEED, "sales_navigator", contract=date(2023, 12, 15))
    assert acc.grant_days(61) == [0, 31, 60]


def test_grant_on_contract_date_for_recruiter() -> None:
    acc = make_account(SEED, "recruiter", seats=3, contract=date(2024, 1, 20))
    assert acc.grant_days(120) == [19, 50, 79, 110]
    acc = make_account(CURRENT, "recruiter", seats=3, contract=date(2024, 1, 20))
    assert acc.grant_days(120) == [19, 50, 79, 110]


def test_grant_day_clamped_to_month_end() -> None:
    # contract 31 January 2023: 31 Jan, 28 Feb, 31 Mar, 30 Apr
    acc = make_account(SEED, "recruiter", start=date(2023, 1, 1), contract=date(2023, 1, 31))
    assert acc.grant_days(120) == [30, 58, 89, 119]


def test_grant_day_clamped_to_29_february_in_a_leap_year() -> None:
    acc = make_account(CURRENT, "premium_career", start=date(2024, 1, 31))
    assert acc.grant_days(61) == [0, 29, 60]


def test_account_start_defaults_to_the_calendar_start() -> None:
    acc = make_account(SEED, "premium", start=date(2024, 3, 15))
    assert acc.start == date(2024, 3, 15)
    assert acc.grant_days(62) == [0, 31, 61]


# --- how long credits last -------------------------------------------------------------------------------------


def test_seed_premium_holds_at_most_15() -> None:
    acc = make_account(SEED, "premium")
    assert [acc.grant(d) for d in acc.grant_days(120)] == [5, 5, 5, 0]  # 1 Jan, 1 Feb, 1 Mar, 1 Apr
    assert acc.ledger.balance == 15
    assert acc.ledger.totals[Movement.FORFEIT] == 5
    acc.ledger.check()


def test_seed_sales_navigator_holds_at_most_60() -> None:
    acc = make_account(SEED, "sales_navigator")
    assert [acc.grant(d) for d in acc.grant_days(120)] == [20, 20, 20, 0]
    assert acc.ledger.balance == 60
    assert acc.ledger.totals[Movement.FORFEIT] == 20


def test_seed_sales_navigator_team_holds_at_most_90() -> None:
    acc = make_account(SEED, "sales_navigator_team")
    for d in acc.grant_days(120):
        acc.grant(d)
    assert acc.ledger.balance == 90
    assert acc.ledger.totals[Movement.FORFEIT] == 30


def test_seed_recruiter_pool_holds_at_most_3_months() -> None:
    acc = make_account(SEED, "recruiter", seats=2)
    for d in acc.grant_days(120):
        acc.grant(d)
    assert acc.ledger.balance == 900
    assert acc.ledger.totals[Movement.FORFEIT] == 300


def test_seed_credits_never_expire() -> None:
    acc = make_account(SEED, "premium")
    acc.grant(0)
    assert acc.try_send(1000, 1, 1).cost is Cost.CREDIT
    assert acc.ledger.totals[Movement.EXPIRE] == 0


def test_seed_partial_month_fills_the_cap() -> None:
    acc = make_account(SEED, "premium")
    ids = Ids()
    acc.grant(0)
    acc.grant(31)
    acc.try_send(40, 1, ids())
    acc.try_send(41, 1, ids())
    acc.grant(60)  # 8 + 5 = 13
    assert acc.grant(91) == 2  # 13 + 2 = 15, 3 forfeited
    assert acc.ledger.totals[Movement.FORFEIT] == 3


def test_current_batch_expires_after_90_days() -> None:
    acc = make_account(CURRENT, "premium_career")
    acc.grant(0)
    acc.grant(31)
    assert acc.try_send(89.9, 1, 1).cost is Cost.CREDIT  # from the day-0 batch, which keeps 4
    assert acc.try_send(90.0, 1, 2).cost is Cost.CREDIT  # the day-0 batch expired first: from the day-31 batch
    assert acc.ledger.balance == 4
    assert [r for r in acc.ledger.rows if r.kind is Movement.EXPIRE] == [LedgerRow(90, Movement.EXPIRE, 4, None, None)]


@pytest.mark.parametrize(
    ("plan", "grant"),
    [("premium_career", 5), ("premium_business", 15), ("sales_navigator", 50), ("recruiter_lite", 30)],
)
def test_current_unspent_grant_is_gone_after_90_days(plan: str, grant: int) -> None:
    acc = make_account(CURRENT, plan)
    acc.grant(0)
    assert acc.try_send(90.0, 1, 1).reason is BlockReason.NO_CREDIT
    assert acc.ledger.totals[Movement.EXPIRE] == grant
    acc.ledger.check()


def test_current_premium_holds_three_grants_at_most() -> None:
    acc = make_account(CURRENT, "premium_career")
    for d in acc.grant_days(122):  # 1 Jan, 1 Feb, 1 Mar, 1 Apr, 1 May
        acc.grant(d)
    # the 1 Jan batch expired on day 90 and the 1 Feb batch on day 121, before the 1 May grant
    assert acc.ledger.balance == 15
    assert acc.ledger.totals[Movement.EXPIRE] == 10
    assert acc.ledger.totals[Movement.FORFEIT] == 0


def test_current_recruiter_capped_at_4x_monthly_at_refresh() -> None:
    acc = make_account(CURRENT, "recruiter", seats=2)  # 300 a month, cap 1200
    days = acc.grant_days(153)  # 1 Jan, 1 Feb, 1 Mar, 1 Apr, 1 May, 1 Jun
    assert days == [0, 31, 60, 91, 121, 152]
    assert [acc.grant(d) for d in days[:5]] == [300, 300, 300, 300, 0]
    assert acc.ledger.balance == 1200
    ids = Ids()
    for i in range(100):
        acc.try_send(130 + i / 1000, 1 + i % 2, ids())
    assert acc.grant(152) == 100  # tops back up to 1200, 200 forfeited
    assert acc.ledger.balance == 1200
    assert acc.ledger.totals[Movement.FORFEIT] == 500
    assert acc.ledger.totals[Movement.EXPIRE] == 0


@pytest.mark.parametrize(
    ("preset", "plan", "shared"),
    [
        (SEED, "recruiter", True),
        (SEED, "premium", False),
        (SEED, "premium_career", False),  # an alias of premium
        (SEED, "sales_navigator", False),
        (SEED, "sales_navigator_team", False),
        (CURRENT, "recruiter", True),
        (CURRENT, "recruiter_professional_services", True),
        (CURRENT, "recruiter_lite", False),
        (CURRENT, "premium_business", False),
    ],
)
def test_seats_share_one_account_only_on_contract_plans(preset: str, plan: str, shared: bool) -> None:
    """A contract's seats are one account (credits per seat into one pool); other plans are one member each."""
    assert seats_share_one_account(resolve(preset), plan) is shared


def test_seats_share_one_account_follows_the_plans_rule_value() -> None:
    assert seats_share_one_account(resolve(SEED, {"plans.premium.per_seat": True}), "premium") is True
    assert seats_share_one_account(resolve(SEED, {"plans.recruiter.per_seat": False}), "recruiter") is False


# --- who may spend them --------------------------------------------------------------------------------------------


def test_recruiter_pool_shared_by_all_seats() -> None:
    acc = make_account(SEED, "recruiter", seats=2, overrides={"plans.recruiter.monthly_credits": 2})
    acc.grant(0)  # 2 seats x 2 = 4 credits in one pool
    ids = Ids()
    assert [acc.try_send(1 + i / 10, 1, ids()).cost for i in range(3)] == [Cost.CREDIT] * 3
    assert acc.try_send(2, 2, ids()).cost is Cost.CREDIT
    assert acc.try_send(3, 2, ids()).reason is BlockReason.NO_CREDIT
    assert acc.try_send(3, 1, ids()).reason is BlockReason.NO_CREDIT
    assert [r.seat for r in acc.ledger.rows if r.kind is Movement.SPEND] == [1, 1, 1, 2]


def test_seat_monthly_limit_inside_pool() -> None:
    acc = make_account(CURRENT, "recruiter", seats=2, overrides={"seat_monthly_limit": 2})
    acc.grant(0)  # 300 in the pool
    ids = Ids()
    assert acc.try_send(1.0, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(1.1, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(1.2, 1, ids()).reason is BlockReason.SEAT_CREDIT_LIMIT
    assert acc.try_send(1.3, 2, ids()).cost is Cost.CREDIT  # the other seat has its own limit
    assert acc.try_send(1.4, 2, ids()).cost is Cost.CREDIT
    assert acc.try_send(1.5, 2, ids()).reason is BlockReason.SEAT_CREDIT_LIMIT
    assert acc.ledger.balance == 296
    acc.grant(31)  # a new period
    assert acc.try_send(31.5, 1, ids()).cost is Cost.CREDIT
    assert acc.ledger.balance == 595


def test_seat_monthly_limit_does_not_apply_to_free_inmails() -> None:
    acc = make_account(CURRENT, "recruiter", overrides={"seat_monthly_limit": 0})
    acc.grant(0)
    assert acc.try_send(1, 1, 1).reason is BlockReason.SEAT_CREDIT_LIMIT
    assert acc.try_send(1, 1, 2, open_profile=True).cost is Cost.OPEN_PROFILE
    assert acc.try_send(1, 1, 3, first_degree=True).cost is Cost.CONNECTION
    assert acc.ledger.balance == 150


def test_no_credit_reason_when_pool_empty() -> None:
    acc = make_account(SEED, "recruiter", seats=2, overrides={"plans.recruiter.monthly_credits": 1})
    ids = Ids()
    assert acc.try_send(0.5, 1, ids()) == Decision(None, BlockReason.NO_CREDIT)  # nothing granted yet
    acc.grant(1)
    assert acc.try_send(1.5, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(1.6, 2, ids()).cost is Cost.CREDIT
    decision = acc.try_send(1.7, 2, ids())
    assert decision.reason is BlockReason.NO_CREDIT
    assert not decision.allowed
    assert decision.cost is None
    assert acc.inmails_sent == 2
    assert acc.seats[2].policy.window_counts(2) == (1, 0)  # the refused InMail is not counted


@pytest.mark.parametrize("preset", [SEED, CURRENT])
def test_free_plan_has_no_credit(preset: str) -> None:
    acc = make_account(preset, "free")
    assert acc.grant(0) == 0
    assert acc.try_send(1, 1, 1).reason is BlockReason.NO_CREDIT


# --- connections and Open Profile ------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", [SEED, CURRENT])
def test_first_degree_message_needs_no_credit(preset: str) -> None:
    acc = make_account(preset, "free")
    decision = acc.try_send(0.5, 1, 1, first_degree=True)
    assert decision == Decision(Cost.CONNECTION)
    assert decision.allowed
    assert acc.ledger.rows == []
    assert acc.free_sent == 1
    assert acc.inmails_sent == 0


def test_first_degree_message_is_not_an_inmail_for_limits_or_policy() -> None:
    acc = make_account(SEED, "premium", overrides={"daily_limit": 1})
    acc.grant(0)
    assert acc.try_send(0.1, 1, 1).cost is Cost.CREDIT
    assert acc.try_send(0.2, 1, 2).reason is BlockReason.DAILY_LIMIT
    assert acc.try_send(0.3, 1, 3, first_degree=True).cost is Cost.CONNECTION
    assert acc.seats[1].limits.sent_today == 1
    assert acc.seats[1].policy.window_counts(1) == (1, 0)


def test_first_degree_costs_a_credit_when_overridden() -> None:
    acc = make_account(SEED, "premium", overrides={"first_degree_free": False})
    assert acc.try_send(0.5, 1, 1, first_degree=True).reason is BlockReason.NO_CREDIT
    acc.grant(1)
    assert acc.try_send(1.5, 1, 2, first_degree=True).cost is Cost.CREDIT


def test_seed_open_profile_costs_a_credit() -> None:
    acc = make_account(SEED, "premium")
    assert acc.try_send(0.5, 1, 1, open_profile=True).reason is BlockReason.NO_CREDIT
    acc.grant(1)
    assert acc.try_send(1.5, 1, 2, open_profile=True).cost is Cost.CREDIT
    assert acc.ledger.balance == 4


def test_current_open_profile_free_up_to_monthly_allowance() -> None:
    acc = make_account(CURRENT, "premium_career")
    acc.grant(0)
    ids = Ids()
    for i in range(800):  # January: days 0..30
        assert acc.try_send(i / 30, 1, ids(), open_profile=True).cost is Cost.OPEN_PROFILE
    assert acc.ledger.balance == 5
    assert acc.try_send(30.9, 1, ids(), open_profile=True).cost is Cost.CREDIT  # the 801st in January
    assert acc.ledger.balance == 4
    assert acc.try_send(31.0, 1, ids(), open_profile=True).cost is Cost.OPEN_PROFILE  # 1 February: a new month
    assert acc.free_sent == 801
    assert acc.inmails_sent == 802


def test_current_open_profile_allowance_is_per_seat() -> None:
    acc = make_account(CURRENT, "recruiter", seats=2, overrides={"open_profile_monthly_allowance": 1})
    acc.grant(0)
    assert acc.try_send(1, 1, 1, open_profile=True).cost is Cost.OPEN_PROFILE
    assert acc.try_send(1, 1, 2, open_profile=True).cost is Cost.CREDIT
    assert acc.try_send(1, 2, 3, open_profile=True).cost is Cost.OPEN_PROFILE


def test_current_open_profile_unlimited_without_allowance() -> None:
    acc = make_account(CURRENT, "premium_career", overrides={"open_profile_monthly_allowance": None})
    ids = Ids()
    for i in range(2000):
        assert acc.try_send(i / 100, 1, ids(), open_profile=True).cost is Cost.OPEN_PROFILE


def test_current_open_profile_counts_in_response_rate() -> None:
    acc = make_account(CURRENT, "premium_career")
    assert acc.try_send(0.5, 1, 1, open_profile=True).cost is Cost.OPEN_PROFILE
    assert acc.seats[1].policy.window_counts(1) == (1, 0)
    acc.response(1, 0.5)
    assert acc.seats[1].policy.window_counts(1) == (1, 1)


# --- refunds -----------------------------------------------------------------------------------------------------


def test_seed_refund_when_no_response_within_7_days() -> None:
    acc = make_account(SEED, "premium")
    acc.grant(0)
    assert acc.try_send(1.5, 1, 1).cost is Cost.CREDIT
    assert acc.ledger.balance == 4
    assert acc.credit_back(1.5, None) == 8.5
    assert acc.refund(8.5, 1) == 1
    assert acc.ledger.balance == 5
    assert acc.ledger.rows[-1] == LedgerRow(8.5, Movement.REFUND, 1, 1, 1)
    assert acc.ledger.was_refunded(1)


def test_seed_no_refund_when_response_within_7_days() -> None:
    acc = make_account(SEED, "premium")
    assert acc.credit_back(1.5, 2.5) is None
    assert acc.credit_back(1.5, 7.0) is None  # exactly 7 days later is within the window


def test_seed_refund_when_the_response_comes_after_7_days() -> None:
    acc = make_account(SEED, "premium")
    assert acc.credit_back(1.5, 7.25) == 8.5


def test_seed_decline_counts_as_response() -> None:
    acc = make_account(SEED, "premium")
    assert acc.counts_as_response("declined")
    assert acc.counts_as_response("accepted")
    acc.grant(0)
    acc.try_send(1.5, 1, 1)
    acc.response(1, 1.5)
    assert acc.seats[1].policy.window_counts(2) == (1, 1)


def test_seed_quick_reply_is_not_a_response() -> None:
    acc = make_account(SEED, "premium")
    assert not acc.counts_as_response("quick_reply")
    # so an InMail answered only by a quick reply had no counting response: its credit comes back
    assert acc.credit_back(1.5, None) == 8.5


def test_seed_refund_subject_to_cap_and_excess_forfeited() -> None:
    acc = make_account(SEED, "premium")
    for d in (0, 31, 60):
        acc.grant(d)  # 15, the cap
    acc.try_send(60.5, 1, 1)  # 14
    acc.grant(61)  # back to 15: 4 forfeited
    assert acc.refund(67.5, 1) == 0
    assert acc.ledger.balance == 15
    assert acc.ledger.totals[Movement.REFUND] == 1
    assert acc.ledger.totals[Movement.FORFEIT] == 5
    acc.ledger.check()


def test_seed_refund_twice_is_an_error() -> None:
    acc = make_account(SEED, "premium")
    acc.grant(0)
    acc.try_send(1.5, 1, 1)
    acc.refund(8.5, 1)
    with pytest.raises(LedgerError, match="already refunded"):
        acc.refund(8.5, 1)
    assert acc.ledger.balance == 5


def test_current_credit_back_on_decline_within_90_days() -> None:
    acc = make_account(CURRENT, "recruiter")
    acc.grant(0)
    acc.try_send(1.0, 1, 1)
    assert acc.ledger.balance == 149
    assert acc.credit_back(1.0, 90.0) == 91.0  # exactly 90 days later
    acc.refund(91.0, 1)
    assert acc.ledger.balance == 150
    assert acc.ledger.rows[-1] == LedgerRow(91.0, Movement.REFUND, 1, 1, 1)


def test_current_credit_back_on_accept_within_90_days() -> None:
    acc = make_account(CURRENT, "recruiter")
    assert acc.credit_back(1.0, 1.0) == 2.0


def test_current_quick_reply_counts_as_response() -> None:
    acc = make_account(CURRENT, "recruiter")
    assert acc.counts_as_response("quick_reply")
    acc.grant(0)
    acc.try_send(1.0, 1, 1)
    acc.response(1, 1.0)
    assert acc.seats[1].policy.window_counts(2) == (1, 1)


def test_current_no_credit_back_after_90_days() -> None:
    acc = make_account(CURRENT, "recruiter")
    assert acc.credit_back(1.0, 90.01) is None


def test_current_no_credit_back_when_pending() -> None:
    acc = make_account(CURRENT, "recruiter")
    assert acc.credit_back(1.0, None) is None


def test_current_credit_back_returns_as_new_batch_that_expires() -> None:
    acc = make_account(CURRENT, "premium_career")
    acc.grant(0)
    acc.try_send(1.0, 1, 1)
    assert acc.credit_back(1.0, 79.0) == 80.0
    assert acc.refund(80.0, 1) == 1  # a new batch dated day 80
    assert acc.ledger.expire_due(90) == 4  # the grant's batch
    assert acc.ledger.balance == 1
    assert acc.ledger.expire_due(169.9) == 0
    assert acc.ledger.expire_due(170) == 1  # the refund's batch, 90 days after the refund
    assert acc.ledger.balance == 0


def test_current_credit_back_twice_is_an_error() -> None:
    acc = make_account(CURRENT, "recruiter")
    acc.grant(0)
    acc.try_send(1.0, 1, 1)
    acc.refund(2.0, 1)
    before = (acc.ledger.balance, dict(acc.ledger.totals))
    with pytest.raises(LedgerError, match="already refunded"):
        acc.refund(3.0, 1)
    assert (acc.ledger.balance, dict(acc.ledger.totals)) == before  # the refused call changed nothing
    assert acc.ledger.balance == 150


def test_refund_rule_override_swaps_behaviour() -> None:
    acc = make_account(SEED, "premium", overrides={"refund_rule": "response", "refund_window_days": 90})
    acc.grant(0)
    acc.try_send(1.0, 1, 1)
    assert acc.credit_back(1.0, None) is None  # pending earns nothing under the response rule
    assert acc.credit_back(1.0, 4.0) == 5.0
    acc.refund(5.0, 1)
    assert acc.ledger.balance == 5


# --- the day start -------------------------------------------------------------------------------------------------


def test_start_day_reports_every_seats_state() -> None:
    acc = make_account(CURRENT, "recruiter", seats=3)
    assert acc.start_day(0) == {1: "ok", 2: "ok", 3: "ok"}


def test_record_day_counts_what_record_sends_counts_seat_by_seat() -> None:
    """The batch form of Seat.record_sends leaves every seat's limits, credits, Open Profile and policy counts
    as recording each seat on its own does (one seat restricted: its one-to-one InMails are counted)."""
    batch = make_account(CURRENT, "recruiter", seats=3, activation=[0, 2, 0], overrides={"first_week_limit": 50})
    single = make_account(CURRENT, "recruiter", seats=3, activation=[0, 2, 0], overrides={"first_week_limit": 50})
    for acc in (batch, single):
        acc.seats[3].policy.state = PolicyState.RESTRICTED
    inmails, credits, opened, bulk = ([0, 9, 4, 6], [0, 7, 4, 6], [0, 2, 0, 0], [0, 9, 1, 0])
    record_day([None, *batch.seats.values()], 3, *(np.asarray(a) for a in (inmails, credits, opened, bulk)))
    for sid in (1, 2, 3):
        single.seats[sid].record_sends(3, inmails[sid], credits[sid], opened[sid], bulk[sid])
    for sid in (1, 2, 3):
        a, b = batch.seats[sid], single.seats[sid]
        assert vars(a.limits) == vars(b.limits)
        assert (a.credits_this_period, a.open_profile_used, a.open_profile_month) == (
            b.credits_this_period,
            b.open_profile_used,
            b.open_profile_month,
        )
        assert a.policy.window_counts(5) == b.policy.window_counts(5)
        assert a.policy.one_to_one_room(3) == b.policy.one_to_one_room(3)
    assert batch.seats[3].policy.one_to_one_room(3) == 25 - 6
