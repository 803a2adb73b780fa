"""The scenario: a typed, strict schema with documented defaults, loaded from YAML with `--set` overrides.

Unknown keys are errors; every value is checked where it is read, so a bad scenario fails before any work.
Every problem is reported at once, one line each, as `path.to.field: reason (got X) [line N]`, in words a
recruiting-ops reader understands (`unknown key; did you mean 'daily_target'?`), never as a traceback.

Files are read with a `yaml.SafeLoader` subclass that keeps the line of every key and list item, refuses
duplicate keys, and refuses anchors/aliases that expand into an enormous document.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .. import __version__
from ..rules import Rules, UnknownPlanError, UnknownPresetError, resolve
from ..rules.presets import PRESETS
from .distributions import DISTRIBUTIONS, Delay, Exponential, FieldIssues, LogNormal, example, parameters
from .segments import SegmentedBehaviour

Share = Annotated[float, Field(ge=0, le=1)]
Loc = tuple[str | int, ...]


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
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_true_or_false_as_numbers(cls, data: Any) -> Any:
        """YAML reads yes/no/on/off as true/false; a number field must not quietly take them as 1/0, so they
        reach it as text and fail its check."""
        if isinstance(data, dict):
            fields = cls.model_fields
            numbers = [
                k
                for k, v in data.items()
                if isinstance(v, bool) and k in fields and fields[k].annotation in (int, float)
            ]
            if numbers:
                data = {**data, **{k: str(data[k]).lower() for k in numbers}}
        return data


def _did_you_mean(word: Any, options: list[str]) -> str:
    """`; did you mean 'x'?` when `word` is close to one of `options`, else ''."""
    if not isinstance(word, str) or not options:
        return ""
    lowered = {o.lower(): o for o in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[match[0]]!r}?" if match else ""


def _got(value: Any) -> str:
    """` (got X)` with a short rendering of `value`."""
    if value is None:
        return " (got nothing)"
    if isinstance(value, dict):
        return " (got a mapping)" if value else " (got an empty mapping)"
    if isinstance(value, list | tuple):
        text = repr(list(value))
        return f" (got {text})" if len(text) <= 60 else f" (got a list of {len(value)} items)"
    text = repr(value.isoformat() if isinstance(value, date) else value)
    return f" (got {text if len(text) <= 60 else text[:57] + '...'})"


class RulesSpec(_Strict):
    """Which preset, and which of its values to change (any preset field, by name or dotted path)."""

    preset: str = Field("seed", description="rule preset: seed (the source text) or linkedin-current")
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
            hint = _did_you_mean(self.preset, list(PRESETS))
            raise FieldIssues(
                [(("preset",), f"unknown preset{hint} (presets: {', '.join(PRESETS)}){_got(self.preset)}")]
            ) from None
        except ValidationError as err:
            issues = [(("overrides", *item_loc), msg) for item_loc, msg in _explain_items(err, Rules, None)]
            raise FieldIssues(issues) from None
        except (TypeError, AttributeError, ValueError, KeyError) as err:
            raise FieldIssues([(("overrides",), f"cannot apply these overrides: {err}")]) from None
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

    @field_validator("activation_days")
    @classmethod
    def _one_activation_per_seat(cls, days: list[int] | None, info: ValidationInfo) -> list[int] | None:
        seats = info.data.get("seats")
        if days is not None and isinstance(seats, int) and len(days) != seats:
            raise ValueError(f"gives {len(days)} activation days for {seats} seats: give one day per seat{_got(days)}")
        return days

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
    translated: bool = Field(False, description="messages written in each reader's language (else English)")
    looks_like_scam: bool = Field(False, description="messages that look like a scam recruiter's")
    follow_up_after_days: int | None = Field(
        None, ge=3, le=28, description="a free follow-up to an InMail still unanswered after this many days"
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

    population: int = Field(20_000, ge=1, le=10_000_000_000, description="candidates that can be contacted")
    connections: ConnectionShares = Field(
        default_factory=ConnectionShares, description="shares of 1st, 2nd and 3rd-degree connections"
    )
    open_profile_share: Share = Field(0.05, description="Open Profile members")
    known_email_share: Share = Field(0.3, description="candidates whose email address is known")


class SimpleBehaviour(_Strict):
    """Every candidate alike: read after `read_delay`, respond with `response_probability` after
    `reply_delay`, accepting with `accept_share`."""

    model: Literal["simple"] = Field("simple", description="the behaviour model (simple: every candidate alike)")
    response_probability: Share = Field(0.2, description="chance a read InMail gets a response")
    accept_share: Share = Field(0.6, description="share of responses that accept")
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
        "fast", description="reference: one SimPy event per lifecycle step; fast: due-time queues (same results)"
    )
    rules: RulesSpec = Field(default_factory=RulesSpec, description="the rule preset and the values it changes")
    accounts: list[AccountSpec] = Field(
        default_factory=lambda: [AccountSpec()], min_length=1, description="contracts or plan holders and their seats"
    )
    team: list[TeamGroup] = Field(
        default_factory=lambda: [TeamGroup()], min_length=1, description="groups of recruiters who work alike"
    )
    candidates: CandidatesSpec = Field(default_factory=CandidatesSpec, description="the candidate population")
    behaviour: Behaviour = Field(
        default_factory=SimpleBehaviour, description="how candidates read and respond (model: simple or segmented)"
    )
    sweep: SweepSpec | None = Field(None, description="for `inmail-sim sweep`: the factors or points to run")

    @model_validator(mode="before")
    @classmethod
    def _fill_behaviour_model(cls, data: Any) -> Any:
        return _normalise(data)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(
                "is used as a folder name: letters, digits, '_', '-' or '.', starting with a letter or digit, "
                f"at most 80 characters{_got(name)}"
            )
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        issues = _cross_checks(
            self.rules,
            [_AccountView(a.name, a.plan, a.seats) for a in self.accounts],
            [_GroupView(g.account, g.channel, g.count) for g in self.team],
        )
        if issues:
            raise FieldIssues(issues)
        return self

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
        data["version"] = __version__
        return data


def _normalise(data: Any) -> Any:
    """`behaviour` without `model:` means the simple model (its documented default)."""
    if isinstance(data, dict):
        behaviour = data.get("behaviour")
        if isinstance(behaviour, dict) and "model" not in behaviour:
            data = {**data, "behaviour": {"model": "simple", **behaviour}}
    return data


_BAD: Any = object()  # a value that failed its own check (already reported)


@dataclass
class _AccountView:
    name: Any
    plan: Any
    seats: Any


@dataclass
class _GroupView:
    account: Any
    channel: Any
    count: Any


def _cross_checks(
    rules: RulesSpec | None, accounts: list[_AccountView], team: list[_GroupView]
) -> list[tuple[Loc, str]]:
    """Checks that read several sections. `_BAD` stands for a value that is itself invalid (already reported):
    checks that need it are skipped, so a file with field errors still gets every check it can."""
    issues: list[tuple[Loc, str]] = []
    names = [a.name for a in accounts]
    known = [n for n in names if n is not _BAD]
    first_use: dict[str, int] = {}
    for i, n in enumerate(names):
        if n is _BAD:
            continue
        if n in first_use:
            issues.append(
                (("accounts", i, "name"), f"accounts.{first_use[n]} already has this name: give each its own{_got(n)}")
            )
        else:
            first_use[n] = i
    resolved: Rules | None = None
    if rules is not None:
        try:
            resolved = rules.resolved()
        except (ValueError, TypeError, AttributeError, KeyError):
            resolved = None
    if resolved is not None:
        defined = sorted({*resolved.plans, *resolved.plan_aliases})
        for i, a in enumerate(accounts):
            if a.plan is _BAD:
                continue
            try:
                resolved.plan(a.plan)
            except UnknownPlanError:
                issues.append(
                    (
                        ("accounts", i, "plan"),
                        f"plan not defined by preset {resolved.name!r}{_did_you_mean(a.plan, defined)} "
                        f"(it defines: {', '.join(defined)}){_got(a.plan)}",
                    )
                )
    need: dict[int, list[int]] = {}
    for j, g in enumerate(team):
        if g.channel != "inmail" or g.account is _BAD or not names:
            continue
        if g.account is None:
            target = 0
        elif g.account in names:
            target = names.index(g.account)
        else:
            if _BAD not in names:
                issues.append(
                    (
                        ("team", j, "account"),
                        f"no account has this name{_did_you_mean(g.account, known)} "
                        f"(accounts: {', '.join(known)}){_got(g.account)}",
                    )
                )
            continue
        need.setdefault(target, []).append(j)
    for i, groups in need.items():
        seats = accounts[i].seats
        counts = {j: team[j].count for j in groups if team[j].count is not _BAD}
        total = sum(counts.values())
        if seats is not _BAD and total > seats:
            who = ", ".join(f"team.{j} ({n})" for j, n in counts.items())
            issues.append(
                (
                    ("accounts", i, "seats"),
                    f"{seats} seat(s) but {total} InMail recruiters use this account ({who}); each "
                    f"recruiter needs a seat: add seats or lower the team counts{_got(seats)}",
                )
            )
    return issues


def _field_value(model: type[BaseModel], raw: Any, name: str) -> Any:
    """Field `name` of `raw` checked on its own: its value, its default when absent, or _BAD."""
    if not isinstance(raw, dict):
        return _BAD
    if name not in raw:
        return model.model_fields[name].get_default(call_default_factory=True)
    try:
        return getattr(model.model_validate({name: raw[name]}), name)
    except (ValidationError, ValueError, TypeError):
        return _BAD


def _lenient_cross_checks(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """The cross-section checks on raw data that failed elsewhere, using every value valid on its own."""
    try:
        rules: RulesSpec | None = RulesSpec.model_validate(data.get("rules", {}))
    except (ValidationError, ValueError, TypeError):
        rules = None
    accounts = data.get("accounts", [{}])
    team = data.get("team", [{}])
    if not isinstance(accounts, list) or not isinstance(team, list):
        return []
    return _cross_checks(
        rules,
        [_AccountView(*(_field_value(AccountSpec, a, f) for f in ("name", "plan", "seats"))) for a in accounts],
        [_GroupView(*(_field_value(TeamGroup, g, f) for f in ("account", "channel", "count"))) for g in team],
    )


class ScenarioError(ValueError):
    """A scenario that cannot be used; `errors` lists every problem as `path.to.field: reason (got X)`."""

    def __init__(self, errors: list[str], source: str | None = None) -> None:
        self.errors = errors
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "invalid scenario\n" + "\n".join(f"  {e}" for e in errors))


# ----------------------------------------------------------------------------------------------------------
# Reading YAML safely, with the line of every key and list item

MAX_FILE_BYTES = 2_000_000
MAX_VALUES = 100_000  # values in the document once aliases are expanded (a scenario has a few hundred)
MAX_DEPTH = 40

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _LineLoader(yaml.SafeLoader):
    """The safe loader; `_Reader` composes nodes with it and builds plain data, keeping each path's line.
    Composing stops at MAX_DEPTH levels, before Python's recursion limit."""

    depth = 0
    where = "(file)"

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise _Fatal(f"{self.where}: nested more than {MAX_DEPTH} levels deep [line {line}]")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Fatal(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


@dataclass
class _Document:
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


class _Reader:
    def __init__(self, loader: _LineLoader, where: str) -> None:
        self.loader = loader
        self.where = where
        self.values = 0
        self.doc = _Document(None)

    def build(self, node: yaml.Node, loc: Loc, depth: int, ancestors: frozenset[int]) -> Any:
        self.values += 1
        line = node.start_mark.line + 1
        if self.values > MAX_VALUES:
            raise _Fatal(
                f"{self.where}: the document expands to more than {MAX_VALUES:,} values (at {_dotted(loc)}) "
                f"[line {line}]; YAML anchors and aliases (&name, *name) that repeat each other this much are "
                "refused: write the values out"
            )
        if depth > MAX_DEPTH:
            raise _Fatal(f"{self.where}: nested more than {MAX_DEPTH} levels deep (at {_dotted(loc)}) [line {line}]")
        if id(node) in ancestors:
            raise _Fatal(f"{self.where}: a YAML alias refers to itself (at {_dotted(loc)}) [line {line}]")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, loc)
        if node.tag not in (_MAP, _SEQ):
            raise _Fatal(
                f"{_dotted(loc)}: YAML tag {_tag(node.tag)!r} is not allowed: write plain values, lists and mappings "
                f"[line {line}]"
            )
        inner = ancestors | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            out_list = []
            for i, item in enumerate(node.value):
                self.doc.lines.setdefault((*loc, i), item.start_mark.line + 1)
                out_list.append(self.build(item, (*loc, i), depth + 1, inner))
            return out_list
        assert isinstance(node, yaml.MappingNode)
        merged: dict[str, Any] = {}
        explicit: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Fatal(f"{_dotted(loc)}: a key must be a plain name, not a list or mapping [line {key_line}]")
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                    part = self.build(source, loc, depth + 1, inner)
                    if not isinstance(part, dict):
                        raise _Fatal(f"{_dotted(loc)}: '<<' must merge a mapping [line {key_line}]")
                    for k, v in part.items():
                        merged.setdefault(k, v)
                continue
            key = str(key_node.value)
            if key in first_line:
                self.doc.problems.append(
                    f"{_dotted((*loc, key))}: duplicate key: first on line {first_line[key]}, again on line "
                    f"{key_line}; keep one [line {key_line}]"
                )
            first_line.setdefault(key, key_line)
            self.doc.lines[(*loc, key)] = key_line
            explicit[key] = self.build(value_node, (*loc, key), depth + 1, inner)
        return {**merged, **explicit}

    def scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        try:
            return self.loader.construct_object(node)
        except yaml.constructor.ConstructorError:
            raise _Fatal(
                f"{_dotted(loc)}: YAML tag {_tag(node.tag)!r} is not allowed: write plain values "
                f"[line {node.start_mark.line + 1}]"
            ) from None
        except (ValueError, TypeError, OverflowError):
            return node.value  # e.g. 2026-13-45 looks like a date but is not one: let validation say so


