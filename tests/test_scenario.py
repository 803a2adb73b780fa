"""The scenario schema, its loader and the distributions: defaults, overrides, resolved scenarios, error
messages with field paths and lines, safe YAML reading, the JSON Schema, and exact CDFs."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from sim import __version__
from sim.config.distributions import DISTRIBUTIONS, Empirical, Exponential, Fixed, Gamma, LogNormal, Uniform, parameters
from sim.config.scenario import (
    MAX_VALUES,
    AccountSpec,
    Scenario,
    ScenarioError,
    SimpleBehaviour,
    TeamGroup,
    Weekday,
    json_schema,
    load_scenario,
    parse_set,
    read_yaml,
    set_dotted,
    validate_file,
)

ROOT = Path(__file__).resolve().parent.parent


def _errors(source: Any, overrides: Any = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    assert info.value.errors
    return info.value.errors


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- defaults


def test_defaults_load_from_an_empty_mapping() -> None:
    scenario = load_scenario({})
    assert scenario == Scenario()
    assert scenario.name == "scenario"
    assert scenario.start == date(2026, 1, 5)
    assert scenario.horizon_days == 90
    assert scenario.rules.preset == "seed"
    assert [a.plan for a in scenario.accounts] == ["recruiter"]
    assert scenario.team == [TeamGroup()]
    assert scenario.team[0].workdays == [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI]
    assert isinstance(scenario.behaviour, SimpleBehaviour)
    assert scenario.behaviour.read_delay == Exponential(dist="exponential", mean_days=2.0)


def test_an_empty_mapping_in_a_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_scenario(_write(tmp_path, "{}\n")) == Scenario()


def test_behaviour_without_model_is_the_simple_model() -> None:
    scenario = load_scenario({"behaviour": {"response_probability": 0.1}})
    assert scenario.behaviour.model == "simple"
    assert scenario.behaviour.response_probability == 0.1


def test_weekday_numbers() -> None:
    assert [d.number for d in Weekday] == list(range(7))


def test_seat_activation_days() -> None:
    assert AccountSpec(seats=3, onboarding_interval_days=7).seat_activation_days() == [0, 7, 14]
    assert AccountSpec(seats=2, activation_days=[3, 1]).seat_activation_days() == [3, 1]


# ---------------------------------------------------------------------------------------------- overrides


def test_dotted_overrides_from_strings_are_read_as_yaml_scalars() -> None:
    scenario = load_scenario(
        {"team": [{"count": 1}, {"count": 1, "name": "b"}], "accounts": [{"seats": 5}]},
        [
            "team.1.count=3",
            "horizon_days=30",
            "start=2026-03-02",
            "team.0.workdays=[mon, wed]",
            "candidates.connections={first: 0.2, second: 0.3, third: 0.5}",
            "rules.overrides.plans.recruiter.monthly_credits=99",
            "behaviour.read_delay={dist: fixed, days: 1}",
            "description=",
        ],
    )
    assert scenario.team[1].count == 3
    assert scenario.horizon_days == 30
    assert scenario.start == date(2026, 3, 2)
    assert scenario.team[0].workdays == [Weekday.MON, Weekday.WED]
    assert scenario.candidates.connections.first == 0.2
    assert scenario.resolved_rules().plans["recruiter"].monthly_credits == 99
    assert scenario.behaviour.read_delay == Fixed(dist="fixed", days=1)
    assert scenario.description == ""


def test_dotted_overrides_as_a_mapping() -> None:
    scenario = load_scenario({}, {"team.0.count": 1, "seed": 9, "rules.preset": "linkedin-current"})
    assert scenario.seed == 9
    assert scenario.rules.preset == "linkedin-current"


def test_an_index_into_a_default_list_works() -> None:
    scenario = load_scenario({}, ["accounts.0.seats=4", "team.0.count=4", "team.0.workdays.1=sat"])
    assert scenario.accounts[0].seats == 4
    assert scenario.team[0].count == 4
    assert scenario.team[0].workdays[1] == Weekday.SAT


def test_overrides_do_not_change_the_source_mapping() -> None:
    source: dict[str, Any] = {"team": [{"count": 1}]}
    load_scenario(source, ["team.0.count=1", "seed=3"])
    assert source == {"team": [{"count": 1}]}


def test_set_values_are_validated_like_file_values() -> None:
    errors = _errors({}, ["horizon_days=0", "team.0.daly_target=4", "horizon=3"])
    assert "horizon_days: must be at least 1 (got 0) [--set horizon_days=0]" in errors
    assert "team.0.daly_target: unknown key; did you mean 'daily_target'? [--set team.0.daly_target=4]" in errors
    assert "horizon: unknown key; did you mean 'horizon_days'? [--set horizon=3]" in errors


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("team.5.count=1", "team.5.count: team has 1 item, numbered 0 to 0; there is no item 5"),
        ("team.-1.count=1", "team.-1.count: team is a list: name an item by its number from 0"),
        ("team.count=1", "e.g. team.0.count"),
        ("name.x=1", "name.x: name is a single value, not a section"),
        ("=3", "--set '=3': expected dotted.key=value"),
        ("seed", "--set 'seed': expected dotted.key=value"),
        ("seed=[1, ", "seed: the value of --set seed=[1, : YAML syntax error"),
    ],
)
def test_bad_set_items_are_clear_errors(item: str, message: str) -> None:
    assert any(message in e for e in _errors({}, [item])), _errors({}, [item])


def test_parse_set_reads_yaml_scalars() -> None:
    assert parse_set(["a=1", "b=0.5", "c=true", "d=2026-01-05", "e=[1, 2]", "f=text", "g=", "h=x=y"]) == {
        "a": 1,
        "b": 0.5,
        "c": True,
        "d": date(2026, 1, 5),
        "e": [1, 2],
        "f": "text",
        "g": "",
        "h": "x=y",
    }


def test_parse_set_refuses_alias_bombs() -> None:
    bomb = "[" + ",".join(["&a [1,1,1,1,1,1,1,1,1,1]"] + ["*a"] * 5) + "]"
    nested = "x=" + bomb
    assert parse_set([nested])["x"][0] == [1] * 10
    levels = ["&l0 [" + ",".join(["1"] * 10) + "]"]
    for i in range(1, 7):
        levels.append(f"&l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]")
    with pytest.raises(ScenarioError, match="expands to more than"):
        parse_set(["x=[" + ",".join(levels) + "]"])


def test_set_dotted_creates_sections() -> None:
    data: dict[str, Any] = {}
    set_dotted(data, "rules.overrides.daily_limit", 5)
    assert data == {"rules": {"overrides": {"daily_limit": 5}}}


# ---------------------------------------------------------------------------------------------- resolved


def test_resolved_dict_has_rules_and_version() -> None:
    resolved = load_scenario({"rules": {"overrides": {"daily_limit": 7}}}).resolved_dict()
    assert resolved["version"] == __version__
    assert resolved["rules"]["resolved"]["daily_limit"] == 7
    assert resolved["rules"]["resolved"]["name"] == "seed"
    assert resolved["start"] == "2026-01-05"
    json.dumps(resolved)


def test_a_resolved_scenario_file_loads_back_to_the_same_scenario(tmp_path: Path) -> None:
    scenario = (
        load_scenario(ROOT / "scenarios" / "baseline.yaml")
        if (ROOT / "scenarios/baseline.yaml").is_file()
        else Scenario()
    )
    path = _write(tmp_path, yaml.safe_dump(scenario.resolved_dict(), sort_keys=False))
    assert load_scenario(path) == scenario


def test_a_resolved_scenario_with_edited_rules_is_refused() -> None:
    resolved = Scenario().resolved_dict()
    resolved["rules"]["resolved"]["refund_window_days"] = 3
    errors = _errors(resolved)
    assert errors[0].startswith("rules.resolved: refund_window_days is 3 here but preset 'seed'")


# ---------------------------------------------------------------------------------------------- error messages


def test_every_error_at_once_with_path_reason_value_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
name: bad
horizon_days: soon
accounts:
  - plan: premium_business
    seats: 1
team:
  - count: 3
    daly_target: 4
  - count: 1
    account: contrakt
behaviour:
  read_delay: {dist: lognormal, median_days: 1}
""",
    )
    errors = _errors(path)
    assert errors == [
        "horizon_days: expected a whole number (got 'soon') [line 2]",
        "accounts.0.plan: plan not defined by preset 'seed'; did you mean 'premium'? (it defines: free, premium, "
        "premium_career, recruiter, sales_navigator, sales_navigator_team) (got 'premium_business') [line 4]",
        "accounts.0.seats: 1 seat(s) but 3 InMail recruiters use this account (team.0 (3)); each recruiter needs "
        "a seat: add seats or lower the team counts (got 1) [line 5]",
        "team.0.daly_target: unknown key; did you mean 'daily_target'? [line 8]",
        "team.1.account: no account has this name; did you mean 'contract'? (accounts: contract) (got 'contrakt') "
        "[line 10]",
        "behaviour.read_delay.sigma: missing: a lognormal distribution needs median_days and sigma, e.g. "
        "{dist: lognormal, median_days: 1, sigma: 1} [line 12]",
    ]


