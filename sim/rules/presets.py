"""Rule presets: named bundles of rule values (DESIGN.md section 1), plain data that scenarios override.

`seed` holds what the source text says; `linkedin-current` what today's public help pages say. Every value
can be overridden by a dotted name (`plans.recruiter.monthly_credits`, `refund_window_days`, ...).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class GrantDay(StrEnum):
    """When a plan's monthly credits arrive."""

    ANNIVERSARY = "anniversary"  # billing day (premium) or contract date (recruiter): the start's day of month
    FIRST_OF_MONTH = "first_of_month"  # sales navigator


class RefundRule(StrEnum):
    """Which InMails give their credit back."""

    NO_RESPONSE = "no_response"  # seed: no response within the window returns the credit at the window's end
    RESPONSE = "response"  # current: a response within the window returns the credit when it arrives


class PlanRules(BaseModel):
    """Credits of one plan: how many, to whom, when they arrive and how long they are held."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    monthly_credits: int = Field(ge=0, description="credits granted each month (per seat when per_seat)")
    per_seat: bool = Field(False, description="granted per seat into one pool shared by the contract's seats")
    grant_day: GrantDay = Field(GrantDay.ANNIVERSARY, description="day of month the grant arrives")
    cap_months: float | None = Field(
        None, gt=0, description="balance never above cap_months x monthly grant (excess is forfeited)"
    )
    batch_expiry_days: float | None = Field(None, gt=0, description="each batch expires this long after it arrives")


class Rules(BaseModel):
    """Every rule value the engine reads; a preset is one instance of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="preset this bundle started from")
    plans: dict[str, PlanRules] = Field(description="plans this rule set defines")
    plan_aliases: dict[str, str] = Field(default_factory=dict, description="other names of defined plans")

    refund_rule: RefundRule = Field(description="no_response (seed) or response (current)")
    refund_window_days: float = Field(gt=0, description="days after sending within which the refund rule looks")
    response_kinds: tuple[str, ...] = Field(description="outcomes that count as a response")

    policy_threshold: float = Field(0.13, ge=0, le=1, description="minimum response rate of a seat")
    policy_min_sent: int = Field(100, ge=1, description="InMails in the window before the rate is judged")
    policy_window_days: int = Field(14, ge=1, description="trailing window of the response-rate rule")
    policy_reading: Literal["responses_so_far", "matured"] = Field(
        "responses_so_far",
        description="responses_so_far: the InMails sent in the window and the responses they have had so far; "
        "matured: only InMails at least policy_maturity_days old, so each had time to be answered (an assumption: "
        "the public text does not say which LinkedIn uses)",
    )
    policy_maturity_days: int = Field(
        7, ge=0, description="with policy_reading matured: how old an InMail must be before the rule counts it"
    )
    policy_warning_days: int = Field(14, ge=1, description="length of a warning")
    policy_recheck_days: int = Field(7, ge=0, description="days after a warning ends before the re-check")
    policy_restricted_days: int = Field(14, ge=1, description="length of an improvement period (bulk off)")
    policy_restricted_daily_allowance: int = Field(
        25, ge=0, description="one-to-one InMails a restricted seat may still send per day"
    )

    daily_limit: int | None = Field(ge=0, description="InMails per seat per calendar day (None: no limit)")
    first_week_limit: int | None = Field(ge=0, description="InMails in a new seat's first week (None: no limit)")
    first_week_mode: Literal["calendar_week", "rolling_7_days"] = Field(
        "calendar_week", description="calendar_week: Monday to Sunday of activation; rolling_7_days: 7 days"
    )
    seat_monthly_limit: int | None = Field(
        None, ge=0, description="credits one seat may spend from the pool per grant period (admin setting)"
    )

    first_degree_free: bool = Field(True, description="messages to 1st-degree connections cost no credit")
    open_profile_free: bool = Field(description="InMails to Open Profile members cost no credit")
    open_profile_monthly_allowance: int | None = Field(
        None, ge=0, description="free Open Profile InMails per seat per calendar month (None: unlimited)"
    )
    reminder_after_days: float | None = Field(None, gt=0, description="automatic reminder for an unread InMail")
    inmail_vs_email: float = Field(1.3, gt=0, description="InMail response probability over email's")
    untranslated_shows_english: bool = Field(True, description="an untranslated message shows in English")

    @model_validator(mode="after")
    def _aliases_point_to_plans(self) -> Rules:
        for alias, target in self.plan_aliases.items():
            if target not in self.plans:
                raise ValueError(f"plan alias {alias!r} points to undefined plan {target!r}")
        return self

    def plan(self, name: str) -> PlanRules:
        """The rules of plan `name` (or an alias of it); an undefined plan is an error, never a zero."""
        key = self.plan_aliases.get(name, name)
        if key not in self.plans:
            raise UnknownPlanError(name, self)
        return self.plans[key]

    def counts_as_response(self, outcome: str) -> bool:
        return outcome in self.response_kinds


