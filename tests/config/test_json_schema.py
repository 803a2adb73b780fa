"""The exported JSON Schema says what `inmail-sim validate` says, checked with a third-party validator
(`jsonschema`): every example scenario passes both, and every broken scenario that `validate` refuses is
refused by the schema too, except the cross-field rules JSON Schema cannot state (listed below by file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from sim.config.errors import ScenarioError
from sim.config.scenario import json_schema, load_scenario, validate_file
from sim.config.schema_export import CROSS_FIELD_RULES, SCHEMA_ID
from sim.config.yaml_reader import read_document

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
BROKEN = sorted((ROOT / "tests" / "bad_scenarios").glob("*.yaml"))

# Broken scenarios the schema accepts, each for a rule of CROSS_FIELD_RULES (validate refuses them all).
SCHEMA_CANNOT_SAY = {
    "activation_days_mismatch.yaml": "activation days per seat",
    "connections_not_sum_to_one.yaml": "connection shares sum to 1",
    "connections_partial.yaml": "connection shares sum to 1",
    "duplicate_account_names.yaml": "account names",
    "duplicate_key_nested.yaml": "YAML itself",
    "duplicate_key_top.yaml": "YAML itself",
    "more_recruiters_than_seats.yaml": "seats for recruiters",
    "plan_not_in_preset.yaml": "plan defined by the preset",
    "sweep_unknown_key.yaml": "sweep points",
    "uniform_high_not_above_low.yaml": "uniform delays",
    "unknown_account_in_team.yaml": "account names",
    "working_hours_reversed.yaml": "working hours in order",
    "start_far_future.yaml": "start date range",
    "email_group_unknown_account.yaml": "account names",
}


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _as_json(data: Any) -> Any:
    """What an editor's YAML-to-JSON step hands the schema: dates as ISO text."""
    return json.loads(json.dumps(data, default=str))


def _schema_accepts(validator: Draft202012Validator, path: Path) -> bool:
    """Whether the schema accepts the file; a file that is not a readable YAML mapping is refused."""
    try:
        data = read_document(path).data
    except ScenarioError:
        return False
    return validator.is_valid(_as_json(data))


def test_schema_has_an_id_and_names_what_it_cannot_check() -> None:
    schema = json_schema()
    assert schema["$id"] == SCHEMA_ID
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for rule in CROSS_FIELD_RULES.values():
        assert rule in schema["description"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_passes_the_schema_and_validate(validator: Draft202012Validator, path: Path) -> None:
    assert validate_file(path) == []
    errors = [e.message for e in validator.iter_errors(_as_json(read_document(path).data))]
    assert errors == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_resolved_scenario_a_run_writes_passes_the_schema(validator: Draft202012Validator, path: Path) -> None:
    resolved = load_scenario(path).resolved_dict(seed=7, replications=2)
    assert [e.message for e in validator.iter_errors(_as_json(resolved))] == []


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_schema_refuses_what_validate_refuses(validator: Draft202012Validator, path: Path) -> None:
    assert validate_file(path) != []
    accepted = _schema_accepts(validator, path)
    if path.name in SCHEMA_CANNOT_SAY:
        assert accepted, f"{path.name} is refused by the schema now: remove it from SCHEMA_CANNOT_SAY"
        assert SCHEMA_CANNOT_SAY[path.name] in CROSS_FIELD_RULES
    else:
        assert not accepted, f"the schema accepts {path.name}, which validate refuses"


def test_every_listed_exception_is_a_file_of_the_corpus() -> None:
    assert set(SCHEMA_CANNOT_SAY) <= {p.name for p in BROKEN}


@pytest.mark.parametrize(
    ("value", "valid"),
    [(None, True), (False, True), ("off", True), (0, True), (500, True), (True, False), ("500", False), (-1, False)],
)
def test_a_limit_that_can_be_off_means_the_same_to_both(
    validator: Draft202012Validator, value: Any, valid: bool
) -> None:
    data = {"rules": {"overrides": {"daily_limit": value}}}
    assert validator.is_valid(data) is valid
    try:
        load_scenario(data)
        loaded = True
    except ScenarioError:
        loaded = False
    assert loaded is valid


@pytest.mark.parametrize(
    "data",
    [
        {"team": [{"daily_target": "30"}]},  # a quoted number: refused by both
        {"horizon_days": "90"},
        {"rules": {"overrides": {"plans.recruiter.monthly_credits": "100"}}},
        {"rules": {"overrides": {"response_kinds": ["accepted", "maybe"]}}},
        {"rules": {"overrides": {"policy_threshold": True}}},
        {"rules": {"overrides": {"plans.recruiter.cap_monhts": 3}}},
        {"rules": {"preset": "linkedin-2019"}},
        {"team": [{"translated": 1}]},
    ],
)
def test_schema_and_validate_agree_on_values(validator: Draft202012Validator, data: dict[str, Any]) -> None:
    assert not validator.is_valid(data)
    with pytest.raises(ScenarioError):
        load_scenario(data)


@pytest.mark.parametrize(
    "data",
    [
        {"rules": {"overrides": {"plans.recruiter.monthly_credits": 100, "daily_limit": "off"}}},
        {"rules": {"overrides": {"plans": {"recruiter": {"cap_months": None}}}}},
        {"rules": {"preset": "linkedin-current"}, "accounts": [{"plan": "recruiter_lite"}]},
        {"team": [{"follow_up_after_days": False, "working_hours": [8.5, 18]}]},
    ],
)
def test_schema_and_validate_both_accept(validator: Draft202012Validator, data: dict[str, Any]) -> None:
    assert [e.message for e in validator.iter_errors(data)] == []
    load_scenario(data)