def _reader_problem(where: str, err: yaml.reader.ReaderError, text: str) -> str:
    char = f"#x{err.character:04x}" if isinstance(err.character, int) else repr(err.character)
    line = text[: err.position].count("\n") + 1
    return f"{where}: contains a control character YAML does not allow ({char}): is this a text file? [line {line}]"


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _parse_yaml(text: str, where: str) -> _Document:
    """Plain data (dicts, lists, scalars) from YAML `text`, with lines and duplicate keys; raises
    ScenarioError for text that cannot be read. `where` prefixes file-level messages."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as err:
        raise ScenarioError([_reader_problem(where, err, text)]) from None
    loader.where = where
    try:
        try:
            root = loader.get_single_node()
        except _Fatal as err:
            raise ScenarioError([err.message]) from None
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            what = ", ".join(x for x in (err.context, err.problem) if x)
            at = f" at column {mark.column + 1} [line {mark.line + 1}]" if mark else ""
            raise ScenarioError([f"{where}: YAML syntax error: {what}{at}"]) from None
        except yaml.reader.ReaderError as err:
            raise ScenarioError([_reader_problem(where, err, text)]) from None
        except yaml.YAMLError as err:
            raise ScenarioError([f"{where}: not valid YAML: {err}"]) from None
        except RecursionError:
            raise ScenarioError([f"{where}: nested too deeply to read"]) from None
        if root is None:
            return _Document(None)
        reader = _Reader(loader, where)
        try:
            reader.doc.lines[()] = root.start_mark.line + 1
            reader.doc.data = reader.build(root, (), 0, frozenset())
        except _Fatal as err:
            raise ScenarioError([err.message]) from None
        except RecursionError:
            raise ScenarioError([f"{where}: nested too deeply to read"]) from None
        return reader.doc
    finally:
        loader.dispose()


def _read_document(path: str | Path) -> _Document:
    """The scenario mapping in the file at `path`, with its lines; ScenarioError when it cannot be one."""
    label = str(path)
    p = Path(path)
    try:
        if not p.exists():
            raise ScenarioError([f"(file): no such file: {label}"], label)
        if p.is_dir():
            raise ScenarioError([f"(file): {label} is a folder, not a scenario file"], label)
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                [f"(file): the file is {size:,} bytes; a scenario is a few KB (at most {MAX_FILE_BYTES:,})"], label
            )
        raw = p.read_bytes()
    except OSError as err:
        raise ScenarioError([f"(file): cannot read {label}: {err.strerror or err}"], label) from None
    if b"\x00" in raw:
        raise ScenarioError(["(file): this is a binary file, not a YAML text file"], label)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(
            [f"(file): not UTF-8 text (byte 0x{raw[err.start]:02x} at position {err.start}): save it as UTF-8"],
            label,
        ) from None
    try:
        doc = _parse_yaml(text, "(file)")
    except ScenarioError as err:
        raise ScenarioError(err.errors, label) from None
    if doc.data is None:
        raise ScenarioError(
            ["(file): the file is empty (or only comments): write the scenario's sections, or {} for all defaults"],
            label,
        )
    if not isinstance(doc.data, dict):
        got = " (got a list)" if isinstance(doc.data, list) else _got(doc.data)
        line = doc.lines.get((), 1)
        raise ScenarioError(
            [f"(top level): expected a mapping of sections such as name:, accounts:, team:{got} [line {line}]"], label
        )
    return doc


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in the YAML file at `path`, read safely (other modules' reader, e.g. sweeps)."""
    doc = _read_document(path)
    if doc.problems:
        raise ScenarioError(doc.problems, str(path))
    data: dict[str, Any] = doc.data
    return data


