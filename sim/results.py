"""Tables, KPIs with confidence intervals, the InMail analytics report, and saving a results folder."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from .model.world import BLOCK_REASONS, ReplicationOutput
from .rules import Movement, PolicyState
from .scenario import Scenario

KPIS: tuple[str, ...] = (
    "inmails_sent",
    "free_messages_sent",
    "emails_sent",
    "follow_ups_sent",
    "responses",
    "accepted",
    "declined",
    "response_rate",
    "email_response_rate",
    "credits_granted",
    "credits_spent",
    "credits_refunded",
    "credits_expired",
    "credits_forfeited",
    "credit_balance_end",
    "refund_rate",
    "sends_blocked_no_credit",
    "sends_blocked_seat_credit_limit",
    "sends_blocked_daily_limit",
    "sends_blocked_first_week_limit",
    "sends_blocked_policy",
    "sends_blocked_no_candidates",
    "policy_warnings",
    "policy_restrictions",
    "restricted_seat_days",
    "credits_per_response",
)
HEADLINE: tuple[str, ...] = (
    "inmails_sent",
    "response_rate",
    "credits_spent",
    "credits_refunded",
    "refund_rate",
    "credits_per_response",
    "sends_blocked_no_credit",
    "sends_blocked_policy",
    "restricted_seat_days",
)
_STATE_NAMES = [s.value for s in PolicyState]
_RESTRICTED = list(PolicyState).index(PolicyState.RESTRICTED)
_INMAIL_COSTS = ("credit", "open_profile")


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def replication_kpis(out: ReplicationOutput, response_kinds: Iterable[str]) -> dict[str, float]:
    """Every KPI of one replication, from its counters and logs."""
    log = out.messages
    kinds = set(response_kinds)
    cost = np.asarray(log.cost, dtype=object)
    outcome = np.asarray(log.outcome, dtype=object)
    inmail = np.isin(cost, _INMAIL_COSTS)
    email = cost == "none"
    responded = np.isin(outcome, list(kinds))
    totals: dict[Movement, int] = {m: 0 for m in Movement}
    balance = 0
    warnings = restrictions = 0
    for account in out.accounts.values():
        for m, v in account.ledger.totals.items():
            totals[m] += v
        balance += account.ledger.balance
        for seat in account.seats.values():
            warnings += seat.policy.warnings
            restrictions += seat.policy.restrictions
    responses = int((inmail & responded).sum())
    spent, refunded = totals[Movement.SPEND], totals[Movement.REFUND]
    k: dict[str, float] = {
        "inmails_sent": int(inmail.sum()),
        "free_messages_sent": int(np.isin(cost, ("open_profile", "connection")).sum()),
        "emails_sent": int(email.sum()),
        "follow_ups_sent": int(np.isfinite(np.asarray(log.followed_up_at, dtype=float)).sum()),
        "responses": responses,
        "accepted": int((inmail & (outcome == "accepted")).sum()),
        "declined": int((inmail & (outcome == "declined")).sum()),
        "response_rate": _ratio(responses, int(inmail.sum())),
        "email_response_rate": _ratio(int((email & responded).sum()), int(email.sum())),
        "credits_granted": totals[Movement.GRANT],
        "credits_spent": spent,
        "credits_refunded": refunded,
        "credits_expired": totals[Movement.EXPIRE],
        "credits_forfeited": totals[Movement.FORFEIT],
        "credit_balance_end": balance,
        "refund_rate": _ratio(refunded, spent),
        "sends_blocked_no_credit": int(out.blocked["no_credit"].sum()),
        "sends_blocked_seat_credit_limit": int(out.blocked["seat_credit_limit"].sum()),
        "sends_blocked_daily_limit": int(out.blocked["daily_limit"].sum()),
        "sends_blocked_first_week_limit": int(out.blocked["first_week_limit"].sum()),
        "sends_blocked_policy": int(out.blocked["policy_restricted"].sum()),
        "sends_blocked_no_candidates": int(out.blocked["no_candidates"].sum()),
        "policy_warnings": warnings,
        "policy_restrictions": restrictions,
        "restricted_seat_days": int((out.policy_state == _RESTRICTED).sum()),
        "credits_per_response": _ratio(spent - refunded, responses),
    }
    return {"replication": out.replication, **k}


def replication_tables(out: ReplicationOutput, scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The tidy tables of one replication: inmails, seat_days, account_days, credits."""
    start = pd.Timestamp(scenario.start)
    rep = out.replication
    senders = out.senders
    log = out.messages
    group_of = [r.group.name for r in senders]
    account_of = [_account_label(out, r.account) for r in senders]
    n = len(log)
    sender_idx = np.asarray(log.sender, dtype=np.int64)
    inmails = pd.DataFrame(
        {
            "replication": np.full(n, rep, dtype=np.int64),
            "id": np.arange(n, dtype=np.int64),
            "seat": np.asarray(log.seat, dtype=np.int64),
            "sender": sender_idx,
            "group": pd.Categorical(np.asarray(group_of, dtype=object)[sender_idx] if n else []),
            "account": pd.Categorical(np.asarray(account_of, dtype=object)[sender_idx] if n else []),
            "candidate": np.asarray(log.candidate, dtype=np.int64),
            "channel": pd.Categorical(log.channel),
            "cost": pd.Categorical(log.cost),
            "bulk": np.asarray(log.bulk, dtype=bool),
            "personalised": np.asarray(log.personalised, dtype=bool),
            "sent_at": np.asarray(log.sent_at, dtype=float),
            "read_at": np.asarray(log.read_at, dtype=float),
            "outcome": pd.Categorical(log.outcome),
            "responded_at": np.asarray(log.responded_at, dtype=float),
            "refunded_at": np.asarray(log.refunded_at, dtype=float),
            "followed_up_at": np.asarray(log.followed_up_at, dtype=float),
        }
    )
    n_senders, horizon = out.sent.shape
    day = np.tile(np.arange(horizon), n_senders)
    sender = np.repeat(np.arange(n_senders), horizon)
    has_seat = np.asarray([r.seat is not None for r in senders], dtype=bool)
    state = np.where(np.repeat(has_seat, horizon), np.asarray(_STATE_NAMES, dtype=object)[out.policy_state.ravel()], "")
    pool = np.zeros((n_senders, horizon), dtype=float)
    for r in senders:
        label = _account_label(out, r.account)
        pool[r.sender] = out.balance[label] if label else np.nan
    seat_days = pd.DataFrame(
        {
            "replication": np.full(day.size, rep, dtype=np.int64),
            "sender": sender,
            "seat": np.asarray([-1 if r.seat is None else r.seat for r in senders], dtype=np.int64)[sender],
            "group": pd.Categorical(np.asarray(group_of, dtype=object)[sender]),
            "account": pd.Categorical(np.asarray(account_of, dtype=object)[sender]),
            "day": day,
            "date": start + pd.to_timedelta(day, unit="D"),
            "sent": out.sent.ravel(),
            "inmails_sent": out.inmails_sent.ravel(),
            "responses": out.responses.ravel(),
            **{f"blocked_{reason}": out.blocked[reason].ravel() for reason in BLOCK_REASONS},
            "pool_balance": pool.ravel(),
            "policy_state": pd.Categorical(state),
            "trailing_rate": out.trailing_rate.ravel(),
        }
    )
    rows = [
        (label, row.time, row.kind.value, row.amount, row.seat, row.inmail)
        for label, account in out.accounts.items()
        for row in account.ledger.rows
    ]
    credits = pd.DataFrame(rows, columns=["account", "time", "kind", "amount", "seat", "inmail"])
    credits.insert(0, "replication", np.full(len(credits), rep, dtype=np.int64))
    credits["time"] = credits["time"].astype(float)
    credits["amount"] = credits["amount"].astype(np.int64)
    credits["seat"] = credits["seat"].astype("Int64")
    credits["inmail"] = credits["inmail"].astype("Int64")
    credits["date"] = start + pd.to_timedelta(np.floor(credits["time"]), unit="D")
    credits = credits.sort_values(["account", "time"], kind="stable").reset_index(drop=True)
    return {
        "inmails": inmails,
        "seat_days": seat_days,
        "account_days": _account_days(out, credits, start, horizon),
        "credits": credits,
    }


