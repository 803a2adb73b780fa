"""Recovery: exports made by the simulator from known behaviour; calibration from the default behaviour must
put the true values inside its 95% intervals, and the command must write a usable calibrated scenario.

Coverage bound: each of the T trials is an independent export (its own seed) calibrated with its own replay
seed, so the number of trials whose interval holds the true value is binomial(T, coverage). The issue asks
for a coverage of at least 90%: the test fails when the count is below the 1% quantile of binomial(T, 0.90),
i.e. when the trials show the coverage is below 90% (a method at 90% fails one time in a hundred seed sets;
one at the nominal 95% almost never). With T = 40 that threshold is 31 trials (78%)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.cli.main import main
from sim.config.scenario import Scenario, load_scenario
from sim.decide.calibrate import calibrate
from sim.output.experiment import run_replication
from sim.output.results import analytics

TRIALS = 40
THRESHOLD = max(x for x in range(TRIALS + 1) if stats.binom.cdf(x - 1, TRIALS, 0.90) <= 0.01)
TEAM = {"name": "small", "horizon_days": 28, "accounts": [{"seats": 2}], "team": [{"count": 2, "daily_target": 20}]}
TRUE_BEHAVIOUR = {
    "model": "simple",
    "response_probability": 0.12,
    "accept_share": 0.45,
    "read_delay": {"dist": "exponential", "mean_days": 3.0},  # the defaults' delays x 1.5
    "reply_delay": {"dist": "lognormal", "median_days": 1.5, "sigma": 1.0},
}
TRUE_FACTORS = {"response": 0.12 / 0.2, "delay_scale": 1.5, "accept_share": 0.45}  # against the defaults


def _export(truth: Scenario, seed: int, path: Path) -> Path:
    """One replication of `truth` written as its analytics.csv (whole counts: one team's report)."""
    _, tables = run_replication(truth, 0, seed, tables=True)
    analytics(tables, truth.start, truth.resolved_rules()).to_csv(path, index=False)
    return path


def test_true_values_inside_the_95_intervals(tmp_path: Path) -> None:
    truth = load_scenario({**TEAM, "behaviour": TRUE_BEHAVIOUR})
    start = load_scenario(TEAM)  # default behaviour: response 0.2, accept 0.6, read 2 days, reply 1 day
    covered = dict.fromkeys(TRUE_FACTORS, 0)
    identified = dict.fromkeys(TRUE_FACTORS, 0)
    for trial in range(TRIALS):
        export = _export(truth, 1000 + trial, tmp_path / f"export{trial}.csv")
        cal = calibrate(export, start, draws=0, seed=5000 + trial)
        for name, true in TRUE_FACTORS.items():
            est = cal.estimates[name]
            covered[name] += est.low <= true <= est.high
            identified[name] += est.identified
    assert THRESHOLD == 31
    for name in TRUE_FACTORS:
        assert covered[name] >= THRESHOLD, (name, covered[name], TRIALS)
    # the intervals say something: the response chance and the accept share are always pinned down
    assert identified["response"] == TRIALS and identified["accept_share"] == TRIALS


@pytest.fixture(scope="module")
def weekly_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    return _export(load_scenario({**TEAM, "behaviour": TRUE_BEHAVIOUR}), 7, folder / "analytics.csv")


def test_command_writes_fitted_scenario_json_and_report(weekly_export: Path, tmp_path: Path) -> None:
    scenario_file = tmp_path / "team.yaml"
    scenario_file.write_text(json.dumps(TEAM), encoding="utf-8")
    out = tmp_path / "cal"
    args = ["calibrate", str(weekly_export), "--scenario", str(scenario_file), "--out", str(out), "--checks", "4"]
    assert main([*args, "--quiet"]) == 0
    fitted = json.loads((out / "fitted.json").read_text())
    keys = {s["key"] for s in fitted["settings"]}
    assert {"behaviour.response_probability", "behaviour.accept_share", "behaviour.read_delay.mean_days"} <= keys
    assert 0 <= fitted["predictive_check_p_value"] <= 1
    text = (out / "small.calibrated.yaml").read_text()
    assert text.startswith("# Calibrated by `inmail-sim calibrate`")
    calibrated = load_scenario(out / "small.calibrated.yaml")
    setting = {s["key"]: s for s in fitted["settings"]}["behaviour.response_probability"]
    assert calibrated.behaviour.response_probability == pytest.approx(setting["value"], rel=1e-3)
    html = (out / "report.html").read_text()
    assert "behaviour.response_probability" in html and "calibration_fit.png" in html
    assert (out / "calibration_fit.png").stat().st_size > 0
    assert main(args) == 2  # the folder exists: refused without --force
    assert main([*args, "--force", "--quiet"]) == 0  # a calibration folder may be replaced


def _linkedin_daily(truth: Scenario, seed: int, path: Path, window: float = 30.0) -> Path:
    """A LinkedIn-style export: one row per seat and day, responses counted within `window` days."""
    _, tables = run_replication(truth, 0, seed, tables=True)
    im = tables["inmails"]
    im = im[im["cost"].astype(str).isin(["credit", "open_profile"])]
    delay = im["responded_at"] - im["sent_at"]
    counted = delay.notna() & (delay <= window)
    outcome = im["outcome"].astype(str)
    day = pd.Timestamp(truth.start) + pd.to_timedelta(np.floor(im["sent_at"]), unit="D")
    frame = pd.DataFrame(
        {
            "Seat Holder": "seat " + im["seat"].astype(str),
            "Period Start": day.dt.strftime("%Y-%m-%d"),
            "accepted": (counted & (outcome == "accepted")).astype(int),
            "declined": (counted & (outcome == "declined")).astype(int),
        }
    )
    rows = frame.groupby(["Seat Holder", "Period Start"]).agg(
        sent=("accepted", "size"), accepted=("accepted", "sum"), declined=("declined", "sum")
    )
    rows = rows.reset_index()
    rows.insert(2, "Period End", rows["Period Start"])
    rows.columns = ["Seat Holder", "Period Start", "Period End", "InMails Sent", "Accepted", "Declined"]
    rows.to_csv(path, index=False)
    return path


def test_daily_linkedin_export_fits_the_segmented_weekday_factors(tmp_path: Path) -> None:
    team = {
        **TEAM,
        "horizon_days": 21,
        "team": [{"count": 2, "daily_target": 20, "workdays": list(("mon", "tue", "wed", "thu", "fri"))}],
    }
    truth = load_scenario({**team, "behaviour": {"model": "segmented"}})
    export = _linkedin_daily(truth, 3, tmp_path / "linkedin.csv")
    cal = calibrate(export, load_scenario({**team, "behaviour": {"model": "segmented"}}), draws=0, seed=11)
    assert cal.export.layout == "linkedin" and cal.export.daily and cal.window == 30
    assert "friday" in cal.estimates and cal.weekday_p is not None
    keys = [s.key for s in cal.settings]
    assert "behaviour.multipliers.friday" in keys and "behaviour.segments[0].base_response" in keys
    assert not any("weekday multipliers" in text for text in cal.not_identified)


def test_simple_model_tests_the_weekday_effect_and_leaves_out_days_the_replay_never_sends(tmp_path: Path) -> None:
    saturdays = {**TEAM, "team": [{"count": 2, "daily_target": 20, "workdays": ["mon", "tue", "wed", "sat"]}]}
    export = _linkedin_daily(load_scenario({**saturdays, "behaviour": TRUE_BEHAVIOUR}), 5, tmp_path / "li.csv")
    cal = calibrate(export, load_scenario(TEAM), draws=0, seed=2)  # the scenario's team works Monday to Friday
    assert cal.weekday_p is not None  # daily periods: the test is run, though the simple model has no factor
    assert "saturday" not in cal.estimates and not any(s.key.startswith("behaviour.multipliers") for s in cal.settings)
    assert any("4 report period(s)" in note and "left out" in note for note in cal.notes), cal.notes
    assert cal.estimates["response"].identified
