"""`calibrate`: fit a scenario's candidate behaviour to a team's own InMail report export, with 95% intervals.

Steps: read and check the export (`calibrate_export`); replay the scenario over the export's dates
(`calibrate_replay`); maximise the likelihood of the counts and profile it (`calibrate_fit`); turn the
factors into scenario values (`calibrate_params`); run the simulator at drawn parameter sets as a
posterior-predictive check (`calibrate_check`); write the folder (`calibrate_output`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..config.scenario import Scenario
from ..config.segments import SegmentedBehaviour
from ..rules import preset
from ..rules.report import report_window
from .calibrate_check import Check, predictive_check
from .calibrate_export import Export, read_export
from .calibrate_fit import (
    Estimate,
    ResponseModel,
    accept_share,
    covariance,
    fit,
    profile_intervals,
    seat_spread,
    weekday_test,
)
from .calibrate_params import Setting, fitted_behaviour, not_identified, response_ceiling, settings, weekdays_shown
from .calibrate_replay import Periods, Replay, periods_of, replay_dates, simulate_replay

LINKEDIN_PRESET = "linkedin-current"  # the rules whose report window a LinkedIn export has (30 days)


@dataclass
class Calibration:
    """Everything a calibration found: the estimates, the scenario values, the checks and the notes."""

    export: Export
    scenario: Scenario
    sim_start: date
    as_of: date
    window: float | None
    estimates: dict[str, Estimate]
    settings: list[Setting]
    not_identified: list[str]
    fitted: Scenario
    replications: int
    weekday_p: float | None
    seat_spread: tuple[float, int, float]
    check: Check | None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The fitted values, intervals and checks, for fitted.json."""
        return {
            "export": str(self.export.path),
            "layout": self.export.layout,
            "replay": {
                "start": self.sim_start.isoformat(),
                "export_date": self.as_of.isoformat(),
                "response_window_days": self.window,
                "replications": self.replications,
            },
            "factors": {
                e.name: {"estimate": e.value, "ci_low": e.low, "ci_high": e.high, "identified": e.identified}
                for e in self.estimates.values()
            },
            "settings": [s.__dict__ for s in self.settings],
            "not_identified": self.not_identified,
            "weekday_effect_p_value": self.weekday_p,
            "seat_spread": dict(zip(("chi2", "dof", "p_value"), self.seat_spread, strict=True)),
            "predictive_check_p_value": None if self.check is None else self.check.p_value,
            "notes": [*self.export.notes, *self.notes],
        }


def _window(export: Export, window: float | None, scenario: Scenario) -> float | None:
    """Days within which the export counts a response: `window` when given (0: none), else LinkedIn's report
    window for a LinkedIn export and the scenario's rules' for an analytics.csv (the run wrote it so)."""
    if window is not None:
        return window if window > 0 else None
    rules = preset(LINKEDIN_PRESET) if export.layout == "linkedin" else scenario.resolved_rules()
    return report_window(rules)


def _fit_responses(
    scenario: Scenario, export: Export, periods: Periods, replay: Replay
) -> tuple[ResponseModel, np.ndarray, list[int]]:
    """The likelihood and its maximum; weekday factors only where the data show them and the model has them
    (the segmented model; the simple one has none). Also the weekdays the data could show."""
    days_sent = {int(d) for d, n in zip(replay.weekday, periods.sent, strict=True) if n > 0}
    shown = weekdays_shown(export.daily, days_sent)
    weekdays = shown if isinstance(scenario.behaviour, SegmentedBehaviour) else []
    model = ResponseModel(periods, replay, weekdays, response_ceiling(scenario.behaviour))
    return model, fit(model), shown


def calibrate(
    export_path: str | Path,
    scenario: Scenario,
    as_of: date | None = None,
    window: float | None = None,
    draws: int = 40,
    seed: int | None = None,
) -> Calibration:
    """Fit `scenario`'s behaviour to the export at `export_path`. `as_of`: the export date (default: see
    `replay_dates`); `window`: days within which a response counts (default LinkedIn's report window, 30
    days, for a LinkedIn export and the scenario's rules' report window for an analytics.csv; 0 for none);
    `draws`: simulator runs of the predictive check (0 skips it)."""
    export = read_export(export_path)
    seed = scenario.seed if seed is None else seed
    sim_start, as_of = replay_dates(export, scenario, as_of)
    _check_as_of(export, as_of)
    window = _window(export, window, scenario)
    periods = periods_of(export, sim_start)
    replay = simulate_replay(scenario, export, periods, sim_start, as_of, window, seed)
    model, x_hat, shown = _fit_responses(scenario, export, periods, replay)
    estimates = {e.name: e for e in profile_intervals(model, x_hat)}
    estimates["accept_share"] = accept_share(float(periods.accepted.sum()), float(periods.declined.sum()))
    values = {name: e.value for name, e in estimates.items()}
    data = scenario.model_dump(mode="json")
    data["behaviour"] = fitted_behaviour(scenario, values)
    fitted = Scenario.model_validate(data)
    rows = export.rows
    expected = model.curve(x_hat)[periods.row_period]
    spread = seat_spread(
        rows["sent"].to_numpy(float),
        (rows["accepted"] + rows["declined"] + rows["quick_replies"]).to_numpy(float),
        expected,
        len(model.names),
    )
    check = None
    if draws > 0:
        check = predictive_check(scenario, model, x_hat, covariance(model, x_hat), draws, seed)
    notes = _notes(export, scenario, replay.replications, spread, model.left_out)
    return Calibration(
        export,
        scenario,
        sim_start,
        as_of,
        window,
        estimates,
        settings(scenario, estimates),
        not_identified(scenario, export.daily),
        fitted,
        replay.replications,
        weekday_test(model, x_hat, shown),
        spread,
        check,
        notes,
    )


def _check_as_of(export: Export, as_of: date) -> None:
    """Every period must have begun before the export was taken."""
    late = export.rows[export.rows["start"] >= as_of]
    if len(late):
        row = late.iloc[0]
        raise ValueError(
            f"--as-of {as_of.isoformat()}: the export was taken before the period of line {row['line']} "
            f"({row['start'].isoformat()}) began"
        )


def _notes(
    export: Export, scenario: Scenario, replications: int, spread: tuple[float, int, float], left_out: int
) -> list[str]:
    notes = []
    if left_out:
        notes.append(
            f"{left_out} report period(s) with InMails sent in the export but none in the replay (the scenario's "
            "team does not send then: check its workdays and activation days) are left out of the fit"
        )
    seats = export.rows["seat"].nunique()
    team = sum(g.count for g in scenario.team)
    if seats != team:
        notes.append(
            f"the export has {seats} seats, the scenario's team {team} recruiters: the replay uses the "
            "scenario's team for send times and candidates, the export's counts for everything else"
        )
    if spread[2] < 0.01:
        notes.append(
            f"seats differ more than chance explains (chi-square {spread[0]:.1f} on {spread[1]} degrees of "
            f"freedom, p = {spread[2]:.2g}): one team-wide rate hides differences between seats"
        )
    notes.append(f"the replay ran {replications} replications of the scenario on the fast engine")
    return notes