def test_the_error_names_the_file() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("no/such/file.yaml")
    assert info.value.source == "no/such/file.yaml"
    assert str(info.value).startswith("no/such/file.yaml: invalid scenario\n  (file): no such file")


def test_cross_field_checks_name_the_field_even_when_the_model_is_used_directly() -> None:
    with pytest.raises(ValidationError, match=r"accounts\.0\.plan: plan not defined"):
        Scenario.model_validate({"accounts": [{"plan": "gold"}]})


def test_a_distribution_error_lists_the_distributions() -> None:
    (error,) = _errors({"behaviour": {"reply_delay": {"dist": "weibull", "mean_days": 1}}})
    assert error.startswith("behaviour.reply_delay: unknown distribution 'weibull'; dist must be one of: ")
    for name in DISTRIBUTIONS:
        assert f"{name} ({', '.join(parameters(name))})" in error


def test_rules_override_errors_name_the_override() -> None:
    errors = _errors({"rules": {"overrides": {"plans.recruiter.monthly_credits": "many", "policy_treshold": 0.1}}})
    assert "rules.overrides.plans.recruiter.monthly_credits: expected a whole number (got 'many')" in errors
    assert "rules.overrides.policy_treshold: unknown key; did you mean 'policy_threshold'?" in errors


def test_unknown_preset_is_named_and_plan_checks_wait_for_it() -> None:
    errors = _errors({"rules": {"preset": "linkedin"}, "accounts": [{"plan": "gold"}]})
    assert errors == [
        "rules.preset: unknown preset; did you mean 'linkedin-current'? (presets: seed, linkedin-current) "
        "(got 'linkedin')"
    ]


