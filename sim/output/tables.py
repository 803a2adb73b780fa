"""The tidy tables of one replication (inmails, seat_days, account_days, credits) as pandas frames.

Names: one per concept across tables and KPIs (`inmails_sent`, `sends_blocked_<reason>`, `credits_spent`, ...,
`credit_balance`). Times are days from the scenario's start (`sent_at`, NaN when it did not happen within the
horizon) with the same instant as a UTC timestamp beside them (`sent_time`, NaT when it did not happen); the
start is midnight UTC of the scenario's `start` date. `date` columns hold dates (Parquet DATE)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..config.scenario import Scenario
from ..model.reference import BLOCK_REASONS, MOVES, MessageLog, ReplicationOutput
from ..rules import PolicyState

_STATE_NAMES = [s.value for s in PolicyState]
TIMES = ("sent_at", "read_at", "responded_at", "refunded_at", "followed_up_at")  # day offsets with a timestamp


def timestamps(days: np.ndarray, start: pd.Timestamp | None) -> np.ndarray:
    """Day offsets from the start as UTC timestamps (microseconds; NaN days become NaT)."""
    origin = np.datetime64(pd.Timestamp(start).date() if start is not None else "1970-01-01", "us")
    micros = np.asarray(days, dtype=float) * 86_400_000_000
    ok = np.isfinite(micros)
    out = np.full(micros.shape, np.datetime64("NaT"), dtype="datetime64[us]")
    out[ok] = origin + np.round(micros[ok]).astype(np.int64).astype("timedelta64[us]")
    return np.asarray(out)


def utc(days: np.ndarray, start: pd.Timestamp | None) -> pd.Series:
    """`timestamps` as a pandas UTC datetime column (a RangeIndex, as the tables have)."""
    return pd.Series(pd.DatetimeIndex(timestamps(days, start)).tz_localize("UTC"))


def dates(days: np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """The calendar date of each day offset, as `datetime.date` objects (written as Parquet DATE); one object
    per distinct day, shared by its rows."""
    days = np.asarray(days, dtype=np.int64)
    if not days.size:
        return np.empty(0, dtype=object)
    first, last = int(days.min()), int(days.max())
    span = pd.date_range(start + pd.Timedelta(days=first), periods=last - first + 1, freq="D")
    lookup = np.asarray([d.date() for d in span], dtype=object)
    return np.asarray(lookup[days - first], dtype=object)


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
        "inmails": inmails_table(out, start),
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
    rep: int,
    first_id: int,
    fields: dict[str, Any],
    group_of: np.ndarray,
    account_of: np.ndarray,
    start: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Rows of the inmails table from message columns (`fields`: as `MessageLog`'s, numpy arrays or lists;
    channel, cost and outcome as Categoricals or lists of labels), each time with its UTC timestamp."""
    n = len(fields["sent_at"])
    sender_idx = np.asarray(fields["sender"], dtype=np.int64)
    frame = pd.DataFrame(
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
    for name in TIMES:
        at = frame.columns.get_loc(name)
        assert isinstance(at, int)
        frame.insert(at + 1, name.replace("_at", "_time"), utc(frame[name].to_numpy(), start))
    return frame


def inmails_table(out: ReplicationOutput, start: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per message sent."""
    group_of, account_of = sender_labels(out.senders, out.accounts)
    log = out.messages
    fields = {name: getattr(log, name) for name in MessageLog.__dataclass_fields__}
    return inmails_frame(out.replication, 0, fields, group_of, account_of, start)


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
            "date": dates(day, start),
            "sent": out.sent.ravel(),
            "inmails_sent": out.inmails_sent.ravel(),
            "responses": out.responses.ravel(),
            **{f"sends_blocked_{reason}": out.blocked[reason].ravel() for reason in BLOCK_REASONS},
            "credit_balance": pool.ravel(),
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
            "timestamp": utc(time, start),
            "kind": pd.array(_KIND_LABELS[pick(np.asarray(columns["kind"], dtype=np.int64))], dtype=_STR),
            "amount": pick(np.asarray(np.broadcast_to(columns["amount"], (n,)), dtype=np.int64)),
            "seat": optional(columns["seat"]),
            "inmail": optional(columns["inmail"]),
            "date": dates(np.floor(time).astype(np.int64), start),
        }
    )


def _credits_from_rows(out: ReplicationOutput, start: pd.Timestamp) -> pd.DataFrame:
    rep = out.replication
    rows = [
        (label, row.time, row.kind.value, row.amount, row.seat, row.inmail)
        for label, account in out.accounts.items()
        for row in account.ledger.rows
    ]
    if not rows:
        return empty_credits(rep, start)
    credits = pd.DataFrame(rows, columns=["account", "time", "kind", "amount", "seat", "inmail"])
    credits.insert(0, "replication", np.full(len(credits), rep, dtype=np.int64))
    credits["time"] = credits["time"].astype(float)
    credits["amount"] = credits["amount"].astype(np.int64)
    credits["seat"] = credits["seat"].astype("Int64")
    credits["inmail"] = credits["inmail"].astype("Int64")
    credits.insert(3, "timestamp", utc(credits["time"].to_numpy(), start))  # after time
    credits["date"] = dates(np.floor(credits["time"].to_numpy()).astype(np.int64), start)
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
        return empty_credits(out.replication, start)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def empty_credits(rep: int, start: pd.Timestamp) -> pd.DataFrame:
    """A credits table with its columns and their types and no rows."""
    none = np.empty(0, dtype=np.int64)
    return credits_frame(rep, "", {"time": np.empty(0), "kind": none, "amount": none, "seat": none, "inmail": none},
                         start)  # fmt: skip


def empty_inmails(rep: int, start: pd.Timestamp | None) -> pd.DataFrame:
    """An inmails table with its columns and their types and no rows."""
    fields: dict[str, Any] = {name: [] for name in MessageLog.__dataclass_fields__}
    frame = inmails_frame(rep, 0, fields, np.asarray([""], dtype=object), np.asarray([""], dtype=object), start)
    return as_run_table(frame)


def _account_label(out: ReplicationOutput, account: Any) -> str:
    if account is None:
        return ""
    for label, a in out.accounts.items():
        if a is account:
            return label
    raise KeyError("sender's account is not in this replication")


_MOVE_COLUMNS = {  # credits kind -> account_days column (the KPI's name)
    "grant": "credits_granted",
    "spend": "credits_spent",
    "refund": "credits_refunded",
    "expire": "credits_expired",
    "forfeit": "credits_forfeited",
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
                "date": dates(day_index, start),
                "credit_balance": out.balance[label],
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


TABLE_NAMES = ("inmails", "seat_days", "account_days", "credits")
CATEGORICAL = ("group", "account", "channel", "cost", "outcome", "policy_state")  # as categories over a run


def as_run_table(table: pd.DataFrame) -> pd.DataFrame:
    """A replication's table with the label columns as categories, as they are in a run's tables."""
    for col in CATEGORICAL:
        if col in table and not isinstance(table[col].dtype, pd.CategoricalDtype):
            table[col] = table[col].astype(str).astype("category")
    return table