class UnknownPlanError(ValueError):
    """A plan the rule set does not define."""

    def __init__(self, plan: str, rules: Rules) -> None:
        names = sorted({*rules.plans, *rules.plan_aliases})
        super().__init__(f"plan {plan!r} is not defined by preset {rules.name!r} (it defines: {', '.join(names)})")
        self.plan = plan


_SEED = Rules(
    name="seed",
    plans={
        "free": PlanRules(monthly_credits=0),
        "premium": PlanRules(monthly_credits=5, cap_months=3),
        "sales_navigator": PlanRules(monthly_credits=20, grant_day=GrantDay.FIRST_OF_MONTH, cap_months=3),
        "sales_navigator_team": PlanRules(monthly_credits=30, grant_day=GrantDay.FIRST_OF_MONTH, cap_months=3),
        "recruiter": PlanRules(monthly_credits=150, per_seat=True, cap_months=3),
    },
    plan_aliases={"premium_career": "premium"},
    refund_rule=RefundRule.NO_RESPONSE,
    refund_window_days=7,
    response_kinds=("accepted", "declined"),
    daily_limit=1000,
    first_week_limit=200,
    open_profile_free=False,
    reminder_after_days=None,
)

_CURRENT = Rules(
    name="linkedin-current",
    plans={
        "free": PlanRules(monthly_credits=0),
        "premium_career": PlanRules(monthly_credits=5, batch_expiry_days=90),
        "premium_business": PlanRules(monthly_credits=15, batch_expiry_days=90),
        "sales_navigator": PlanRules(monthly_credits=50, grant_day=GrantDay.FIRST_OF_MONTH, batch_expiry_days=90),
        "recruiter_lite": PlanRules(monthly_credits=30, batch_expiry_days=90),
        "recruiter": PlanRules(monthly_credits=150, per_seat=True, cap_months=4),
        "recruiter_professional_services": PlanRules(monthly_credits=100, per_seat=True, cap_months=4),
    },
    plan_aliases={"premium": "premium_career"},
    refund_rule=RefundRule.RESPONSE,
    refund_window_days=90,
    response_kinds=("accepted", "declined", "quick_reply"),
    daily_limit=None,
    first_week_limit=None,
    open_profile_free=True,
    open_profile_monthly_allowance=800,
    reminder_after_days=3,
)

PRESETS: dict[str, Rules] = {r.name: r for r in (_SEED, _CURRENT)}


class UnknownPresetError(ValueError):
    """A preset name that does not exist."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")


def preset(name: str) -> Rules:
    """The preset called `name`."""
    if name not in PRESETS:
        raise UnknownPresetError(name)
    return PRESETS[name]


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        head, _, rest = key.partition(".")
        if rest:
            inner = out.get(head)
            out[head] = _merge(inner if isinstance(inner, dict) else {}, {rest: value})
        elif isinstance(value, dict) and isinstance(out.get(head), dict):
            out[head] = _merge(out[head], value)
        else:
            out[head] = value
    return out


def resolve(name: str, overrides: dict[str, Any] | None = None) -> Rules:
    """Preset `name` with `overrides` (nested or dotted keys) applied and validated."""
    base = preset(name)
    if not overrides:
        return base
    return Rules.model_validate(_merge(base.model_dump(mode="json"), overrides))
