"""Rule presets: named bundles of rule values (DESIGN.md section 1), plain data that scenarios override.

`seed` holds what the source text says; `linkedin-current` what today's public help pages say. Every value
can be overridden by a dotted name (`plans.recruiter.monthly_credits`, `refund_window_days`, ...).
"""

from __future__ import annotations

from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

MAX_COUNT = 1_000_000_000  # any count of InMails or credits: far above any plan, and within the engines' int32
MAX_DAYS = 36_500.0  # any span of days: a century
MAX_MONTHS = 1_200.0


def _whole_number(value: object) -> object:
    """YAML reads yes/no/on/off as booleans and a quoted number as text: a number field takes neither, so
    `daily_limit: yes` is an error, never a silent 1."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _number(value: object) -> object:
    """As `_whole_number`, for fractional values."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


def off_means_none(value: object) -> object:
    """A limit that can be off: `off` (YAML's false, also written `no` or `false`) or null means no limit."""
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    return value


def or_off(schema: dict[str, Any]) -> None:
    """The JSON Schema of a limit that can be off also accepts `off` and false."""
    schema.setdefault("anyOf", []).append({"enum": [False, "off"]})


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
"""An integer, never a boolean or quoted text."""
Number = Annotated[float, BeforeValidator(_number)]
"""A finite number (the models refuse .inf and .nan), never a boolean or quoted text."""
Count = Annotated[WholeNumber, Field(ge=0, le=MAX_COUNT)]
Days = Annotated[Number, Field(gt=0, le=MAX_DAYS)]
CountLimit = Annotated[Count | None, BeforeValidator(off_means_none), Field(json_schema_extra=or_off)]
"""A count limit; null or off: no limit."""
DaysLimit = Annotated[Days | None, BeforeValidator(off_means_none), Field(json_schema_extra=or_off)]
"""A span of days that can be off (null or off)."""
MonthsLimit = Annotated[
    Annotated[Number, Field(gt=0, le=MAX_MONTHS)] | None,
    BeforeValidator(off_means_none),
    Field(json_schema_extra=or_off),
]
ResponseKind = Literal["accepted", "declined", "quick_reply"]
"""The outcomes a preset may count as a response."""


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

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    monthly_credits: Count = Field(description="credits granted each month (per seat when per_seat)")
    per_seat: StrictBool = Field(False, description="granted per seat into one pool shared by the contract's seats")
    grant_day: GrantDay = Field(GrantDay.ANNIVERSARY, description="day of month the grant arrives")
    cap_months: MonthsLimit = Field(
        None, description="balance never above cap_months x monthly grant (excess is forfeited); null or off: no cap"
    )
    batch_expiry_days: DaysLimit = Field(
        None, description="each batch expires this long after it arrives; null or off: batches never expire"
    )


