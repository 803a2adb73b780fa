"""The scenario replayed over the export's dates: which InMails its team sends in each report period and how
long each takes to get its response. Calibration reads the send times, the candidate mix and the delays from
these simulated InMails (fast engine, the scenario's own team, sending days and hours), and the counts from
the export.

The replay runs `EXTENSION` times the export's span past the export date, so that every response that could
count under a delay scale of at least `1 / (1 + EXTENSION)` is seen: the fit never extrapolates beyond it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..config.scenario import Scenario
from ..output.experiment import run_replication
from .calibrate_export import Export

EXTENSION = 2  # replay this many export spans past the export date
SIM_PER_OBSERVED = 4  # simulated InMails per observed one, so simulation noise adds at most a quarter
MAX_REPLICATIONS = 40
INMAIL_COSTS = ("credit", "open_profile")  # the InMails a report counts (as analytics.csv does)


@dataclass
class Periods:
    """The export's distinct report periods (days from the replay's start, end exclusive) and their totals
    over seats; `row_period` maps each export row to its period."""

    start: np.ndarray
    end: np.ndarray
    sent: np.ndarray
    accepted: np.ndarray
    declined: np.ndarray
    quick_replies: np.ndarray
    row_period: np.ndarray
    labels: list[str]

    @property
    def responded(self) -> np.ndarray:
        return np.asarray(self.accepted + self.declined + self.quick_replies)


@dataclass
class Replay:
    """Per period, the simulated InMails: how many, and for those answered, log(time left to count) minus
    log(delay), so that a delay scale s counts exactly those with value above log(s)."""

    sim_start: date
    as_of: int  # days from sim_start to the export date
    window: float | None  # responses count only within this many days of sending (LinkedIn: 30)
    n_sim: np.ndarray  # simulated InMails per period
    margins: list[np.ndarray]  # per period, for each answered InMail: log(limit) - log(delay)
    weekday: np.ndarray  # weekday of each period's first day (Monday 0)
    replications: int
    min_scale: float  # smallest delay scale the replay can answer for

    def __post_init__(self) -> None:
        self._margin = np.concatenate([*self.margins, np.zeros(0)])
        self._period = np.repeat(np.arange(len(self.margins)), [m.size for m in self.margins])
        self._n = np.where(self.n_sim > 0, self.n_sim, 1.0)

    def answered_by_scale(self, log_scale: float, bandwidth: float) -> np.ndarray:
        """Per period, the share of simulated InMails answered in time if every delay is scaled by
        exp(log_scale), smoothed over `bandwidth` in log-delay so the likelihood is smooth."""
        counted = _expit((self._margin - log_scale) / bandwidth)
        return np.bincount(self._period, weights=counted, minlength=len(self.margins)) / self._n


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def replay_dates(export: Export, scenario: Scenario, as_of: date | None) -> tuple[date, date]:
    """Where the replay starts and the export date. The scenario's own start and horizon end are used when
    they fall within the export's first and last periods (an export of a run of that scenario), else the
    first period's start and the day after the last period."""
    first, last_end = export.first_day, export.last_day
    first_end = min(e for s, e in zip(export.rows["start"], export.rows["end"], strict=True) if s == first)
    start = scenario.start if first <= scenario.start < first_end else first
    if as_of is None:
        last_start = max(export.rows["start"])
        scenario_end = scenario.start + timedelta(days=scenario.horizon_days)
        as_of = scenario_end if last_start < scenario_end <= last_end else last_end
    return start, as_of