# ----------------------------------------------------------------------------------------------------------
# Explaining validation errors


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _pick(tp: Any, node: Any) -> Any:
    """The member of a tagged union of models that `node` names by its `dist`/`model` key, else None."""
    if not isinstance(node, dict):
        return None
    for member in get_args(tp):
        if not _is_model(member):
            continue
        for tag in ("dist", "model"):
            info = member.model_fields.get(tag)
            if info is not None and tag in node and node[tag] in get_args(info.annotation):
                return member
    return None


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _type_at(root: Any, loc: Loc, data: Any) -> Any:
    """The (unwrapped) type the schema rooted at `root` expects at `loc`, or None when unknown."""
    tp, node = root, data
    for part in loc:
        tp = _unwrap(tp)
        if get_origin(tp) in (Union, types.UnionType):
            tp = _pick(tp, node)
        if _is_model(tp):
            info = tp.model_fields.get(str(part))
            if info is None:
                return None
            tp = info.annotation
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is tuple and isinstance(part, int) and part < len(get_args(tp)):
            tp = get_args(tp)[part]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
        node = _child(node, part)
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return _pick(tp, node) or tp
    return tp


def _is_distribution(tp: Any) -> bool:
    if _is_model(tp):
        return tp in DISTRIBUTIONS.values()
    return get_origin(tp) in (Union, types.UnionType) and any(a in DISTRIBUTIONS.values() for a in get_args(tp))