def test_a_sweep_section_is_part_of_a_scenario() -> None:
    assert load_scenario({"sweep": {"factors": {"seed": [1, 2]}}}).sweep is not None
    assert _errors({"sweep": {"factorz": {"seed": [1, 2]}}}) == ["sweep.factorz: unknown key; did you mean 'factors'?"]


# ---------------------------------------------------------------------------------------------- safe reading


def test_duplicate_keys_name_the_key_and_both_lines(tmp_path: Path) -> None:
    errors = _errors(_write(tmp_path, "name: a\nteam:\n  - count: 1\n    count: 2\nname: b\n"))
    assert "team.0.count: duplicate key: first on line 3, again on line 4; keep one [line 4]" in errors
    assert "name: duplicate key: first on line 1, again on line 5; keep one [line 5]" in errors


def test_anchors_aliases_and_merges_that_stay_small_are_fine(tmp_path: Path) -> None:
    text = """\
delays:
behaviour:
  read_delay: &slow {dist: gamma, shape: 2, mean_days: 3}
  reply_delay: *slow
team:
  - &group {count: 1, daily_target: 5}
  - {<<: *group, name: second}
accounts:
  - seats: 2
"""
    scenario = load_scenario(_write(tmp_path, text.replace("delays:\n", "")))
    assert scenario.behaviour.reply_delay == Gamma(dist="gamma", shape=2, mean_days=3)
    assert scenario.team[1].daily_target == 5
    assert scenario.team[1].name == "second"