def _account_label(out: ReplicationOutput, account: Any) -> str:
    if account is None:
        return ""
    for label, a in out.accounts.items():
        if a is account:
            return label
    raise KeyError("sender's account is not in this replication")


def _account_days(out: ReplicationOutput, credits: pd.DataFrame, start: pd.Timestamp, horizon: int) -> pd.DataFrame:
    frames = []
    day_index = np.arange(horizon)
    for label in out.accounts:
        mine = credits[credits["account"] == label]
        frame = pd.DataFrame(
            {
                "replication": np.full(horizon, out.replication, dtype=np.int64),
                "account": label,
                "day": day_index,
                "date": start + pd.to_timedelta(day_index, unit="D"),
                "balance": out.balance[label],
            }
        )
        days = np.clip(np.floor(mine["time"].to_numpy()).astype(np.int64), 0, horizon - 1)
        for kind in ("grant", "spend", "refund", "expire", "forfeit"):
            sel = (mine["kind"] == kind).to_numpy()
            column = {"grant": "granted", "spend": "spent", "refund": "refunded", "expire": "expired"}.get(
                kind, "forfeited"
            )
            frame[column] = np.bincount(days[sel], weights=mine["amount"].to_numpy()[sel], minlength=horizon)[
                :horizon
            ].astype(np.int64)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def confidence_interval(values: Iterable[float], level: float = 0.95) -> dict[str, float | int | None]:
    """Mean, standard deviation and a Student-t confidence interval over replications (NaNs dropped)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = int(x.size)
    if n == 0:
        return {"mean": None, "std": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "std": None, "ci_low": None, "ci_high": None, "n": 1}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def summarise(runs: pd.DataFrame) -> dict[str, dict[str, float | int | None]]:
    """Each KPI's mean, std and 95% CI over the replications in `runs`."""
    return {kpi: confidence_interval(runs[kpi].tolist()) for kpi in KPIS if kpi in runs}