def _clean_loc(loc: Loc, data: Any) -> Loc:
    """Pydantic's location without the union tags it inserts (`read_delay.lognormal.sigma` is
    `read_delay.sigma` in the file)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            tags = [node[t] for t in ("dist", "model") if t in node and isinstance(node[t], str | int | float)]
            if part in tags and part not in node:
                continue
            out.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            out.append(part)
            node = _child(node, part)
        elif node is None:
            out.append(part)
        else:
            break  # inside a single value: what follows names types, not keys
    return tuple(out)


def _num(x: Any) -> str:
    return f"{x:,g}" if isinstance(x, float) else f"{x:,}" if isinstance(x, int) else str(x)


def _expected_values(ctx: dict[str, Any] | None) -> list[str]:
    return re.findall(r"'([^']*)'", str((ctx or {}).get("expected", "")))


def _dist_menu() -> str:
    return ", ".join(f"{name} ({', '.join(parameters(name))})" for name in DISTRIBUTIONS)


def _reason(kind: str, msg: str, ctx: dict[str, Any] | None, value: Any, loc: Loc, root: Any, data: Any) -> str:
    """Pydantic's message for one error, in plain words, with ` (got X)` where it helps."""
    ctx = ctx or {}
    got = _got(value)
    if kind == "extra_forbidden":
        parent = _type_at(root, loc[:-1], data)
        keys = [k for k in parent.model_fields if k not in ("dist", "model")] if _is_model(parent) else []
        hint = _did_you_mean(loc[-1], keys) if loc else ""
        if hint:
            return f"unknown key{hint}"
        return f"unknown key (keys here: {', '.join(keys)})" if keys else "unknown key"
    if kind == "missing":
        parent = _type_at(root, loc[:-1], data)
        if _is_model(parent) and parent in DISTRIBUTIONS.values():
            name = next(n for n, c in DISTRIBUTIONS.items() if c is parent)
            article = "an" if name[0] in "aeiou" else "a"
            return (
                f"missing: {article} {name} distribution needs {' and '.join(parameters(name))}, e.g. {example(name)}"
            )
        return "missing: this setting is required"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(ctx.get("discriminator", "")).strip("'")
        tag = ctx.get("tag")
        names = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        if disc == "dist":
            if kind == "union_tag_not_found":
                return (
                    f"a random delay needs `dist:` naming its distribution, one of: {_dist_menu()}; "
                    f"e.g. {example('exponential')}"
                )
            return (
                f"unknown distribution {tag!r}{_did_you_mean(tag, list(DISTRIBUTIONS))}; dist must be one of: "
                f"{_dist_menu()}"
            )
        if kind == "union_tag_not_found":
            return f"needs `{disc}:` (one of: {', '.join(names)})"
        return f"unknown {disc} {tag!r}{_did_you_mean(tag, names)}; {disc} must be one of: {', '.join(names)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if _is_distribution(_type_at(root, loc, data)):
            return f"expected a distribution such as {example('exponential')}{got}"
        return f"expected a mapping of settings (key: value lines){got}"
    yes_no = "; yes/no/on/off mean true/false in YAML" if value in ("true", "false") else ""
    if kind in ("int_type", "int_parsing"):
        return f"expected a whole number{yes_no}{got}"
    if kind == "int_from_float":
        return f"expected a whole number, not a fraction{got}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number{yes_no}{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false{got}"
    if kind in ("string_type", "string_unicode"):
        quote = "; put it in quotes" if isinstance(value, int | float | bool | date) else ""
        return f"expected text{quote}{got}"
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters{got}"
    if kind.startswith("date") or kind.startswith("datetime"):
        detail = f": {ctx['error']}" if isinstance(ctx.get("error"), str) else ""
        return f"expected a date like 2026-01-05 (year-month-day){detail}{got}"
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx.get('ge'))}{got}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx.get('gt'))}{got}"
    if kind == "less_than_equal":
        share = " (shares and probabilities are between 0 and 1)" if ctx.get("le") == 1 else ""
        return f"must be at most {_num(ctx.get('le'))}{share}{got}"
    if kind == "less_than":
        return f"must be less than {_num(ctx.get('lt'))}{got}"
    if kind in ("literal_error", "enum"):
        options = _expected_values(ctx)
        return f"must be one of: {', '.join(options)}{_did_you_mean(value, options)}{got}"
    if kind in ("list_type", "tuple_type", "set_type"):
        if loc and loc[-1] == "working_hours":
            return f"expected [start, end] hours, e.g. [9, 17]{got}"
        return f"expected a list (one '- item' per line, or [a, b]){got}"
    if kind == "too_short":
        n = ctx.get("min_length")
        if isinstance(value, list | tuple | dict) and not value:
            return f"needs at least {n} item{'s' if n != 1 else ''} (got none)"
        return f"needs at least {n} item{'s' if n != 1 else ''}{got}"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"has too many items: at most {n}{got}"
    if kind in ("value_error", "assertion_error"):
        text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return text if "(got" in text else f"{text}{got}"
    return msg if isinstance(value, dict | list) else f"{msg}{got}"