def test_alias_bombs_are_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (error,) = _errors(_write(tmp_path, "\n".join(lines) + "\n"))
    assert error.startswith(f"(file): the document expands to more than {MAX_VALUES:,} values")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "(file): the file is empty"),
        (b"# nothing but a comment\n", "(file): the file is empty"),
        (b"\x00\x01\x02PK", "(file): this is a binary file"),
        (b"name: caf\xe9\n", "(file): not UTF-8 text (byte 0xe9 at position 9)"),
        (b"name: a\x07\n", "(file): contains a control character YAML does not allow (#x0007)"),
        (b"- a\n- b\n", "(top level): expected a mapping of sections such as name:, accounts:, team: (got a list)"),
        (b"42\n", "(top level): expected a mapping of sections such as name:, accounts:, team: (got 42)"),
        (b"name: [a\n", "(file): YAML syntax error:"),
        (b"a: 1\n---\nb: 2\n", "(file): YAML syntax error: expected a single document"),
        (b"x: &x [1, *x]\n", "(file): a YAML alias refers to itself (at x.1) [line 1]"),
        (b"name: !!python/name:os.system\n", "name: YAML tag '!!python/name:os.system' is not allowed"),
        (b"? [a]\n: 1\n", "(top level): a key must be a plain name"),
        (b"a: " + b"[" * 45 + b"]" * 45 + b"\n", "(file): nested more than 40 levels deep [line 1]"),
        (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "(file): nested more than 40 levels deep [line 1]"),
    ],
)
def test_unreadable_files_are_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    errors = _errors(path)
    assert any(e.startswith(message) for e in errors), errors
    assert validate_file(path) == errors


def test_a_missing_file_and_a_folder(tmp_path: Path) -> None:
    assert _errors(tmp_path / "nope.yaml") == [f"(file): no such file: {tmp_path / 'nope.yaml'}"]
    assert _errors(tmp_path) == [f"(file): {tmp_path} is a folder, not a scenario file"]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: bom\n".encode())
    assert load_scenario(path).name == "bom"


def test_read_yaml_gives_plain_data(tmp_path: Path) -> None:
    data = read_yaml(_write(tmp_path, "name: x\nstart: 2026-02-02\nteam: [{count: 1}]\n"))
    assert data == {"name": "x", "start": date(2026, 2, 2), "team": [{"count": 1}]}
    with pytest.raises(ScenarioError, match="duplicate key"):
        read_yaml(_write(tmp_path, "a: 1\na: 2\n"))


def test_a_source_of_the_wrong_kind() -> None:
    assert _errors(42) == ["(top level): expected a file path or a mapping (got 42)"]  # type: ignore[arg-type]


def test_validate_file_checks_a_sweep_section(tmp_path: Path) -> None:
    base = "name: s\naccounts: [{seats: 2}]\nteam: [{count: 1}]\n"
    assert validate_file(_write(tmp_path, base + "sweep:\n  factors:\n    team.0.count: [1, 2]\n")) == []
    errors = validate_file(_write(tmp_path, base + "sweep:\n  factors:\n    team.0.count: [1, 3]\n"))
    assert any("accounts.0.seats" in e and "each recruiter needs a seat" in e for e in errors), errors


# ---------------------------------------------------------------------------------------------- schema


def test_json_schema_has_descriptions_and_defaults() -> None:
    schema = json.loads(json.dumps(json_schema()))
    props = schema["properties"]
    for key in ("name", "seed", "start", "horizon_days", "replications", "engine", "rules", "accounts", "team"):
        assert key in props
        assert props[key].get("description"), key
        assert "default" in props[key], key
    assert props["accounts"]["default"] == [AccountSpec().model_dump(mode="json")]
    assert props["behaviour"]["default"]["read_delay"] == {"dist": "exponential", "mean_days": 2.0}
    team = schema["$defs"]["TeamGroup"]["properties"]
    assert team["workdays"]["default"] == ["mon", "tue", "wed", "thu", "fri"]
    assert all(p.get("description") for p in team.values())


