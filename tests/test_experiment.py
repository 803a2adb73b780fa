"""Experiments: executors agree, common random numbers pay off, sweeps resume and survive a failing point,
and automatic replication counts stop at the requested precision."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
import sim.output.sweep
from sim.output.experiment import precise_enough, run_until_precise
from sim.output.storage import OutputFolderError
from sim.output.sweep import run_sweep
from sim.runner.executors import ExecutorSpec
from sim.runner.sweep import load_sweep

from .conftest import ROOT

SMALL = ["horizon_days=20", "replications=3", "candidates.population=5000"]


def _small_baseline() -> sim.Scenario:
    return sim.load_scenario(ROOT / "scenarios/baseline.yaml", SMALL)


def _assert_same(a: sim.Results, b: sim.Results) -> None:
    pd.testing.assert_frame_equal(a.runs, b.runs)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_serial_and_process_pool_give_equal_tables() -> None:
    scenario = _small_baseline()
    serial = sim.run(scenario, executor=ExecutorSpec("serial"))
    pool = sim.run(scenario, executor=ExecutorSpec("processes", jobs=2))
    _assert_same(serial, pool)


@pytest.mark.slow
def test_dask_local_cluster_gives_equal_tables() -> None:
    pytest.importorskip("dask.distributed")
    scenario = _small_baseline()
    serial = sim.run(scenario, executor=ExecutorSpec("serial"))
    dask = sim.run(scenario, executor=ExecutorSpec("dask", jobs=2))
    _assert_same(serial, dask)


def test_common_random_numbers_reduce_the_variance_of_differences() -> None:
    """Two close options (10 vs 11 InMails a day): paired differences vary less than unpaired ones."""
    n = 12
    a = sim.load_scenario(ROOT / "scenarios/baseline.yaml", ["horizon_days=30", f"replications={n}"])
    b = sim.load_scenario(
        ROOT / "scenarios/baseline.yaml", ["horizon_days=30", f"replications={n}", "team.0.daily_target=11"]
    )
    runs_a = sim.run(a, tables=False).runs
    runs_b_paired = sim.run(b, tables=False).runs
    runs_b_unpaired = sim.run(b, seed=a.seed + 1, tables=False).runs
    for kpi in ("responses", "credits_refunded"):
        paired = np.var(runs_b_paired[kpi] - runs_a[kpi], ddof=1)
        unpaired = np.var(runs_b_unpaired[kpi] - runs_a[kpi], ddof=1)
        assert paired < unpaired, (kpi, paired, unpaired)


def test_precise_enough_is_the_ci_half_width_rule() -> None:
    assert not precise_enough([1.0, 1.0], 0.05)  # too few replications
    assert precise_enough([1.0, 1.0, 1.0], 0.05)
    assert not precise_enough([1.0, 2.0, 3.0], 0.05)


def test_auto_replications_stop_at_the_requested_precision() -> None:
    """The stopping rule, checked exactly: precise at the end, not precise at the batch boundary before it."""
    scenario = sim.load_scenario(ROOT / "scenarios/baseline.yaml", ["horizon_days=20", "candidates.population=5000"])
    precision = 0.05
    res = run_until_precise(scenario, precision, "response_rate", max_replications=60, tables=False)
    values = res.runs["response_rate"].tolist()
    n = len(values)
    assert precise_enough(values, precision)
    assert n < 60
    batch = max(3, ExecutorSpec("serial").workers)
    previous = n - batch if n > 3 else 0
    if previous >= 3:
        assert not precise_enough(values[:previous], precision)


def _write_sweep(tmp: Path, values: list[int], extra: dict[str, Any] | None = None) -> Path:
    import yaml

    data = yaml.safe_load((ROOT / "scenarios/team_size_sweep.yaml").read_text())
    data.update({"horizon_days": 15, "replications": 2, "candidates": {"population": 3000}})
    data["sweep"] = {"factors": {"accounts.0.seats,team.0.count": values}}
    data.update(extra or {})
    path = tmp / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_sweep_writes_points_and_tables(tmp_path: Path) -> None:
    path = _write_sweep(tmp_path, [1, 3])
    out = tmp_path / "out"
    finished, failed = run_sweep(path, out, executor=ExecutorSpec("serial"))
    assert failed == [] and len(finished) == 2
    long = pd.read_parquet(out / "sweep.parquet")
    points = pd.read_parquet(out / "points.parquet")
    assert len(long) == 4 and len(points) == 2
    assert {"response_rate_mean", "response_rate_ci_low", "response_rate_ci_high"} <= set(points.columns)
    for pid in finished:
        assert pid.startswith("point=p")
        summary = json.loads((out / "points" / pid / "summary.json").read_text())
        assert summary["kpis"]["inmails_sent"]["n"] == 2


def test_sweep_rerun_skips_finished_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_sweep(tmp_path, [1, 2])
    out = tmp_path / "out"
    run_sweep(path, out, executor=ExecutorSpec("serial"))
    stamp = {p.name: (p / "summary.json").stat().st_mtime_ns for p in (out / "points").iterdir()}
    run_sweep(path, out, executor=ExecutorSpec("serial"))
    assert "2 of 2 points already finished" in capsys.readouterr().err
    assert stamp == {p.name: (p / "summary.json").stat().st_mtime_ns for p in (out / "points").iterdir()}


def test_sweep_into_a_folder_of_other_results_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_sweep(_write_sweep(tmp_path, [1]), out, executor=ExecutorSpec("serial"))
    with pytest.raises(OutputFolderError, match="other results"):
        run_sweep(_write_sweep(tmp_path, [2]), out, executor=ExecutorSpec("serial"))


def test_failing_point_leaves_the_others_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = sim.output.sweep.run_replication

    def flaky(scenario: sim.Scenario, replication: int, seed: int, *args: Any) -> Any:
        if scenario.accounts[0].seats == 2:
            raise RuntimeError("deliberate failure for the test")
        return real(scenario, replication, seed, *args)

    monkeypatch.setattr(sim.output.sweep, "run_replication", flaky)
    out = tmp_path / "out"
    finished, failed = run_sweep(_write_sweep(tmp_path, [1, 2, 3]), out, executor=ExecutorSpec("serial"))
    assert len(finished) == 2 and len(failed) == 1
    error = (out / "points" / failed[0] / "error.txt").read_text()
    assert "deliberate failure" in error and "Traceback" in error
    assert len(pd.read_parquet(out / "points.parquet")) == 2


def test_sweep_over_a_missing_key_is_a_validation_error(tmp_path: Path) -> None:
    path = _write_sweep(tmp_path, [1])
    with pytest.raises(sim.ScenarioError, match=r"team\.0\.no_such_key"):
        load_sweep(path, cli_factors=["team.0.no_such_key=1,2"])


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim.cli", *args]


@pytest.mark.slow
def test_sweep_killed_then_rerun_resumes_to_the_same_table(tmp_path: Path) -> None:
    path = _write_sweep(tmp_path, [1, 2, 3, 4, 5, 6, 8, 10])
    reference = tmp_path / "reference"
    subprocess.run(_cli("sweep", str(path), "--out", str(reference), "--executor", "serial", "--quiet"), check=True)
    out = tmp_path / "killed"
    proc = subprocess.Popen(_cli("sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet"))
    deadline = time.time() + 120
    while time.time() < deadline:
        done = [p for p in (out / "points").glob("point=*") if (p / "summary.json").is_file()] if out.exists() else []
        if len(done) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before = {
        p.name: (p / "summary.json").stat().st_mtime_ns
        for p in (out / "points").glob("point=*")
        if (p / "summary.json").is_file()
    }
    assert finished_before, "no point finished before the kill"
    rerun = subprocess.run(
        _cli("sweep", str(path), "--out", str(out), "--executor", "serial"), capture_output=True, text=True, check=True
    )
    if len(finished_before) < 8:
        assert "already finished" in rerun.stderr
    for name, mtime in finished_before.items():
        assert (out / "points" / name / "summary.json").stat().st_mtime_ns == mtime, f"{name} was recomputed"
    pd.testing.assert_frame_equal(pd.read_parquet(reference / "sweep.parquet"), pd.read_parquet(out / "sweep.parquet"))


@pytest.mark.parametrize("name", ["team_size_sweep.yaml", "seed_vs_current.yaml"])
def test_example_sweeps_reproduce_their_figures(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    code = subprocess.run(
        _cli(
            "sweep",
            str(ROOT / "scenarios" / name),
            "--out",
            str(out),
            "--replications",
            "2",
            "--jobs",
            "2",
            "--set",
            "horizon_days=15",
            "--set",
            "candidates.population=4000",
            "--quiet",
        ),
        capture_output=True,
        text=True,
    )
    assert code.returncode == 0, code.stderr
    for kpi in ("response_rate", "credits_refunded", "refund_rate"):
        png = out / "figures" / f"{kpi}.png"
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_reports_paired_differences(tmp_path: Path) -> None:
    code = subprocess.run(
        _cli(
            "compare",
            str(ROOT / "scenarios/baseline.yaml"),
            str(ROOT / "scenarios/current_rules.yaml"),
            "--replications",
            "3",
            "--set",
            "horizon_days=20",
            "--set",
            "candidates.population=5000",
            "--out",
            str(tmp_path / "cmp"),
            "--executor",
            "serial",
        ),
        capture_output=True,
        text=True,
    )
    assert code.returncode == 0, code.stderr
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv").set_index("kpi")
    assert table.loc["refund_rate", "diff"] < 0  # a credit back for a response returns fewer than one for none
    assert bool(table.loc["refund_rate", "excludes_zero"])
    assert (tmp_path / "cmp" / "compare.png").is_file()


def test_compare_pairs_a_folder_with_a_scenario_on_the_folders_seed(tmp_path: Path) -> None:
    from sim.cli import main

    sets = ["--set", "horizon_days=15", "--set", "candidates.population=3000"]
    run_a = ["run", str(ROOT / "scenarios/baseline.yaml"), "--replications", "2", "--executor", "serial", "--quiet"]
    assert main([*run_a, "--out", str(tmp_path / "a"), "--seed", "5", *sets]) == 0
    assert main([*run_a, "--out", str(tmp_path / "b"), "--seed", "6", *sets]) == 0
    code = subprocess.run(
        _cli(
            "compare",
            str(tmp_path / "a"),
            str(ROOT / "scenarios/baseline.yaml"),
            *sets,
            "--executor",
            "serial",
            "--out",
            str(tmp_path / "same"),
        ),
        capture_output=True,
        text=True,
    )
    assert code.returncode == 0, code.stderr
    same = pd.read_csv(tmp_path / "same" / "compare.csv").set_index("kpi")
    assert same.loc["responses", "diff"] == 0 and same.loc["responses", "n"] == 2  # seed 5, two replications
    warned = subprocess.run(
        _cli("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--quiet"), capture_output=True, text=True
    )
    assert warned.returncode == 0 and "different seeds (5 and 6)" in warned.stderr
