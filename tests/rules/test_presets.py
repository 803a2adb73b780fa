"""Presets as data: every value of DESIGN.md section 1, plans and aliases, overrides by name."""

from __future__ import annotations

import re

import pytest
import yaml
from pydantic import ValidationError

from sim.rules import (
    PRESETS,
    GrantDay,
    PlanRules,
    RefundRule,
    Rules,
    UnknownPlanError,
    UnknownPresetError,
    preset,
    resolve,
)
from sim.rules.presets import SOURCE_NAMES, value_source
from sim.rules.printing import preset_yaml, presets_table

SEED = "seed"
CURRENT = "linkedin-current"


def test_both_presets_exist_by_name() -> None:
    assert sorted(PRESETS) == ["linkedin-current", "seed"]
    assert preset(SEED).name == "seed"
    assert preset(CURRENT).name == "linkedin-current"


# --- monthly credits by plan -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "plan", "credits", "per_seat"),
    [
        (SEED, "free", 0, False),
        (SEED, "premium", 5, False),
        (SEED, "sales_navigator", 20, False),
        (SEED, "sales_navigator_team", 30, False),
        (SEED, "recruiter", 150, True),
        (CURRENT, "free", 0, False),
        (CURRENT, "premium_career", 5, False),
        (CURRENT, "premium_business", 15, False),
        (CURRENT, "sales_navigator", 50, False),
        (CURRENT, "recruiter_lite", 30, False),
        (CURRENT, "recruiter", 150, True),
        (CURRENT, "recruiter_professional_services", 100, True),
    ],
)
def test_monthly_credits_by_plan(name: str, plan: str, credits: int, per_seat: bool) -> None:
    rules = preset(name).plan(plan)
    assert rules.monthly_credits == credits
    assert rules.per_seat is per_seat


def test_seed_defines_exactly_the_source_texts_plans() -> None:
    assert set(preset(SEED).plans) == {"free", "premium", "sales_navigator", "sales_navigator_team", "recruiter"}


def test_current_defines_exactly_the_help_pages_plans() -> None:
    assert set(preset(CURRENT).plans) == {
        "free",
        "premium_career",
        "premium_business",
        "sales_navigator",
        "recruiter_lite",
        "recruiter",
        "recruiter_professional_services",
    }


def test_premium_alias_premium_career() -> None:
    assert preset(SEED).plan("premium_career") is preset(SEED).plan("premium")
    assert preset(CURRENT).plan("premium") is preset(CURRENT).plan("premium_career")


@pytest.mark.parametrize(
    ("name", "plan"),
    [
        (SEED, "premium_business"),
        (SEED, "recruiter_lite"),
        (SEED, "recruiter_professional_services"),
        (CURRENT, "sales_navigator_team"),
        (SEED, "enterprise"),
    ],
)
def test_plan_not_in_preset_is_an_error(name: str, plan: str) -> None:
    with pytest.raises(UnknownPlanError) as err:
        preset(name).plan(plan)
    assert err.value.plan == plan
    message = str(err.value)
    assert repr(plan) in message
    assert repr(name) in message
    # the message lists what the preset does define, aliases included
    assert "premium_career" in message and "free" in message


# --- how long credits last -----------------------------------------------------------------------------------


@pytest.mark.parametrize("plan", ["premium", "sales_navigator", "sales_navigator_team", "recruiter"])
def test_seed_credits_roll_over_up_to_3_months(plan: str) -> None:
    rules = preset(SEED).plan(plan)
    assert rules.cap_months == 3
    assert rules.batch_expiry_days is None


@pytest.mark.parametrize(
    ("plan", "cap_months", "held"),
    [("premium_career", 3, 15), ("premium_business", 3, 45), ("sales_navigator", 3, 150), ("recruiter_lite", 4, 120)],
)
def test_current_batches_expire_after_90_days_and_are_held_up_to_the_help_pages_cap(
    plan: str, cap_months: int, held: int
) -> None:
    rules = preset(CURRENT).plan(plan)
    assert rules.batch_expiry_days == 90
    assert rules.cap_months == cap_months
    assert rules.cap_months * rules.monthly_credits == held