def test_example_scenarios_satisfy_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    examples = sorted((ROOT / "scenarios").glob("*.yaml"))
    if not examples:
        pytest.skip("no scenarios/*.yaml yet")
    for path in examples:
        data = json.loads(json.dumps(read_yaml(path), default=str))
        jsonschema.validate(data, schema)


# ---------------------------------------------------------------------------------------------- distributions


def test_fixed_cdf() -> None:
    d = Fixed(dist="fixed", days=2)
    assert [d.cdf(x) for x in (-1, 0, 1.999, 2, 2.5)] == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert d.mean() == 2


def test_uniform_cdf() -> None:
    d = Uniform(dist="uniform", low_days=1, high_days=5)
    assert [d.cdf(x) for x in (0, 1, 2, 3, 5, 9)] == [0.0, 0.0, 0.25, 0.5, 1.0, 1.0]
    assert d.mean() == 3


def test_empirical_cdf() -> None:
    d = Empirical(dist="empirical", values=[1, 2, 2, 4])
    assert [d.cdf(x) for x in (0.5, 1, 1.5, 2, 3, 4)] == [0.0, 0.25, 0.25, 0.75, 0.75, 1.0]
    assert d.mean() == 2.25


def test_exponential_cdf_closed_form() -> None:
    d = Exponential(dist="exponential", mean_days=2)
    assert d.cdf(-1) == 0.0
    assert d.cdf(0) == 0.0
    for x in (0.5, 2, 7, 30):
        assert d.cdf(x) == pytest.approx(1 - math.exp(-x / 2), abs=1e-15)
    assert d.cdf(2 * math.log(2)) == pytest.approx(0.5, abs=1e-15)  # the median is mean x ln 2


def test_gamma_cdf_closed_forms() -> None:
    one = Gamma(dist="gamma", shape=1, mean_days=3)  # shape 1: the exponential
    two = Gamma(dist="gamma", shape=2, mean_days=4)  # shape 2, scale 2: 1 - e^(-x/2) (1 + x/2)
    for x in (0.1, 1, 3, 10):
        assert one.cdf(x) == pytest.approx(1 - math.exp(-x / 3), abs=1e-12)
        assert two.cdf(x) == pytest.approx(1 - math.exp(-x / 2) * (1 + x / 2), abs=1e-12)
    assert two.cdf(0) == 0.0


def test_lognormal_cdf_closed_form() -> None:
    d = LogNormal(dist="lognormal", median_days=1.5, sigma=0.8)
    assert d.cdf(0) == 0.0
    assert d.cdf(1.5) == pytest.approx(0.5, abs=1e-15)
    phi_1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    assert d.cdf(1.5 * math.exp(0.8)) == pytest.approx(phi_1, abs=1e-15)
    assert d.mean() == pytest.approx(1.5 * math.exp(0.32))


def test_samples_have_the_asked_size_and_range() -> None:
    rng = np.random.default_rng(1)
    for d in (
        Exponential(dist="exponential", mean_days=1),
        LogNormal(dist="lognormal", median_days=1, sigma=1),
        Gamma(dist="gamma", shape=2, mean_days=1),
        Fixed(dist="fixed", days=1),
        Uniform(dist="uniform", low_days=1, high_days=2),
        Empirical(dist="empirical", values=[1, 3]),
    ):
        x = d.sample(rng, 50)
        assert x.shape == (50,)
        assert (x >= 0).all()
        assert all(d.cdf(v) > 0 for v in x)


def test_distribution_parameters_are_checked() -> None:
    with pytest.raises(ValidationError, match="must be greater than low_days"):
        Uniform(dist="uniform", low_days=2, high_days=2)
    with pytest.raises(ValidationError):
        Exponential(dist="exponential", mean_days=math.inf)


def test_yes_and_no_are_not_numbers() -> None:
    errors = _errors({"seed": True, "team": [{"daily_target": False}], "behaviour": {"accept_share": True}})
    assert errors == [
        "seed: expected a whole number; yes/no/on/off mean true/false in YAML (got true)",
        "team.0.daily_target: expected a whole number; yes/no/on/off mean true/false in YAML (got false)",
        "behaviour.accept_share: expected a number; yes/no/on/off mean true/false in YAML (got true)",
    ]
