"""The scenario, one import away: the schema, loading (YAML file or dict, with `--set` overrides), validation
and the JSON Schema export. Each part lives in its own module of `sim.config`; this module gathers the names
other layers use (`from sim.config.scenario import Scenario, load_scenario, ...`)."""

from __future__ import annotations

from .errors import FieldIssues, ScenarioError
from .load import load_scenario
from .overrides import parse_set, set_dotted
from .schema import (
    AccountSpec,
    Behaviour,
    CandidatesSpec,
    ConnectionShares,
    RulesSpec,
    Scenario,
    SimpleBehaviour,
    SweepSpec,
    TeamGroup,
    Weekday,
)
from .schema_export import json_schema
from .validate import validate_file
from .yaml_reader import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, read_yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_VALUES",
    "AccountSpec",
    "Behaviour",
    "CandidatesSpec",
    "ConnectionShares",
    "FieldIssues",
    "RulesSpec",
    "Scenario",
    "ScenarioError",
    "SimpleBehaviour",
    "SweepSpec",
    "TeamGroup",
    "Weekday",
    "json_schema",
    "load_scenario",
    "parse_set",
    "read_yaml",
    "set_dotted",
    "validate_file",
]