@pytest.mark.parametrize("plan", ["recruiter", "recruiter_professional_services"])
def test_current_recruiter_plans_capped_at_4_months(plan: str) -> None:
    rules = preset(CURRENT).plan(plan)
    assert rules.cap_months == 4
    assert rules.batch_expiry_days is None


@pytest.mark.parametrize(
    ("name", "plan", "day"),
    [
        (SEED, "premium", GrantDay.ANNIVERSARY),
        (SEED, "sales_navigator", GrantDay.FIRST_OF_MONTH),
        (SEED, "sales_navigator_team", GrantDay.FIRST_OF_MONTH),
        (SEED, "recruiter", GrantDay.ANNIVERSARY),
        (CURRENT, "premium_career", GrantDay.ANNIVERSARY),
        (CURRENT, "premium_business", GrantDay.ANNIVERSARY),
        (CURRENT, "sales_navigator", GrantDay.FIRST_OF_MONTH),
        (CURRENT, "recruiter_lite", GrantDay.ANNIVERSARY),
        (CURRENT, "recruiter", GrantDay.ANNIVERSARY),
        (CURRENT, "recruiter_professional_services", GrantDay.ANNIVERSARY),
    ],
)
def test_grant_day_by_plan(name: str, plan: str, day: GrantDay) -> None:
    assert preset(name).plan(plan).grant_day is day


# --- refunds, responses, limits, connections, notification -----------------------------------------------------


def test_seed_refund_rule_is_no_response_within_7_days() -> None:
    rules = preset(SEED)
    assert rules.refund_rule is RefundRule.NO_RESPONSE
    assert rules.refund_window_days == 7


def test_current_refund_rule_is_response_within_90_days() -> None:
    rules = preset(CURRENT)
    assert rules.refund_rule is RefundRule.RESPONSE
    assert rules.refund_window_days == 90


def test_seed_response_is_accept_or_decline() -> None:
    rules = preset(SEED)
    assert rules.counts_as_response("accepted")
    assert rules.counts_as_response("declined")
    assert not rules.counts_as_response("quick_reply")
    assert not rules.counts_as_response("none")


def test_current_response_is_accept_decline_or_quick_reply() -> None:
    rules = preset(CURRENT)
    assert rules.counts_as_response("accepted")
    assert rules.counts_as_response("declined")
    assert rules.counts_as_response("quick_reply")
    assert not rules.counts_as_response("none")


@pytest.mark.parametrize("name", [SEED, CURRENT])
def test_response_rate_rule_values(name: str) -> None:
    rules = preset(name)
    assert rules.policy_threshold == 0.13
    assert rules.policy_min_sent == 100
    assert rules.policy_window_days == 14
    assert rules.policy_warning_days == 14
    assert rules.policy_recheck_days == 7
    assert rules.policy_restricted_days == 14
    assert rules.policy_restricted_daily_allowance == 25


def test_seed_daily_limit_1000_and_first_week_200() -> None:
    rules = preset(SEED)
    assert rules.daily_limit == 1000
    assert rules.first_week_limit == 200
    assert rules.first_week_mode == "calendar_week"


def test_current_daily_and_first_week_limits_off_by_default() -> None:
    rules = preset(CURRENT)
    assert rules.daily_limit is None
    assert rules.first_week_limit is None


def test_no_preset_sets_a_seat_monthly_limit_by_default() -> None:
    assert preset(SEED).seat_monthly_limit is None
    assert preset(CURRENT).seat_monthly_limit is None


def test_seed_connections_free_open_profile_not() -> None:
    rules = preset(SEED)
    assert rules.first_degree_free is True
    assert rules.open_profile_free is False