def _explain_items(err: ValidationError, root: Any, data: Any) -> list[tuple[Loc, str]]:
    """(path, reason) for every error in `err`, paths as the user wrote them, checks across fields expanded
    to the field they name."""
    out: list[tuple[Loc, str]] = []
    for item in err.errors():
        raw_loc = tuple(item["loc"])
        loc = _clean_loc(raw_loc, data) if data is not None else raw_loc
        ctx = item.get("ctx") or {}
        issue = ctx.get("error")
        if isinstance(issue, FieldIssues):
            out += [((*loc, *sub), msg) for sub, msg in issue.issues]
            continue
        out.append((loc, _reason(item["type"], item["msg"], ctx, item.get("input"), loc, root, data)))
    return out


def _line_of(loc: Loc, data: Any, lines: dict[Loc, int]) -> int | None:
    """The YAML line of `loc` or of its nearest written parent; keys may be written dotted
    (`plans.recruiter.monthly_credits:` under `rules.overrides`)."""
    node: Any = data
    at: Loc = ()
    best, i = lines.get(()), 0
    while i < len(loc):
        part = loc[i]
        if isinstance(node, dict):
            for j in range(len(loc), i, -1):
                key = ".".join(str(p) for p in loc[i:j])
                if key in node:
                    at, node, i = (*at, key), node[key], j
                    break
            else:
                break
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            at, node, i = (*at, part), node[part], i + 1
        else:
            break
        best = lines.get(at, best)
    return best