def analytics(tables: dict[str, pd.DataFrame], start: date) -> pd.DataFrame:
    """Per seat and ISO week, shaped like LinkedIn Recruiter's InMail report, averaged over replications.

    Rows with seat 'all' carry the account's pool figures (expired credits and the week-end balance)."""
    inmails = tables["inmails"]
    credits = tables["credits"]
    account_days = tables["account_days"]
    reps = max(1, int(tables["seat_days"]["replication"].nunique()))
    im = inmails[inmails["cost"].isin(_INMAIL_COSTS)].copy()
    sent_dates = pd.Timestamp(start) + pd.to_timedelta(np.floor(im["sent_at"].to_numpy()), unit="D")
    im["week"] = pd.DatetimeIndex(sent_dates).strftime("%G-W%V")
    seat_weeks = (
        im.groupby(["account", "seat", "week"], observed=True)
        .agg(
            sent=("id", "size"),
            accepted=("outcome", lambda s: int((s == "accepted").sum())),
            declined=("outcome", lambda s: int((s == "declined").sum())),
        )
        .reset_index()
    )
    seat_weeks["pending"] = seat_weeks["sent"] - seat_weeks["accepted"] - seat_weeks["declined"]
    moves = credits[credits["seat"].notna()].copy()
    moves["week"] = moves["date"].dt.strftime("%G-W%V")
    moved = moves.pivot_table(
        index=["account", "seat", "week"], columns="kind", values="amount", aggfunc="sum", fill_value=0, observed=True
    )
    moved = moved.reindex(columns=["spend", "refund"], fill_value=0).rename(
        columns={"spend": "credits_spent", "refund": "credits_refunded"}
    )
    moved = moved.reset_index()
    moved["seat"] = moved["seat"].astype(np.int64)
    report = seat_weeks.merge(moved, on=["account", "seat", "week"], how="outer").fillna(0)
    report["seat"] = report["seat"].astype(np.int64).astype(str)
    pool = account_days.copy()
    pool["week"] = pool["date"].dt.strftime("%G-W%V")
    pool_weeks = (
        pool.sort_values("day")
        .groupby(["account", "week"], observed=True)
        .agg(credits_expired=("expired", "sum"), balance_end=("balance", "last"))
        .reset_index()
    )
    pool_weeks["seat"] = "all"
    report = pd.concat([report, pool_weeks], ignore_index=True)
    count_cols = ["sent", "accepted", "declined", "pending", "credits_spent", "credits_refunded", "credits_expired"]
    for col in [*count_cols, "balance_end"]:
        if col not in report:
            report[col] = 0
    report = report.fillna({c: 0 for c in count_cols})
    for col in count_cols:
        report[col] = report[col] / reps
    report["balance_end"] = report["balance_end"] / reps
    report["response_rate"] = (report["accepted"] + report["declined"]) / report["sent"].where(report["sent"] > 0)
    cols = ["account", "seat", "week", "sent", "accepted", "declined", "pending", "response_rate", *count_cols[4:]]
    return report[[*cols, "balance_end"]].sort_values(["account", "week", "seat"]).reset_index(drop=True)