def test_current_open_profile_free_about_800_a_month() -> None:
    rules = preset(CURRENT)
    assert rules.first_degree_free is True
    assert rules.open_profile_free is True
    assert rules.open_profile_monthly_allowance == 800


def test_current_reminder_after_3_days_seed_none() -> None:
    assert preset(CURRENT).reminder_after_days == 3
    assert preset(SEED).reminder_after_days is None


def test_seed_inmail_30_percent_more_effective_than_email() -> None:
    assert preset(SEED).inmail_vs_email == 1.3
    assert preset(SEED).untranslated_shows_english is True


# --- overrides -------------------------------------------------------------------------------------------------


def test_resolve_without_overrides_is_the_preset() -> None:
    assert resolve(SEED) is preset(SEED)
    assert resolve(CURRENT, {}) is preset(CURRENT)


def test_override_top_level_value_by_name() -> None:
    rules = resolve(SEED, {"daily_limit": 500, "first_week_mode": "rolling_7_days"})
    assert rules.daily_limit == 500
    assert rules.first_week_mode == "rolling_7_days"
    assert rules.first_week_limit == 200  # untouched
    assert preset(SEED).daily_limit == 1000  # the preset itself is not changed


def test_override_plan_value_by_dotted_name() -> None:
    rules = resolve(SEED, {"plans.recruiter.monthly_credits": 200})
    assert rules.plan("recruiter").monthly_credits == 200
    assert rules.plan("recruiter").per_seat is True
    assert rules.plan("recruiter").cap_months == 3
    assert rules.plan("premium").monthly_credits == 5


def test_override_plan_value_by_nested_mapping() -> None:
    rules = resolve(CURRENT, {"plans": {"premium_career": {"batch_expiry_days": 30}}})
    assert rules.plan("premium_career").batch_expiry_days == 30
    assert rules.plan("premium_career").monthly_credits == 5
    assert rules.plan("sales_navigator").monthly_credits == 50  # other plans kept


def test_override_can_define_a_new_plan() -> None:
    rules = resolve(SEED, {"plans.custom.monthly_credits": 7, "plans.custom.per_seat": True})
    assert rules.plan("custom") == PlanRules(monthly_credits=7, per_seat=True)


def test_override_can_switch_a_limit_off() -> None:
    assert resolve(SEED, {"daily_limit": None}).daily_limit is None


def test_override_can_switch_a_limit_on_in_current() -> None:
    rules = resolve(CURRENT, {"daily_limit": 150, "first_week_limit": 100, "seat_monthly_limit": 40})
    assert (rules.daily_limit, rules.first_week_limit, rules.seat_monthly_limit) == (150, 100, 40)


def test_override_refund_rule_and_response_kinds() -> None:
    rules = resolve(SEED, {"refund_rule": "response", "response_kinds": ["accepted"]})
    assert rules.refund_rule is RefundRule.RESPONSE
    assert rules.response_kinds == ("accepted",)


def test_policy_values_overridable_via_resolve() -> None:
    rules = resolve(
        CURRENT,
        {
            "policy_threshold": 0.2,
            "policy_min_sent": 50,
            "policy_window_days": 7,
            "policy_warning_days": 10,
            "policy_recheck_days": 3,
            "policy_restricted_days": 21,
            "policy_restricted_daily_allowance": 5,
        },
    )
    assert rules.policy_threshold == 0.2
    assert rules.policy_min_sent == 50
    assert rules.policy_window_days == 7
    assert rules.policy_warning_days == 10
    assert rules.policy_recheck_days == 3
    assert rules.policy_restricted_days == 21
    assert rules.policy_restricted_daily_allowance == 5


