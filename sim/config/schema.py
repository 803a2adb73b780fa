"""The scenario schema: typed, strict pydantic models with documented defaults. Unknown keys are errors and
every value is checked where it is read, so a bad scenario fails before any work."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..rules import Rules, UnknownPresetError, resolve
from ..rules.contract import account_labels, pool_cap, pool_size
from ..rules.presets import MAX_COUNT, PRESETS, Number, WholeNumber, off_means_none, or_off
from .checks import AccountView, GroupView, cross_checks
from .costs import CostsSpec
from .decide import DecideSpec
from .distributions import Delay, Exponential, FieldIssues, LogNormal
from .errors import did_you_mean, got_note
from .explain import explain_items
from .segments import SegmentedBehaviour
from .state import StateSpec, state_issues

MAX_DAY = 3650  # a day offset or span: ten years, the longest horizon

Share = Annotated[Number, Field(ge=0, le=1)]
Day = Annotated[WholeNumber, Field(ge=0, le=MAX_DAY)]
FIRST_START = date(1970, 1, 1)
LAST_START = date(2200, 12, 31)  # start + horizon stays far inside every date type the outputs use
MAX_GROUPS = 1_000  # accounts, and team groups: seats and senders stay within the engines' int32
MAX_POPULATION = 2**31 - 1  # candidate ids are int32 in the engines
MAX_DAILY_TARGET = MAX_COUNT  # any count; what fits the machine is the estimate guard's check
MAX_REPLICATIONS = 10_000
ALL_PLANS: tuple[str, ...] = tuple(sorted({p for r in PRESETS.values() for p in r.plan_names()}))
FollowUp = Annotated[
    Annotated[WholeNumber, Field(ge=3, le=28)] | None, BeforeValidator(off_means_none), Field(json_schema_extra=or_off)
]
"""Days before a free follow-up; null or off: none."""


def package_version() -> str:
    """The installed package's version, recorded in a resolved scenario."""
    try:
        return version("inmail-sim")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+local"


def _hours_of_day(schema: dict[str, Any]) -> None:
    """JSON Schema: each of the two hours is between 0 and 24 (that start < end it cannot say)."""
    for item in schema.get("prefixItems", []):
        item.update(minimum=0, maximum=24)


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        return list(Weekday).index(self)


