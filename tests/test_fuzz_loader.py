"""Fuzzing the scenario loader: whatever the document and the `--set` items, `load_scenario` returns a valid
Scenario or raises ScenarioError, never anything else (issue 8, deliverable 2)."""

from __future__ import annotations

import contextlib
import copy
import os
import string
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.config.distributions import DISTRIBUTIONS
from sim.config.scenario import (
    AccountSpec,
    CandidatesSpec,
    ConnectionShares,
    RulesSpec,
    Scenario,
    ScenarioError,
    SimpleBehaviour,
    TeamGroup,
    load_scenario,
    set_dotted,
    validate_file,
)
from sim.rules.presets import Rules

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_N", "75")),  # FUZZ_N=5000 for a longer hunt
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _field_names(*models: type[BaseModel]) -> list[str]:
    return sorted({name for m in models for name in m.model_fields})


FIELDS = _field_names(
    Scenario,
    RulesSpec,
    AccountSpec,
    TeamGroup,
    CandidatesSpec,
    ConnectionShares,
    SimpleBehaviour,
    Rules,
    *DISTRIBUTIONS.values(),
)
WORDS = [*FIELDS, *DISTRIBUTIONS, "simple", "seed", "linkedin-current", "recruiter", "premium", "plans", "sweep"]

keys = st.one_of(st.sampled_from(WORDS), st.text(string.ascii_letters + "_.-0123456789 ", max_size=12))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=20),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
documents = st.dictionaries(keys, values, max_size=8)


def _dotted_keys() -> st.SearchStrategy[str]:
    part = st.one_of(st.sampled_from(WORDS), st.sampled_from(["0", "1", "3", "-1", "x", ""]), st.text(max_size=5))
    return st.lists(part, min_size=1, max_size=5).map(".".join)


set_items = st.lists(
    st.one_of(
        st.tuples(_dotted_keys(), st.text(max_size=15)).map(lambda kv: f"{kv[0]}={kv[1]}"),
        st.tuples(_dotted_keys(), scalars).map(lambda kv: f"{kv[0]}={kv[1]}"),
        st.text(max_size=20),
    ),
    max_size=4,
)


def _only_scenario_or_error(source: Any, overrides: list[str] | None) -> None:
    try:
        result = load_scenario(source, overrides)
    except ScenarioError as err:
        assert err.errors, "a ScenarioError must list at least one problem"
        assert all(isinstance(e, str) and e for e in err.errors)
        assert not any("Traceback" in e for e in err.errors)
        return
    assert isinstance(result, Scenario)


@SETTINGS
@given(documents, set_items)
def test_random_mappings_and_sets(doc: dict[str, Any], sets: list[str]) -> None:
    _only_scenario_or_error(doc, sets)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "scenario.yaml"


@SETTINGS
@given(st.one_of(values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)), st.text(max_size=200)), set_items)
def test_random_yaml_files(scratch: Path, text: str, sets: list[str]) -> None:
    scratch.write_text(text, encoding="utf-8")
    _only_scenario_or_error(scratch, sets)
    assert not any("could not check" in e for e in validate_file(scratch, sets))


BASE = """\
# a valid scenario touching every section; the fuzzers break it in random ways
name: fuzz_base
seed: 7
start: 2026-01-05
horizon_days: 30
rules:
  preset: linkedin-current
  overrides:
    daily_limit: 500
    plans.recruiter.monthly_credits: 100
accounts:
  - name: contract
    plan: recruiter
    seats: 4
    activation_days: [0, 0, 7, 14]
  - name: solo
    plan: premium_business
team:
  - name: sourcers
    count: 3
    daily_target: 12
    workdays: [mon, tue, wed, thu, fri]
    working_hours: [9, 17.5]
  - name: lead
    account: solo
    personalised_share: 0.9
  - name: mailers
    channel: email
    count: 2
candidates:
  population: 5000
  connections: {first: 0.1, second: 0.4, third: 0.5}
behaviour:
  model: simple
  response_probability: 0.25
  read_delay: {dist: gamma, shape: 2, mean_days: 1.5}
  reply_delay: {dist: empirical, values: [0.5, 1, 3]}
"""


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, len(BASE)), st.integers(0, 6), st.text(":-[]{}&*!|>#'\"\n 0a.", max_size=4)),
        min_size=1,
        max_size=4,
    ),
    set_items,
)
def test_mutated_text_of_a_valid_scenario(scratch: Path, edits: list[tuple[int, int, str]], sets: list[str]) -> None:
    text = BASE
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut :]
    scratch.write_text(text, encoding="utf-8")
    _only_scenario_or_error(scratch, sets)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[str]:
    out = [".".join(map(str, prefix))] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


VALID = yaml.safe_load(BASE)
VALID_PATHS = _paths(VALID)


def test_the_base_is_valid() -> None:
    assert load_scenario(VALID).name == "fuzz_base"


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(VALID_PATHS), values), min_size=1, max_size=4))
def test_valid_scenario_with_random_values(changes: list[tuple[str, Any]]) -> None:
    """Random values in the right places: exercises the checks across fields and the lenient ones."""
    doc = copy.deepcopy(VALID)
    for dotted, value in changes:
        with contextlib.suppress(ScenarioError):  # an earlier change may have removed the place
            set_dotted(doc, dotted, value)
    _only_scenario_or_error(doc, None)