@pytest.mark.parametrize(
    "overrides",
    [
        {"no_such_rule": 1},
        {"plans.premium.no_such_field": 1},
        {"plans.premium.monthly_credits": -5},
        {"plans.premium.cap_months": 0},
        {"plans.premium.grant_day": "whenever"},
        {"refund_rule": "sometimes"},
        {"refund_window_days": 0},
        {"policy_threshold": 1.5},
        {"policy_min_sent": 0},
        {"daily_limit": "lots"},
        {"daily_limit": -1},
        {"first_week_limit": -1},
        {"first_week_mode": "fortnight"},
        {"seat_monthly_limit": -1},
        {"open_profile_monthly_allowance": -1},
        {"plan_aliases.gold": "platinum"},
    ],
)
def test_bad_override_is_a_validation_error(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        resolve(SEED, overrides)


def test_alias_to_undefined_plan_names_both() -> None:
    with pytest.raises(ValidationError, match="'gold' points to undefined plan 'platinum'"):
        resolve(SEED, {"plan_aliases.gold": "platinum"})


def test_resolve_unknown_preset_is_an_error() -> None:
    with pytest.raises(UnknownPresetError, match=r"unknown preset 'nope'.*seed.*linkedin-current"):
        resolve("nope")
    with pytest.raises(UnknownPresetError):
        preset("nope")


def test_presets_are_frozen_data() -> None:
    with pytest.raises(ValidationError):
        preset(SEED).daily_limit = 5  # type: ignore[misc]


# --- printing ------------------------------------------------------------------------------------------------


def test_preset_yaml_round_trips() -> None:
    for name in (SEED, CURRENT):
        assert Rules.model_validate(yaml.safe_load(preset_yaml(name))) == preset(name)


def test_presets_table_has_a_column_per_preset_and_marks_missing_plans() -> None:
    table = presets_table()
    lines = table.splitlines()
    assert lines[0].split() == ["rule", "seed", "linkedin-current"]
    assert set(lines[1]) == {"-", " "}
    row = next(line for line in lines if line.startswith("plans.sales_navigator_team.monthly_credits"))
    assert re.split(r"\s{2,}", row)[1:] == ["30 (T)", "(not defined)"]
    row = next(line for line in lines if line.startswith("daily_limit"))
    assert re.split(r"\s{2,}", row)[1:] == ["1000 (T)", "- (D)"]
    row = next(line for line in lines if line.startswith("response_kinds"))
    assert "accepted, declined (T)" in row and "accepted, declined, quick_reply (H)" in row


def test_presets_table_of_one_preset() -> None:
    lines = presets_table([CURRENT]).splitlines()
    assert lines[0].split() == ["rule", "linkedin-current"]
    row = next(line for line in lines if line.startswith("plans.recruiter.monthly_credits"))
    assert row.split() == ["plans.recruiter.monthly_credits", "150", "(H)"]


@pytest.mark.parametrize(
    ("name", "key", "code"),
    [
        (SEED, "daily_limit", "T"),
        (SEED, "plans.recruiter.monthly_credits", "H"),
        (SEED, "policy_warning_days", "D"),
        (SEED, "first_week_mode", "D"),
        (CURRENT, "plans.premium_business.cap_months", "P"),
        (CURRENT, "plans.sales_navigator.cap_months", "N"),
        (CURRENT, "plans.sales_navigator.grant_day", "D"),
        (CURRENT, "refund_window_days", "H"),
        (CURRENT, "daily_limit", "D"),
        (CURRENT, "inmail_vs_email", "D"),
    ],
)
def test_each_value_names_its_source(name: str, key: str, code: str) -> None:
    assert value_source(name, key) == code
    legend = presets_table([name]).split("Sources:")[1]
    assert f"({code}) {SOURCE_NAMES[code]}" in legend


def test_every_preset_value_has_a_source() -> None:
    for name, rules in PRESETS.items():
        for key in _flat(rules.model_dump(mode="json")):
            assert value_source(name, key) in SOURCE_NAMES or key == "name", (name, key)


def _flat(data: dict[str, object], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        out += _flat(value, f"{prefix}{key}.") if isinstance(value, dict) and value else [f"{prefix}{key}"]
    return out