class Rules(BaseModel):
    """Every rule value the engine reads; a preset is one instance of it."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(description="preset this bundle started from")
    plans: dict[str, PlanRules] = Field(description="plans this rule set defines")
    plan_aliases: dict[str, str] = Field(default_factory=dict, description="other names of defined plans")

    refund_rule: RefundRule = Field(description="no_response (seed) or response (current)")
    refund_window_days: Days = Field(description="days after sending within which the refund rule looks")
    response_kinds: tuple[ResponseKind, ...] = Field(
        description="outcomes that count as a response: accepted, declined, quick_reply"
    )

    policy_threshold: Number = Field(0.13, ge=0, le=1, description="minimum response rate of a seat")
    policy_min_sent: Count = Field(100, ge=1, description="InMails in the window before the rate is judged")
    policy_window_days: WholeNumber = Field(14, ge=1, le=3650, description="trailing window of the response-rate rule")
    policy_reading: Literal["responses_so_far", "matured"] = Field(
        "responses_so_far",
        description="responses_so_far: the InMails sent in the window and the responses they have had so far; "
        "matured: only InMails at least policy_maturity_days old, so each had time to be answered (an assumption: "
        "the public text does not say which LinkedIn uses)",
    )
    policy_maturity_days: WholeNumber = Field(
        7, ge=0, le=3650, description="with policy_reading matured: how old an InMail must be before the rule counts it"
    )
    policy_warning_days: WholeNumber = Field(14, ge=1, le=3650, description="length of a warning")
    policy_recheck_days: WholeNumber = Field(
        7, ge=0, le=3650, description="days after a warning ends before the re-check"
    )
    policy_restricted_days: WholeNumber = Field(
        14, ge=1, le=3650, description="length of an improvement period (bulk off)"
    )
    policy_restricted_daily_allowance: Count = Field(
        25, description="one-to-one InMails a restricted seat may still send per day"
    )

    daily_limit: CountLimit = Field(description="InMails per seat per calendar day (null or off: no limit)")
    first_week_limit: CountLimit = Field(description="InMails in a new seat's first week (null or off: no limit)")
    first_week_mode: Literal["calendar_week", "rolling_7_days"] = Field(
        "calendar_week", description="calendar_week: Monday to Sunday of activation; rolling_7_days: 7 days"
    )
    seat_monthly_limit: CountLimit = Field(
        None,
        description="credits one seat may spend from the pool per grant period (admin setting; null or off: no limit)",
    )

    first_degree_free: StrictBool = Field(True, description="messages to 1st-degree connections cost no credit")
    open_profile_free: StrictBool = Field(description="InMails to Open Profile members cost no credit")
    open_profile_monthly_allowance: CountLimit = Field(
        None, description="free Open Profile InMails per seat per calendar month (null or off: unlimited)"
    )
    reminder_after_days: DaysLimit = Field(
        None, description="automatic reminder for an unread InMail (null or off: none)"
    )
    report_window_days: DaysLimit = Field(
        None,
        description="the InMail report (analytics.csv) counts a response only when it came within this many days "
        "of sending; later ones stay pending (null or off: whenever it came)",
    )
    inmail_vs_email: Number = Field(1.3, gt=0, le=100, description="InMail response probability over email's")
    untranslated_shows_english: StrictBool = Field(True, description="an untranslated message shows in English")

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

    def plan_names(self) -> list[str]:
        """Every plan name the rule set accepts (its plans and their other names), sorted."""
        return sorted({*self.plans, *self.plan_aliases})

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
        # hold caps of the help pages beside the 90-day expiry: 15, 45, 150 and 120 credits
        "premium_career": PlanRules(monthly_credits=5, cap_months=3, batch_expiry_days=90),
        "premium_business": PlanRules(monthly_credits=15, cap_months=3, batch_expiry_days=90),
        "sales_navigator": PlanRules(
            monthly_credits=50, grant_day=GrantDay.FIRST_OF_MONTH, cap_months=3, batch_expiry_days=90
        ),
        "recruiter_lite": PlanRules(monthly_credits=30, cap_months=4, batch_expiry_days=90),
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
    report_window_days=30,
)

PRESETS: dict[str, Rules] = {r.name: r for r in (_SEED, _CURRENT)}

SOURCE_NAMES: dict[str, str] = {
    "T": "the source text (docs/source-text.txt)",
    "P": 'LinkedIn help pages, "Premium InMail credits"',
    "N": 'LinkedIn help pages, "Sales Navigator InMail credits"',
    "H": "LinkedIn help pages (Recruiter InMail credits, InMail response rate)",
    "D": 'design decision: neither source says (README, "The rule presets and where each value comes from")',
}
"""What each source code in `SOURCES` stands for."""

SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "seed": (
        ("name", ""),
        ("plans.recruiter.monthly_credits", "H"),  # the source text gives no number
        ("plans.recruiter.cap_months", "D"),  # the roll-over rule applied to the pool too
        ("plans.*.grant_day", "D"),
        ("plan_aliases*", "D"),
        ("policy_reading", "D"),  # the public text does not say which reading
        ("policy_maturity_days", "D"),
        ("policy_warning_days", "D"),  # the source gives no consequence: the linkedin-current ladder
        ("policy_recheck_days", "D"),
        ("policy_restricted_days", "D"),
        ("policy_restricted_daily_allowance", "D"),
        ("first_week_mode", "D"),
        ("seat_monthly_limit", "D"),
        ("report_window_days", "D"),  # the source text's report states no window
        ("*", "T"),
    ),
    "linkedin-current": (
        ("name", ""),
        ("plans.*.grant_day", "D"),
        ("plans.premium_career.*", "P"),
        ("plans.premium_business.*", "P"),
        ("plans.sales_navigator.*", "N"),
        ("plan_aliases*", "D"),
        ("policy_reading", "D"),  # the public text does not say which reading
        ("policy_maturity_days", "D"),
        ("policy_restricted_daily_allowance", "D"),  # "one-to-one only" has no published number
        ("daily_limit", "D"),  # not published: off
        ("first_week_limit", "D"),
        ("first_week_mode", "D"),
        ("seat_monthly_limit", "D"),  # an admin setting: off by default
        ("inmail_vs_email", "D"),  # sources disagree: 30% to 3x
        ("untranslated_shows_english", "D"),  # no data: kept from the source text
        ("*", "H"),
    ),
}
"""Where each value of a preset comes from: (dotted-name pattern, code of SOURCE_NAMES), first match wins."""


def value_source(preset_name: str, key: str) -> str:
    """The source code of rule value `key` (dotted) in preset `preset_name`; '' when it has none (a preset
    built from overrides, or the name)."""
    for pattern, code in SOURCES.get(preset_name, ()):
        if fnmatchcase(key, pattern):
            return code
    return ""


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