@dataclass
class _SetItem:
    loc: Loc
    text: str


def _split_key(key: str) -> Loc:
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in key.split("."))


def _explain(err: ValidationError, data: dict[str, Any], lines: dict[Loc, int], sets: list[_SetItem]) -> list[str]:
    items = _explain_items(err, Scenario, data)
    checked_across = any(
        item["loc"] == () and isinstance((item.get("ctx") or {}).get("error"), FieldIssues) for item in err.errors()
    )
    if not checked_across:
        seen = set(items)
        items += [i for i in _lenient_cross_checks(data) if i not in seen]
    placed: list[tuple[float, str]] = []
    for loc, reason in items:
        where, order = "", float("inf")
        from_set = [s for s in sets if loc[: len(s.loc)] == s.loc]
        if from_set:
            where = f" [--set {from_set[-1].text}]"
        else:
            line = _line_of(loc, data, lines) if lines else None
            if line is not None:
                where, order = f" [line {line}]", line
        text = f"{_dotted(loc)}: {reason}{where}"
        if text not in (t for _, t in placed):
            placed.append((order, text))
    return [text for _, text in sorted(placed, key=lambda p: p[0])]


# ----------------------------------------------------------------------------------------------------------
# --set overrides and loading


def _default_list(loc: Loc) -> list[Any]:
    """The default of the list field at `loc` as plain data (so `--set team.0.count=3` works on a file
    without `team:`), or [] when there is none."""
    from pydantic_core import to_jsonable_python

    parent = _type_at(Scenario, loc[:-1], None)
    if not _is_model(parent) or not isinstance(loc[-1], str) or loc[-1] not in parent.model_fields:
        return []
    default = parent.model_fields[loc[-1]].get_default(call_default_factory=True)
    return list(to_jsonable_python(default)) if isinstance(default, list | tuple) else []


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set `a.b.0.c` in nested dicts/lists, creating mappings (or the default list) on the way."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = ".".join(parts[:i]) or "(top level)"
        if isinstance(node, list):
            if not (part.isascii() and part.isdigit()):
                example = ".".join([here, "0", *parts[i:]]) if part and part[0] not in "-+" else f"{here}.0"
                raise ScenarioError(
                    [f"{key}: {here} is a list: name an item by its number from 0, e.g. {example} (got {part!r})"]
                )
            idx = int(part)
            if idx >= len(node):
                has = f"has {len(node)} item{'s' if len(node) != 1 else ''}, numbered 0 to {len(node) - 1}"
                raise ScenarioError([f"{key}: {here} {has if node else 'has no items'}; there is no item {idx}"])
            if last:
                node[idx] = value
            else:
                node = node[idx]
                if not isinstance(node, dict | list):
                    raise ScenarioError([f"{key}: {here}.{idx} is a single value{_got(node)}, not a section"])
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return
            child = node.get(part)
            if child is None:
                loc = _split_key(".".join(parts[: i + 1]))
                tp = _type_at(Scenario, loc, None)
                if get_origin(tp) in (list, tuple):
                    child = _default_list(loc)
                elif tp is None or tp is Any or _is_model(tp) or get_origin(tp) in (dict, Union, types.UnionType):
                    child = {}
                else:
                    raise ScenarioError([f"{key}: {'.'.join(parts[: i + 1])} is a single value, not a section"])
                node[part] = child
            elif not isinstance(child, dict | list):
                raise ScenarioError(
                    [f"{key}: {'.'.join(parts[: i + 1])} is a single value{_got(child)}, not a section"]
                )
            node = child


