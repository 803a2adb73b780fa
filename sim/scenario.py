"""The scenario: a typed, strict schema with documented defaults, loaded from YAML with `--set` overrides.

Unknown keys are errors; every value is checked where it is read, so a bad scenario fails before any work.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import __version__
from .distributions import Delay, Exponential, LogNormal
from .rules import Rules, UnknownPlanError, UnknownPresetError, resolve

Share = Annotated[float, Field(ge=0, le=1)]


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
    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesSpec(_Strict):
    """Which preset, and which of its values to change (any preset field, by name or dotted path)."""

    preset: str = Field("seed", description="rule preset: seed (the source text) or linkedin-current")
    overrides: dict[str, Any] = Field(default_factory=dict, description="preset values to change")

    def resolved(self) -> Rules:
        return resolve(self.preset, self.overrides)

    @model_validator(mode="after")
    def _resolves(self) -> RulesSpec:
        try:
            self.resolved()
        except UnknownPresetError as err:
            raise ValueError(str(err)) from None
        return self


class AccountSpec(_Strict):
    """A plan holder. Recruiter plans pool credits over `seats`; single-member plans give each seat its own
    account with its own credits."""

    name: str = Field("contract", description="name that team groups use to pick their seats")
    plan: str = Field("recruiter", description="plan name, defined by the rule preset")
    seats: int = Field(1, ge=1, le=100_000, description="number of seats")
    start_day: int = Field(0, description="contract or billing start, in days from the scenario start")
    activation_days: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="day each seat is activated (one per seat); default: onboarding_interval_days"
    )
    onboarding_interval_days: int = Field(
        0, ge=0, description="staggered onboarding: seat i is activated on day i x this (0: all on day 0)"
    )

    @model_validator(mode="after")
    def _one_activation_per_seat(self) -> AccountSpec:
        if self.activation_days is not None and len(self.activation_days) != self.seats:
            raise ValueError(f"activation_days has {len(self.activation_days)} days for {self.seats} seats")
        return self

    def seat_activation_days(self) -> list[int]:
        if self.activation_days is not None:
            return list(self.activation_days)
        return [i * self.onboarding_interval_days for i in range(self.seats)]


class TeamGroup(_Strict):
    """Recruiters who work alike. Each InMail recruiter takes one seat of `account`."""

    name: str = Field("recruiters", description="label in tables and figures")
    count: int = Field(1, ge=1, le=100_000, description="recruiters in the group")
    account: str | None = Field(None, description="account whose seats they use (default: the first)")
    daily_target: int = Field(30, ge=0, description="messages each recruiter tries to send per workday")
    workdays: list[Weekday] = Field(
        default_factory=lambda: [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
        min_length=1,
        description="days of the week they work",
    )
    working_hours: tuple[float, float] = Field((9.0, 17.0), description="start and end hour of the workday")
    personalised_share: Share = Field(0.3, description="share of messages written for the candidate")
    message_length: int = Field(600, ge=1, le=10_000, description="characters per message")
    bulk_share: Share = Field(0.5, description="share of messages sent in bulk (off during a restriction)")
    channel: Literal["inmail", "email"] = Field("inmail", description="inmail (credits) or email (no credit)")

    @model_validator(mode="after")
    def _hours(self) -> TeamGroup:
        start, end = self.working_hours
        if not 0 <= start < end <= 24:
            raise ValueError(f"working_hours must satisfy 0 <= start < end <= 24 (got {start}, {end})")
        return self


class ConnectionShares(_Strict):
    first: Share = Field(0.05, description="1st-degree connections (messages cost no credit)")
    second: Share = Field(0.45, description="2nd-degree")
    third: Share = Field(0.50, description="3rd-degree and beyond")

    @model_validator(mode="after")
    def _sum_to_one(self) -> ConnectionShares:
        total = self.first + self.second + self.third
        if abs(total - 1) > 1e-9:
            raise ValueError(f"connection shares must sum to 1 (got {total:g})")
        return self


class CandidatesSpec(_Strict):
    """The population the whole team draws from; no candidate is contacted twice in a run."""

    population: int = Field(20_000, ge=1, le=50_000_000, description="candidates that can be contacted")
    connections: ConnectionShares = Field(default_factory=ConnectionShares)
    open_profile_share: Share = Field(0.05, description="Open Profile members")
    known_email_share: Share = Field(0.3, description="candidates whose email address is known")


class SimpleBehaviour(_Strict):
    """Every candidate alike: read after `read_delay`, respond with `response_probability` after
    `reply_delay`, accepting with `accept_share`."""

    model: Literal["simple"] = "simple"
    response_probability: Share = Field(0.2, description="chance a read InMail gets a response")
    accept_share: Share = Field(0.6, description="share of responses that accept")
    read_delay: Delay = Field(
        default_factory=lambda: Exponential(dist="exponential", mean_days=2.0),
        description="days from sending to reading",
    )
    reply_delay: Delay = Field(
        default_factory=lambda: LogNormal(dist="lognormal", median_days=1.0, sigma=1.0),
        description="days from reading to responding",
    )


Behaviour = Annotated[SimpleBehaviour, Field(discriminator="model")]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class Scenario(_Strict):
    """A what-if: accounts and seats, the team, the candidates, how they behave, under which rules."""

    name: str = Field("scenario", description="short name, used for the results folder")
    description: str = Field("", description="what the scenario asks, in plain words")
    seed: int = Field(12345, ge=0, description="root seed: the same seed gives the same results")
    start: date = Field(date(2026, 1, 5), description="first simulated day (a real date)")
    horizon_days: int = Field(90, ge=1, le=3650, description="simulated days")
    replications: int = Field(5, ge=1, le=10_000, description="independent replications")
    engine: Literal["reference", "fast"] = Field(
        "reference", description="reference: one SimPy event per lifecycle step; fast: due-time queues (same results)"
    )
    rules: RulesSpec = Field(default_factory=RulesSpec)
    accounts: list[AccountSpec] = Field(default_factory=lambda: [AccountSpec()], min_length=1)
    team: list[TeamGroup] = Field(default_factory=lambda: [TeamGroup()], min_length=1)
    candidates: CandidatesSpec = Field(default_factory=CandidatesSpec)
    behaviour: Behaviour = Field(default_factory=SimpleBehaviour)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if not _NAME.match(self.name):
            raise ValueError(f"name must be letters, digits, '_', '-' or '.', at most 80 (got {self.name!r})")
        rules = self.rules.resolved()
        names = [a.name for a in self.accounts]
        if len(set(names)) != len(names):
            raise ValueError(f"account names must be unique (got {names})")
        for account in self.accounts:
            try:
                rules.plan(account.plan)
            except UnknownPlanError as err:
                raise ValueError(f"accounts.{names.index(account.name)}.plan: {err}") from None
        need: dict[str, int] = {}
        for group in self.team:
            if group.channel == "email":
                continue
            target = group.account or names[0]
            if target not in names:
                raise ValueError(f"team group {group.name!r} uses account {target!r}, which is not defined")
            need[target] = need.get(target, 0) + group.count
        for account in self.accounts:
            if need.get(account.name, 0) > account.seats:
                raise ValueError(
                    f"account {account.name!r} has {account.seats} seats but its InMail recruiters need "
                    f"{need[account.name]}"
                )
        return self

    def resolved_rules(self) -> Rules:
        return self.rules.resolved()

    def resolved_dict(self) -> dict[str, Any]:
        """Every value filled in, rules expanded, plus the package version: rerunning it reproduces the run."""
        data = self.model_dump(mode="json")
        data["rules"]["resolved"] = self.resolved_rules().model_dump(mode="json")
        data["version"] = __version__
        return data


class ScenarioError(ValueError):
    """A scenario that cannot be used; `errors` lists every problem as `path.to.field: reason (got X)`."""

    def __init__(self, errors: list[str], source: str | None = None) -> None:
        self.errors = errors
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "invalid scenario\n" + "\n".join(f"  {e}" for e in errors))


def _format_validation_error(err: ValidationError) -> list[str]:
    out = []
    for item in err.errors():
        path = ".".join(str(p) for p in item["loc"]) or "(top level)"
        got = item.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        out.append(f"{path}: {item['msg']}{shown}")
    return out


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set `a.b.0.c` in nested dicts/lists, creating dicts on the way."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError([f"{key}: no list item {part!r} ({'.'.join(parts[:i])} has {len(node)})"])
            idx = int(part)
            if last:
                node[idx] = value
            else:
                node = node[idx]
        else:
            if last:
                node[part] = value
            else:
                if part not in node or node[part] is None:
                    node[part] = {}
                node = node[part]


def parse_set(items: list[str]) -> dict[str, Any]:
    """`key=value` strings to a dict; values are read as YAML scalars or flow collections."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError([f"--set {item!r}: expected dotted.key=value"])
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as err:
            raise ScenarioError([f"{key}: value is not valid YAML ({err})"]) from None
    return out


def load_scenario(source: str | Path | dict[str, Any], overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """A validated Scenario from a YAML path or a dict, with dotted `overrides` applied first."""
    import copy

    import yaml

    label: str | None = None
    if isinstance(source, dict):
        data = copy.deepcopy(source)
    else:
        label = str(source)
        path = Path(source)
        if not path.is_file():
            raise ScenarioError([f"file not found: {path}"], label)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ScenarioError([f"not valid YAML: {err}"], label) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ScenarioError([f"(top level): expected a mapping of sections (got {type(data).__name__})"], label)
    if overrides:
        pairs = parse_set(overrides) if isinstance(overrides, list) else overrides
        for key, value in pairs.items():
            set_dotted(data, key, value)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_validation_error(err), label) from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors' completion and checking."""
    return Scenario.model_json_schema()


def validate_file(path: str | Path, sets: list[str] | None = None) -> list[str]:
    """Every problem of the scenario at `path` (with `--set` items applied); empty when it is valid."""
    try:
        load_scenario(path, sets)
    except ScenarioError as err:
        return err.errors
    return []
