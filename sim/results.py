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

from .model.world import BLOCK_REASONS, MOVES, MessageCounts, MessageLog, ReplicationOutput
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
    """Every KPI of one replication, from its counters (`out.counts`, else counted from its message log)."""
    counts = out.counts if out.counts is not None else MessageCounts.of_log(out.messages)
    kinds = set(response_kinds)

    def total(cost: Iterable[str], outcome: Iterable[str] | None = None) -> int:
        costs = set(cost)
        return sum(
            n
            for (c, o), n in counts.by_cost_outcome.items()
            if c in costs and (outcome is None or o in outcome)
        )

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
    inmails = total(_INMAIL_COSTS)
    emails = total(("none",))
    responses = total(_INMAIL_COSTS, kinds)
    spent, refunded = totals[Movement.SPEND], totals[Movement.REFUND]
    k: dict[str, float] = {
        "inmails_sent": inmails,
        "free_messages_sent": total(("open_profile", "connection")),
        "emails_sent": emails,
        "follow_ups_sent": counts.follow_ups,
        "responses": responses,
        "accepted": total(_INMAIL_COSTS, ("accepted",)),
        "declined": total(_INMAIL_COSTS, ("declined",)),
        "response_rate": _ratio(responses, inmails),
        "email_response_rate": _ratio(total(("none",), kinds), emails),
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
    """The tidy tables of one replication: inmails, seat_days, account_days, credits; of a replication whose
    engine kept no rows (tables "summary", or rows handed to a sink), the daily tables only: seat_days and
    account_days."""
    start = pd.Timestamp(scenario.start)
    horizon = out.sent.shape[1]
    if out.credit_days is not None:  # "summary", or rows handed to a sink as they came
        return {"seat_days": seat_days_table(out, start), "account_days": _account_days(out, start, horizon)}
    credits = credits_table(out, start)
    return {
        "inmails": inmails_table(out),
        "seat_days": seat_days_table(out, start),
        "account_days": _account_days(out, start, horizon, credits),
        "credits": credits,
    }


def _sender_labels(out: ReplicationOutput) -> tuple[np.ndarray, np.ndarray]:
    """Each sender's group name and account label, as object arrays indexed by sender."""
    group_of = np.asarray([r.group.name for r in out.senders] or [""], dtype=object)
    account_of = np.asarray([_account_label(out, r.account) for r in out.senders] or [""], dtype=object)
    return group_of, account_of


def inmails_frame(
    rep: int, first_id: int, fields: dict[str, Any], group_of: np.ndarray, account_of: np.ndarray
) -> pd.DataFrame:
    """Rows of the inmails table from message columns (`fields`: as `MessageLog`'s, numpy arrays or lists;
    channel, cost and outcome as Categoricals or lists of labels)."""
    n = len(fields["sent_at"])
    sender_idx = np.asarray(fields["sender"], dtype=np.int64)
    return pd.DataFrame(
        {
            "replication": np.full(n, rep, dtype=np.int64),
            "id": np.arange(first_id, first_id + n, dtype=np.int64),
            "seat": np.asarray(fields["seat"], dtype=np.int64),
            "sender": sender_idx,
            "group": pd.Categorical(group_of[sender_idx] if n else []),
            "account": pd.Categorical(account_of[sender_idx] if n else []),
            "candidate": np.asarray(fields["candidate"], dtype=np.int64),
            "channel": pd.Categorical(fields["channel"]),
            "cost": pd.Categorical(fields["cost"]),
            "bulk": np.asarray(fields["bulk"], dtype=bool),
            "personalised": np.asarray(fields["personalised"], dtype=bool),
            "sent_at": np.asarray(fields["sent_at"], dtype=float),
            "read_at": np.asarray(fields["read_at"], dtype=float),
            "outcome": pd.Categorical(fields["outcome"]),
            "responded_at": np.asarray(fields["responded_at"], dtype=float),
            "refunded_at": np.asarray(fields["refunded_at"], dtype=float),
            "followed_up_at": np.asarray(fields["followed_up_at"], dtype=float),
        }
    )


def inmails_table(out: ReplicationOutput) -> pd.DataFrame:
    """One row per message sent."""
    group_of, account_of = _sender_labels(out)
    log = out.messages
    fields = {name: getattr(log, name) for name in MessageLog.__dataclass_fields__}
    return inmails_frame(out.replication, 0, fields, group_of, account_of)


def seat_days_table(out: ReplicationOutput, start: pd.Timestamp) -> pd.DataFrame:
    """One row per sender and day."""
    rep = out.replication
    senders = out.senders
    group_of = [r.group.name for r in senders]
    account_of = [_account_label(out, r.account) for r in senders]
    n_senders, horizon = out.sent.shape
    day = np.tile(np.arange(horizon), n_senders)
    sender = np.repeat(np.arange(n_senders), horizon)
    has_seat = np.asarray([r.seat is not None for r in senders], dtype=bool)
    state = np.where(np.repeat(has_seat, horizon), np.asarray(_STATE_NAMES, dtype=object)[out.policy_state.ravel()], "")
    pool = np.zeros((n_senders, horizon), dtype=float)
    for r in senders:
        label = _account_label(out, r.account)
        pool[r.sender] = out.balance[label] if label else np.nan
    return pd.DataFrame(
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


_KIND_LABELS = np.asarray([m.value for m in MOVES], dtype=object)
_STR = pd.StringDtype(na_value=np.nan)  # pandas' default string dtype


def credits_frame(rep: int, account: str, columns: dict[str, np.ndarray], start: pd.Timestamp) -> pd.DataFrame:
    """Rows of the credits table of one account from its movements as columns (as
    `FastLedger.row_arrays()`: time, kind index into `MOVES`, amount, seat and inmail with -1 for none), in
    time order (stable)."""
    time = np.asarray(columns["time"], dtype=float)
    order: np.ndarray | None = np.argsort(time, kind="stable")
    if order is not None and (order == np.arange(len(order))).all():
        order = None  # already in time order (as a ledger's movements are): no copy

    def pick(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    time = pick(time)
    n = len(time)

    def optional(a: np.ndarray) -> pd.arrays.IntegerArray:
        a = pick(np.asarray(a, dtype=np.int64))
        return pd.arrays.IntegerArray(a, a < 0)

    return pd.DataFrame(
        {
            "replication": np.full(n, rep, dtype=np.int64),
            "account": pd.array(np.full(n, account, dtype=object), dtype=_STR),
            "time": time,
            "kind": pd.array(_KIND_LABELS[pick(np.asarray(columns["kind"], dtype=np.int64))], dtype=_STR),
            "amount": pick(np.asarray(np.broadcast_to(columns["amount"], (n,)), dtype=np.int64)),
            "seat": optional(columns["seat"]),
            "inmail": optional(columns["inmail"]),
            "date": start + pd.to_timedelta(np.floor(time), unit="D"),
        }
    )


def _credits_from_rows(out: ReplicationOutput, start: pd.Timestamp) -> pd.DataFrame:
    rep = out.replication
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
    return credits.sort_values(["account", "time"], kind="stable").reset_index(drop=True)


def credits_table(out: ReplicationOutput, start: pd.Timestamp) -> pd.DataFrame:
    """One row per credit movement, by account (sorted) and time. The fast engine's ledgers give their
    movements as numpy columns (`row_arrays`), which skips making a Python object per row."""
    ledgers = [(label, account.ledger) for label, account in sorted(out.accounts.items())]
    if not ledgers or not all(hasattr(ledger, "row_arrays") for _, ledger in ledgers):
        return _credits_from_rows(out, start)
    frames = [
        credits_frame(out.replication, label, ledger.row_arrays(), start)  # type: ignore[attr-defined]
        for label, ledger in ledgers
    ]
    if not sum(len(f) for f in frames):
        return _credits_from_rows(out, start)  # no movements: the columns' types as pandas infers them
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _account_label(out: ReplicationOutput, account: Any) -> str:
    if account is None:
        return ""
    for label, a in out.accounts.items():
        if a is account:
            return label
    raise KeyError("sender's account is not in this replication")


_MOVE_COLUMNS = {
    "grant": "granted",
    "spend": "spent",
    "refund": "refunded",
    "expire": "expired",
    "forfeit": "forfeited",
}


def _account_days(
    out: ReplicationOutput, start: pd.Timestamp, horizon: int, credits: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per account and day: the balance and the credits moved by kind (from `credits`, else from the
    engine's sums by account, kind and day, `out.credit_days`)."""
    frames = []
    day_index = np.arange(horizon)
    for label in out.accounts:
        frame = pd.DataFrame(
            {
                "replication": np.full(horizon, out.replication, dtype=np.int64),
                "account": label,
                "day": day_index,
                "date": start + pd.to_timedelta(day_index, unit="D"),
                "balance": out.balance[label],
            }
        )
        if credits is None:
            assert out.credit_days is not None
            moved = out.credit_days[label]
            for i, kind in enumerate(m.value for m in MOVES):
                frame[_MOVE_COLUMNS[kind]] = moved[i, :horizon].astype(np.int64)
            frames.append(frame)
            continue
        mine = credits[credits["account"] == label]
        days = np.clip(np.floor(mine["time"].to_numpy()).astype(np.int64), 0, horizon - 1)
        for kind in ("grant", "spend", "refund", "expire", "forfeit"):
            sel = (mine["kind"] == kind).to_numpy()
            amounts = mine["amount"].to_numpy()[sel]
            moved_days = np.bincount(days[sel], weights=amounts, minlength=horizon)[:horizon]
            frame[_MOVE_COLUMNS[kind]] = moved_days.astype(np.int64)
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
