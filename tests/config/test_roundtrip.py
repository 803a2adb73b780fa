"""What `validate` accepts, `run` runs, and what a run writes validates again: the resolved scenario
(`scenario.resolved.yaml`) of any valid scenario, overridden rule values included, loads back to the same
scenario."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.config.scenario import load_scenario, read_yaml, validate_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))

OVERRIDES = [
    [],
    ["rules.overrides.daily_limit=off", "rules.overrides.first_week_limit=null"],
    ["rules.overrides.plans.recruiter.cap_months=off", "rules.overrides.policy_threshold=0.2"],
    ["rules.overrides.response_kinds=[accepted]", "rules.overrides.refund_window_days=3.5"],
    ["rules.overrides.open_profile_free=true", "rules.overrides.plans.recruiter.monthly_credits=120"],
    ["team.0.follow_up_after_days=off", "start=2200-12-31", "horizon_days=3650"],
]


# A forecast's state is tied to its start and rules: overrides that move them make it invalid, rightly.
STATE_BOUND = ("start=", "rules.overrides.refund_window_days", "rules.overrides.response_kinds")
CASES = [
    (path, sets)
    for path in EXAMPLES
    for sets in OVERRIDES
    if "state" not in read_yaml(path) or not any(s.startswith(STATE_BOUND) for s in sets)
]


@pytest.mark.parametrize(
    ("path", "sets"), CASES, ids=lambda x: x.name if isinstance(x, Path) else ",".join(x) or "as-is"
)
def test_resolved_scenario_validates_and_loads_back(tmp_path: Path, path: Path, sets: list[str]) -> None:
    scenario = load_scenario(path, sets)
    resolved = tmp_path / "scenario.resolved.yaml"
    resolved.write_text(yaml.safe_dump(scenario.resolved_dict(seed=3, replications=2), sort_keys=False))
    assert validate_file(resolved) == []
    again = load_scenario(resolved)
    assert again.model_copy(update={"seed": scenario.seed, "replications": scenario.replications}) == scenario
    assert again.resolved_rules() == scenario.resolved_rules()


def test_a_run_with_rule_overrides_writes_a_scenario_that_validates(tmp_path: Path) -> None:
    out = tmp_path / "res"
    sets = ["horizon_days=5", "rules.overrides.daily_limit=off", "rules.overrides.policy_min_sent=50"]
    command = [sys.executable, "-m", "sim.cli", "run", str(ROOT / "scenarios" / "baseline.yaml"), "--out", str(out)]
    command += ["--replications", "1", "--quiet", *(x for s in sets for x in ("--set", s))]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    written = out / "scenario.resolved.yaml"
    assert validate_file(written) == []
    rules = load_scenario(written).resolved_rules()
    assert (rules.daily_limit, rules.policy_min_sent) == (None, 50)