def periods_of(export: Export, sim_start: date) -> Periods:
    rows = export.rows
    keys = sorted(set(zip(rows["start"], rows["end"], strict=True)))
    index = {k: i for i, k in enumerate(keys)}
    row_period = np.array([index[k] for k in zip(rows["start"], rows["end"], strict=True)], dtype=np.int64)

    def total(col: str) -> np.ndarray:
        return np.bincount(row_period, weights=rows[col].to_numpy(dtype=float), minlength=len(keys))

    labels = [
        s.isoformat()
        if (e - s).days == 1
        else f"{s.isocalendar()[0]}-W{s.isocalendar()[1]:02d}"
        if (e - s).days == 7 and s.weekday() == 0
        else f"{s.isoformat()}..{(e - timedelta(days=1)).isoformat()}"
        for s, e in keys
    ]
    return Periods(
        start=np.array([(s - sim_start).days for s, _ in keys], dtype=float),
        end=np.array([(e - sim_start).days for _, e in keys], dtype=float),
        sent=total("sent"),
        accepted=total("accepted"),
        declined=total("declined"),
        quick_replies=total("quick_replies"),
        row_period=row_period,
        labels=labels,
    )


def replay_scenario(scenario: Scenario, sim_start: date, horizon_days: int) -> Scenario:
    """The scenario moved to the export's dates (same team, rules, candidates and behaviour)."""
    data = scenario.model_dump(mode="json")
    data.update(start=sim_start.isoformat(), horizon_days=horizon_days, sweep=None)
    return Scenario.model_validate(data)


def sent_inmails(inmails: pd.DataFrame) -> pd.DataFrame:
    """The InMails a report counts (paid or Open Profile; not free connection messages, not emails)."""
    return inmails[inmails["cost"].astype(str).isin(INMAIL_COSTS) & (inmails["channel"].astype(str) == "inmail")]


def _margins(
    inmails: pd.DataFrame, periods: Periods, as_of: int, window: float | None
) -> tuple[np.ndarray, list[np.ndarray]]:
    im = sent_inmails(inmails)
    sent = im["sent_at"].to_numpy(dtype=float)
    delay = im["responded_at"].to_numpy(dtype=float) - sent
    limit = as_of - sent if window is None else np.minimum(as_of - sent, window)
    n_sim = np.zeros(len(periods.start))
    margins: list[np.ndarray] = []
    for j in range(len(periods.start)):
        mine = (sent >= periods.start[j]) & (sent < periods.end[j]) & (sent < as_of)
        n_sim[j] = mine.sum()
        answered = mine & np.isfinite(delay)
        with np.errstate(divide="ignore"):
            margins.append(np.log(np.maximum(limit[answered], 1e-9)) - np.log(np.maximum(delay[answered], 1e-9)))
    return n_sim, margins


def simulate_replay(
    scenario: Scenario,
    export: Export,
    periods: Periods,
    sim_start: date,
    as_of: date,
    window: float | None,
    seed: int,
) -> Replay:
    """Run the replay (replication after replication until there are `SIM_PER_OBSERVED` simulated InMails
    per observed one, at least 2 and at most `MAX_REPLICATIONS`) and keep, per period, what the likelihood
    needs."""
    span = (as_of - sim_start).days
    horizon = min(3650, span * (1 + EXTENSION))
    replay = replay_scenario(scenario, sim_start, horizon)
    observed = float(periods.sent.sum())
    frames: list[pd.DataFrame] = []
    simulated = 0
    while len(frames) < MAX_REPLICATIONS and (len(frames) < 2 or simulated < SIM_PER_OBSERVED * observed):
        _, tables = run_replication(replay, len(frames), seed, tables=True)
        frames.append(sent_inmails(tables["inmails"]))
        simulated += int((frames[-1]["sent_at"] < span).sum())
    n_sim, margins = _margins(pd.concat(frames, ignore_index=True), periods, span, window)
    reps = len(frames)
    weekday = np.array([(sim_start + timedelta(days=int(s))).weekday() for s in periods.start])
    counted = span if window is None else min(span, window)  # the longest delay that can count
    min_scale = counted / (horizon - span + counted)
    return Replay(sim_start, span, window, n_sim, margins, weekday, reps, min(1.0, min_scale * 1.01))