@dataclass
class Results:
    """The outcome of running a scenario: tables over all replications, KPIs and figures."""

    scenario: Scenario
    seed: int
    runs: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def inmails(self) -> pd.DataFrame:
        return self.tables["inmails"]

    @property
    def seat_days(self) -> pd.DataFrame:
        return self.tables["seat_days"]

    @property
    def account_days(self) -> pd.DataFrame:
        return self.tables["account_days"]

    @property
    def credits(self) -> pd.DataFrame:
        return self.tables["credits"]

    def summary(self) -> dict[str, dict[str, float | int | None]]:
        return summarise(self.runs)

    def summary_frame(self) -> pd.DataFrame:
        """The summary as a table, one row per KPI."""
        return pd.DataFrame.from_dict(self.summary(), orient="index")

    def analytics(self) -> pd.DataFrame:
        return analytics(self.tables, self.scenario.start)

    def figures(self) -> dict[str, Any]:
        """Every run figure that has data, by file stem."""
        from . import plots

        rules = self.scenario.resolved_rules()
        return plots.run_figures(self.tables, rules.policy_threshold, windows=(rules.refund_window_days,))

    def plot_credit_balance(self) -> Any:
        from . import plots

        return plots.credit_balance(self.account_days)

    def plot_credit_fate(self) -> Any:
        from . import plots

        return plots.credit_fate(self.account_days)

    def plot_response_rate(self, replication: int = 0) -> Any:
        from . import plots

        return plots.response_rate(self.seat_days, self.scenario.resolved_rules().policy_threshold, replication)

    def plot_sends_and_blocks(self) -> Any:
        from . import plots

        return plots.sends_and_blocks(self.seat_days)

    def plot_blocked_by_reason(self) -> Any:
        from . import plots

        return plots.blocked_by_reason(self.seat_days)

    def plot_refunds_per_week(self) -> Any:
        from . import plots

        return plots.refunds_per_week(self.credits)

    def plot_time_to_response(self) -> Any:
        from . import plots

        return plots.time_to_response(self.inmails, (self.scenario.resolved_rules().refund_window_days,))

    def save(self, folder: str | Path) -> Path:
        """Write the results folder's files into `folder` (created when missing)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        resolved = self.scenario.resolved_dict()
        resolved["seed"] = self.seed
        (folder / "scenario.resolved.yaml").write_text(
            yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        summary = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replications": len(self.runs),
            "kpis": self.summary(),
        }
        (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        self.runs.to_parquet(folder / "runs.parquet", index=False)
        for name, table in self.tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        self.analytics().to_csv(folder / "analytics.csv", index=False, float_format="%.4g")
        figures = folder / "figures"
        figures.mkdir(exist_ok=True)
        from . import plots

        for stem, fig in self.figures().items():
            plots.save_figure(fig, figures / f"{stem}.png")
        return folder


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.1f}%"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"


def headline_text(summary: dict[str, dict[str, float | int | None]]) -> str:
    """The headline KPIs with their 95% CIs, one per line."""
    lines = []
    for kpi in HEADLINE:
        s = summary.get(kpi)
        if not s or s["mean"] is None:
            continue
        mean = float(s["mean"])
        pct = kpi.endswith("_rate")
        low, high = s["ci_low"], s["ci_high"]
        ci = "" if low is None or high is None else f"  (95% CI {_fmt(low, pct)} to {_fmt(high, pct)})"
        lines.append(f"  {kpi:<26} {_fmt(mean, pct)}{ci}")
    return "\n".join(lines)
