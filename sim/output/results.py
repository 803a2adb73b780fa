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

from ..config.scenario import Scenario
from ..model.reference import BLOCK_REASONS, MOVES, MessageCounts, MessageLog, ReplicationOutput
from ..rules import Movement, PolicyState

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


def sender_labels(senders: list[Any], accounts: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Each sender's group name and account label, as object arrays indexed by sender."""
    label_of = {id(a): label for label, a in accounts.items()}
    group_of = np.asarray([r.group.name for r in senders] or [""], dtype=object)
    account_of = np.asarray([label_of[id(r.account)] if r.account is not None else "" for r in senders] or [""],
                            dtype=object)  # fmt: skip
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
    group_of, account_of = sender_labels(out.senders, out.accounts)
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


def _iso_weeks(days: np.ndarray, start: date) -> pd.Categorical:
    """The ISO week ("2026-W02") of each day counted from `start` (formatted once per distinct day)."""
    unique, inverse = np.unique(days, return_inverse=True)
    labels = np.asarray(pd.DatetimeIndex(pd.Timestamp(start) + pd.to_timedelta(unique, unit="D")).strftime("%G-W%V"))
    categories = np.unique(labels)
    codes = np.searchsorted(categories, labels)
    return pd.Categorical.from_codes(codes[inverse.ravel()], categories=pd.Index(categories.tolist()))


def _inmail_weeks(inmails: pd.DataFrame, start: date) -> pd.DataFrame:
    """InMails sent, accepted and declined per account, seat and ISO week of sending."""
    im = inmails[inmails["cost"].isin(_INMAIL_COSTS)]
    outcome = im["outcome"].astype(str)
    frame = pd.DataFrame(
        {
            "account": im["account"],
            "seat": im["seat"],
            "week": _iso_weeks(np.floor(im["sent_at"].to_numpy()).astype(np.int64), start),
            "accepted": (outcome == "accepted").to_numpy(dtype=np.int64),
            "declined": (outcome == "declined").to_numpy(dtype=np.int64),
        }
    )
    weeks = (
        frame.groupby(["account", "seat", "week"], observed=True)
        .agg(sent=("accepted", "size"), accepted=("accepted", "sum"), declined=("declined", "sum"))
        .reset_index()
    )
    weeks["week"] = weeks["week"].astype(str)
    return weeks


def _credit_weeks(credits: pd.DataFrame, start: date) -> pd.DataFrame:
    """Credits spent and refunded per account, seat and ISO week (every account, seat and week with a
    movement of a seat's credits)."""
    moves = credits[credits["seat"].notna()]
    kind = moves["kind"].astype(str)
    amount = moves["amount"].to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "account": moves["account"],
            "seat": moves["seat"].to_numpy(dtype=np.int64),
            "week": _iso_weeks(np.floor(moves["time"].to_numpy(dtype=float)).astype(np.int64), start),
            "credits_spent": np.where((kind == "spend").to_numpy(), amount, 0),
            "credits_refunded": np.where((kind == "refund").to_numpy(), amount, 0),
        }
    )
    moved = frame.groupby(["account", "seat", "week"], observed=True)[["credits_spent", "credits_refunded"]].sum()
    moved = moved.reset_index()
    moved["week"] = moved["week"].astype(str)
    return moved


def _sum_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Partial counts by (account, seat, week), added up."""
    frames = [p.astype({"account": str}) for p in parts if len(p)]
    if not frames:
        return parts[0] if parts else pd.DataFrame()
    keys = ["account", "seat", "week"]
    return pd.concat(frames, ignore_index=True).groupby(keys, sort=False).sum().reset_index()


def analytics(tables: dict[str, pd.DataFrame], start: date) -> pd.DataFrame:
    """Per seat and ISO week, shaped like LinkedIn Recruiter's InMail report, averaged over replications.

    Rows with seat 'all' carry the account's pool figures (expired credits and the week-end balance)."""
    reps = max(1, int(tables["seat_days"]["replication"].nunique()))
    seat_weeks = _inmail_weeks(tables["inmails"], start)
    moved = _credit_weeks(tables["credits"], start)
    return _analytics_report(seat_weeks, moved, tables["account_days"], reps)


