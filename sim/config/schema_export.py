"""The JSON Schema of a scenario file, for editors' completion and checking (`inmail-sim schema`)."""

from __future__ import annotations

from typing import Any

from .schema import AccountSpec, CandidatesSpec, ConnectionShares, RulesSpec, Scenario, SimpleBehaviour, TeamGroup


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
