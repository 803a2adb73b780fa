"""The resolved rules as presentation states them (sim/rules/captions.py): the same answer from a `Rules` and
from the mapping a results folder records, every value read from the rules (overrides show), unknown values
said as unknown."""

from __future__ import annotations

from typing import Any

import pytest

from sim.rules import preset, resolve
from sim.rules.captions import (
    FigureRules,
    count_text,
    days_text,
    figure_rules,
    plan_credit_text,
    refund_caption,
    rule_sentences,
    share_text,
    trailing_window_text,
)

ODD = {"refund_window_days": 5, "policy_threshold": 0.2, "policy_window_days": 21, "policy_min_sent": 40,
       "daily_limit": 1234, "first_week_limit": 60, "first_week_mode": "rolling_7_days", "seat_monthly_limit": 90,
       "open_profile_monthly_allowance": 11}  # fmt: skip


def _dumped(name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return resolve(name, overrides).model_dump(mode="json")


def test_numbers_in_words() -> None:
    assert count_text(1234567) == "1,234,567"
    assert count_text(12.345) == "12.3"
    assert count_text(2.5) == "2.5"
    assert count_text(None) == "n/a" and count_text(float("nan")) == "n/a"
    assert days_text(1) == "1 day" and days_text(7.0) == "7 days" and days_text(2.5) == "2.5 days"
    assert days_text(None) == "? days"
    assert share_text(0.125) == "12.5%" and share_text(0.2, 0) == "20%"
    assert share_text(None) == "n/a" and share_text(float("nan")) == "n/a"


@pytest.mark.parametrize("name", ["seed", "linkedin-current"])
def test_figure_rules_are_the_resolved_values(name: str) -> None:
    rules = preset(name)
    drawn = figure_rules(rules)
    assert drawn == FigureRules(rules.policy_threshold, (rules.refund_window_days,), float(rules.policy_window_days))
    assert figure_rules(_dumped(name)) == drawn  # a results folder's mapping says the same


def test_figure_rules_follow_overrides_and_say_none_when_unknown() -> None:
    assert figure_rules(resolve("seed", ODD)) == FigureRules(0.2, (5.0,), 21.0)
    assert figure_rules({}) == FigureRules(None, (), None)


def test_captions_name_the_resolved_refund_rule_and_windows() -> None:
    assert refund_caption(resolve("seed", ODD)) == (
        "Under this run's rules a credit comes back when no response arrives within 5 days."
    )
    assert refund_caption(_dumped("linkedin-current", {"refund_window_days": 1})) == (
        "Under this run's rules a credit comes back when a response arrives within 1 day."
    )
    assert refund_caption({"refund_rule": "response"}) == (
        "Under this run's rules a credit comes back when a response arrives within the refund window."
    )
    assert refund_caption({}) == ""
    assert trailing_window_text(resolve("seed", ODD)) == "the trailing 21 days"
    assert trailing_window_text({}) == "the trailing window"


def test_rule_sentences_of_overridden_seed_rules() -> None:
    assert rule_sentences(resolve("seed", ODD)) == [
        "Refund: an InMail's credit comes back when it gets **no** response within 5 days.",
        "A response is: accepted, declined.",
        "Response-rate rule: a seat that sent 40 or more InMails in the trailing 21 days must keep its responses "
        "so far at or above 20% of them; below it: a 14 days warning, a re-check 7 days later, then 14 days "
        "improvement periods with bulk sending off (25 one-to-one InMails a day).",
        "Limits: 1,234 InMails per seat per day; 60 in a new seat's first week from activation; 90 credits per seat "
        "a month (admin limit).",
        "Free of credit: messages to 1st-degree connections.",
    ]


def test_rule_sentences_of_current_rules_from_a_folder_mapping() -> None:
    lines = rule_sentences(_dumped("linkedin-current", ODD))
    assert lines[0] == "Refund: an InMail's credit comes back when it **gets** a response within 5 days."
    assert lines[1] == "A response is: accepted, declined, quick reply."
    assert lines[-1] == (
        "Free of credit: messages to 1st-degree connections and InMails to Open Profile members (up to 11 per seat "
        "a month)."
    )


def test_rule_sentences_of_partial_rules() -> None:
    assert rule_sentences({}) == []
    assert rule_sentences({"daily_limit": None, "first_week_limit": None, "first_week_mode": "calendar_week"}) == [
        "Limits: no daily limit; no first-week limit."
    ]
    assert rule_sentences({"first_week_limit": 3, "first_week_mode": "calendar_week", "open_profile_free": True}) == [
        "Limits: no daily limit; 3 in a new seat's first calendar week.",
        "Free of credit: InMails to Open Profile members.",
    ]
    policy = rule_sentences({"policy_threshold": 0.5})[0]
    assert policy.startswith("Response-rate rule: a seat that sent n/a or more InMails in the trailing ? days")
    assert "at or above 50% of them" in policy


def test_plan_credit_text_per_seat_capped_plan() -> None:
    rules = resolve("seed", {"plans.recruiter.monthly_credits": 120, "plans.recruiter.cap_months": 2})
    assert plan_credit_text("recruiter", 3, rules) == (
        "; 120 credits per seat a month, pooled: all seats spend from one pool (360 credits a month), granted on "
        "the contract's monthly anniversary; the balance is capped at 2 months of grants (720 credits), what the "
        "cap cannot hold is forfeited"
    )


def test_plan_credit_text_by_alias_with_expiry_and_first_of_month() -> None:
    current = _dumped("linkedin-current")
    assert plan_credit_text("premium", 1, current) == (
        "; 5 credits a month for the account holder, granted on the contract's monthly anniversary; the balance "
        "is capped at 3 months of grants (15 credits), what the cap cannot hold is forfeited; each month's "
        "credits expire 90 days after they arrive"
    )
    assert plan_credit_text("sales_navigator", 2, current).startswith(
        "; 50 credits a month for the account holder, granted on the 1st of each month"
    )
    assert plan_credit_text("free", 1, preset("seed")) == "; 0 credits a month for the account holder, granted on " \
        "the contract's monthly anniversary"  # fmt: skip


def test_plan_credit_text_of_an_unknown_plan_says_nothing() -> None:
    assert plan_credit_text("enterprise", 4, preset("seed")) == ""
    assert plan_credit_text("recruiter", 4, {}) == ""
    assert plan_credit_text("custom", 1, {"plans": {"custom": {"monthly_credits": 7}}}) == (
        "; 7 credits a month for the account holder"
    )


def test_report_window_caption_names_the_window_or_says_there_is_none() -> None:
    from sim.rules import preset
    from sim.rules.captions import report_window_text

    assert "within 30 days of sending" in report_window_text(preset("linkedin-current"))
    assert "whenever it came" in report_window_text(preset("seed"))
    assert report_window_text({}) == ""  # an older results folder: nothing claimed
