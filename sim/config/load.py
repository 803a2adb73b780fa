"""Loading a scenario: raw data (from a file or a dict) plus `--set` overrides, validated into a `Scenario`, or
a `ScenarioError` listing every problem with its line or `--set` item."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..rules import Rules
from .checks import AccountView, GroupView, cross_checks
from .errors import BAD, FieldIssues, Loc, ScenarioError, dotted, got_note
from .explain import explain_items, line_of
from .overrides import SetItem, parse_set_items, set_dotted, split_key
from .schema import AccountSpec, RulesSpec, Scenario, TeamGroup, normalise
from .yaml_reader import read_document


def _explain(err: ValidationError, data: dict[str, Any], lines: dict[Loc, int], sets: list[SetItem]) -> list[str]:
    items = explain_items(err, Scenario, data)
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
            line = line_of(loc, data, lines) if lines else None
            if line is not None:
                where, order = f" [line {line}]", line
        text = f"{dotted(loc)}: {reason}{where}"
        if text not in (t for _, t in placed):
            placed.append((order, text))
    return [text for _, text in sorted(placed, key=lambda p: p[0])]


def _field_value(model: type[BaseModel], raw: Any, name: str) -> Any:
    """Field `name` of `raw` checked on its own: its value, its default when absent, or BAD."""
    if not isinstance(raw, dict):
        return BAD
    if name not in raw:
        return model.model_fields[name].get_default(call_default_factory=True)
    try:
        return getattr(model.model_validate({name: raw[name]}), name)
    except (ValidationError, ValueError, TypeError):
        return BAD


def _lenient_cross_checks(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """The cross-section checks on raw data that failed elsewhere, using every value valid on its own."""
    try:
        rules: Rules | None = RulesSpec.model_validate(data.get("rules", {})).resolved()
    except (ValidationError, ValueError, TypeError):
        rules = None
    accounts = data.get("accounts", [{}])
    team = data.get("team", [{}])
    if not isinstance(accounts, list) or not isinstance(team, list):
        return []
    return cross_checks(
        rules,
        [AccountView(*(_field_value(AccountSpec, a, f) for f in ("name", "plan", "seats"))) for a in accounts],
        [GroupView(*(_field_value(TeamGroup, g, f) for f in ("account", "channel", "count"))) for g in team],
    )


_MISSING: Any = object()


def load(
    data: dict[str, Any],
    lines: dict[Loc, int],
    problems: list[str],
    label: str | None,
    overrides: dict[str, Any] | list[str] | None,
) -> Scenario:
    errors = list(problems)
    sets: list[SetItem] = []
    if overrides:
        if isinstance(overrides, list | tuple):
            pairs, unreadable = parse_set_items(list(overrides))
            errors += unreadable
        elif isinstance(overrides, dict):
            pairs = dict(overrides)
        else:
            raise ScenarioError([f"overrides: expected a list of 'key=value' or a mapping{got_note(overrides)}"], label)
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
            sets.append(SetItem(split_key(key), shown))
    version = data.pop("version", _MISSING)
    if version is not _MISSING and not isinstance(version, str):
        errors.append(f"version: expected the package version as text{got_note(version)}")
    recorded = _MISSING
    if isinstance(data.get("rules"), dict) and "resolved" in data["rules"]:
        data["rules"] = dict(data["rules"])
        recorded = data["rules"].pop("resolved")
    data = normalise(data)
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
        return load(copy.deepcopy(source), {}, [], None, overrides)
    if isinstance(source, str | Path):
        doc = read_document(source)
        return load(doc.data, doc.lines, doc.problems, str(source), overrides)
    raise ScenarioError([f"(top level): expected a file path or a mapping{got_note(source)}"])