def _analytics_report(
    seat_weeks: pd.DataFrame, moved: pd.DataFrame, account_days: pd.DataFrame, reps: int
) -> pd.DataFrame:
    seat_weeks = seat_weeks.copy()
    seat_weeks["pending"] = seat_weeks["sent"] - seat_weeks["accepted"] - seat_weeks["declined"]
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


TABLE_NAMES = ("inmails", "seat_days", "account_days", "credits")
CATEGORICAL = ("group", "account", "channel", "cost", "outcome", "policy_state")  # as categories over a run


def as_run_table(table: pd.DataFrame) -> pd.DataFrame:
    """A replication's table with the label columns as categories, as they are in a run's tables."""
    for col in CATEGORICAL:
        if col in table and not isinstance(table[col].dtype, pd.CategoricalDtype):
            table[col] = table[col].astype(str).astype("category")
    return table


class TableWriter:
    """Tables written to `<folder>/<name>.parquet` a piece at a time (one Parquet row group or more per
    piece), so that no table is ever whole in memory. A category column read back has its categories in
    the order they first appear in the pieces; `close` rewrites a file (a row group at a time) when that
    order is not sorted, so that the file reads back as the same table made whole (sorted categories)."""

    def __init__(self, folder: Path) -> None:
        import pyarrow as pa

        # Arrow's own allocator keeps freed memory for reuse; the system's gives it back between chunks
        pa.set_memory_pool(pa.system_memory_pool())
        self.folder = folder
        self._writers: dict[str, Any] = {}
        self._empty: dict[str, pd.DataFrame] = {}
        self.categories: dict[str, dict[str, list[str]]] = {}  # table -> column -> labels in order of appearance
        self.rows: dict[str, int] = {}

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def write(self, name: str, piece: pd.DataFrame | Any) -> None:
        """Append a piece (a DataFrame or a pyarrow Table with the same columns) to table `name`."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if isinstance(piece, pd.DataFrame):
            if not len(piece):
                self._empty.setdefault(name, piece)
                return
            piece = pa.Table.from_pandas(piece, preserve_index=False)
        if not piece.num_rows:
            return
        writer = self._writers.get(name)
        if writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            writer = self._writers[name] = pq.ParquetWriter(self.path(name), piece.schema)
        elif not piece.schema.equals(writer.schema, check_metadata=False):
            piece = piece.cast(writer.schema)
        seen = self.categories.setdefault(name, {})
        for column in piece.schema:
            if pa.types.is_dictionary(column.type):
                order = seen.setdefault(column.name, [])
                for chunk in piece.column(column.name).chunks:
                    order.extend(v for v in chunk.dictionary.to_pylist() if v not in order)
        writer.write_table(piece)
        self.rows[name] = self.rows.get(name, 0) + piece.num_rows

    def close(self) -> None:
        for name, writer in self._writers.items():
            writer.close()
            seen = self.categories.get(name, {})
            unsorted = {col: sorted(order) for col, order in seen.items() if order != sorted(order)}
            if unsorted:
                self._recategorise(name, unsorted)
        for name, empty in self._empty.items():
            if name not in self._writers:
                self.folder.mkdir(parents=True, exist_ok=True)
                empty.to_parquet(self.path(name), index=False)
        self._writers.clear()

    def _recategorise(self, name: str, categories: dict[str, list[str]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.path(name)
        tmp = path.with_suffix(".recategorised")
        source = pq.ParquetFile(path)
        writer = None
        try:
            for i in range(source.num_row_groups):
                frame = source.read_row_group(i).to_pandas()
                for col, labels in categories.items():
                    frame[col] = frame[col].cat.set_categories(labels)
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
        tmp.replace(path)


def _figure_inmails(inmails: pd.DataFrame) -> pd.DataFrame:
    """What the time-to-response figure needs of inmails rows, compact: the answered ones and the first row
    of each replication and channel (which replications and channels there are), with `responded_at`
    holding the delay from sending (and no `sent_at`: `figure_inmails` puts back zeros)."""
    key = inmails["replication"].to_numpy(dtype=np.int64) * 256 + inmails["channel"].cat.codes.to_numpy()
    first = np.zeros(len(inmails), dtype=bool)
    first[np.unique(key, return_index=True)[1]] = True
    keep = inmails["responded_at"].notna().to_numpy() | first
    sent = inmails["sent_at"].to_numpy()[keep]
    return pd.DataFrame(
        {
            "replication": inmails["replication"].to_numpy()[keep].astype(np.int32),
            "channel": inmails["channel"].to_numpy()[keep],
            "responded_at": inmails["responded_at"].to_numpy()[keep] - sent,
        }
    )


def figure_inmails(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of the time-to-response figure from `_figure_inmails` parts (the same figure as the rows)."""
    frames = [p for p in parts if len(p.columns)]
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame["channel"] = frame["channel"].astype(str)
    frame.insert(2, "sent_at", 0.0)  # responded_at holds the delay: delay - 0.0 is the delay, exactly
    return frame