def parse_set(items: list[str]) -> dict[str, Any]:
    """`key=value` strings to a dict; values are read as YAML scalars or flow collections."""
    out, errors = _parse_set_items(items)
    if errors:
        raise ScenarioError(errors)
    return out


_LINE_SUFFIX = re.compile(r" \[line \d+\]$")


def _parse_set_items(items: list[str]) -> tuple[dict[str, Any], list[str]]:
    out: dict[str, Any] = {}
    errors: list[str] = []
    for item in items:
        if not isinstance(item, str):
            errors.append(f"--set {item!r}: expected dotted.key=value")
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            errors.append(f"--set {item!r}: expected dotted.key=value")
            continue
        if not raw.strip():
            out[key] = ""
            continue
        try:
            doc = _parse_yaml(raw, f"{key}: the value of --set {item}")
        except ScenarioError as err:
            errors += [_LINE_SUFFIX.sub("", e) for e in err.errors]  # no line numbers for a one-line value
            continue
        if doc.problems:
            errors += [f"{key}: in --set {item}: {_LINE_SUFFIX.sub('', p)}" for p in doc.problems]
            continue
        out[key] = doc.data
    return out, errors


_MISSING: Any = object()


def _load(
    data: dict[str, Any],
    lines: dict[Loc, int],
    problems: list[str],
    label: str | None,
    overrides: dict[str, Any] | list[str] | None,
) -> Scenario:
    errors = list(problems)
    sets: list[_SetItem] = []
    if overrides:
        if isinstance(overrides, list | tuple):
            pairs, unreadable = _parse_set_items(list(overrides))
            errors += unreadable
        elif isinstance(overrides, dict):
            pairs = dict(overrides)
        else:
            raise ScenarioError([f"overrides: expected a list of 'key=value' or a mapping{_got(overrides)}"], label)
        for key, value in pairs.items():
            if not isinstance(key, str) or not key:
                errors.append(f"--set {key!r}: expected a dotted key")
                continue
            shown = f"{key}={value.isoformat() if isinstance(value, date) else value}"
            try:
                set_dotted(data, key, value)
            except ScenarioError as err:
                errors += [f"{e} [--set {shown}]" for e in err.errors]
                continue
            sets.append(_SetItem(_split_key(key), shown))
    version = data.pop("version", _MISSING)
    if version is not _MISSING and not isinstance(version, str):
        errors.append(f"version: expected the package version as text{_got(version)}")
    recorded = _MISSING
    if isinstance(data.get("rules"), dict) and "resolved" in data["rules"]:
        data["rules"] = dict(data["rules"])
        recorded = data["rules"].pop("resolved")
    data = _normalise(data)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(errors + _explain(err, data, lines, sets), label) from None
    except RecursionError:
        raise ScenarioError([*errors, "(top level): nested too deeply"], label) from None
    if recorded is not _MISSING:
        errors += _check_recorded_rules(scenario, recorded, lines.get(("rules", "resolved")))
    if errors:
        raise ScenarioError(errors, label)
    return scenario


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): value}


