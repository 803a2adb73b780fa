"""Per-seat send limits: the daily limit (calendar day) and the new seat's first-week limit."""

from __future__ import annotations

import numpy as np

from sim.rules import BlockReason, Calendar, Cost, SeatLimits, resolve
from sim.rules.account import free_messages, send_rooms
from sim.rules.limits import NO_LIMIT, rooms_today

from .helpers import MONDAY, Ids, make_account

# 2024-01-01 (day 0) is a Monday: days 0..6 are its calendar week, day 7 the next Monday.


def test_daily_limit_resets_each_calendar_day() -> None:
    acc = make_account("seed", "recruiter", overrides={"daily_limit": 3, "first_week_limit": None})
    acc.grant(0)
    ids = Ids()
    assert [acc.try_send(t, 1, ids()).cost for t in (10.0, 10.2, 10.5)] == [Cost.CREDIT] * 3
    assert acc.try_send(10.99, 1, ids()).reason is BlockReason.DAILY_LIMIT
    assert acc.try_send(11.0, 1, ids()).cost is Cost.CREDIT
    assert acc.seats[1].limits.sent_today == 1
    assert acc.seats[1].limits.max_sent_in_a_day == 3


def test_seed_daily_limit_is_1000_per_seat() -> None:
    acc = make_account("seed", "recruiter", seats=7, activation=[-14] * 7)  # first weeks long over
    acc.grant(0)  # 7 x 150 = 1050 credits
    ids = Ids()
    for i in range(1000):
        assert acc.try_send(20 + i / 2000, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(20.9, 1, ids()).reason is BlockReason.DAILY_LIMIT
    assert acc.try_send(20.9, 2, ids()).cost is Cost.CREDIT  # the limit is per seat
    assert acc.try_send(21.0, 1, ids()).cost is Cost.CREDIT


def test_current_daily_limit_off_by_default() -> None:
    acc = make_account("linkedin-current", "recruiter", seats=10)
    acc.grant(0)  # 1500 credits
    ids = Ids()
    for i in range(1001):
        assert acc.try_send(i / 2000, 1, ids()).cost is Cost.CREDIT
    assert acc.seats[1].limits.sent_today == 1001


def test_current_first_week_limit_off_by_default() -> None:
    acc = make_account("linkedin-current", "recruiter", seats=2)
    acc.grant(0)
    ids = Ids()
    for i in range(201):
        assert acc.try_send(i / 1000, 1, ids()).cost is Cost.CREDIT


def test_first_week_limit_is_calendar_week() -> None:
    # seed: 200 in the seat's first calendar week; the seat starts on Wednesday 3 January (day 2)
    acc = make_account("seed", "recruiter", seats=2, activation=[2, 2])
    acc.grant(0)  # 300 credits
    ids = Ids()
    for i in range(100):
        assert acc.try_send(2 + i / 1000, 1, ids()).cost is Cost.CREDIT
    for i in range(100):
        assert acc.try_send(6 + i / 1000, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(6.5, 1, ids()).reason is BlockReason.FIRST_WEEK_LIMIT  # Sunday 7 January
    assert acc.seats[1].limits.sent_first_week == 200
    assert acc.try_send(7.0, 1, ids()).cost is Cost.CREDIT  # Monday 8 January: the first week is over
    assert acc.seats[1].limits.sent_first_week == 200


def test_first_week_limit_rolling_7_days() -> None:
    acc = make_account("seed", "recruiter", seats=2, activation=[2, 2], overrides={"first_week_mode": "rolling_7_days"})
    acc.grant(0)
    ids = Ids()
    for i in range(200):
        assert acc.try_send(2 + i / 1000, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(7.0, 1, ids()).reason is BlockReason.FIRST_WEEK_LIMIT  # days 2..8 are its 7 days
    assert acc.try_send(8.99, 1, ids()).reason is BlockReason.FIRST_WEEK_LIMIT
    assert acc.try_send(9.0, 1, ids()).cost is Cost.CREDIT


def test_first_week_of_a_sunday_activation_is_one_day_in_calendar_mode() -> None:
    acc = make_account("seed", "recruiter", activation=[6], overrides={"first_week_limit": 2})
    acc.grant(0)
    ids = Ids()
    assert acc.try_send(6.1, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(6.2, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(6.3, 1, ids()).reason is BlockReason.FIRST_WEEK_LIMIT
    assert acc.try_send(7.0, 1, ids()).cost is Cost.CREDIT


def test_first_week_limit_is_per_seat() -> None:
    acc = make_account("seed", "recruiter", seats=2, activation=[0, 7], overrides={"first_week_limit": 1})
    acc.grant(0)
    ids = Ids()
    assert acc.try_send(7.0, 1, ids()).cost is Cost.CREDIT  # seat 1's first week is over
    assert acc.try_send(7.1, 1, ids()).cost is Cost.CREDIT
    assert acc.try_send(7.2, 2, ids()).cost is Cost.CREDIT  # seat 2's first week: 1 allowed
    assert acc.try_send(7.3, 2, ids()).reason is BlockReason.FIRST_WEEK_LIMIT


def test_free_inmails_count_toward_send_limits() -> None:
    acc = make_account("linkedin-current", "premium_career", overrides={"daily_limit": 1})
    ids = Ids()
    assert acc.try_send(0.1, 1, ids(), open_profile=True).cost is Cost.OPEN_PROFILE
    assert acc.try_send(0.2, 1, ids(), open_profile=True).reason is BlockReason.DAILY_LIMIT


def test_blocked_sends_do_not_count_toward_limits() -> None:
    acc = make_account("seed", "premium")  # no credit granted
    assert acc.try_send(0.5, 1, 1).reason is BlockReason.NO_CREDIT
    assert acc.seats[1].limits.sent_today == 0
    assert acc.seats[1].limits.sent_first_week == 0
    assert acc.inmails_sent == 0


def test_limit_reason_comes_before_credit_reason() -> None:
    # the seat is out of both daily sends and credits: the limit is the reason given
    acc = make_account("linkedin-current", "premium_career", overrides={"daily_limit": 1})
    assert acc.try_send(0.1, 1, 1, open_profile=True).cost is Cost.OPEN_PROFILE
    assert acc.try_send(0.2, 1, 2).reason is BlockReason.DAILY_LIMIT
    assert acc.try_send(1.0, 1, 3).reason is BlockReason.NO_CREDIT


def test_first_week_reason_comes_before_credit_reason() -> None:
    acc = make_account("linkedin-current", "premium_career", overrides={"first_week_limit": 1})
    assert acc.try_send(0.1, 1, 1, open_profile=True).cost is Cost.OPEN_PROFILE
    assert acc.try_send(0.2, 1, 2).reason is BlockReason.FIRST_WEEK_LIMIT


# --- SeatLimits on its own ---------------------------------------------------------------------------------------


def test_seat_limits_first_week_window_calendar_mode() -> None:
    limits = SeatLimits(resolve("seed"), Calendar(MONDAY), activation_day=10)  # Thursday 11 January
    assert (limits.first_week_start, limits.first_week_end) == (7, 14)
    assert not limits.in_first_week(6)
    assert limits.in_first_week(7)
    assert limits.in_first_week(13)
    assert not limits.in_first_week(14)


def test_seat_limits_first_week_window_rolling_mode() -> None:
    limits = SeatLimits(resolve("seed", {"first_week_mode": "rolling_7_days"}), Calendar(MONDAY), 10)
    assert (limits.first_week_start, limits.first_week_end) == (10, 17)


def test_seat_limits_counters() -> None:
    limits = SeatLimits(resolve("seed", {"daily_limit": 2, "first_week_limit": 3}), Calendar(MONDAY), 0)
    limits.record(0)
    limits.record(0)
    assert limits.daily_room(0) <= 0
    assert limits.first_week_room(0) > 0
    assert limits.daily_room(1) > 0
    limits.record(1)
    assert limits.first_week_room(1) <= 0
    assert limits.first_week_room(7) > 0  # the week is over
    limits.record(7)
    assert limits.sent_first_week == 3
    assert limits.max_sent_in_a_day == 2


def test_seat_limits_without_limits_never_reached() -> None:
    limits = SeatLimits(resolve("linkedin-current"), Calendar(MONDAY), 0)
    for _ in range(5000):
        limits.record(0)
    assert limits.daily_room(0) > 0
    assert limits.first_week_room(0) > 0


# --- batch forms: the room before a limit binds ------------------------------------------------------------------


def test_daily_room_counts_down_to_the_daily_limit() -> None:
    limits = SeatLimits(resolve("seed"), Calendar(MONDAY), 0)
    assert limits.daily_room(3) == 1000
    limits.record(3, 999)
    assert limits.daily_room(3) == 1
    limits.record(3)
    assert limits.daily_room(3) == 0
    assert limits.daily_room(4) == 1000  # a new day


def test_first_week_room_only_in_the_first_week() -> None:
    limits = SeatLimits(resolve("seed"), Calendar(MONDAY), 2)  # activated on a Wednesday
    limits.record(2, 150)
    assert limits.first_week_room(6) == 50  # Sunday of that week
    assert limits.first_week_room(7) == NO_LIMIT  # the next Monday


def test_no_limit_gives_unbounded_room() -> None:
    limits = SeatLimits(resolve("linkedin-current"), Calendar(MONDAY), 0)
    limits.record(0, 10_000)
    assert limits.daily_room(0) == NO_LIMIT and limits.first_week_room(0) == NO_LIMIT


def test_send_rooms_agree_with_try_send_one_at_a_time() -> None:
    """The batch form of the send checks: a seat's room is exactly how many more InMails try_send allows."""
    for extra in ({}, {"daily_limit": 30}, {"first_week_limit": 12}, {"seat_monthly_limit": 7}):
        overrides = {"plans.recruiter.monthly_credits": 2000, **extra}
        acc = make_account("seed", "recruiter", seats=3, activation=[0, 0, 1], overrides=overrides)
        acc.grant(0)
        ids = Ids()
        clock = iter(1 + k / 1e5 for k in range(10**5))
        for sid, n in ((1, 5), (2, 11), (3, 0)):
            for _ in range(n):
                acc.try_send(next(clock), sid, ids())
        rooms = send_rooms([None, *acc.seats.values()], 1)
        for sid in (1, 2, 3):
            room = min(int(rooms.send[sid]), int(rooms.credits[sid]))
            assert room < acc.ledger.balance  # so the pool does not bind first
            sent = 0
            while sent <= room and acc.try_send(next(clock), sid, ids()).allowed:
                sent += 1
            assert sent == room, (overrides, sid)


def test_free_messages_agree_with_try_send_costs() -> None:
    for preset in ("seed", "linkedin-current"):
        rules = resolve(preset)
        first = np.array([True, True, False, False])
        opened = np.array([True, False, True, False])
        connection, open_profile = free_messages(rules, first, opened)
        acc = make_account(preset, "recruiter")
        acc.grant(0)
        ids = Ids()
        for i in range(4):
            cost = acc.try_send(1.0 + i / 10, 1, ids(), first_degree=bool(first[i]), open_profile=bool(opened[i])).cost
            assert (cost is Cost.CONNECTION) is bool(connection[i])
            assert (cost is Cost.OPEN_PROFILE) is bool(open_profile[i])


def test_breaches_name_a_limit_exceeded_and_nothing_else() -> None:
    limits = SeatLimits(resolve("seed", {"daily_limit": 3, "first_week_limit": 5}), Calendar(MONDAY), 0)
    limits.record(0, 3)
    limits.record(1, 2)
    assert limits.breaches() == []
    limits.record(2, 4)  # as a broken engine might
    assert limits.breaches() == ["4 InMails in a day", "9 InMails in its first week"]


def test_rooms_today_agree_with_each_seats_scalar_rooms() -> None:
    rules = resolve("seed", {"daily_limit": 40})
    cal = Calendar(MONDAY)
    seats = [SeatLimits(rules, cal, activation) for activation in (0, 2, 9)]
    for i, lim in enumerate(seats):
        lim.record(2, 10 * i)
        lim.record(4, 7 + i)
    for day in (2, 4, 5, 9, 12):
        daily, week = rooms_today(seats, day)
        assert daily.tolist() == [lim.daily_room(day) for lim in seats]
        assert week.tolist() == [lim.first_week_room(day) for lim in seats]