class _Strict(BaseModel):
    """Unknown keys refused, values frozen, numbers finite; number fields are `WholeNumber`/`Number`, which
    take neither booleans (YAML's yes/no/on/off) nor quoted text."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RulesSpec(_Strict):
    """Which preset, and which of its values to change (any preset field, by name or dotted path)."""

    preset: str = Field(
        "seed",
        description="rule preset: seed (the source text) or linkedin-current",
        json_schema_extra={"enum": list(PRESETS)},
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="preset values to change, by name or dotted path, e.g. daily_limit: 500 or "
        "plans.recruiter.monthly_credits: 100 (see `inmail-sim presets`)",
    )

    def resolved(self) -> Rules:
        return resolve(self.preset, self.overrides)

    @model_validator(mode="after")
    def _resolves(self) -> RulesSpec:
        try:
            self.resolved()
        except UnknownPresetError:
            hint = did_you_mean(self.preset, list(PRESETS))
            raise FieldIssues(
                [(("preset",), f"unknown preset{hint} (presets: {', '.join(PRESETS)}){got_note(self.preset)}")]
            ) from None
        except ValidationError as err:
            issues = [(("overrides", *item_loc), msg) for item_loc, msg in explain_items(err, Rules, None)]
            raise FieldIssues(issues) from None
        except (TypeError, AttributeError, ValueError, KeyError) as err:
            raise FieldIssues([(("overrides",), f"cannot apply these overrides: {err}")]) from None
        return self


class AccountSpec(_Strict):
    """A plan holder. Recruiter plans pool credits over `seats`; single-member plans give each seat its own
    account with its own credits."""

    name: str = Field("contract", description="name that team groups use to pick their seats")
    plan: str = Field(
        "recruiter",
        description="plan name, defined by the rule preset: the schema lists every preset's plans; which the "
        "chosen preset defines (and plans added by rules.overrides) is checked by `inmail-sim validate`",
        json_schema_extra={"enum": list(ALL_PLANS)},
    )
    seats: WholeNumber = Field(1, ge=1, le=100_000, description="number of seats")
    start_day: WholeNumber = Field(
        0, ge=-MAX_DAY, le=MAX_DAY, description="contract or billing start, in days from the scenario start"
    )
    activation_days: list[Day] | None = Field(
        None, description="day each seat is activated (one per seat); default: onboarding_interval_days"
    )
    onboarding_interval_days: WholeNumber = Field(
        0, ge=0, le=MAX_DAY, description="staggered onboarding: seat i is activated on day i x this (0: all on day 0)"
    )

    @field_validator("activation_days")
    @classmethod
    def _one_activation_per_seat(cls, days: list[int] | None, info: ValidationInfo) -> list[int] | None:
        seats = info.data.get("seats")
        if days is not None and isinstance(seats, int) and len(days) != seats:
            raise ValueError(
                f"gives {len(days)} activation days for {seats} seats: give one day per seat{got_note(days)}"
            )
        return days

    def seat_activation_days(self) -> list[int]:
        if self.activation_days is not None:
            return list(self.activation_days)
        return [i * self.onboarding_interval_days for i in range(self.seats)]


class TeamGroup(_Strict):
    """Recruiters who work alike. Each InMail recruiter takes one seat of `account`."""

    name: str = Field("recruiters", description="label in tables and figures")
    count: WholeNumber = Field(1, ge=1, le=100_000, description="recruiters in the group")
    account: str | None = Field(None, description="account whose seats they use (default: the first)")
    daily_target: WholeNumber = Field(
        30, ge=0, le=MAX_DAILY_TARGET, description="messages each recruiter tries to send per workday"
    )
    workdays: list[Weekday] = Field(
        default_factory=lambda: [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
        min_length=1,
        description="days of the week they work",
    )
    working_hours: tuple[Number, Number] = Field(
        (9.0, 17.0),
        description="start and end hour of the workday, 0 <= start < end <= 24 (start < end: checked by validate)",
        json_schema_extra=_hours_of_day,
    )
    personalised_share: Share = Field(0.3, description="share of messages written for the candidate")
    message_length: WholeNumber = Field(600, ge=1, le=10_000, description="characters per message")
    bulk_share: Share = Field(0.5, description="share of messages sent in bulk (off during a restriction)")
    channel: Literal["inmail", "email"] = Field("inmail", description="inmail (credits) or email (no credit)")
    translated: StrictBool = Field(False, description="messages written in each reader's language (else English)")
    looks_like_scam: StrictBool = Field(False, description="messages that look like a scam recruiter's")
    follow_up_after_days: FollowUp = Field(
        None,
        description="a free follow-up to an InMail still unanswered after this many days (3 to 28; null or off: none)",
    )

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, hours: tuple[float, float]) -> tuple[float, float]:
        start, end = hours
        if not 0 <= start < end <= 24:
            raise ValueError(
                f"must be [start, end] hours with 0 <= start < end <= 24, e.g. [9, 17] (got [{start:g}, {end:g}])"
            )
        return hours


class ConnectionShares(_Strict):
    """How the population splits by connection degree; the three shares sum to 1."""

    first: Share = Field(0.05, description="1st-degree connections (messages cost no credit)")
    second: Share = Field(0.45, description="2nd-degree")
    third: Share = Field(0.50, description="3rd-degree and beyond")

    @model_validator(mode="after")
    def _sum_to_one(self) -> ConnectionShares:
        total = self.first + self.second + self.third
        if abs(total - 1) > 1e-9:
            raise FieldIssues(
                [
                    (
                        (),
                        f"first + second + third must sum to 1 (got {self.first:g} + {self.second:g} + "
                        f"{self.third:g} = {total:g}; a share left out takes its default: 0.05, 0.45, 0.5)",
                    )
                ]
            )
        return self


class CandidatesSpec(_Strict):
    """The population the whole team draws from; no candidate is contacted twice in a run."""

    population: WholeNumber = Field(20_000, ge=1, le=MAX_POPULATION, description="candidates that can be contacted")
    connections: ConnectionShares = Field(
        default_factory=ConnectionShares, description="shares of 1st, 2nd and 3rd-degree connections"
    )
    open_profile_share: Share = Field(0.05, description="Open Profile members")
    known_email_share: Share = Field(0.3, description="candidates whose email address is known")
    arrivals_per_day: int = Field(
        0,
        ge=0,
        le=10_000_000,
        description="new candidates entering the pool each day after the first (a pool that refreshes); "
        "they are contacted after those already there",
    )


class SimpleBehaviour(_Strict):
    """Every candidate alike: read after `read_delay`, respond with `response_probability` after
    `reply_delay`, accepting with `accept_share`."""

    model: Literal["simple"] = Field("simple", description="the behaviour model (simple: every candidate alike)")
    response_probability: Share = Field(0.2, description="chance a read InMail gets a response")
    accept_share: Share = Field(0.6, description="share of responses that accept")
    quick_reply_share: Share = Field(
        0.0,
        description="share of responses that are a quick reply (a canned one-click answer) rather than an accept "
        "or decline; it counts as a response only where the rules' response_kinds include quick_reply",
    )
    read_delay: Delay = Field(
        default_factory=lambda: Exponential(dist="exponential", mean_days=2.0),
        description="days from sending to reading, e.g. {dist: exponential, mean_days: 2}",
    )
    reply_delay: Delay = Field(
        default_factory=lambda: LogNormal(dist="lognormal", median_days=1.0, sigma=1.0),
        description="days from reading to responding, e.g. {dist: lognormal, median_days: 1, sigma: 1}",
    )


Behaviour = Annotated[SimpleBehaviour | SegmentedBehaviour, Field(discriminator="model")]


class SweepSpec(_Strict):
    """The `sweep:` section. `factors` is a grid (every combination); a key naming several dotted keys
    separated by commas sets all of them to the same value (e.g. seats and recruiters together)."""

    factors: dict[str, list[Any]] = Field(default_factory=dict, description="dotted key -> values (a grid)")
    points: list[dict[str, Any]] = Field(default_factory=list, description="explicit points: dotted key -> value")
    labels: dict[str, str] = Field(default_factory=dict, description="factor key -> axis label in figures")


NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
_NAME = re.compile(NAME_PATTERN)


class Scenario(_Strict):
    """A what-if: accounts and seats, the team, the candidates, how they behave, under which rules."""

    name: str = Field(
        "scenario",
        description="short name, used for the results folder",
        json_schema_extra={"pattern": NAME_PATTERN},
    )
    description: str = Field("", description="what the scenario asks, in plain words")
    seed: WholeNumber = Field(12345, ge=0, le=2**63 - 1, description="root seed: the same seed gives the same results")
    start: date = Field(
        date(2026, 1, 5),
        description=f"first simulated day (a real date, {FIRST_START} to {LAST_START})",
        json_schema_extra={"formatMinimum": str(FIRST_START), "formatMaximum": str(LAST_START)},
    )
    horizon_days: WholeNumber = Field(90, ge=1, le=MAX_DAY, description="simulated days")
    replications: WholeNumber = Field(5, ge=1, le=MAX_REPLICATIONS, description="independent replications")
    engine: Literal["reference", "fast"] = Field(
        "fast", description="reference: one SimPy event per lifecycle step; fast: due-time queues (same results)"
    )
    rules: RulesSpec = Field(default_factory=RulesSpec, description="the rule preset and the values it changes")
    accounts: list[AccountSpec] = Field(
        default_factory=lambda: [AccountSpec()],
        min_length=1,
        max_length=MAX_GROUPS,
        description="contracts or plan holders and their seats",
    )
    team: list[TeamGroup] = Field(
        default_factory=lambda: [TeamGroup()],
        min_length=1,
        max_length=MAX_GROUPS,
        description="groups of recruiters who work alike",
    )
    candidates: CandidatesSpec = Field(default_factory=CandidatesSpec, description="the candidate population")
    behaviour: Behaviour = Field(
        default_factory=SimpleBehaviour, description="how candidates read and respond (model: simple or segmented)"
    )
    sweep: SweepSpec | None = Field(None, description="for `inmail-sim sweep`: the factors or points to run")
    costs: CostsSpec | None = Field(None, description="prices of seats, plans and time (default: list prices)")
    decide: DecideSpec | None = Field(None, description="for `inmail-sim recommend`: levers, objective, limits")
    state: StateSpec | list[StateSpec] | None = Field(
        None,
        description="a forecast's start: credits, seats and InMails in flight at `start` "
        "(a list: one state per replication, in turn)",
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_behaviour_model(cls, data: Any) -> Any:
        return normalise(data)

    @field_validator("start")
    @classmethod
    def _start_in_range(cls, start: date) -> date:
        if not FIRST_START <= start <= LAST_START:
            raise ValueError(f"must be a date from {FIRST_START} to {LAST_START}{got_note(start)}")
        return start

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(
                "is used as a folder name: letters, digits, '_', '-' or '.', starting with a letter or digit, "
                f"at most 80 characters{got_note(name)}"
            )
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        issues = cross_checks(
            self.rules.resolved(),
            [AccountView(a.name, a.plan, a.seats) for a in self.accounts],
            [GroupView(g.account, g.channel, g.count) for g in self.team],
        )
        if not issues and self.state is not None:
            issues = self._state_issues()
        if issues:
            raise FieldIssues(issues)
        return self

    def _state_issues(self) -> list[tuple[tuple[str | int, ...], str]]:
        """The state block checked against the rules and the accounts (labels as the engines give them)."""
        rules = self.resolved_rules()
        labels: dict[str, tuple[str, int | None]] = {}
        for a in self.accounts:
            cap = pool_cap(rules, a.plan, pool_size(rules, a.plan, a.seats))
            labels.update({n: (a.plan, cap) for n in account_labels(rules, a.plan, a.name, a.seats)})
        n_seats = sum(a.seats for a in self.accounts)
        states = self.state if isinstance(self.state, list) else [self.state] if self.state else []
        issues = []
        for k, state in enumerate(states):
            for loc, msg in state_issues(rules, state, self.start, labels, n_seats):
                where = loc if not isinstance(self.state, list) else (loc[0], k, *loc[1:])
                issues.append((where, msg))
        return issues

    def resolved_rules(self) -> Rules:
        return self.rules.resolved()

    def resolved_dict(self, seed: int | None = None, replications: int | None = None) -> dict[str, Any]:
        """Every value filled in, rules expanded, plus the package version: rerunning it reproduces the run.
        `seed` and `replications` record what a run actually used when the command line changed them."""
        data = self.model_dump(mode="json")
        if seed is not None:
            data["seed"] = seed
        if replications is not None:
            data["replications"] = replications
        data["rules"]["resolved"] = self.resolved_rules().model_dump(mode="json")
        data["version"] = package_version()
        return data


def normalise(data: Any) -> Any:
    """`behaviour` without `model:` means the simple model (its documented default)."""
    if isinstance(data, dict):
        behaviour = data.get("behaviour")
        if isinstance(behaviour, dict) and "model" not in behaviour:
            data = {**data, "behaviour": {"model": "simple", **behaviour}}
    return data