def _figure_credits(credits: pd.DataFrame) -> pd.DataFrame:
    """What the refunds-per-week figure needs of credits rows: spends and refunds summed by day."""
    df = credits[credits["kind"].astype(str).isin(["spend", "refund"])]
    df = df.assign(amount=df["amount"].astype(float).abs(), kind=df["kind"].astype(str))
    return pd.DataFrame(df.groupby(["replication", "kind", "date"], sort=False, as_index=False)["amount"].sum())


def _sum_figure_credits(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(frame.groupby(["replication", "kind", "date"], sort=False, as_index=False)["amount"].sum())


def _release_memory() -> None:
    """Give memory freed by the last chunk back to the system (glibc keeps it otherwise, and a run's peak
    resident memory grows with the number of chunks)."""
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.malloc_trim  # noqa: B018  # glibc only
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC: Any = None


class ReplicationWriter:
    """The sink of one replication's rows (`sim.model.fast.TableSink`): inmails and credits rows go to a
    `TableWriter` as they come; what the analytics and figures need of them is kept, summed."""

    def __init__(self, writer: TableWriter, replication: int, scenario: Scenario) -> None:
        self.writer = writer
        self.replication = replication
        self.start = pd.Timestamp(scenario.start)
        self.scenario = scenario
        self._first_account = ""
        self._held: dict[str, list[dict[str, np.ndarray]]] = {}
        self._labels: tuple[np.ndarray, np.ndarray] | None = None
        self.n_messages = 0
        self.inmail_weeks: list[pd.DataFrame] = []
        self.credit_weeks: list[pd.DataFrame] = []
        self.figure_inmails: list[pd.DataFrame] = []
        self.figure_credits: list[pd.DataFrame] = []

    def set_senders(self, senders: list[Any], accounts: dict[str, Any]) -> None:
        """Who sends: the group and account labels of the message rows to come."""
        self._labels = sender_labels(senders, accounts)
        self._first_account = min(accounts) if accounts else ""

    def messages(self, columns: dict[str, np.ndarray], labels: Any) -> None:
        from ..model.fast import labelled

        assert self._labels is not None
        group_of, account_of = self._labels
        frame = inmails_frame(self.replication, self.n_messages, labelled(columns, labels), group_of, account_of)
        self.n_messages += len(frame)
        self.add_inmails(frame)

    def add_inmails(self, frame: pd.DataFrame) -> None:
        frame = as_run_table(frame)
        if frame["cost"].isin(_INMAIL_COSTS).any():
            self.inmail_weeks.append(_inmail_weeks(frame, self.scenario.start))
            if len(self.inmail_weeks) > 16:
                self.inmail_weeks = [_sum_parts(self.inmail_weeks)]
        self.figure_inmails.append(_figure_inmails(frame))
        self.writer.write("inmails", frame)
        _release_memory()

    def credits(self, account: str, columns: dict[str, np.ndarray]) -> None:
        if account == self._first_account:  # the first account's rows come first in the table: write them now
            self.add_credits(credits_frame(self.replication, account, columns, self.start))
        else:
            self._held.setdefault(account, []).append(columns)

    def add_credits(self, frame: pd.DataFrame) -> None:
        frame = as_run_table(frame)
        if frame["seat"].notna().any():
            self.credit_weeks.append(_credit_weeks(frame, self.scenario.start))
            if len(self.credit_weeks) > 16:
                self.credit_weeks = [_sum_parts(self.credit_weeks)]
        self.figure_credits.append(_figure_credits(frame))
        if len(self.figure_credits) > 16:
            self.figure_credits = [_sum_figure_credits(self.figure_credits)]
        self.writer.write("credits", frame)
        _release_memory()

    def finish(self) -> None:
        """Write the credits of the other accounts, in label order."""
        for account in sorted(self._held):
            parts = self._held.pop(account)
            columns = {name: np.concatenate([np.broadcast_to(p[name], (len(p["time"]),)) for p in parts])
                       for name in parts[0]}  # fmt: skip
            self.add_credits(credits_frame(self.replication, account, columns, self.start))

    def extras(self) -> dict[str, pd.DataFrame]:
        """What the analytics and figures need of this replication's rows (small)."""

        def cat(frames: list[pd.DataFrame]) -> pd.DataFrame:
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        return {
            "inmail_weeks": _sum_parts(self.inmail_weeks) if self.inmail_weeks else pd.DataFrame(),
            "credit_weeks": _sum_parts(self.credit_weeks) if self.credit_weeks else pd.DataFrame(),
            "figure_inmails": cat(self.figure_inmails),
            "figure_credits": cat(self.figure_credits),
        }


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
        from ..present import plots

        rules = self.scenario.resolved_rules()
        return plots.run_figures(self.tables, rules.policy_threshold, windows=(rules.refund_window_days,))

    def plot_credit_balance(self) -> Any:
        from ..present import plots

        return plots.credit_balance(self.account_days)

    def plot_credit_fate(self) -> Any:
        from ..present import plots

        return plots.credit_fate(self.account_days)

    def plot_response_rate(self, replication: int = 0) -> Any:
        from ..present import plots

        return plots.response_rate(self.seat_days, self.scenario.resolved_rules().policy_threshold, replication)

    def plot_sends_and_blocks(self) -> Any:
        from ..present import plots

        return plots.sends_and_blocks(self.seat_days)

    def plot_blocked_by_reason(self) -> Any:
        from ..present import plots

        return plots.blocked_by_reason(self.seat_days)

    def plot_refunds_per_week(self) -> Any:
        from ..present import plots

        return plots.refunds_per_week(self.credits)

    def plot_time_to_response(self) -> Any:
        from ..present import plots

        return plots.time_to_response(self.inmails, (self.scenario.resolved_rules().refund_window_days,))

    def save(self, folder: str | Path) -> Path:
        """Write the results folder's files into `folder` (created when missing)."""
        folder = Path(folder)
        self.save_summary(folder)
        for name, table in self.tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        self.save_figures(folder, self.tables, self.analytics() if "inmails" in self.tables else None)
        return folder

    def save_summary(self, folder: Path) -> None:
        """scenario.resolved.yaml, summary.json and runs.parquet."""
        folder.mkdir(parents=True, exist_ok=True)
        resolved = self.scenario.resolved_dict(seed=self.seed, replications=len(self.runs))
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

    def save_figures(self, folder: Path, tables: dict[str, pd.DataFrame], report: pd.DataFrame | None) -> None:
        """analytics.csv (when there is `report`) and the figures drawn from `tables`."""
        if report is not None:
            report.to_csv(folder / "analytics.csv", index=False, float_format="%.4g")
        figures = folder / "figures"
        figures.mkdir(exist_ok=True)
        from ..present import plots

        rules = self.scenario.resolved_rules()
        drawn = plots.run_figures(tables, rules.policy_threshold, windows=(rules.refund_window_days,))
        for stem, fig in drawn.items():
            plots.save_figure(fig, figures / f"{stem}.png")


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
