"""The calendar: float days since a real start date; real weekdays, weeks and months."""

from __future__ import annotations

from datetime import date

from sim.rules import Calendar

from .helpers import MONDAY

CAL = Calendar(MONDAY)  # 2024-01-01, a Monday, in a leap year


def test_day_is_the_floor_of_time() -> None:
    assert CAL.day(0.0) == 0
    assert CAL.day(2.999) == 2
    assert CAL.day(3.0) == 3
    assert CAL.day(-0.5) == -1


def test_date_of_and_day_of_are_real_dates() -> None:
    assert CAL.date_of(0.0) == date(2024, 1, 1)
    assert CAL.date_of(31.5) == date(2024, 2, 1)
    assert CAL.date_of(59.0) == date(2024, 2, 29)
    assert CAL.day_of(date(2024, 3, 1)) == 60
    assert CAL.day_of(date(2023, 12, 31)) == -1


def test_weekday_monday_is_0() -> None:
    assert CAL.weekday(0.0) == 0
    assert CAL.weekday(6.9) == 6
    assert CAL.weekday(7.0) == 0
    assert CAL.weekday(12.5) == 5  # Saturday 13 January 2024


def test_week_start_is_the_monday() -> None:
    assert CAL.week_start(0) == 0
    assert CAL.week_start(6) == 0
    assert CAL.week_start(7) == 7
    assert CAL.week_start(10) == 7  # Thursday 11 January -> Monday 8 January


def test_week_start_when_calendar_starts_midweek() -> None:
    cal = Calendar(date(2024, 1, 3))  # a Wednesday
    assert cal.week_start(0) == -2
    assert cal.week_start(5) == 5  # Monday 8 January


def test_month_start_is_the_first() -> None:
    assert CAL.month_start(0) == 0
    assert CAL.month_start(30) == 0
    assert CAL.month_start(31) == 31
    assert CAL.month_start(59) == 31
    assert CAL.month_start(60) == 60


def test_grant_days_on_the_anchor_day_of_month() -> None:
    cal = Calendar(date(2024, 3, 15))
    # 15 Mar, 15 Apr, 15 May, 15 Jun
    assert cal.grant_days(date(2024, 3, 15), False, 100) == [0, 31, 61, 92]


def test_grant_days_horizon_is_exclusive() -> None:
    cal = Calendar(date(2024, 3, 15))
    assert cal.grant_days(date(2024, 3, 15), False, 92) == [0, 31, 61]
    assert cal.grant_days(date(2024, 3, 15), False, 0) == []


def test_grant_days_clamped_to_month_end_non_leap_year() -> None:
    cal = Calendar(date(2023, 1, 31))
    # 31 Jan, 28 Feb, 31 Mar, 30 Apr: the anchor's day comes back once the month is long enough
    assert cal.grant_days(date(2023, 1, 31), False, 100) == [0, 28, 59, 89]


def test_grant_days_clamped_to_month_end_leap_year() -> None:
    cal = Calendar(date(2024, 1, 31))
    # 31 Jan, 29 Feb, 31 Mar, 30 Apr
    assert cal.grant_days(date(2024, 1, 31), False, 121) == [0, 29, 60, 90]


def test_grant_days_cross_the_year_end() -> None:
    cal = Calendar(date(2023, 11, 15))
    # 15 Nov, 15 Dec, 15 Jan 2024, 15 Feb 2024
    assert cal.grant_days(date(2023, 11, 15), False, 93) == [0, 30, 61, 92]


def test_grant_days_first_of_month_after_the_anchor() -> None:
    cal = Calendar(date(2024, 3, 15))
    # 15 Mar (the anchor), 1 Apr, 1 May, 1 Jun
    assert cal.grant_days(date(2024, 3, 15), True, 100) == [0, 17, 47, 78]


def test_grant_days_anchor_before_the_calendar_start() -> None:
    # contract signed 15 Dec 2023, simulation from 1 Jan 2024: 15 Jan, 15 Feb, 15 Mar
    assert CAL.grant_days(date(2023, 12, 15), False, 75) == [14, 45, 74]


def test_grant_days_anchor_after_the_horizon() -> None:
    assert CAL.grant_days(date(2024, 12, 1), False, 100) == []