def _check_recorded_rules(scenario: Scenario, recorded: Any, line: int | None) -> list[str]:
    """A resolved scenario (`scenario.resolved.yaml`) records its rules; they must still be what the preset and
    overrides give, or rerunning it would not reproduce the run."""
    actual = _flatten(scenario.resolved_rules().model_dump(mode="json"))
    given = _flatten(recorded)
    for key in sorted(set(actual) | set(given)):
        if actual.get(key, _MISSING) != given.get(key, _MISSING):
            return [
                f"rules.resolved: {key} is {given.get(key, '(absent)')!r} here but preset "
                f"{scenario.rules.preset!r} with rules.overrides gives {actual.get(key, '(absent)')!r}; "
                "rules.resolved records what a run used: change rules.overrides instead"
                + (f" [line {line}]" if line else "")
            ]
    return []


def load_scenario(source: str | Path | dict[str, Any], overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """A validated Scenario from a YAML path or a dict, with dotted `overrides` applied first.

    Raises ScenarioError (and nothing else) listing every problem."""
    if isinstance(source, dict):
        return _load(copy.deepcopy(source), {}, [], None, overrides)
    if isinstance(source, str | Path):
        doc = _read_document(source)
        return _load(doc.data, doc.lines, doc.problems, str(source), overrides)
    raise ScenarioError([f"(top level): expected a file path or a mapping{_got(source)}"])


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors' completion and checking: every field with its
    description and default."""
    from pydantic_core import to_jsonable_python

    schema = Scenario.model_json_schema()
    defs = schema.get("$defs", {})
    for model in (Scenario, RulesSpec, AccountSpec, TeamGroup, ConnectionShares, CandidatesSpec, SimpleBehaviour):
        target = schema if model is Scenario else defs.get(model.__name__)
        if target is None:
            continue
        props = target.get("properties", {})
        for name, info in model.model_fields.items():
            if name in props and "default" not in props[name] and info.default_factory is not None:
                props[name]["default"] = to_jsonable_python(info.get_default(call_default_factory=True))
    props = schema["properties"]
    props["version"] = {"type": "string", "description": "package version that wrote a resolved scenario"}
    if "RulesSpec" in defs:
        defs["RulesSpec"]["properties"]["resolved"] = {
            "type": "object",
            "description": "in a resolved scenario: the rule values a run used (must match preset + overrides)",
        }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "inmail-sim scenario"
    return schema


def validate_file(path: str | Path, sets: list[str] | None = None) -> list[str]:
    """Every problem of the scenario at `path` (with `--set` items applied); empty when it is valid.

    A `sweep:` section is checked too: its keys must exist and every point must be a valid scenario."""
    try:
        doc = _read_document(path)
        has_sweep = doc.data.get("sweep") is not None
        _load(doc.data, doc.lines, doc.problems, str(path), sets)
        if has_sweep:
            from ..runner.sweep import load_sweep

            load_sweep(path, sets)
    except ScenarioError as err:
        return err.errors
    except Exception as err:  # never a traceback from `validate`: say what broke instead
        return [f"(file): could not check this scenario ({type(err).__name__}: {err}); please report it"]
    return []
