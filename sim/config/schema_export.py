"""The JSON Schema of a scenario file (`inmail-sim schema`), for editors' completion and checking. It says what
`inmail-sim validate` says wherever JSON Schema can: types, ranges, enums (presets, plans, response kinds),
the name pattern, the rule values `rules.overrides` may change. What it cannot say is listed in
`CROSS_FIELD_RULES` and left to `validate`."""

from __future__ import annotations

import re
from typing import Any

from ..rules.presets import Rules
from .schema import AccountSpec, CandidatesSpec, ConnectionShares, RulesSpec, Scenario, SimpleBehaviour, TeamGroup

SCHEMA_ID = "urn:inmail-sim:scenario"

CROSS_FIELD_RULES: dict[str, str] = {
    "plan defined by the preset": "accounts.N.plan must be a plan of the chosen preset (or one rules.overrides adds); "
    "the schema lists every preset's plans",
    "working hours in order": "team.N.working_hours: start < end",
    "connection shares sum to 1": "candidates.connections: first + second + third = 1",
    "activation days per seat": "accounts.N.activation_days: one day per seat",
    "seats for recruiters": "each account has a seat for every InMail recruiter who uses it",
    "account names": "account names are unique, and team.N.account names one of them",
    "uniform delays": "behaviour.*.high_days > low_days",
    "segment shares": "segmented behaviour: segment shares and activity shares sum to 1",
    "start date range": "start from 1970-01-01 to 2200-12-31 (JSON Schema checks a date's format, not its range)",
    "rule values together": "rules.overrides: a new plan needs monthly_credits; plan aliases name defined plans",
    "sweep points": "sweep: each key exists and every point is a valid scenario",
    "YAML itself": "duplicate keys, tags, anchors that expand enormously, files that are not UTF-8 text",
}
"""Checks `validate` makes that JSON Schema cannot state, by name: what each requires."""

_BOUNDS = {
    "ge": ("minimum", max),
    "gt": ("exclusiveMinimum", max),
    "le": ("maximum", min),
    "lt": ("exclusiveMaximum", min),
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file: every field with its description, default and
    range."""
    schema = Scenario.model_json_schema()
    defs = schema.setdefault("$defs", {})
    _fill_defaults(schema, defs)
    schema["properties"]["version"] = {
        "type": "string",
        "description": "package version that wrote a resolved scenario",
    }
    rules_spec = defs["RulesSpec"]["properties"]
    rules_spec["resolved"] = {
        "type": "object",
        "description": "in a resolved scenario: the rule values a run used (must match preset + overrides)",
    }
    rules_spec["overrides"] = {**rules_spec["overrides"], **_overrides_schema(defs)}
    _standard_bounds(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "inmail-sim scenario"
    schema["description"] = (
        "A scenario for inmail-sim. `inmail-sim validate` also checks what JSON Schema cannot state: "
        + "; ".join(CROSS_FIELD_RULES.values())
    )
    return schema


def _fill_defaults(schema: dict[str, Any], defs: dict[str, Any]) -> None:
    """Defaults made by a factory, which pydantic leaves out of the schema."""
    from pydantic_core import to_jsonable_python

    for model in (Scenario, RulesSpec, AccountSpec, TeamGroup, ConnectionShares, CandidatesSpec, SimpleBehaviour):
        target = schema if model is Scenario else defs.get(model.__name__)
        if target is None:
            continue
        props = target.get("properties", {})
        for name, info in model.model_fields.items():
            if name in props and "default" not in props[name] and info.default_factory is not None:
                props[name]["default"] = to_jsonable_python(info.get_default(call_default_factory=True))


def _overrides_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """`rules.overrides`: any rule value by name, nested (`plans: {recruiter: {...}}`) or dotted
    (`plans.recruiter.monthly_credits`), with the rule's own type and range."""
    rules = Rules.model_json_schema(ref_template="#/$defs/{model}")
    for name, sub in rules.pop("$defs", {}).items():
        defs.setdefault(name, sub)
    plan = {k: v for k, v in defs["PlanRules"].items() if k != "required"}
    defs["PlanOverride"] = {**plan, "title": "PlanOverride", "description": "values of one plan to change or add"}
    props = {k: v for k, v in rules["properties"].items() if k not in ("plans", "plan_aliases")}
    props["plans"] = {"type": "object", "additionalProperties": {"$ref": "#/$defs/PlanOverride"}}
    props["plan_aliases"] = {"type": "object", "additionalProperties": {"type": "string"}}
    patterns: dict[str, Any] = {r"^plans\.[^.]+$": {"$ref": "#/$defs/PlanOverride"}}
    for field, sub in defs["PlanRules"]["properties"].items():
        patterns[rf"^plans\.[^.]+\.{re.escape(field)}$"] = sub
    patterns[r"^plan_aliases\.[^.]+$"] = {"type": "string"}
    return {"properties": props, "patternProperties": patterns, "additionalProperties": False}


def _standard_bounds(node: Any) -> None:
    """Pydantic writes the bounds of a validated-before number as `ge`/`le`/...: JSON Schema's words are
    minimum/maximum/exclusive*, and where both appear the tighter one holds (as in validation)."""
    if isinstance(node, dict):
        for raw, (word, pick) in _BOUNDS.items():
            if raw in node and node.get("type") in ("integer", "number"):
                bound = node.pop(raw)
                node[word] = pick(node[word], bound) if word in node else bound
        for value in node.values():
            _standard_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _standard_bounds(value)


__all__ = ["CROSS_FIELD_RULES", "SCHEMA_ID", "json_schema"]
