"""Bad scenario values and `--set` items reach `run` as one message naming the field, exit 2, nothing
written. (Value checks are the config layer's; these cases hold `run` to what `validate` says.)"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from .helpers import BASELINE, QUICK, cli, snapshot

FLAGS = ["--executor", "serial", "--no-report", "-q"]


def _scenario(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load(BASELINE.read_text())
    small = {"horizon_days": 3, "replications": 1, "candidates.population": 300}
    for dotted, value in {**small, **change}.items():
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    path = tmp_path / "p" / "s.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


VALUES = {
    "negative horizon": ({"horizon_days": -3}, "horizon_days"),
    "zero horizon": ({"horizon_days": 0}, "horizon_days"),
    "horizon of centuries": ({"horizon_days": 100_000}, "horizon_days"),
    "population zero": ({"candidates.population": 0}, "population"),
    "negative count": ({"team.0.count": -1}, "count"),
    "negative target": ({"team.0.daily_target": -5}, "daily_target"),
    "target as text": ({"team.0.daily_target": "many"}, "daily_target"),
    "share above one": ({"team.0.bulk_share": 1.5}, "bulk_share"),
    "unknown key": ({"team.0.dialy_target": 5}, "dialy_target"),
    "unknown preset": ({"rules.preset": "nope"}, "nope"),
    "boolean threshold": ({"rules.overrides.policy_threshold": True}, "policy_threshold"),
    "infinite rule value": ({"rules.overrides.refund_window_days": float("inf")}, "refund_window_days"),
    "typo in response kinds": ({"rules.overrides.response_kinds": ["accepted", "declinde"]}, "response_kinds"),
    "replications zero": ({"replications": 0}, "replications"),
    "negative seed": ({"seed": -4}, "seed"),
    "start far in the future": ({"start": "9999-12-25"}, "start"),
}


@pytest.mark.parametrize("case", sorted(VALUES), ids=sorted(VALUES))
def test_a_bad_value_is_one_named_refusal(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    change, named = VALUES[case]
    path = _scenario(tmp_path, change)
    before = snapshot(tmp_path)
    result = cli(capsys, "run", path, "--out", tmp_path / "res", *FLAGS)
    assert result.code == 2, result.err
    assert named in result.err and "Traceback" not in result.err
    assert snapshot(tmp_path) == before


SETS = {
    "no equals sign": ("horizon_days", "horizon_days"),
    "empty key": ("=5", "--set"),
    "unknown key": ("team.0.nosuch=1", "nosuch"),
    "index out of range": ("team.9.count=1", "team.9"),
    "text for a number": ("horizon_days=abc", "horizon_days"),
    "negative count": ("team.0.count=-2", "count"),
    "replications zero": ("replications=0", "replications"),
    "negative seed": ("seed=-5", "seed"),
    "a list for a number": ("horizon_days=[1, 2]", "horizon_days"),
    "a mapping for a name": ("name={a: 1}", "name"),
    "unknown override": ("rules.overrides.nosuch=1", "nosuch"),
}


@pytest.mark.parametrize("case", sorted(SETS), ids=sorted(SETS))
def test_a_bad_set_item_is_one_named_refusal(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    item, named = SETS[case]
    before = snapshot(tmp_path)
    result = cli(capsys, "run", BASELINE, "--out", tmp_path / "res", *QUICK, "--set", item)  # the last --set wins
    assert result.code == 2, result.err
    assert named in result.err and "Traceback" not in result.err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("written", [False, "off", "no"])
def test_off_for_a_limit_means_no_limit(capsys: pytest.CaptureFixture[str], tmp_path: Path, written: object) -> None:
    """`daily_limit: no` (YAML's false) or `off` is documented as no limit, never a limit of zero."""
    path = _scenario(tmp_path, {"rules.overrides.daily_limit": written})
    if written == "no":
        path.write_text(path.read_text().replace("daily_limit: 'no'", "daily_limit: no"))
    result = cli(capsys, "run", path, "--out", tmp_path / "res", *FLAGS)
    assert result.code == 0, result.err
    resolved = yaml.safe_load((tmp_path / "res" / "scenario.resolved.yaml").read_text())
    assert resolved["rules"]["resolved"]["daily_limit"] is None
    runs = pd.read_parquet(tmp_path / "res" / "runs.parquet")
    assert int(runs["inmails_sent"].sum()) > 0


@pytest.mark.parametrize("case", ["a folder", "missing", "empty file", "binary"])
def test_a_scenario_path_that_is_not_a_scenario(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    path = tmp_path / "s.yaml"
    if case == "a folder":
        path.mkdir()
    elif case == "empty file":
        path.write_text("")
    elif case == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    before = snapshot(tmp_path)
    result = cli(capsys, "run", path, "--out", tmp_path / "res", *QUICK)
    assert result.code == 2 and "s.yaml" in result.err and "Traceback" not in result.err, result.err
    assert snapshot(tmp_path) == before
